//! Zero-copy views of packets on the wire, in smoltcp's Packet/Repr pattern.
//!
//! Each protocol file owns two things:
//!
//! - a borrowed view, `XxxPacket<T: AsRef<[u8]>>`, whose getters (and, when
//!   `T: AsMut<[u8]>`, setters) read and write byte ranges named in a private
//!   `mod field`; views never allocate and never copy;
//! - where useful, an owned `XxxRepr` with `parse`, `buffer_len` and `emit`.
//!
//! **The contract.** `XxxPacket::new_unchecked` wraps any buffer; getters on
//! an unchecked view may panic if the buffer is too short. `new_checked` (or
//! `check_len` on an unchecked view) validates the lengths the header itself
//! claims; *after `check_len()` has passed, no getter or setter panics on any
//! input*, and payload accessors return slices bounded by both the buffer
//! and the length fields (IPv4 total length, UDP length), so Ethernet padding
//! never leaks into L4. Untrusted bytes must go through `new_checked`. Setters
//! that change a length field can break the contract; re-check after them.
//!
//! Checksums are not verified by `check_len` or `Repr::parse`: the kernel
//! decides per layer what a bad checksum means, so callers ask with
//! `verify_checksum`. L4 `Repr::emit` writes headers only; the caller copies
//! the payload and then calls `fill_checksum`.

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod icmp;
pub mod ipv4;
pub mod spec;
pub mod tcp;
pub mod tcp_option;
pub mod udp;
#[doc(hidden)]
pub mod walk;

pub use arp::{Operation as ArpOperation, Packet as ArpPacket, Repr as ArpRepr};
pub use ethernet::{Address as EthernetAddress, EtherType, Frame as EthernetFrame, L2, VlanTag, parse_l2};
pub use icmp::{Packet as IcmpPacket, Repr as IcmpRepr};
pub use ipv4::{Packet as Ipv4Packet, Protocol as IpProtocol, Repr as Ipv4Repr};
pub use tcp::{Flags as TcpFlags, OptionIter as TcpOptions, Packet as TcpPacket, Repr as TcpRepr, TcpOption};
pub use udp::{Packet as UdpPacket, Repr as UdpRepr};

use core::fmt;

/// A packet too short, or with a field that contradicts its own length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed packet")
    }
}

impl std::error::Error for Error {}

/// The result of parsing or checking wire data.
pub type Result<T> = core::result::Result<T, Error>;

/// A fixed byte range of a header.
pub(crate) type Field = core::ops::Range<usize>;

/// Read a big-endian `u16` from a two-byte field.
#[inline]
pub(crate) fn get16(data: &[u8], field: Field) -> u16 {
    u16::from_be_bytes(data[field].try_into().expect("field is 2 bytes"))
}

/// Read a big-endian `u32` from a four-byte field.
#[inline]
pub(crate) fn get32(data: &[u8], field: Field) -> u32 {
    u32::from_be_bytes(data[field].try_into().expect("field is 4 bytes"))
}

/// Write a big-endian `u16` into a two-byte field.
#[inline]
pub(crate) fn put16(data: &mut [u8], field: Field, value: u16) {
    data[field].copy_from_slice(&value.to_be_bytes());
}

/// Write a big-endian `u32` into a four-byte field.
#[inline]
pub(crate) fn put32(data: &mut [u8], field: Field, value: u32) {
    data[field].copy_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Rng;

    #[test]
    fn error_display() {
        assert_eq!(Error.to_string(), "malformed packet");
    }

    /// A valid-looking frame to mutate: Ethernet + IPv4 + `proto` header.
    fn seed_frame(rng: &mut Rng) -> Vec<u8> {
        let proto = [6u8, 17, 1, 1][rng.below(4) as usize];
        let l4_len = 28 + rng.below(60) as usize;
        let mut f = vec![0u8; 14 + 20 + l4_len];
        for b in f.iter_mut() {
            *b = rng.next_u32() as u8;
        }
        f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        f[14] = 0x45;
        let total = (20 + l4_len) as u16;
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f[23] = proto;
        if proto == 6 {
            f[34 + 12] = 0x50 + 0x10 * rng.below(4) as u8;
        } else if proto == 1 {
            f[34] = [0u8, 3, 5, 11, 12, 8][rng.below(6) as usize];
            f[42] = 0x45;
        }
        f
    }

    /// 20,000 seeded random, truncated and mutated frames through the fuzz
    /// walk: `cargo test` covers robustness without the fuzzer.
    #[test]
    fn random_frames_never_panic() {
        let mut rng = Rng::new(0x5eed_0001);
        let mut walked = 0u64;
        for i in 0..20_000u32 {
            let mut frame = seed_frame(&mut rng);
            match i % 4 {
                0 => {
                    let n = rng.below(frame.len() as u32 + 1) as usize;
                    frame.truncate(n);
                }
                1 => {
                    for _ in 0..1 + rng.below(8) {
                        let at = rng.below(frame.len() as u32) as usize;
                        frame[at] = rng.next_u32() as u8;
                    }
                }
                2 => {
                    let n = rng.below(128) as usize;
                    frame = (0..n).map(|_| rng.next_u32() as u8).collect();
                }
                _ => {
                    if frame.len() > 14 {
                        // A VLAN tag or two in front.
                        let tags = 1 + rng.below(3) as usize;
                        let mut tagged = frame[..12].to_vec();
                        for _ in 0..tags {
                            tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
                        }
                        tagged.extend_from_slice(&frame[12..]);
                        frame = tagged;
                    }
                }
            }
            walked = walked.wrapping_add(walk::walk_frame(&frame));
        }
        assert_ne!(walked, 0);
    }
}
