//! `tcp listen PORT [backlog N] [echo]`: a server that accepts every
//! connection, reads to the end (echoing with `echo`), and closes when
//! the peer does.
//!
//! smoltcp's listening socket takes one connection, so the server keeps
//! one spare listener and opens another as each is taken (datagrams are
//! handed over one at a time, so one spare always suffices). Handshakes
//! under way count against the backlog; when it is full, a new SYN is
//! dropped without answer, as Linux drops it when its SYN queue overflows
//! (no syncookies here).

use super::stack::{SockOpts, Stack, tcp_flags};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// The port.
    pub port: u16,
    /// Handshakes in progress at most (`listen(2)`'s backlog).
    pub backlog: usize,
    /// Send back what is received.
    pub echo: bool,
    /// Socket buffers.
    pub buffer: usize,
}

struct Accepted {
    handle: SocketHandle,
    label: Option<String>,
    received: u64,
    was: State,
}

/// `tcp listen`.
pub struct TcpServer {
    spec: ServerSpec,
    stack: Option<Stack>,
    conns: Vec<Accepted>,
    /// SYNs dropped because the backlog was full.
    pub syn_drops: u64,
}

impl TcpServer {
    /// A server for `spec`, not started.
    pub fn new(spec: ServerSpec) -> TcpServer {
        TcpServer { spec, stack: None, conns: Vec::new(), syn_drops: 0 }
    }

    fn listeners(conns: &[Accepted], stack: &mut Stack) -> usize {
        conns.iter().filter(|c| stack.get(c.handle).state() == State::Listen).count()
    }

    fn half_open(&self, stack: &mut Stack) -> usize {
        self.conns.iter().filter(|c| matches!(stack.get(c.handle).state(), State::Listen | State::SynReceived)).count()
    }

    fn replenish(&mut self, stack: &mut Stack) {
        if Self::listeners(&self.conns, stack) == 0 && self.half_open(stack) < self.spec.backlog {
            let h = stack.socket(SockOpts { buffer: self.spec.buffer });
            let s = stack.get(h);
            // tcp_synack_retries 5: a half-open connection is given up after about a minute.
            s.set_timeout(Some(smoltcp::time::Duration::from_secs(63)));
            s.listen(self.spec.port).expect("a fresh socket listens");
            self.conns.push(Accepted { handle: h, label: None, received: 0, was: State::Listen });
        }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = self.stack.take() else { return };
        stack.poll(cx);
        let echo = self.spec.echo;
        for c in &mut self.conns {
            let s = stack.get(c.handle);
            let mut buf = [0u8; 4096];
            while s.can_recv() {
                let Ok(n) = s.recv_slice(&mut buf) else { break };
                if n == 0 {
                    break;
                }
                c.received += n as u64;
                if echo {
                    let _ = s.send_slice(&buf[..n]);
                }
            }
            if s.state() == State::CloseWait && s.send_queue() == 0 {
                s.close();
            }
            let state = s.state();
            if state == c.was {
                continue;
            }
            if c.label.is_none()
                && state != State::Listen
                && let (Some(l), Some(r)) = (s.local_endpoint(), s.remote_endpoint())
            {
                c.label = Some(format!("{r} > {l}"));
            }
            let label = c.label.clone().unwrap_or_default();
            match state {
                // A half-open connection reset by its peer: the listener
                // waits again, for someone else.
                State::Listen => c.label = None,
                State::Established => {
                    s.set_timeout(None);
                    cx.say(format!("tcp {label}: accepted"));
                }
                State::Closed if c.was != State::Listen && c.was != State::SynReceived => {
                    cx.say(format!("tcp {label}: closed (received {})", c.received));
                }
                State::Closed => cx.say(format!("tcp {label}: handshake abandoned")),
                _ => {}
            }
            c.was = state;
        }
        self.conns.retain(|c| {
            let closed = stack.get(c.handle).state() == State::Closed;
            if closed {
                stack.sockets.remove(c.handle);
            }
            !closed
        });
        self.replenish(&mut stack);
        stack.poll(cx);
        self.stack = Some(stack);
    }
}

impl App for TcpServer {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = super::stack::listen(cx, self.spec.port, "tcp listen") else { return };
        self.replenish(&mut stack);
        self.stack = Some(stack);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if crate::apps::icmp_error_text(ip).is_some() {
            return;
        }
        // A bare SYN with no listener free: the SYN queue is full.
        if tcp_flags(ip).is_some_and(|f| f & 0x12 == 0x02) && Self::listeners(&self.conns, stack) == 0 {
            let taken = self.conns.iter().any(|c| {
                let s = stack.get(c.handle);
                s.state() == State::SynReceived && s.remote_endpoint().is_some_and(|r| endpoint_is_source(r, ip))
            });
            if !taken {
                self.syn_drops += 1;
                return;
            }
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

/// True when `r` is the source address and port of the TCP datagram `ip`.
fn endpoint_is_source(r: smoltcp::wire::IpEndpoint, ip: &[u8]) -> bool {
    let p = crate::wire::Ipv4Packet::new_unchecked(ip);
    let l4 = p.payload();
    let sport = u16::from_be_bytes([l4[0], l4[1]]);
    r.port == sport && r.addr == smoltcp::wire::IpAddress::Ipv4(p.src_addr())
}
