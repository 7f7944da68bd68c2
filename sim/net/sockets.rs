//! The socket demux: which of the box's applications a locally delivered
//! packet belongs to (`__inet_lookup`, `__udp4_lib_lookup`, `ping_lookup`).
//!
//! Applications live above `net` (in `apps`), so the stack does not call
//! them: it looks the packet up here after INPUT and, when an endpoint
//! claims it, queues the datagram in [`Sockets::delivered`] for the
//! simulator to hand over. A packet no endpoint claims gets the answer of a
//! box with no services, as before (echo reply, RST, port unreachable).
//!
//! Lookup order is the kernel's: a connected socket (its remote address and
//! port match) before a bound one (local port only). ICMP errors belong to
//! the socket of the datagram they quote, as `icmp_unreach` hands them to
//! the transport's `err_handler`.

use crate::wire::{IcmpPacket, IpProtocol, Ipv4Packet, icmp};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Who owns a claim: an opaque number the simulator chose.
pub type Owner = u32;

/// The transport a claim is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SockProto {
    /// TCP, by local port.
    Tcp,
    /// UDP, by local port.
    Udp,
    /// ICMP echo ("ping sockets"), by echo identifier.
    Ping,
}

/// A claim's key: protocol, local port, and the remote end when connected.
type ClaimKey = (SockProto, u16, Option<(Ipv4Addr, u16)>);

/// The endpoints of one box and the datagrams waiting for them.
#[derive(Clone, Debug, Default)]
pub struct Sockets {
    /// `(proto, local port, remote)` → owner; `remote` is `None` for a
    /// bound (listening) claim.
    claims: BTreeMap<ClaimKey, Owner>,
    /// Datagrams claimed since the simulator last took them, in arrival order.
    pub delivered: Vec<(Owner, Vec<u8>)>,
}

impl Sockets {
    /// True when no endpoint is bound (the stack skips the lookup).
    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }

    /// Binds `port` (and, when connected, the remote end) to `owner`.
    /// Returns false when the exact claim is taken (`EADDRINUSE`).
    pub fn claim(&mut self, proto: SockProto, port: u16, remote: Option<(Ipv4Addr, u16)>, owner: Owner) -> bool {
        use std::collections::btree_map::Entry;
        match self.claims.entry((proto, port, remote)) {
            Entry::Occupied(_) => false,
            Entry::Vacant(v) => {
                v.insert(owner);
                true
            }
        }
    }

    /// Releases a claim.
    pub fn release(&mut self, proto: SockProto, port: u16, remote: Option<(Ipv4Addr, u16)>) {
        self.claims.remove(&(proto, port, remote));
    }

    /// True when something holds `port` for `proto`, connected or not.
    pub fn in_use(&self, proto: SockProto, port: u16) -> bool {
        self.claims.range((proto, port, None)..).next().is_some_and(|((p, q, _), _)| *p == proto && *q == port)
    }

    /// The owner of `(proto, port)` for a packet from `remote`.
    pub fn lookup(&self, proto: SockProto, port: u16, remote: (Ipv4Addr, u16)) -> Option<Owner> {
        self.claims.get(&(proto, port, Some(remote))).or_else(|| self.claims.get(&(proto, port, None))).copied()
    }

    /// The owner of a locally delivered IPv4 datagram, if any: by its
    /// transport header, or for an ICMP error by the datagram it quotes
    /// (which we sent: its source port is ours).
    pub fn owner_of(&self, ip: &[u8]) -> Option<Owner> {
        let pkt = Ipv4Packet::new_unchecked(ip);
        let src = pkt.src_addr();
        let l4 = pkt.payload();
        let ports =
            |b: &[u8]| (b.len() >= 4).then(|| (u16::from_be_bytes([b[0], b[1]]), u16::from_be_bytes([b[2], b[3]])));
        match pkt.next_header() {
            IpProtocol::Tcp => ports(l4).and_then(|(sp, dp)| self.lookup(SockProto::Tcp, dp, (src, sp))),
            IpProtocol::Udp => ports(l4).and_then(|(sp, dp)| self.lookup(SockProto::Udp, dp, (src, sp))),
            IpProtocol::Icmp => self.icmp_owner(l4),
            _ => None,
        }
    }

    fn icmp_owner(&self, l4: &[u8]) -> Option<Owner> {
        let msg = IcmpPacket::new_checked(l4).ok()?;
        let t = msg.msg_type();
        if t == icmp::types::ECHO_REPLY {
            let id = u16::from_be_bytes([l4[4], l4[5]]);
            return self.lookup(SockProto::Ping, id, (Ipv4Addr::UNSPECIFIED, 0));
        }
        if !icmp::is_error(t) {
            return None;
        }
        // The quoted datagram went from us to them: its source port is ours.
        let quoted = msg.data();
        let inner = Ipv4Packet::new_checked(quoted).ok()?;
        let hl = inner.header_len();
        let b = quoted.get(hl..hl + 8)?;
        let (sp, dp) = (u16::from_be_bytes([b[0], b[1]]), u16::from_be_bytes([b[2], b[3]]));
        let remote = (inner.dst_addr(), dp);
        match inner.next_header() {
            IpProtocol::Tcp => self.lookup(SockProto::Tcp, sp, remote),
            IpProtocol::Udp => self.lookup(SockProto::Udp, sp, remote),
            IpProtocol::Icmp => {
                let id = u16::from_be_bytes([b[4], b[5]]);
                self.lookup(SockProto::Ping, id, (Ipv4Addr::UNSPECIFIED, 0))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn connected_claims_win_over_bound_ones() {
        let mut s = Sockets::default();
        let peer = (Ipv4Addr::new(10, 0, 0, 2), 4000);
        assert!(s.claim(SockProto::Tcp, 80, None, 1));
        assert!(s.claim(SockProto::Tcp, 80, Some(peer), 2));
        assert!(!s.claim(SockProto::Tcp, 80, None, 3));
        assert_eq!(s.lookup(SockProto::Tcp, 80, peer), Some(2));
        assert_eq!(s.lookup(SockProto::Tcp, 80, (peer.0, 4001)), Some(1));
        assert_eq!(s.lookup(SockProto::Udp, 80, peer), None);
        assert!(s.in_use(SockProto::Tcp, 80));
        s.release(SockProto::Tcp, 80, None);
        assert_eq!(s.lookup(SockProto::Tcp, 80, (peer.0, 4001)), None);
        assert!(s.in_use(SockProto::Tcp, 80));
        assert!(!s.in_use(SockProto::Tcp, 81));
    }
}
