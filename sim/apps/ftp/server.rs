//! `ftp server [PORT] [file NAME SIZE]...`: an FTP server whose files are
//! only sizes (their bytes are zeros). Any user logs in; it answers
//! `USER`, `PASS`, `TYPE`, `SYST`, `PORT`, `PASV`, `EPSV`, `RETR`, `QUIT`
//! with vsftpd's reply texts, and reports every command it receives (so
//! the transcript shows a `PORT` as NAT left it).
//!
//! One smoltcp stack carries every control and data connection. The
//! listening socket takes one connection, so a spare listener is opened
//! as each is taken, as the plain TCP server does.

use super::{host_port, parse_host_port};
use crate::apps::tcp::lines::{self, Lines, v4};
use crate::apps::tcp::stack::{SockOpts, Stack};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use crate::net::sockets::SockProto;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use std::net::Ipv4Addr;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// The control port (21).
    pub port: u16,
    /// `file NAME SIZE`: what can be fetched.
    pub files: Vec<(String, u64)>,
}

/// vsftpd's `connect_timeout`: how long an active data connection may
/// take to be accepted before the transfer is refused with 425.
const DATA_CONNECT_SECS: u64 = 60;

/// A port this app holds in the host's demux, released with its socket.
#[derive(Clone, Copy)]
struct Claim {
    port: u16,
    remote: Option<(Ipv4Addr, u16)>,
}

/// One file being sent on a data connection.
struct Transfer {
    handle: SocketHandle,
    claim: Claim,
    left: u64,
    /// 150 was sent (the data connection is up).
    announced: bool,
    closing: bool,
}

/// One control connection (or the listener waiting for it).
struct Session {
    ctl: SocketHandle,
    peer: Option<String>,
    lines: Lines,
    /// It left the listening state (a connection came).
    accepted: bool,
    /// `PORT`'s address: the next transfer connects there.
    active_to: Option<(Ipv4Addr, u16)>,
    /// `PASV`/`EPSV`'s listener.
    passive: Option<(SocketHandle, Claim)>,
    data: Option<Transfer>,
}

/// `ftp server`.
pub struct FtpServer {
    spec: ServerSpec,
    stack: Option<Stack>,
    sessions: Vec<Session>,
    /// Data sockets closing after their transfer, until they are gone.
    lingering: Vec<(SocketHandle, Claim)>,
}

impl FtpServer {
    /// A server for `spec`, not started.
    pub fn new(spec: ServerSpec) -> FtpServer {
        FtpServer { spec, stack: None, sessions: Vec::new(), lingering: Vec::new() }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = self.stack.take() else { return };
        stack.poll(cx);
        let mut sessions = std::mem::take(&mut self.sessions);
        for s in &mut sessions {
            self.session(s, &mut stack, cx);
        }
        sessions.retain(|s| {
            let gone = stack.get(s.ctl).state() == State::Closed && s.accepted;
            if gone {
                stack.sockets.remove(s.ctl);
            }
            !gone
        });
        self.sessions = sessions;
        self.lingering.retain(|(h, c)| {
            let gone = stack.get(*h).state() == State::Closed;
            if gone {
                stack.sockets.remove(*h);
                cx.host.sockets.release(SockProto::Tcp, c.port, c.remote);
            }
            !gone
        });
        self.replenish(&mut stack);
        stack.poll(cx);
        self.stack = Some(stack);
    }

    /// Keeps one listener on the control port.
    fn replenish(&mut self, stack: &mut Stack) {
        if self.sessions.iter().any(|s| stack.get(s.ctl).state() == State::Listen) {
            return;
        }
        let h = stack.socket(SockOpts::default());
        stack.get(h).listen(self.spec.port).expect("a fresh socket listens");
        self.sessions.push(Session {
            ctl: h,
            peer: None,
            lines: Lines::default(),
            accepted: false,
            active_to: None,
            passive: None,
            data: None,
        });
    }

    /// Greets, answers commands, moves data, and tidies up a closed session.
    fn session(&mut self, s: &mut Session, stack: &mut Stack, cx: &mut Cx<'_>) {
        let state = stack.get(s.ctl).state();
        s.accepted |= state != State::Listen;
        if state == State::Established && s.peer.is_none() {
            let sock = stack.get(s.ctl);
            s.peer = sock.remote_endpoint().map(|r| r.to_string());
            lines::write(sock, "220 (nfsim FTP)");
        }
        for line in s.lines.read(stack.get(s.ctl)) {
            cx.say(format!("ftp {}: {line}", s.peer.as_deref().unwrap_or("?")));
            let reply = self.command(s, &line, stack, cx);
            if !reply.is_empty() {
                lines::write(stack.get(s.ctl), &reply);
            }
            if reply.starts_with("221") {
                stack.get(s.ctl).close();
            }
        }
        self.transfer(s, stack);
        let sock = stack.get(s.ctl);
        if sock.state() == State::CloseWait && sock.send_queue() == 0 {
            sock.close();
        }
        if sock.state() == State::Closed && s.accepted {
            // The control connection is gone: so are its data connections.
            if let Some(t) = s.data.take() {
                stack.get(t.handle).abort();
                self.lingering.push((t.handle, t.claim));
            }
            if let Some((h, c)) = s.passive.take() {
                stack.get(h).abort();
                self.lingering.push((h, c));
            }
        }
    }

