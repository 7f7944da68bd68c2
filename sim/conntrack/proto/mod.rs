//! Layer-4 trackers (`struct nf_conntrack_l4proto`): one file per protocol.
//!
//! A tracker knows how to take the port parts of a tuple from its header
//! ([`L4Tracker::pkt_to_tuple`]), how to invert them, and what one packet
//! does to a connection ([`L4Tracker::packet`]): the timeout to refresh to,
//! status bits to set, or a refusal (INVALID, optionally DROP) with the
//! message `nf_conntrack_log_invalid` would print ([`log`]). Trackers are
//! pure functions of the packet, the entry's protocol state and the
//! sysctls; the core applies what they return. TCP keeps more state than a
//! word (its window data, beside the table) and is called as [`tcp::packet`].

pub mod generic;
mod gre;
pub mod icmp;
pub mod log;
pub mod tcp;
pub mod udp;

use super::conn::CtInfo;
use super::tuple::{Tuple, proto_num};
use crate::kernel::Sysctls;

/// What a tracker sees of one packet.
#[derive(Clone, Copy, Debug)]
pub struct PacketCtx<'a> {
    /// The IPv4 datagram (bounded by its total length).
    pub ip: &'a [u8],
    /// The layer-4 header and payload.
    pub l4: &'a [u8],
    /// The packet's ctinfo.
    pub info: CtInfo,
    /// Status bits of the entry before this packet.
    pub status: u16,
    /// Conntrack ran in PREROUTING (checksums are only verified there).
    pub prerouting: bool,
    /// Jiffies now (wrapping, as entries store them).
    pub now: u32,
    /// The box's sysctls, read now.
    pub sysctls: &'a Sysctls,
    /// The entry's sequence adjustment, ORIGINAL then REPLY, when a NAT
    /// helper changed a payload length (TCP's window check undoes it).
    pub seqadj: Option<[crate::conntrack::seqadj::SeqAdjDir; 2]>,
}

#[cfg(test)]
impl<'a> PacketCtx<'a> {
    /// The first packet of a new connection, seen in PREROUTING at jiffy
    /// 0, its layer-4 header after a 20-byte IPv4 header: trackers' tests.
    pub fn first(ip: &'a [u8], sysctls: &'a Sysctls) -> PacketCtx<'a> {
        PacketCtx { ip, l4: &ip[20..], info: CtInfo::New, status: 0, prerouting: true, now: 0, sysctls, seqadj: None }
    }
}

/// What the tracker decided about a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4Verdict {
    /// Accept: refresh the timeout to `timeout_secs` and OR `set_status` in.
    Accept {
        /// Seconds to refresh to (a sysctl's value; negatives mean "now").
        timeout_secs: i64,
        /// Status bits to set (e.g. ASSURED).
        set_status: u16,
    },
    /// Accept, leaving the timeout alone (TCP: an ignored segment, a
    /// retransmitted SYN). Accounting is not updated either.
    AcceptUnrefreshed,
    /// Accept, then destroy the entry (TCP: a RST as the only answer).
    AcceptKill,
    /// Not a valid part of the connection: the packet goes on as INVALID.
    /// The message is what `nf_conntrack_log_invalid` prints ("" for none).
    Invalid(&'static str),
    /// INVALID, and the entry now expires in this many jiffies (TCP: an
    /// out-of-window FIN/RST answering one from the other side).
    InvalidExpireIn(u32),
    /// Invalid, and conntrack drops the packet itself.
    Drop(&'static str),
    /// The entry must go and the packet be looked up again (TCP: a SYN
    /// reopening a closed connection, the kernel's NF_REPEAT).
    Repeat,
}

/// One protocol's tracker.
pub trait L4Tracker: Sync {
    /// The protocol number.
    fn proto(&self) -> u8;

    /// Fills the port parts of `t` from the layer-4 header; false if too short.
    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool;

    /// The tuple of the other direction; `None` if there is none.
    fn invert(&self, t: &Tuple) -> Option<Tuple> {
        t.invert()
    }

    /// Processes one packet of the connection whose protocol word is `state`.
    /// TCP, whose state is more than a word, does not come here: the core
    /// calls [`tcp::packet`] (this default refuses, silently).
    fn packet(&self, _ctx: &PacketCtx<'_>, _state: &mut u32) -> L4Verdict {
        L4Verdict::Invalid("")
    }

    /// A clash at confirmation may be resolved instead of dropping (`allow_clash`).
    fn allow_clash(&self) -> bool {
        false
    }

    /// The name /proc and conntrack print (`tcp`, `udp`, `icmp`, `unknown` ...).
    fn name(&self) -> &'static str;
}

/// Reads the two 16-bit port fields at the start of a TCP/UDP/SCTP/DCCP header.
#[inline]
pub(crate) fn ports(l4: &[u8], t: &mut Tuple) -> bool {
    if l4.len() < 4 {
        return false;
    }
    t.sport = u16::from_be_bytes([l4[0], l4[1]]);
    t.dport = u16::from_be_bytes([l4[2], l4[3]]);
    true
}

/// The tracker for protocol `proto` (`nf_ct_l4proto_find`).
pub fn tracker(proto: u8) -> &'static dyn L4Tracker {
    match proto {
        proto_num::TCP => &tcp::Tcp,
        proto_num::UDP => &udp::Udp,
        proto_num::UDPLITE => &udp::UdpLite,
        proto_num::ICMP => &icmp::Icmp,
        proto_num::GRE => &gre::Gre,
        _ => &generic::Generic,
    }
}

/// Fills the port parts of `t` for `proto` (`nf_ct_get_tuple`'s switch).
pub fn pkt_to_tuple(proto: u8, l4: &[u8], t: &mut Tuple) -> bool {
    match proto {
        // Port-based protocols without a tracker of their own yet still key
        // by ports, as the kernel does (nf_ct_get_tuple_ports).
        // So do TCP and UDP(-Lite), whose trackers read just that: no call
        // through the tracker table for the common packets.
        proto_num::TCP | proto_num::UDP | proto_num::UDPLITE | proto_num::SCTP | proto_num::DCCP => ports(l4, t),
        p => tracker(p).pkt_to_tuple(l4, t),
    }
}

/// The protocol name conntrack prints for `proto`.
pub fn name(proto: u8) -> &'static str {
    match proto {
        proto_num::TCP => "tcp",
        proto_num::UDP => "udp",
        proto_num::ICMP => "icmp",
        proto_num::UDPLITE => "udplite",
        proto_num::SCTP => "sctp",
        proto_num::DCCP => "dccp",
        proto_num::GRE => "gre",
        58 => "icmpv6",
        _ => "unknown",
    }
}
