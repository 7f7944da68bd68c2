//! A walk over every view and getter of a frame, for robustness testing.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/wire_parse.rs`) and the
//! seeded unit test in `wire/mod.rs`, so both exercise the same paths: L2
//! with VLAN tags, IPv4, then TCP options, UDP, or ICMP with the quoted inner
//! IPv4 and its L4 header. Where a `Repr` parses, it is emitted again and the
//! result must parse to the same `Repr`. Not part of the simulator proper.

use super::{
    ArpPacket, ArpRepr, EtherType, IcmpPacket, IcmpRepr, IpProtocol, Ipv4Packet, Ipv4Repr, TcpPacket, TcpRepr,
    UdpPacket, UdpRepr, parse_l2,
};
use std::net::Ipv4Addr;

/// Walk a frame; returns a digest of what was read, so nothing is optimised
/// away. Panics only if a `Repr` fails to round-trip.
pub fn walk_frame(frame: &[u8]) -> u64 {
    let Ok(l2) = parse_l2(frame) else { return 1 };
    let mut h = u64::from_be_bytes([0, 0, l2.dst.0[0], l2.src.0[5], 0, 0, 0, l2.vlan_count]);
    h ^= l2.vlans[0] as u64 ^ l2.vlans[1] as u64;
    let l3 = &frame[l2.payload_offset..];
    match l2.ethertype {
        EtherType::Ipv4 => h ^ walk_ipv4(l3, 0),
        EtherType::Arp => h ^ walk_arp(l3),
        other => h ^ u16::from(other) as u64,
    }
}

fn walk_arp(bytes: &[u8]) -> u64 {
    let Ok(p) = ArpPacket::new_checked(bytes) else {
        return 2;
    };
    let mut h = p.hardware_type() as u64 ^ p.protocol_type() as u64;
    h ^= u16::from(p.operation()) as u64;
    h ^= (p.source_hardware_addr().len() + p.target_protocol_addr().len()) as u64;
    h ^= (p.source_protocol_addr().len() + p.target_hardware_addr().len()) as u64;
    if let Ok(r) = ArpRepr::parse(&p) {
        let mut buf = [0u8; 28];
        r.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
        assert_eq!(ArpRepr::parse(&ArpPacket::new_unchecked(&buf[..])), Ok(r));
    }
    h
}

/// `depth` 1 is a datagram quoted inside ICMP; no deeper nesting is walked.
fn walk_ipv4(bytes: &[u8], depth: u8) -> u64 {
    let checked = match depth {
        0 => Ipv4Packet::new_checked(bytes),
        _ => Ipv4Packet::new_quoted(bytes),
    };
    let Ok(ip) = checked else { return 3 };
    let mut h = ip.version() as u64 ^ ip.header_len() as u64 ^ ip.dscp() as u64;
    h ^= ip.ecn() as u64 ^ ip.tos() as u64 ^ ip.total_len() as u64 ^ ip.ident() as u64;
    h ^= ip.dont_frag() as u64 ^ ip.more_frags() as u64 ^ ip.reserved_flag() as u64;
    h ^= ip.frag_offset() as u64 ^ ip.is_fragment() as u64 ^ ip.ttl() as u64;
    h ^= ip.protocol_raw() as u64 ^ ip.checksum() as u64 ^ ip.verify_checksum() as u64;
    h ^= u32::from(ip.src_addr()) as u64 ^ u32::from(ip.dst_addr()) as u64;
    h ^= ip.options().len() as u64;
    if let Ok(r) = Ipv4Repr::parse(&ip) {
        let mut buf = [0u8; 20];
        r.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        let back = Ipv4Packet::new_unchecked(&buf[..]);
        assert_eq!(back.total_len(), ip.total_len() - ip.header_len() as u16 + 20);
        assert!(back.verify_checksum());
    }
    h ^ walk_l4(ip.next_header(), ip.payload(), ip.src_addr(), ip.dst_addr(), depth)
}

