//! Classic pcap: the 24-byte file header and the 16-byte record headers.
//!
//! The magic says the byte order and whether the fraction of a second counts
//! microseconds (`a1b2c3d4`) or nanoseconds (`a1b23c4d`); Alexey Kuznetsov's
//! "modified pcap" (`a1b2cd34`) adds 8 bytes to each record header (ifindex,
//! protocol, packet type), which we skip. As libpcap does, a record longer
//! than the snaplen keeps its first snaplen bytes and the rest is skipped; a
//! file that ends inside a record is an error, one that ends between records
//! is not.

use super::endian::Endian;
use super::error::{Error, ErrorKind, MAX_BLOCK_BYTES};
use super::reader::Meta;
use super::window::Window;
use super::{Interface, LinkType, TsResolution};
use crate::engine::Instant;
use std::io::Read;

/// Bytes in the file header.
pub const FILE_HEADER: usize = 24;

/// Which classic variant a magic announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Byte order of every header field.
    pub endian: Endian,
    /// Fractions of a second are nanoseconds, not microseconds.
    pub nanos: bool,
    /// The record header has 8 more bytes (modified pcap).
    pub modified: bool,
}

/// The classic variant a 4-byte magic announces, if any.
pub fn variant(magic: [u8; 4]) -> Option<Variant> {
    let (endian, word) = match magic {
        [0xa1, 0xb2, ..] => (Endian::Big, u32::from_be_bytes(magic)),
        [_, _, 0xb2, 0xa1] => (Endian::Little, u32::from_le_bytes(magic)),
        _ => return None,
    };
    let (nanos, modified) = match word {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (true, false),
        0xa1b2_cd34 => (false, true),
        _ => return None,
    };
    Some(Variant { endian, nanos, modified })
}

/// The reading state of a classic pcap file.
pub struct Classic {
    variant: Variant,
    snaplen: u32,
    /// The one interface, from the file header.
    pub interface: Interface,
}

impl Classic {
    /// Reads the file header at the start of `win`.
    pub fn open<R: Read>(win: &mut Window<R>, variant: Variant) -> Result<Classic, Error> {
        let got = win.fill(FILE_HEADER).map_err(io_at(0, None))?;
        if got < FILE_HEADER {
            let kind = ErrorKind::TruncatedHeader { need: FILE_HEADER, got };
            return Err(Error::at(0, None, kind));
        }
        let range = win.consume(FILE_HEADER);
        let h = win.slice(range);
        let e = variant.endian;
        let (major, minor) = (e.u16(h, 4), e.u16(h, 6));
        if major != 2 || minor > 4 {
            return Err(Error::at(0, None, ErrorKind::PcapVersion { major, minor }));
        }
        let snaplen = e.u32(h, 16);
        // The top 6 bits of the link-type word carry FCS information.
        let link = LinkType::from((e.u32(h, 20) & 0x03ff_ffff) as u16);
        let resolution = if variant.nanos { TsResolution::NANOS } else { TsResolution::MICROS };
        let interface = Interface { name: None, link, snaplen, ts_resolution: resolution, ts_offset_secs: 0 };
        Ok(Classic { variant, snaplen, interface })
    }

    /// Reads the next record, `Ok(None)` at a clean end of file.
    #[inline]
    pub fn next<R: Read>(&self, win: &mut Window<R>, index: u64) -> Result<Option<Meta>, Error> {
        // Filling never moves the file offset, so errors name `win.offset()`.
        let at = |win: &Window<R>, kind| Error::at(win.offset(), Some(index), kind);
        let hdr = if self.variant.modified { 24 } else { 16 };
        // The window holds whole records most of the time: it is filled only
        // when it does not.
        if win.held() < hdr {
            let got = win.fill(hdr).map_err(io_at(win.offset(), Some(index)))?;
            if got == 0 {
                return Ok(None);
            }
            if got < hdr {
                return Err(at(win, ErrorKind::TruncatedRecordHeader { need: hdr, got }));
            }
        }
        let h = win.available();
        let e = self.variant.endian;
        let (secs, frac) = (u64::from(e.u32(h, 0)), u64::from(e.u32(h, 4)));
        let (caplen, orig_len) = (e.u32(h, 8), e.u32(h, 12));
        if caplen > MAX_BLOCK_BYTES {
            let claimed = u64::from(caplen);
            return Err(at(win, ErrorKind::TooLarge { claimed }));
        }
        let total = hdr + caplen as usize;
        if win.held() < total {
            let got = win.fill(total).map_err(io_at(win.offset(), Some(index)))?;
            if got < total {
                let (claimed, got) = (u64::from(caplen), (got - hdr) as u64);
                return Err(at(win, ErrorKind::TruncatedRecord { claimed, got }));
            }
        }
        let keep = if self.snaplen != 0 && caplen > self.snaplen { self.snaplen } else { caplen };
        let record = win.consume(total);
        let data = record.start + hdr..record.start + hdr + keep as usize;
        let ns = if self.variant.nanos { frac } else { frac * 1000 };
        Ok(Some(Meta {
            ts: Instant::from_nanos(secs * 1_000_000_000 + ns),
            orig_len,
            data,
            link: self.interface.link,
            interface: None,
            direction: None,
        }))
    }
}

/// Wraps an I/O error as an [`Error`] at `offset`.
pub fn io_at(offset: u64, packet: Option<u64>) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::at(offset, packet, ErrorKind::Io(e))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn magics_in_both_orders() {
        let le_us = variant([0xd4, 0xc3, 0xb2, 0xa1]).unwrap();
        assert_eq!((le_us.endian, le_us.nanos), (Endian::Little, false));
        let be_ns = variant([0xa1, 0xb2, 0x3c, 0x4d]).unwrap();
        assert_eq!((be_ns.endian, be_ns.nanos), (Endian::Big, true));
        assert!(variant([0x34, 0xcd, 0xb2, 0xa1]).unwrap().modified);
        assert_eq!(variant(*b"4561"), None);
        assert_eq!(variant([0x0a, 0x0d, 0x0d, 0x0a]), None);
    }
}
