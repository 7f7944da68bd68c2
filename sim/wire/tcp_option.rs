//! TCP options: the typed [`TcpOption`] and the allocation-free [`OptionIter`].
//!
//! Parsing follows the kernel's `tcp_parse_options` (net/ipv4/tcp_input.c):
//! EOL ends the list; NOP is one byte; any other kind needs a length byte of
//! at least 2 ("silly options") that does not run past the header ("don't
//! parse partial options"). Where either fails the kernel stops parsing
//! silently and keeps what it had read; [`OptionIter`] yields one `Err` there
//! and then ends. A known kind with the wrong length is skipped by the
//! kernel; the iterator yields it as [`TcpOption::Unknown`], so callers see
//! it but do not act on it.

use super::{Error, Result, get16, get32, put16, put32};

/// One TCP option, borrowing from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    /// Kind 0: end of the option list.
    EndOfList,
    /// Kind 1: one byte of padding.
    NoOperation,
    /// Kind 2, length 4: maximum segment size.
    MaxSegmentSize(u16),
    /// Kind 3, length 3: window scale shift count (RFC 7323); the kernel
    /// clamps values above 14 to 14, this is the raw byte.
    WindowScale(u8),
    /// Kind 4, length 2: SACK permitted (RFC 2018).
    SackPermitted,
    /// Kind 5, length 2 + 8n (n = 1..4): SACK blocks (left, right edges).
    SackRange([Option<(u32, u32)>; 4]),
    /// Kind 8, length 10: timestamps (RFC 7323).
    Timestamp {
        /// The sender's timestamp value.
        tsval: u32,
        /// The echoed timestamp.
        tsecr: u32,
    },
    /// Any other kind, or a known kind with the wrong length.
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The bytes after the length byte.
        data: &'a [u8],
    },
}

mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WS: u8 = 3;
    pub const SACK_PERM: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TS: u8 = 8;
}

impl<'a> TcpOption<'a> {
    /// Decode a kind and the bytes after its length byte.
    fn decode(kind: u8, data: &'a [u8]) -> TcpOption<'a> {
        match (kind, data.len()) {
            (kind::MSS, 2) => TcpOption::MaxSegmentSize(get16(data, 0..2)),
            (kind::WS, 1) => TcpOption::WindowScale(data[0]),
            (kind::SACK_PERM, 0) => TcpOption::SackPermitted,
            (kind::SACK, n) if n > 0 && n <= 32 && n % 8 == 0 => {
                let mut blocks = [None; 4];
                for (slot, b) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    *slot = Some((get32(b, 0..4), get32(b, 4..8)));
                }
                TcpOption::SackRange(blocks)
            }
            (kind::TS, 8) => TcpOption::Timestamp { tsval: get32(data, 0..4), tsecr: get32(data, 4..8) },
            (kind, _) => TcpOption::Unknown { kind, data },
        }
    }

    /// Bytes this option takes on the wire.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::SackRange(b) => 2 + 8 * b.iter().flatten().count(),
            TcpOption::Timestamp { .. } => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Write this option at the start of `buf` (at least `buffer_len()`
    /// bytes) and return the rest of `buf`.
    pub fn emit<'b>(&self, buf: &'b mut [u8]) -> &'b mut [u8] {
        let len = self.buffer_len();
        let (this, rest) = buf.split_at_mut(len);
        match *self {
            TcpOption::EndOfList => this[0] = kind::EOL,
            TcpOption::NoOperation => this[0] = kind::NOP,
            TcpOption::MaxSegmentSize(mss) => {
                this[..2].copy_from_slice(&[kind::MSS, 4]);
                put16(this, 2..4, mss);
            }
            TcpOption::WindowScale(ws) => this.copy_from_slice(&[kind::WS, 3, ws]),
            TcpOption::SackPermitted => this.copy_from_slice(&[kind::SACK_PERM, 2]),
            TcpOption::SackRange(blocks) => {
                this[..2].copy_from_slice(&[kind::SACK, len as u8]);
                for (chunk, (l, r)) in this[2..].chunks_exact_mut(8).zip(blocks.iter().flatten()) {
                    put32(chunk, 0..4, *l);
                    put32(chunk, 4..8, *r);
                }
            }
            TcpOption::Timestamp { tsval, tsecr } => {
                this[..2].copy_from_slice(&[kind::TS, 10]);
                put32(this, 2..6, tsval);
                put32(this, 6..10, tsecr);
            }
            TcpOption::Unknown { kind, data } => {
                this[..2].copy_from_slice(&[kind, len as u8]);
                this[2..].copy_from_slice(data);
            }
        }
        rest
    }
}

