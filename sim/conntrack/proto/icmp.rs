//! ICMP (`nf_conntrack_proto_icmp.c`).
//!
//! Queries (echo 8, timestamp 13, info 15, address mask 17) create entries;
//! every accepted packet refreshes to `nf_conntrack_icmp_timeout` (30 s); the
//! entry is kept after the answer and never becomes ASSURED. A packet whose
//! entry was created by anything else (an echo reply with no request: its
//! tuple inverts, so an entry is allocated, then refused here) is INVALID
//! with no log text.
//!
//! Errors (3, 4, 5, 11, 12) never reach this tracker: the core looks the
//! quoted packet up instead ([`error_kind`] classifies the outer header
//! first, as `nf_conntrack_icmpv4_error` does).

use super::{L4Tracker, L4Verdict, PacketCtx};
use crate::conntrack::tuple::Tuple;
use crate::kernel::Sysctl;

/// The ICMP tracker.
pub struct Icmp;

/// The highest ICMP type Linux knows (`NR_ICMP_TYPES`).
pub const NR_ICMP_TYPES: u8 = 18;

/// True for the error types whose payload quotes a datagram (`icmp_is_err`).
pub fn is_error(ty: u8) -> bool {
    matches!(ty, 3 | 4 | 5 | 11 | 12)
}

/// What the outer ICMP header says before any lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A query or answer: tracked like any other protocol.
    NotError,
    /// An error quoting a datagram at this offset of the ICMP message.
    Error,
    /// Refused before lookup (counted `error`), with the log text.
    Refused(&'static str),
}

/// Classifies an ICMP message as `nf_conntrack_icmpv4_error` does: short
/// header, bad checksum (PREROUTING only, `nf_conntrack_checksum` on),
/// unknown type (> 18), then error or not.
pub fn error_kind(ip: &[u8], l4: &[u8], prerouting: bool, sysctls: &crate::kernel::Sysctls) -> ErrorKind {
    if l4.len() < 8 {
        return ErrorKind::Refused("short packet");
    }
    if prerouting && sysctls.enabled(Sysctl::NfConntrackChecksum) && !super::udp::l4_checksum_ok(ip, l4, 1) {
        return ErrorKind::Refused("bad hw icmp checksum");
    }
    if l4[0] > NR_ICMP_TYPES {
        return ErrorKind::Refused("invalid icmp type");
    }
    if is_error(l4[0]) { ErrorKind::Error } else { ErrorKind::NotError }
}

impl L4Tracker for Icmp {
    fn proto(&self) -> u8 {
        1
    }

    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool {
        if l4.len() < 8 {
            return false;
        }
        t.dport = u16::from(l4[0]) << 8 | u16::from(l4[1]);
        t.sport = u16::from_be_bytes([l4[4], l4[5]]);
        true
    }

    /// For ICMP the entry's protocol word holds the ORIGINAL tuple's type,
    /// stored at creation: only entries started by a query are valid.
    fn packet(&self, ctx: &PacketCtx<'_>, orig_type: &mut u32) -> L4Verdict {
        if !matches!(*orig_type, 8 | 13 | 15 | 17) {
            return L4Verdict::Invalid("");
        }
        L4Verdict::Accept { timeout_secs: ctx.sysctls.get(Sysctl::NfConntrackIcmpTimeout), set_status: 0 }
    }

    fn name(&self) -> &'static str {
        "icmp"
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::kernel::Sysctls;

    fn echo(ty: u8) -> Vec<u8> {
        let mut m = vec![ty, 0, 0, 0, 0x12, 0x34, 0, 1];
        let c = crate::wire::checksum::finish(crate::wire::checksum::sum(&m));
        m[2..4].copy_from_slice(&c.to_be_bytes());
        crate::xt::TestPacket::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 1, &m)
    }

    #[test]
    fn tuple_takes_id_type_and_code() {
        let ip = echo(8);
        let mut t = Tuple::default();
        assert!(Icmp.pkt_to_tuple(&ip[20..], &mut t));
        assert_eq!((t.icmp_type(), t.icmp_code(), t.icmp_id()), (8, 0, 0x1234));
        assert!(!Icmp.pkt_to_tuple(&ip[20..27], &mut t));
    }

    #[test]
    fn queries_refresh_to_the_icmp_timeout_and_answers_alone_are_invalid() {
        let s = Sysctls::default();
        let ip = echo(8);
        let ctx = PacketCtx::first(&ip, &s);
        for ty in [8u32, 13, 15, 17] {
            assert_eq!(Icmp.packet(&ctx, &mut { ty }), L4Verdict::Accept { timeout_secs: 30, set_status: 0 });
        }
        for ty in [0u32, 14, 16, 18] {
            assert_eq!(Icmp.packet(&ctx, &mut { ty }), L4Verdict::Invalid(""));
        }
    }

    #[test]
    fn outer_checks_come_in_the_kernels_order() {
        let s = Sysctls::default();
        let ip = echo(8);
        assert_eq!(error_kind(&ip, &ip[20..], true, &s), ErrorKind::NotError);
        assert_eq!(error_kind(&ip, &ip[20..26], true, &s), ErrorKind::Refused("short packet"));
        let mut bad = ip.clone();
        bad[22] ^= 1;
        assert_eq!(error_kind(&bad, &bad[20..], true, &s), ErrorKind::Refused("bad hw icmp checksum"));
        assert_eq!(error_kind(&bad, &bad[20..], false, &s), ErrorKind::NotError);
        let t19 = echo(19);
        assert_eq!(error_kind(&t19, &t19[20..], true, &s), ErrorKind::Refused("invalid icmp type"));
        let e = echo(11);
        assert_eq!(error_kind(&e, &e[20..], true, &s), ErrorKind::Error);
    }
}
