//! UDP: `udp listen PORT [echo]` receives (and echoes) datagrams;
//! `udp send ADDR:PORT [from-port N] [len N] [count N] [interval T]`
//! sends them and reports replies and ICMP errors.

use super::{App, Cx, icmp_error_text};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use crate::wire::{Ipv4Packet, spec};
use std::net::Ipv4Addr;

/// A UDP datagram from `src` to `dst` with `len` zero bytes of payload.
pub fn datagram(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), len: usize) -> Vec<u8> {
    let text = format!("udp {}:{} > {}:{} len {len}", src.0, src.1, dst.0, dst.1);
    spec::craft(&text).expect("a well-formed spec").ip
}

/// The payload length and ports of a UDP datagram.
fn udp_fields(ip: &[u8]) -> Option<(Ipv4Addr, u16, u16, usize)> {
    let p = Ipv4Packet::new_checked(ip).ok()?;
    let l4 = p.payload();
    if l4.len() < 8 {
        return None;
    }
    let (sp, dp) = (u16::from_be_bytes([l4[0], l4[1]]), u16::from_be_bytes([l4[2], l4[3]]));
    Some((p.src_addr(), sp, dp, l4.len() - 8))
}

/// `udp listen`.
pub struct UdpListen {
    port: u16,
    echo: bool,
    /// Datagrams received.
    pub received: u64,
}

impl UdpListen {
    /// A receiver on `port`.
    pub fn new(port: u16, echo: bool) -> UdpListen {
        UdpListen { port, echo, received: 0 }
    }
}

impl App for UdpListen {
    fn start(&mut self, cx: &mut Cx<'_>) {
        if !cx.bind(SockProto::Udp, self.port, None) {
            cx.say(format!("udp listen {}: Address already in use", self.port));
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        // An ICMP error about a datagram this socket sent (an echo to a
        // closed port) is reported, never read as data or echoed back.
        if let Some(err) = icmp_error_text(ip) {
            cx.say(format!("udp listen {}: {err}", self.port));
            return;
        }
        let Some((src, sp, dp, len)) = udp_fields(ip) else { return };
        let dst = Ipv4Packet::new_unchecked(ip).dst_addr();
        self.received += 1;
        cx.say(format!("udp {src}:{sp} > {dst}:{dp}: received {len} bytes"));
        if self.echo {
            cx.send(&datagram((dst, dp), (src, sp), len));
        }
    }

    fn timer(&mut self, _cx: &mut Cx<'_>) {}

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        None
    }
}

/// What `udp send` was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendSpec {
    /// Destination.
    pub remote: (Ipv4Addr, u16),
    /// Local port, else ephemeral.
    pub from_port: Option<u16>,
    /// Payload bytes.
    pub len: usize,
    /// Datagrams.
    pub count: u64,
    /// Between datagrams.
    pub interval: Duration,
}

/// `udp send`.
pub struct UdpSend {
    spec: SendSpec,
    local: Option<(Ipv4Addr, u16)>,
    sent: u64,
    next_at: Option<Instant>,
}

impl UdpSend {
    /// A sender for `spec`.
    pub fn new(spec: SendSpec) -> UdpSend {
        UdpSend { spec, local: None, sent: 0, next_at: None }
    }
}

impl App for UdpSend {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let (a, p) = self.spec.remote;
        let Some(src) = cx.source_for(a) else {
            return cx.say(format!("udp send {a}:{p}: Network is unreachable"));
        };
        let port = match self.spec.from_port.or_else(|| cx.ephemeral_port(SockProto::Udp)) {
            Some(port) if cx.bind(SockProto::Udp, port, None) => port,
            _ => return cx.say(format!("udp send {a}:{p}: Address already in use")),
        };
        self.local = Some((src, port));
        self.next_at = Some(cx.now);
        self.timer(cx);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some((src, port)) = self.local else { return };
        let (a, p) = self.spec.remote;
        if let Some(err) = icmp_error_text(ip) {
            return cx.say(format!("udp {src}:{port} > {a}:{p}: {err}"));
        }
        if let Some((from, sp, _, len)) = udp_fields(ip) {
            cx.say(format!("udp {src}:{port} > {a}:{p}: reply {len} bytes from {from}:{sp}"));
        }
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        let Some(local) = self.local else { return };
        while self.next_at.is_some_and(|t| t <= cx.now) && self.sent < self.spec.count {
            self.sent += 1;
            cx.send(&datagram(local, self.spec.remote, self.spec.len));
            self.next_at = (self.sent < self.spec.count).then(|| self.next_at.expect("checked") + self.spec.interval);
        }
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.next_at.filter(|_| self.sent < self.spec.count)
    }
}
