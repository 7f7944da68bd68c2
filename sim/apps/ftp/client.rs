//! `ftp get ADDR[:PORT] NAME [active|passive|epsv] [think T]`: logs in as
//! anonymous, asks for binary, opens the data connection the way the mode
//! says, fetches NAME, and quits. It reports each reply it receives, the
//! outcome (`ftp get completed N bytes`, or the failing reply), and waits
//! `think` before each command (a person typing; it also keeps an
//! expectation alive long enough to list it).

use super::{Mode, host_port, parse_epsv, parse_host_port};
use crate::apps::tcp::lines::{self, Lines, v4};
use crate::apps::tcp::stack::{Sock, SockOpts, Stack, dial};
use crate::apps::{App, Cx};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use smoltcp::socket::tcp::State;
use std::net::Ipv4Addr;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetSpec {
    /// The server's control address.
    pub server: (Ipv4Addr, u16),
    /// The file.
    pub name: String,
    /// How the data connection is opened.
    pub mode: Mode,
    /// Pause before each command.
    pub think: Duration,
}

/// The reply the client waits for: what it last sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Banner,
    User,
    Pass,
    Type,
    Mode,
    Retr,
    Quit,
}

/// `ftp get`.
pub struct FtpClient {
    spec: GetSpec,
    stack: Option<Stack>,
    ctl: Option<Sock>,
    lines: Lines,
    step: Step,
    /// The next command's time, when one is due.
    due: Option<Instant>,
    /// The data connection (in active mode, first its listener).
    data: Option<Sock>,
    received: u64,
    /// The data connection reached its end of file.
    eof: bool,
    /// 226 came.
    complete: bool,
    /// The outcome is reported.
    reported: bool,
    /// Sockets closing, until they are gone.
    lingering: Vec<Sock>,
}

impl FtpClient {
    /// A client for `spec`, not started.
    pub fn new(spec: GetSpec) -> FtpClient {
        FtpClient {
            spec,
            stack: None,
            ctl: None,
            lines: Lines::default(),
            step: Step::Banner,
            due: None,
            data: None,
            received: 0,
            eof: false,
            complete: false,
            reported: false,
            lingering: Vec::new(),
        }
    }

