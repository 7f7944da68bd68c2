//! `irc server [PORT]`: registers clients by `NICK` and `USER`, answers
//! `PING`, and relays `PRIVMSG` to the nick it names, prefixed with the
//! sender as `:nick!user@host`. It reports each `PRIVMSG` it relays, so
//! the transcript shows a DCC offer as NAT left it.

use super::shown;
use crate::apps::tcp::lines::{self, Lines};
use crate::apps::tcp::stack::{SockOpts, Stack};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;

/// The server's name in replies.
const NAME: &str = "irc.nfsim";

struct Session {
    handle: SocketHandle,
    lines: Lines,
    accepted: bool,
    host: String,
    nick: Option<String>,
}

/// `irc server`.
pub struct IrcServer {
    port: u16,
    stack: Option<Stack>,
    sessions: Vec<Session>,
}

impl IrcServer {
    /// A server on `port`, not started.
    pub fn new(port: u16) -> IrcServer {
        IrcServer { port, stack: None, sessions: Vec::new() }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = self.stack.take() else { return };
        stack.poll(cx);
        // Lines first, then relays: a relay may go to any session.
        let mut relays: Vec<(String, String)> = Vec::new();
        for s in &mut self.sessions {
            let sock = stack.get(s.handle);
            s.accepted |= sock.state() != State::Listen;
            if s.host.is_empty()
                && let Some(r) = sock.remote_endpoint()
            {
                s.host = r.addr.to_string();
            }
            for line in s.lines.read(sock) {
                relays.extend(command(s, &line, cx));
            }
            if sock.state() == State::CloseWait {
                sock.close();
            }
        }
        for (to, line) in relays {
            match self.sessions.iter().find(|s| s.nick.as_deref() == Some(to.as_str())) {
                Some(s) => {
                    lines::write(stack.get(s.handle), &line);
                }
                None => cx.say(format!("irc: no such nick {to}")),
            }
        }
        self.sessions.retain(|s| {
            let gone = s.accepted && stack.get(s.handle).state() == State::Closed;
            if gone {
                stack.sockets.remove(s.handle);
            }
            !gone
        });
        if !self.sessions.iter().any(|s| stack.get(s.handle).state() == State::Listen) {
            let h = stack.socket(SockOpts::default());
            stack.get(h).listen(self.port).expect("a fresh socket listens");
            self.sessions.push(Session {
                handle: h,
                lines: Lines::default(),
                accepted: false,
                host: String::new(),
                nick: None,
            });
        }
        stack.poll(cx);
        self.stack = Some(stack);
    }
}

/// Acts on one line from a client: what to send to whom (the client's
/// own replies are addressed to its nick).
fn command(s: &mut Session, line: &str, cx: &mut Cx<'_>) -> Vec<(String, String)> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    match verb.to_ascii_uppercase().as_str() {
        "NICK" => {
            let nick = rest.trim_start_matches(':').to_string();
            cx.say(format!("irc: {nick} registered from {}", s.host));
            s.nick = Some(nick.clone());
            vec![(nick.clone(), format!(":{NAME} 001 {nick} :Welcome to nfsim IRC {nick}"))]
        }
        "PING" => s.nick.iter().map(|n| (n.clone(), format!(":{NAME} PONG {NAME} {rest}"))).collect(),
        "PRIVMSG" => {
            let Some(from) = s.nick.clone() else { return Vec::new() };
            let (to, text) = rest.split_once(" :").unwrap_or((rest, ""));
            cx.say(format!("irc: {from} > {to}: {}", shown(text)));
            vec![(to.to_string(), format!(":{from}!{from}@{} PRIVMSG {to} :{text}", s.host))]
        }
        _ => Vec::new(),
    }
}

impl App for IrcServer {
    fn start(&mut self, cx: &mut Cx<'_>) {
        self.stack = crate::apps::tcp::stack::listen(cx, self.port, "irc server");
        self.pump(cx);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        if crate::apps::icmp_error_text(ip).is_some() {
            return;
        }
        let Some(stack) = self.stack.as_mut() else { return };
        stack.input(ip);
        self.pump(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        self.stack.as_mut()?.poll_at(now)
    }
}
