//! Ethernet II frames, MAC addresses, and 802.1Q/802.1ad VLAN tags.
//!
//! A [`Frame`] is the 14-byte header (destination, source, EtherType) and its
//! payload. Tagged frames carry one or two 4-byte [`VlanTag`]s after the
//! source address; [`parse_l2`] skips up to two of them (802.1ad QinQ), as a
//! Linux bridge or VLAN device would see them. The FCS is never present:
//! captures and `AF_PACKET` hand frames over without it.

use super::{Error, Field, Result, get16, put16};
use core::fmt;
use core::str::FromStr;

/// A 48-bit IEEE 802 MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: Address = Address([0xff; 6]);

    /// The address from its six octets.
    pub const fn new(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8) -> Address {
        Address([a, b, c, d, e, f])
    }

    /// The six octets.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// Whether this is ff:ff:ff:ff:ff:ff.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Whether the group bit (I/G, lowest bit of the first octet) is set;
    /// broadcast is multicast too.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether the group bit is clear.
    pub fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// Whether the locally administered bit (U/L) is set.
    pub fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl FromStr for Address {
    type Err = Error;

    /// Six colon- or dash-separated hex octets of one or two digits each.
    fn from_str(s: &str) -> Result<Address> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for slot in out.iter_mut() {
            let part = parts.next().ok_or(Error)?;
            if part.is_empty() || part.len() > 2 || !part.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error);
            }
            *slot = u8::from_str_radix(part, 16).map_err(|_| Error)?;
        }
        match parts.next() {
            Some(_) => Err(Error),
            None => Ok(Address(out)),
        }
    }
}

/// The EtherType (or TPID) field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EtherType {
    /// 0x0800.
    Ipv4,
    /// 0x0806.
    Arp,
    /// 0x86dd.
    Ipv6,
    /// 0x8100, an 802.1Q customer tag.
    Vlan,
    /// 0x88a8, an 802.1ad service tag.
    QinQ,
    /// Any other value, kept as is.
    Unknown(u16),
}

impl From<u16> for EtherType {
    fn from(v: u16) -> EtherType {
        match v {
            0x0800 => EtherType::Ipv4,
            0x0806 => EtherType::Arp,
            0x86dd => EtherType::Ipv6,
            0x8100 => EtherType::Vlan,
            0x88a8 => EtherType::QinQ,
            other => EtherType::Unknown(other),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(t: EtherType) -> u16 {
        match t {
            EtherType::Ipv4 => 0x0800,
            EtherType::Arp => 0x0806,
            EtherType::Ipv6 => 0x86dd,
            EtherType::Vlan => 0x8100,
            EtherType::QinQ => 0x88a8,
            EtherType::Unknown(v) => v,
        }
    }
}

impl EtherType {
    /// Whether this value introduces a VLAN tag (0x8100 or 0x88a8).
    pub fn is_vlan(self) -> bool {
        matches!(self, EtherType::Vlan | EtherType::QinQ)
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EtherType::Ipv4 => f.write_str("IPv4"),
            EtherType::Arp => f.write_str("ARP"),
            EtherType::Ipv6 => f.write_str("IPv6"),
            EtherType::Vlan => f.write_str("802.1Q"),
            EtherType::QinQ => f.write_str("802.1ad"),
            EtherType::Unknown(v) => write!(f, "0x{v:04x}"),
        }
    }
}

mod field {
    use super::Field;
    pub const DST: Field = 0..6;
    pub const SRC: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: usize = 14;
    pub const TCI: Field = 0..2;
    pub const INNER_TYPE: Field = 2..4;
}

/// Length of the Ethernet II header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Length of one VLAN tag.
pub const VLAN_TAG_LEN: usize = 4;

/// A view of an Ethernet II frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wrap a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wrap a buffer, checking that it holds a whole header.
    pub fn new_checked(buffer: T) -> Result<Frame<T>> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    /// Err unless the buffer holds the 14-byte header.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN { Err(Error) } else { Ok(()) }
    }

    /// Give the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The header length, always 14.
    pub const fn header_len() -> usize {
        HEADER_LEN
    }

    /// The destination address.
    #[inline]
    pub fn dst_addr(&self) -> Address {
        Address(self.buffer.as_ref()[field::DST].try_into().expect("6 bytes"))
    }

    /// The source address.
    #[inline]
    pub fn src_addr(&self) -> Address {
        Address(self.buffer.as_ref()[field::SRC].try_into().expect("6 bytes"))
    }

    /// The EtherType (a TPID if the frame is tagged).
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        get16(self.buffer.as_ref(), field::ETHERTYPE).into()
    }

    /// Everything after the 14-byte header (tags included, if any).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Set the destination address.
    #[inline]
    pub fn set_dst_addr(&mut self, addr: Address) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&addr.0);
    }

    /// Set the source address.
    #[inline]
    pub fn set_src_addr(&mut self, addr: Address) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&addr.0);
    }

    /// Set the EtherType.
    #[inline]
    pub fn set_ethertype(&mut self, t: EtherType) {
        put16(self.buffer.as_mut(), field::ETHERTYPE, t.into());
    }

    /// The payload, mutably.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// A view of one 4-byte VLAN tag: TCI (PCP, DEI, VID) then the inner type.
