//! What can go wrong while reading a capture, and where.
//!
//! Every [`Error`] names the byte offset of the damaged structure (a file
//! header, a record header, a pcapng block or option) and, once packets have
//! begun, the 0-based index of the packet being read when the damage was
//! found. The text follows libpcap's and Wireshark's wording where they have
//! one, so a user can compare our complaint with `capinfos`'.

use std::fmt;
use std::io;

/// The largest record or block we accept; a claim above it is damage, not a
/// reason to allocate.
pub const MAX_BLOCK_BYTES: u32 = 256 * 1024 * 1024;

/// A damaged or unreadable capture: where, and what.
#[derive(Debug)]
pub struct Error {
    /// Byte offset in the file of the structure found damaged.
    pub offset: u64,
    /// 0-based index of the packet being read, `None` while reading the file
    /// header (before any packet).
    pub packet: Option<u64>,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// The kinds of damage [`Error`] reports.
#[derive(Debug)]
pub enum ErrorKind {
    /// The underlying reader failed.
    Io(io::Error),
    /// The file starts with neither a pcap nor a pcapng magic.
    NotCapture {
        /// The first four bytes, as found.
        magic: [u8; 4],
    },
    /// The file is shorter than its header.
    TruncatedHeader {
        /// Bytes the header needs.
        need: usize,
        /// Bytes the file holds.
        got: usize,
    },
    /// A classic pcap file of a version we do not read.
    PcapVersion {
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
    },
    /// A pcapng section of a version we do not read.
    PcapNgVersion {
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
    },
    /// A pcapng section header whose byte-order magic is neither order of
    /// `1a2b3c4d`.
    ByteOrderMagic {
        /// The four bytes found.
        magic: [u8; 4],
    },
    /// The file ends inside a record header or block header.
    TruncatedRecordHeader {
        /// Bytes the header needs.
        need: usize,
        /// Bytes left in the file.
        got: usize,
    },
    /// The file ends inside a record's or block's data.
    TruncatedRecord {
        /// Bytes the header says follow.
        claimed: u64,
        /// Bytes left in the file.
        got: u64,
    },
    /// A record or block claims more than [`MAX_BLOCK_BYTES`].
    TooLarge {
        /// Bytes claimed.
        claimed: u64,
    },
    /// A pcapng block length below the minimum for its type.
    BlockTooShort {
        /// Length found.
        len: u32,
        /// Minimum for this block type.
        min: u32,
    },
    /// A pcapng block length that is not a multiple of 4.
    BlockUnaligned {
        /// Length found.
        len: u32,
    },
    /// A pcapng block whose trailing length differs from its leading one.
    TrailerMismatch {
        /// Length at the start of the block.
        header: u32,
        /// Length at the end of the block.
        trailer: u32,
    },
    /// A pcapng option that runs past the end of its block.
    OptionOverrun {
        /// The option's claimed value length.
        len: u16,
    },
    /// A pcapng option whose value has the wrong size for its code.
    OptionSize {
        /// The option code.
        code: u16,
        /// Length found.
        len: u16,
    },
    /// A packet block whose captured length does not fit in the block.
    CaptureExceedsBlock {
        /// Captured length claimed.
        caplen: u32,
        /// Bytes the block has room for.
        room: u32,
    },
    /// A packet on an interface the section has not described.
    UnknownInterface {
        /// Interface id found.
        id: u32,
        /// Interfaces described so far in this section.
        known: u32,
    },
    /// More interfaces in one section than we keep track of.
    TooManyInterfaces,
}

impl Error {
    /// An error at `offset` while reading packet `packet`.
    pub(crate) fn at(offset: u64, packet: Option<u64>, kind: ErrorKind) -> Error {
        Error { offset, packet, kind }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}", self.offset)?;
        if let Some(p) = self.packet {
            write!(f, ", packet {p}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            Io(e) => write!(f, "read error: {e}"),
            NotCapture { magic: m } => {
                write!(f, "not a pcap or pcapng file (magic {:02x} {:02x} {:02x} {:02x})", m[0], m[1], m[2], m[3])
            }
            TruncatedHeader { need, got } => {
                write!(f, "truncated file header: needs {need} bytes, file ends after {got}")
            }
            PcapVersion { major, minor } if *major != 2 => {
                let _ = minor;
                write!(f, "pcap major version {major} unsupported")
            }
            PcapVersion { major, minor } => {
                write!(f, "pcap version {major}.{minor} unsupported")
            }
            PcapNgVersion { major, minor } => {
                write!(f, "pcapng section version {major}.{minor} unsupported")
            }
            ByteOrderMagic { magic: m } => write!(
                f,
                "pcapng byte-order magic {:02x} {:02x} {:02x} {:02x} is neither order of 1a2b3c4d",
                m[0], m[1], m[2], m[3]
            ),
            TruncatedRecordHeader { need, got } => {
                write!(f, "truncated record header: needs {need} bytes, file ends after {got}")
            }
            TruncatedRecord { claimed, got } => {
                write!(f, "truncated record: header claims {claimed} bytes, file ends after {got}")
            }
            TooLarge { claimed } => {
                write!(f, "record claims {claimed} bytes, more than the {} MiB limit", MAX_BLOCK_BYTES >> 20)
            }
            BlockTooShort { len, min } => write!(f, "pcapng block length {len} is smaller than the {min}-byte minimum"),
            BlockUnaligned { len } => {
                write!(f, "pcapng block length {len} is not a multiple of 4")
            }
            TrailerMismatch { header, trailer } => {
                write!(f, "pcapng block length {header} at its start but {trailer} at its end")
            }
            OptionOverrun { len } => {
                write!(f, "option of length {len} runs past the end of the block")
            }
            OptionSize { code, len } => {
                write!(f, "option {code} has length {len}, not the size its code requires")
            }
            CaptureExceedsBlock { caplen, room } => {
                write!(f, "packet block claims {caplen} captured bytes but holds only {room}")
            }
            UnknownInterface { id, known } => {
                write!(f, "packet on interface {id} but the section describes only {known} interface(s)")
            }
            TooManyInterfaces => write!(f, "more than 65536 interfaces in one section"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn display_names_offset_and_packet() {
        let e = Error::at(1234, Some(17), ErrorKind::TruncatedRecord { claimed: 1514, got: 200 });
        assert_eq!(
            e.to_string(),
            "byte 1234, packet 17: truncated record: header claims 1514 bytes, file ends after 200"
        );
    }

    #[test]
    fn display_without_packet_before_any() {
        let e = Error::at(0, None, ErrorKind::NotCapture { magic: *b"4561" });
        assert_eq!(e.to_string(), "byte 0: not a pcap or pcapng file (magic 34 35 36 31)");
        let e = Error::at(0, None, ErrorKind::PcapVersion { major: 1, minor: 0 });
        assert_eq!(e.to_string(), "byte 0: pcap major version 1 unsupported");
    }
}
