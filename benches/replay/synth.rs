//! A `mixed` workload of the same shape as `gen_pcaps.py mixed`, for machines
//! without `../shared`: TCP downloads (handshake, 1448-byte segments acked
//! every other one, FIN), DNS query/response pairs and pings between LAN
//! clients 192.168.1.20-219 and servers in 203.0.113.0/24, as they arrive at
//! the router (replies addressed to its public address 198.51.100.2).
//! Deterministic: a fixed seed through nfsim's own RNG. Checksums are
//! computed (conntrack verifies them at PREROUTING).
//!
//! Also a `synflood` of the same shape as `gen_pcaps.py synflood`: SYNs from
//! unique (source, port) pairs in 198.18.0.0/15 to the router's public
//! address, port 443 (DNATed by the ruleset), arriving on wan0.

use nfsim::engine::Rng;
use nfsim::wire::checksum;
use rustc_hash::FxHashSet;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::Path;

const LAN_MAC: [u8; 6] = [2, 0, 0, 0, 1, 1];
const WAN_MAC: [u8; 6] = [2, 0, 0, 0, 2, 1];
const GW_MAC: [u8; 6] = [2, 0, 0, 0, 2, 0xfe];

pub fn write_mixed(path: &Path, packets: u64) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    // Classic pcap, microseconds, Ethernet.
    w.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0])?;
    let mut rng = Rng::new(20250101);
    let mut ts_us: u64 = 1_735_689_600_000_000;
    let mut written = 0;
    let mut frame = Vec::with_capacity(1600);
    let mut port: u16 = 10000;
    while written < packets {
        let cli = [192, 168, 1, 20 + rng.below(200) as u8];
        let srv = [203, 0, 113, 10 + rng.below(140) as u8];
        port = if port >= 65000 { 10000 } else { port + 1 };
        let kind = rng.below(100);
        let exchange: Vec<(bool, u8, usize)> = if kind < 90 {
            // TCP: SYN, SYN-ACK, ACK, ~70 segments down with an ACK per two, FIN pair.
            let mut v = vec![(true, 6, 0), (false, 6, 0), (true, 6, 0), (true, 6, 120)];
            for i in 0..70 {
                v.push((false, 6, 1448));
                if i % 2 == 1 {
                    v.push((true, 6, 0));
                }
            }
            v.extend([(true, 6, 0), (false, 6, 0), (true, 6, 0)]);
            v
        } else if kind < 98 {
            vec![(true, 17, 40), (false, 17, 120)]
        } else {
            vec![(true, 1, 56), (false, 1, 56)]
        };
        for (outbound, proto, len) in exchange {
            if written == packets {
                break;
            }
            frame.clear();
            let (dmac, smac, src, dst) = if outbound {
                (LAN_MAC, [2, 0, cli[0], cli[1], cli[2], cli[3]], cli, srv)
            } else {
                (WAN_MAC, GW_MAC, srv, [198, 51, 100, 2])
            };
            frame.extend_from_slice(&dmac);
            frame.extend_from_slice(&smac);
            frame.extend_from_slice(&[8, 0]);
            let l4_len = match proto {
                6 => 20 + len,
                17 => 8 + len,
                _ => 8 + len,
            };
            let total = (20 + l4_len) as u16;
            let mut ip = [
                0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0, src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2],
                dst[3],
            ];
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            let c = checksum::finish(checksum::sum(&ip));
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            frame.extend_from_slice(&ip);
            let (sp, dp) = if outbound { (port, 443) } else { (443, port) };
            match proto {
                6 => {
                    frame.extend_from_slice(&sp.to_be_bytes());
                    frame.extend_from_slice(&dp.to_be_bytes());
                    frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
                }
                17 => {
                    frame.extend_from_slice(&sp.to_be_bytes());
                    frame.extend_from_slice(&53u16.to_be_bytes());
                    frame.extend_from_slice(&((8 + len) as u16).to_be_bytes());
                    frame.extend_from_slice(&[0, 0]);
                }
                _ => frame.extend_from_slice(&[if outbound { 8 } else { 0 }, 0, 0, 0, 0, 1, 0, 1]),
            }
            frame.resize(frame.len() + len, 0x5a);
            l4_checksum(&mut frame, proto, src, dst);
            ts_us += 100;
            let (s, us) = ((ts_us / 1_000_000) as u32, (ts_us % 1_000_000) as u32);
            w.write_all(&s.to_le_bytes())?;
            w.write_all(&us.to_le_bytes())?;
            w.write_all(&(frame.len() as u32).to_le_bytes())?;
            w.write_all(&(frame.len() as u32).to_le_bytes())?;
            w.write_all(&frame)?;
            written += 1;
        }
    }
    w.flush()
}