/// An iterator over a header's options; never allocates.
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> OptionIter<'a> {
    /// Iterate over raw option bytes.
    pub fn new(options: &'a [u8]) -> OptionIter<'a> {
        OptionIter { rest: options }
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Result<TcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after) = self.rest.split_first()?;
        match kind {
            kind::EOL => {
                self.rest = &[];
                Some(Ok(TcpOption::EndOfList))
            }
            kind::NOP => {
                self.rest = after;
                Some(Ok(TcpOption::NoOperation))
            }
            _ => {
                let len = after.first().map_or(0, |&l| l as usize);
                if len < 2 || len > self.rest.len() {
                    self.rest = &[];
                    return Some(Err(Error));
                }
                let (this, rest) = self.rest.split_at(len);
                self.rest = rest;
                Some(Ok(TcpOption::decode(kind, &this[2..])))
            }
        }
    }
}

impl core::iter::FusedIterator for OptionIter<'_> {}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn option_iter_errors_then_ends() {
        let cases: [(&[u8], usize); 5] = [
            (&[2, 1, 0, 0], 0),       // length 1 < 2
            (&[2, 0], 0),             // length 0
            (&[1, 8, 10, 0, 0], 1),   // TS claims 10, runs past
            (&[1, 1, 2], 2),          // no length byte at the end
            (&[3, 3, 7, 5, 9, 0], 1), // SACK length 9 past the end
        ];
        for (bytes, ok) in cases {
            let got: Vec<_> = OptionIter::new(bytes).collect();
            assert_eq!(got.len(), ok + 1, "{bytes:?}");
            assert!(got[..ok].iter().all(|o| o.is_ok()) && got[ok] == Err(Error), "{bytes:?}");
        }
    }

    #[test]
    fn option_iter_stops_at_eol_and_keeps_odd_lengths() {
        let bytes = [2, 3, 9, 0, 2, 4, 5, 180];
        let got: Vec<_> = OptionIter::new(&bytes).collect();
        assert_eq!(got, [Ok(TcpOption::Unknown { kind: 2, data: &[9] }), Ok(TcpOption::EndOfList)]);
        let sack: Vec<_> = OptionIter::new(&[5, 10, 0, 0, 0, 1, 0, 0, 0, 2]).collect();
        assert_eq!(sack, [Ok(TcpOption::SackRange([Some((1, 2)), None, None, None]))]);
    }

    #[test]
    fn option_emit_round_trips() {
        let opts = [
            TcpOption::MaxSegmentSize(536),
            TcpOption::WindowScale(14),
            TcpOption::SackPermitted,
            TcpOption::SackRange([Some((1, 2)), Some((3, 4)), Some((5, 6)), Some((7, 8))]),
            TcpOption::Timestamp { tsval: 1, tsecr: 2 },
            TcpOption::Unknown { kind: 30, data: &[1, 2, 3] },
            TcpOption::NoOperation,
            TcpOption::EndOfList,
        ];
        let mut buf = [0u8; 64];
        let mut rest = &mut buf[..];
        for o in &opts {
            rest = o.emit(rest);
        }
        let used = 64 - rest.len();
        let got: Vec<_> = OptionIter::new(&buf[..used]).map(|o| o.unwrap()).collect();
        assert_eq!(got, opts);
    }

    proptest! {
        #[test]
        fn option_iter_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            // Never panics, ends, and an Err is always last.
            let got: Vec<_> = OptionIter::new(&bytes).collect();
            prop_assert!(got.len() <= bytes.len());
            if let Some(pos) = got.iter().position(|o| o.is_err()) {
                prop_assert_eq!(pos, got.len() - 1);
            }
        }
    }
}
