//! The box's IPv4 stack and `nfsim replay`, end to end: what a router does
//! with the packets it receives, what the replay writes, and that a replay is
//! deterministic and never panics on what users bring.

use nfsim::engine::{Duration, Instant};
use nfsim::net::{DropReason, Fate, Host, HostConfig, Reply, Tx};
use nfsim::wire::{IcmpPacket, Ipv4Packet, TcpFlags, TcpPacket, checksum};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

const LAN_MAC: [u8; 6] = [2, 0, 0, 0, 1, 1];
const T0: Instant = Instant::from_nanos(1_700_000_000_000_000_000);

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// The router of the examples: lan0 192.168.1.1/24, wan0 203.0.113.1/24.
fn router(extra_sysctls: &[&str]) -> Host {
    let mut sysctls = vec!["net.ipv4.ip_forward=1".to_string()];
    sysctls.extend(extra_sysctls.iter().map(|s| s.to_string()));
    Host::new(&HostConfig {
        name: "fw".into(),
        ifaces: vec![
            "lan0=192.168.1.1/24,mac=02:00:00:00:01:01".parse().unwrap(),
            "wan0=203.0.113.1/24,mac=02:00:00:00:02:01".parse().unwrap(),
        ],
        routes: vec!["default via 203.0.113.254".parse().unwrap()],
        sysctls,
        neighbours: vec![(ip("203.0.113.254"), "02:00:00:00:02:fe".parse().unwrap())],
        seed: 1,
        ..HostConfig::default()
    })
    .unwrap()
}

/// Frames the box sent, with the interface they left by.
#[derive(Default)]
struct Wire(Vec<(String, Vec<u8>)>);

impl Tx for Wire {
    fn transmit(&mut self, _now: Instant, iface: &nfsim::net::Iface, frame: &[u8]) {
        self.0.push((iface.name.clone(), frame.to_vec()));
    }
}

/// An Ethernet + IPv4 frame to the router's LAN MAC with `l4` as payload.
fn frame(src: &str, dst: &str, proto: u8, ttl: u8, df: bool, l4: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&LAN_MAC);
    f.extend_from_slice(&[2, 0, 192, 168, 1, 10]);
    f.extend_from_slice(&[8, 0]);
    let total = 20 + l4.len();
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    h[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    h[6] = if df { 0x40 } else { 0 };
    h[8] = ttl;
    h[9] = proto;
    h[12..16].copy_from_slice(&ip(src).octets());
    h[16..20].copy_from_slice(&ip(dst).octets());
    let c = checksum::finish(checksum::sum(&h));
    h[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&h);
    f.extend_from_slice(l4);
    f
}

fn udp(src: &str, dst: &str, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let sum = checksum::pseudo_header(ip(src), ip(dst), 17, u.len() as u16) + checksum::sum(&u);
    let c = match checksum::finish(sum) {
        0 => 0xffff,
        c => c,
    };
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

fn tcp(src: &str, dst: &str, sport: u16, dport: u16, seq: u32, ack: u32, flags: u8) -> Vec<u8> {
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&ack.to_be_bytes());
    t[12] = 0x50;
    t[13] = flags;
    t[14..16].copy_from_slice(&64240u16.to_be_bytes());
    let sum = checksum::pseudo_header(ip(src), ip(dst), 6, 20) + checksum::sum(&t);
    t[16..18].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    t
}

fn ipv4(frame: &[u8]) -> Ipv4Packet<&[u8]> {
    Ipv4Packet::new_checked(&frame[14..]).unwrap()
}

/// The transport part of an Ethernet + IPv4 frame.
fn l4(frame: &[u8]) -> &[u8] {
    let p = ipv4(frame);
    &frame[14 + p.header_len()..14 + p.total_len() as usize]
}

#[test]
fn forwarding_decrements_ttl_and_rewrites_macs() {
    let mut fw = router(&[]);
    let mut wire = Wire::default();
    let f = frame("192.168.1.10", "198.51.100.7", 17, 64, true, &udp("192.168.1.10", "198.51.100.7", 5000, 53, b"q"));
    let out = fw.receive(T0, 2, &f, &mut wire);
    assert_eq!(out.fate, Fate::Forwarded { oif: 3 });
    let (dev, sent) = &wire.0[0];
    assert_eq!(dev, "wan0");
    assert_eq!(&sent[..6], &[2, 0, 0, 0, 2, 0xfe], "gateway's permanent MAC");
    assert_eq!(&sent[6..12], &[2, 0, 0, 0, 2, 1], "wan0's MAC");
    let p = ipv4(sent);
    assert_eq!(p.ttl(), 63);
    assert!(p.verify_checksum(), "incremental checksum update is exact");
    assert_eq!(&sent[14 + 20..], &f[14 + 20..], "transport untouched");
}

