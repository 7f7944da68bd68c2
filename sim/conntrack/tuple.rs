//! The conntrack tuple: what identifies one direction of a connection.
//!
//! A [`Tuple`] is the kernel's `nf_conntrack_tuple` for IPv4, packed into 13
//! bytes: addresses as `u32`, the two "port parts" as `u16`, the protocol as
//! `u8`. The port parts depend on the protocol (reference §1):
//!
//! | proto | `sport` | `dport` |
//! |---|---|---|
//! | TCP, UDP, UDP-Lite, SCTP, DCCP | source port | destination port |
//! | ICMP | echo identifier | `type << 8 \| code` |
//! | anything else | 0 | 0 |
//!
//! The zone is not part of the tuple but of the key: lookups compare the
//! entry's zone beside the tuple, and the hash mixes it in.
//!
//! The hash is ours, not the kernel's siphash: a keyed multiply-xorshift mix
//! of the 16 tuple bytes and the zone, keyed from the run's seed, reduced to a
//! bucket by multiply-shift (`reciprocal_scale`) as the kernel reduces. It is
//! deterministic for a seed and, like the kernel's, unpredictable across seeds.

use std::fmt;
use std::net::Ipv4Addr;

/// IANA protocol numbers conntrack cares about.
pub mod proto_num {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// DCCP.
    pub const DCCP: u8 = 33;
    /// GRE.
    pub const GRE: u8 = 47;
    /// SCTP.
    pub const SCTP: u8 = 132;
    /// UDP-Lite.
    pub const UDPLITE: u8 = 136;
}

/// One direction of a connection, as conntrack keys it.
///
/// Packed (13 bytes, no padding): an entry holds two, and 6 bytes an entry
/// is 6 MB a million entries. Fields are read by value; a reference to one
/// is not allowed (it could be unaligned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(C, packed)]
pub struct Tuple {
    /// Source address (host order).
    pub src: u32,
    /// Destination address (host order).
    pub dst: u32,
    /// Source port part: port, or the ICMP echo identifier.
    pub sport: u16,
    /// Destination port part: port, or ICMP `type << 8 | code`.
    pub dport: u16,
    /// Layer-4 protocol number.
    pub proto: u8,
}

/// ICMP types whose tuple can be inverted (query ↔ reply), as the kernel's
/// `invmap` in nf_conntrack_proto_icmp.c: echo 8↔0, timestamp 13↔14,
/// info 15↔16, address mask 17↔18.
const fn icmp_inverse(ty: u8) -> Option<u8> {
    match ty {
        8 => Some(0),
        0 => Some(8),
        13 => Some(14),
        14 => Some(13),
        15 => Some(16),
        16 => Some(15),
        17 => Some(18),
        18 => Some(17),
        _ => None,
    }
}

impl Tuple {
    /// A tuple from its parts.
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, sport: u16, dport: u16) -> Tuple {
        Tuple { src: u32::from(src), dst: u32::from(dst), sport, dport, proto }
    }

    /// An ICMP tuple: `id` in the source part, type and code in the destination part.
    pub fn icmp(src: Ipv4Addr, dst: Ipv4Addr, ty: u8, code: u8, id: u16) -> Tuple {
        Tuple::new(src, dst, proto_num::ICMP, id, u16::from(ty) << 8 | u16::from(code))
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.src)
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.dst)
    }

    /// The ICMP type (meaningful for ICMP tuples only).
    pub fn icmp_type(&self) -> u8 {
        (self.dport >> 8) as u8
    }

    /// The ICMP code (meaningful for ICMP tuples only).
    pub fn icmp_code(&self) -> u8 {
        self.dport as u8
    }

    /// The ICMP echo identifier (meaningful for ICMP tuples only).
    pub fn icmp_id(&self) -> u16 {
        self.sport
    }

    /// The tuple of the other direction (`nf_ct_invert_tuple`): addresses and
    /// port parts swapped; for ICMP the type is mapped to its answer and the
    /// id and code kept. `None` for an ICMP type that has no answer, which is
    /// why such a packet can never create an entry.
    pub fn invert(&self) -> Option<Tuple> {
        if self.proto == proto_num::ICMP {
            let ty = icmp_inverse(self.icmp_type())?;
            return Some(Tuple {
                src: self.dst,
                dst: self.src,
                sport: self.sport,
                dport: u16::from(ty) << 8 | u16::from(self.icmp_code()),
                proto: self.proto,
            });
        }
        Some(Tuple { src: self.dst, dst: self.src, sport: self.dport, dport: self.sport, proto: self.proto })
    }

    /// `self == other`, field by field without a branch each (what a chain
    /// walk asks of every node it meets).
    #[inline]
    pub fn same(&self, other: &Tuple) -> bool {
        let (a, b) = (*self, *other);
        ((a.src ^ b.src)
            | (a.dst ^ b.dst)
            | u32::from(a.sport ^ b.sport)
            | u32::from(a.dport ^ b.dport)
            | u32::from(a.proto ^ b.proto))
            == 0
    }

    /// The keyed hash of this tuple in `zone` (full 32 bits; see [`scale`]).
    pub fn hash(&self, key: &HashKey, zone: u16) -> u32 {
        let a = (u64::from(self.src) << 32 | u64::from(self.dst)) ^ key.k0;
        let b = (u64::from(self.sport) << 48 | u64::from(self.dport) << 32 | u64::from(self.proto) << 16)
            ^ u64::from(zone)
            ^ key.k1;
        let h = mix(a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix(b));
        (h ^ (h >> 32)) as u32
    }
}

