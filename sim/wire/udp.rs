//! UDP datagrams (RFC 768).
//!
//! The payload is bounded by the UDP length field, which `check_len` holds
//! against the buffer as `udp_rcv` does (a length beyond the IP payload, or
//! below 8, is a "short packet" drop). A checksum field of 0 means the
//! sender computed none; a computed 0 is therefore sent as 0xffff.

use super::{Error, Field, Result, checksum, get16, put16};
use std::net::Ipv4Addr;

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
}

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// The IP protocol number of UDP, for the pseudo-header.
const PROTO_UDP: u8 = 17;

/// A view of a UDP datagram.
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

    /// Err on a buffer shorter than 8, or a length field below 8 or beyond
    /// the buffer.
    pub fn check_len(&self) -> Result<()> {
        let buf_len = self.buffer.as_ref().len();
        if buf_len < HEADER_LEN {
            return Err(Error);
        }
        let len = self.len() as usize;
        if len < HEADER_LEN || len > buf_len { Err(Error) } else { Ok(()) }
    }

    /// Give the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        get16(self.buffer.as_ref(), field::SRC_PORT)
    }

    /// The destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        get16(self.buffer.as_ref(), field::DST_PORT)
    }

    /// The length field: header plus payload.
    #[inline]
    #[allow(clippy::len_without_is_empty)] // a header field, not a container length
    pub fn len(&self) -> u16 {
        get16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The checksum field (0: none was computed).
    #[inline]
    pub fn checksum(&self) -> u16 {
        get16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The payload, bounded by the length field.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.len() as usize]
    }

    /// Whether the checksum is correct; a zero field (none) always passes.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        if self.checksum() == 0 {
            return true;
        }
        let data = &self.buffer.as_ref()[..self.len() as usize];
        let sum = checksum::pseudo_header(src, dst, PROTO_UDP, self.len()) + checksum::sum(data);
        checksum::fold(sum) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the source port.
    #[inline]
    pub fn set_src_port(&mut self, port: u16) {
        put16(self.buffer.as_mut(), field::SRC_PORT, port);
    }

    /// Set the destination port.
    #[inline]
    pub fn set_dst_port(&mut self, port: u16) {
        put16(self.buffer.as_mut(), field::DST_PORT, port);
    }

    /// Set the length field.
    #[inline]
    pub fn set_len(&mut self, len: u16) {
        put16(self.buffer.as_mut(), field::LENGTH, len);
    }

    /// Set the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, csum: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM, csum);
    }

    /// Compute and store the checksum over the pseudo-header and the first
    /// `len` bytes; a computed 0 is stored as 0xffff (RFC 768).
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let len = self.len();
        let data = &self.buffer.as_ref()[..len as usize];
        let sum = checksum::pseudo_header(src, dst, PROTO_UDP, len) + checksum::sum(data);
        let csum = checksum::finish(sum);
        self.set_checksum(if csum == 0 { 0xffff } else { csum });
    }

    /// The payload (bounded by the length field), mutably.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.len() as usize;
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

/// An owned UDP header; the payload bytes are the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl Repr {
    /// Read the header of a datagram (its lengths are checked again here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_len()?;
        Ok(Repr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload_len: packet.len() as usize - HEADER_LEN,
        })
    }

    /// Length of the header (8).
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Bytes needed for the header and payload.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Write the header with a zero checksum; copy the payload in, then call
    /// [`Packet::fill_checksum`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len((HEADER_LEN + self.payload_len) as u16);
        packet.set_checksum(0);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
    const DST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);

    /// 5353 → 53, 4 payload bytes, then 2 trailing bytes beyond the length.
    static PACKET_BYTES: [u8; 14] =
        [0x14, 0xe9, 0x00, 0x35, 0x00, 0x0c, 0xef, 0xc2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xee];

    #[test]
    fn test_deconstruct() {
        let p = Packet::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.len()), (5353, 53, 12));
        assert_eq!(p.payload(), &[0xaa, 0xbb, 0xcc, 0xdd]);
        assert!(p.verify_checksum(SRC, DST));
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r, Repr { src_port: 5353, dst_port: 53, payload_len: 4 });
    }

    #[test]
    fn test_construct() {
        let mut buf = [0xeeu8; 14];
        let r = Repr { src_port: 5353, dst_port: 53, payload_len: 4 };
        let mut p = Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut p);
        p.payload_mut().copy_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
        p.fill_checksum(SRC, DST);
        assert_eq!(buf, PACKET_BYTES);
    }

    #[test]
    fn bad_lengths() {
        assert_eq!(Packet::new_checked(&PACKET_BYTES[..7]), Err(Error));
        assert_eq!(Packet::new_checked(&PACKET_BYTES[..11]), Err(Error));
        let mut b = PACKET_BYTES;
        b[5] = 7;
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
    }

    #[test]
    fn zero_checksum_means_none() {
        let mut b = PACKET_BYTES;
        b[6..8].fill(0);
        assert!(Packet::new_unchecked(&b[..]).verify_checksum(SRC, DST));
        b[7] = 1;
        assert!(!Packet::new_unchecked(&b[..]).verify_checksum(SRC, DST));
    }

    #[test]
    fn computed_zero_is_sent_as_ffff() {
        // Choose the payload word so that the complemented sum is 0.
        let mut b = [0u8; 10];
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_len(10);
        let partial = checksum::pseudo_header(SRC, DST, PROTO_UDP, 10) + 10;
        let word = !checksum::fold(partial);
        p.payload_mut().copy_from_slice(&word.to_be_bytes());
        p.fill_checksum(SRC, DST);
        assert_eq!(p.checksum(), 0xffff);
        assert!(p.verify_checksum(SRC, DST));
    }

    proptest! {
        #[test]
        fn repr_round_trips(src_port in any::<u16>(), dst_port in any::<u16>(),
                            payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let r = Repr { src_port, dst_port, payload_len: payload.len() };
            let mut buf = vec![0u8; r.buffer_len()];
            let mut p = Packet::new_unchecked(&mut buf[..]);
            r.emit(&mut p);
            p.payload_mut().copy_from_slice(&payload);
            p.fill_checksum(SRC, DST);
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert!(p.verify_checksum(SRC, DST));
            prop_assert_eq!(Repr::parse(&p), Ok(r));
        }
    }
}
