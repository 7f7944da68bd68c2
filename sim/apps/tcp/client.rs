//! `tcp connect ADDR:PORT [from-port N] [send N] [keep-open]`: one
//! connection that sends N bytes and closes (FIN) once they are acked,
//! reporting each step: connected, refused (RST), ICMP errors, timed out,
//! the bytes sent and received, closed.

use super::stack::{SockOpts, Stack, tcp_flags};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use crate::net::sockets::SockProto;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use std::net::Ipv4Addr;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSpec {
    /// Where to connect.
    pub remote: (Ipv4Addr, u16),
    /// `from-port N`: the local port (else an ephemeral one).
    pub from_port: Option<u16>,
    /// `send N`: bytes to send.
    pub send: u64,
    /// `keep-open`: do not close after sending.
    pub keep_open: bool,
}

/// One client connection's progress, shared with [`super::TcpClients`].
pub struct Conn {
    /// The socket.
    pub handle: SocketHandle,
    /// `local > remote`, for messages.
    pub label: String,
    /// Local port (bound in the host's demux).
    pub local: (Ipv4Addr, u16),
    /// Remote end.
    pub remote: (Ipv4Addr, u16),
    to_send: u64,
    /// Bytes handed to the socket.
    pub sent: u64,
    /// Bytes read from the socket.
    pub received: u64,
    keep_open: bool,
    was: State,
    got_rst: bool,
    /// Reached Established at some point.
    pub connected: bool,
    /// The socket is closed and released.
    pub done: bool,
}

/// What a connection step produced, for the transcript.
pub enum ConnEvent {
    /// The handshake completed.
    Connected,
    /// The connection ended; the text says how.
    Ended(String),
}

/// Chunk of zeros written into the send buffer.
static ZEROS: [u8; 4096] = [0; 4096];

impl Conn {
    /// Opens a connection from `local` to `remote`; binds the port.
    pub fn open(
        stack: &mut Stack,
        cx: &mut Cx<'_>,
        local: (Ipv4Addr, u16),
        remote: (Ipv4Addr, u16),
        send: u64,
        keep_open: bool,
        opts: SockOpts,
    ) -> Result<Conn, String> {
        if !cx.bind(SockProto::Tcp, local.1, Some(remote)) {
            return Err("bind: Address already in use".into());
        }
        let handle = stack.socket(opts);
        // tcp_syn_retries 6: the SYN is given up after 127 s.
        stack.get(handle).set_timeout(Some(smoltcp::time::Duration::from_secs(127)));
        stack.connect(handle, remote, local)?;
        let label = format!("{}:{} > {}:{}", local.0, local.1, remote.0, remote.1);
        Ok(Conn {
            handle,
            label,
            local,
            remote,
            to_send: send,
            sent: 0,
            received: 0,
            keep_open,
            was: State::SynSent,
            got_rst: false,
            connected: false,
            done: false,
        })
    }

    /// Notes what an arriving datagram says that smoltcp will not tell.
    pub fn saw(&mut self, ip: &[u8]) {
        if tcp_flags(ip).is_some_and(|f| f & 0x04 != 0) {
            self.got_rst = true;
        }
    }

    /// Moves data and reports state changes after a poll.
    pub fn step(&mut self, stack: &mut Stack, cx: &mut Cx<'_>) -> Vec<ConnEvent> {
        let mut events = Vec::new();
        if self.done {
            return events;
        }
        let s = stack.get(self.handle);
        while s.can_recv() {
            match s.recv(|b| (b.len(), b.len())) {
                Ok(n) if n > 0 => self.received += n as u64,
                _ => break,
            }
        }
        while self.sent < self.to_send && s.can_send() {
            let n = ((self.to_send - self.sent) as usize).min(ZEROS.len());
            match s.send_slice(&ZEROS[..n]) {
                Ok(0) | Err(_) => break,
                Ok(k) => self.sent += k as u64,
            }
        }
        if self.connected && !self.keep_open && self.sent == self.to_send && s.send_queue() == 0 && s.may_send() {
            s.close();
        }
        // The peer closed: close our side too, as a client that read to EOF.
        if s.state() == State::CloseWait && s.send_queue() == 0 {
            s.close();
        }
        let state = s.state();
        if state != self.was {
            if state == State::Established && !self.connected {
                self.connected = true;
                // The SYN's deadline is met; an established connection waits forever.
                stack.get(self.handle).set_timeout(None);
                events.push(ConnEvent::Connected);
                // Data can go now.
                events.extend(self.step(stack, cx));
                return events;
            }
            if state == State::Closed {
                events.push(ConnEvent::Ended(self.ending()));
                stack.sockets.remove(self.handle);
                cx.host.sockets.release(SockProto::Tcp, self.local.1, Some(self.remote));
                self.done = true;
            }
            self.was = state;
        }
        events
    }

    fn ending(&self) -> String {
        let bytes = format!("sent {} received {}", self.sent, self.received);
        match (self.connected, self.got_rst) {
            (false, true) => "connection refused".into(),
            (false, false) => "connection timed out".into(),
            (true, true) => format!("reset ({bytes})"),
            (true, false) => format!("closed ({bytes})"),
        }
    }
}

/// `tcp connect`: one connection.
pub struct TcpClient {
    spec: ClientSpec,
    stack: Option<Stack>,
    conn: Option<Conn>,
}

impl TcpClient {
    /// A client for `spec`, not started.
    pub fn new(spec: ClientSpec) -> TcpClient {
        TcpClient { spec, stack: None, conn: None }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let (Some(stack), Some(conn)) = (&mut self.stack, &mut self.conn) else { return };
        stack.poll(cx);
        for e in conn.step(stack, cx) {
            let line = match e {
                ConnEvent::Connected => format!("tcp {}: connected", conn.label),
                ConnEvent::Ended(how) => format!("tcp {}: {how}", conn.label),
            };
            cx.say(line);
        }
        // Closing may have queued a FIN.
        stack.poll(cx);
    }
}

impl App for TcpClient {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let remote = self.spec.remote;
        let Some(src) = cx.source_for(remote.0) else {
            cx.say(format!("tcp connect {}:{}: Network is unreachable", remote.0, remote.1));
            return;
        };
        let port = match self.spec.from_port {
            Some(p) => p,
            None => match cx.ephemeral_port(SockProto::Tcp) {
                Some(p) => p,
                None => return cx.say("tcp connect: no free local port".into()),
            },
        };
        let mut stack = Stack::new(cx.rng.next_u64(), cx.now);
        match Conn::open(&mut stack, cx, (src, port), remote, self.spec.send, self.spec.keep_open, SockOpts::default())
        {
            Ok(c) => {
                self.conn = Some(c);
                self.stack = Some(stack);
                self.pump(cx);
            }
            Err(e) => cx.say(format!("tcp connect {}:{}: {e}", remote.0, remote.1)),
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let (Some(stack), Some(conn)) = (&mut self.stack, &mut self.conn) else { return };
        if let Some(err) = crate::apps::icmp_error_text(ip) {
            cx.say(format!("tcp {}: {err}", conn.label));
            return;
        }
        conn.saw(ip);
        stack.input(ip);
        self.pump(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        if self.conn.as_ref().is_none_or(|c| c.done) {
            return None;
        }
        self.stack.as_mut()?.poll_at(now)
    }
}