/// A 64-bit finaliser (Stafford's mix13): every input bit reaches every output bit.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Reduces a 32-bit hash to `[0, n)` by multiply-shift, as the kernel's
/// `reciprocal_scale` does.
#[inline]
pub fn scale(hash: u32, n: u32) -> u32 {
    ((u64::from(hash) * u64::from(n)) >> 32) as u32
}

/// The secret of the table's hash, drawn once from the run's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashKey {
    k0: u64,
    k1: u64,
}

impl HashKey {
    /// The key of stream `conntrack/hash` of `seed`.
    pub fn from_seed(seed: u64) -> HashKey {
        let mut rng = crate::engine::Rng::new(seed).fork("conntrack/hash");
        HashKey { k0: rng.next_u64(), k1: rng.next_u64() }
    }
}

/// Why no tuple could be taken from a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TupleError {
    /// The IPv4 header is missing, claims more than the packet holds, or the
    /// packet is a non-first fragment (`get_l4proto` fails: counted `invalid`).
    BadL3,
    /// The layer-4 header is too short to hold the port parts.
    ShortL4,
}

/// The layer-3 facts conntrack needs from an IPv4 datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L3 {
    /// Source address.
    pub src: u32,
    /// Destination address.
    pub dst: u32,
    /// Protocol number.
    pub proto: u8,
    /// Offset of the layer-4 header.
    pub l4_off: usize,
    /// Length of the datagram (the IPv4 total length, bounded by the buffer).
    pub len: usize,
}

/// Parses the IPv4 header as `ipv4_get_l4proto` does: the header must be
/// there, the packet must not be a non-first fragment, and the header length
/// must not run past the packet.
pub fn parse_l3(ip: &[u8]) -> Result<L3, TupleError> {
    if ip.len() < 20 || ip[0] >> 4 != 4 {
        return Err(TupleError::BadL3);
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let len = if total >= 20 { total.min(ip.len()) } else { ip.len() };
    let frag_off = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
    if frag_off != 0 || ihl < 20 || ihl > len {
        return Err(TupleError::BadL3);
    }
    let src = u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]);
    let dst = u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]);
    Ok(L3 { src, dst, proto: ip[9], l4_off: ihl, len })
}

/// The tuple of the datagram `ip` (`nf_ct_get_tuplepr`), with its layer-3 facts.
pub fn from_packet(ip: &[u8]) -> Result<(Tuple, L3), TupleError> {
    let l3 = parse_l3(ip)?;
    let l4 = &ip[l3.l4_off..l3.len];
    let mut t = Tuple { src: l3.src, dst: l3.dst, sport: 0, dport: 0, proto: l3.proto };
    crate::conntrack::proto::pkt_to_tuple(l3.proto, l4, &mut t).then_some(()).ok_or(TupleError::ShortL4)?;
    Ok((t, l3))
}

