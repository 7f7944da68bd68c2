//! Conntrack throughput and memory: inserts/s (in_hook + confirm of a new
//! UDP flow) and lookups/s (in_hook of a packet of a known flow) at 10k,
//! 100k and 1M entries, and bytes per entry at 1M (slab + bucket index +
//! timer heap, by capacity).
//!
//! `cargo bench --bench conntrack` (harness = false): plain timing with
//! `std::time::Instant`, which is fine here: benches measure the host, they
//! are no part of the simulation.

use std::hint::black_box;

use nfsim::conntrack::{Conntrack, CtConfig};
use nfsim::engine::Instant;
use nfsim::kernel::Sysctls;
use nfsim::xt::TestPacket;

fn packet(i: u32) -> Vec<u8> {
    let src = (0x0a00_0000 + (i >> 8)).to_be_bytes();
    TestPacket::udp(src, [192, 168, 0, 1], 1024 + (i & 0xff) as u16, 53)
}

#[allow(clippy::disallowed_types)] // host timing for the bench itself
fn main() {
    let sysctls = Sysctls::default();
    let now = Instant::from_nanos(1_000_000_000);
    for n in [10_000u32, 100_000, 1_000_000] {
        let packets: Vec<Vec<u8>> = (0..n).map(packet).collect();
        let mut ct = Conntrack::new(CtConfig { buckets: n, max: n, seed: 1, netns: None });
        let start = std::time::Instant::now();
        for p in &packets {
            let v = ct.in_hook(p, false, 0, now, &sysctls);
            ct.confirm(v.ct.expect("tracked"), now).expect("confirms");
        }
        let insert_s = start.elapsed().as_secs_f64();
        assert_eq!(ct.count(), n);
        let rounds = (2_000_000 / n).max(1);
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            for p in &packets {
                black_box(ct.in_hook(p, false, 0, now, &sysctls));
            }
        }
        let lookup_s = start.elapsed().as_secs_f64();
        let lookups = f64::from(rounds) * f64::from(n);
        println!(
            "{n:>8} entries: {:>6.2} M inserts/s  {:>6.2} M lookups/s  {:>6.1} bytes/entry (slab+index+timers, {} buckets)",
            f64::from(n) / insert_s / 1e6,
            lookups / lookup_s / 1e6,
            ct.memory_bytes() as f64 / f64::from(n),
            ct.buckets(),
        );
    }
}