/// The buffer starts just after the TPID that announced the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlanTag<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanTag<T> {
    /// Wrap a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> VlanTag<T> {
        VlanTag { buffer }
    }

    /// Wrap a buffer, checking that it holds a whole tag.
    pub fn new_checked(buffer: T) -> Result<VlanTag<T>> {
        let t = Self::new_unchecked(buffer);
        t.check_len()?;
        Ok(t)
    }

    /// Err unless the buffer holds 4 bytes.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < VLAN_TAG_LEN { Err(Error) } else { Ok(()) }
    }

    /// Give the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Priority code point (3 bits, 802.1p).
    #[inline]
    pub fn pcp(&self) -> u8 {
        (get16(self.buffer.as_ref(), field::TCI) >> 13) as u8
    }

    /// Drop eligible indicator (formerly CFI).
    #[inline]
    pub fn dei(&self) -> bool {
        get16(self.buffer.as_ref(), field::TCI) & 0x1000 != 0
    }

    /// VLAN identifier (12 bits).
    #[inline]
    pub fn vid(&self) -> u16 {
        get16(self.buffer.as_ref(), field::TCI) & 0x0fff
    }

    /// The EtherType of what follows the tag.
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        get16(self.buffer.as_ref(), field::INNER_TYPE).into()
    }

    /// Everything after the tag.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[VLAN_TAG_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VlanTag<T> {
    /// Set the priority code point (low 3 bits used).
    #[inline]
    pub fn set_pcp(&mut self, pcp: u8) {
        let tci = get16(self.buffer.as_ref(), field::TCI) & 0x1fff;
        put16(self.buffer.as_mut(), field::TCI, tci | ((pcp as u16 & 7) << 13));
    }

    /// Set the drop eligible indicator.
    #[inline]
    pub fn set_dei(&mut self, dei: bool) {
        let tci = get16(self.buffer.as_ref(), field::TCI) & !0x1000;
        put16(self.buffer.as_mut(), field::TCI, tci | if dei { 0x1000 } else { 0 });
    }

    /// Set the VLAN identifier (low 12 bits used).
    #[inline]
    pub fn set_vid(&mut self, vid: u16) {
        let tci = get16(self.buffer.as_ref(), field::TCI) & 0xf000;
        put16(self.buffer.as_mut(), field::TCI, tci | (vid & 0x0fff));
    }

    /// Set the inner EtherType.
    #[inline]
    pub fn set_ethertype(&mut self, t: EtherType) {
        put16(self.buffer.as_mut(), field::INNER_TYPE, t.into());
    }
}

/// The layer-2 summary of a frame, VLAN tags skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2 {
    /// Destination MAC address.
    pub dst: Address,
    /// Source MAC address.
    pub src: Address,
    /// VIDs of the tags, outermost first; only `vlan_count` are meaningful.
    pub vlans: [u16; 2],
    /// How many tags were skipped (0, 1 or 2).
    pub vlan_count: u8,
    /// The EtherType after the tags.
    pub ethertype: EtherType,
    /// Offset in the frame of the network-layer header.
    pub payload_offset: usize,
}

