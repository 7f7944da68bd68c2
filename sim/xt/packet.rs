//! What a match or target sees of a packet: the [`PacketView`] trait, the
//! conntrack facts it may ask for, the side effects targets request, and
//! [`TestPacket`], a self-contained implementation over raw IPv4 bytes.
//!
//! Header fields are read from the raw bytes with the small, bounds-checked
//! readers here (the wire layer's views will replace them): a reader returns
//! `None` rather than panic on a short packet, and matches treat `None` as the
//! kernel does (no match, or hotdrop for a truncated TCP/UDP header).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::Hook;
use super::matches::recent::RecentTable;
use crate::engine::{Instant, Rng};
use crate::net::iface::IfName;

/// Conntrack state as `-m state`/`--ctstate` see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CtState {
    /// No valid conntrack entry.
    #[default]
    Invalid,
    /// First packet(s) of a connection.
    New,
    /// Reply seen.
    Established,
    /// Expected by a helper or an ICMP error about a known connection.
    Related,
    /// `-j CT --notrack`/NOTRACK.
    Untracked,
}

/// One direction's tuple as conntrack stored it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtTuple {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Source port (ICMP: id).
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

impl CtTuple {
    /// All zero: no tuple.
    pub const ZERO: CtTuple = CtTuple { src: Ipv4Addr::UNSPECIFIED, dst: Ipv4Addr::UNSPECIFIED, sport: 0, dport: 0 };
}

impl Default for CtTuple {
    fn default() -> Self {
        CtTuple::ZERO
    }
}

/// What conntrack knows about the packet's connection; the conntrack layer
/// fills it, stateless tests leave it default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CtFacts {
    /// The state (`ctinfo`).
    pub state: CtState,
    /// Layer-4 protocol of the connection.
    pub proto: u8,
    /// Original-direction tuple.
    pub orig: CtTuple,
    /// Reply-direction tuple.
    pub reply: CtTuple,
    /// Status bits (IPS_EXPECTED 1, SEEN_REPLY 2, ASSURED 4, CONFIRMED 8, SRC_NAT 16, DST_NAT 32).
    pub status: u32,
    /// Seconds until the entry expires.
    pub expires_secs: u32,
    /// The packet travels in the reply direction.
    pub reply_dir: bool,
    /// Connection mark.
    pub mark: u32,
    /// Name of the helper attached, if any.
    pub helper: Option<&'static str>,
    /// Name of the helper of this connection's master, for a connection a
    /// helper expected (what `-m helper` compares: xt_helper reads the
    /// master's helper, so only RELATED connections can match).
    pub master_helper: Option<&'static str>,
    /// Packets and bytes per direction (original, reply).
    pub packets: [u64; 2],
    /// Bytes per direction.
    pub bytes: [u64; 2],
    /// Connections counted by connlimit for this packet's group.
    pub conn_count: u32,
}

/// `skb->pkt_type` PACKET_HOST: addressed to this host.
pub const PKT_HOST: u8 = 0;
/// `skb->pkt_type` PACKET_BROADCAST: link-layer broadcast.
pub const PKT_BROADCAST: u8 = 1;
/// `skb->pkt_type` PACKET_MULTICAST: link-layer multicast.
pub const PKT_MULTICAST: u8 = 2;
/// `skb->pkt_type` PACKET_OTHERHOST: addressed to another host.
pub const PKT_OTHERHOST: u8 = 3;
/// `skb->pkt_type` PACKET_LOOPBACK: a multicast copy looped back locally;
/// pkttype reports it as multicast or broadcast by the IPv4 destination.
pub const PKT_LOOPBACK: u8 = 5;

/// The credentials `-m owner` compares: those of the socket's file (the
/// opener's fsuid, fsgid and supplementary groups).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SockCred {
    /// File system uid.
    pub uid: u32,
    /// File system gid.
    pub gid: u32,
    /// Supplementary groups (`--suppl-groups`).
    pub groups: Vec<u32>,
}

/// The local socket a packet belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SockOwner {
    /// The socket's file credentials; `None` for a socket without a file
    /// (its process closed it, or a kernel socket), which only
    /// `--socket-exists` can match.
    pub cred: Option<SockCred>,
}

/// The bridge ports of a bridged packet; a port is `None` when not known
/// at this hook (no output port before the bridge has decided).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BridgePorts<'a> {
    /// The bridge port the frame arrived on.
    pub phys_in: Option<&'a str>,
    /// The bridge port the frame will leave by.
    pub phys_out: Option<&'a str>,
}

