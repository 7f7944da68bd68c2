//! IPv4 headers (RFC 791) and the IP protocol numbers.
//!
//! [`Packet::check_len`] applies the same length checks as the kernel's
//! `ip_rcv_core` (version, IHL, total length against the header and the
//! buffer), so a view that passes them is one Linux would not drop as a
//! "truncated" or "header error" packet. The payload is bounded by the total
//! length: Ethernet padding and trailers stay out of L4, as `pskb_trim_rcsum`
//! ensures in the kernel. The checksum is *not* checked there; see
//! [`Packet::verify_checksum`].

use super::{Error, Field, Result, checksum, get16, get32, put16, put32};
use core::fmt;
use std::net::Ipv4Addr;

/// The IP protocol number (the IPv4 "protocol" / IPv6 "next header").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// 1.
    Icmp,
    /// 2.
    Igmp,
    /// 6.
    Tcp,
    /// 17.
    Udp,
    /// 47.
    Gre,
    /// 50.
    Esp,
    /// 51.
    Ah,
    /// 58.
    Icmpv6,
    /// 132.
    Sctp,
    /// 136.
    Udplite,
    /// Any other number, kept as is.
    Unknown(u8),
}

impl From<u8> for Protocol {
    fn from(v: u8) -> Protocol {
        match v {
            1 => Protocol::Icmp,
            2 => Protocol::Igmp,
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            47 => Protocol::Gre,
            50 => Protocol::Esp,
            51 => Protocol::Ah,
            58 => Protocol::Icmpv6,
            132 => Protocol::Sctp,
            136 => Protocol::Udplite,
            other => Protocol::Unknown(other),
        }
    }
}

impl From<Protocol> for u8 {
    fn from(p: Protocol) -> u8 {
        match p {
            Protocol::Icmp => 1,
            Protocol::Igmp => 2,
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Gre => 47,
            Protocol::Esp => 50,
            Protocol::Ah => 51,
            Protocol::Icmpv6 => 58,
            Protocol::Sctp => 132,
            Protocol::Udplite => 136,
            Protocol::Unknown(v) => v,
        }
    }
}

impl fmt::Display for Protocol {
    /// The lowercase name iptables and conntrack print (`tcp`, `udp` ...),
    /// or the number for unnamed protocols.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Protocol::Icmp => "icmp",
            Protocol::Igmp => "igmp",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Gre => "gre",
            Protocol::Esp => "esp",
            Protocol::Ah => "ah",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::Sctp => "sctp",
            Protocol::Udplite => "udplite",
            Protocol::Unknown(v) => return write!(f, "{v}"),
        };
        f.write_str(name)
    }
}