/// `src=A dst=B sport=N dport=N ` (or the ICMP form), as /proc and conntrack print it.
impl fmt::Display for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "src={} dst={} ", self.src_addr(), self.dst_addr())?;
        match self.proto {
            proto_num::TCP | proto_num::UDP | proto_num::UDPLITE | proto_num::SCTP | proto_num::DCCP => {
                write!(f, "sport={} dport={} ", { self.sport }, { self.dport })
            }
            proto_num::ICMP => {
                write!(f, "type={} code={} id={} ", self.icmp_type(), self.icmp_code(), self.icmp_id())
            }
            proto_num::GRE => write!(f, "srckey={:#x} dstkey={:#x} ", { self.sport }, { self.dport }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn a(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn udp_inversion_swaps_addresses_and_ports() {
        let t = Tuple::new(a("10.0.0.1"), a("10.0.0.2"), 17, 5000, 53);
        let r = t.invert().unwrap();
        assert_eq!(r, Tuple::new(a("10.0.0.2"), a("10.0.0.1"), 17, 53, 5000));
        assert_eq!(r.invert(), Some(t));
    }

    #[test]
    fn icmp_inversion_maps_query_to_reply_and_keeps_id_and_code() {
        for (q, r) in [(8, 0), (13, 14), (15, 16), (17, 18)] {
            let t = Tuple::icmp(a("1.1.1.1"), a("2.2.2.2"), q, 0, 77);
            let inv = t.invert().unwrap();
            assert_eq!(inv, Tuple::icmp(a("2.2.2.2"), a("1.1.1.1"), r, 0, 77));
            assert_eq!(inv.invert(), Some(t));
        }
    }

    #[test]
    fn icmp_types_without_an_answer_do_not_invert() {
        for ty in [3u8, 4, 5, 9, 10, 11, 12, 19, 255] {
            assert_eq!(Tuple::icmp(a("1.1.1.1"), a("2.2.2.2"), ty, 0, 1).invert(), None, "type {ty}");
        }
    }

    #[test]
    fn generic_tuples_have_no_ports() {
        let ip = crate::xt::TestPacket::ipv4([1, 2, 3, 4], [5, 6, 7, 8], 253, &[1, 2, 3, 4, 5, 6, 7, 8]);
        let (t, _) = from_packet(&ip).unwrap();
        assert_eq!((t.sport, t.dport, t.proto), (0, 0, 253));
        assert_eq!(t.to_string(), "src=1.2.3.4 dst=5.6.7.8 ");
    }

    #[test]
    fn fragments_and_short_headers_yield_no_tuple() {
        let mut ip = crate::xt::TestPacket::udp([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
        ip[7] = 1; // fragment offset 8 bytes
        assert_eq!(from_packet(&ip), Err(TupleError::BadL3));
        let ip = crate::xt::TestPacket::ipv4([1, 2, 3, 4], [5, 6, 7, 8], 17, &[0, 1, 0]);
        assert_eq!(from_packet(&ip), Err(TupleError::ShortL4));
        assert_eq!(from_packet(&[0x45; 10]), Err(TupleError::BadL3));
    }

    #[test]
    fn hash_depends_on_seed_zone_and_every_field() {
        let k = HashKey::from_seed(1);
        let t = Tuple::new(a("10.0.0.1"), a("10.0.0.2"), 17, 5000, 53);
        assert_eq!(t.hash(&k, 0), t.hash(&HashKey::from_seed(1), 0));
        assert_ne!(t.hash(&k, 0), t.hash(&HashKey::from_seed(2), 0));
        assert_ne!(t.hash(&k, 0), t.hash(&k, 1));
        assert_ne!(t.hash(&k, 0), t.invert().unwrap().hash(&k, 0));
        assert_ne!(t.hash(&k, 0), Tuple { proto: 6, ..t }.hash(&k, 0));
    }

    #[test]
    fn scale_maps_onto_the_bucket_range() {
        assert_eq!(scale(0, 1024), 0);
        assert_eq!(scale(u32::MAX, 1024), 1023);
        assert_eq!(scale(0x8000_0000, 10), 5);
    }
}
