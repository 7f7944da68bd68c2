//! pcapng: sections, interface descriptions and packet blocks.
//!
//! A file is a run of blocks `type, length, body, length`. A Section Header
//! Block (SHB) starts each section, fixes its byte order through the
//! byte-order magic, and forgets the previous section's interfaces. Interface
//! Description Blocks (IDB) add interfaces in order; Enhanced (EPB), Simple
//! (SPB) and obsolete (OPB) Packet Blocks carry packets; every other block
//! (name resolution, statistics, decryption secrets, custom, unknown) is
//! skipped by its length. Each block's length is checked (multiple of 4, at
//! least its type's minimum, equal at both ends, at most `MAX_BLOCK_BYTES`)
//! before it is read, and options are walked only within their block.

use super::classic::io_at;
use super::endian::Endian;
use super::error::{Error, ErrorKind, MAX_BLOCK_BYTES};
use super::reader::Meta;
use super::window::Window;
use super::{Direction, Interface, LinkType, TsResolution};
use crate::engine::Instant;
use std::io::Read;
use std::ops::Range;

/// Block type of a Section Header Block; its bytes read the same both ways.
pub const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// Interfaces one section may describe before we call it damage.
const MAX_INTERFACES: usize = 65_536;

/// The reading state of a pcapng file: the current section.
pub struct PcapNg {
    endian: Endian,
    /// The current section's interfaces, by id.
    pub interfaces: Vec<Interface>,
    /// Timestamp of the last packet, which a Simple Packet Block reuses.
    last_ts: Instant,
}

/// One block, consumed from the window: where it starts and its bytes.
struct Block {
    kind: u32,
    offset: u64,
    /// The whole block, header and trailer included, in the window.
    range: Range<usize>,
    /// The length repeated at its end, checked after its body is parsed
    /// (as Wireshark does, so an overrunning option is named first).
    trailer: u32,
}

impl Block {
    /// Checks that the block's two lengths agree.
    fn check_trailer(&self, packet: Option<u64>) -> Result<(), Error> {
        let header = self.range.len() as u32;
        if self.trailer != header {
            let trailer = self.trailer;
            let kind = ErrorKind::TrailerMismatch { header, trailer };
            return Err(Error::at(self.offset, packet, kind));
        }
        Ok(())
    }
}

impl PcapNg {
    /// Reads the first Section Header Block at the start of `win`.
    pub fn open<R: Read>(win: &mut Window<R>) -> Result<PcapNg, Error> {
        let mut ng = PcapNg { endian: Endian::Little, interfaces: Vec::new(), last_ts: Instant::ZERO };
        match ng.block(win, None)? {
            Some(b) => {
                ng.section(win, &b, None)?;
                b.check_trailer(None)?;
            }
            None => unreachable!("the caller saw the SHB magic"),
        }
        ng.leading_interfaces(win)?;
        Ok(ng)
    }

    /// Reads the IDBs right after the first SHB, so the interfaces are known
    /// before the first packet; stops at the first other block, unread.
    fn leading_interfaces<R: Read>(&mut self, win: &mut Window<R>) -> Result<(), Error> {
        loop {
            let offset = win.offset();
            if win.fill(8).map_err(io_at(offset, Some(0)))? < 8 {
                return Ok(());
            }
            if self.endian.u32(win.available(), 0) != IDB {
                return Ok(());
            }
            let b = self.block(win, Some(0))?.expect("8 bytes are held");
            self.interface(win, &b, 0)?;
            b.check_trailer(Some(0))?;
        }
    }

    /// Reads blocks until the next packet, `Ok(None)` at a clean end of file.
    pub fn next<R: Read>(&mut self, win: &mut Window<R>, index: u64) -> Result<Option<Meta>, Error> {
        loop {
            let Some(b) = self.block(win, Some(index))? else {
                return Ok(None);
            };
            let packet = match b.kind {
                SHB => self.section(win, &b, Some(index)).map(|()| None)?,
                IDB => self.interface(win, &b, index).map(|()| None)?,
                EPB | OPB => Some(self.packet(win, &b, index)?),
                SPB => Some(self.simple(win, &b, index)?),
                _ => None,
            };
            b.check_trailer(Some(index))?;
            if packet.is_some() {
                return Ok(packet);
            }
        }
    }