fn walk_l4(proto: IpProtocol, bytes: &[u8], src: Ipv4Addr, dst: Ipv4Addr, depth: u8) -> u64 {
    match proto {
        IpProtocol::Tcp => walk_tcp(bytes, src, dst),
        IpProtocol::Udp => walk_udp(bytes, src, dst),
        IpProtocol::Icmp => walk_icmp(bytes, depth),
        other => u8::from(other) as u64,
    }
}

fn walk_tcp(bytes: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> u64 {
    let Ok(p) = TcpPacket::new_checked(bytes) else {
        return 4 ^ walk_ports(bytes);
    };
    let mut h = p.src_port() as u64 ^ p.dst_port() as u64 ^ p.seq_number() as u64;
    h ^= p.ack_number() as u64 ^ p.header_len() as u64 ^ p.flags().bits() as u64;
    h ^= p.window_len() as u64 ^ p.checksum() as u64 ^ p.urgent_at() as u64;
    h ^= p.payload().len() as u64 ^ p.segment_len() as u64;
    h ^= p.verify_checksum(src, dst) as u64 ^ p.options().len() as u64;
    h ^= p.flags().to_string().len() as u64;
    for option in p.option_iter() {
        h = h.rotate_left(5) ^ option.map_or(0xee, |o| o.buffer_len() as u64);
    }
    if let Ok(r) = TcpRepr::parse(&p) {
        let mut buf = [0u8; 60];
        let r = TcpRepr { payload_len: 0, ..r };
        r.emit(&mut TcpPacket::new_unchecked(&mut buf[..r.header_len()]));
        let back = TcpRepr::parse(&TcpPacket::new_unchecked(&buf[..r.header_len()]));
        assert_eq!(back.map(|b| (b.src_port, b.seq_number, b.flags)), Ok((r.src_port, r.seq_number, r.flags)));
    }
    h
}

/// The ports of an L4 header cut short, as conntrack reads them from the
/// 8 bytes an ICMP error is sure to quote; bounded by hand, not by a check.
fn walk_ports(bytes: &[u8]) -> u64 {
    if bytes.len() < 8 {
        return 0;
    }
    let p = UdpPacket::new_unchecked(&bytes[..8]);
    let t = TcpPacket::new_unchecked(&bytes[..8]);
    p.src_port() as u64 ^ p.dst_port() as u64 ^ t.seq_number() as u64
}

fn walk_udp(bytes: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> u64 {
    let Ok(p) = UdpPacket::new_checked(bytes) else {
        return 5 ^ walk_ports(bytes);
    };
    let mut h = p.src_port() as u64 ^ p.dst_port() as u64 ^ p.len() as u64;
    h ^= p.checksum() as u64 ^ p.payload().len() as u64 ^ p.verify_checksum(src, dst) as u64;
    if let Ok(r) = UdpRepr::parse(&p) {
        let mut buf = [0u8; 8];
        r.emit(&mut UdpPacket::new_unchecked(&mut buf[..]));
        assert_eq!(UdpPacket::new_unchecked(&buf[..]).len(), p.len());
    }
    h
}

fn walk_icmp(bytes: &[u8], depth: u8) -> u64 {
    let Ok(p) = IcmpPacket::new_checked(bytes) else {
        return 6;
    };
    let mut h = p.msg_type() as u64 ^ p.msg_code() as u64 ^ p.checksum() as u64;
    h ^= p.echo_ident() as u64 ^ p.echo_seq_no() as u64 ^ p.next_hop_mtu() as u64;
    h ^= u32::from(p.gateway()) as u64 ^ p.pointer() as u64 ^ p.rest_of_header() as u64;
    h ^= p.data().len() as u64 ^ p.verify_checksum() as u64;
    if let Ok(r) = IcmpRepr::parse(&p) {
        let mut buf = [0u8; 8];
        r.emit(&mut IcmpPacket::new_unchecked(&mut buf[..]));
        let back = IcmpPacket::new_unchecked(&buf[..]);
        assert_eq!((back.msg_type(), back.rest_of_header()), (p.msg_type(), p.rest_of_header()));
    }
    if let Some(quoted) = p.quoted()
        && depth == 0
    {
        h ^= walk_ipv4(quoted, 1);
    }
    h
}
