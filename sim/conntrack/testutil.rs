//! Packet builders for the conntrack tests: datagrams with correct checksums.

use crate::engine::Instant;
use crate::wire::checksum;
use crate::xt::TestPacket;

/// `n` seconds after the epoch.
pub fn secs(n: u64) -> Instant {
    Instant::from_nanos(n * 1_000_000_000)
}

/// `n` milliseconds after the epoch.
pub fn ms(n: u64) -> Instant {
    Instant::from_nanos(n * 1_000_000)
}

/// A UDP datagram without checksum (valid everywhere).
pub fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
    TestPacket::udp(src, dst, sport, dport)
}

/// A TCP segment with `flags` (checksum not filled: the placeholder tracker ignores it).
pub fn tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    TestPacket::tcp(src, dst, sport, dport, flags)
}

/// An ICMP message with a correct checksum.
pub fn icmp(src: [u8; 4], dst: [u8; 4], ty: u8, code: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(payload);
    let c = checksum::finish(checksum::sum(&m));
    m[2..4].copy_from_slice(&c.to_be_bytes());
    TestPacket::ipv4(src, dst, 1, &m)
}

/// An ICMP error of `ty`/`code` from `src` to `dst` quoting the first 28
/// bytes of `quoted` (IP header + 8 bytes).
pub fn icmp_error(src: [u8; 4], dst: [u8; 4], ty: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&quoted[..quoted.len().min(28)]);
    let c = checksum::finish(checksum::sum(&m));
    m[2..4].copy_from_slice(&c.to_be_bytes());
    TestPacket::ipv4(src, dst, 1, &m)
}
