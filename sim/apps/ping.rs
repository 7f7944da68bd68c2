//! `ping ADDR [count N] [interval T]`: ICMP echo requests with an
//! identifier of the app's own and sequence numbers from 1, reporting each
//! reply with its round-trip time, ICMP errors, and a summary (`N
//! transmitted, M received`) ten seconds after the last request, as
//! iputils ping lingers for late replies (`-W` 10 s).

use super::{App, Cx, icmp_error_text};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use crate::wire::{Ipv4Packet, spec};
use std::net::Ipv4Addr;

/// `ping`.
pub struct Ping {
    dst: Ipv4Addr,
    count: u64,
    interval: Duration,
    id: u16,
    src: Option<Ipv4Addr>,
    sent: u64,
    received: u64,
    sent_at: Vec<Instant>,
    next_at: Option<Instant>,
    summary_at: Option<Instant>,
}

impl Ping {
    /// Pings `dst` `count` times, `interval` apart.
    pub fn new(dst: Ipv4Addr, count: u64, interval: Duration) -> Ping {
        Ping {
            dst,
            count,
            interval,
            id: 0,
            src: None,
            sent: 0,
            received: 0,
            sent_at: Vec::new(),
            next_at: None,
            summary_at: None,
        }
    }
}

impl App for Ping {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Some(src) = cx.source_for(self.dst) else {
            return cx.say(format!("ping {}: Network is unreachable", self.dst));
        };
        self.src = Some(src);
        // A ping socket's identifier is its local "port", picked at random.
        for _ in 0..64 {
            let id = cx.rng.below(65535) as u16 + 1;
            if cx.bind(SockProto::Ping, id, None) {
                self.id = id;
                break;
            }
        }
        self.next_at = Some(cx.now);
        self.timer(cx);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        if let Some(err) = icmp_error_text(ip) {
            return cx.say(format!("ping {}: {err}", self.dst));
        }
        let p = Ipv4Packet::new_unchecked(ip);
        let l4 = p.payload();
        if l4.len() < 8 {
            return;
        }
        let seq = u16::from_be_bytes([l4[6], l4[7]]);
        let rtt = self.sent_at.get(usize::from(seq).wrapping_sub(1)).map(|t| cx.now - *t);
        self.received += 1;
        let rtt = rtt.map_or(String::new(), |d| format!(" time {d}"));
        cx.say(format!("ping {}: reply from {} seq {seq} ttl {}{rtt}", self.dst, p.src_addr(), p.ttl()));
        self.timer(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        let Some(src) = self.src else { return };
        while self.next_at.is_some_and(|t| t <= cx.now) && self.sent < self.count {
            self.sent += 1;
            self.sent_at.push(cx.now);
            let text = format!("icmp {src} > {} type echo-request id {} seq {} len 56", self.dst, self.id, self.sent);
            cx.send(&spec::craft(&text).expect("a well-formed spec").ip);
            let next = self.next_at.expect("checked") + self.interval;
            if self.sent < self.count {
                self.next_at = Some(next);
            } else {
                self.next_at = None;
                self.summary_at = Some(cx.now + Duration::from_secs(10));
            }
        }
        if self.received == self.sent && self.summary_at.is_some() {
            // Every reply is in: nothing to linger for.
            self.summary_at = Some(cx.now);
        }
        if self.summary_at.is_some_and(|t| t <= cx.now) {
            self.summary_at = None;
            cx.say(format!("ping {}: {} transmitted, {} received", self.dst, self.sent, self.received));
        }
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.next_at.or(self.summary_at)
    }
}
