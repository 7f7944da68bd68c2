//! `irc client ADDR[:PORT] NICK [dcc send NAME SIZE to PEER | dcc chat to
//! PEER] [dcc resume NAME OFFSET] [think T]`: registers NICK, then (after
//! `think`) makes its DCC offer; it takes every offer it gets. With `dcc
//! resume`, an offer of NAME is answered with `DCC RESUME` (OFFSET bytes
//! are already here) and fetched from there once the sender sends `DCC
//! ACCEPT`. A DCC file is sent and closed; a DCC chat exchanges one
//! greeting each way and closes.

use super::{Dcc, shown};
use crate::apps::tcp::lines::{self, Lines, v4};
use crate::apps::tcp::stack::{Sock, SockOpts, Stack, dial};
use crate::apps::{App, Cx};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use smoltcp::socket::tcp::State;
use std::net::Ipv4Addr;

/// The offer the client makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offer {
    /// `dcc send NAME SIZE to PEER`.
    Send { name: String, size: u64, to: String },
    /// `dcc chat to PEER`.
    Chat { to: String },
}

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSpec {
    /// The server.
    pub server: (Ipv4Addr, u16),
    /// Our nick.
    pub nick: String,
    /// What to offer once registered.
    pub offer: Option<Offer>,
    /// `dcc resume NAME OFFSET`: a partial file already here.
    pub have: Option<(String, u64)>,
    /// Pause before the offer.
    pub think: Duration,
}

/// What a DCC connection is for.
enum Role {
    /// We offered NAME: send `left` bytes to whoever connects.
    Serve { name: String, left: u64 },
    /// A chat with `peer`; `joined` when it was their offer.
    Chat { peer: String, joined: bool, greeted: bool },
    /// We fetch NAME from `from`.
    Fetch { name: String, from: String, got: u64, offset: u64 },
}

struct DccConn {
    sock: Sock,
    role: Role,
    lines: Lines,
}

/// `irc client`.
pub struct IrcClient {
    spec: ClientSpec,
    stack: Option<Stack>,
    ctl: Option<Sock>,
    lines: Lines,
    /// NICK and USER are sent.
    introduced: bool,
    /// 001 came.
    registered: bool,
    /// The offer's time, once registered.
    due: Option<Instant>,
    dccs: Vec<DccConn>,
    /// An offer we asked to resume: (from, name, address, port, offset).
    resuming: Option<(String, String, Ipv4Addr, u16, u64)>,
    lingering: Vec<Sock>,
}

impl IrcClient {
    /// A client for `spec`, not started.
    pub fn new(spec: ClientSpec) -> IrcClient {
        IrcClient {
            spec,
            stack: None,
            ctl: None,
            lines: Lines::default(),
            introduced: false,
            registered: false,
            due: None,
            dccs: Vec::new(),
            resuming: None,
            lingering: Vec::new(),
        }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let (Some(mut stack), Some(ctl)) = (self.stack.take(), self.ctl.as_ref().map(|c| c.handle)) else { return };
        stack.poll(cx);
        let sock = stack.get(ctl);
        if sock.state() == State::Established && !self.introduced {
            self.introduced = true;
            sock.set_timeout(None);
            let nick = &self.spec.nick;
            lines::write(sock, &format!("NICK {nick}"));
            lines::write(sock, &format!("USER {nick} 0 * :nfsim"));
        }
        for line in self.lines.read(stack.get(ctl)) {
            self.line(&line, &mut stack, cx);
        }
        if self.due.is_some_and(|t| t <= cx.now) {
            self.due = None;
            self.offer(&mut stack, cx);
        }
        for d in &mut self.dccs {
            step(d, &self.spec.nick, &mut stack, cx);
        }
        self.dccs.retain_mut(|d| {
            let gone = stack.get(d.sock.handle).state() == State::Closed;
            if gone {
                self.lingering.push(Sock { handle: d.sock.handle, port: d.sock.port, remote: d.sock.remote });
            }
            !gone
        });
        self.lingering.retain(|s| {
            let gone = stack.get(s.handle).state() == State::Closed;
            if gone {
                stack.sockets.remove(s.handle);
                cx.host.sockets.release(SockProto::Tcp, s.port, s.remote);
            }
            !gone
        });
        stack.poll(cx);
        self.stack = Some(stack);
    }

    fn privmsg(&self, stack: &mut Stack, to: &str, text: &str) {
        if let Some(c) = &self.ctl {
            lines::write(stack.get(c.handle), &format!("PRIVMSG {to} :{text}"));
        }
    }

    /// One line from the server.
    fn line(&mut self, line: &str, stack: &mut Stack, cx: &mut Cx<'_>) {
        let w: Vec<&str> = line.splitn(4, ' ').collect();
        match w.get(1).copied() {
            Some("001") if !self.registered => {
                self.registered = true;
                cx.say(format!("irc: registered as {}", self.spec.nick));
                self.due = Some(cx.now + self.spec.think);
            }
            Some("PRIVMSG") => {
                let from = w[0].trim_start_matches(':').split('!').next().unwrap_or("").to_string();
                let text = w.get(3).map_or("", |t| t.trim_start_matches(':'));
                cx.say(format!("irc: <{from}> {}", shown(text)));
                if let Some(dcc) = Dcc::parse(text) {
                    self.dcc(&from, dcc, stack, cx);
                }
            }
            _ => {}
        }
    }

