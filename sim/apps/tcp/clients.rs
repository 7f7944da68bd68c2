//! `tcp clients N to ADDR:PORT [rate R] [send N] [buffer N]`: many client
//! connections, one every 1/R seconds from a random ephemeral port, each
//! sending N bytes and closing. One summary line when the last has ended,
//! so a hundred thousand connections do not flood the transcript.

use super::client::{Conn, ConnEvent};
use super::stack::{SockOpts, Stack};
use crate::apps::{App, Cx};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientsSpec {
    /// How many connections.
    pub count: u64,
    /// Where to.
    pub remote: (Ipv4Addr, u16),
    /// Connections opened per second.
    pub rate: u64,
    /// Bytes each sends.
    pub send: u64,
    /// Socket buffers.
    pub buffer: usize,
}

/// `tcp clients`.
pub struct TcpClients {
    spec: ClientsSpec,
    stack: Option<Stack>,
    conns: FxHashMap<u16, Conn>,
    opened: u64,
    next_open: Option<Instant>,
    connected: u64,
    failed: u64,
    ended: u64,
    reported: bool,
}

impl TcpClients {
    /// A generator for `spec`, not started.
    pub fn new(spec: ClientsSpec) -> TcpClients {
        TcpClients {
            spec,
            stack: None,
            conns: FxHashMap::default(),
            opened: 0,
            next_open: None,
            connected: 0,
            failed: 0,
            ended: 0,
            reported: false,
        }
    }

    fn open_due(&mut self, cx: &mut Cx<'_>, stack: &mut Stack) {
        while self.next_open.is_some_and(|t| t <= cx.now) && self.opened < self.spec.count {
            self.opened += 1;
            let interval = Duration::from_nanos(1_000_000_000 / self.spec.rate.max(1));
            self.next_open = (self.opened < self.spec.count).then(|| self.next_open.expect("checked") + interval);
            let remote = self.spec.remote;
            let (Some(src), Some(port)) = (cx.source_for(remote.0), cx.ephemeral_port(SockProto::Tcp)) else {
                self.failed += 1;
                self.ended += 1;
                continue;
            };
            let opts = SockOpts { buffer: self.spec.buffer };
            match Conn::open(stack, cx, (src, port), remote, self.spec.send, false, opts) {
                Ok(c) => {
                    self.conns.insert(port, c);
                }
                Err(_) => {
                    self.failed += 1;
                    self.ended += 1;
                }
            }
        }
    }

    fn pump(&mut self, cx: &mut Cx<'_>, only: Option<u16>) {
        let Some(mut stack) = self.stack.take() else { return };
        self.open_due(cx, &mut stack);
        stack.poll(cx);
        let ports: Vec<u16> = match only {
            Some(p) => vec![p],
            None => {
                let mut v: Vec<u16> = self.conns.keys().copied().collect();
                v.sort_unstable();
                v
            }
        };
        for port in ports {
            let Some(conn) = self.conns.get_mut(&port) else { continue };
            for e in conn.step(&mut stack, cx) {
                match e {
                    ConnEvent::Connected => self.connected += 1,
                    ConnEvent::Ended(_) => {
                        self.ended += 1;
                        if !conn.connected {
                            self.failed += 1;
                        }
                    }
                }
            }
            if conn.done {
                self.conns.remove(&port);
            }
        }
        stack.poll(cx);
        self.stack = Some(stack);
        if self.ended == self.spec.count && !self.reported {
            self.reported = true;
            let (a, p) = self.spec.remote;
            cx.say(format!(
                "tcp clients to {a}:{p}: {} opened, {} connected, {} failed",
                self.opened, self.connected, self.failed
            ));
        }
    }
}

impl App for TcpClients {
    fn start(&mut self, cx: &mut Cx<'_>) {
        self.stack = Some(Stack::new(cx.rng.next_u64(), cx.now));
        self.next_open = Some(cx.now);
        self.pump(cx, None);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = &mut self.stack else { return };
        let p = crate::wire::Ipv4Packet::new_unchecked(ip);
        if crate::apps::icmp_error_text(ip).is_some() {
            return;
        }
        let l4 = p.payload();
        let port = u16::from_be_bytes([l4[2], l4[3]]);
        if let Some(c) = self.conns.get_mut(&port) {
            c.saw(ip);
        }
        stack.input(ip);
        self.pump(cx, Some(port));
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx, None);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        let stack = self.stack.as_mut()?.poll_at(now);
        [stack, self.next_open].into_iter().flatten().min()
    }
}
