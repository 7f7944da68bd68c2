//! The streaming reader: one format-agnostic loop over classic pcap or pcapng.
//!
//! [`Reader::new`] reads the magic and the file header (or first section
//! header), then each [`Reader::next`] returns the next packet as a
//! [`Record`] borrowed from the reader's window. Memory stays constant: one
//! buffer, grown only to the largest block seen, plus the interface list of
//! the current section. After the first error `next` returns `Ok(None)`, so
//! a caller that logs the error and keeps looping stops cleanly.

use super::classic::{self, Classic};
use super::error::{Error, ErrorKind};
use super::pcapng::{self, PcapNg};
use super::window::Window;
use super::{Direction, Interface, LinkType, Record};
use crate::engine::Instant;
use std::io::Read;
use std::ops::Range;

/// A parsed packet whose bytes are still in the window.
pub(crate) struct Meta {
    pub ts: Instant,
    pub orig_len: u32,
    pub data: Range<usize>,
    pub link: LinkType,
    pub interface: Option<u32>,
    pub direction: Option<Direction>,
}

/// Which file format is being read.
enum Format {
    Classic(Classic),
    PcapNg(PcapNg),
}

/// A streaming reader of classic pcap and pcapng captures.
pub struct Reader<R> {
    win: Window<R>,
    format: Format,
    /// Index of the next packet.
    index: u64,
    /// An error has been returned; every later `next` is `Ok(None)`.
    failed: bool,
}

impl<R: Read> Reader<R> {
    /// Detects the format by its magic and reads the file header.
    ///
    /// # Errors
    /// The input is not a capture, is of an unsupported version, is shorter
    /// than its header, has a damaged first section header, or cannot be read.
    pub fn new(inner: R) -> Result<Reader<R>, Error> {
        let mut win = Window::new(inner);
        let got = win.fill(4).map_err(classic::io_at(0, None))?;
        if got < 4 {
            let kind = ErrorKind::TruncatedHeader { need: 4, got };
            return Err(Error::at(0, None, kind));
        }
        let a = win.available();
        let magic = [a[0], a[1], a[2], a[3]];
        let format = if u32::from_be_bytes(magic) == pcapng::SHB {
            Format::PcapNg(PcapNg::open(&mut win)?)
        } else if let Some(v) = classic::variant(magic) {
            Format::Classic(Classic::open(&mut win, v)?)
        } else {
            return Err(Error::at(0, None, ErrorKind::NotCapture { magic }));
        };
        Ok(Reader { win, format, index: 0, failed: false })
    }

    /// The next packet, `Ok(None)` at the end of the file or after an error.
    ///
    /// # Errors
    /// Damage or an I/O failure, naming the byte offset and packet index;
    /// every packet before the damage has been returned first.
    #[allow(clippy::should_implement_trait)] // a lending iterator: Record borrows self
    pub fn next(&mut self) -> Result<Option<Record<'_>>, Error> {
        Ok(self.next_with_interface()?.map(|(record, _)| record))
    }

    /// Parses the next packet's metadata, advancing the index.
    #[inline]
    fn step(&mut self) -> Result<Option<(u64, Meta)>, Error> {
        if self.failed {
            return Ok(None);
        }
        let step = match &mut self.format {
            Format::Classic(c) => c.next(&mut self.win, self.index),
            Format::PcapNg(n) => n.next(&mut self.win, self.index),
        };
        match step {
            Ok(Some(m)) => {
                self.index += 1;
                Ok(Some((self.index - 1, m)))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Like [`Reader::next`], with the interface the packet was captured on
    /// (both borrow the reader, so they come out together).
    ///
    /// # Errors
    /// As [`Reader::next`].
    pub fn next_with_interface(&mut self) -> Result<Option<(Record<'_>, Option<&Interface>)>, Error> {
        let Some((index, meta)) = self.step()? else { return Ok(None) };
        let this = &*self;
        let record = Record {
            index,
            ts: meta.ts,
            orig_len: meta.orig_len,
            data: this.win.slice(meta.data),
            link: meta.link,
            interface: meta.interface,
            direction: meta.direction,
        };
        Ok(Some((record, meta.interface.and_then(|id| this.interface(id)))))
    }

    /// Interface `id` of the current pcapng section; a classic file has one,
    /// id 0, built from its header. The interfaces described right after the
    /// first section header are known from `new` on; later ones once the
    /// reader has passed their blocks (before any packet that uses them).
    pub fn interface(&self, id: u32) -> Option<&Interface> {
        match &self.format {
            Format::Classic(c) => (id == 0).then_some(&c.interface),
            Format::PcapNg(n) => n.interfaces.get(id as usize),
        }
    }

    /// The interfaces of the current section (one for a classic file).
    pub fn interfaces(&self) -> &[Interface] {
        match &self.format {
            Format::Classic(c) => std::slice::from_ref(&c.interface),
            Format::PcapNg(n) => &n.interfaces,
        }
    }

    /// True when reading pcapng, false for classic pcap.
    pub fn is_pcapng(&self) -> bool {
        matches!(self.format, Format::PcapNg(_))
    }

    /// Packets returned so far.
    pub fn packets_read(&self) -> u64 {
        self.index
    }

    /// File offset of the first byte not yet parsed.
    pub fn offset(&self) -> u64 {
        self.win.offset()
    }
}
