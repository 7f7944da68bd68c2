//! Rewriting a packet to a NAT target tuple (`nf_nat_ipv4_manip_pkt` and the
//! per-protocol `*_manip_pkt` of nf_nat_proto.c), with incremental checksum
//! updates (RFC 1624) so a translated packet costs a few word operations.
//!
//! Order and coverage, as the kernel's:
//! - the layer-4 part first, while the IP header still holds the old
//!   address (the pseudo-header update reads it there);
//! - TCP: the port always; the checksum only if the whole 20-byte header is
//!   in the packet (an ICMP error may quote just 8 bytes of it); options and
//!   payload are never touched;
//! - UDP: the checksum only when not zero (zero means "none" and stays so);
//!   an update that comes out 0 is stored as 0xffff; UDP-Lite always;
//! - DCCP like TCP; SCTP's ports only (its CRC32c is not modelled);
//! - ICMP: the echo identifier (the "port" of queries) and the ICMP checksum,
//!   which has no pseudo-header; error messages are left alone here
//!   (see [`super::icmp`]);
//! - other protocols: addresses only;
//! - then the address and the IP header checksum.

use super::Manip;
use crate::conntrack::Tuple;
use crate::conntrack::tuple::proto_num;
use crate::wire::checksum;

/// Why a packet could not be rewritten (the kernel drops it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated;

fn word(data: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([data[at], data[at + 1]])
}

