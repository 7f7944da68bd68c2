//! Capture files: classic pcap and pcapng, read as a stream and written.
//!
//! [`Reader`] detects the format by its magic and returns one [`Record`] at a
//! time, borrowed from a single reused buffer, so memory does not grow with
//! the capture. Damage is an [`Error`] naming the byte offset and the packet
//! index, returned after every intact packet before it. [`link::decap`] turns
//! a record's link-layer frame (Ethernet, Linux cooked v1/v2, raw IP, BSD
//! loopback) into its network-layer bytes and what the link header said.
//! [`PcapNgWriter`] and [`PcapWriter`] write captures Wireshark reads: pcapng
//! with named interfaces, nanosecond time and direction flags, or classic
//! pcap, both little-endian.
//!
//! Formats: classic pcap is tcpdump's `pcap-savefile(5)`; pcapng is
//! draft-ietf-opsawg-pcapng. The code is ours, written from those documents.

pub mod baseline;
mod classic;
mod digits;
pub mod egress;
mod endian;
mod error;
pub mod link;
mod linktype;
mod nat_text;
mod pcapng;
mod reader;
mod record;
pub mod replay;
mod rule_names;
mod summary;
mod verdict;
mod window;
mod writer;

pub use error::{Error, ErrorKind, MAX_BLOCK_BYTES};
pub use link::{Decap, DecapError, PacketType};
pub use linktype::LinkType;
pub use reader::Reader;
pub use record::{Direction, Interface, Record, TsResolution};
pub use writer::{PcapNgWriter, PcapWriter};
