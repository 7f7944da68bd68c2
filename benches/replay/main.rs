//! `cargo bench --bench replay`: the replay pipeline against a bare read loop.
//!
//! Workloads, generated once and cached under `target/bench/`:
//! - `mixed-1m` from `../shared/bench/gen_pcaps.py mixed` (1,000,000 frames,
//!   741 B average, as they arrive at a NAT router);
//! - `synflood-1m` from `gen_pcaps.py synflood` (1,000,000 SYNs from unique
//!   sources in 198.18.0.0/15 to the router's public address, port 443, which
//!   the ruleset DNATs, arriving on wan0).
//!
//! Where `../shared` is absent, captures of the same shape are generated here
//! (see `synth`), and `router.rules` (ours, the same shape) stands in for
//! `bench.rules`. Prints, for each workload, packets/s of:
//! - the bare loop: read the file and touch every header (the floor);
//! - the replay pipeline with no rules (mixed-1m only) and with the router's
//!   ruleset loaded, outputs discarded (the headline) and written to files;
//!
//! with the ratio of each replay's time to the bare loop's; with rules also
//! the conntrack work: entries allocated (NEW packets) and confirmed per
//! second, the drops (table full) and early drops, the entries left at the
//! end and the table's bytes per entry. Then the peak RSS after a
//! 100k-packet and the 1M-packet replay (flat memory).
//!
//! Arguments (after `--`): `--only WORD` runs the measurements whose label
//! contains WORD (the bare loops always run); `--small` uses the 100k
//! captures; `--runs N` (default 3, best of).
//!
//! Instructions per packet of `Replay::run` under callgrind (`--small --runs
//! 1 --only "mixed rules sink"`, and `synflood`), measured 2026-11-27; the
//! stable figure on a shared, noisy machine:
//!
//! | change | mixed-100k | synflood-100k |
//! |---|---|---|
//! | before (conntrack heap, 68-byte entries) | 8,360 | 12,777 |
//! | expiry wheel, packed entries, chunked slab | 8,602 | 13,361 |
//! | NAT endpoints in the verdict line by table | 8,241 | |
//! | whole-array chunks, inlined push, idle jiffy returns at once | 8,018 | 12,472 |
//! | pcap header fields with one range check | 7,960 | 12,414 |
//! | JSON escape check as a vector loop | 7,847 | 12,307 |
//! | (re-measured at 14d11ed, `--toggle-collect='*Replay*run*'`) | 7,853 | 12,309 |
//! | rule index: address/port/protocol candidates by binary search over steps | 7,782 | 11,601 |
//! | base chain found once per hook, kept with the rule index | 7,781 | 11,544 |
//! | verdict line: nanoseconds two digits at a time, the rule's JSON kept while it repeats | 7,704 | 11,432 |
//! | rule index: a field of at most 4 keys (interfaces) scanned, not hashed | 7,652 | 11,316 |
//! | (re-measured at 3220a86) | 7,723 | 11,438 |
//! | verdict line without `memcpy` calls, the rule described once while it repeats; classic pcap records read without a refill | 7,424 | 11,086 |
//! | hook effects looked at only when left; one `begin_packet`; local addresses scanned; 20-byte IPv4 header summed as 5 words | 7,269 | 10,886 |
//! | verdict line's length reckoned first; NAT endpoints at masked offsets | 7,135 | 10,819 |
//! | the received `Skb` boxed (lent out as a pointer) | 7,109 | 10,801 |
//! | a classic pcap record's parse inlined into the reader's step | 7,095 | 10,757 |
//! | (the other parts, each from 3220a86 alone:) | | |
//! | checksum bulk as 64-bit words into a 128-bit accumulator | 7,622 | |
//! | conntrack: idle wheel step one compare; confirm hashes once; NAT rewrite bounds checked once; find without a branch per field | 7,443 | 10,979 |
//! | hooks: state without CtFacts; per-hook step plans; no trace events when off; cursor of two pointers | 6,906 | 10,296 |
//! | all of the above merged (`*Replay*run*`) | 6,010 | 9,282 |
//! | one codegen unit, fat LTO (`Replay::run` inlined: counted under `replay::replay` in sim/pcap/replay.rs) | 5,577 | 8,738 |
//! | link header built only where a walk or log reads it; rare hook effects out of line (non-LTO: 6,046 -> 5,949, 9,384 -> 9,264) | 5,550 | 8,743 |
//! | (non-LTO from here on, 16 codegen units, as measured at b4d2333) | 5,949 | 9,264 |
//! | verdict line: the last 8 rule names kept, the line's middle (ingress .. rule) kept by what it is made of | 5,914 | 9,264 |
//! | checksum bulk as one add-with-carry chain per 64 bytes | 5,830 | 9,257 |
//! | reader window 128 KiB, not 1 MiB (for the cache; bare loop faster in 6 of 7 paired runs, replay within noise) | 5,822 | 9,229 |
//! | NAT endpoints laid out straight into the verdict line | 5,774 | 9,182 |
//! | (the other parts, each from b4d2333 alone:) | | |
//! | hooks: an established packet's nat and confirm steps in the hook's line; a walk reads its entry's status once | 5,819 | 9,242 |
//! | `Netfilter::run` inlined into `nf_hook`; forward's redirect test inline; TTL decremented on the header's bytes | 5,735 | 9,148 |
//! | conntrack: an entry on one cache line; by-source index only for bindings that moved the source; a new tuple hashed once; cold lines prefetched | 5,975 | 9,165 |
//! | rule index: interface fields compared in place, names reused from the walk; IPv4 header parsed once the chain is known (from 46248ee) | 5,709 | 9,028 |
//! | all of the above merged (490a28d) | 5,528 | 8,810 |
//! | interface names kept in IFNAMSIZ form on the interface (from 490a28d) | 5,524 | 8,733 |
//! | host timers' work called only when one is due (from 490a28d) | 5,522 | 8,806 |
//! | all merged, fat LTO (2157a48, counted under `replay::replay`) | 5,217 | 8,332 |
//! | (non-LTO, each from bb6e323 alone, which measures 5,521 / 8,739:) | | |
//! | rule walk: a built-in chain's opening state test (`--ctstate RELATED,ESTABLISHED -j ACCEPT`) decides before the walk is set up; state tests as plain data; index lookups skip passed rules and remember each field's last value | 5,408 | 8,537 |
//! | NAT: null bindings' choice in its short form; early drop does not re-reap the bucket a miss walked, unlinks a victim without rehashing it; confirm scans chains in place | 5,506 | 8,595 |
//! | verdict line's NAT end kept per flow direction; nanoseconds by multiplication; Ethernet frames placed from the network header; route keys worked out once | 5,308 | 8,668 |
//! | all merged, fat LTO (b867d5a, `replay::replay`) | 4,859 | 7,811 |
//! | checksum bulk in 128-byte chains, its tail as fixed chains, pseudo-header addresses in one load (non-LTO, from 2d83dac: 5,151 / 8,300) | 5,062 | 8,230 |
//! | all merged, fat LTO (the ct8 merge, `replay::replay`) | 4,772 | 7,749 |
//! | the checksum tail's four chains through one helper (review; +12 each) | 4,784 | 7,761 |
//! | (non-LTO, each from 6816765 alone, which measures 5,075 / 8,242:) | | |
//! | rule index: the conntrack state as a field, fully described rules taken without their tests, a numeric field's answer kept for its value's interval | 5,064 | 7,869 |
//! | conntrack: a fresh SYN skips the window check; liveness one compare; the L4 checksum from the pseudo-header in one fold; a plain new entry straight to confirm | 5,029 | 7,879 |
//! | verdict line: NAT endpoints as whole-word stores, its middle by a two-word key (64 kept); rare receive/output paths cold | 4,967 | 8,074 |
//! | all merged, fat LTO (5aa49ca, `replay::replay`) | 4,629 | 6,904 |
//! | (non-LTO from 5aa49ca: 4,904 / 7,334) an established ACK skips the TCP transition table; parse, refresh and accounting inline; one-address NAT ranges skip the zone lookup | 4,853 | 7,313 |
//! | all merged, fat LTO (2d87ae6, `replay::replay`) | 4,598 | 6,876 |
//! | ct10's four commits reverted (fewer instructions, but mixed-1m slower on the wall in 6 of 6 paired runs) (d17e4a9) | 4,627 | 6,887 |
//!
//! Tried and dropped: a memory-mapped reader. The bare loop fell from 4.5 to
//! 2.8-3.5 M pkt/s (a fresh mapping's page faults cost more than read's copy
//! on this VM), the replay did not move, and RSS counted the mapped file.
//!
//! On synflood-1m (callgrind's cache simulation, one run), the wheel and
//! smaller entries took LL misses from 949k to 626k and D1 misses from 23.3M
//! to 30.3M; aligned entries, fewer by-source filings and one hash per tuple
//! then took D1 read misses from 22.0M to 11.9M (the simulation does not
//! model the prefetches, whose win is latency hidden). Packets/s on this 2-core machine shared with other builds moved
//! by ±30% between identical runs, so none are recorded here.