#[test]
fn ttl_expiry_answers_time_exceeded_from_the_ingress_side() {
    let mut fw = router(&[]);
    let mut wire = Wire::default();
    let f =
        frame("192.168.1.10", "198.51.100.7", 17, 1, true, &udp("192.168.1.10", "198.51.100.7", 5000, 33434, b"probe"));
    let out = fw.receive(T0, 2, &f, &mut wire);
    assert_eq!(out.fate, Fate::Dropped(DropReason::TtlExceeded));
    assert_eq!(out.reply, Some(Reply::IcmpError(11, 0)));
    let (dev, sent) = &wire.0[0];
    assert_eq!(dev, "lan0");
    let p = ipv4(sent);
    assert_eq!((p.src_addr(), p.dst_addr(), p.ttl(), p.tos()), (ip("192.168.1.1"), ip("192.168.1.10"), 64, 0xc0));
    assert!(!p.dont_frag());
    let icmp = IcmpPacket::new_checked(p.payload()).unwrap();
    assert!(icmp.verify_checksum());
    assert_eq!((icmp.msg_type(), icmp.msg_code()), (11, 0));
    assert_eq!(icmp.data(), &f[14..], "the whole offending datagram is quoted, TTL 1 as received");
}

#[test]
fn no_route_answers_net_unreachable_unless_forwarding_is_off() {
    let config = |fwd: &str| HostConfig {
        name: "fw".into(),
        ifaces: vec!["lan0=192.168.1.1/24,mac=02:00:00:00:01:01".parse().unwrap()],
        sysctls: vec![format!("net.ipv4.ip_forward={fwd}")],
        seed: 1,
        ..HostConfig::default()
    };
    let f = frame("192.168.1.10", "198.51.100.7", 17, 64, true, &udp("192.168.1.10", "198.51.100.7", 5000, 53, b"q"));
    let mut on = Host::new(&config("1")).unwrap();
    let mut wire = Wire::default();
    let out = on.receive(T0, 2, &f, &mut wire);
    assert_eq!((out.fate, out.reply), (Fate::Dropped(DropReason::NoRoute), Some(Reply::IcmpError(3, 0))));
    let mut off = Host::new(&config("0")).unwrap();
    let mut quiet = Wire::default();
    let out = off.receive(T0, 2, &f, &mut quiet);
    assert_eq!((out.fate, out.reply), (Fate::Dropped(DropReason::ForwardingDisabled), None));
    assert!(quiet.0.is_empty());
}

#[test]
fn oversized_df_packets_get_frag_needed_and_others_are_fragmented() {
    let mut fw = router(&[]);
    let payload = vec![0xab; 2972];
    let dgram = udp("192.168.1.10", "198.51.100.7", 5000, 9, &payload);
    let mut wire = Wire::default();
    let out = fw.receive(T0, 2, &frame("192.168.1.10", "198.51.100.7", 17, 64, true, &dgram), &mut wire);
    assert_eq!(out.reply, Some(Reply::IcmpError(3, 4)));
    let icmp = IcmpPacket::new_checked(l4(&wire.0[0].1)).unwrap();
    assert_eq!(icmp.next_hop_mtu(), 1500);
    assert_eq!(icmp.data().len(), 576 - 28, "quoted up to 576 bytes in all");

    let mut wire = Wire::default();
    let out = fw.receive(T0, 2, &frame("192.168.1.10", "198.51.100.7", 17, 64, false, &dgram), &mut wire);
    assert_eq!(out.fate, Fate::Forwarded { oif: 3 });
    let frags: Vec<_> = wire.0.iter().map(|(_, f)| ipv4(f)).collect();
    assert_eq!(frags.len(), 3);
    let offsets: Vec<_> = frags.iter().map(|p| (p.frag_offset(), p.more_frags(), p.total_len())).collect();
    assert_eq!(offsets, vec![(0, true, 1500), (1480, true, 1500), (2960, false, 40)]);
    let joined: Vec<u8> = frags.iter().flat_map(|p| p.payload().to_vec()).collect();
    assert_eq!(joined, dgram, "fragments reassemble to the original datagram");
    assert!(frags.iter().all(|p| p.verify_checksum() && p.ttl() == 63 && p.ident() == 0x1234));
}