/// A side effect a target asks of the box (the netfilter layer carries it out).
#[derive(Debug)]
pub enum Action<'a> {
    /// LOG: print a kernel log line.
    Log(&'a crate::xt::targets::log::Log),
    /// REJECT: answer with this ICMP or a TCP reset, then drop.
    Reject(crate::xt::targets::reject::RejectWith),
    /// Any other target whose effect the box applies itself (NAT, CT, TCPMSS...).
    Target(&'a dyn crate::xt::Target),
    /// Set the connection mark.
    SetCtMark(u32),
    /// NFLOG: hand the packet to the nfnetlink_log group.
    Nflog(&'a crate::xt::targets::nflog::Nflog),
    /// TTL: rewrite the IPv4 TTL to this value (the box fixes the checksum).
    SetTtl(u8),
    /// TOS/DSCP: rewrite the IPv4 TOS byte to this value (checksum fixed by the box).
    SetTos(u8),
    /// CLASSIFY: set `skb->priority` (the qdisc class, `major << 16 | minor`).
    SetPriority(u32),
    /// `CT --notrack` / NOTRACK: conntrack leaves the packet alone.
    Untrack,
    /// `CT --zone`: the conntrack zone the packet is tracked in.
    SetZone(u16),
    /// SNAT, DNAT, MASQUERADE, REDIRECT, NETMAP: bind the connection.
    Nat(crate::nat::Request),
    /// `CT --helper`: the connection this packet creates gets the helper.
    SetHelper(crate::conntrack::helper::Helper),
}

/// The packet context matches and targets evaluate against.
pub trait PacketView {
    /// The IPv4 datagram, header first.
    fn ip(&self) -> &[u8];
    /// The hook being traversed.
    fn hook(&self) -> Hook;
    /// Input interface name ("" if none).
    fn in_iface(&self) -> &str;
    /// Output interface name ("" if none).
    fn out_iface(&self) -> &str;
    /// Both names in the fixed-size form rule walks compare against; a view
    /// that keeps them prebuilt (as the box does per interface) hands them
    /// out without building them again for each walk.
    fn devs(&self) -> (IfName, IfName) {
        (IfName::new(self.in_iface()), IfName::new(self.out_iface()))
    }
    /// The packet mark.
    fn mark(&self) -> u32;
    /// Sets the packet mark.
    fn set_mark(&mut self, mark: u32);
    /// The virtual time now.
    fn now(&self) -> Instant;
    /// Conntrack facts (`None`: conntrack has not seen the packet = INVALID).
    fn ct(&self) -> Option<&CtFacts> {
        None
    }
    /// The two facts `-m state` and `--ctstate` read, the state and the
    /// entry's status bits, as [`PacketView::ct`] gives them: a view may
    /// answer without gathering the rest of the entry's facts.
    fn ct_state(&self) -> Option<(CtState, u32)> {
        self.ct().map(|c| (c.state, c.status))
    }
    /// The link-layer header (Ethernet: 14 bytes), if any.
    fn link_header(&self) -> Option<&[u8]> {
        None
    }
    /// The route type of `addr` (RTN_*: 1 unicast, 2 local, 3 broadcast, 5
    /// multicast ...), as `-m addrtype` asks the routing table; `dev`
    /// restricts the lookup to one interface. The default knows only what
    /// needs no routing table.
    fn addr_type(&self, addr: Ipv4Addr, _dev: Option<&str>) -> u8 {
        if addr.is_broadcast() {
            3
        } else if addr.is_multicast() {
            5
        } else if addr.is_unspecified() {
            0
        } else {
            1
        }
    }
    /// The link-layer class of the packet, `skb->pkt_type` as `-m pkttype`
    /// reads it ([`PKT_HOST`], [`PKT_BROADCAST`], [`PKT_MULTICAST`] ...).
    /// The default derives it from the destination MAC of the link header:
    /// IPv4 drops frames for other hosts before PREROUTING, so what is left
    /// is broadcast, multicast or ours; locally generated packets (no link
    /// header) are `PKT_HOST`.
    fn pkt_type(&self) -> u8 {
        match self.link_header() {
            Some(h) if h.len() >= 6 && h[..6] == [0xff; 6] => PKT_BROADCAST,
            Some(h) if !h.is_empty() && h[0] & 1 != 0 => PKT_MULTICAST,
            _ => PKT_HOST,
        }
    }
    /// The full local socket the packet belongs to, as `-m owner` sees it
    /// (`skb->sk`). The default, `None`, means no socket: forwarded packets,
    /// and those the kernel sends on its own (RST, ICMP errors).
    fn sock_owner(&self) -> Option<SockOwner> {
        None
    }
    /// The bridge ports of a packet that crossed a bridge (br_netfilter's
    /// `nf_bridge_info`), as `-m physdev` sees them. The default, `None`,
    /// means "not bridged" (or, in OUTPUT, not known yet).
    fn bridge_ports(&self) -> Option<BridgePorts<'_>> {
        None
    }
    /// How many connections conntrack holds whose source (or, with
    /// `by_dst`, destination) address equals `addr` under the `/prefix`
    /// mask, counting the packet's own connection, as xt_connlimit's
    /// per-rule count does. The default, for boxes without a conntrack
    /// table, is [`CtFacts::conn_count`] (0 when there is no entry).
    fn connlimit_count(&mut self, _addr: Ipv4Addr, _prefix: u8, _by_dst: bool) -> u32 {
        self.ct().map_or(0, |c| c.conn_count)
    }
    /// The box's `-m recent` lists by name (shared by all rules of the box,
    /// as xt_recent's per-netns tables are). The default `None` makes each
    /// recent match keep a private list of its own.
    fn recent_tables(&mut self) -> Option<&mut BTreeMap<String, RecentTable>> {
        None
    }
    /// One random 32-bit value from the box's seeded stream (statistic).
    fn random_u32(&mut self) -> u32;
    /// Performs a target's side effect.
    fn act(&mut self, action: Action);
}

/// The fields of an IPv4 header matches need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Fields {
    /// Header length in bytes.
    pub ihl: usize,
    /// TOS byte.
    pub tos: u8,
    /// Total length.
    pub total_len: u16,
    /// Fragment offset in 8-byte units.
    pub frag_off: u16,
    /// More-fragments flag.
    pub more_frags: bool,
    /// TTL.
    pub ttl: u8,
    /// Protocol.
    pub proto: u8,
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
}

