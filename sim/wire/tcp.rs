//! TCP segments (RFC 9293) and their flags.
//!
//! The view's buffer is the whole segment, i.e. the IP payload; its length
//! is the segment length that goes into the pseudo-header checksum. Options
//! are decoded in `tcp_option.rs` (re-exported here); [`Repr::parse`] reads
//! them as the kernel's `tcp_parse_options` does, keeping what it had read
//! when it meets a malformed option.

use super::{Error, Field, Result, checksum, get16, get32, put16, put32};
use core::fmt;
use core::ops;
use std::net::Ipv4Addr;

pub use super::tcp_option::{OptionIter, TcpOption};

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    pub const FLAGS: Field = 12..14;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;
/// Most option bytes a header can carry (data offset 15).
pub const MAX_OPTIONS_LEN: usize = 40;
const PROTO_TCP: u8 = 6;
const FLAGS_MASK: u16 = 0x01ff;

/// The TCP control bits, including AE (RFC 9768, the former NS bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// No more data from sender.
    pub const FIN: Flags = Flags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x002);
    /// Reset the connection.
    pub const RST: Flags = Flags(0x004);
    /// Push function.
    pub const PSH: Flags = Flags(0x008);
    /// Acknowledgment field is significant.
    pub const ACK: Flags = Flags(0x010);
    /// Urgent pointer field is significant.
    pub const URG: Flags = Flags(0x020);
    /// ECN echo (RFC 3168).
    pub const ECE: Flags = Flags(0x040);
    /// Congestion window reduced (RFC 3168).
    pub const CWR: Flags = Flags(0x080);
    /// Accurate ECN (bit 8 of the flags word, formerly NS of RFC 3540).
    pub const AE: Flags = Flags(0x100);

    /// No flags.
    pub const fn empty() -> Flags {
        Flags(0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl ops::BitAnd for Flags {
    type Output = Flags;
    fn bitand(self, rhs: Flags) -> Flags {
        Flags(self.0 & rhs.0)
    }
}

impl fmt::Display for Flags {
    /// tcpdump's letters in its order (`tcp_flag_values` in print-tcp.c):
    /// F S R P . U E W e; `none` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LETTERS: [(Flags, char); 9] = [
            (Flags::FIN, 'F'),
            (Flags::SYN, 'S'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
            (Flags::ACK, '.'),
            (Flags::URG, 'U'),
            (Flags::ECE, 'E'),
            (Flags::CWR, 'W'),
            (Flags::AE, 'e'),
        ];
        if self.0 & FLAGS_MASK == 0 {
            return f.write_str("none");
        }
        for (flag, letter) in LETTERS {
            if self.contains(flag) {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

/// A view of a TCP segment.
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

    /// Err on a buffer shorter than 20, a data offset below 5, or a header
    /// longer than the buffer (as `tcp_v4_rcv` and conntrack's `tcp_error`).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error);
        }
        let hl = self.header_len();
        if hl < HEADER_LEN || hl > len { Err(Error) } else { Ok(()) }
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

    /// The sequence number.
    #[inline]
    pub fn seq_number(&self) -> u32 {
        get32(self.buffer.as_ref(), field::SEQ_NUM)
    }

    /// The acknowledgment number (meaningful only with ACK).
    #[inline]
    pub fn ack_number(&self) -> u32 {
        get32(self.buffer.as_ref(), field::ACK_NUM)
    }

    /// The header length in bytes (data offset × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        (self.buffer.as_ref()[field::FLAGS.start] >> 4) as usize * 4
    }

    /// The control bits (AE through FIN).
    #[inline]
    pub fn flags(&self) -> Flags {
        Flags(get16(self.buffer.as_ref(), field::FLAGS) & FLAGS_MASK)
    }

    /// The window field, unscaled.
    #[inline]
    pub fn window_len(&self) -> u16 {
        get16(self.buffer.as_ref(), field::WIN_SIZE)
    }

    /// The checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        get16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The urgent pointer.
    #[inline]
    pub fn urgent_at(&self) -> u16 {
        get16(self.buffer.as_ref(), field::URGENT)
    }

    /// The raw option bytes.
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// The options, decoded one by one.
    #[inline]
    pub fn option_iter(&self) -> OptionIter<'_> {
        OptionIter::new(self.options())
    }

    /// The segment's data, after the header.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// The length of the segment as sequence space counts it: data plus
    /// one each for SYN and FIN.
    #[inline]
    pub fn segment_len(&self) -> usize {
        let f = self.flags();
        self.payload().len() + f.contains(Flags::SYN) as usize + f.contains(Flags::FIN) as usize
    }

    /// Whether the checksum over pseudo-header and segment is correct.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        let data = self.buffer.as_ref();
        let ph = checksum::pseudo_header(src, dst, PROTO_TCP, data.len() as u16);
        checksum::fold(ph + checksum::sum(data)) == 0xffff
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

    /// Set the sequence number.
    #[inline]
    pub fn set_seq_number(&mut self, seq: u32) {
        put32(self.buffer.as_mut(), field::SEQ_NUM, seq);
    }

    /// Set the acknowledgment number.
    #[inline]
    pub fn set_ack_number(&mut self, ack: u32) {
        put32(self.buffer.as_mut(), field::ACK_NUM, ack);
    }

    /// Set the header length in bytes (a multiple of 4, 20 to 60).
    #[inline]
    pub fn set_header_len(&mut self, len: usize) {
        let b = &mut self.buffer.as_mut()[field::FLAGS.start];
        *b = (*b & 0x0f) | (((len / 4) as u8) << 4);
    }

    /// Set the control bits, keeping the data offset and reserved bits.
    #[inline]
    pub fn set_flags(&mut self, flags: Flags) {
        let keep = get16(self.buffer.as_ref(), field::FLAGS) & !FLAGS_MASK;
        put16(self.buffer.as_mut(), field::FLAGS, keep | (flags.0 & FLAGS_MASK));
    }

    /// Set the window field.
    #[inline]
    pub fn set_window_len(&mut self, win: u16) {
        put16(self.buffer.as_mut(), field::WIN_SIZE, win);
    }

    /// Set the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, csum: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM, csum);
    }

    /// Set the urgent pointer.
    #[inline]
    pub fn set_urgent_at(&mut self, at: u16) {
        put16(self.buffer.as_mut(), field::URGENT, at);
    }

    /// The raw option bytes, mutably.
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }

    /// The data, mutably.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }

    /// Compute and store the checksum over pseudo-header and whole buffer.
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        let ph = checksum::pseudo_header(src, dst, PROTO_TCP, data.len() as u16);
        let csum = checksum::finish(ph + checksum::sum(data));
        self.set_checksum(csum);
    }
}

