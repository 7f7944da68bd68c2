//! Traffic generators: `syn-flood ADDR:PORT` and `udp-flood ADDR:PORT`,
//! `[rate N] [count N] [len N] [from CIDR]`. Packets go out as a raw
//! socket would send them (through OUTPUT), each from a random source
//! port and, with `from CIDR`, a random (spoofed) source address in that
//! prefix; all drawn from the app's own stream.

use super::{App, Cx};
use crate::engine::{Duration, Instant};
use crate::net::Ipv4Cidr;
use crate::wire::spec;
use std::net::Ipv4Addr;

/// Which packets to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodKind {
    /// TCP SYNs.
    Syn,
    /// UDP datagrams.
    Udp,
}

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloodSpec {
    /// SYN or UDP.
    pub kind: FloodKind,
    /// Target.
    pub dst: (Ipv4Addr, u16),
    /// Packets per second.
    pub rate: u64,
    /// Packets in all.
    pub count: u64,
    /// UDP payload bytes.
    pub len: usize,
    /// Spoofed sources, else the host's own address.
    pub from: Option<Ipv4Cidr>,
}

/// A flood.
pub struct Flood {
    spec: FloodSpec,
    own: Option<Ipv4Addr>,
    sent: u64,
    next_at: Option<Instant>,
}

impl Flood {
    /// A generator for `spec`.
    pub fn new(spec: FloodSpec) -> Flood {
        Flood { spec, own: None, sent: 0, next_at: None }
    }

    fn packet(&self, cx: &mut Cx<'_>) -> Vec<u8> {
        let src = match self.spec.from {
            Some(c) => {
                let host_bits = 32 - u32::from(c.prefix_len);
                let r = if host_bits == 0 { 0 } else { cx.rng.next_u32() & (u32::MAX >> (32 - host_bits)) };
                Ipv4Addr::from(u32::from(c.network()) | r)
            }
            None => self.own.unwrap_or(Ipv4Addr::UNSPECIFIED),
        };
        let sport = 1024 + cx.rng.below(64512) as u16;
        let (a, p) = self.spec.dst;
        let text = match self.spec.kind {
            FloodKind::Syn => format!("tcp {src}:{sport} > {a}:{p} flags S seq {} mss 1460", cx.rng.next_u32()),
            FloodKind::Udp => format!("udp {src}:{sport} > {a}:{p} len {}", self.spec.len),
        };
        spec::craft(&text).expect("a well-formed spec").ip
    }
}

impl App for Flood {
    fn start(&mut self, cx: &mut Cx<'_>) {
        self.own = cx.source_for(self.spec.dst.0);
        self.next_at = Some(cx.now);
        self.timer(cx);
    }

    fn datagram(&mut self, _cx: &mut Cx<'_>, _ip: &[u8]) {}

    fn timer(&mut self, cx: &mut Cx<'_>) {
        let interval = Duration::from_nanos(1_000_000_000 / self.spec.rate.max(1));
        while self.next_at.is_some_and(|t| t <= cx.now) && self.sent < self.spec.count {
            self.sent += 1;
            let p = self.packet(cx);
            cx.send(&p);
            self.next_at = Some(self.next_at.expect("checked") + interval);
        }
        if self.sent == self.spec.count && self.next_at.is_some() {
            self.next_at = None;
            let what = if self.spec.kind == FloodKind::Syn { "syn-flood" } else { "udp-flood" };
            cx.say(format!("{what} {}:{}: {} sent", self.spec.dst.0, self.spec.dst.1, self.sent));
        }
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.next_at
    }
}
