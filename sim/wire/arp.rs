//! ARP (RFC 826) packets.
//!
//! The [`Packet`] view is generic over hardware and protocol address lengths,
//! which the header itself gives; [`Repr`] knows only Ethernet/IPv4, the one
//! combination the simulator's hosts speak (and the only one `arp_rcv`
//! accepts on an Ethernet device).

use super::ethernet::Address as EthernetAddress;
use super::{Error, Field, Result, get16, put16};
use std::net::Ipv4Addr;

/// The ARP opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// 1.
    Request,
    /// 2.
    Reply,
    /// Any other opcode (RARP, InARP ...), kept as is.
    Unknown(u16),
}

impl From<u16> for Operation {
    fn from(v: u16) -> Operation {
        match v {
            1 => Operation::Request,
            2 => Operation::Reply,
            other => Operation::Unknown(other),
        }
    }
}

impl From<Operation> for u16 {
    fn from(op: Operation) -> u16 {
        match op {
            Operation::Request => 1,
            Operation::Reply => 2,
            Operation::Unknown(v) => v,
        }
    }
}

/// Hardware type of Ethernet.
pub const HTYPE_ETHERNET: u16 = 1;
/// Protocol type of IPv4 (its EtherType).
pub const PTYPE_IPV4: u16 = 0x0800;

mod field {
    use super::Field;
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    pub const ADDRS: usize = 8;
}

/// A view of an ARP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wrap a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wrap a buffer, checking its length against the address lengths.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Err unless the buffer holds the fixed part and all four addresses.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < field::ADDRS || len < self.header_len() { Err(Error) } else { Ok(()) }
    }

    /// Give the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Length of the whole ARP message: 8 + 2 × (hlen + plen).
    #[inline]
    pub fn header_len(&self) -> usize {
        field::ADDRS + 2 * (self.hardware_len() as usize + self.protocol_len() as usize)
    }

    /// Hardware type (1 for Ethernet).
    #[inline]
    pub fn hardware_type(&self) -> u16 {
        get16(self.buffer.as_ref(), field::HTYPE)
    }

    /// Protocol type (0x0800 for IPv4).
    #[inline]
    pub fn protocol_type(&self) -> u16 {
        get16(self.buffer.as_ref(), field::PTYPE)
    }

    /// Hardware address length in bytes.
    #[inline]
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// Protocol address length in bytes.
    #[inline]
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// The opcode.
    #[inline]
    pub fn operation(&self) -> Operation {
        get16(self.buffer.as_ref(), field::OPER).into()
    }

    fn sha_field(&self) -> Field {
        let start = field::ADDRS;
        start..start + self.hardware_len() as usize
    }

    fn spa_field(&self) -> Field {
        let start = self.sha_field().end;
        start..start + self.protocol_len() as usize
    }

    fn tha_field(&self) -> Field {
        let start = self.spa_field().end;
        start..start + self.hardware_len() as usize
    }

    fn tpa_field(&self) -> Field {
        let start = self.tha_field().end;
        start..start + self.protocol_len() as usize
    }

    /// Sender hardware address bytes.
    #[inline]
    pub fn source_hardware_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[self.sha_field()]
    }

    /// Sender protocol address bytes.
    #[inline]
    pub fn source_protocol_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[self.spa_field()]
    }

    /// Target hardware address bytes.
    #[inline]
    pub fn target_hardware_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[self.tha_field()]
    }

    /// Target protocol address bytes.
    #[inline]
    pub fn target_protocol_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[self.tpa_field()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the hardware type.
    #[inline]
    pub fn set_hardware_type(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::HTYPE, v);
    }

    /// Set the protocol type.
    #[inline]
    pub fn set_protocol_type(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::PTYPE, v);
    }

    /// Set the hardware address length.
    #[inline]
    pub fn set_hardware_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::HLEN] = v;
    }

    /// Set the protocol address length.
    #[inline]
    pub fn set_protocol_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::PLEN] = v;
    }

    /// Set the opcode.
    #[inline]
    pub fn set_operation(&mut self, op: Operation) {
        put16(self.buffer.as_mut(), field::OPER, op.into());
    }

    /// Set the sender hardware address (length must be `hardware_len`).
    #[inline]
    pub fn set_source_hardware_addr(&mut self, addr: &[u8]) {
        let f = self.sha_field();
        self.buffer.as_mut()[f].copy_from_slice(addr);
    }

    /// Set the sender protocol address (length must be `protocol_len`).
    #[inline]
    pub fn set_source_protocol_addr(&mut self, addr: &[u8]) {
        let f = self.spa_field();
        self.buffer.as_mut()[f].copy_from_slice(addr);
    }

    /// Set the target hardware address (length must be `hardware_len`).
    #[inline]
    pub fn set_target_hardware_addr(&mut self, addr: &[u8]) {
        let f = self.tha_field();
        self.buffer.as_mut()[f].copy_from_slice(addr);
    }

    /// Set the target protocol address (length must be `protocol_len`).
    #[inline]
    pub fn set_target_protocol_addr(&mut self, addr: &[u8]) {
        let f = self.tpa_field();
        self.buffer.as_mut()[f].copy_from_slice(addr);
    }
}

