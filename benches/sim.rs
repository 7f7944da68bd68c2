//! Simulator throughput: a world of many hosts and many TCP connections,
//! reported as events per second and connections per second of wall time.
//!
//! `cargo bench --bench sim -- PAIRS CONNS_PER_PAIR` (release; default 500
//! client/server pairs = 1,001 hosts with the router, 200 connections per
//! pair = 100,000 connections through one stateful firewall).

use std::fmt::Write as _;

#[allow(clippy::disallowed_types)] // wall-clock time measures the benchmark, not the simulation
fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let pairs = args.first().copied().unwrap_or(500);
    let per_pair = args.get(1).copied().unwrap_or(200);
    // Clients share one /16, servers another, one stateful router between.
    let mut s = String::from("seed 1\n");
    writeln!(s, "router fw eth0 10.0.0.1/16 eth1 10.1.0.1/16").unwrap();
    for i in 0..pairs {
        let (hi, lo) = (i / 250, i % 250 + 2);
        writeln!(s, "host c{i} eth0 10.0.{hi}.{lo}/16 via 10.0.0.1").unwrap();
        writeln!(s, "host s{i} eth0 10.1.{hi}.{lo}/16 via 10.1.0.1").unwrap();
    }
    writeln!(s, "on fw iptables -P FORWARD DROP").unwrap();
    writeln!(s, "on fw iptables -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT").unwrap();
    writeln!(s, "on fw iptables -A FORWARD -i eth0 -p tcp --dport 80 -m state --state NEW -j ACCEPT").unwrap();
    for i in 0..pairs {
        let (hi, lo) = (i / 250, i % 250 + 2);
        writeln!(s, "at 0 s{i} tcp listen 80 buffer 2048").unwrap();
        writeln!(s, "at 1ms c{i} tcp clients {per_pair} to 10.1.{hi}.{lo}:80 rate 100 send 100 buffer 2048").unwrap();
    }
    writeln!(s, "run until idle").unwrap();
    let parsed = nfsim::scenario::parse(&s, "bench.nfs").expect("the bench scenario parses");
    let t0 = std::time::Instant::now();
    let out = nfsim::scenario::run(&parsed, &nfsim::scenario::Options::default()).expect("runs");
    let wall = t0.elapsed().as_secs_f64();
    let summaries = out.records.iter().filter(|r| r.text.contains("tcp clients to")).count();
    let connected: u64 = out
        .records
        .iter()
        .filter_map(|r| r.text.split(", ").nth(1)?.strip_suffix(" connected")?.parse::<u64>().ok())
        .sum();
    let conns = pairs * per_pair;
    println!(
        "sim: {} hosts, {conns} connections ({connected} connected, {summaries} generators done), {} events in {wall:.2} s: {:.0} events/s, {:.0} connections/s, virtual {}",
        pairs * 2 + 1,
        out.events,
        out.events as f64 / wall,
        conns as f64 / wall,
        out.end
    );
}