    /// Reads and checks one block's framing, consuming it from the window.
    fn block<R: Read>(&mut self, win: &mut Window<R>, packet: Option<u64>) -> Result<Option<Block>, Error> {
        let offset = win.offset();
        let at = |kind| Error::at(offset, packet, kind);
        let got = win.fill(12).map_err(io_at(offset, packet))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 12 {
            return Err(at(ErrorKind::TruncatedRecordHeader { need: 12, got }));
        }
        let head = win.available();
        let kind = self.endian.u32(head, 0);
        if kind == SHB {
            // A new section may switch byte order; its magic says which.
            let magic = [head[8], head[9], head[10], head[11]];
            self.endian = match u32::from_be_bytes(magic) {
                0x1a2b_3c4d => Endian::Big,
                0x4d3c_2b1a => Endian::Little,
                _ => return Err(at(ErrorKind::ByteOrderMagic { magic })),
            };
        }
        let len = self.endian.u32(head, 4);
        if !len.is_multiple_of(4) {
            return Err(at(ErrorKind::BlockUnaligned { len }));
        }
        let min = min_len(kind);
        if len < min {
            return Err(at(ErrorKind::BlockTooShort { len, min }));
        }
        if len > MAX_BLOCK_BYTES {
            let claimed = u64::from(len);
            return Err(at(ErrorKind::TooLarge { claimed }));
        }
        let got = win.fill(len as usize).map_err(io_at(offset, packet))?;
        if got < len as usize {
            let (claimed, got) = (u64::from(len), got as u64);
            return Err(at(ErrorKind::TruncatedRecord { claimed, got }));
        }
        let trailer = self.endian.u32(win.available(), len as usize - 4);
        let range = win.consume(len as usize);
        Ok(Some(Block { kind, offset, range, trailer }))
    }

    /// Starts a section: checks its version and options, forgets interfaces.
    fn section<R: Read>(&mut self, win: &Window<R>, b: &Block, packet: Option<u64>) -> Result<(), Error> {
        let body = body(win, b);
        let (major, minor) = (self.endian.u16(body, 4), self.endian.u16(body, 6));
        if major != 1 {
            let kind = ErrorKind::PcapNgVersion { major, minor };
            return Err(Error::at(b.offset, packet, kind));
        }
        walk_options(body, 16, self.endian, b.offset, packet, |_, _| Ok(()))?;
        self.interfaces.clear();
        Ok(())
    }

    /// Adds the interface an IDB describes.
    fn interface<R: Read>(&mut self, win: &Window<R>, b: &Block, index: u64) -> Result<(), Error> {
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(Error::at(b.offset, Some(index), ErrorKind::TooManyInterfaces));
        }
        let body = body(win, b);
        let e = self.endian;
        let mut ifc = Interface {
            name: None,
            link: LinkType::from(e.u16(body, 0)),
            snaplen: e.u32(body, 4),
            ts_resolution: TsResolution::MICROS,
            ts_offset_secs: 0,
        };
        walk_options(body, 8, e, b.offset, Some(index), |code, value| {
            match (code, value.len()) {
                (2, _) => {
                    let text = value.split(|&c| c == 0).next().unwrap_or(&[]);
                    ifc.name = Some(String::from_utf8_lossy(text).into_owned());
                }
                (9, 1..) => ifc.ts_resolution = TsResolution::from_option(value[0]),
                (14, 8) => ifc.ts_offset_secs = e.u64(value, 0) as i64,
                (9 | 14, n) => {
                    return Err(ErrorKind::OptionSize { code, len: n as u16 });
                }
                _ => {}
            }
            Ok(())
        })?;
        self.interfaces.push(ifc);
        Ok(())
    }

    /// An Enhanced or obsolete Packet Block: interface, time, data, flags.
    fn packet<R: Read>(&mut self, win: &Window<R>, b: &Block, index: u64) -> Result<Meta, Error> {
        let body = body(win, b);
        let e = self.endian;
        let id = if b.kind == EPB { e.u32(body, 0) } else { u32::from(e.u16(body, 0)) };
        let ticks = u64::from(e.u32(body, 4)) << 32 | u64::from(e.u32(body, 8));
        let (caplen, orig_len) = (e.u32(body, 12), e.u32(body, 16));
        let room = (body.len() - 20) as u32;
        if caplen > room {
            let kind = ErrorKind::CaptureExceedsBlock { caplen, room };
            return Err(Error::at(b.offset, Some(index), kind));
        }
        let ifc = self.lookup(id, b.offset, index)?;
        let (ts, link) = (ifc.instant(ticks), ifc.link);
        let mut direction = None;
        let opts = 20 + pad4(caplen as usize).min(room as usize);
        walk_options(body, opts, e, b.offset, Some(index), |code, value| {
            match (code, value.len()) {
                (2, 4) => direction = Direction::from_flags(e.u32(value, 0)),
                (2, n) => {
                    return Err(ErrorKind::OptionSize { code, len: n as u16 });
                }
                _ => {}
            }
            Ok(())
        })?;
        self.last_ts = ts;
        let start = b.range.start + 8 + 20;
        Ok(Meta { ts, orig_len, data: start..start + caplen as usize, link, interface: Some(id), direction })
    }

    /// A Simple Packet Block: interface 0, the previous timestamp.
    fn simple<R: Read>(&mut self, win: &Window<R>, b: &Block, index: u64) -> Result<Meta, Error> {
        let body = body(win, b);
        let orig_len = self.endian.u32(body, 0);
        let ifc = self.lookup(0, b.offset, index)?;
        let mut caplen = orig_len.min((body.len() - 4) as u32);
        if ifc.snaplen != 0 {
            caplen = caplen.min(ifc.snaplen);
        }
        let start = b.range.start + 8 + 4;
        Ok(Meta {
            ts: self.last_ts,
            orig_len,
            data: start..start + caplen as usize,
            link: ifc.link,
            interface: Some(0),
            direction: None,
        })
    }

    /// The interface `id` of this section, or an error naming the block.
    fn lookup(&self, id: u32, offset: u64, index: u64) -> Result<&Interface, Error> {
        self.interfaces.get(id as usize).ok_or_else(|| {
            let known = self.interfaces.len() as u32;
            Error::at(offset, Some(index), ErrorKind::UnknownInterface { id, known })
        })
    }
}