use nfsim::net::{Host, HostConfig};
use nfsim::pcap::Reader;
use nfsim::pcap::egress;
use nfsim::pcap::replay::{IngressRules, Replay};
use nfsim::ruleset::Ruleset;
use nfsim::wire::{Ipv4Packet, TcpPacket};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
#[allow(clippy::disallowed_types)] // a benchmark measures the wall clock
use std::time::Instant as WallClock;

mod synth;

/// Command-line choices.
struct Args {
    only: Option<String>,
    small: bool,
    runs: usize,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args { only: None, small: false, runs: 3 };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            match a.as_str() {
                "--only" => args.only = it.next(),
                "--small" => args.small = true,
                "--runs" => args.runs = it.next().and_then(|n| n.parse().ok()).unwrap_or(3),
                _ => {} // `--bench` from cargo, and anything else
            }
        }
        args
    }

    fn wants(&self, label: &str) -> bool {
        self.only.as_ref().is_none_or(|w| label.contains(w.as_str()))
    }
}

/// The shape of a capture.
#[derive(Clone, Copy)]
enum Kind {
    Mixed,
    Synflood,
}

fn main() {
    let args = Args::parse();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let rules = router_rules();
    let size = if args.small { 100_000 } else { 1_000_000 };
    let label = if args.small { "100k" } else { "1m" };

    for kind in [Kind::Mixed, Kind::Synflood] {
        let name = match kind {
            Kind::Mixed => "mixed",
            Kind::Synflood => "synflood",
        };
        let wanted = |what: &str| args.wants(&format!("{name} {what}"));
        if !["norules sink", "norules files", "rules sink", "rules files"].into_iter().any(wanted) {
            continue;
        }
        let path = workload(&dir, kind, size);
        let (n, bare) = best_of(args.runs, || timed_bare_loop(&path));
        let n = n.packets;
        println!("{name}-{label}: bare loop {n} packets {:>7.2} M pkt/s", n as f64 / bare / 1e6);
        let run = |what: &str, rules: Option<&Ruleset>, out: Option<&Path>| {
            if !wanted(what) {
                return;
            }
            let (f, secs) = best_of(args.runs, || replay(&path, rules, out));
            print!(
                "  {what:<12} {:>7.3} M pkt/s  {:>5.2}x the bare loop's time",
                f.packets as f64 / secs / 1e6,
                secs / bare
            );
            if rules.is_some() {
                println!(
                    "  {:>7.3} M new conn/s confirmed ({} of {} NEW entries; {:.3} M NEW/s)  \
                     ct drop {} early_drop {}  {} entries at the end, {}",
                    f.confirmed as f64 / secs / 1e6,
                    f.confirmed,
                    f.created,
                    f.created as f64 / secs / 1e6,
                    f.ct_drop,
                    f.early_drop,
                    f.entries,
                    match f.entries {
                        0 => format!("{} B held", f.memory),
                        n => format!("{:.0} B/entry", f.memory as f64 / f64::from(n)),
                    }
                );
            } else {
                println!();
            }
        };
        if matches!(kind, Kind::Mixed) {
            run("norules sink", None, None);
            run("norules files", None, Some(&out));
        }
        run("rules sink", Some(&rules), None);
        run("rules files", Some(&rules), Some(&out));
    }

    if args.wants("rss") && !args.small {
        // Memory: a fresh process would be cleaner; peak RSS only grows, so a
        // 1M replay that does not raise the 100k peak shows flat memory.
        let small = workload(&dir, Kind::Mixed, 100_000);
        let full = workload(&dir, Kind::Mixed, 1_000_000);
        replay(&small, Some(&rules), Some(&out));
        let after_small = peak_rss_kib();
        replay(&full, Some(&rules), Some(&out));
        let after_full = peak_rss_kib();
        println!("peak RSS (mixed, rules) {after_small} KiB after 100k packets, {after_full} KiB after 1M");
    }
}