#[test]
fn the_box_itself_answers_ping_resets_tcp_and_refuses_udp() {
    let mut fw = router(&[]);
    let mut wire = Wire::default();
    let mut echo = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1, b'h', b'i'];
    let c = checksum::finish(checksum::sum(&echo));
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    let out = fw.receive(T0, 2, &frame("192.168.1.10", "192.168.1.1", 1, 64, false, &echo), &mut wire);
    assert_eq!((out.fate, out.reply), (Fate::Local, Some(Reply::EchoReply)));
    let reply = IcmpPacket::new_checked(l4(&wire.0[0].1)).unwrap();
    assert_eq!((reply.msg_type(), reply.echo_ident(), reply.echo_seq_no(), reply.data()), (0, 0x1234, 1, &b"hi"[..]));

    let mut wire = Wire::default();
    let syn = tcp("192.168.1.10", "192.168.1.1", 40000, 81, 1000, 0, 0x02);
    let out = fw.receive(T0, 2, &frame("192.168.1.10", "192.168.1.1", 6, 64, true, &syn), &mut wire);
    assert_eq!(out.reply, Some(Reply::TcpReset));
    let p = ipv4(&wire.0[0].1);
    assert_eq!((p.ident(), p.dont_frag(), p.ttl()), (0, true, 64));
    let rst = TcpPacket::new_checked(p.payload()).unwrap();
    assert_eq!((rst.src_port(), rst.dst_port(), rst.seq_number(), rst.ack_number()), (81, 40000, 0, 1001));
    assert_eq!(rst.flags(), TcpFlags(TcpFlags::RST.0 | TcpFlags::ACK.0));
    assert!(rst.verify_checksum(p.src_addr(), p.dst_addr()));

    let mut wire = Wire::default();
    let ack = tcp("192.168.1.10", "192.168.1.1", 40000, 81, 1000, 777, 0x10);
    fw.receive(T0, 2, &frame("192.168.1.10", "192.168.1.1", 6, 64, true, &ack), &mut wire);
    let rst = TcpPacket::new_checked(l4(&wire.0[0].1)).unwrap();
    assert_eq!((rst.seq_number(), rst.flags()), (777, TcpFlags::RST), "an ACK is reset with seq = its ack");

    let mut wire = Wire::default();
    let out = fw.receive(
        T0,
        2,
        &frame("192.168.1.10", "192.168.1.1", 17, 64, true, &udp("192.168.1.10", "192.168.1.1", 5000, 9, b"x")),
        &mut wire,
    );
    assert_eq!(out.reply, Some(Reply::IcmpError(3, 3)));
}

#[test]
fn port_unreachables_are_rate_limited_per_destination() {
    let count = |fw: &mut Host, at: Instant| {
        let mut wire = Wire::default();
        for port in 0..10 {
            let dgram = udp("192.168.1.10", "192.168.1.1", 5000, 100 + port, b"x");
            fw.receive(at, 2, &frame("192.168.1.10", "192.168.1.1", 17, 64, true, &dgram), &mut wire);
        }
        wire.0.len()
    };
    let mut fw = router(&[]);
    assert_eq!(count(&mut fw, T0), 6, "burst of 6 x icmp_ratelimit");
    assert_eq!(count(&mut fw, T0 + Duration::from_secs(1)), 1, "then one per icmp_ratelimit");
    let mut unlimited = router(&["net.ipv4.icmp_ratelimit=0"]);
    assert_eq!(count(&mut unlimited, T0), 10);
}

#[test]
fn martians_and_strangers_are_dropped_silently() {
    let mut fw = router(&[]);
    let mut wire = Wire::default();
    let spoofed = frame("192.168.1.1", "198.51.100.7", 17, 64, true, &udp("192.168.1.1", "198.51.100.7", 1, 2, b""));
    assert_eq!(fw.receive(T0, 2, &spoofed, &mut wire).fate, Fate::Dropped(DropReason::MartianSource));
    let group = frame("192.168.1.10", "239.1.2.3", 17, 1, true, &udp("192.168.1.10", "239.1.2.3", 1, 2, b""));
    assert_eq!(fw.receive(T0, 2, &group, &mut wire).fate, Fate::Dropped(DropReason::MulticastNotJoined));
    let mut bad = frame("192.168.1.10", "198.51.100.7", 17, 64, true, &udp("192.168.1.10", "198.51.100.7", 1, 2, b""));
    bad[14 + 10] ^= 0xff;
    assert_eq!(fw.receive(T0, 2, &bad, &mut wire).fate, Fate::Dropped(DropReason::Malformed("ipv4 header checksum")));
    let mut other =
        frame("192.168.1.10", "198.51.100.7", 17, 64, true, &udp("192.168.1.10", "198.51.100.7", 1, 2, b""));
    other[..6].copy_from_slice(&[2, 9, 9, 9, 9, 9]);
    assert_eq!(fw.receive(T0, 2, &other, &mut wire).fate, Fate::Dropped(DropReason::OtherHost));
    assert!(wire.0.is_empty());
}

#[test]
fn arp_requests_for_the_box_are_answered() {
    let mut fw = router(&[]);
    let mut wire = Wire::default();
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[2, 0, 192, 168, 1, 10, 8, 6]);
    f.extend_from_slice(&[
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 192, 168, 1, 10, 192, 168, 1, 10, 0, 0, 0, 0, 0, 0, 192, 168, 1, 1,
    ]);
    let out = fw.receive(T0, 2, &f, &mut wire);
    assert_eq!((out.fate, out.reply), (Fate::Arp, Some(Reply::ArpReply)));
    let reply = &wire.0[0].1;
    assert_eq!(&reply[..6], &[2, 0, 192, 168, 1, 10]);
    assert_eq!(&reply[20..22], &[0, 2], "op reply");
    assert_eq!(&reply[28..32], &[192, 168, 1, 1]);
}

// ---- the command line ----

/// Runs the binary from the project root, so relative paths read as in the README.
fn nfsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run nfsim")
}

fn shared(dir: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(dir);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not present (it ships with CI, not with a clone)", p.display());
        None
    }
}

