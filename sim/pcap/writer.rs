//! Writing captures: pcapng with named interfaces, and classic pcap.
//!
//! Both writers emit little-endian files. [`PcapNgWriter`] opens with a
//! Section Header Block naming nfsim as the writing application, describes
//! each interface with `if_name` and nanosecond `if_tsresol`, and writes one
//! Enhanced Packet Block per packet with `epb_flags` when the direction is
//! known. A packet is written as its header, its bytes, padding and options,
//! each straight to the inner writer from the stack: no allocation per
//! packet. Buffering is the caller's choice (wrap the writer in a
//! `BufWriter`).

use super::{Direction, LinkType};
use crate::engine::Instant;
use std::io::{self, Write};

/// Zero bytes to pad a block body to a multiple of 4.
const PAD: [u8; 3] = [0; 3];

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

/// Bytes of padding after `n` bytes of data.
fn pad_len(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// A pcapng writer: one section, interfaces added as needed.
pub struct PcapNgWriter<W: Write> {
    inner: W,
    /// Interfaces described so far; packets may use ids below this.
    interfaces: u32,
}

impl<W: Write> PcapNgWriter<W> {
    /// Starts a file: writes the Section Header Block.
    ///
    /// # Errors
    /// The inner writer's.
    pub fn new(mut inner: W) -> io::Result<Self> {
        let app = b"nfsim";
        let len: u32 = 8 + 16 + 4 + 8 + 4 + 4;
        let mut b = Vec::with_capacity(len as usize);
        b.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(-1i64).to_le_bytes()); // section length unknown
        push_option(&mut b, 4, app); // shb_userappl
        b.extend_from_slice(&[0; 4]); // opt_endofopt
        b.extend_from_slice(&len.to_le_bytes());
        debug_assert_eq!(b.len(), len as usize);
        inner.write_all(&b)?;
        Ok(PcapNgWriter { inner, interfaces: 0 })
    }

    /// Describes an interface and returns the id its packets use.
    ///
    /// # Errors
    /// A name longer than 65535 bytes, or the inner writer's.
    pub fn add_interface(&mut self, name: &str, link: LinkType, snaplen: u32) -> io::Result<u32> {
        if name.len() > usize::from(u16::MAX) {
            return Err(invalid("interface name longer than 65535 bytes"));
        }
        let len = 8 + 8 + (4 + name.len() + pad_len(name.len())) + 8 + 4 + 4;
        let mut b = Vec::with_capacity(len);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&(len as u32).to_le_bytes());
        b.extend_from_slice(&u16::from(link).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&snaplen.to_le_bytes());
        push_option(&mut b, 2, name.as_bytes()); // if_name
        push_option(&mut b, 9, &[9]); // if_tsresol: 10^-9 s
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&(len as u32).to_le_bytes());
        debug_assert_eq!(b.len(), len);
        self.inner.write_all(&b)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Writes one packet as an Enhanced Packet Block.
    ///
    /// # Errors
    /// An interface not yet added, more than `MAX_BLOCK_BYTES` of data, or
    /// the inner writer's.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Instant,
        data: &[u8],
        orig_len: u32,
        direction: Option<Direction>,
    ) -> io::Result<()> {
        if interface >= self.interfaces {
            return Err(invalid("packet on an interface not yet added"));
        }
        if data.len() > super::MAX_BLOCK_BYTES as usize - 64 {
            return Err(invalid("packet larger than the 256 MiB limit"));
        }
        let pad = pad_len(data.len());
        let opts = if direction.is_some() { 12 } else { 0 };
        let len = (28 + data.len() + pad + opts + 4) as u32;
        let ns = ts.as_nanos();
        let mut head = [0u8; 28];
        let fields = [6, len, interface, (ns >> 32) as u32, ns as u32, data.len() as u32, orig_len];
        for (i, v) in fields.iter().enumerate() {
            head[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        self.inner.write_all(&head)?;
        self.inner.write_all(data)?;
        self.inner.write_all(&PAD[..pad])?;
        let mut tail = [0u8; 16];
        let mut n = 0;
        if let Some(d) = direction {
            tail[0..4].copy_from_slice(&[2, 0, 4, 0]); // epb_flags, 4 bytes
            tail[4..8].copy_from_slice(&d.to_flags().to_le_bytes());
            n = 12; // then opt_endofopt, already zero
        }
        tail[n..n + 4].copy_from_slice(&len.to_le_bytes());
        self.inner.write_all(&tail[..n + 4])
    }

    /// Flushes and returns the inner writer.
    ///
    /// # Errors
    /// The inner writer's flush.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// Appends option `code` with `value`, padded.
fn push_option(b: &mut Vec<u8>, code: u16, value: &[u8]) {
    b.extend_from_slice(&code.to_le_bytes());
    b.extend_from_slice(&(value.len() as u16).to_le_bytes());
    b.extend_from_slice(value);
    b.extend_from_slice(&PAD[..pad_len(value.len())]);
}

/// A classic pcap writer: one link type, microsecond or nanosecond time.
pub struct PcapWriter<W: Write> {
    inner: W,
    snaplen: u32,
    nanos: bool,
}

impl<W: Write> PcapWriter<W> {
    /// Starts a file: writes the 24-byte header.
    ///
    /// # Errors
    /// The inner writer's.
    pub fn new(mut inner: W, link: LinkType, snaplen: u32, nanos: bool) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&magic.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&u32::from(u16::from(link)).to_le_bytes());
        inner.write_all(&h)?;
        Ok(PcapWriter { inner, snaplen, nanos })
    }

    /// Writes one record; data beyond the snaplen (when not 0) is cut off.
    ///
    /// # Errors
    /// A time past the year 2106 (the seconds field is 32 bits), or the
    /// inner writer's.
    pub fn write_packet(&mut self, ts: Instant, data: &[u8], orig_len: u32) -> io::Result<()> {
        let (secs, ns) = ts.secs_nanos();
        let secs = u32::try_from(secs).map_err(|_| invalid("timestamp past 2106"))?;
        let frac = if self.nanos { ns } else { ns / 1000 };
        let mut keep = data.len().min(super::MAX_BLOCK_BYTES as usize);
        if self.snaplen != 0 {
            keep = keep.min(self.snaplen as usize);
        }
        let mut h = [0u8; 16];
        for (i, v) in [secs, frac, keep as u32, orig_len].iter().enumerate() {
            h[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        self.inner.write_all(&h)?;
        self.inner.write_all(&data[..keep])
    }

    /// Flushes and returns the inner writer.
    ///
    /// # Errors
    /// The inner writer's flush.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}
