//! What the reader hands out: a packet record and the interface it came on.
//!
//! A [`Record`] borrows its bytes from the reader's one reused buffer, so it
//! lives until the next call to `next`. An [`Interface`] is what a pcapng
//! Interface Description Block said (a classic pcap has one implicit
//! interface, built from its file header).

use super::LinkType;
use crate::engine::Instant;

/// Which way a packet crossed its interface (pcapng `epb_flags` bits 0-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received by the capturing host (flags value 1).
    Inbound,
    /// Sent by the capturing host (flags value 2).
    Outbound,
}

impl Direction {
    /// The direction in a pcapng flags word, `None` when unknown (0 or 3).
    pub fn from_flags(flags: u32) -> Option<Direction> {
        match flags & 3 {
            1 => Some(Direction::Inbound),
            2 => Some(Direction::Outbound),
            _ => None,
        }
    }

    /// The flags word bits for this direction.
    pub fn to_flags(self) -> u32 {
        match self {
            Direction::Inbound => 1,
            Direction::Outbound => 2,
        }
    }
}

/// One captured packet, borrowed from the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// 0-based index of the packet in the file (blocks that are not packets
    /// are not counted).
    pub index: u64,
    /// When it was captured.
    pub ts: Instant,
    /// Its length on the wire, which may exceed `data.len()`.
    pub orig_len: u32,
    /// The captured bytes, from the link-layer header on.
    pub data: &'a [u8],
    /// The link-layer header type of `data`.
    pub link: LinkType,
    /// The pcapng interface id within its section; `None` in classic pcap.
    pub interface: Option<u32>,
    /// The direction, when the file records one.
    pub direction: Option<Direction>,
}

/// How a pcapng interface counts time (`if_tsresol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TsResolution {
    /// A tick is 10^-n seconds (6, microseconds, is the default).
    Decimal(u8),
    /// A tick is 2^-n seconds.
    Binary(u8),
}

impl TsResolution {
    /// Microseconds, pcapng's default.
    pub const MICROS: TsResolution = TsResolution::Decimal(6);
    /// Nanoseconds, what our writer uses.
    pub const NANOS: TsResolution = TsResolution::Decimal(9);

    /// Decodes the one-byte `if_tsresol` value.
    pub fn from_option(byte: u8) -> TsResolution {
        if byte & 0x80 == 0 { TsResolution::Decimal(byte) } else { TsResolution::Binary(byte & 0x7f) }
    }

    /// Converts a tick count to nanoseconds, saturating at `u64::MAX`.
    pub fn to_nanos(self, ticks: u64) -> u64 {
        let ticks = u128::from(ticks);
        let ns = match self {
            TsResolution::Decimal(n) if n <= 9 => ticks * 10u128.pow(u32::from(9 - n)),
            TsResolution::Decimal(n) => match 10u128.checked_pow(u32::from(n - 9)) {
                Some(div) => ticks / div,
                None => 0,
            },
            TsResolution::Binary(n) => match 1u128.checked_shl(u32::from(n)) {
                Some(div) => ticks * 1_000_000_000 / div,
                None => 0,
            },
        };
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

/// A capture interface, as its description block gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// `if_name`, when given.
    pub name: Option<String>,
    /// The link-layer header type of its packets.
    pub link: LinkType,
    /// The most bytes captured per packet, 0 for no limit.
    pub snaplen: u32,
    /// How its timestamps count time.
    pub ts_resolution: TsResolution,
    /// `if_tsoffset`: seconds added to every timestamp.
    pub ts_offset_secs: i64,
}

impl Interface {
    /// The absolute time of a packet stamped `ticks` on this interface.
    pub fn instant(&self, ticks: u64) -> Instant {
        let ns = self.ts_resolution.to_nanos(ticks);
        let offset_ns = i128::from(self.ts_offset_secs) * 1_000_000_000;
        let total = (i128::from(ns) + offset_ns).clamp(0, i128::from(u64::MAX));
        Instant::from_nanos(total as u64)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn resolutions_convert_to_nanos() {
        assert_eq!(TsResolution::MICROS.to_nanos(3), 3_000);
        assert_eq!(TsResolution::NANOS.to_nanos(3), 3);
        assert_eq!(TsResolution::Decimal(12).to_nanos(3_000), 3);
        assert_eq!(TsResolution::from_option(0x80 | 10).to_nanos(1024), 1_000_000_000);
        assert_eq!(TsResolution::Decimal(127).to_nanos(u64::MAX), 0);
        assert_eq!(TsResolution::Decimal(0).to_nanos(u64::MAX), u64::MAX);
    }

    #[test]
    fn direction_flags_bits_0_and_1() {
        assert_eq!(Direction::from_flags(0x41), Some(Direction::Inbound));
        assert_eq!(Direction::from_flags(2), Some(Direction::Outbound));
        assert_eq!(Direction::from_flags(3), None);
        assert_eq!(Direction::from_flags(0), None);
    }

    #[test]
    fn ts_offset_shifts_seconds() {
        let i = Interface {
            name: None,
            link: LinkType::Ethernet,
            snaplen: 0,
            ts_resolution: TsResolution::MICROS,
            ts_offset_secs: 10,
        };
        assert_eq!(i.instant(1).as_nanos(), 10_000_001_000);
    }
}