/// An owned ARP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr {
    /// Ethernet hardware addresses, IPv4 protocol addresses.
    EthernetIpv4 {
        /// Request, reply, or other.
        operation: Operation,
        /// Sender MAC.
        source_hardware_addr: EthernetAddress,
        /// Sender IPv4 address.
        source_protocol_addr: Ipv4Addr,
        /// Target MAC (zero in a request).
        target_hardware_addr: EthernetAddress,
        /// Target IPv4 address.
        target_protocol_addr: Ipv4Addr,
    },
}

/// Length of an Ethernet/IPv4 ARP message.
const ETHERNET_IPV4_LEN: usize = 28;

impl Repr {
    /// Parse an Ethernet/IPv4 message.
    ///
    /// # Errors
    /// Any other hardware or protocol type or address length.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_len()?;
        if packet.hardware_type() != HTYPE_ETHERNET
            || packet.protocol_type() != PTYPE_IPV4
            || packet.hardware_len() != 6
            || packet.protocol_len() != 4
        {
            return Err(Error);
        }
        let mac = |b: &[u8]| EthernetAddress(b.try_into().expect("hlen is 6"));
        let ip = |b: &[u8]| Ipv4Addr::from(<[u8; 4]>::try_from(b).expect("plen is 4"));
        Ok(Repr::EthernetIpv4 {
            operation: packet.operation(),
            source_hardware_addr: mac(packet.source_hardware_addr()),
            source_protocol_addr: ip(packet.source_protocol_addr()),
            target_hardware_addr: mac(packet.target_hardware_addr()),
            target_protocol_addr: ip(packet.target_protocol_addr()),
        })
    }

    /// Bytes needed to emit this message.
    pub fn buffer_len(&self) -> usize {
        ETHERNET_IPV4_LEN
    }

    /// Write this message into a buffer of at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        let Repr::EthernetIpv4 {
            operation,
            source_hardware_addr,
            source_protocol_addr,
            target_hardware_addr,
            target_protocol_addr,
        } = *self;
        packet.set_hardware_type(HTYPE_ETHERNET);
        packet.set_protocol_type(PTYPE_IPV4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(operation);
        packet.set_source_hardware_addr(&source_hardware_addr.0);
        packet.set_source_protocol_addr(&source_protocol_addr.octets());
        packet.set_target_hardware_addr(&target_hardware_addr.0);
        packet.set_target_protocol_addr(&target_protocol_addr.octets());
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    static PACKET_BYTES: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a, 0xc0, 0xa8, 0x01, 0x0a,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01,
    ];

    fn repr() -> Repr {
        Repr::EthernetIpv4 {
            operation: Operation::Request,
            source_hardware_addr: EthernetAddress::new(2, 0, 0, 0, 1, 10),
            source_protocol_addr: Ipv4Addr::new(192, 168, 1, 10),
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: Ipv4Addr::new(192, 168, 1, 1),
        }
    }

    #[test]
    fn test_deconstruct() {
        let p = Packet::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!((p.hardware_type(), p.protocol_type()), (1, 0x0800));
        assert_eq!((p.hardware_len(), p.protocol_len()), (6, 4));
        assert_eq!(p.operation(), Operation::Request);
        assert_eq!(p.source_hardware_addr(), &[2, 0, 0, 0, 1, 10]);
        assert_eq!(p.source_protocol_addr(), &[192, 168, 1, 10]);
        assert_eq!(p.target_hardware_addr(), &[0; 6]);
        assert_eq!(p.target_protocol_addr(), &[192, 168, 1, 1]);
        assert_eq!(Repr::parse(&p), Ok(repr()));
    }

    #[test]
    fn test_construct() {
        let mut buf = [0xffu8; 28];
        repr().emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, PACKET_BYTES);
    }

    #[test]
    fn lengths_from_header_are_checked() {
        assert_eq!(Packet::new_checked(&PACKET_BYTES[..27]), Err(Error));
        let mut big = PACKET_BYTES;
        big[4] = 255; // hlen 255 runs far past the buffer
        assert_eq!(Packet::new_checked(&big[..]), Err(Error));
        assert_eq!(Packet::new_checked(&PACKET_BYTES[..7]), Err(Error));
    }

    #[test]
    fn non_ethernet_ipv4_repr_is_error() {
        let mut other = PACKET_BYTES;
        other[1] = 6; // IEEE 802 hardware type
        assert_eq!(Repr::parse(&Packet::new_unchecked(&other[..])), Err(Error));
    }

    proptest! {
        #[test]
        fn operation_round_trips(v in any::<u16>()) {
            prop_assert_eq!(u16::from(Operation::from(v)), v);
        }

        #[test]
        fn repr_round_trips(op in any::<u16>(), sha in any::<[u8; 6]>(), spa in any::<u32>(),
                            tha in any::<[u8; 6]>(), tpa in any::<u32>()) {
            let r = Repr::EthernetIpv4 {
                operation: op.into(),
                source_hardware_addr: EthernetAddress(sha),
                source_protocol_addr: spa.into(),
                target_hardware_addr: EthernetAddress(tha),
                target_protocol_addr: tpa.into(),
            };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]));
            prop_assert_eq!(Repr::parse(&Packet::new_unchecked(&buf[..])), Ok(r));
        }
    }
}