mod field {
    use super::Field;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;

const FLAG_RESERVED: u16 = 0x8000;
const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A view of an IPv4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wrap a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wrap a buffer, checking it as [`check_len`](Self::check_len) does.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Err on a buffer shorter than 20 bytes, a version other than 4, an IHL
    /// below 5, a header longer than the total length, or a total length
    /// beyond the buffer (the checks of `ip_rcv_core`).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || self.version() != 4 || self.header_len() < HEADER_LEN {
            return Err(Error);
        }
        let total = self.total_len() as usize;
        if self.header_len() > total || total > len {
            return Err(Error);
        }
        Ok(())
    }

    /// Wrap a datagram quoted by an ICMP error, checking it as
    /// [`check_quoted_len`](Self::check_quoted_len) does.
    pub fn new_quoted(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_quoted_len()?;
        Ok(p)
    }

    /// The checks of [`check_len`](Self::check_len) except that the total
    /// length may exceed the buffer: an ICMP error quotes only the start of
    /// the offending datagram (RFC 792: its header and 64 bits of data).
    /// The whole header must be present. After this passes no getter panics
    /// and `payload()` is the part of the original payload that was quoted.
    pub fn check_quoted_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || self.version() != 4 || self.header_len() < HEADER_LEN {
            return Err(Error);
        }
        let hl = self.header_len();
        if hl > self.total_len() as usize || hl > len { Err(Error) } else { Ok(()) }
    }

    /// Give the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (4).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes (IHL × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        (self.buffer.as_ref()[field::VER_IHL] & 0x0f) as usize * 4
    }

    /// Differentiated services code point (RFC 2474), the TOS byte's top 6 bits.
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.tos() >> 2
    }

    /// Explicit congestion notification (RFC 3168), the TOS byte's low 2 bits.
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.tos() & 0x03
    }

    /// The whole TOS / traffic class byte.
    #[inline]
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }

    /// The total length field: header plus payload, in bytes.
    #[inline]
    pub fn total_len(&self) -> u16 {
        get16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The identification field.
    #[inline]
    pub fn ident(&self) -> u16 {
        get16(self.buffer.as_ref(), field::IDENT)
    }

    /// The reserved ("evil", RFC 3514) flag bit; the kernel ignores it.
    #[inline]
    pub fn reserved_flag(&self) -> bool {
        get16(self.buffer.as_ref(), field::FLG_OFF) & FLAG_RESERVED != 0
    }

    /// The don't-fragment flag.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        get16(self.buffer.as_ref(), field::FLG_OFF) & FLAG_DF != 0
    }

    /// The more-fragments flag.
    #[inline]
    pub fn more_frags(&self) -> bool {
        get16(self.buffer.as_ref(), field::FLG_OFF) & FLAG_MF != 0
    }

    /// The fragment offset in bytes (the field × 8).
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (get16(self.buffer.as_ref(), field::FLG_OFF) & OFFSET_MASK) << 3
    }

    /// Whether this is a fragment (MF set or offset nonzero), as `ip_is_fragment`.
    #[inline]
    pub fn is_fragment(&self) -> bool {
        get16(self.buffer.as_ref(), field::FLG_OFF) & (FLAG_MF | OFFSET_MASK) != 0
    }

    /// Time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The protocol of the payload.
    #[inline]
    pub fn next_header(&self) -> Protocol {
        self.protocol_raw().into()
    }

    /// The protocol byte as is.
    #[inline]
    pub fn protocol_raw(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }

    /// The header checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        get16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        get32(self.buffer.as_ref(), field::SRC_ADDR).into()
    }

    /// The destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        get32(self.buffer.as_ref(), field::DST_ADDR).into()
    }

    /// The option bytes, between the fixed header and `header_len`.
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// Whether the header checksum is correct (sums to 0xffff).
    pub fn verify_checksum(&self) -> bool {
        let header = &self.buffer.as_ref()[..self.header_len()];
        if let Ok(h) = <&[u8; 20]>::try_from(header) {
            // The usual header, without options: five 32-bit words, whose
            // sum folds to the same one's-complement sum as its 16-bit words.
            let word = |i: usize| u64::from(u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]));
            let s = word(0) + word(4) + word(8) + word(12) + word(16);
            let s = (s & 0xffff_ffff) + (s >> 32);
            let s = (s & 0xffff) + (s >> 16);
            let s = (s & 0xffff) + (s >> 16);
            let s = (s & 0xffff) + (s >> 16);
            return s == 0xffff;
        }
        checksum::data(header) == 0xffff
    }

    /// The payload: from `header_len` to `total_len`, not to the buffer's
    /// end (nor beyond it, for a quoted datagram).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.payload_range()]
    }

    fn payload_range(&self) -> Field {
        let end = (self.total_len() as usize).min(self.buffer.as_ref().len());
        self.header_len().min(end)..end
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the version field.
    #[inline]
    pub fn set_version(&mut self, v: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (v << 4);
    }

    /// Set the header length in bytes (a multiple of 4, at most 60).
    #[inline]
    pub fn set_header_len(&mut self, len: usize) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((len / 4) as u8 & 0x0f);
    }

    /// Set the DSCP, keeping the ECN bits.
    #[inline]
    pub fn set_dscp(&mut self, dscp: u8) {
        let tos = (self.tos() & 0x03) | (dscp << 2);
        self.set_tos(tos);
    }

    /// Set the ECN bits, keeping the DSCP.
    #[inline]
    pub fn set_ecn(&mut self, ecn: u8) {
        let tos = (self.tos() & 0xfc) | (ecn & 0x03);
        self.set_tos(tos);
    }

    /// Set the whole TOS byte.
    #[inline]
    pub fn set_tos(&mut self, tos: u8) {
        self.buffer.as_mut()[field::TOS] = tos;
    }

    /// Set the total length.
    #[inline]
    pub fn set_total_len(&mut self, len: u16) {
        put16(self.buffer.as_mut(), field::LENGTH, len);
    }

    /// Set the identification field.
    #[inline]
    pub fn set_ident(&mut self, ident: u16) {
        put16(self.buffer.as_mut(), field::IDENT, ident);
    }

    fn set_flag(&mut self, flag: u16, on: bool) {
        let v = get16(self.buffer.as_ref(), field::FLG_OFF) & !flag;
        put16(self.buffer.as_mut(), field::FLG_OFF, v | if on { flag } else { 0 });
    }

    /// Set the reserved flag bit.
    #[inline]
    pub fn set_reserved_flag(&mut self, on: bool) {
        self.set_flag(FLAG_RESERVED, on);
    }

    /// Set the don't-fragment flag.
    #[inline]
    pub fn set_dont_frag(&mut self, on: bool) {
        self.set_flag(FLAG_DF, on);
    }

    /// Set the more-fragments flag.
    #[inline]
    pub fn set_more_frags(&mut self, on: bool) {
        self.set_flag(FLAG_MF, on);
    }

    /// Set the fragment offset in bytes (a multiple of 8).
    #[inline]
    pub fn set_frag_offset(&mut self, offset: u16) {
        let v = get16(self.buffer.as_ref(), field::FLG_OFF) & !OFFSET_MASK;
        put16(self.buffer.as_mut(), field::FLG_OFF, v | ((offset >> 3) & OFFSET_MASK));
    }

    /// Set the time to live.
    #[inline]
    pub fn set_ttl(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl;
    }

    /// Set the payload protocol.
    #[inline]
    pub fn set_next_header(&mut self, proto: Protocol) {
        self.buffer.as_mut()[field::PROTOCOL] = proto.into();
    }

    /// Set the header checksum field.
    #[inline]
    pub fn set_checksum(&mut self, csum: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM, csum);
    }

    /// Set the source address.
    #[inline]
    pub fn set_src_addr(&mut self, addr: Ipv4Addr) {
        put32(self.buffer.as_mut(), field::SRC_ADDR, addr.into());
    }

    /// Set the destination address.
    #[inline]
    pub fn set_dst_addr(&mut self, addr: Ipv4Addr) {
        put32(self.buffer.as_mut(), field::DST_ADDR, addr.into());
    }

    /// Recompute and store the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let csum = checksum::finish(checksum::sum(&self.buffer.as_ref()[..self.header_len()]));
        self.set_checksum(csum);
    }

    /// The option bytes, mutably.
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }

    /// The payload (bounded by `total_len`), mutably.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.payload_range();
        &mut self.buffer.as_mut()[range]
    }
}