fn tmpdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

const BOX: &[&str] = &[
    "--iface",
    "lan0=192.168.1.1/24,mac=02:00:00:00:01:01",
    "--iface",
    "wan0=203.0.113.1/24,mac=02:00:00:00:02:01",
    "--route",
    "default via 203.0.113.254",
    "--sysctl",
    "net.ipv4.ip_forward=1",
];

/// Replays the bundled capture through the example router with `rules`,
/// into a fresh directory named `name`; panics with nfsim's stderr on failure.
fn replay_example(name: &str, rules: &str) -> PathBuf {
    let out = tmpdir(name);
    let mut args = vec!["replay", "pcaps/router-lan-wan.pcapng", "--rules", rules, "--out", out.to_str().unwrap()];
    args.extend_from_slice(BOX);
    let o = nfsim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// The verdict lines of a replay, parsed.
fn verdicts(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("verdicts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn bundled_example_replays_deterministically() {
    let run = |name: &str| {
        let out = tmpdir(name);
        let mut args = vec!["replay", "pcaps/router-lan-wan.pcapng"];
        args.extend_from_slice(BOX);
        args.extend(["--out", out.to_str().unwrap()]);
        let o = nfsim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let (a, b) = (run("det-a"), run("det-b"));
    for file in ["egress.pcapng", "verdicts.jsonl", "summary.txt"] {
        let (x, y) = (std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap());
        assert!(!x.is_empty(), "{file} is empty");
        assert_eq!(x, y, "{file} differs between two identical runs");
    }
    let verdicts = std::fs::read_to_string(a.join("verdicts.jsonl")).unwrap();
    for line in verdicts.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v["index"].is_u64() && v["verdict"].is_string() && v["fate"].is_string());
    }
    insta::assert_snapshot!("bundled_example_summary", std::fs::read_to_string(a.join("summary.txt")).unwrap());
}

#[test]
fn bad_input_is_refused_with_exit_2_and_a_clear_message() {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("pcaps/router-lan-wan.pcapng");
    let out = tmpdir("bad-input");
    let cases: &[(&[&str], &str)] = &[
        (&["--iface", "lan0=192.168.1.1/33"], "invalid prefix length"),
        (&["--iface", "lan0=192.168.1.1/24", "--route", "default via 10.9.9.9"], "Nexthop has invalid gateway"),
        (
            &["--iface", "lan0=192.168.1.1/24", "--sysctl", "net.ipv4.ip_forwrd=1"],
            "cannot stat /proc/sys/net/ipv4/ip_forwrd",
        ),
        (&["--iface", "lan0=192.168.1.1/24", "--in", "eth9"], "no interface \"eth9\""),
    ];
    for (extra, expect) in cases {
        let mut args = vec!["replay", capture.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = nfsim(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(expect), "{extra:?}: {err}");
    }
    let o = nfsim(&["replay", "/nonexistent.pcap", "--iface", "eth0=10.0.0.1/8", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.pcap"));
}

#[test]
fn every_shared_capture_replays_or_is_refused_clearly() {
    let Some(dir) = shared("captures") else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"));
    files.sort();
    assert!(files.len() >= 30, "expected the shared captures, found {}", files.len());
    for file in files {
        let out = tmpdir(&format!("shared-{}", file.file_stem().unwrap().to_string_lossy()));
        let mut args = vec!["replay", file.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend_from_slice(BOX);
        let o = nfsim(&args);
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{name}: {err}");
        if name.starts_with("broken_") {
            assert_eq!(o.status.code(), Some(2), "{name} must be refused: {err}");
            assert!(err.contains(&name) && err.contains("byte"), "{name}: the error names the file and offset: {err}");
        } else {
            assert!(o.status.success(), "{name}: {err}");
            let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
            let lines = std::fs::read_to_string(out.join("verdicts.jsonl")).unwrap().lines().count();
            assert!(summary.contains(&format!("packets      {lines}")), "{name}: one verdict per packet");
        }
    }
}

#[test]
fn tshark_reads_the_egress_capture() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("skipping: tshark is not installed");
        return;
    }
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("pcaps/router-lan-wan.pcapng");
    let out = tmpdir("tshark");
    let mut args = vec!["replay", capture.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(BOX);
    assert!(nfsim(&args).status.success());
    let egress = out.join("egress.pcapng");
    let t = Command::new("tshark")
        .args([
            "-r",
            egress.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.interface_name",
            "-e",
            "frame.packet_flags_direction",
        ])
        .output()
        .unwrap();
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let rows: Vec<String> = String::from_utf8_lossy(&t.stdout).lines().map(str::to_string).collect();
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    let egress_total: u64 = summary
        .split("egress frames\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum();
    assert_eq!(rows.len() as u64, egress_total, "tshark sees every frame we wrote");
    assert!(rows.iter().all(|r| r.starts_with("lan0\t") || r.starts_with("wan0\t")), "{rows:?}");
    assert!(rows.iter().all(|r| r.ends_with("0x2") || r.ends_with("2")), "direction outbound: {rows:?}");
}

// ---- the bundled example capture ----

/// A frame from `src_mac` to `dst_mac` carrying an IPv4 packet.
fn eth(dst_mac: [u8; 6], src_mac: [u8; 6], ipv4_frame: Vec<u8>) -> Vec<u8> {
    let mut f = ipv4_frame;
    f[..6].copy_from_slice(&dst_mac);
    f[6..12].copy_from_slice(&src_mac);
    f
}

/// `pcaps/router-lan-wan.pcapng`: what arrives at a small router in one
/// second, on lan0 (interface 0) and wan0 (interface 1): ARP, DNS and a TCP
/// handshake through it, a ping and a UDP probe to it, a traceroute probe,
/// an oversized DF datagram, a fragmentable one, a spoofed source, mDNS, and
/// a connection attempt from outside to the router itself.
fn example_capture() -> Vec<u8> {
    const WAN_MAC: [u8; 6] = [2, 0, 0, 0, 2, 1];
    const GW_MAC: [u8; 6] = [2, 0, 0, 0, 2, 0xfe];
    const HOST_MAC: [u8; 6] = [2, 0, 192, 168, 1, 10];
    let h = "192.168.1.10";
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2, 0, 192, 168, 1, 10, 8, 6]);
    arp.extend_from_slice(&[
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 192, 168, 1, 10, 192, 168, 1, 10, 0, 0, 0, 0, 0, 0, 192, 168, 1, 1,
    ]);
    let mut echo = vec![8, 0, 0, 0, 0x4e, 0x21, 0, 1];
    echo.extend_from_slice(b"nfsim ping payload");
    let c = checksum::finish(checksum::sum(&echo));
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    let lan = |f: Vec<u8>| (0u32, eth(LAN_MAC, HOST_MAC, f));
    let wan = |f: Vec<u8>| (1u32, eth(WAN_MAC, GW_MAC, f));
    let frames: Vec<(u32, Vec<u8>)> = vec![
        (0, arp),
        lan(frame(
            h,
            "198.51.100.53",
            17,
            64,
            false,
            &udp(
                h,
                "198.51.100.53",
                53000,
                53,
                b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01",
            ),
        )),
        wan(frame(
            "198.51.100.53",
            h,
            17,
            57,
            false,
            &udp(
                "198.51.100.53",
                h,
                53,
                53000,
                b"\x12\x34\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01",
            ),
        )),
        lan(frame(h, "198.51.100.80", 6, 64, true, &tcp(h, "198.51.100.80", 40000, 80, 1000, 0, 0x02))),
        wan(frame("198.51.100.80", h, 6, 55, true, &tcp("198.51.100.80", h, 80, 40000, 5000, 1001, 0x12))),
        lan(frame(h, "198.51.100.80", 6, 64, true, &tcp(h, "198.51.100.80", 40000, 80, 1001, 5001, 0x10))),
        lan(frame(h, "192.168.1.1", 1, 64, true, &echo)),
        lan(frame(h, "198.51.100.80", 17, 1, false, &udp(h, "198.51.100.80", 33000, 33434, b"traceroute"))),
        wan(frame(
            "198.51.100.99",
            "203.0.113.1",
            6,
            50,
            true,
            &tcp("198.51.100.99", "203.0.113.1", 51000, 22, 777, 0, 0x02),
        )),
        lan(frame(h, "198.51.100.80", 17, 64, true, &udp(h, "198.51.100.80", 5001, 9, &[0x55; 1572]))),
        lan(frame(h, "198.51.100.80", 17, 64, false, &udp(h, "198.51.100.80", 5002, 9, &[0x66; 1972]))),
        wan(frame("192.168.1.1", h, 17, 60, false, &udp("192.168.1.1", h, 1, 2, b"spoofed"))),
        (
            0,
            eth(
                [1, 0, 0x5e, 0, 0, 0xfb],
                HOST_MAC,
                frame(h, "224.0.0.251", 17, 255, false, &udp(h, "224.0.0.251", 5353, 5353, b"mdns")),
            ),
        ),
        lan(frame(h, "192.168.1.1", 17, 64, false, &udp(h, "192.168.1.1", 40001, 161, b"snmp"))),
    ];
    let mut w = nfsim::pcap::PcapNgWriter::new(Vec::new()).unwrap();
    w.add_interface("lan0", nfsim::pcap::LinkType::Ethernet, 0).unwrap();
    w.add_interface("wan0", nfsim::pcap::LinkType::Ethernet, 0).unwrap();
    let start = Instant::from_nanos(1_767_225_600_000_000_000);
    for (i, (iface, f)) in frames.iter().enumerate() {
        let at = start + Duration::from_millis(50 * i as u64);
        w.write_packet(*iface, at, f, f.len() as u32, Some(nfsim::pcap::Direction::Inbound)).unwrap();
    }
    w.finish().unwrap()
}

/// The bundled capture is exactly what `example_capture` builds; set
/// `NFSIM_REGENERATE=1` to rewrite it after changing the builder.
#[test]
fn bundled_example_capture_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pcaps/router-lan-wan.pcapng");
    let bytes = example_capture();
    #[allow(clippy::disallowed_methods)] // a test switch, not simulation input
    if std::env::var_os("NFSIM_REGENERATE").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&bytes[..]), "run with NFSIM_REGENERATE=1");
}