/// A block's body: the bytes between its length fields.
fn body<'w, R: Read>(win: &'w Window<R>, b: &Block) -> &'w [u8] {
    let r = b.range.clone();
    win.slice(r.start + 8..r.end - 4)
}

/// The smallest legal total length of a block of type `kind`.
fn min_len(kind: u32) -> u32 {
    match kind {
        SHB => 28,
        IDB => 20,
        EPB | OPB => 32,
        SPB => 16,
        _ => 12,
    }
}

/// `n` rounded up to a multiple of 4.
fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Calls `f(code, value)` for each option in `body[from..]`, stopping at
/// `opt_endofopt` or the end of the body; an option whose value would run
/// past the body is an error at that option's file offset.
fn walk_options(
    body: &[u8],
    from: usize,
    e: Endian,
    block_offset: u64,
    packet: Option<u64>,
    mut f: impl FnMut(u16, &[u8]) -> Result<(), ErrorKind>,
) -> Result<(), Error> {
    let mut pos = from;
    while pos + 4 <= body.len() {
        let (code, len) = (e.u16(body, pos), e.u16(body, pos + 2));
        let at = block_offset + 8 + pos as u64;
        if code == 0 {
            break;
        }
        let value_end = pos + 4 + len as usize;
        if value_end > body.len() {
            return Err(Error::at(at, packet, ErrorKind::OptionOverrun { len }));
        }
        f(code, &body[pos + 4..value_end]).map_err(|kind| Error::at(at, packet, kind))?;
        pos += 4 + pad4(len as usize);
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    fn walk(body: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, Error> {
        let mut seen = Vec::new();
        walk_options(body, 0, Endian::Little, 100, Some(3), |c, v| {
            seen.push((c, v.to_vec()));
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn options_stop_at_end_of_options() {
        let body = [2, 0, 3, 0, b'e', b't', b'h', 0, 0, 0, 0, 0, 9, 0, 1, 0];
        assert_eq!(walk(&body).unwrap(), vec![(2, b"eth".to_vec())]);
    }

    #[test]
    fn option_overrun_names_the_option_offset() {
        let body = [1, 0, 4, 0, 0, 0, 0, 0, 2, 0, 0x30, 0x30, 1, 2];
        let e = walk(&body).unwrap_err();
        assert_eq!(e.offset, 116);
        assert_eq!(e.to_string(), "byte 116, packet 3: option of length 12336 runs past the end of the block");
    }

    #[test]
    fn unpadded_last_option_and_stray_bytes_are_tolerated() {
        assert_eq!(walk(&[1, 0, 1, 0, 7]).unwrap(), vec![(1, vec![7])]);
        assert_eq!(walk(&[1, 0]).unwrap(), vec![]);
    }
}