    fn what(&self) -> String {
        format!("{} {}", self.spec.name, self.spec.mode.name())
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let (Some(mut stack), Some(ctl)) = (self.stack.take(), self.ctl.as_ref().map(|c| c.handle)) else { return };
        stack.poll(cx);
        for line in self.lines.read(stack.get(ctl)) {
            cx.say(format!("ftp: {line}"));
            self.reply(&line, &mut stack, cx);
        }
        if self.due.is_some_and(|t| t <= cx.now) {
            self.due = None;
            self.next_command(&mut stack, cx);
        }
        self.data_step(&mut stack);
        if self.complete && self.eof && !self.reported {
            self.reported = true;
            cx.say(format!("ftp get completed {} bytes ({})", self.received, self.what()));
            self.send(&mut stack, cx, "QUIT", Step::Quit);
        }
        let sock = stack.get(ctl);
        if sock.state() == State::Established {
            // The SYN's deadline is met; an open session waits forever.
            sock.set_timeout(None);
        }
        if sock.state() == State::CloseWait {
            sock.close();
        }
        if sock.state() == State::Closed {
            if !self.reported {
                self.reported = true;
                cx.say(format!("ftp get failed: control connection closed ({})", self.what()));
            }
            self.lingering.extend(self.ctl.take());
            self.lingering.extend(self.data.take());
        }
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

    /// Sends a command and waits for its reply.
    fn send(&mut self, stack: &mut Stack, cx: &mut Cx<'_>, line: &str, step: Step) {
        let Some(ctl) = &self.ctl else { return };
        if !lines::write(stack.get(ctl.handle), line) {
            cx.say(format!("ftp: cannot send {line}"));
        }
        self.step = step;
    }

    /// Acts on one reply: the next command after a positive one (after
    /// the think time), the end after a negative one.
    fn reply(&mut self, line: &str, stack: &mut Stack, cx: &mut Cx<'_>) {
        // "123-" opens a multi-line reply; only its last line counts.
        if line.as_bytes().get(3) == Some(&b'-') {
            return;
        }
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if !(100..400).contains(&code) {
            if self.step != Step::Quit && !self.reported {
                self.reported = true;
                cx.say(format!("ftp get failed: {line} ({})", self.what()));
                if let Some(d) = self.data.take() {
                    stack.get(d.handle).abort();
                    self.lingering.push(d);
                }
                self.send(stack, cx, "QUIT", Step::Quit);
            }
            return;
        }
        match (self.step, code) {
            (Step::Mode, 227 | 229) => {
                if let Err(e) = self.connect_data(line, stack, cx) {
                    cx.say(format!("ftp get failed: {e} ({})", self.what()));
                    self.reported = true;
                    return self.send(stack, cx, "QUIT", Step::Quit);
                }
                self.due = Some(cx.now + self.spec.think);
            }
            (Step::Retr, 150) => {}
            (Step::Retr, 226) => self.complete = true,
            (Step::Quit, 221) => {
                if let Some(c) = &self.ctl {
                    stack.get(c.handle).close();
                }
            }
            _ => self.due = Some(cx.now + self.spec.think),
        }
    }

    /// The command that follows the step just answered.
    fn next_command(&mut self, stack: &mut Stack, cx: &mut Cx<'_>) {
        match self.step {
            Step::Banner => self.send(stack, cx, "USER anonymous", Step::User),
            Step::User => self.send(stack, cx, "PASS nfsim@", Step::Pass),
            Step::Pass => self.send(stack, cx, "TYPE I", Step::Type),
            Step::Type => match self.spec.mode {
                Mode::Active => match self.listen_data(stack, cx) {
                    Some(port_cmd) => self.send(stack, cx, &port_cmd, Step::Mode),
                    None => cx.say("ftp: no free port for the data connection".into()),
                },
                Mode::Passive => self.send(stack, cx, "PASV", Step::Mode),
                Mode::Epsv => self.send(stack, cx, "EPSV", Step::Mode),
            },
            Step::Mode => {
                let retr = format!("RETR {}", self.spec.name);
                self.send(stack, cx, &retr, Step::Retr);
            }
            Step::Retr | Step::Quit => {}
        }
    }

    /// Active mode: a listener on a fresh port, named in `PORT`.
    fn listen_data(&mut self, stack: &mut Stack, cx: &mut Cx<'_>) -> Option<String> {
        let local = stack.get(self.ctl.as_ref()?.handle).local_endpoint().map(v4)?;
        let port = cx.ephemeral_port(SockProto::Tcp)?;
        assert!(cx.bind(SockProto::Tcp, port, None), "an ephemeral port is free");
        let h = stack.socket(SockOpts::default());
        stack.get(h).listen(port).expect("a fresh socket listens");
        self.data = Some(Sock { handle: h, port, remote: None });
        Some(format!("PORT {}", host_port(local.0, port)))
    }

    /// Passive modes: connects where the 227 or 229 reply says.
    fn connect_data(&mut self, line: &str, stack: &mut Stack, cx: &mut Cx<'_>) -> Result<(), String> {
        let remote = if line.starts_with("227") {
            parse_host_port(line).ok_or("bad 227 reply")?
        } else {
            (self.spec.server.0, parse_epsv(line).ok_or("bad 229 reply")?)
        };
        let src = cx.source_for(remote.0).ok_or("Network is unreachable")?;
        let port = cx.ephemeral_port(SockProto::Tcp).ok_or("no free local port")?;
        assert!(cx.bind(SockProto::Tcp, port, Some(remote)), "an ephemeral port is free");
        let h = stack.socket(SockOpts::default());
        stack.get(h).set_timeout(Some(smoltcp::time::Duration::from_secs(127)));
        self.data = Some(Sock { handle: h, port, remote: Some(remote) });
        stack.connect(h, remote, (src, port))
    }

    /// Reads the data connection to its end, then closes it.
    fn data_step(&mut self, stack: &mut Stack) {
        let Some(d) = &self.data else { return };
        let s = stack.get(d.handle);
        if s.state() == State::Established {
            s.set_timeout(None);
        }
        self.received += lines::drain(s);
        if s.state() == State::CloseWait && !s.can_recv() {
            self.eof = true;
            s.close();
        }
        if self.eof || s.state() == State::Closed {
            self.lingering.extend(self.data.take());
        }
    }
}

impl App for FtpClient {
    fn start(&mut self, cx: &mut Cx<'_>) {
        match dial(cx, self.spec.server) {
            Ok((stack, ctl)) => {
                self.ctl = Some(ctl);
                self.stack = Some(stack);
                self.pump(cx);
            }
            Err(e) => cx.say(format!("ftp get failed: {e} ({})", self.what())),
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if let Some(err) = crate::apps::icmp_error_text(ip) {
            return cx.say(format!("ftp: {err}"));
        }
        stack.input(ip);
        self.pump(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        let stack = self.stack.as_mut()?;
        if self.ctl.is_none() && self.lingering.is_empty() {
            return None;
        }
        let at = stack.poll_at(now);
        match (at, self.due) {
            (Some(a), Some(d)) => Some(a.min(d)),
            (a, d) => a.or(d),
        }
    }
}
