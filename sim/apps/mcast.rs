//! Multicast: `mcast join GROUP PORT [iface IF]` is a UDP socket bound to
//! PORT that joined GROUP (`IP_ADD_MEMBERSHIP`): the host reports the
//! membership by IGMP (see [`crate::net::mcast`]) and from then on
//! accepts datagrams to the group on that interface. `mcast send
//! GROUP:PORT [count N] [interval T] [ttl N] [len N] [from-port N]` sends
//! datagrams to a group as an unconnected UDP socket does: TTL 1 unless
//! `ttl` says otherwise (`IP_MULTICAST_TTL`), out of the device of the
//! route to the group.
//!
//! FIXME: one receiver per port and host (no `SO_REUSEADDR` sharing);
//! no leave (an app never stops); a sender's own host does not get a
//! looped-back copy of what it sends (`IP_MULTICAST_LOOP`), even when it
//! joined the group; no IGMP querier answers, so reports are only the
//! unsolicited ones.

use super::{App, Cx};
use crate::engine::{Duration, Instant};
use crate::kernel::Profile;
use crate::net::mcast::igmp_report;
use crate::net::sockets::SockProto;
use crate::skb::IfIndex;
use crate::wire::{Ipv4Packet, spec};
use std::net::Ipv4Addr;

/// What `mcast join` was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinSpec {
    /// The group.
    pub group: Ipv4Addr,
    /// The UDP port bound.
    pub port: u16,
    /// The interface (`imr_interface`), else the route's.
    pub iface: Option<String>,
}

/// `mcast join`.
pub struct McastJoin {
    spec: JoinSpec,
    dev: Option<IfIndex>,
    /// Unsolicited reports still to send, and when the next is due.
    report_at: Option<Instant>,
    /// Datagrams received.
    pub received: u64,
}

impl McastJoin {
    /// A receiver for `spec`.
    pub fn new(spec: JoinSpec) -> McastJoin {
        McastJoin { spec, dev: None, report_at: None, received: 0 }
    }

    fn name(&self) -> String {
        format!("mcast {}:{}", self.spec.group, self.spec.port)
    }

    /// Sends one membership report out of the joined interface.
    fn report(&self, cx: &mut Cx<'_>) {
        let Some(dev) = self.dev else { return };
        let src = cx.host.iface(dev).and_then(|i| i.addrs.first()).map_or(Ipv4Addr::UNSPECIFIED, |a| a.addr);
        let v3 = cx.host.sysctl.profile() != Profile::Linux24;
        let ip = igmp_report(src, self.spec.group, v3);
        cx.host.send_multicast(cx.now, &ip, dev, cx.tx);
    }
}

impl App for McastJoin {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let g = self.spec.group;
        let dev = match &self.spec.iface {
            Some(name) => cx.host.iface_by_name(name).map(|i| i.index),
            None => cx.host.mc_dev(g),
        };
        let Some(dev) = dev.filter(|_| crate::net::addr::is_multicast(g)) else {
            let why = if crate::net::addr::is_multicast(g) { "No such device" } else { "Invalid argument" };
            return cx.say(format!("{}: {why}", self.name()));
        };
        if !cx.bind(SockProto::Udp, self.spec.port, None) {
            return cx.say(format!("{}: Address already in use", self.name()));
        }
        self.dev = Some(dev);
        let ifname = cx.host.iface(dev).map_or("?", |i| i.name.as_str()).to_string();
        cx.say(format!("{}: joined on {ifname}", self.name()));
        // All hosts is never reported (`igmp_group_added` skips it).
        if cx.host.mc_join(dev, g) && g != crate::net::mcast::ALL_HOSTS {
            // igmp_qrv 2: a report now and one more within the unsolicited
            // report interval (1 s for IGMPv3, 10 s for v2).
            self.report(cx);
            let v3 = cx.host.sysctl.profile() != Profile::Linux24;
            let window_ms = if v3 { 1000 } else { 10_000 };
            self.report_at = Some(cx.now + Duration::from_millis(u64::from(cx.rng.below(window_ms))));
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Ok(p) = Ipv4Packet::new_checked(ip) else { return };
        let l4 = p.payload();
        if p.next_header() != crate::wire::IpProtocol::Udp || l4.len() < 8 {
            return;
        }
        let sport = u16::from_be_bytes([l4[0], l4[1]]);
        self.received += 1;
        let (src, dst, len) = (p.src_addr(), p.dst_addr(), l4.len() - 8);
        cx.say(format!("{}: received {len} bytes from {src}:{sport} to {dst}", self.name()));
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        if self.report_at.is_some_and(|t| t <= cx.now) {
            self.report_at = None;
            self.report(cx);
        }
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.report_at
    }
}

/// What `mcast send` was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendSpec {
    /// The group and port.
    pub group: (Ipv4Addr, u16),
    /// Datagrams.
    pub count: u64,
    /// Between datagrams.
    pub interval: Duration,
    /// `IP_MULTICAST_TTL` (1 by default).
    pub ttl: u8,
    /// Payload bytes.
    pub len: usize,
    /// Local port, else ephemeral.
    pub from_port: Option<u16>,
}

/// `mcast send`.
pub struct McastSend {
    spec: SendSpec,
    local: Option<(Ipv4Addr, u16, IfIndex)>,
    sent: u64,
    next_at: Option<Instant>,
    done: bool,
}

impl McastSend {
    /// A sender for `spec`.
    pub fn new(spec: SendSpec) -> McastSend {
        McastSend { spec, local: None, sent: 0, next_at: None, done: false }
    }

    fn name(&self) -> String {
        format!("mcast send {}:{}", self.spec.group.0, self.spec.group.1)
    }
}