#[test]
fn classic_pcap_egress_on_request_holds_the_same_frames() {
    let run = |name: &str, format: &str| {
        let out = tmpdir(name);
        let mut args =
            vec!["replay", "pcaps/router-lan-wan.pcapng", "--egress-format", format, "--out", out.to_str().unwrap()];
        args.extend_from_slice(BOX);
        assert!(nfsim(&args).status.success());
        out
    };
    let read_all = |path: &Path| {
        let mut r = nfsim::pcap::Reader::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut frames = Vec::new();
        while let Some((rec, iface)) = r.next_with_interface().unwrap() {
            frames.push((iface.and_then(|i| i.name.clone()), rec.ts, rec.data.to_vec()));
        }
        frames
    };
    let ng = read_all(&run("egress-ng", "pcapng").join("egress.pcapng"));
    let classic = run("egress-classic", "pcap");
    for iface in ["lo", "lan0", "wan0"] {
        let per_iface: Vec<_> = read_all(&classic.join(format!("egress-{iface}.pcap")))
            .into_iter()
            .map(|(_, ts, data)| (ts, data))
            .collect();
        let from_ng: Vec<_> =
            ng.iter().filter(|(n, _, _)| n.as_deref() == Some(iface)).map(|(_, ts, d)| (*ts, d.clone())).collect();
        assert_eq!(per_iface, from_ng, "{iface}");
    }
}

