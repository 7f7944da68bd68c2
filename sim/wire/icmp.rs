//! ICMP for IPv4 (RFC 792), with the datagram quoted by error messages.
//!
//! Every message has an 8-byte header: type, code, checksum, and four bytes
//! whose meaning depends on the type (echo ident and sequence, next-hop MTU
//! (RFC 1191), redirect gateway, parameter-problem pointer). For the error
//! types, the data is the offending datagram's IP header and at least its
//! first 8 payload bytes (RFC 1812 §4.3.2.3 allows more; Linux quotes up to
//! 576 bytes in all). Conntrack and NAT look into that quote, so
//! [`Packet::quoted`] hands it out as is, to be viewed with `Ipv4Packet`.
//! The quote may be truncated: view it with `new_unchecked` plus explicit
//! bounds, not `new_checked` (its total length describes the original).

use super::{Error, Field, Result, checksum, get16, get32, put16, put32};
use std::net::Ipv4Addr;

/// ICMP message types.
pub mod types {
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 0;
    /// Destination unreachable.
    pub const DEST_UNREACH: u8 = 3;
    /// Source quench (deprecated by RFC 6633).
    pub const SOURCE_QUENCH: u8 = 4;
    /// Redirect.
    pub const REDIRECT: u8 = 5;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 8;
    /// Router advertisement (RFC 1256).
    pub const ROUTER_ADVERT: u8 = 9;
    /// Router solicitation (RFC 1256).
    pub const ROUTER_SOLICIT: u8 = 10;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 11;
    /// Parameter problem.
    pub const PARAMETER_PROB: u8 = 12;
    /// Timestamp request.
    pub const TIMESTAMP: u8 = 13;
    /// Timestamp reply.
    pub const TIMESTAMP_REPLY: u8 = 14;
    /// Information request (obsolete).
    pub const INFO_REQUEST: u8 = 15;
    /// Information reply (obsolete).
    pub const INFO_REPLY: u8 = 16;
    /// Address mask request (RFC 950).
    pub const ADDRESS: u8 = 17;
    /// Address mask reply (RFC 950).
    pub const ADDRESS_REPLY: u8 = 18;
}

/// Codes of destination unreachable (type 3), as in `linux/icmp.h`.
pub mod unreach {
    /// Network unreachable.
    pub const NET_UNREACH: u8 = 0;
    /// Host unreachable.
    pub const HOST_UNREACH: u8 = 1;
    /// Protocol unreachable.
    pub const PROT_UNREACH: u8 = 2;
    /// Port unreachable.
    pub const PORT_UNREACH: u8 = 3;
    /// Fragmentation needed and DF set; carries the next-hop MTU.
    pub const FRAG_NEEDED: u8 = 4;
    /// Source route failed.
    pub const SR_FAILED: u8 = 5;
    /// Destination network unknown.
    pub const NET_UNKNOWN: u8 = 6;
    /// Destination host unknown.
    pub const HOST_UNKNOWN: u8 = 7;
    /// Source host isolated.
    pub const HOST_ISOLATED: u8 = 8;
    /// Network administratively prohibited.
    pub const NET_PROHIBITED: u8 = 9;
    /// Host administratively prohibited.
    pub const HOST_PROHIBITED: u8 = 10;
    /// Network unreachable for TOS.
    pub const NET_UNR_TOS: u8 = 11;
    /// Host unreachable for TOS.
    pub const HOST_UNR_TOS: u8 = 12;
    /// Communication administratively prohibited (RFC 1812), REJECT's
    /// `icmp-admin-prohibited`.
    pub const ADMIN_PROHIBITED: u8 = 13;
    /// Host precedence violation.
    pub const PREC_VIOLATION: u8 = 14;
    /// Precedence cutoff in effect.
    pub const PREC_CUTOFF: u8 = 15;
}

/// Codes of time exceeded (type 11).
/// Codes of ICMP redirect messages (RFC 792).
pub mod redirect {
    /// Redirect datagrams for the network.
    pub const NET: u8 = 0;
    /// Redirect datagrams for the host.
    pub const HOST: u8 = 1;
    /// Redirect for the type of service and network.
    pub const TOS_NET: u8 = 2;
    /// Redirect for the type of service and host.
    pub const TOS_HOST: u8 = 3;
}

