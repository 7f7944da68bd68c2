//! Where a replay writes the frames the box sends: one pcapng file with an
//! interface block per box interface (the default, what tshark and Wireshark
//! show with interface names and direction), or, on request, one classic
//! pcap file per interface, for tools that read nothing else.

use super::record::Direction;
use super::{LinkType, PcapNgWriter, PcapWriter};
use crate::engine::Instant;
use crate::net::{Host, Iface};
use std::io::{self, Write};

/// A sink for the frames a box emits.
pub trait EgressCapture {
    /// `frame` left the box by `iface` at `now`.
    fn write(&mut self, now: Instant, iface: &Iface, frame: &[u8]) -> io::Result<()>;
}

impl<W: Write> EgressCapture for PcapNgWriter<W> {
    fn write(&mut self, now: Instant, iface: &Iface, frame: &[u8]) -> io::Result<()> {
        // Interface blocks are written in index order, `lo` (1) first.
        self.write_packet(iface.index - 1, now, frame, frame.len() as u32, Some(Direction::Outbound))
    }
}

/// Writes the pcapng header and one interface block per box interface.
pub fn pcapng<W: Write>(host: &Host, w: W) -> io::Result<PcapNgWriter<W>> {
    let mut pcap = PcapNgWriter::new(w)?;
    for iface in host.ifaces() {
        pcap.add_interface(&iface.name, LinkType::Ethernet, 0)?;
    }
    Ok(pcap)
}

/// One classic pcap (nanosecond) file per box interface.
pub struct PerIface<W: Write> {
    writers: Vec<PcapWriter<W>>,
}

impl<W: Write> PerIface<W> {
    /// Opens a writer for every interface; `open` gets the interface's name.
    pub fn new(host: &Host, mut open: impl FnMut(&str) -> io::Result<W>) -> io::Result<PerIface<W>> {
        let writers = host
            .ifaces()
            .iter()
            .map(|i| PcapWriter::new(open(&i.name)?, LinkType::Ethernet, 262_144, true))
            .collect::<io::Result<_>>()?;
        Ok(PerIface { writers })
    }

    /// Flushes every file.
    pub fn finish(self) -> io::Result<()> {
        for w in self.writers {
            w.finish()?.flush()?;
        }
        Ok(())
    }
}

impl<W: Write> EgressCapture for PerIface<W> {
    fn write(&mut self, now: Instant, iface: &Iface, frame: &[u8]) -> io::Result<()> {
        self.writers[iface.index as usize - 1].write_packet(now, frame, frame.len() as u32)
    }
}