/// Reads the IPv4 header, `None` if it is shorter than its IHL says.
pub fn ipv4(b: &[u8]) -> Option<Ipv4Fields> {
    if b.len() < 20 || b[0] >> 4 != 4 {
        return None;
    }
    let ihl = ((b[0] & 0x0f) as usize) * 4;
    if ihl < 20 || b.len() < ihl {
        return None;
    }
    let frag = u16::from_be_bytes([b[6], b[7]]);
    Some(Ipv4Fields {
        ihl,
        tos: b[1],
        total_len: u16::from_be_bytes([b[2], b[3]]),
        frag_off: frag & 0x1fff,
        more_frags: frag & 0x2000 != 0,
        ttl: b[8],
        proto: b[9],
        src: Ipv4Addr::new(b[12], b[13], b[14], b[15]),
        dst: Ipv4Addr::new(b[16], b[17], b[18], b[19]),
    })
}

/// Whether [`ipv4`] reads a header from `b` (a version 4 header whose
/// length is whole), without reading its fields.
#[inline]
pub fn is_ipv4(b: &[u8]) -> bool {
    let ihl = b.first().map_or(0, |v| (v & 0x0f) as usize * 4);
    b.len() >= 20 && b[0] >> 4 == 4 && ihl >= 20 && b.len() >= ihl
}

/// The transport header and payload (after the IP header), with the header's
/// fields; `None` if the IP header is bad.
pub fn l4(b: &[u8]) -> Option<(Ipv4Fields, &[u8])> {
    let ip = ipv4(b)?;
    Some((ip, &b[ip.ihl..]))
}

/// Source and destination ports of a TCP/UDP-like header.
pub fn ports(l4: &[u8]) -> Option<(u16, u16)> {
    (l4.len() >= 4).then(|| (u16::from_be_bytes([l4[0], l4[1]]), u16::from_be_bytes([l4[2], l4[3]])))
}

/// A packet for tests and the bench: raw IPv4 bytes plus metadata; records
/// the actions targets ask for as text.
#[derive(Clone, Debug)]
pub struct TestPacket {
    /// The IPv4 datagram.
    pub bytes: Vec<u8>,
    /// Hook being traversed.
    pub hook: Hook,
    /// Input interface.
    pub iif: String,
    /// Output interface.
    pub oif: String,
    /// Packet mark.
    pub mark: u32,
    /// Virtual time.
    pub now: Instant,
    /// Conntrack facts, if any.
    pub ct: Option<CtFacts>,
    /// Ethernet header, if any.
    pub link: Option<Vec<u8>>,
    /// Random stream for statistic.
    pub rng: Rng,
    /// Actions requested, in order, as `NAME` or `LOG prefix`.
    pub actions: Vec<String>,
    /// `-m recent` lists shared by the rules that see this packet.
    pub recent: BTreeMap<String, RecentTable>,
}

impl TestPacket {
    /// A packet from raw IPv4 bytes at `hook`.
    pub fn new(bytes: Vec<u8>, hook: Hook) -> TestPacket {
        TestPacket {
            bytes,
            hook,
            iif: String::new(),
            oif: String::new(),
            mark: 0,
            now: Instant::ZERO,
            ct: None,
            link: None,
            rng: Rng::new(0).fork("xt-test"),
            actions: Vec::new(),
            recent: BTreeMap::new(),
        }
    }

