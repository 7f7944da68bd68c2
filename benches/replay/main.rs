//! `cargo bench --bench replay`: the replay pipeline against a bare read loop.
//!
//! Workload: `mixed-1m` from `../shared/bench/gen_pcaps.py` (1,000,000 frames,
//! 741 B average, as they arrive at a NAT router), generated once and cached
//! under `target/bench/`. Where `../shared` is absent, a capture of the same
//! shape is generated here instead (see `synth`). Prints packets/s of:
//! - the bare loop: read the file and touch every header (the floor);
//! - the replay pipeline (no rules yet) writing egress.pcapng and verdicts.jsonl
//!   to files, and the same with outputs discarded;
//!
//! and their ratio, plus peak RSS after a 100k-packet and the 1M-packet replay
//! (flat memory: the second must not be larger by more than the buffers).

use nfsim::net::{Host, HostConfig};
use nfsim::pcap::Reader;
use nfsim::pcap::egress;
use nfsim::pcap::replay::{IngressRules, Replay};
use nfsim::wire::{Ipv4Packet, TcpPacket};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
#[allow(clippy::disallowed_types)] // a benchmark measures the wall clock
use std::time::Instant as WallClock;

mod synth;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let small = workload(&dir, 100_000);
    let full = workload(&dir, 1_000_000);

    let (n, bare) = best_of(3, || bare_loop(&full));
    println!("bare loop      {n} packets  {:>6.2} M pkt/s", n as f64 / bare / 1e6);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (_, to_sink) = best_of(3, || replay(&full, None));
    println!(
        "replay (sink)  {n} packets  {:>6.2} M pkt/s  {:.2}x the bare loop's time",
        n as f64 / to_sink / 1e6,
        to_sink / bare
    );
    let (_, to_files) = best_of(3, || replay(&full, Some(&out)));
    println!(
        "replay (files) {n} packets  {:>6.2} M pkt/s  {:.2}x the bare loop's time",
        n as f64 / to_files / 1e6,
        to_files / bare
    );

    // Memory: a fresh process would be cleaner; peak RSS only grows, so a
    // 1M replay that does not raise the 100k peak shows flat memory.
    replay(&small, Some(&out));
    let after_small = peak_rss_kib();
    replay(&full, Some(&out));
    let after_full = peak_rss_kib();
    println!("peak RSS       {after_small} KiB after 100k packets, {after_full} KiB after 1M");
}

/// The capture of `packets` packets, generated once.
fn workload(dir: &Path, packets: u64) -> PathBuf {
    let path = dir.join(format!("mixed-{packets}.pcap"));
    if path.exists() {
        return path;
    }
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_pcaps.py");
    if generator.exists() {
        eprintln!("generating {} with {}", path.display(), generator.display());
        let status = std::process::Command::new("python3")
            .arg(&generator)
            .args(["mixed", "-o"])
            .arg(&path)
            .arg("--packets")
            .arg(packets.to_string())
            // The generator's defaults are sized for 1M packets; scale them.
            .arg("--tcp-conns")
            .arg((packets / 100).to_string())
            .arg("--icmp-packets")
            .arg((packets / 50).to_string())
            .status()
            .expect("python3");
        assert!(status.success(), "gen_pcaps.py failed");
    } else {
        eprintln!("../shared/bench absent: generating {} of the same shape", path.display());
        synth::write_mixed(&path, packets).expect("synthetic workload");
    }
    path
}

#[allow(clippy::disallowed_types)] // a benchmark measures the wall clock
fn best_of(runs: usize, mut f: impl FnMut() -> u64) -> (u64, f64) {
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..runs {
        let t = WallClock::now();
        n = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (n, best)
}

/// Reads every record and touches the Ethernet, IPv4 and transport headers.
fn bare_loop(path: &Path) -> u64 {
    let mut reader = Reader::new(BufReader::with_capacity(0, File::open(path).unwrap())).unwrap();
    let (mut n, mut acc) = (0u64, 0u64);
    while let Some(rec) = reader.next().unwrap() {
        n += 1;
        let frame = rec.data;
        if frame.len() < 34 || frame[12..14] != [8, 0] {
            continue;
        }
        if let Ok(ip) = Ipv4Packet::new_checked(&frame[14..]) {
            acc = acc.wrapping_add(u32::from(ip.src_addr()) as u64 ^ u32::from(ip.dst_addr()) as u64);
            if let Ok(tcp) = TcpPacket::new_checked(ip.payload()) {
                acc = acc.wrapping_add(tcp.src_port() as u64 + tcp.dst_port() as u64 + tcp.seq_number() as u64);
            }
        }
    }
    std::hint::black_box(acc);
    n
}

/// The bench router: lan0 192.168.1.1/24, wan0 198.51.100.2/24 (as bench.rules).
fn router() -> Host {
    let config = HostConfig {
        name: "router".into(),
        ifaces: vec![
            "lan0=192.168.1.1/24,mac=02:00:00:00:01:01".parse().unwrap(),
            "wan0=198.51.100.2/24,mac=02:00:00:00:02:01".parse().unwrap(),
        ],
        routes: vec!["default via 198.51.100.1".parse().unwrap()],
        sysctls: vec!["net.ipv4.ip_forward=1".into()],
        neighbours: vec![("198.51.100.1".parse().unwrap(), "02:00:00:00:02:fe".parse().unwrap())],
        seed: 1,
        ..HostConfig::default()
    };
    Host::new(&config).unwrap()
}

fn replay(path: &Path, out: Option<&Path>) -> u64 {
    let mut host = router();
    let mut reader = Reader::new(BufReader::with_capacity(0, File::open(path).unwrap())).unwrap();
    let rules = IngressRules::default();

    match out {
        Some(dir) => {
            let mut egress = egress::pcapng(
                &host,
                BufWriter::with_capacity(1 << 20, File::create(dir.join("egress.pcapng")).unwrap()),
            )
            .unwrap();
            let mut verdicts = BufWriter::with_capacity(1 << 20, File::create(dir.join("verdicts.jsonl")).unwrap());
            let mut replay = Replay::new(&mut host, &rules).unwrap();
            replay.run(&mut reader, &mut egress, &mut verdicts, &mut std::io::sink()).unwrap();
            replay.tally.packets
        }
        None => {
            let mut egress = egress::pcapng(&host, std::io::sink()).unwrap();
            let mut replay = Replay::new(&mut host, &rules).unwrap();
            replay.run(&mut reader, &mut egress, &mut std::io::sink(), &mut std::io::sink()).unwrap();
            replay.tally.packets
        }
    }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