#[test]
fn an_incomplete_datagram_for_the_box_times_out_with_an_icmp_error() {
    let mut fw = router(&[]);
    let mut wire = Wire::default();
    let dgram = udp("192.168.1.10", "192.168.1.1", 5000, 9, &[7u8; 64]);
    // The first 32 bytes only (MF set): the rest never comes.
    let mut first = frame("192.168.1.10", "192.168.1.1", 17, 64, false, &dgram[..32]);
    {
        let mut ip = Ipv4Packet::new_unchecked(&mut first[14..]);
        ip.set_more_frags(true);
        ip.fill_checksum();
    }
    assert_eq!(fw.receive(T0, 2, &first, &mut wire).fate, Fate::Queued, "held for reassembly");
    fw.advance(T0 + Duration::from_secs(29), &mut wire);
    assert!(wire.0.is_empty());
    fw.advance(T0 + Duration::from_secs(31), &mut wire);
    let (dev, sent) = &wire.0[0];
    assert_eq!(dev, "lan0");
    let icmp = IcmpPacket::new_checked(l4(sent)).unwrap();
    assert_eq!((icmp.msg_type(), icmp.msg_code()), (11, 1), "fragment reassembly time exceeded");
    assert_eq!(icmp.data(), &first[14..], "quotes the first fragment");
}

#[test]
fn filter_rules_decide_count_and_name_the_deciding_rule() {
    let out = replay_example("stateless-rules", "scenarios/examples/stateless.rules");
    let verdicts = verdicts(&out);
    let rule = |i: usize| verdicts[i]["rule"].as_str().map(str::to_string);
    let fate = |i: usize| verdicts[i]["fate"].as_str().unwrap().to_string();
    assert_eq!((fate(1), rule(1).as_deref()), ("forward".into(), Some("filter/FORWARD/1")), "DNS query out");
    assert_eq!((fate(2), rule(2).as_deref()), ("forward".into(), Some("filter/FORWARD/2")), "DNS answer back");
    assert_eq!((fate(3), rule(3).as_deref()), ("drop".into(), Some("filter/FORWARD/policy")), "TCP is not allowed");
    assert_eq!((fate(8), rule(8).as_deref()), ("drop".into(), Some("filter/INPUT/1")), "ssh to the box");
    assert_eq!(rule(0), None, "ARP does not traverse iptables");
    insta::assert_snapshot!("stateless_rules_counters", std::fs::read_to_string(out.join("counters.rules")).unwrap());
}