    /// Builds an IPv4 packet: 20-byte header with `proto`, then `l4` bytes.
    pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, l4: &[u8]) -> Vec<u8> {
        let total = 20 + l4.len();
        let mut b = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0, 0, 64, proto];
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&src);
        b.extend_from_slice(&dst);
        b.extend_from_slice(l4);
        b
    }

    /// A TCP segment: ports, flags byte, a 20-byte header and no payload.
    pub fn tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8) -> Vec<u8> {
        let mut t = vec![0u8; 20];
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[12] = 5 << 4;
        t[13] = flags;
        TestPacket::ipv4(src, dst, 6, &t)
    }

    /// A UDP datagram with an empty payload.
    pub fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut u = vec![0u8; 8];
        u[0..2].copy_from_slice(&sport.to_be_bytes());
        u[2..4].copy_from_slice(&dport.to_be_bytes());
        u[5] = 8;
        TestPacket::ipv4(src, dst, 17, &u)
    }

    /// An ICMP message of `typ`/`code` with 4 more header bytes.
    pub fn icmp(src: [u8; 4], dst: [u8; 4], typ: u8, code: u8) -> Vec<u8> {
        TestPacket::ipv4(src, dst, 1, &[typ, code, 0, 0, 0, 0, 0, 0])
    }
}

impl PacketView for TestPacket {
    fn ip(&self) -> &[u8] {
        &self.bytes
    }
    fn hook(&self) -> Hook {
        self.hook
    }
    fn in_iface(&self) -> &str {
        &self.iif
    }
    fn out_iface(&self) -> &str {
        &self.oif
    }
    fn mark(&self) -> u32 {
        self.mark
    }
    fn set_mark(&mut self, mark: u32) {
        self.mark = mark;
    }
    fn now(&self) -> Instant {
        self.now
    }
    fn ct(&self) -> Option<&CtFacts> {
        self.ct.as_ref()
    }
    fn link_header(&self) -> Option<&[u8]> {
        self.link.as_deref()
    }
    fn recent_tables(&mut self) -> Option<&mut BTreeMap<String, RecentTable>> {
        Some(&mut self.recent)
    }
    fn random_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }
    fn act(&mut self, action: Action) {
        let text = match action {
            Action::Log(l) => format!("LOG {}", l.prefix),
            Action::Reject(r) => format!("REJECT {}", r.name()),
            Action::Target(t) => t.name().to_string(),
            Action::SetCtMark(m) => format!("CTMARK {m:#x}"),
            Action::SetHelper(h) => format!("HELPER {}", h.name()),
            Action::Nflog(n) => format!("NFLOG {} {}", n.group, n.prefix),
            Action::SetTtl(t) => {
                // Applied so later rules see it (checksum left to the box).
                if self.bytes.len() > 8 {
                    self.bytes[8] = t;
                }
                format!("TTL {t}")
            }
            Action::SetTos(t) => {
                if self.bytes.len() > 1 {
                    self.bytes[1] = t;
                }
                format!("TOS {t:#04x}")
            }
            Action::SetPriority(p) => format!("PRIORITY {:x}:{:x}", p >> 16, p & 0xffff),
            Action::Untrack => "UNTRACK".to_string(),
            Action::SetZone(z) => format!("ZONE {z}"),
            Action::Nat(r) => format!("NAT {r:?}"),
        };
        self.actions.push(text);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn is_ipv4_agrees_with_the_reader() {
        let good = TestPacket::udp([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
        let mut cases = vec![Vec::new(), vec![0x45; 10], good.clone(), good[..20].to_vec(), good[..19].to_vec()];
        for first in [0x44, 0x46, 0x4f, 0x55, 0x65, 0x05] {
            let mut b = good.clone();
            b[0] = first;
            cases.push(b);
        }
        for b in cases {
            assert_eq!(is_ipv4(&b), ipv4(&b).is_some(), "{b:?}");
        }
    }

    #[test]
    fn ipv4_reader_refuses_short_and_non_v4() {
        assert!(ipv4(&[0x45; 10]).is_none());
        let mut b = TestPacket::udp([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
        assert_eq!(ipv4(&b).unwrap().src, Ipv4Addr::new(1, 2, 3, 4));
        b[0] = 0x65;
        assert!(ipv4(&b).is_none());
    }

    #[test]
    fn ports_come_from_the_transport_header() {
        let b = TestPacket::tcp([1, 2, 3, 4], [5, 6, 7, 8], 1000, 80, 0x02);
        let (ip, t) = l4(&b).unwrap();
        assert_eq!(ip.proto, 6);
        assert_eq!(ports(t), Some((1000, 80)));
    }
}