    /// Takes up a DCC request from `from`.
    fn dcc(&mut self, from: &str, dcc: Dcc, stack: &mut Stack, cx: &mut Cx<'_>) {
        match dcc {
            Dcc::Send { name, addr, port, size } => match &self.spec.have {
                Some((have, offset)) if *have == name && *offset < size => {
                    let offset = *offset;
                    self.resuming = Some((from.to_string(), name.clone(), addr, port, offset));
                    self.privmsg(stack, from, &Dcc::Resume { name, port, offset }.text());
                }
                _ => {
                    let role = Role::Fetch { name, from: from.to_string(), got: 0, offset: 0 };
                    self.connect(addr, port, role, stack, cx);
                }
            },
            Dcc::Chat { addr, port } => {
                let role = Role::Chat { peer: from.to_string(), joined: true, greeted: false };
                self.connect(addr, port, role, stack, cx)
            }
            Dcc::Resume { name, port, offset } => {
                let serving = self.dccs.iter_mut().find(|d| d.sock.port == port);
                if let Some(DccConn { role: Role::Serve { left, .. }, .. }) = serving {
                    *left = left.saturating_sub(offset);
                    self.privmsg(stack, from, &Dcc::Accept { name, port, offset }.text());
                }
            }
            Dcc::Accept { port, offset, .. } => {
                if let Some((from, name, addr, p, _)) = self.resuming.take().filter(|r| r.3 == port) {
                    self.connect(addr, p, Role::Fetch { name, from, got: 0, offset }, stack, cx);
                }
            }
        }
    }

    /// Opens a DCC connection to an offer.
    fn connect(&mut self, addr: Ipv4Addr, port: u16, role: Role, stack: &mut Stack, cx: &mut Cx<'_>) {
        let (Some(src), Some(local)) = (cx.source_for(addr), cx.ephemeral_port(SockProto::Tcp)) else {
            return cx.say(format!("dcc: cannot reach {addr}:{port}"));
        };
        assert!(cx.bind(SockProto::Tcp, local, Some((addr, port))), "an ephemeral port is free");
        let h = stack.socket(SockOpts::default());
        // A DCC peer that never answers is given up as a SYN would be.
        stack.get(h).set_timeout(Some(smoltcp::time::Duration::from_secs(127)));
        let sock = Sock { handle: h, port: local, remote: Some((addr, port)) };
        if stack.connect(h, (addr, port), (src, local)).is_ok() {
            self.dccs.push(DccConn { sock, role, lines: Lines::default() });
        }
    }

    /// Listens for the peer and sends the offer.
    fn offer(&mut self, stack: &mut Stack, cx: &mut Cx<'_>) {
        let Some(offer) = self.spec.offer.clone() else { return };
        let Some(local) = self.ctl.as_ref().and_then(|c| stack.get(c.handle).local_endpoint()).map(v4) else { return };
        let Some(port) = cx.ephemeral_port(SockProto::Tcp) else { return };
        assert!(cx.bind(SockProto::Tcp, port, None), "an ephemeral port is free");
        let h = stack.socket(SockOpts::default());
        stack.get(h).listen(port).expect("a fresh socket listens");
        let sock = Sock { handle: h, port, remote: None };
        let (to, dcc, role) = match offer {
            Offer::Send { name, size, to } => {
                let dcc = Dcc::Send { name: name.clone(), addr: local.0, port, size };
                (to, dcc, Role::Serve { name, left: size })
            }
            Offer::Chat { to } => {
                let role = Role::Chat { peer: to.clone(), joined: false, greeted: false };
                (to, Dcc::Chat { addr: local.0, port }, role)
            }
        };
        self.privmsg(stack, &to, &dcc.text());
        self.dccs.push(DccConn { sock, role, lines: Lines::default() });
    }
}

/// Moves one DCC connection along and reports how it ends.
fn step(d: &mut DccConn, nick: &str, stack: &mut Stack, cx: &mut Cx<'_>) {
    let s = stack.get(d.sock.handle);
    let state = s.state();
    if state == State::Established {
        s.set_timeout(None);
    }
    let up = matches!(state, State::Established | State::CloseWait);
    match &mut d.role {
        Role::Serve { name, left } if up && *left > 0 => {
            *left -= lines::fill(s, *left);
            if *left == 0 {
                cx.say(format!("dcc send {name}: all sent"));
                s.close();
            }
        }
        Role::Fetch { name, from, got, offset } => {
            *got += lines::drain(s);
            if state == State::CloseWait {
                s.close();
                let resumed = if *offset > 0 { format!(", resumed at {offset}") } else { String::new() };
                cx.say(format!("dcc get {name} completed {got} bytes from {from}{resumed}"));
            }
        }
        Role::Chat { peer, joined, greeted } => {
            if up && !*greeted {
                *greeted = true;
                lines::write(s, &format!("hello from {nick}"));
            }
            for line in d.lines.read(stack.get(d.sock.handle)) {
                cx.say(format!("dcc chat with {peer}: {line}"));
                // The one who joined hangs up after the greetings.
                if *joined {
                    stack.get(d.sock.handle).close();
                }
            }
            let s = stack.get(d.sock.handle);
            if s.state() == State::CloseWait {
                s.close();
            }
        }
        _ => {}
    }
}

impl App for IrcClient {
    fn start(&mut self, cx: &mut Cx<'_>) {
        match dial(cx, self.spec.server) {
            Ok((stack, ctl)) => {
                self.ctl = Some(ctl);
                self.stack = Some(stack);
                self.pump(cx);
            }
            Err(e) => {
                let server = self.spec.server;
                cx.say(format!("irc: cannot reach {}:{}: {e}", server.0, server.1));
            }
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if let Some(err) = crate::apps::icmp_error_text(ip) {
            return cx.say(format!("irc: {err}"));
        }
        stack.input(ip);
        self.pump(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        let at = self.stack.as_mut()?.poll_at(now);
        match (at, self.due) {
            (Some(a), Some(d)) => Some(a.min(d)),
            (a, d) => a.or(d),
        }
    }
}