/// Fills in the TCP, UDP or ICMP checksum of the Ethernet + IPv4 (no
/// options) frame `frame`.
fn l4_checksum(frame: &mut [u8], proto: u8, src: [u8; 4], dst: [u8; 4]) {
    let at = match proto {
        6 => 34 + 16,
        17 => 34 + 6,
        _ => 34 + 2,
    };
    frame[at..at + 2].fill(0);
    let l4 = &frame[34..];
    let pseudo = match proto {
        6 | 17 => checksum::pseudo_header(Ipv4Addr::from(src), Ipv4Addr::from(dst), proto, l4.len() as u16),
        _ => 0,
    };
    let c = checksum::finish(pseudo + checksum::sum(l4));
    frame[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// Writes `packets` SYNs from unique sources in 198.18.0.0/15 to
/// 198.51.100.2:443, 5-15 us apart, as they arrive on wan0.
pub fn write_synflood(path: &Path, packets: u64) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    w.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0])?;
    let mut rng = Rng::new(20250101);
    let mut seen = FxHashSet::default();
    let mut ts_us: u64 = 1_735_689_600_000_000;
    let mut frame = Vec::with_capacity(64);
    let dst = [198, 51, 100, 2];
    for _ in 0..packets {
        let (src, sport) = loop {
            let src = (198 << 24) | (18 << 16) | (rng.next_u32() & 0x1_ffff);
            let sport = 1024 + rng.below(65536 - 1024) as u16;
            if seen.insert(u64::from(src) << 16 | u64::from(sport)) {
                break (src.to_be_bytes(), sport);
            }
        };
        frame.clear();
        frame.extend_from_slice(&WAN_MAC);
        frame.extend_from_slice(&GW_MAC);
        frame.extend_from_slice(&[8, 0]);
        // 20-byte IPv4 header, no DF; 24-byte TCP header with an MSS option.
        let mut ip =
            [0x45, 0, 0, 44, 0, 0, 0, 0, 64, 6, 0, 0, src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3]];
        ip[4..6].copy_from_slice(&(rng.next_u32() as u16).to_be_bytes());
        ip[8] = 40 + rng.below(89) as u8;
        let c = checksum::finish(checksum::sum(&ip));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&sport.to_be_bytes());
        frame.extend_from_slice(&443u16.to_be_bytes());
        frame.extend_from_slice(&rng.next_u32().to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0, 0x60, 0x02]);
        let win = [1024u16, 5840, 29200, 64240][rng.below(4) as usize];
        frame.extend_from_slice(&win.to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0, 2, 4, 0x05, 0xb4]);
        l4_checksum(&mut frame, 6, src, dst);
        ts_us += 5 + u64::from(rng.below(11));
        let (s, us) = ((ts_us / 1_000_000) as u32, (ts_us % 1_000_000) as u32);
        w.write_all(&s.to_le_bytes())?;
        w.write_all(&us.to_le_bytes())?;
        w.write_all(&(frame.len() as u32).to_le_bytes())?;
        w.write_all(&(frame.len() as u32).to_le_bytes())?;
        w.write_all(&frame)?;
    }
    w.flush()
}