/// Parse the Ethernet header and skip up to two VLAN tags (0x8100 or 0x88a8
/// in either position, as Linux accepts both stacked).
///
/// # Errors
/// A frame shorter than its header and tags, or with a third tag.
pub fn parse_l2(frame: &[u8]) -> Result<L2> {
    let eth = Frame::new_checked(frame)?;
    let mut l2 = L2 {
        dst: eth.dst_addr(),
        src: eth.src_addr(),
        vlans: [0; 2],
        vlan_count: 0,
        ethertype: eth.ethertype(),
        payload_offset: HEADER_LEN,
    };
    while l2.ethertype.is_vlan() {
        if l2.vlan_count == 2 {
            return Err(Error);
        }
        let tag = VlanTag::new_checked(&frame[l2.payload_offset..])?;
        l2.vlans[l2.vlan_count as usize] = tag.vid();
        l2.vlan_count += 1;
        l2.ethertype = tag.ethertype();
        l2.payload_offset += VLAN_TAG_LEN;
    }
    Ok(l2)
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    static FRAME_BYTES: [u8; 18] =
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x08, 0x06, 0xaa, 0xbb, 0xcc, 0xdd];

    #[test]
    fn test_deconstruct() {
        let f = Frame::new_checked(&FRAME_BYTES[..]).unwrap();
        assert_eq!(f.dst_addr(), Address::BROADCAST);
        assert_eq!(f.src_addr(), Address::new(2, 0, 0, 0, 1, 10));
        assert_eq!(f.ethertype(), EtherType::Arp);
        assert_eq!(f.payload(), &[0xaa, 0xbb, 0xcc, 0xdd]);
    }

    #[test]
    fn test_construct() {
        let mut buf = [0u8; 18];
        let mut f = Frame::new_unchecked(&mut buf[..]);
        f.set_dst_addr(Address::BROADCAST);
        f.set_src_addr(Address::new(2, 0, 0, 0, 1, 10));
        f.set_ethertype(EtherType::Arp);
        f.payload_mut().copy_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(buf, FRAME_BYTES);
    }

    #[test]
    fn short_frame_is_rejected() {
        assert_eq!(Frame::new_checked(&FRAME_BYTES[..13]), Err(Error));
        assert!(Frame::new_checked(&FRAME_BYTES[..14]).unwrap().payload().is_empty());
    }

    #[test]
    fn address_display_and_parse() {
        let a = Address::new(2, 0, 0, 0, 1, 10);
        assert_eq!(a.to_string(), "02:00:00:00:01:0a");
        assert_eq!("02:00:00:00:01:0A".parse::<Address>(), Ok(a));
        assert_eq!("2-0-0-0-1-a".parse::<Address>(), Ok(a));
        for bad in ["", "02:00:00:00:01", "02:00:00:00:01:0a:00", "02:00:00:00:01:100", "0g:0:0:0:0:0"] {
            assert_eq!(bad.parse::<Address>(), Err(Error), "{bad:?}");
        }
    }

    #[test]
    fn address_classes() {
        assert!(Address::BROADCAST.is_broadcast() && Address::BROADCAST.is_multicast());
        let mcast = Address::new(0x01, 0x00, 0x5e, 0, 0, 1);
        assert!(mcast.is_multicast() && !mcast.is_broadcast() && !mcast.is_unicast());
        assert!(Address::new(2, 0, 0, 0, 0, 1).is_unicast());
        assert!(Address::new(2, 0, 0, 0, 0, 1).is_local());
    }

    /// dst, src, 0x88a8 [vid 100], 0x8100 [pcp 5, dei, vid 7], IPv4.
    static QINQ_BYTES: [u8; 23] =
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0xb0, 0x07, 0x08, 0x00, 0x45];

    #[test]
    fn qinq_is_skipped() {
        let l2 = parse_l2(&QINQ_BYTES).unwrap();
        assert_eq!(l2.vlans, [100, 7]);
        assert_eq!(l2.vlan_count, 2);
        assert_eq!(l2.ethertype, EtherType::Ipv4);
        assert_eq!(l2.payload_offset, 22);
        let tag = VlanTag::new_checked(&QINQ_BYTES[18..]).unwrap();
        assert_eq!((tag.pcp(), tag.dei(), tag.vid()), (5, true, 7));
    }

    #[test]
    fn vlan_tag_construct() {
        let mut buf = [0u8; 4];
        let mut tag = VlanTag::new_unchecked(&mut buf[..]);
        tag.set_pcp(5);
        tag.set_dei(true);
        tag.set_vid(7);
        tag.set_ethertype(EtherType::Ipv4);
        assert_eq!(buf, QINQ_BYTES[18..22]);
    }

    #[test]
    fn third_tag_and_truncated_tag_are_errors() {
        let mut three = QINQ_BYTES[..20].to_vec();
        three.extend_from_slice(&[0x81, 0x00, 0x00, 0x01, 0x08, 0x00]);
        assert_eq!(parse_l2(&three), Err(Error));
        assert_eq!(parse_l2(&QINQ_BYTES[..17]), Err(Error));
        // A tag that ends the frame exactly is fine: empty L3.
        assert_eq!(parse_l2(&QINQ_BYTES[..22]).unwrap().payload_offset, 22);
    }

    #[test]
    fn untagged_l2() {
        let l2 = parse_l2(&FRAME_BYTES).unwrap();
        assert_eq!((l2.vlan_count, l2.ethertype, l2.payload_offset), (0, EtherType::Arp, 14));
    }

    proptest! {
        #[test]
        fn ethertype_round_trips(v in any::<u16>()) {
            prop_assert_eq!(u16::from(EtherType::from(v)), v);
        }

        #[test]
        fn address_display_round_trips(b in any::<[u8; 6]>()) {
            let a = Address(b);
            prop_assert_eq!(a.to_string().parse::<Address>(), Ok(a));
        }
    }
}