/// An owned IPv4 header without options, as the simulator's hosts send.
///
/// `parse` accepts any checked packet but keeps neither options nor the
/// fragment fields (MF, offset); use the view for those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Payload protocol.
    pub next_header: Protocol,
    /// Payload length in bytes (total length minus header length).
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// The TOS byte (DSCP and ECN).
    pub tos: u8,
    /// Identification.
    pub ident: u16,
    /// The don't-fragment flag.
    pub dont_frag: bool,
}

impl Repr {
    /// Read the header of a packet (its lengths are checked again here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_len()?;
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: packet.total_len() as usize - packet.header_len(),
            ttl: packet.ttl(),
            tos: packet.tos(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
        })
    }

    /// Length of the header this emits (20).
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Bytes needed for the header and payload.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Write the header, checksum included, into the start of `packet`
    /// (at least 20 bytes; `payload_len` must fit 65515).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_version(4);
        packet.set_header_len(HEADER_LEN);
        packet.set_tos(self.tos);
        packet.set_total_len((HEADER_LEN + self.payload_len) as u16);
        packet.set_ident(self.ident);
        put16(packet.buffer.as_mut(), field::FLG_OFF, 0);
        packet.set_dont_frag(self.dont_frag);
        packet.set_ttl(self.ttl);
        packet.set_next_header(self.next_header);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet.fill_checksum();
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    /// 10.0.0.1 → 10.0.0.2, UDP, DF, TTL 64, ident 0x1234, 4 payload bytes,
    /// then 2 bytes of Ethernet padding that must not reach the payload.
    static PACKET_BYTES: [u8; 26] = [
        0x45, 0xb8, 0x00, 0x18, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x13, 0xe7, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
        0x00, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x00,
    ];

    fn repr() -> Repr {
        Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 1),
            dst_addr: Ipv4Addr::new(10, 0, 0, 2),
            next_header: Protocol::Udp,
            payload_len: 4,
            ttl: 64,
            tos: 0xb8,
            ident: 0x1234,
            dont_frag: true,
        }
    }

    #[test]
    fn test_deconstruct() {
        let p = Packet::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!((p.version(), p.header_len(), p.total_len()), (4, 20, 24));
        assert_eq!((p.dscp(), p.ecn(), p.tos()), (46, 0, 0xb8));
        assert_eq!(p.ident(), 0x1234);
        assert!(p.dont_frag() && !p.more_frags() && !p.reserved_flag());
        assert_eq!((p.frag_offset(), p.is_fragment()), (0, false));
        assert_eq!((p.ttl(), p.next_header(), p.protocol_raw()), (64, Protocol::Udp, 17));
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 0, 0, 2));
        assert!(p.options().is_empty());
        assert_eq!(p.payload(), &[0xaa, 0xbb, 0xcc, 0xdd]);
        assert!(p.verify_checksum());
        assert_eq!(p.checksum(), 0x13e7);
        assert_eq!(Repr::parse(&p), Ok(repr()));
    }

    #[test]
    fn test_construct() {
        let mut buf = [0xffu8; 26];
        let r = repr();
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        buf[20..24].copy_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
        buf[24..].fill(0);
        assert_eq!(buf, PACKET_BYTES);
    }

    #[test]
    fn check_len_rejects_what_ip_rcv_drops() {
        let bad = |edit: fn(&mut [u8; 26])| {
            let mut b = PACKET_BYTES;
            edit(&mut b);
            Packet::new_checked(&b[..]).err()
        };
        assert_eq!(Packet::new_checked(&PACKET_BYTES[..19]), Err(Error));
        assert_eq!(bad(|b| b[0] = 0x65), Some(Error)); // version 6
        assert_eq!(bad(|b| b[0] = 0x44), Some(Error)); // IHL 4
        assert_eq!(bad(|b| b[3] = 19), Some(Error)); // total < header
        assert_eq!(bad(|b| b[3] = 27), Some(Error)); // total > buffer
        assert_eq!(bad(|b| b[0] = 0x46), None); // header 24 = total 24: empty payload
        assert_eq!(bad(|b| b[0] = 0x47), Some(Error)); // header 28 > total 24
    }

    #[test]
    fn quoted_datagram_may_be_cut_short() {
        // The header and 2 payload bytes of a 24-byte datagram.
        let cut = &PACKET_BYTES[..22];
        assert_eq!(Packet::new_checked(cut), Err(Error));
        let p = Packet::new_quoted(cut).unwrap();
        assert_eq!((p.total_len(), p.payload()), (24, &[0xaa, 0xbb][..]));
        assert_eq!(Packet::new_quoted(&PACKET_BYTES[..19]), Err(Error));
        let mut b = PACKET_BYTES;
        b[0] = 0x46; // header 24 > 22 bytes quoted
        assert_eq!(Packet::new_quoted(&b[..22]), Err(Error));
        b[3] = 22; // total 22 < header 24
        assert_eq!(Packet::new_quoted(&b[..]), Err(Error));
    }

    #[test]
    fn options_and_fragments() {
        let mut b = [0u8; 28];
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_version(4);
        p.set_header_len(24);
        p.set_total_len(28);
        p.set_more_frags(true);
        p.set_frag_offset(1480);
        p.options_mut().copy_from_slice(&[0x94, 0x04, 0x00, 0x00]); // router alert
        p.fill_checksum();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.options(), &[0x94, 0x04, 0x00, 0x00]);
        assert_eq!(p.payload().len(), 4);
        assert_eq!((p.frag_offset(), p.more_frags(), p.is_fragment()), (1480, true, true));
        assert!(p.verify_checksum());
    }

    #[test]
    fn incremental_nat_matches_fill() {
        let mut b = PACKET_BYTES;
        let mut p = Packet::new_unchecked(&mut b[..]);
        let new = Ipv4Addr::new(203, 0, 113, 5);
        let csum = checksum::update_addr(p.checksum(), p.src_addr(), new);
        p.set_src_addr(new);
        p.set_checksum(csum);
        assert!(p.verify_checksum());
        let stored = p.checksum();
        p.fill_checksum();
        assert_eq!(p.checksum(), stored);
    }

    proptest! {
        #[test]
        fn protocol_round_trips(v in any::<u8>()) {
            prop_assert_eq!(u8::from(Protocol::from(v)), v);
        }

        #[test]
        fn repr_round_trips(src in any::<u32>(), dst in any::<u32>(), proto in any::<u8>(),
                            payload_len in 0usize..200, ttl in any::<u8>(), tos in any::<u8>(),
                            ident in any::<u16>(), dont_frag in any::<bool>()) {
            let r = Repr {
                src_addr: src.into(), dst_addr: dst.into(), next_header: proto.into(),
                payload_len, ttl, tos, ident, dont_frag,
            };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]));
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert!(p.verify_checksum());
            prop_assert_eq!(Repr::parse(&p), Ok(r));
        }
    }
}