/// The router's ruleset: `../shared/bench/bench.rules`, or ours of the same shape.
fn router_rules() -> Ruleset {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/bench.rules");
    let (text, origin) = match std::fs::read_to_string(&shared) {
        Ok(text) => (text, shared.display().to_string()),
        Err(_) => (include_str!("router.rules").to_string(), "benches/replay/router.rules".to_string()),
    };
    eprintln!("ruleset: {origin}");
    nfsim::ruleset::load(&text, &origin).unwrap_or_else(|e| panic!("{origin}: {e}"))
}

/// The capture of `packets` packets, generated once.
fn workload(dir: &Path, kind: Kind, packets: u64) -> PathBuf {
    let name = match kind {
        Kind::Mixed => "mixed",
        Kind::Synflood => "synflood",
    };
    let path = dir.join(format!("{name}-{packets}.pcap"));
    if path.exists() {
        return path;
    }
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_pcaps.py");
    if generator.exists() {
        eprintln!("generating {} with {}", path.display(), generator.display());
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(&generator).args([name, "-o"]).arg(&path).arg("--packets").arg(packets.to_string());
        if let Kind::Mixed = kind {
            // The generator's defaults are sized for 1M packets; scale them.
            cmd.arg("--tcp-conns").arg((packets / 100).to_string());
            cmd.arg("--icmp-packets").arg((packets / 50).to_string());
        }
        let status = cmd.status().expect("python3");
        assert!(status.success(), "gen_pcaps.py failed");
    } else {
        eprintln!("../shared/bench absent: generating {} of the same shape", path.display());
        match kind {
            Kind::Mixed => synth::write_mixed(&path, packets),
            Kind::Synflood => synth::write_synflood(&path, packets),
        }
        .expect("synthetic workload");
    }
    path
}