pub mod time_exceeded {
    /// TTL expired in transit.
    pub const TTL: u8 = 0;
    /// Fragment reassembly time exceeded.
    pub const FRAG_TIME: u8 = 1;
}

/// Whether `msg_type` is an error that quotes the offending datagram (the
/// types `icmp_is_err` in the kernel lists).
pub fn is_error(msg_type: u8) -> bool {
    matches!(
        msg_type,
        types::DEST_UNREACH | types::SOURCE_QUENCH | types::REDIRECT | types::TIME_EXCEEDED | types::PARAMETER_PROB
    )
}

mod field {
    use super::Field;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    pub const REST: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    pub const MTU: Field = 6..8;
    pub const POINTER: usize = 4;
}

/// Length of the ICMP header.
pub const HEADER_LEN: usize = 8;

/// A view of an ICMP message; the buffer is the whole IP payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wrap a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wrap a buffer, checking that it holds the 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Err unless the buffer holds the 8-byte header.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN { Err(Error) } else { Ok(()) }
    }

    /// Give the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type.
    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    /// The message code.
    #[inline]
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        get16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Echo (and timestamp, info) identifier: bytes 4..6.
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        get16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// Echo (and timestamp, info) sequence number: bytes 6..8.
    #[inline]
    pub fn echo_seq_no(&self) -> u16 {
        get16(self.buffer.as_ref(), field::ECHO_SEQNO)
    }

    /// Next-hop MTU of a "fragmentation needed" (RFC 1191): bytes 6..8.
    #[inline]
    pub fn next_hop_mtu(&self) -> u16 {
        get16(self.buffer.as_ref(), field::MTU)
    }

    /// Gateway address of a redirect: bytes 4..8.
    #[inline]
    pub fn gateway(&self) -> Ipv4Addr {
        get32(self.buffer.as_ref(), field::REST).into()
    }

    /// Pointer to the offending octet of a parameter problem: byte 4.
    #[inline]
    pub fn pointer(&self) -> u8 {
        self.buffer.as_ref()[field::POINTER]
    }

    /// Bytes 4..8 as one number, whatever the type.
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        get32(self.buffer.as_ref(), field::REST)
    }

    /// Everything after the 8-byte header.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// The quoted offending datagram, for error types only.
    #[inline]
    pub fn quoted(&self) -> Option<&[u8]> {
        if is_error(self.msg_type()) { Some(self.data()) } else { None }
    }

    /// Whether the checksum over the whole message is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the message type.
    #[inline]
    pub fn set_msg_type(&mut self, t: u8) {
        self.buffer.as_mut()[field::TYPE] = t;
    }

    /// Set the message code.
    #[inline]
    pub fn set_msg_code(&mut self, code: u8) {
        self.buffer.as_mut()[field::CODE] = code;
    }

    /// Set the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, csum: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM, csum);
    }

    /// Set the echo identifier.
    #[inline]
    pub fn set_echo_ident(&mut self, ident: u16) {
        put16(self.buffer.as_mut(), field::ECHO_IDENT, ident);
    }

    /// Set the echo sequence number.
    #[inline]
    pub fn set_echo_seq_no(&mut self, seq: u16) {
        put16(self.buffer.as_mut(), field::ECHO_SEQNO, seq);
    }

    /// Set the next-hop MTU (bytes 4..6 are left alone; RFC 1191 zeroes them).
    #[inline]
    pub fn set_next_hop_mtu(&mut self, mtu: u16) {
        put16(self.buffer.as_mut(), field::MTU, mtu);
    }

    /// Set the redirect gateway.
    #[inline]
    pub fn set_gateway(&mut self, gw: Ipv4Addr) {
        put32(self.buffer.as_mut(), field::REST, gw.into());
    }

    /// Set the parameter-problem pointer.
    #[inline]
    pub fn set_pointer(&mut self, ptr: u8) {
        self.buffer.as_mut()[field::POINTER] = ptr;
    }

    /// Set bytes 4..8.
    #[inline]
    pub fn set_rest_of_header(&mut self, rest: u32) {
        put32(self.buffer.as_mut(), field::REST, rest);
    }

    /// Everything after the header, mutably (NAT rewrites the quote here).
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }

    /// Recompute and store the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let csum = checksum::finish(checksum::sum(self.buffer.as_ref()));
        self.set_checksum(csum);
    }
}

