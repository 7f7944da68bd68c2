//! Conntrack throughput and memory: inserts/s (in_hook + confirm of a new
//! flow) and lookups/s (in_hook of a packet of a known flow) at 10k, 100k
//! and 1M entries, and bytes per entry (slab + bucket index + timer heap +
//! TCP window data, by capacity). Two workloads: UDP datagrams, and TCP
//! SYNs (a lookup is the SYN's retransmission: a full pass of the TCP
//! tracker, header checks and window check included).
//!
//! `cargo bench --bench conntrack` (harness = false): plain timing with
//! `std::time::Instant`, which is fine here: benches measure the host, they
//! are no part of the simulation.
//!
//! Bytes per entry at 1M entries (1M buckets), measured 2026-11-27: UDP 68.0,
//! TCP 124.1 (the kernel's slab object is 256). Before the expiry wheel,
//! packed tuples and chunked slab they were 92.1 and 150.8: a 64-byte entry
//! (was 68), 8 bytes of wheel links in it instead of a 16-byte heap item
//! per entry beside it, 56 bytes of TCP window data, a 4-byte bucket head,
//! and no `Vec` doubling slack (was ~5% at 1M).

use std::hint::black_box;

use nfsim::conntrack::{Conntrack, CtConfig};
use nfsim::engine::Instant;
use nfsim::kernel::Sysctls;
use nfsim::xt::TestPacket;

fn packet(i: u32) -> Vec<u8> {
    let src = (0x0a00_0000 + (i >> 8)).to_be_bytes();
    TestPacket::udp(src, [192, 168, 0, 1], 1024 + (i & 0xff) as u16, 53)
}

/// A SYN with window 64240 (checksum left zero: the bench runs at OUTPUT,
/// where conntrack does not verify it).
fn syn(i: u32) -> Vec<u8> {
    let src = (0x0a00_0000 + (i >> 8)).to_be_bytes();
    let mut p = TestPacket::tcp(src, [192, 168, 0, 1], 1024 + (i & 0xff) as u16, 80, 0x02);
    p[24..28].copy_from_slice(&i.to_be_bytes());
    p[34..36].copy_from_slice(&64240u16.to_be_bytes());
    p
}

fn main() {
    let sysctls = Sysctls::default();
    let now = Instant::from_nanos(1_000_000_000);
    for (proto, make) in [("udp", packet as fn(u32) -> Vec<u8>), ("tcp", syn)] {
        for n in [10_000u32, 100_000, 1_000_000] {
            run(proto, n, make, &sysctls, now);
        }
    }
}

#[allow(clippy::disallowed_types)] // host timing for the bench itself
fn run(proto: &str, n: u32, make: fn(u32) -> Vec<u8>, sysctls: &Sysctls, now: Instant) {
    // UDP as before (PREROUTING; its zero checksum is not verified), TCP at
    // OUTPUT (no checksum to compute for the synthetic SYNs).
    let output = proto == "tcp";
    {
        let packets: Vec<Vec<u8>> = (0..n).map(make).collect();
        let mut ct = Conntrack::new(CtConfig { buckets: n, max: n, seed: 1, netns: None });
        let start = std::time::Instant::now();
        for p in &packets {
            let v = ct.in_hook(p, output, 0, now, sysctls);
            ct.confirm(v.ct.expect("tracked"), now).expect("confirms");
        }
        let insert_s = start.elapsed().as_secs_f64();
        assert_eq!(ct.count(), n);
        let rounds = (2_000_000 / n).max(1);
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            for p in &packets {
                black_box(ct.in_hook(p, output, 0, now, sysctls));
            }
        }
        let lookup_s = start.elapsed().as_secs_f64();
        let lookups = f64::from(rounds) * f64::from(n);
        println!(
            "{proto} {n:>8} entries: {:>6.2} M inserts/s  {:>6.2} M lookups/s  {:>6.1} bytes/entry (slab+index+timers, {} buckets)",
            f64::from(n) / insert_s / 1e6,
            lookups / lookup_s / 1e6,
            ct.memory_bytes() as f64 / f64::from(n),
            ct.buckets(),
        );
    }
}
