//! Chain evaluation cost: ns per packet through a FORWARD chain of N rules
//! with distinct source subnets and ports, in three places: the matching
//! rule last (the worst case for first-match), the matching rule first, and
//! no rule matching (the policy decides). Each is timed through the index
//! (`traverse`) and rule by rule (`traverse_linear`, the reference).
//!
//! `cargo bench --bench rules` (harness = false): plain timing with
//! `std::time::Instant`, which is fine here: benches measure the host, they
//! are no part of the simulation.

use std::hint::black_box;

use nfsim::ruleset::{Ruleset, Table};
use nfsim::xt::{Hook, TestPacket};

/// Where the rule that matches the bench packet sits.
#[derive(Clone, Copy)]
enum Case {
    Last,
    First,
    None,
}

const WINNER: &str = "-A FORWARD -d 192.168.1.2/32 -p tcp -m tcp --dport 80 -j ACCEPT\n";

fn chain(n: usize, case: Case) -> Ruleset {
    let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    if let Case::First = case {
        text.push_str(WINNER);
    }
    let others = if let Case::None = case { n } else { n - 1 };
    for i in 0..others {
        // Rules that look at addresses and ports but never match the packet.
        text.push_str(&format!(
            "-A FORWARD -s 10.{}.{}.0/24 -p tcp --dport {} -j DROP\n",
            (i >> 8) & 255,
            i & 255,
            1000 + i % 5000
        ));
    }
    if let Case::Last = case {
        text.push_str(WINNER);
    }
    text.push_str("COMMIT\n");
    nfsim::ruleset::load(&text, "bench").expect("bench ruleset loads")
}

/// ns per packet over `iters` packets.
fn time(rs: &mut Ruleset, pkt: &mut TestPacket, iters: usize, linear: bool) -> f64 {
    #[allow(clippy::disallowed_types)] // host timing for the bench itself
    let start = std::time::Instant::now();
    for _ in 0..iters {
        let v = if linear {
            rs.traverse_linear(Table::Filter, Hook::Forward, pkt)
        } else {
            rs.traverse(Table::Filter, Hook::Forward, pkt)
        };
        black_box(v);
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn main() {
    let bytes = TestPacket::tcp([172, 16, 0, 1], [192, 168, 1, 2], 40000, 80, 0x02);
    for (case, what) in
        [(Case::Last, "match on the last"), (Case::First, "match on the first"), (Case::None, "no match")]
    {
        for n in [10usize, 100, 1_000, 10_000] {
            let mut rs = chain(n, case);
            let mut pkt = TestPacket::new(bytes.clone(), Hook::Forward);
            pkt.iif = "eth0".into();
            pkt.oif = "eth1".into();
            // The first packet builds the index; then warm up and measure.
            let build_us = time(&mut rs, &mut pkt, 1, false) / 1000.0;
            time(&mut rs, &mut pkt, 10, false);
            let indexed = time(&mut rs, &mut pkt, 1_000_000, false);
            let linear = time(&mut rs, &mut pkt, (2_000_000 / n).max(50), true);
            println!(
                "FORWARD chain of {n:>6} rules, {what:<18}: {indexed:>9.1} ns/packet indexed, {linear:>9.1} linear \
                 (first packet, building the index: {build_us:.0} µs)"
            );
        }
    }
}
