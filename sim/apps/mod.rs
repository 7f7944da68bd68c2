//! What runs on virtual hosts: TCP clients and servers, UDP senders and
//! receivers, ping, traffic generators, crafted packets, FTP, IRC with DCC,
//! HTTP with a transparent proxy.
//!
//! An [`App`] lives on one host. It sends IPv4 datagrams through the host's
//! OUTPUT path ([`Cx::send`], so the host's own netfilter sees them), binds
//! ports in the host's socket demux ([`crate::net::sockets`]) to receive
//! what is delivered locally, and sleeps until [`App::poll_at`]. Everything
//! it reports goes to the transcript as one line ([`Cx::say`]). Apps draw
//! randomness only from the stream the simulator hands them.
//!
//! TCP endpoints are smoltcp sockets ([`tcp`]): a proven stack with the
//! handshake options, windows and window scaling, retransmission with
//! backoff, delayed ACKs, FIN and RST, driven by our clock.

pub mod craft;
pub mod dns;
pub mod flood;
pub mod ftp;
pub mod http;
pub mod irc;
pub mod mcast;
pub mod ping;
pub mod scan;
pub mod tcp;
pub mod udp;

use crate::engine::{Instant, Rng};
use crate::net::sockets::{Owner, SockProto};
use crate::net::{Host, Tx};
use std::net::Ipv4Addr;

/// One application on one host.
pub trait App {
    /// Called once, when the app starts.
    fn start(&mut self, cx: &mut Cx<'_>);
    /// A datagram the host delivered to one of the app's ports.
    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]);
    /// The time asked for by [`App::poll_at`] has come.
    fn timer(&mut self, cx: &mut Cx<'_>);
    /// When the app next wants [`App::timer`], if ever (`now` is the
    /// virtual time of the question).
    fn poll_at(&mut self, now: Instant) -> Option<Instant>;
}

/// What an app may do, for the duration of one call.
pub struct Cx<'a> {
    /// The virtual time.
    pub now: Instant,
    /// The host the app runs on.
    pub host: &'a mut Host,
    /// The app's number in the host's socket demux.
    pub owner: Owner,
    /// Where the host's frames go.
    pub tx: &'a mut dyn Tx,
    /// The app's own random stream.
    pub rng: &'a mut Rng,
    /// Lines for the transcript.
    pub said: &'a mut Vec<String>,
}

impl Cx<'_> {
    /// Sends an IPv4 datagram from the host (OUTPUT, POSTROUTING, the wire).
    /// False when the host could not send it (no route, a hook dropped it).
    pub fn send(&mut self, ip: &[u8]) -> bool {
        self.host.send_datagram(self.now, ip, self.tx)
    }

    /// Reports an event in the transcript.
    pub fn say(&mut self, line: String) {
        self.said.push(line);
    }

    /// Binds `port` for this app. False when it is taken.
    pub fn bind(&mut self, proto: SockProto, port: u16, remote: Option<(Ipv4Addr, u16)>) -> bool {
        self.host.sockets.claim(proto, port, remote, self.owner)
    }

    /// The source address the host picks to reach `dst`
    /// (`inet_select_addr` on the route's device), if it has a route.
    pub fn source_for(&self, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        if self.host.is_local_addr(dst) {
            return Some(dst);
        }
        let route = self.host.routes().lookup(dst)?;
        self.host.iface(route.dev?)?.select_addr(route.next_hop(dst))
    }

    /// A free local port from the ephemeral range (32768–60999,
    /// `ip_local_port_range`), drawn at random as Linux does.
    pub fn ephemeral_port(&mut self, proto: SockProto) -> Option<u16> {
        const LOW: u32 = 32768;
        const COUNT: u32 = 60999 - 32768 + 1;
        let start = self.rng.below(COUNT);
        (0..COUNT).map(|i| (LOW + (start + i) % COUNT) as u16).find(|p| !self.host.sockets.in_use(proto, *p))
    }
}

/// `ADDR:PORT`.
pub fn parse_endpoint(s: &str) -> Result<(Ipv4Addr, u16), String> {
    let (a, p) = s.rsplit_once(':').ok_or_else(|| format!("expected ADDR:PORT, got \"{s}\""))?;
    let a = a.parse().map_err(|_| format!("invalid IPv4 address \"{a}\""))?;
    let p = p.parse().map_err(|_| format!("invalid port \"{p}\""))?;
    Ok((a, p))
}

/// An ICMP error, described for the app it was delivered to
/// (`icmp destination unreachable (host unreachable) from 192.168.1.1`).
pub fn icmp_error_text(ip: &[u8]) -> Option<String> {
    use crate::wire::{IpProtocol, Ipv4Packet, icmp};
    let p = Ipv4Packet::new_checked(ip).ok()?;
    if p.next_header() != IpProtocol::Icmp {
        return None;
    }
    let l4 = p.payload();
    let (&t, &c) = (l4.first()?, l4.get(1)?);
    if !icmp::is_error(t) {
        return None;
    }
    let what = match (t, c) {
        (3, 0) => "net unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "fragmentation needed",
        (3, 9) | (3, 10) | (3, 13) => "administratively prohibited",
        (3, _) => "destination unreachable",
        (11, _) => "time exceeded",
        (12, _) => "parameter problem",
        _ => "error",
    };
    Some(format!("icmp {what} from {}", p.src_addr()))
}