impl App for McastSend {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let g = self.spec.group.0;
        let (Some(dev), Some(src)) = (cx.host.mc_dev(g), cx.source_for(g)) else {
            return cx.say(format!("{}: Network is unreachable", self.name()));
        };
        let port = match self.spec.from_port.or_else(|| cx.ephemeral_port(SockProto::Udp)) {
            Some(port) if cx.bind(SockProto::Udp, port, None) => port,
            _ => return cx.say(format!("{}: Address already in use", self.name())),
        };
        self.local = Some((src, port, dev));
        self.next_at = Some(cx.now);
        self.timer(cx);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        if let Some(err) = super::icmp_error_text(ip) {
            return cx.say(format!("{}: {err}", self.name()));
        }
        let Ok(p) = Ipv4Packet::new_checked(ip) else { return };
        let l4 = p.payload();
        if l4.len() >= 8 {
            let sport = u16::from_be_bytes([l4[0], l4[1]]);
            cx.say(format!("{}: reply {} bytes from {}:{sport}", self.name(), l4.len() - 8, p.src_addr()));
        }
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        let Some((src, sport, dev)) = self.local else { return };
        let (g, gport) = self.spec.group;
        while self.next_at.is_some_and(|t| t <= cx.now) && self.sent < self.spec.count {
            self.sent += 1;
            // A UDP socket sets DF but lets the datagram be fragmented
            // (ignore_df), so it gets a hashed IP ID.
            // 2.4 gave a DF datagram of an unconnected socket ID 0.
            let id =
                if cx.host.sysctl.profile() == Profile::Linux24 { 0 } else { cx.host.ip_ident(cx.now, src, g, 17) };
            let text =
                format!("udp {src}:{sport} > {g}:{gport} len {} ttl {} ipid {id} df", self.spec.len, self.spec.ttl);
            let ip = spec::craft(&text).expect("a well-formed spec").ip;
            if !cx.host.send_multicast(cx.now, &ip, dev, cx.tx) {
                cx.say(format!("{}: Operation not permitted", self.name()));
            }
            self.next_at = (self.sent < self.spec.count).then(|| self.next_at.expect("checked") + self.spec.interval);
        }
        if self.sent == self.spec.count && !self.done {
            // The sender exits: its socket closes and the port is free again.
            self.done = true;
            cx.host.sockets.release(SockProto::Udp, sport, None);
            cx.say(format!("{}: {} sent", self.name(), self.sent));
        }
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.next_at
    }
}

#[cfg(test)]
mod test {
    use crate::scenario::{Options, parse, run};

    /// The app log of every host after running `text`.
    fn run_logs(text: &str) -> Vec<(String, Vec<String>)> {
        let s = parse::parse(text, "t.nfs").expect("parses");
        let out = run::run(&s, &Options::default()).expect("runs");
        out.world.nodes.iter().map(|n| (n.host.name.clone(), n.app_log.clone())).collect()
    }

    const LAN: &str = "host s eth0 10.0.0.1/24 via 10.0.0.254\nhost r eth0 10.0.0.2/24 via 10.0.0.254\n\
                       host q eth0 10.0.0.3/24 via 10.0.0.254\nrouter fw eth0 10.0.0.254/24 eth1 10.9.0.1/24\n\
                       host far eth0 10.9.0.2/24 via 10.9.0.1\n";

    #[test]
    fn only_joined_hosts_receive_and_routers_never_forward() {
        let logs = run_logs(&format!(
            "{LAN}at 0 r mcast join 239.9.9.9 6000\nat 0 q udp listen 6000\nat 0 far mcast join 239.9.9.9 6000\n\
             at 10ms s mcast send 239.9.9.9:6000 ttl 32 len 5 from-port 7000\nrun 1s\n"
        ));
        let log = |h: &str| logs.iter().find(|(n, _)| n == h).map(|(_, l)| l.clone()).unwrap();
        assert_eq!(
            log("r"),
            [
                "mcast 239.9.9.9:6000: joined on eth0",
                "mcast 239.9.9.9:6000: received 5 bytes from 10.0.0.1:7000 to 239.9.9.9"
            ]
        );
        assert!(log("q").is_empty(), "a socket on the port, no membership: nothing");
        assert_eq!(log("far"), ["mcast 239.9.9.9:6000: joined on eth0"]);
        assert_eq!(log("s"), ["mcast send 239.9.9.9:6000: 1 sent"]);
    }

    #[test]
    fn a_join_sends_two_reports_and_a_second_socket_none() {
        let text = format!("{LAN}at 0 r mcast join 239.9.9.9 6000\nat 0 r mcast join 239.9.9.9 6001\nrun 2s\n");
        let s = parse::parse(&text, "t.nfs").unwrap();
        let out = run::run(&s, &Options::default()).unwrap();
        let fw: Vec<&str> = out
            .records
            .iter()
            .filter(|r| r.host == "fw" && r.text.contains("224.0.0.22"))
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(fw.len(), 2, "{fw:?}");
        assert!(fw.iter().all(|l| l.contains("proto 2 10.0.0.2 > 224.0.0.22 len 16 ttl 1 tos 192 df")));
    }

    #[test]
    fn no_route_to_the_group_is_no_such_device() {
        let logs = run_logs(
            "host a eth0 10.0.0.1/24\nat 0 a mcast join 239.1.1.1 5000\nat 0 a mcast send 239.1.1.1:5000\nrun 1s\n",
        );
        assert_eq!(
            logs[0].1,
            ["mcast 239.1.1.1:5000: No such device", "mcast send 239.1.1.1:5000: Network is unreachable"]
        );
        assert!(parse::parse("host a eth0 10.0.0.1/24\na mcast join 10.0.0.9 5000\n", "t").is_err());
    }
}
