//! Chain evaluation cost: ns per packet through a FORWARD chain of N rules
//! whose last rule is the one that matches (the worst case for first-match).
//!
//! `cargo bench --bench rules` (harness = false): plain timing with
//! `std::time::Instant`, which is fine here: benches measure the host, they
//! are no part of the simulation.

use std::hint::black_box;

use nfsim::ruleset::{Ruleset, Table};
use nfsim::xt::{Hook, TestPacket};

fn chain(n: usize) -> Ruleset {
    let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for i in 0..n - 1 {
        // Rules that look at addresses and ports but never match the packet.
        text.push_str(&format!(
            "-A FORWARD -s 10.{}.{}.0/24 -p tcp --dport {} -j DROP\n",
            (i >> 8) & 255,
            i & 255,
            1000 + i % 5000
        ));
    }
    text.push_str("-A FORWARD -d 192.168.1.2/32 -p tcp -m tcp --dport 80 -j ACCEPT\nCOMMIT\n");
    nfsim::ruleset::load(&text, "bench").expect("bench ruleset loads")
}

fn main() {
    let bytes = TestPacket::tcp([172, 16, 0, 1], [192, 168, 1, 2], 40000, 80, 0x02);
    for n in [10usize, 100, 1_000, 10_000] {
        let mut rs = chain(n);
        let mut pkt = TestPacket::new(bytes.clone(), Hook::Forward);
        pkt.iif = "eth0".into();
        pkt.oif = "eth1".into();
        let iters = (2_000_000 / n).max(50);
        #[allow(clippy::disallowed_types)] // host timing for the bench itself
        let start = std::time::Instant::now();
        for _ in 0..iters {
            let v = rs.traverse(Table::Filter, Hook::Forward, &mut pkt);
            black_box(v);
        }
        let ns = start.elapsed().as_nanos() as f64 / iters as f64;
        println!("FORWARD chain of {n:>6} rules, match on the last: {ns:>12.1} ns/packet");
    }
}