    /// The reply to one command.
    fn command(&mut self, s: &mut Session, line: &str, stack: &mut Stack, cx: &mut Cx<'_>) -> String {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "USER" => "331 Please specify the password.".into(),
            "PASS" => "230 Login successful.".into(),
            "TYPE" => "200 Switching to Binary mode.".into(),
            "SYST" => "215 UNIX Type: L8".into(),
            "PORT" => match parse_host_port(arg) {
                Some(to) => {
                    s.active_to = Some(to);
                    "200 PORT command successful. Consider using PASV.".into()
                }
                None => "500 Illegal PORT command.".into(),
            },
            "PASV" | "EPSV" => self.listen_data(s, verb.eq_ignore_ascii_case("EPSV"), stack, cx),
            "RETR" => self.retr(s, arg, stack, cx),
            "QUIT" => "221 Goodbye.".into(),
            _ => "500 Unknown command.".into(),
        }
    }

    /// Opens the passive listener and names it (227 or 229).
    fn listen_data(&mut self, s: &mut Session, epsv: bool, stack: &mut Stack, cx: &mut Cx<'_>) -> String {
        let Some(local) = stack.get(s.ctl).local_endpoint().map(v4) else { return "425 Not connected.".into() };
        let Some(port) = cx.ephemeral_port(SockProto::Tcp) else { return "425 No free port.".into() };
        assert!(cx.bind(SockProto::Tcp, port, None), "an ephemeral port is free");
        let h = stack.socket(SockOpts::default());
        stack.get(h).listen(port).expect("a fresh socket listens");
        if let Some((old, c)) = s.passive.replace((h, Claim { port, remote: None })) {
            stack.get(old).abort();
            self.lingering.push((old, c));
        }
        s.active_to = None;
        if epsv {
            format!("229 Entering Extended Passive Mode (|||{port}|)")
        } else {
            format!("227 Entering Passive Mode ({}).", host_port(local.0, port))
        }
    }

    /// Starts sending a file on the data connection the mode says.
    fn retr(&mut self, s: &mut Session, name: &str, stack: &mut Stack, cx: &mut Cx<'_>) -> String {
        let Some(&(_, size)) = self.spec.files.iter().find(|(n, _)| n == name) else {
            return "550 Failed to open file.".into();
        };
        if s.data.is_some() {
            return "425 Transfer already in progress.".into();
        }
        let (handle, claim) = if let Some((h, c)) = s.passive.take() {
            (h, c)
        } else if let Some(to) = s.active_to.take() {
            let Some(local) = stack.get(s.ctl).local_endpoint().map(v4) else { return "425 Not connected.".into() };
            // Active data comes from port 20 (ftp-data), as RFC 959 has it.
            if !cx.bind(SockProto::Tcp, 20, Some(to)) {
                return "425 Failed to establish connection.".into();
            }
            let h = stack.socket(SockOpts::default());
            stack.get(h).set_timeout(Some(smoltcp::time::Duration::from_secs(DATA_CONNECT_SECS)));
            if stack.connect(h, to, (local.0, 20)).is_err() {
                stack.sockets.remove(h);
                cx.host.sockets.release(SockProto::Tcp, 20, Some(to));
                return "425 Failed to establish connection.".into();
            }
            (h, Claim { port: 20, remote: Some(to) })
        } else {
            return "425 Use PORT or PASV first.".into();
        };
        s.data = Some(Transfer { handle, claim, left: size, announced: false, closing: false });
        // 150 waits for the data connection: vsftpd sends it once connected.
        String::new()
    }

    /// Moves a transfer along: 150 once connected, the bytes, the close,
    /// and 226 when the last byte and the FIN are acknowledged (425 when
    /// the connection never came up).
    fn transfer(&mut self, s: &mut Session, stack: &mut Stack) {
        let Some(t) = &mut s.data else { return };
        let data = stack.get(t.handle);
        let reply = match data.state() {
            State::Established | State::CloseWait if !t.closing => {
                if !t.announced {
                    t.announced = true;
                    lines::write(stack.get(s.ctl), "150 Opening BINARY mode data connection.");
                }
                let data = stack.get(t.handle);
                t.left -= lines::fill(data, t.left);
                // The FIN follows the last byte, as close(2) after write(2).
                if t.left == 0 {
                    data.close();
                    t.closing = true;
                }
                None
            }
            State::FinWait2 | State::TimeWait | State::Closed if t.closing => Some("226 Transfer complete."),
            State::Closed if t.announced => Some("426 Failure writing network stream."),
            State::Closed => Some("425 Failed to establish connection."),
            _ => None,
        };
        if let Some(reply) = reply {
            lines::write(stack.get(s.ctl), reply);
            let t = s.data.take().expect("a transfer");
            self.lingering.push((t.handle, t.claim));
        }
    }
}

impl App for FtpServer {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = crate::apps::tcp::stack::listen(cx, self.spec.port, "ftp server") else { return };
        self.replenish(&mut stack);
        self.stack = Some(stack);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if crate::apps::icmp_error_text(ip).is_some() {
            return;
        }
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