/// The figures of the fastest of `runs` runs, and its time in seconds.
fn best_of(runs: usize, mut f: impl FnMut() -> (f64, Figures)) -> (Figures, f64) {
    let mut best = (Figures::default(), f64::MAX);
    for _ in 0..runs.max(1) {
        let (secs, figures) = f();
        if secs < best.1 {
            best = (figures, secs);
        }
    }
    best
}

/// What one replay did.
#[derive(Clone, Copy, Debug, Default)]
struct Figures {
    packets: u64,
    /// Conntrack entries allocated (NEW packets) and confirmed.
    created: u64,
    confirmed: u64,
    /// Conntrack's `drop` and `early_drop` counters.
    ct_drop: u32,
    early_drop: u32,
    /// Entries at the end, and the table's bytes then.
    entries: u32,
    memory: usize,
}

/// The bare loop, timed.
#[allow(clippy::disallowed_types)] // a benchmark measures the wall clock
fn timed_bare_loop(path: &Path) -> (f64, Figures) {
    let t = WallClock::now();
    let n = bare_loop(path);
    (t.elapsed().as_secs_f64(), Figures { packets: n, ..Figures::default() })
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
fn router(ruleset: Option<&Ruleset>) -> Host {
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
        ruleset: ruleset.cloned().unwrap_or_default(),
        netns: None,
        bridge: None,
        profile: Default::default(),
    };
    Host::new(&config).unwrap()
}

/// Replays `path` through the router, outputs to files in `out` or discarded;
/// the time covers the replay only (not building the box).
#[allow(clippy::disallowed_types)] // a benchmark measures the wall clock
fn replay(path: &Path, ruleset: Option<&Ruleset>, out: Option<&Path>) -> (f64, Figures) {
    let mut host = router(ruleset);
    let mut reader = Reader::new(BufReader::with_capacity(0, File::open(path).unwrap())).unwrap();
    let rules = IngressRules::default();
    let t = WallClock::now();
    let packets = match out {
        Some(dir) => {
            let mut egress = egress::pcapng(
                &host,
                BufWriter::with_capacity(1 << 20, File::create(dir.join("egress.pcapng")).unwrap()),
            )
            .unwrap();
            let mut verdicts = BufWriter::with_capacity(1 << 20, File::create(dir.join("verdicts.jsonl")).unwrap());
            let mut replay = Replay::new(&mut host, &rules).unwrap();
            replay.run(&mut reader, &mut egress, &mut verdicts, &mut std::io::sink()).unwrap();
            drop(egress);
            replay.tally.packets
        }
        None => {
            let mut egress = egress::pcapng(&host, std::io::sink()).unwrap();
            let mut replay = Replay::new(&mut host, &rules).unwrap();
            replay.run(&mut reader, &mut egress, &mut std::io::sink(), &mut std::io::sink()).unwrap();
            replay.tally.packets
        }
    };
    let secs = t.elapsed().as_secs_f64();
    let mut f = Figures { packets, ..Figures::default() };
    if let Some(ct) = &host.netfilter.conntrack {
        let work = ct.work();
        f.created = work.created;
        f.confirmed = work.confirmed;
        f.ct_drop = ct.stats().drop;
        f.early_drop = ct.stats().early_drop;
        f.entries = ct.count();
        f.memory = ct.memory_bytes();
    }
    (secs, f)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
