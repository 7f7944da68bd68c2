//! Packet builders for the NAT tests: IPv4 datagrams with every checksum right.

use crate::wire::{IcmpPacket, Ipv4Packet, TcpPacket, UdpPacket};
use crate::xt::TestPacket;
use std::net::Ipv4Addr;

fn finish(mut p: Vec<u8>) -> Vec<u8> {
    let (s, d) = {
        let ip = Ipv4Packet::new_unchecked(&p[..]);
        (ip.src_addr(), ip.dst_addr())
    };
    match p[9] {
        6 => TcpPacket::new_unchecked(&mut p[20..]).fill_checksum(s, d),
        17 => UdpPacket::new_unchecked(&mut p[20..]).fill_checksum(s, d),
        1 => IcmpPacket::new_unchecked(&mut p[20..]).fill_checksum(),
        _ => {}
    }
    Ipv4Packet::new_unchecked(&mut p[..]).fill_checksum();
    p
}

/// A TCP segment (ACK, 20-byte header) carrying `payload`.
pub fn tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..8].copy_from_slice(&0x1000_0000u32.to_be_bytes());
    t[12] = 5 << 4;
    t[13] = 0x10;
    t[14] = 0xfa;
    t.extend_from_slice(payload);
    finish(TestPacket::ipv4(src, dst, 6, &t))
}

/// A TCP SYN (20-byte header, no payload).
pub fn syn(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
    let mut p = tcp(src, dst, sport, dport, &[]);
    p[33] = 0x02;
    finish(p)
}

/// A UDP datagram with a checksum.
pub fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = vec![0u8; 8];
    u[0..2].copy_from_slice(&sport.to_be_bytes());
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u[4..6].copy_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(payload);
    finish(TestPacket::ipv4(src, dst, 17, &u))
}

/// An ICMP query of `ty` with identifier `id`.
pub fn icmp(src: [u8; 4], dst: [u8; 4], ty: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(payload);
    finish(TestPacket::ipv4(src, dst, 1, &m))
}

/// An ICMP error of `ty`/`code` quoting `quoted` whole.
pub fn icmp_error(src: [u8; 4], dst: [u8; 4], ty: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(quoted);
    finish(TestPacket::ipv4(src, dst, 1, &m))
}

/// Every checksum of `p` (IP, and TCP/UDP/ICMP) verifies.
pub fn checksums_ok(p: &[u8]) -> bool {
    let ip = Ipv4Packet::new_unchecked(p);
    let (s, d): (Ipv4Addr, Ipv4Addr) = (ip.src_addr(), ip.dst_addr());
    ip.verify_checksum()
        && match p[9] {
            6 => TcpPacket::new_unchecked(ip.payload()).verify_checksum(s, d),
            17 => UdpPacket::new_unchecked(ip.payload()).verify_checksum(s, d),
            1 => IcmpPacket::new_unchecked(ip.payload()).verify_checksum(),
            _ => true,
        }
}

/// `p` with every checksum computed from scratch (a zero UDP checksum kept).
pub fn recomputed(p: &[u8]) -> Vec<u8> {
    if p[9] == 17 && p[26] == 0 && p[27] == 0 {
        let mut q = p.to_vec();
        Ipv4Packet::new_unchecked(&mut q[..]).fill_checksum();
        return q;
    }
    finish(p.to_vec())
}
