//! What became of a packet: its fate, why it was dropped, what the box
//! answered, and the trait through which the box's frames leave it.

use crate::engine::Instant;
use crate::net::Iface;
use crate::netfilter::Hook;
use crate::skb::IfIndex;
use std::fmt;

/// Where frames the box emits go.
pub trait Tx {
    /// `frame` (Ethernet) leaves the box by `iface` at `now`.
    fn transmit(&mut self, now: Instant, iface: &Iface, frame: &[u8]);
}

/// What became of a packet that arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Delivered to the box itself (it passed INPUT).
    Local,
    /// Routed through the box and sent out of `oif`.
    Forwarded {
        /// The egress interface.
        oif: IfIndex,
    },
    /// Bridged (not routed) out of these ports: a mask of interface indexes.
    Bridged {
        /// Bit `i` set: sent out of interface `i`.
        ports: u64,
    },
    /// An ARP frame, handled by the neighbour layer.
    Arp,
    /// A fragment held until its datagram is complete.
    Queued,
    /// Discarded.
    Dropped(DropReason),
}

impl Fate {
    /// For a bridged packet, the ports it left by, in index order.
    pub fn bridge_ports(self) -> impl Iterator<Item = IfIndex> {
        let mask = if let Fate::Bridged { ports } = self { ports } else { 0 };
        (0..64).filter(move |i| mask & (1u64 << i) != 0)
    }
}

/// Why a packet was discarded: the kernel's reason, in our words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Bytes that do not parse as what they claim (which header, what is wrong).
    Malformed(&'static str),
    /// A frame for another host's MAC (`PACKET_OTHERHOST`).
    OtherHost,
    /// A VLAN-tagged frame for which no VLAN device exists.
    NoVlanDevice(u16),
    /// The interface is down.
    InterfaceDown,
    /// A protocol the box does not model yet (IPv6 and other ethertypes).
    Unsupported(u16),
    /// Source address no packet may come from (multicast, broadcast, loopback, own).
    MartianSource,
    /// Destination address no packet may go to (0.0.0.0/8, loopback from outside).
    MartianDestination,
    /// Multicast to a group the box has not joined.
    MulticastNotJoined,
    /// Failed the reverse-path filter (`rp_filter`).
    RpFilter,
    /// Routed through the box, but `ip_forward` is off.
    ForwardingDisabled,
    /// Broadcast or multicast frames are never forwarded.
    NotForwardable,
    /// No route to the destination.
    NoRoute,
    /// A `blackhole` route.
    Blackhole,
    /// An `unreachable` route.
    Unreachable,
    /// A `prohibit` route.
    Prohibit,
    /// TTL ran out in forwarding.
    TtlExceeded,
    /// Larger than the egress MTU with DF set.
    FragNeeded,
    /// A netfilter hook dropped it.
    Netfilter(Hook),
    /// A bridge had no port to send it out of (its destination is behind
    /// the port it came in by).
    BridgeFiltered,
    /// Delivered locally to a port or protocol nothing listens on.
    NoSocket,
    /// Bad transport checksum in local delivery.
    BadChecksum,
    /// Local delivery of something the box ignores (an ICMP reply, a RST...).
    Ignored,
    /// Reassembly failed: an overlap, a length that disagrees, too big...
    Reassembly(&'static str),
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Malformed(what) => write!(f, "malformed: {what}"),
            DropReason::OtherHost => f.write_str("otherhost"),
            DropReason::NoVlanDevice(vid) => write!(f, "no-vlan-device {vid}"),
            DropReason::InterfaceDown => f.write_str("interface-down"),
            DropReason::Unsupported(et) => write!(f, "unsupported ethertype 0x{et:04x}"),
            DropReason::MartianSource => f.write_str("martian-source"),
            DropReason::MartianDestination => f.write_str("martian-destination"),
            DropReason::MulticastNotJoined => f.write_str("multicast-not-joined"),
            DropReason::RpFilter => f.write_str("rp-filter"),
            DropReason::ForwardingDisabled => f.write_str("forwarding-disabled"),
            DropReason::NotForwardable => f.write_str("not-forwardable"),
            DropReason::NoRoute => f.write_str("no-route"),
            DropReason::Blackhole => f.write_str("blackhole-route"),
            DropReason::Unreachable => f.write_str("unreachable-route"),
            DropReason::Prohibit => f.write_str("prohibit-route"),
            DropReason::TtlExceeded => f.write_str("ttl-exceeded"),
            DropReason::FragNeeded => f.write_str("frag-needed"),
            DropReason::Netfilter(hook) => write!(f, "netfilter {hook}"),
            DropReason::BridgeFiltered => f.write_str("bridge-filtered"),
            DropReason::NoSocket => f.write_str("no-socket"),
            DropReason::BadChecksum => f.write_str("bad-checksum"),
            DropReason::Ignored => f.write_str("ignored"),
            DropReason::Reassembly(why) => write!(f, "reassembly: {why}"),
        }
    }
}

/// What the box sent back in answer to a packet, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// An ICMP error of this type and code.
    IcmpError(u8, u8),
    /// An ICMP echo reply.
    EchoReply,
    /// A TCP reset.
    TcpReset,
    /// An ARP reply.
    ArpReply,
    /// An ICMP error or reply was due but rate-limited.
    RateLimited,
}

/// The result of handing one frame to the box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What became of the frame.
    pub fate: Fate,
    /// What the box sent back, if anything.
    pub reply: Option<Reply>,
}

impl Outcome {
    pub(crate) fn drop(reason: DropReason) -> Outcome {
        Outcome { fate: Fate::Dropped(reason), reply: None }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::IcmpError(t, c) => write!(f, "icmp {t}/{c}"),
            Reply::EchoReply => f.write_str("echo-reply"),
            Reply::TcpReset => f.write_str("tcp-reset"),
            Reply::ArpReply => f.write_str("arp-reply"),
            Reply::RateLimited => f.write_str("rate-limited"),
        }
    }
}

impl super::Host {
    /// What became of a packet, in words, with the box's interface names:
    /// `forwarded out wan0`, `dropped (netfilter FORWARD)`.
    pub fn fate_text(&self, fate: Fate) -> String {
        let name = |i: IfIndex| self.iface(i).map_or("?", |f| f.name.as_str());
        match fate {
            Fate::Local => "delivered locally".to_string(),
            Fate::Forwarded { oif } => format!("forwarded out {}", name(oif)),
            Fate::Bridged { .. } => {
                let names: Vec<&str> = fate.bridge_ports().map(name).collect();
                format!("bridged out {}", names.join(","))
            }
            Fate::Arp => "ARP, handled by the neighbour layer".to_string(),
            Fate::Queued => "held for reassembly".to_string(),
            Fate::Dropped(r) => format!("dropped ({r})"),
        }
    }
}