/// An owned ICMP header; data and quoted bytes are the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr {
    /// Echo request (type 8, code 0).
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Length of the echo data.
        data_len: usize,
    },
    /// Echo reply (type 0, code 0).
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Length of the echo data.
        data_len: usize,
    },
    /// An error type (see [`is_error`]) quoting a datagram.
    Error {
        /// Type: 3, 4, 5, 11 or 12.
        msg_type: u8,
        /// Code.
        code: u8,
        /// Bytes 4..8 (MTU, gateway, pointer, or unused).
        rest: u32,
        /// Length of the quoted datagram.
        quoted_len: usize,
    },
    /// Any other message, including echoes with a nonzero code.
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
        /// Bytes 4..8.
        rest: u32,
        /// Length of the data after the header.
        data_len: usize,
    },
}

impl Repr {
    /// Read the header of a message (its length is checked again here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_len()?;
        let (msg_type, code) = (packet.msg_type(), packet.msg_code());
        let data_len = packet.data().len();
        let (ident, seq_no) = (packet.echo_ident(), packet.echo_seq_no());
        Ok(match (msg_type, code) {
            (types::ECHO_REQUEST, 0) => Repr::EchoRequest { ident, seq_no, data_len },
            (types::ECHO_REPLY, 0) => Repr::EchoReply { ident, seq_no, data_len },
            (t, code) if is_error(t) => {
                Repr::Error { msg_type: t, code, rest: packet.rest_of_header(), quoted_len: data_len }
            }
            (t, code) => Repr::Other { msg_type: t, code, rest: packet.rest_of_header(), data_len },
        })
    }

    /// Length of the data after the 8-byte header.
    pub fn data_len(&self) -> usize {
        match *self {
            Repr::EchoRequest { data_len, .. } | Repr::EchoReply { data_len, .. } | Repr::Other { data_len, .. } => {
                data_len
            }
            Repr::Error { quoted_len, .. } => quoted_len,
        }
    }

    /// Bytes needed for the header and data.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.data_len()
    }

    /// Write the header with a zero checksum; copy the data in, then call
    /// [`Packet::fill_checksum`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        let (msg_type, code, rest) = match *self {
            Repr::EchoRequest { ident, seq_no, .. } => (types::ECHO_REQUEST, 0, (ident as u32) << 16 | seq_no as u32),
            Repr::EchoReply { ident, seq_no, .. } => (types::ECHO_REPLY, 0, (ident as u32) << 16 | seq_no as u32),
            Repr::Error { msg_type, code, rest, .. } | Repr::Other { msg_type, code, rest, .. } => {
                (msg_type, code, rest)
            }
        };
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        packet.set_checksum(0);
        packet.set_rest_of_header(rest);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    /// Echo request, ident 0x1234, seq 1, data "ping".
    static ECHO_BYTES: [u8; 12] = [0x08, 0x00, 0x06, 0xfa, 0x12, 0x34, 0x00, 0x01, 0x70, 0x69, 0x6e, 0x67];

    #[test]
    fn test_deconstruct_echo() {
        let p = Packet::new_checked(&ECHO_BYTES[..]).unwrap();
        assert_eq!((p.msg_type(), p.msg_code()), (types::ECHO_REQUEST, 0));
        assert_eq!((p.echo_ident(), p.echo_seq_no()), (0x1234, 1));
        assert_eq!(p.rest_of_header(), 0x1234_0001);
        assert_eq!(p.data(), b"ping");
        assert_eq!(p.quoted(), None);
        assert!(p.verify_checksum());
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r, Repr::EchoRequest { ident: 0x1234, seq_no: 1, data_len: 4 });
    }

    #[test]
    fn test_construct_echo() {
        let mut buf = [0xffu8; 12];
        let r = Repr::EchoRequest { ident: 0x1234, seq_no: 1, data_len: 4 };
        let mut p = Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut p);
        p.data_mut().copy_from_slice(b"ping");
        p.fill_checksum();
        assert_eq!(buf, ECHO_BYTES);
    }

    /// Frag needed, MTU 1400, quoting a 20-byte IPv4 header and 8 UDP bytes.
    static FRAG_NEEDED_BYTES: [u8; 36] = [
        0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x78, // ICMP header (csum filled below)
        0x45, 0x00, 0x05, 0xdc, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0,
        2, // quoted IPv4 header
        0x30, 0x39, 0x00, 0x35, 0x05, 0xc8, 0x00, 0x00, // quoted UDP header
    ];

    #[test]
    fn test_deconstruct_frag_needed() {
        let p = Packet::new_checked(&FRAG_NEEDED_BYTES[..]).unwrap();
        assert!(is_error(p.msg_type()));
        assert_eq!((p.msg_code(), p.next_hop_mtu()), (unreach::FRAG_NEEDED, 1400));
        let quoted = p.quoted().unwrap();
        let inner = crate::wire::Ipv4Packet::new_unchecked(quoted);
        assert_eq!(inner.dst_addr(), Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(inner.total_len(), 1500); // the original's, not the quote's
        assert_eq!(&quoted[inner.header_len()..][..2], &[0x30, 0x39]);
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r, Repr::Error { msg_type: 3, code: 4, rest: 1400, quoted_len: 28 });
    }

    #[test]
    fn test_construct_frag_needed() {
        let mut buf = [0u8; 36];
        buf[8..].copy_from_slice(&FRAG_NEEDED_BYTES[8..]);
        let r = Repr::Error { msg_type: 3, code: 4, rest: 1400, quoted_len: 28 };
        let mut p = Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut p);
        p.fill_checksum();
        assert!(p.verify_checksum());
        assert_eq!(buf[4..], FRAG_NEEDED_BYTES[4..]);
    }

    #[test]
    fn redirect_and_param_problem_fields() {
        let mut buf = [0u8; 8];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_msg_type(types::REDIRECT);
        p.set_gateway(Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(p.gateway(), Ipv4Addr::new(192, 0, 2, 1));
        p.set_msg_type(types::PARAMETER_PROB);
        p.set_pointer(9);
        assert_eq!(p.pointer(), 9);
        assert_eq!(p.quoted(), Some(&[][..]));
        p.set_echo_ident(7);
        p.set_echo_seq_no(8);
        p.set_next_hop_mtu(576);
        assert_eq!((p.echo_ident(), p.next_hop_mtu()), (7, 576));
    }

    #[test]
    fn short_and_odd_types() {
        assert_eq!(Packet::new_checked(&ECHO_BYTES[..7]), Err(Error));
        let mut b = ECHO_BYTES;
        b[1] = 1; // echo with a nonzero code is kept whole as Other
        let r = Repr::parse(&Packet::new_unchecked(&b[..])).unwrap();
        assert_eq!(r, Repr::Other { msg_type: 8, code: 1, rest: 0x1234_0001, data_len: 4 });
        for t in 0..=255u8 {
            let expect = [3, 4, 5, 11, 12].contains(&t);
            assert_eq!(is_error(t), expect, "type {t}");
        }
    }

    fn arb_repr() -> impl Strategy<Value = Repr> {
        let len = 0usize..64;
        prop_oneof![
            (any::<u16>(), any::<u16>(), len.clone())
                .prop_map(|(ident, seq_no, data_len)| { Repr::EchoRequest { ident, seq_no, data_len } }),
            (any::<u16>(), any::<u16>(), len.clone())
                .prop_map(|(ident, seq_no, data_len)| { Repr::EchoReply { ident, seq_no, data_len } }),
            (prop::sample::select(vec![3u8, 4, 5, 11, 12]), any::<u8>(), any::<u32>(), len.clone())
                .prop_map(|(msg_type, code, rest, quoted_len)| Repr::Error { msg_type, code, rest, quoted_len }),
            (any::<u8>(), any::<u8>(), any::<u32>(), len)
                .prop_filter("not echo/error", |(t, c, _, _)| { !is_error(*t) && !((*t == 0 || *t == 8) && *c == 0) })
                .prop_map(|(msg_type, code, rest, data_len)| Repr::Other { msg_type, code, rest, data_len }),
        ]
    }

    proptest! {
        #[test]
        fn repr_round_trips(r in arb_repr()) {
            let mut buf = vec![0u8; r.buffer_len()];
            let mut p = Packet::new_unchecked(&mut buf[..]);
            r.emit(&mut p);
            p.fill_checksum();
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert!(p.verify_checksum());
            prop_assert_eq!(Repr::parse(&p), Ok(r));
        }
    }
}