/// An owned TCP header; the payload bytes are the caller's to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq_number: u32,
    /// Acknowledgment number: `Some` exactly when ACK is set. `emit` sets
    /// or clears ACK in `flags` to match.
    pub ack_number: Option<u32>,
    /// Control bits.
    pub flags: Flags,
    /// Window field, unscaled.
    pub window_len: u16,
    /// MSS option (the kernel honours it on SYNs only).
    pub max_seg_size: Option<u16>,
    /// Window scale option, raw (the kernel honours it on SYNs only).
    pub window_scale: Option<u8>,
    /// SACK-permitted option.
    pub sack_permitted: bool,
    /// SACK blocks, first ones first; a 4th block on the wire is dropped.
    pub sack_ranges: [Option<(u32, u32)>; 3],
    /// Timestamp option: (tsval, tsecr).
    pub timestamp: Option<(u32, u32)>,
    /// Length of the data after the header.
    pub payload_len: usize,
}

impl Repr {
    /// Read a segment's header and options. Options are read as the kernel
    /// does: a later duplicate wins, parsing stops at a malformed option.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_len()?;
        let flags = packet.flags();
        let mut repr = Repr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: flags.contains(Flags::ACK).then(|| packet.ack_number()),
            flags,
            window_len: packet.window_len(),
            max_seg_size: None,
            window_scale: None,
            sack_permitted: false,
            sack_ranges: [None; 3],
            timestamp: None,
            payload_len: packet.payload().len(),
        };
        for option in packet.option_iter() {
            match option {
                Ok(TcpOption::MaxSegmentSize(mss)) => repr.max_seg_size = Some(mss),
                Ok(TcpOption::WindowScale(ws)) => repr.window_scale = Some(ws),
                Ok(TcpOption::SackPermitted) => repr.sack_permitted = true,
                Ok(TcpOption::SackRange(blocks)) => repr.sack_ranges.copy_from_slice(&blocks[..3]),
                Ok(TcpOption::Timestamp { tsval, tsecr }) => repr.timestamp = Some((tsval, tsecr)),
                Ok(_) => {}
                Err(Error) => break,
            }
        }
        Ok(repr)
    }

    /// Option bytes before SACK blocks, in Linux's layout (each group 4-aligned).
    fn fixed_options_len(&self) -> usize {
        let mss = if self.max_seg_size.is_some() { 4 } else { 0 };
        let ts = if self.timestamp.is_some() { 12 } else { 0 };
        let sack_perm = if self.sack_permitted && self.timestamp.is_none() { 4 } else { 0 };
        let ws = if self.window_scale.is_some() { 4 } else { 0 };
        mss + ts + sack_perm + ws
    }

    /// How many SACK blocks `emit` writes: the leading `Some`s that fit in
    /// the 40 option bytes, as `tcp_established_options` trims them.
    pub fn sack_blocks_emitted(&self) -> usize {
        let present = self.sack_ranges.iter().take_while(|r| r.is_some()).count();
        let room = MAX_OPTIONS_LEN - self.fixed_options_len();
        present.min(room.saturating_sub(4) / 8)
    }

    /// Length of the header `emit` writes.
    pub fn header_len(&self) -> usize {
        let sacks = self.sack_blocks_emitted();
        let sack_len = if sacks > 0 { 4 + 8 * sacks } else { 0 };
        HEADER_LEN + self.fixed_options_len() + sack_len
    }

    /// Bytes needed for the header and payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// Write header and options with a zero checksum; copy the payload in,
    /// then call [`Packet::fill_checksum`]. Options follow Linux's
    /// `tcp_options_write`: MSS; SACK_PERM+TS (or NOP NOP TS); NOP NOP
    /// SACK_PERM without TS; NOP WS; NOP NOP SACK.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        let mut flags = self.flags;
        flags.0 &= !Flags::ACK.0;
        if self.ack_number.is_some() {
            flags |= Flags::ACK;
        }
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number.unwrap_or(0));
        put16(packet.buffer.as_mut(), field::FLAGS, 0);
        packet.set_header_len(self.header_len());
        packet.set_flags(flags);
        packet.set_window_len(self.window_len);
        packet.set_checksum(0);
        packet.set_urgent_at(0);
        self.emit_options(packet.options_mut());
    }

    fn emit_options(&self, mut buf: &mut [u8]) {
        const NOP: TcpOption<'static> = TcpOption::NoOperation;
        if let Some(mss) = self.max_seg_size {
            buf = TcpOption::MaxSegmentSize(mss).emit(buf);
        }
        if let Some((tsval, tsecr)) = self.timestamp {
            buf = if self.sack_permitted { TcpOption::SackPermitted.emit(buf) } else { NOP.emit(NOP.emit(buf)) };
            buf = TcpOption::Timestamp { tsval, tsecr }.emit(buf);
        } else if self.sack_permitted {
            buf = TcpOption::SackPermitted.emit(NOP.emit(NOP.emit(buf)));
        }
        if let Some(ws) = self.window_scale {
            buf = TcpOption::WindowScale(ws).emit(NOP.emit(buf));
        }
        let sacks = self.sack_blocks_emitted();
        if sacks > 0 {
            let mut blocks = [None; 4];
            blocks[..sacks].copy_from_slice(&self.sack_ranges[..sacks]);
            TcpOption::SackRange(blocks).emit(NOP.emit(NOP.emit(buf)));
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    /// A Linux SYN: 40000 → 80, MSS 1460, SACK_PERM, TS, NOP, WS 7.
    static SYN_BYTES: [u8; 40] = [
        0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x30, 0x39, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x03, 0x03, 0x07,
    ];

    fn syn_repr() -> Repr {
        Repr {
            src_port: 40000,
            dst_port: 80,
            seq_number: 0x0102_0304,
            ack_number: None,
            flags: Flags::SYN,
            window_len: 64240,
            max_seg_size: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            sack_ranges: [None; 3],
            timestamp: Some((12345, 0)),
            payload_len: 0,
        }
    }

    fn with_checksum(bytes: &[u8]) -> Vec<u8> {
        let mut v = bytes.to_vec();
        Packet::new_unchecked(&mut v[..]).fill_checksum(SRC, DST);
        v
    }

    #[test]
    fn test_deconstruct_syn() {
        let bytes = with_checksum(&SYN_BYTES);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (40000, 80));
        assert_eq!((p.seq_number(), p.ack_number()), (0x0102_0304, 0));
        assert_eq!((p.header_len(), p.flags(), p.window_len()), (40, Flags::SYN, 64240));
        assert_eq!((p.urgent_at(), p.segment_len()), (0, 1));
        assert!(p.payload().is_empty());
        assert!(p.verify_checksum(SRC, DST));
        assert!(!p.verify_checksum(SRC, Ipv4Addr::new(10, 0, 0, 3)));
        let opts: Vec<_> = p.option_iter().collect();
        assert_eq!(
            opts,
            [
                Ok(TcpOption::MaxSegmentSize(1460)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Timestamp { tsval: 12345, tsecr: 0 }),
                Ok(TcpOption::NoOperation),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
        assert_eq!(Repr::parse(&p), Ok(syn_repr()));
    }

    #[test]
    fn test_construct_syn() {
        let r = syn_repr();
        assert_eq!(r.buffer_len(), 40);
        let mut buf = [0xffu8; 40];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, SYN_BYTES);
    }

    #[test]
    fn syn_without_sack_perm_pads_ts_with_nops() {
        let r = Repr { sack_permitted: false, window_scale: None, ..syn_repr() };
        let mut buf = [0u8; 36];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(&buf[20..28], &[2, 4, 5, 180, 1, 1, 8, 10]);
        let r = Repr { timestamp: None, window_scale: None, ..syn_repr() };
        let mut buf = [0u8; 28];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(&buf[20..], &[2, 4, 5, 180, 1, 1, 4, 2]);
    }

    /// ACK with TS and two SACK blocks, then 3 data bytes.
    #[test]
    fn ack_with_sack_blocks() {
        let r = Repr {
            ack_number: Some(0xdead_beef),
            flags: Flags::ACK | Flags::PSH,
            max_seg_size: None,
            window_scale: None,
            sack_permitted: false,
            sack_ranges: [Some((1, 2)), Some((3, 4)), None],
            payload_len: 3,
            ..syn_repr()
        };
        assert_eq!(r.header_len(), 20 + 12 + 4 + 16);
        let mut buf = vec![0u8; r.buffer_len()];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut p);
        p.payload_mut().copy_from_slice(b"abc");
        p.fill_checksum(SRC, DST);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(&p.options()[12..16], &[1, 1, 5, 18]);
        assert_eq!(p.flags().to_string(), "P.");
        assert_eq!((p.payload(), p.segment_len()), (&b"abc"[..], 3));
        assert_eq!(Repr::parse(&p), Ok(r));
    }

    #[test]
    fn too_many_sack_blocks_are_trimmed() {
        let r = Repr {
            ack_number: Some(1),
            flags: Flags::ACK,
            sack_ranges: [Some((1, 2)), Some((3, 4)), Some((5, 6))],
            ..syn_repr()
        };
        // MSS 4 + TS 12 + WS 4 leaves 20: room for two blocks.
        assert_eq!(r.sack_blocks_emitted(), 2);
        assert_eq!(r.header_len(), 60);
    }

    #[test]
    fn check_len_rejects_bad_offsets() {
        let mut b = SYN_BYTES;
        assert_eq!(Packet::new_checked(&b[..19]), Err(Error));
        assert_eq!(Packet::new_checked(&b[..39]), Err(Error)); // header 40 > 39
        b[12] = 0x40; // data offset 4
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
        b[12] = 0xf0; // data offset 15 = 60 bytes
        assert_eq!(Packet::new_checked(&b[..]), Err(Error));
    }

    #[test]
    fn malformed_option_keeps_what_was_read() {
        let mut b = SYN_BYTES;
        b[37] = 7; // WS length 7 runs past the header
        let r = Repr::parse(&Packet::new_unchecked(&b[..])).unwrap();
        assert_eq!(r.window_scale, None);
        assert_eq!((r.max_seg_size, r.timestamp), (Some(1460), Some((12345, 0))));
    }

    #[test]
    fn flags_display_like_tcpdump() {
        let cases = [
            (Flags::SYN, "S"),
            (Flags::SYN | Flags::ACK, "S."),
            (Flags::FIN | Flags::ACK, "F."),
            (Flags::RST, "R"),
            (Flags::RST | Flags::ACK, "R."),
            (Flags::PSH | Flags::ACK, "P."),
            (Flags::ACK, "."),
            (Flags::SYN | Flags::ECE | Flags::CWR, "SEW"),
            (Flags::AE | Flags::ACK, ".e"),
            (Flags::empty(), "none"),
        ];
        for (flags, text) in cases {
            assert_eq!(flags.to_string(), text);
        }
    }

    #[test]
    fn set_flags_keeps_offset_and_reserved() {
        let mut b = SYN_BYTES;
        b[12] |= 0x0e; // reserved bits
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_flags(Flags::FIN | Flags::AE);
        assert_eq!((p.header_len(), p.flags()), (40, Flags::FIN | Flags::AE));
        assert_eq!(b[12], 0xaf);
    }

    fn arb_repr() -> impl Strategy<Value = Repr> {
        let opt_pair = proptest::option::of(any::<(u32, u32)>());
        (
            (any::<u16>(), any::<u16>(), any::<u32>(), proptest::option::of(any::<u32>())),
            (any::<u16>(), any::<u16>()),
            (proptest::option::of(any::<u16>()), proptest::option::of(any::<u8>()), any::<bool>()),
            (0usize..4, any::<[(u32, u32); 3]>(), opt_pair, 0usize..100),
        )
            .prop_map(|((sp, dp, seq, ack), (flags, win), (mss, ws, sp_ok), (n, sacks, ts, len))| {
                let mut flags = Flags(flags & FLAGS_MASK);
                flags.0 &= !Flags::ACK.0;
                if ack.is_some() {
                    flags |= Flags::ACK;
                }
                let mut sack_ranges = [None; 3];
                for (slot, s) in sack_ranges.iter_mut().zip(sacks).take(n) {
                    *slot = Some(s);
                }
                let mut r = Repr {
                    src_port: sp,
                    dst_port: dp,
                    seq_number: seq,
                    ack_number: ack,
                    flags,
                    window_len: win,
                    max_seg_size: mss,
                    window_scale: ws,
                    sack_permitted: sp_ok,
                    sack_ranges,
                    timestamp: ts,
                    payload_len: len,
                };
                // What does not fit is not emitted, so it cannot come back.
                let fit = r.sack_blocks_emitted();
                for slot in r.sack_ranges.iter_mut().skip(fit) {
                    *slot = None;
                }
                r
            })
    }

    proptest! {
        #[test]
        fn repr_round_trips(r in arb_repr()) {
            let mut buf = vec![0u8; r.buffer_len()];
            let mut p = Packet::new_unchecked(&mut buf[..]);
            r.emit(&mut p);
            p.fill_checksum(SRC, DST);
            prop_assert_eq!(p.options().len() % 4, 0);
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert!(p.verify_checksum(SRC, DST));
            prop_assert!(p.option_iter().all(|o| o.is_ok()));
            prop_assert_eq!(Repr::parse(&p), Ok(r));
        }
    }
}