fn put_word(data: &mut [u8], at: usize, v: u16) {
    data[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// The `N` bytes at `at`, which the caller has checked are there (one
/// bounds check for the whole field instead of one per byte).
#[inline(always)]
fn field<const N: usize>(data: &mut [u8], at: usize) -> &mut [u8; N] {
    (&mut data[at..at + N]).try_into().expect("the caller checked the length")
}

/// Rewrites the `manip` side (source or destination address and port) of
/// the IPv4 packet whose header starts at `ip_off` in `data` to `target`'s.
/// `data` runs to the end of the outermost packet: whether a header is
/// "whole" is judged against it, as the kernel judges against `skb->len`.
///
/// Fields are read and written in the kernel's order even where a broken
/// header length makes the L4 header overlap the IP header.
pub fn manip_pkt(data: &mut [u8], ip_off: usize, target: &Tuple, manip: Manip) -> Result<(), Truncated> {
    if data.len() < ip_off + 20 {
        return Err(Truncated);
    }
    let l4 = ip_off + usize::from(data[ip_off] & 0x0f) * 4;
    let src = manip == Manip::Src;
    let addr_off = ip_off + if src { 12 } else { 16 };
    let old_addr = u32::from_be_bytes(*field(data, addr_off));
    let (new_addr, new_port) = if src { (target.src, target.sport) } else { (target.dst, target.dport) };
    // Offset of the port in the L4 header: source first, destination second.
    let port_off = if src { 0 } else { 2 };
    let ports = Ports { l4, port_off, old_addr, new_addr, new_port };
    match target.proto {
        proto_num::TCP => ports.rewrite(data, 16, 20, false)?,
        proto_num::DCCP => ports.rewrite(data, 6, 16, false)?,
        proto_num::UDP => {
            if data.len() < l4 + 8 {
                return Err(Truncated);
            }
            if word(data, l4 + 6) == 0 {
                put_word(data, l4 + port_off, new_port);
            } else {
                ports.rewrite(data, 6, 8, true)?;
            }
        }
        proto_num::UDPLITE => ports.rewrite(data, 6, 8, true)?,
        proto_num::SCTP => {
            if data.len() < l4 + 8 {
                return Err(Truncated);
            }
            // FIXME: the kernel recomputes SCTP's CRC32c over the chunk; nfsim
            // rewrites the port and leaves the CRC stale.
            put_word(data, l4 + port_off, new_port);
        }
        proto_num::ICMP => icmp_id(data, l4, target.sport)?,
        _ => {}
    }
    let ip_csum = field::<2>(data, ip_off + 10);
    *ip_csum = checksum::update32(u16::from_be_bytes(*ip_csum), old_addr, new_addr).to_be_bytes();
    *field(data, addr_off) = new_addr.to_be_bytes();
    Ok(())
}

/// A port rewrite: where the L4 header is, which port, and the address
/// change the checksum's pseudo-header sees.
struct Ports {
    l4: usize,
    port_off: usize,
    old_addr: u32,
    new_addr: u32,
    new_port: u16,
}

impl Ports {
    /// Rewrites the port and patches the checksum at `csum_off` (from the
    /// L4 header) for the port and, through the pseudo-header, the address.
    /// The checksum is touched only when `whole` bytes of header are
    /// present (TCP: 20, DCCP: 16).
    #[inline(always)]
    fn rewrite(&self, data: &mut [u8], csum_off: usize, whole: usize, udp: bool) -> Result<(), Truncated> {
        let l4 = self.l4;
        if data.len() < l4 + 8 {
            return Err(Truncated);
        }
        let port = field::<2>(data, l4 + self.port_off);
        let old_port = u16::from_be_bytes(*port);
        *port = self.new_port.to_be_bytes();
        if data.len() < l4 + whole {
            return Ok(());
        }
        let field = field::<2>(data, l4 + csum_off);
        let csum = checksum::update32(u16::from_be_bytes(*field), self.old_addr, self.new_addr);
        let mut csum = checksum::update16(csum, old_port, self.new_port);
        if udp && csum == 0 {
            // CSUM_MANGLED_0: zero would read as "no checksum".
            csum = 0xffff;
        }
        *field = csum.to_be_bytes();
        Ok(())
    }
}

/// ICMP queries carry the tuple's id; errors are translated elsewhere.
fn icmp_id(data: &mut [u8], l4: usize, new_id: u16) -> Result<(), Truncated> {
    if data.len() < l4 + 8 {
        return Err(Truncated);
    }
    if !matches!(data[l4], 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18) {
        return Ok(());
    }
    let old_id = word(data, l4 + 4);
    let csum = checksum::update16(word(data, l4 + 2), old_id, new_id);
    put_word(data, l4 + 2, csum);
    put_word(data, l4 + 4, new_id);
    Ok(())
}

#[cfg(test)]
mod test {
    use super::super::testutil::{checksums_ok, icmp, recomputed, tcp, udp};
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn target(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, proto: u8) -> Tuple {
        Tuple::new(Ipv4Addr::from(src), Ipv4Addr::from(dst), proto, sport, dport)
    }

    #[test]
    fn snat_of_tcp_rewrites_source_and_both_checksums() {
        let mut p = tcp([192, 168, 1, 10], [198, 51, 100, 7], 40000, 80, b"data");
        manip_pkt(&mut p, 0, &target([203, 0, 113, 1], 40001, [0; 4], 0, 6), Manip::Src).unwrap();
        assert_eq!(&p[12..16], &[203, 0, 113, 1]);
        assert_eq!(u16::from_be_bytes([p[20], p[21]]), 40001);
        assert!(checksums_ok(&p));
    }

    #[test]
    fn udp_without_checksum_keeps_zero() {
        let mut p = udp([192, 168, 1, 10], [198, 51, 100, 7], 5000, 53, b"q");
        p[26] = 0;
        p[27] = 0;
        manip_pkt(&mut p, 0, &target([0; 4], 0, [10, 0, 0, 9], 5353, 17), Manip::Dst).unwrap();
        assert_eq!(&p[26..28], &[0, 0]);
        assert_eq!(u16::from_be_bytes([p[22], p[23]]), 5353);
        assert!(checksums_ok(&p));
    }

    #[test]
    fn icmp_echo_id_is_the_port() {
        let mut p = icmp([192, 168, 1, 10], [198, 51, 100, 7], 8, 7, b"ping");
        manip_pkt(&mut p, 0, &target([203, 0, 113, 1], 0x4242, [0; 4], 0x0800, 1), Manip::Src).unwrap();
        assert_eq!(&p[24..26], &[0x42, 0x42]);
        assert!(checksums_ok(&p));
    }

    #[test]
    fn a_tcp_header_cut_at_eight_bytes_keeps_its_checksum_field() {
        let mut p = tcp([192, 168, 1, 10], [198, 51, 100, 7], 40000, 80, &[]);
        p.truncate(28);
        manip_pkt(&mut p, 0, &target([203, 0, 113, 1], 1, [0; 4], 0, 6), Manip::Src).unwrap();
        assert_eq!(u16::from_be_bytes([p[20], p[21]]), 1);
        let mut short = p[..27].to_vec();
        assert_eq!(manip_pkt(&mut short, 0, &target([0; 4], 1, [0; 4], 0, 6), Manip::Src), Err(Truncated));
    }

    proptest! {
        #[test]
        fn incremental_equals_full_recompute(
            proto in prop::sample::select(vec![1u8, 6, 17]),
            src in any::<[u8; 4]>(), dst in any::<[u8; 4]>(),
            sport in any::<u16>(), dport in any::<u16>(),
            payload in prop::collection::vec(any::<u8>(), 0..64),
            new_addr in any::<[u8; 4]>(), new_port in any::<u16>(),
            dst_manip in any::<bool>(),
        ) {
            let mut p = match proto {
                6 => tcp(src, dst, sport, dport, &payload),
                17 => udp(src, dst, sport, dport, &payload),
                _ => icmp(src, dst, 8, sport, &payload),
            };
            let manip = if dst_manip { Manip::Dst } else { Manip::Src };
            let t = target(new_addr, new_port, new_addr, new_port, proto);
            manip_pkt(&mut p, 0, &t, manip).unwrap();
            prop_assert!(checksums_ok(&p));
            prop_assert_eq!(&p, &recomputed(&p));
        }
    }
}