#[test]
fn a_refused_ruleset_stops_the_replay_with_iptables_words() {
    let out = tmpdir("refused-rules");
    let rules = out.with_extension("rules");
    std::fs::write(&rules, "iptables -A FORWARD -j ACCEPT\niptables -t nat -A POSTROUTING -j REJECT\n").unwrap();
    let mut args = vec![
        "replay",
        "pcaps/router-lan-wan.pcapng",
        "--rules",
        rules.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(BOX);
    let o = nfsim(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(":2: iptables: Invalid argument. Run `dmesg' for more information."), "{err}");
    assert!(
        err.contains(":2: kernel: x_tables: ip_tables: REJECT target: only valid in filter table, not nat"),
        "{err}"
    );
}

#[test]
fn log_lines_reach_the_kernel_log_and_reject_answers() {
    let out = replay_example("log-reject", "scenarios/examples/log-reject.rules");
    insta::assert_snapshot!("log_reject_log_txt", std::fs::read_to_string(out.join("log.txt")).unwrap());
    let verdicts = std::fs::read_to_string(out.join("verdicts.jsonl")).unwrap();
    let syn: serde_json::Value = serde_json::from_str(verdicts.lines().nth(3).unwrap()).unwrap();
    assert_eq!(syn["reply"], "tcp-reset", "the SYN through the box is reset");
    assert_eq!(syn["rule"], "filter/FORWARD/3");
}

#[test]
fn stateful_rules_track_connections_and_list_them_as_conntrack_does() {
    let out = replay_example("stateful-rules", "scenarios/examples/stateful.rules");
    let verdicts = verdicts(&out);
    let seen = |i: usize| {
        (verdicts[i]["ct"].as_str().unwrap_or("-").to_string(), verdicts[i]["rule"].as_str().unwrap_or("-").to_string())
    };
    assert_eq!(seen(1), ("NEW".into(), "filter/FORWARD/3".into()), "DNS query opens a connection");
    assert_eq!(seen(2), ("ESTABLISHED".into(), "filter/FORWARD/1".into()), "its answer is a reply");
    assert_eq!(seen(8), ("NEW".into(), "filter/INPUT/3".into()), "ssh from outside is dropped");
    let listing = std::fs::read_to_string(out.join("conntrack.txt")).unwrap();
    insta::assert_snapshot!("stateful_conntrack_listing", listing);
    let stats = std::fs::read_to_string(out.join("conntrack-stats.txt")).unwrap();
    assert!(stats.starts_with("cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0"), "{stats}");
    // The /proc views of the same state.
    let proc = |name: &str| std::fs::read_to_string(out.join("proc/net").join(name)).unwrap();
    let proc_lines = proc("nf_conntrack");
    assert_eq!(proc_lines.lines().count(), listing.lines().count());
    assert!(proc_lines.lines().all(|l| l.starts_with("ipv4     2 ") && l.ends_with(" zone=0 use=2")), "{proc_lines}");
    assert_eq!(proc("ip_tables_names"), "filter\n");
    let stat = proc("stat/nf_conntrack");
    assert!(stat.starts_with("entries  clashres found new invalid ignore delete"), "{stat}");
}

#[test]
fn with_conntrack_fragments_are_reassembled_before_the_rules_and_leave_as_they_came() {
    let rules = "*filter\n:FORWARD DROP [0:0]\n\
        -A FORWARD -m conntrack --ctstate INVALID -j DROP\n\
        -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
        -A FORWARD -i lan0 -p udp --dport 2049 -j ACCEPT\nCOMMIT\n";
    let mut fw = Host::new(&HostConfig {
        name: "fw".into(),
        ifaces: vec![
            "lan0=192.168.1.1/24,mac=02:00:00:00:01:01".parse().unwrap(),
            "wan0=203.0.113.1/24,mac=02:00:00:00:02:01".parse().unwrap(),
        ],
        routes: vec!["default via 203.0.113.254".parse().unwrap()],
        sysctls: vec!["net.ipv4.ip_forward=1".into()],
        ruleset: nfsim::ruleset::load(rules, "test").unwrap(),
        seed: 1,
        ..HostConfig::default()
    })
    .unwrap();
    // One 3000-byte datagram, cut into 1500-byte fragments, last one first.
    let dgram = udp("192.168.1.10", "198.51.100.7", 700, 2049, &[0x42; 2972]);
    let piece = |off: usize, len: usize, more: bool| {
        let mut f = frame("192.168.1.10", "198.51.100.7", 17, 64, false, &dgram[off..off + len]);
        let mut ip = Ipv4Packet::new_unchecked(&mut f[14..]);
        ip.set_frag_offset(off as u16);
        ip.set_more_frags(more);
        ip.fill_checksum();
        f
    };
    let mut wire = Wire::default();
    assert_eq!(fw.receive(T0, 2, &piece(2960, 20, false), &mut wire).fate, Fate::Queued);
    assert_eq!(fw.receive(T0, 2, &piece(0, 1480, true), &mut wire).fate, Fate::Queued);
    let out = fw.receive(T0, 2, &piece(1480, 1480, true), &mut wire);
    assert_eq!(out.fate, Fate::Forwarded { oif: 3 }, "accepted as one NEW datagram to port 2049");
    let sizes: Vec<(u16, bool, u16)> =
        wire.0.iter().map(|(_, f)| ipv4(f)).map(|p| (p.frag_offset(), p.more_frags(), p.total_len())).collect();
    assert_eq!(
        sizes,
        vec![(0, true, 1500), (1480, true, 1500), (2960, false, 40)],
        "refragmented to the largest piece"
    );
    let listing = fw.netfilter.conntrack.as_mut().unwrap().list(T0);
    assert!(listing.contains("dport=2049 [UNREPLIED]"), "{listing}");
}

#[test]
fn every_step_can_be_traced() {
    let rules = "*filter\n:FORWARD DROP [0:0]\n\
        -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n\
        -A FORWARD -i lan0 -p udp -j ACCEPT\nCOMMIT\n";
    let mut fw = Host::new(&HostConfig {
        name: "fw".into(),
        ifaces: vec![
            "lan0=192.168.1.1/24,mac=02:00:00:00:01:01".parse().unwrap(),
            "wan0=203.0.113.1/24".parse().unwrap(),
        ],
        routes: vec!["default via 203.0.113.254".parse().unwrap()],
        sysctls: vec!["net.ipv4.ip_forward=1".into()],
        ruleset: nfsim::ruleset::load(rules, "test").unwrap(),
        seed: 1,
        ..HostConfig::default()
    })
    .unwrap();
    fw.netfilter.trace = Some(Vec::new());
    let f = frame("192.168.1.10", "198.51.100.7", 17, 64, true, &udp("192.168.1.10", "198.51.100.7", 5000, 53, b"q"));
    fw.receive(T0, 2, &f, &mut Wire::default());
    let events = fw.netfilter.trace.take().unwrap();
    let lines: Vec<String> = events
        .iter()
        .map(|e| {
            let mut s = String::new();
            fw.netfilter.write_trace(e, &mut s);
            s
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            "PREROUTING conntrack NEW, created (unconfirmed): udp      17 30 src=192.168.1.10 dst=198.51.100.7 \
             sport=5000 dport=53 [UNREPLIED] src=198.51.100.7 dst=192.168.1.10 sport=53 dport=5000 mark=0 use=1",
            "FORWARD filter: udp 192.168.1.10:5000 > 198.51.100.7:53 len 1 ttl 63 ipid 4660 df in lan0 out wan0\n\
             \x20 FORWARD #1 -m conntrack --ctstate ESTABLISHED -j ACCEPT: no (-m conntrack --ctstate ESTABLISHED)\n\
             \x20 FORWARD #2 -i lan0 -p udp -j ACCEPT: match",
            "FORWARD filter/FORWARD/2 ACCEPT",
        ]
    );
}

#[test]
fn baseline_names_exactly_the_flows_a_rule_change_affects() {
    // The new ruleset lets only UDP out where the old one let everything out.
    let old = "scenarios/examples/stateful.rules";
    let text = std::fs::read_to_string(old).unwrap();
    let changed = text.replace("-A FORWARD -i lan0 -o wan0 -j ACCEPT", "-A FORWARD -i lan0 -o wan0 -p udp -j ACCEPT");
    assert_ne!(text, changed);
    let dir = tmpdir("baseline");
    std::fs::create_dir_all(&dir).unwrap();
    let new = dir.join("new.rules");
    std::fs::write(&new, changed).unwrap();
    let out = dir.join("out");
    let run = |new: &str, fail: bool| {
        let mut args = vec!["replay", "pcaps/router-lan-wan.pcapng", "--rules", new, "--baseline", old];
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        if fail {
            args.push("--fail-on-diff");
        }
        args.extend_from_slice(BOX);
        nfsim(&args)
    };
    let o = run(new.to_str().unwrap(), true);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let diff: Vec<serde_json::Value> = std::fs::read_to_string(out.join("diff.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let flows: Vec<&str> = diff.iter().map(|d| d["flow"].as_str().unwrap()).collect();
    assert_eq!(flows, ["tcp 192.168.1.10:40000 <> 198.51.100.80:80"], "only the TCP flow from the LAN changes");
    assert_eq!(diff[0]["old"]["rule"], "filter/FORWARD/3");
    assert_eq!(diff[0]["new"]["rule"], "filter/FORWARD/policy");
    let text = std::fs::read_to_string(out.join("diff.txt")).unwrap();
    insta::assert_snapshot!("baseline_diff_txt", text.replace(new.to_str().unwrap(), "NEW"));
    // The same ruleset on both sides: nothing differs, exit 0 even with --fail-on-diff.
    let o = run(old, true);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("diff.jsonl")).unwrap(), "");
}

#[test]
fn nated_packets_say_how_they_left_and_the_filter_rule_stays_the_decider() {
    let out = replay_example("masquerade", "scenarios/examples/router.rules");
    let verdicts = verdicts(&out);
    let dns = &verdicts[1];
    assert_eq!(dns["egress"], "wan0");
    assert_eq!(dns["rule"], "filter/FORWARD/3", "the filter rule let it out; MASQUERADE only mapped it");
    assert_eq!(dns["nat"], "203.0.113.1:53000 > 198.51.100.53:53");
    assert!(verdicts.iter().filter(|v| v["fate"] == "drop").all(|v| v.get("nat").is_none()));
    let listing = std::fs::read_to_string(out.join("conntrack.txt")).unwrap();
    assert!(listing.contains(
        "src=192.168.1.10 dst=198.51.100.53 sport=53000 dport=53 [UNREPLIED] src=198.51.100.53 dst=203.0.113.1 sport=53 dport=53000"
    ), "{listing}");
}
