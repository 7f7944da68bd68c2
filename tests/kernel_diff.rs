//! Differential test of the box's IPv4 stack (`nfsim::net::Host`) against the
//! real Linux kernel.
//!
//! Each case is a box configuration plus Ethernet frames injected on its LAN
//! or WAN wire. `tests/kernel/ipv4.txt` records, per case, the injected
//! frames and every frame the real kernel's box emitted (recorded by
//! `tests/kernel/kdiff.py`: three fresh network namespaces per case, LAN
//! wire, box, WAN wire, joined by veth pairs, frames injected and captured
//! with AF_PACKET on the wire ends).
//!
//! - `nfsim_matches_kernel_recording` (everywhere): feeds the recorded frames
//!   to nfsim and compares what it emits, byte for byte, with the recording.
//! - `live_kernel_matches_recording` (root only, skipped with a reason
//!   otherwise): runs the cases on this machine's kernel and fails on any
//!   difference from the recording. With `NFSIM_KDIFF_RECORD=1` it rewrites
//!   the recording instead:
//!   `NFSIM_KDIFF_RECORD=1 cargo test --test kernel_diff live -- --nocapture`.
//!
//! The one normalisation: packets the box originates with DF clear (ICMP
//! errors, echo replies) carry an IP ID the kernel draws at random, so their
//! IP ID and header checksum are masked on both sides (nfsim's header
//! checksum is verified separately). Everything else must be identical.

use nfsim::engine::{Duration, Instant};
use nfsim::net::{Host, HostConfig, Iface, Tx};
use nfsim::wire::EthernetAddress;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "kernel_diff/helpers.rs"]
mod helpers;
#[path = "kernel_diff/nat.rs"]
mod nat;
#[path = "kernel_diff/tcp.rs"]
mod tcp;

// ---------------------------------------------------------------------------
// The topology

const BOX_LAN: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
const BOX_WAN: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const BOX_LAN_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x01, 0x01];
const BOX_WAN_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x02, 0x01];
const GATEWAY: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 254);
const LAN_HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
const LAN_HOST2: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 11);
const WAN_HOST: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 7);
/// A host beyond the gateway.
const REMOTE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
/// Every on-link host address the cases use: the box gets a permanent
/// neighbour entry for each.
const NEIGHBOURS: [Ipv4Addr; 4] = [LAN_HOST, LAN_HOST2, WAN_HOST, GATEWAY];
const BROADCAST_MAC: [u8; 6] = [0xff; 6];

/// `02:00` + the IPv4 address: the MAC of every host in the cases.
fn host_mac(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

fn mac_text(mac: [u8; 6]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Which wire a frame is injected on / emitted to: the box's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Lan,
    Wan,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Lan => "lan0",
            Side::Wan => "wan0",
        }
    }
    fn from_name(name: &str) -> Option<Side> {
        match name {
            "lan0" => Some(Side::Lan),
            "wan0" => Some(Side::Wan),
            _ => None,
        }
    }
    /// The box's ifindex in nfsim (`lo` is 1).
    fn ifindex(self) -> u32 {
        match self {
            Side::Lan => 2,
            Side::Wan => 3,
        }
    }
}

// ---------------------------------------------------------------------------
// Frame builders (deliberately independent of nfsim::wire)

fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    for chunk in data.chunks(2) {
        let word = if chunk.len() == 2 { u16::from_be_bytes([chunk[0], chunk[1]]) } else { u16::from(chunk[0]) << 8 };
        sum += u32::from(word);
    }
    sum
}

fn csum_fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn checksum(data: &[u8]) -> u16 {
    csum_fold(csum_add(0, data))
}

fn pseudo_checksum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, l4: &[u8]) -> u16 {
    let mut sum = csum_add(0, &src.octets());
    sum = csum_add(sum, &dst.octets());
    sum += u32::from(proto) + l4.len() as u32;
    csum_fold(csum_add(sum, l4))
}

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 header's variable parts.
#[derive(Clone, Copy)]
struct Ip {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    ttl: u8,
    tos: u8,
    id: u16,
    df: bool,
    bad_checksum: bool,
    options: &'static [u8],
    /// Fragment offset in 8-byte units, and more-fragments.
    frag: (u16, bool),
}

impl Ip {
    fn new(src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> Ip {
        Ip {
            src,
            dst,
            proto,
            ttl: 64,
            tos: 0,
            id: 0x1c46,
            df: true,
            bad_checksum: false,
            options: &[],
            frag: (0, false),
        }
    }
    fn ttl(self, ttl: u8) -> Ip {
        Ip { ttl, ..self }
    }
    fn tos(self, tos: u8) -> Ip {
        Ip { tos, ..self }
    }
    fn id(self, id: u16) -> Ip {
        Ip { id, ..self }
    }
    fn df(self, df: bool) -> Ip {
        Ip { df, ..self }
    }
    fn bad_checksum(self) -> Ip {
        Ip { bad_checksum: true, ..self }
    }
    fn options(self, options: &'static [u8]) -> Ip {
        assert_eq!(options.len() % 4, 0);
        Ip { options, ..self }
    }
    fn frag(self, offset_units: u16, more: bool) -> Ip {
        Ip { frag: (offset_units, more), ..self }
    }

    /// `l4` (a whole transport message) split into fragments at `cuts` bytes.
    fn fragments(&self, l4: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(l4.len());
        bounds
            .windows(2)
            .map(|w| {
                assert_eq!(w[0] % 8, 0);
                self.frag((w[0] / 8) as u16, w[1] < l4.len()).packet(&l4[w[0]..w[1]])
            })
            .collect()
    }

    fn packet(&self, payload: &[u8]) -> Vec<u8> {
        let hlen = 20 + self.options.len();
        let total = hlen + payload.len();
        let mut p = vec![0x40 | (hlen / 4) as u8, self.tos];
        p.extend_from_slice(&(total as u16).to_be_bytes());
        p.extend_from_slice(&self.id.to_be_bytes());
        let flags = if self.df { 0x4000u16 } else { 0 } | if self.frag.1 { 0x2000 } else { 0 } | self.frag.0;
        p.extend_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(&[self.ttl, self.proto, 0, 0]);
        p.extend_from_slice(&self.src.octets());
        p.extend_from_slice(&self.dst.octets());
        p.extend_from_slice(self.options);
        let mut c = checksum(&p);
        if self.bad_checksum {
            c ^= 0x5555;
        }
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(&self, sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, options: &[u8], data: &[u8]) -> Vec<u8> {
        assert_eq!(options.len() % 4, 0);
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&ack.to_be_bytes());
        t.push((((20 + options.len()) / 4) << 4) as u8);
        t.push(flags);
        t.extend_from_slice(&64240u16.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0]);
        t.extend_from_slice(options);
        t.extend_from_slice(data);
        let c = pseudo_checksum(self.src, self.dst, 6, &t);
        t[16..18].copy_from_slice(&c.to_be_bytes());
        self.packet(&t)
    }

    fn udp(&self, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(data);
        let mut c = pseudo_checksum(self.src, self.dst, 17, &u);
        if c == 0 {
            c = 0xffff;
        }
        u[6..8].copy_from_slice(&c.to_be_bytes());
        self.packet(&u)
    }

    /// A UDP datagram whose checksum is `csum` exactly (0: none).
    fn udp_with_checksum(&self, sport: u16, dport: u16, data: &[u8], csum: u16) -> Vec<u8> {
        let mut p = self.udp(sport, dport, data);
        let at = 20 + self.options.len() + 6;
        p[at..at + 2].copy_from_slice(&csum.to_be_bytes());
        p
    }

    fn icmp(&self, ty: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
        let mut m = vec![ty, code, 0, 0];
        m.extend_from_slice(&rest);
        m.extend_from_slice(data);
        let c = checksum(&m);
        m[2..4].copy_from_slice(&c.to_be_bytes());
        self.packet(&m)
    }

    fn echo_request(&self, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
        let mut rest = [0; 4];
        rest[..2].copy_from_slice(&ident.to_be_bytes());
        rest[2..].copy_from_slice(&seq.to_be_bytes());
        self.icmp(8, 0, rest, data)
    }
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const MSS_1460: [u8; 4] = [2, 4, 0x05, 0xb4];
/// Record route with room for two addresses, then end of options.
const RECORD_ROUTE: &[u8] = &[7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// Two NOPs, router alert, end.
const NOP_NOP_ROUTER_ALERT: &[u8] = &[1, 1, 148, 4, 0, 0, 0, 0];

/// An IPv4 packet sent by the LAN host that owns its source address.
fn from_lan(packet: Vec<u8>) -> (Side, Vec<u8>) {
    let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    (Side::Lan, eth(BOX_LAN_MAC, host_mac(src), 0x0800, &packet))
}

/// An IPv4 packet arriving from the WAN gateway.
fn from_wan(packet: Vec<u8>) -> (Side, Vec<u8>) {
    (Side::Wan, eth(BOX_WAN_MAC, host_mac(GATEWAY), 0x0800, &packet))
}

fn ping_data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 256) as u8).collect()
}

// ---------------------------------------------------------------------------
// The cases

struct Case {
    name: &'static str,
    /// Sysctls on top of the base (all of them ones nfsim models).
    sysctls: Vec<&'static str>,
    /// Without the default route.
    no_default_route: bool,
    lan_mtu: u16,
    wan_mtu: u16,
    /// An iptables-restore ruleset loaded in the box before the frames
    /// (`iptables-legacy-restore` on the kernel, `nfsim::ruleset::load` in nfsim).
    rules: Option<String>,
    frames: Vec<(Side, Vec<u8>)>,
    /// (frame index, milliseconds): wait that long before sending that frame.
    pauses: Vec<(usize, u32)>,
    /// Also record, after the frames, `conntrack -L`, `conntrack -S` and the
    /// kernel log lines the case produced (see [`Case::klog_prefixes`]).
    observe: bool,
    /// `net.netfilter.nf_conntrack_max` for this case (global in the kernel:
    /// kdiff.py sets it in the initial namespace around the frames only).
    ct_max: Option<u32>,
}

impl Case {
    fn new(name: &'static str, frames: Vec<(Side, Vec<u8>)>) -> Case {
        Case {
            name,
            sysctls: Vec::new(),
            no_default_route: false,
            lan_mtu: 1500,
            wan_mtu: 1500,
            rules: None,
            frames,
            pauses: Vec::new(),
            observe: false,
            ct_max: None,
        }
    }
    /// Records conntrack -L / -S and the case's kernel log lines too.
    fn observe(mut self) -> Case {
        self.observe = true;
        self
    }
    /// Waits `ms` milliseconds before frame `index`.
    fn pause_before(mut self, index: usize, ms: u32) -> Case {
        self.pauses.push((index, ms));
        self
    }
    fn ct_max(mut self, max: u32) -> Case {
        self.ct_max = Some(max);
        self
    }
    /// The kernel log lines that belong to the case start with one of these:
    /// every `--log-prefix` of its rules, `nf_conntrack: ` when it sets
    /// `nf_conntrack_max` (the table-full line), `nf_ct_proto_` when it sets
    /// `nf_conntrack_log_invalid`. The kernel log is global, so
    /// nothing else is attributed to a case.
    fn klog_prefixes(&self) -> Vec<String> {
        let mut v = Vec::new();
        for line in self.rules.iter().flat_map(|r| r.lines()) {
            let mut rest = line;
            while let Some(at) = rest.find("--log-prefix ") {
                rest = &rest[at + "--log-prefix ".len()..];
                let (prefix, tail) = match rest.strip_prefix('"') {
                    Some(q) => q.split_once('"').unwrap_or((q, "")),
                    None => rest.split_once(' ').unwrap_or((rest, "")),
                };
                v.push(prefix.to_string());
                rest = tail;
            }
        }
        if self.ct_max.is_some() {
            v.push("nf_conntrack: ".into());
        }
        if self.sysctls.iter().any(|s| s.starts_with("net.netfilter.nf_conntrack_log_invalid=")) {
            v.push("nf_ct_proto_".into());
        }
        if self.rules.as_ref().is_some_and(|r| r.contains("--helper ")) {
            // The helpers' own lines: nf_ct_helper_log's and module warnings.
            for p in ["nf_ct_ftp", "nf_ct_irc", "nf_ct_tftp", "nf_conntrack_irc", "nf_conntrack_ftp"] {
                v.push(p.into());
            }
        }
        v
    }
    /// Virtual time offset of each frame: the pauses before it, summed.
    fn frame_offsets(&self) -> Vec<Duration> {
        let mut at = 0u64;
        (0..self.frames.len())
            .map(|i| {
                at += self.pauses.iter().filter(|(j, _)| *j == i).map(|(_, ms)| u64::from(*ms)).sum::<u64>();
                Duration::from_millis(at)
            })
            .collect()
    }
    /// The box's iptables ruleset, iptables-restore lines (`*table` ... `COMMIT`).
    fn rules(mut self, lines: &[&str]) -> Case {
        self.rules = Some(lines.iter().map(|l| format!("{l}\n")).collect());
        self
    }
    fn sysctl(mut self, line: &'static str) -> Case {
        self.sysctls.push(line);
        self
    }
    fn no_default_route(mut self) -> Case {
        self.no_default_route = true;
        self
    }
    fn lan_mtu(mut self, mtu: u16) -> Case {
        self.lan_mtu = mtu;
        self
    }

    fn sysctl_lines(&self) -> Vec<String> {
        let base = ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.all.send_redirects=0"];
        base.iter().chain(self.sysctls.iter()).map(|s| s.to_string()).collect()
    }
    fn routes(&self) -> Vec<String> {
        if self.no_default_route { Vec::new() } else { vec![format!("default via {GATEWAY}")] }
    }
    fn ifaces(&self) -> [(Side, Ipv4Addr, [u8; 6], u16); 2] {
        [(Side::Lan, BOX_LAN, BOX_LAN_MAC, self.lan_mtu), (Side::Wan, BOX_WAN, BOX_WAN_MAC, self.wan_mtu)]
    }
}

/// Cases where nfsim is known to differ from the kernel: (case, what differs).
/// The offline test prints them instead of failing; one that starts to agree
/// fails the test until it is taken off this list.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Every module's known differences.
fn known_differences() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    KNOWN_DIFFERENCES
        .iter()
        .chain(tcp::KNOWN_DIFFERENCES)
        .chain(nat::KNOWN_DIFFERENCES)
        .chain(helpers::KNOWN_DIFFERENCES)
}

fn cases() -> Vec<Case> {
    let syn_out = Ip::new(LAN_HOST, REMOTE, 6).tcp(40000, 80, 0x1000_0000, 0, SYN, &MSS_1460, &[]);
    let udp_out_ttl1 = Ip::new(LAN_HOST, REMOTE, 17).ttl(1).udp(40001, 53, b"query");
    let gre_inner = Ip::new(LAN_HOST, REMOTE, 17).udp(1, 2, b"x");
    let mut gre = vec![0, 0, 0x08, 0x00];
    gre.extend_from_slice(&gre_inner);
    // A port unreachable about a datagram "the box sent" (it sent none).
    let quoted = Ip::new(BOX_LAN, LAN_HOST, 17).df(false).id(0x0101).udp(5000, 53, b"abcdefgh");
    let arp_request = {
        let mut a = vec![0, 1, 0x08, 0x00, 6, 4, 0, 1];
        a.extend_from_slice(&host_mac(LAN_HOST));
        a.extend_from_slice(&LAN_HOST.octets());
        a.extend_from_slice(&[0; 6]);
        a.extend_from_slice(&BOX_LAN.octets());
        eth(BROADCAST_MAC, host_mac(LAN_HOST), 0x0806, &a)
    };
    let broadcast_ping = eth(
        BROADCAST_MAC,
        host_mac(LAN_HOST),
        0x0800,
        &Ip::new(LAN_HOST, Ipv4Addr::new(192, 168, 1, 255), 1).df(false).echo_request(0x77, 1, &ping_data(16)),
    );
    let udp_burst = |n: u16| -> Vec<(Side, Vec<u8>)> {
        (0..n)
            .map(|i| from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).id(0x2000 + i).udp(41000 + i, 10000 + i, b"x")))
            .collect()
    };

    let mut cases = vec![
        Case::new("forward-tcp-syn-lan-to-wan", vec![from_lan(syn_out.clone())]),
        Case::new(
            "forward-udp-wan-to-lan",
            vec![from_wan(Ip::new(REMOTE, LAN_HOST, 17).df(false).id(0xabcd).udp(53, 40001, b"answer"))],
        ),
        Case::new(
            "forward-tcp-wan-host-to-lan",
            vec![(Side::Wan, {
                let p = Ip::new(WAN_HOST, LAN_HOST, 6).tcp(443, 40002, 7, 0x1000_0001, SYN | ACK, &MSS_1460, &[]);
                eth(BOX_WAN_MAC, host_mac(WAN_HOST), 0x0800, &p)
            })],
        ),
        Case::new("ttl1-forward-time-exceeded", vec![from_lan(udp_out_ttl1.clone())]),
        Case::new(
            "ttl1-forward-tos10-time-exceeded",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).tos(0x10).udp(40001, 53, b"query"))],
        ),
        Case::new(
            "ttl1-forward-from-wan-time-exceeded",
            vec![from_wan(Ip::new(REMOTE, LAN_HOST, 6).ttl(1).tcp(80, 40000, 1, 2, ACK, &[], b"data"))],
        ),
        Case::new(
            "ttl1-to-box-is-delivered",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).ttl(1).echo_request(9, 1, b"ttl"))],
        ),
        Case::new(
            "redirect-hairpin-on-lan",
            vec![from_lan(Ip::new(LAN_HOST, LAN_HOST2, 17).udp(40010, 9, b"hairpin"))],
        )
        .sysctl("net.ipv4.conf.all.send_redirects=1"),
        Case::new("redirect-to-gateway-on-wan", vec![from_wan(Ip::new(WAN_HOST, REMOTE, 17).udp(40011, 9, b"via gw"))])
            .sysctl("net.ipv4.conf.all.send_redirects=1"),
        Case::new(
            "no-redirect-when-switched-off",
            vec![from_lan(Ip::new(LAN_HOST, LAN_HOST2, 17).udp(40012, 9, b"quiet"))],
        ),
        Case::new("ttl2-forward", vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(2).udp(40001, 53, b"query"))]),
        Case::new("no-route-net-unreachable", vec![from_lan(syn_out.clone())]).no_default_route(),
        Case::new("ip-forward-0-drops", vec![from_lan(syn_out.clone())]).sysctl("net.ipv4.ip_forward=0"),
        Case::new(
            "df-1600-over-mtu-1500-frag-needed",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40003, 9999, &vec![0x5a; 1600 - 28]))],
        )
        .lan_mtu(9000),
        Case::new(
            "nodf-3000-fragmented",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).df(false).id(0x4242).udp(40004, 9999, &ping_data(3000 - 28)))],
        )
        .lan_mtu(9000),
        Case::new(
            "ping-lan0",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).df(false).echo_request(0x1234, 1, &ping_data(56)))],
        ),
        Case::new(
            "ping-lan0-df-tos",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).tos(0x28).echo_request(0x1234, 2, &ping_data(56)))],
        ),
        Case::new(
            "ping-wan0-address-from-lan",
            vec![from_lan(Ip::new(LAN_HOST, BOX_WAN, 1).echo_request(0x55, 3, b"hello"))],
        ),
        Case::new("ping-echo-ignore-all", vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(0x1234, 1, b"x"))])
            .sysctl("net.ipv4.icmp_echo_ignore_all=1"),
        Case::new(
            "tcp-syn-to-box-port-81-rst-ack",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40005, 81, 0x0bad_cafe, 0, SYN, &MSS_1460, &[]))],
        ),
        Case::new(
            "tcp-syn-with-data-to-box",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40005, 81, 100, 0, SYN, &[], b"early"))],
        ),
        Case::new(
            "tcp-fin-to-box",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40005, 81, 100, 0, FIN, &[], &[]))],
        ),
        Case::new(
            "tcp-ack-to-box-rst-seq-ack",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40006, 22, 1000, 0xdead_beef, ACK, &[], b"data"))],
        ),
        Case::new(
            "tcp-rst-to-box-ignored",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40006, 22, 1000, 0, RST, &[], &[]))],
        ),
        Case::new(
            "tcp-bad-checksum-to-box",
            vec![{
                let mut f = from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40005, 81, 1, 0, SYN, &[], &[]));
                f.1[14 + 20 + 16] ^= 0xff;
                f
            }],
        ),
        Case::new(
            "udp-to-box-port-9-unreachable",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).udp(40007, 9, b"discard me"))],
        ),
        Case::new(
            "udp-no-checksum-to-box-unreachable",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).udp_with_checksum(40007, 9, b"nocsum", 0))],
        ),
        Case::new(
            "udp-bad-checksum-to-box",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).udp_with_checksum(40007, 9, b"badcsum", 0x1234))],
        ),
        Case::new(
            "udp-large-to-box-quote-limit",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).udp(40008, 7, &ping_data(1000)))],
        ),
        Case::new("gre-to-box", vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 47).packet(&gre))]),
        Case::new(
            "proto-253-to-box-unreachable",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 253).packet(b"experimental"))],
        ),
        Case::new("udp-burst-10-ratelimit-default", udp_burst(10)),
        Case::new("udp-burst-10-ratelimit-0", udp_burst(10)).sysctl("net.ipv4.icmp_ratelimit=0"),
        Case::new(
            "bad-ip-checksum-dropped",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).bad_checksum().echo_request(1, 1, b"x"))],
        ),
        Case::new(
            "source-is-box-address-dropped",
            vec![(
                Side::Lan,
                eth(BOX_LAN_MAC, host_mac(LAN_HOST), 0x0800, &Ip::new(BOX_LAN, REMOTE, 17).udp(5, 6, b"spoof")),
            )],
        ),
        Case::new("broadcast-ping-ignored", vec![(Side::Lan, broadcast_ping.clone())])
            .sysctl("net.ipv4.icmp_echo_ignore_broadcasts=1"),
        Case::new("broadcast-ping-answered", vec![(Side::Lan, broadcast_ping)])
            .sysctl("net.ipv4.icmp_echo_ignore_broadcasts=0"),
        Case::new("arp-request-for-lan0", vec![(Side::Lan, arp_request)]),
        Case::new(
            "icmp-error-about-nothing-ignored",
            vec![from_lan(Ip::new(LAN_HOST2, BOX_LAN, 1).icmp(3, 3, [0; 4], &quoted[..28]))],
        ),
        Case::new(
            "ping-with-record-route-option",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).options(RECORD_ROUTE).echo_request(0x99, 1, b"options"))],
        ),
        Case::new(
            "ping-with-router-alert-option",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).options(NOP_NOP_ROUTER_ALERT).echo_request(0x99, 2, b"opt"))],
        ),
        Case::new(
            "forward-with-record-route-option",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).options(RECORD_ROUTE).udp(40010, 53, b"rr"))],
        ),
        Case::new(
            "ttl1-forward-with-options-time-exceeded",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).options(RECORD_ROUTE).udp(40010, 53, b"rr"))],
        ),
        Case::new(
            "udp-to-box-with-options-unreachable",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).options(RECORD_ROUTE).udp(40011, 9, b"rr"))],
        ),
        Case::new(
            "nodf-2000-with-record-route-fragmented",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).df(false).id(0x4343).options(RECORD_ROUTE).udp(
                40012,
                9999,
                &ping_data(2000),
            ))],
        )
        .lan_mtu(9000),
        Case::new("fragmented-ping-to-box-reassembled", {
            let ip = Ip::new(LAN_HOST, BOX_LAN, 1).df(false).id(0x5151);
            let l4 = ip.echo_request(0x4444, 7, &ping_data(1400))[20..].to_vec();
            ip.fragments(&l4, &[800]).into_iter().map(from_lan).collect()
        }),
        Case::new("big-fragmented-ping-reply-fragmented", {
            let ip = Ip::new(LAN_HOST, BOX_LAN, 1).df(false).id(0x5252);
            let l4 = ip.echo_request(0x4545, 8, &ping_data(2000))[20..].to_vec();
            ip.fragments(&l4, &[1480]).into_iter().map(from_lan).collect()
        }),
        Case::new("fragments-forwarded-as-they-come", {
            let ip = Ip::new(LAN_HOST, REMOTE, 17).df(false).id(0x5353);
            let l4 = ip.udp(40013, 9999, &ping_data(1000))[20..].to_vec();
            let mut frags = ip.fragments(&l4, &[512]);
            frags.reverse();
            frags.into_iter().map(from_lan).collect()
        }),
        Case::new("ttl1-non-first-fragment-no-error", {
            let ip = Ip::new(LAN_HOST, REMOTE, 17).df(false).id(0x5454).ttl(1);
            let l4 = ip.udp(40014, 9999, &ping_data(1000))[20..].to_vec();
            vec![from_lan(ip.fragments(&l4, &[512]).remove(1))]
        }),
        Case::new(
            "ttl1-icmp-error-no-error-about-it",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 1).ttl(1).icmp(3, 3, [0; 4], &quoted[..28]))],
        ),
        Case::new(
            "ttl1-echo-request-forwarded-time-exceeded",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 1).ttl(1).echo_request(5, 5, b"traceroute"))],
        ),
        Case::new(
            "ttl1-and-df-over-mtu-time-exceeded-first",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).udp(40003, 9999, &vec![0x5a; 1600 - 28]))],
        )
        .lan_mtu(9000),
        Case::new(
            "df-1500-exactly-forwarded",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40003, 9999, &vec![0x5b; 1500 - 28]))],
        )
        .lan_mtu(9000),
        Case::new(
            "frag-needed-from-wan-to-lan-mtu-1280",
            vec![from_wan(Ip::new(REMOTE, LAN_HOST, 6).tcp(443, 40002, 1, 2, ACK, &[], &vec![0x33; 1400]))],
        )
        .lan_mtu(1280),
        Case::new(
            "short-frame-padded-forwarded",
            vec![{
                let mut f = from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(40020, 80, 5, 6, ACK, &[], &[]));
                f.1.resize(60, 0);
                f
            }],
        ),
        Case::new(
            "trailing-junk-ping-to-box",
            vec![{
                let mut f = from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(0x10, 1, b"abc"));
                f.1.extend_from_slice(b"JUNKJUNKJUNKJUNKJUNKJUNK");
                f
            }],
        ),
        Case::new(
            "udp-broadcast-to-closed-port-no-error",
            vec![(
                Side::Lan,
                eth(
                    BROADCAST_MAC,
                    host_mac(LAN_HOST),
                    0x0800,
                    &Ip::new(LAN_HOST, Ipv4Addr::new(192, 168, 1, 255), 17).udp(68, 9, b"b"),
                ),
            )],
        ),
        Case::new(
            "ping-to-loopback-address-dropped",
            vec![from_lan(Ip::new(LAN_HOST, Ipv4Addr::new(127, 0, 0, 1), 1).echo_request(1, 1, b"lo"))],
        ),
        Case::new(
            "ping-from-zero-address",
            vec![(
                Side::Lan,
                eth(
                    BOX_LAN_MAC,
                    host_mac(LAN_HOST),
                    0x0800,
                    &Ip::new(Ipv4Addr::UNSPECIFIED, BOX_LAN, 1).echo_request(1, 1, b"zero"),
                ),
            )],
        ),
        Case::new(
            "frame-for-another-mac-ignored",
            vec![{
                let mut f = from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(1, 1, b"otherhost"));
                f.1[..6].copy_from_slice(&host_mac(LAN_HOST2));
                f
            }],
        ),
        Case::new(
            "tcp-syn-to-wan0-address-via-lan0",
            vec![from_lan(Ip::new(LAN_HOST, BOX_WAN, 6).tcp(40021, 443, 77, 0, SYN, &[], &[]))],
        ),
        Case::new(
            "tcp-syn-fin-to-box",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40022, 81, 77, 0, SYN | FIN, &[], &[]))],
        ),
        Case::new(
            "echo-with-bad-icmp-checksum-dropped",
            vec![{
                let mut f = from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(1, 1, b"bad"));
                f.1[14 + 20 + 2] ^= 0x10;
                f
            }],
        ),
        Case::new(
            "echo-request-code-5",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).icmp(8, 5, [0, 1, 0, 2], b"code"))],
        ),
        Case::new(
            "ping-with-ecn-tos",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).tos(0xb9).echo_request(1, 1, b"ecn"))],
        ),
        Case::new(
            "default-ttl-100-echo-reply",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(1, 1, b"ttl"))],
        )
        .sysctl("net.ipv4.ip_default_ttl=100"),
        Case::new(
            "wrong-side-ttl1-time-exceeded-source",
            vec![from_lan(Ip::new(Ipv4Addr::new(198, 51, 100, 9), REMOTE, 17).ttl(1).udp(1, 2, b"wrong side"))],
        ),
        Case::new(
            "wrong-side-ttl1-time-exceeded-inbound-ifaddr",
            vec![from_lan(Ip::new(Ipv4Addr::new(198, 51, 100, 9), REMOTE, 17).ttl(1).udp(1, 2, b"wrong side"))],
        )
        .sysctl("net.ipv4.icmp_errors_use_inbound_ifaddr=1"),
        Case::new("udp-burst-10-to-closed-ports-from-two-hosts", {
            let mut f = udp_burst(5);
            f.extend((0..5).map(|i| from_lan(Ip::new(LAN_HOST2, BOX_LAN, 17).udp(42000 + i, 20000 + i, b"y"))));
            f
        }),
        Case::new(
            "no-route-burst-net-unreachable",
            (0..8).map(|i| from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(43000 + i, 53, b"q"))).collect(),
        )
        .no_default_route(),
        Case::new(
            "echo-reply-to-box-ignored",
            vec![from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).icmp(0, 0, [0, 1, 0, 1], b"pong"))],
        ),
    ];
    cases.extend(ruleset_cases());
    cases.extend(conntrack_cases());
    cases.extend(tcp::cases());
    cases.extend(nat::cases());
    cases.extend(helpers::cases());
    cases
}

/// Cases with an iptables ruleset in the box (stateless: no conntrack, no nat).
/// Rules with no target only count: their counters in the recorded
/// `iptables-save -c` show which packets each match took.
fn ruleset_cases() -> Vec<Case> {
    let syn = |src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16| {
        from_lan(Ip::new(src, dst, 6).tcp(sport, dport, 0x1000_0000, 0, SYN, &MSS_1460, &[]))
    };
    let udp = |src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, data: &[u8]| {
        from_lan(Ip::new(src, dst, 17).udp(sport, dport, data))
    };
    let ping =
        |src: Ipv4Addr, dst: Ipv4Addr, seq: u16| from_lan(Ip::new(src, dst, 1).echo_request(0x4242, seq, b"ping"));
    let udp_from_wan = |src: Ipv4Addr, dport: u16| from_wan(Ip::new(src, LAN_HOST, 17).udp(53, dport, b"answer"));
    let udp_tos = |tos: u8, dport: u16| from_lan(Ip::new(LAN_HOST, REMOTE, 17).tos(tos).udp(40000, dport, b"tos"));
    let with_src_mac = |mut f: (Side, Vec<u8>), mac: [u8; 6]| {
        f.1[6..12].copy_from_slice(&mac);
        f
    };
    let fragments = |src: Ipv4Addr, id: u16| -> Vec<(Side, Vec<u8>)> {
        let ip = Ip::new(src, REMOTE, 17).df(false).id(id);
        let l4 = ip.udp(40013, 9999, &ping_data(1000))[20..].to_vec();
        ip.fragments(&l4, &[512]).into_iter().map(from_lan).collect()
    };
    let broadcast_ping = (
        Side::Lan,
        eth(
            BROADCAST_MAC,
            host_mac(LAN_HOST),
            0x0800,
            &Ip::new(LAN_HOST, Ipv4Addr::new(192, 168, 1, 255), 1).df(false).echo_request(0x77, 1, &ping_data(16)),
        ),
    );
    let filter_head = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"];
    let with_head = |body: &[&'static str]| -> Vec<&'static str> {
        filter_head.iter().copied().chain(body.iter().copied()).chain(["COMMIT"]).collect()
    };

    vec![
        Case::new(
            "ipt-forward-policy-drop-dns-only",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 53, b"query"),
                syn(LAN_HOST, REMOTE, 40000, 80),
                udp_from_wan(REMOTE, 40001),
            ],
        )
        .rules(&[
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A FORWARD -p udp --dport 53 -j ACCEPT",
            "COMMIT",
        ]),
        Case::new(
            "ipt-input-drop-ssh-no-rst",
            vec![syn(LAN_HOST, BOX_LAN, 40000, 22), ping(LAN_HOST, BOX_LAN, 1), syn(LAN_HOST, BOX_LAN, 40001, 81)],
        )
        .rules(&with_head(&["-A INPUT -p tcp -m tcp --dport 22 -j DROP", "-A INPUT -j ACCEPT"])),
        Case::new(
            "ipt-output-drop-icmp",
            vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).udp(40001, 53, b"query")),
                ping(LAN_HOST, BOX_LAN, 1),
                udp(LAN_HOST, BOX_LAN, 40007, 9, b"closed"),
                syn(LAN_HOST, BOX_LAN, 40001, 81),
            ],
        )
        .rules(&with_head(&["-A OUTPUT -p icmp -j DROP"])),
        Case::new(
            "ipt-user-chains-jump-return-goto",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 53, b"query"),
                syn(LAN_HOST, REMOTE, 40000, 80),
                syn(LAN_HOST2, REMOTE, 40000, 80),
                syn(LAN_HOST, REMOTE, 40000, 443),
                ping(LAN_HOST, REMOTE, 1),
                ping(LAN_HOST, BOX_LAN, 2),
            ],
        )
        .rules(&[
            "*filter",
            ":INPUT DROP [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":CHECK - [0:0]",
            ":PINGS - [0:0]",
            ":WEB - [0:0]",
            "-A INPUT -p icmp -g PINGS",
            "-A INPUT -j ACCEPT",
            "-A FORWARD -j CHECK",
            "-A FORWARD -p tcp --dport 80 -j ACCEPT",
            "-A FORWARD -p udp -j DROP",
            "-A CHECK -p udp --dport 53 -j RETURN",
            "-A CHECK -p tcp --dport 80 -g WEB",
            "-A CHECK -p tcp -j DROP",
            "-A CHECK -j ACCEPT",
            "-A PINGS -s 192.168.1.10",
            "-A WEB -s 192.168.1.11 -j DROP",
            "-A WEB -s 192.168.1.10",
            "COMMIT",
        ]),
        Case::new(
            "ipt-mangle-mark-then-filter-mark-match",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 53, b"marked"),
                udp(LAN_HOST2, REMOTE, 40001, 53, b"unmarked"),
                ping(LAN_HOST, BOX_LAN, 1),
            ],
        )
        .rules(&[
            "*mangle",
            "-A PREROUTING -s 192.168.1.10 -j MARK --set-mark 0x2a",
            "-A INPUT -m mark --mark 0x2a",
            "-A OUTPUT -m mark --mark 0x2a",
            "-A POSTROUTING -m mark --mark 0x2a",
            "COMMIT",
            "*filter",
            "-A FORWARD -m mark --mark 0x20/0xf0",
            "-A FORWARD -m mark --mark 0x2a -j DROP",
            "-A FORWARD -m mark ! --mark 0x2a",
            "COMMIT",
        ]),
        Case::new(
            "ipt-mangle-ttl-tos-dscp-targets",
            vec![
                udp_tos(0x0d, 1001),
                udp_tos(0x0d, 1002),
                udp_tos(0xb9, 1003),
                udp_tos(0x0d, 1004),
                udp_tos(0x0d, 1005),
                udp_tos(0xb9, 1006),
                udp_tos(0x0d, 1007),
            ],
        )
        .rules(&[
            "*mangle",
            "-A FORWARD -p udp --dport 1001 -j TTL --ttl-set 5",
            "-A FORWARD -p udp --dport 1002 -j TTL --ttl-inc 1",
            "-A FORWARD -p udp --dport 1003 -j TOS --set-tos 0x10",
            "-A FORWARD -p udp --dport 1004 -j DSCP --set-dscp 0x2e",
            "-A FORWARD -p udp --dport 1005 -j DSCP --set-dscp-class AF41",
            "-A FORWARD -p udp --dport 1006 -j TOS --and-tos 0x0f",
            "-A POSTROUTING -p udp --dport 1007 -j TTL --ttl-dec 10",
            "COMMIT",
        ]),
        Case::new(
            "ipt-mangle-prerouting-ttl-set-1-time-exceeded",
            vec![udp(LAN_HOST, REMOTE, 40001, 53, b"query"), ping(LAN_HOST, BOX_LAN, 1)],
        )
        .rules(&["*mangle", "-A PREROUTING -p udp -j TTL --ttl-set 1", "COMMIT"]),
        Case::new(
            "ipt-raw-prerouting-drop-source-prefix",
            vec![
                udp_from_wan(REMOTE, 40001),
                udp_from_wan(WAN_HOST, 40002),
                from_wan(Ip::new(REMOTE, BOX_WAN, 1).echo_request(1, 1, b"ping")),
                udp(LAN_HOST, REMOTE, 40001, 53, b"query"),
            ],
        )
        .rules(&["*raw", "-A PREROUTING -s 198.51.100.0/24 -j DROP", "COMMIT"]),
        Case::new(
            "ipt-match-iprange",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 53, b"a"),
                udp(LAN_HOST2, REMOTE, 40001, 53, b"b"),
                udp(LAN_HOST, Ipv4Addr::new(198, 51, 100, 9), 40001, 53, b"c"),
            ],
        )
        .rules(&with_head(&[
            "-A FORWARD -m iprange --src-range 192.168.1.10-192.168.1.10",
            "-A FORWARD -m iprange --src-range 192.168.1.5-192.168.1.10 --dst-range 198.51.100.0-198.51.100.7",
            "-A FORWARD -m iprange ! --src-range 192.168.1.0-192.168.1.10",
            "-A FORWARD -m iprange --dst-range 198.51.100.8-198.51.100.255 -j DROP",
        ])),
        Case::new(
            "ipt-match-multiport",
            vec![
                syn(LAN_HOST, REMOTE, 40000, 80),
                syn(LAN_HOST, REMOTE, 40001, 443),
                syn(LAN_HOST, REMOTE, 40002, 85),
                udp(LAN_HOST, REMOTE, 123, 40005, b"ntp"),
                udp(LAN_HOST, REMOTE, 40006, 9, b"discard"),
            ],
        )
        .rules(&with_head(&[
            "-A FORWARD -p tcp -m multiport --dports 22,80:90,443",
            "-A FORWARD -p tcp -m multiport --sports 40000:40001",
            "-A FORWARD -p udp -m multiport --ports 53,123",
            "-A FORWARD -p tcp -m multiport ! --dports 80,443 -j DROP",
        ])),
        Case::new(
            "ipt-match-length-and-ttl",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 53, b"query"),
                from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(5).udp(40001, 53, &ping_data(1000))),
                from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(128).udp(40001, 53, b"far")),
            ],
        )
        .rules(&[
            "*mangle",
            "-A PREROUTING -m ttl --ttl-eq 64",
            "-A PREROUTING -m ttl --ttl-gt 100",
            "COMMIT",
            "*filter",
            "-A FORWARD -m length --length 0:100",
            "-A FORWARD -m length --length 101:65535",
            "-A FORWARD -m length --length 33",
            "-A FORWARD -m ttl --ttl-eq 63",
            "-A FORWARD -m ttl --ttl-eq 64",
            "-A FORWARD -m ttl --ttl-lt 10",
            "-A FORWARD -m ttl ! --ttl-eq 63",
            "-A FORWARD -m ttl --ttl-gt 100 -j DROP",
            "COMMIT",
        ]),
        Case::new(
            "ipt-match-tos-dscp",
            vec![udp_tos(0x10, 1), udp_tos(0x11, 2), udp_tos(0xb8, 3), udp_tos(0x28, 4), udp_tos(0x0a, 5)],
        )
        .rules(&[
            "*mangle",
            "-A PREROUTING -m tos --tos 0x10",
            "-A PREROUTING -m tos --tos Minimize-Delay",
            "-A PREROUTING -m tos --tos 0x08/0x08",
            "-A PREROUTING -m tos ! --tos 0x10/0xfc",
            "-A PREROUTING -m dscp --dscp 0x2e",
            "-A PREROUTING -m dscp --dscp-class AF11",
            "-A PREROUTING -m dscp ! --dscp 0",
            "COMMIT",
        ]),
        Case::new(
            "ipt-match-pkttype-addrtype",
            vec![
                broadcast_ping,
                ping(LAN_HOST, BOX_LAN, 2),
                ping(LAN_HOST, BOX_WAN, 3),
                udp(LAN_HOST, REMOTE, 40001, 53, b"query"),
            ],
        )
        .sysctl("net.ipv4.icmp_echo_ignore_broadcasts=0")
        .rules(&[
            "*raw",
            "-A PREROUTING -m addrtype --dst-type LOCAL",
            "-A PREROUTING -m addrtype --dst-type UNICAST",
            "-A PREROUTING -m addrtype --dst-type BROADCAST",
            "-A PREROUTING -m addrtype --src-type UNICAST --dst-type LOCAL --limit-iface-in",
            "-A PREROUTING -m pkttype --pkt-type broadcast",
            "COMMIT",
            "*filter",
            "-A INPUT -m pkttype --pkt-type broadcast",
            "-A INPUT -m pkttype --pkt-type unicast",
            "-A INPUT -m pkttype --pkt-type multicast",
            "-A INPUT -m addrtype --dst-type LOCAL",
            "-A INPUT -m addrtype --dst-type BROADCAST",
            "-A INPUT -m addrtype ! --dst-type LOCAL",
            "-A OUTPUT -m pkttype --pkt-type unicast",
            "-A OUTPUT -m addrtype --src-type LOCAL --dst-type UNICAST",
            "-A OUTPUT -m addrtype --src-type LOCAL --limit-iface-out",
            "COMMIT",
        ]),
        Case::new(
            "ipt-match-tcp-flags-and-syn",
            vec![
                syn(LAN_HOST, BOX_LAN, 40000, 81),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40001, 81, 1000, 0xdead_beef, ACK, &[], b"data")),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40002, 81, 1000, 0, 0, &[], &[])),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40003, 81, 1000, 0, SYN | FIN, &[], &[])),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40004, 81, 1000, 0, SYN, &[], &[])),
            ],
        )
        .rules(&with_head(&[
            "-A INPUT -p tcp --syn",
            "-A INPUT -p tcp ! --syn",
            "-A INPUT -p tcp --tcp-flags SYN,ACK,FIN,RST ACK",
            "-A INPUT -p tcp --tcp-flags ALL NONE",
            "-A INPUT -p tcp --tcp-option 2",
            "-A INPUT -p tcp --sport 40000:40002 --dport 81",
            "-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP",
            "-A OUTPUT -p tcp --tcp-flags RST,ACK RST,ACK",
            "-A OUTPUT -p tcp --tcp-flags RST,ACK RST",
        ])),
        Case::new(
            "ipt-match-icmp-type",
            vec![
                ping(LAN_HOST, BOX_LAN, 1),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).icmp(8, 5, [0, 1, 0, 2], b"code")),
                from_lan(Ip::new(LAN_HOST2, BOX_LAN, 1).icmp(3, 3, [0; 4], &{
                    let q = Ip::new(BOX_LAN, LAN_HOST, 17).df(false).id(0x0101).udp(5000, 53, b"abcdefgh");
                    q[..28].to_vec()
                })),
                from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).udp(40001, 53, b"query")),
                ping(LAN_HOST, REMOTE, 2),
            ],
        )
        .rules(&with_head(&[
            "-A INPUT -p icmp --icmp-type echo-request",
            "-A INPUT -p icmp --icmp-type 8/0",
            "-A INPUT -p icmp --icmp-type 8/5",
            "-A INPUT -p icmp --icmp-type destination-unreachable",
            "-A INPUT -p icmp --icmp-type port-unreachable",
            "-A INPUT -p icmp ! --icmp-type echo-request",
            "-A FORWARD -p icmp --icmp-type echo-request -j DROP",
            "-A OUTPUT -p icmp --icmp-type echo-reply",
            "-A OUTPUT -p icmp --icmp-type time-exceeded",
            "-A OUTPUT -p icmp --icmp-type ttl-zero-during-transit",
            "-A OUTPUT -p icmp --icmp-type any",
        ])),
        Case::new("ipt-match-fragments", {
            let mut f = fragments(LAN_HOST, 0x5353);
            f.extend(fragments(LAN_HOST2, 0x5454).into_iter().rev());
            f
        })
        .rules(&with_head(&[
            "-A FORWARD -f",
            "-A FORWARD ! -f",
            "-A FORWARD -p udp --dport 9999",
            "-A FORWARD -p udp -m multiport --dports 9999",
            "-A FORWARD -p udp ! --dport 9999",
            "-A FORWARD -f -s 192.168.1.11 -j DROP",
        ])),
        Case::new("ipt-counters-per-hook-fragmentation-reassembly", {
            let mut f = vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).df(false).id(0x4242).udp(
                40004,
                9999,
                &ping_data(3000 - 28),
            ))];
            for (id, seq, len, cut) in [(0x5151u16, 7u16, 1400usize, 800usize), (0x5252, 8, 2000, 1480)] {
                let ip = Ip::new(LAN_HOST, BOX_LAN, 1).df(false).id(id);
                let l4 = ip.echo_request(0x4444, seq, &ping_data(len))[20..].to_vec();
                f.extend(ip.fragments(&l4, &[cut]).into_iter().map(from_lan));
            }
            f
        })
        .lan_mtu(9000)
        .rules(&[
            "*mangle",
            ":PREROUTING ACCEPT [0:0]",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]",
            "-A PREROUTING -f",
            "-A INPUT -f",
            "-A POSTROUTING -f",
            "COMMIT",
        ]),
        Case::new(
            "ipt-match-u32",
            vec![
                udp(LAN_HOST, REMOTE, 40000, 53, b"query"),
                syn(LAN_HOST, REMOTE, 40000, 80),
                udp(LAN_HOST2, REMOTE, 40001, 53, &ping_data(100)),
            ],
        )
        .rules(&with_head(&[
            "-A FORWARD -m u32 --u32 \"6&0xFF=0x11\"",
            "-A FORWARD -m u32 --u32 \"0>>22&0x3C@0>>16=0x9c40\"",
            "-A FORWARD -m u32 --u32 \"0>>22&0x3C@8=0x71756572\"",
            "-A FORWARD -m u32 --u32 \"12=0xc0a8010a&&16=0xc6336407\"",
            "-A FORWARD -m u32 ! --u32 \"0&0xFFFF=0x0:0x40\"",
            "-A FORWARD -m u32 --u32 \"0>>22&0x3C@20=0x020405b4\"",
            "-A FORWARD -m u32 --u32 \"0>>22&0x3C@12>>26&0x3C@0=0x020405b4\"",
        ])),
        Case::new(
            "ipt-match-string",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 9, b"the secret word"),
                udp(LAN_HOST, REMOTE, 40001, 9, b"no SeCrEt here"),
                udp(LAN_HOST, REMOTE, 40001, 9, b"nothing"),
            ],
        )
        .rules(&with_head(&[
            "-A FORWARD -m string --algo bm --string secret",
            "-A FORWARD -m string --algo kmp --string SECRET --icase",
            "-A FORWARD -m string --algo bm --string secret --from 30 --to 38",
            "-A FORWARD -m string --algo bm --string secret --from 30 --to 37",
            "-A FORWARD -m string --algo kmp --string secret --from 33",
            "-A FORWARD -m string --algo bm --hex-string \"|73 65|cret\" -j DROP",
        ])),
        Case::new("ipt-match-limit-burst-2-of-5", (1..=5).map(|seq| ping(LAN_HOST, BOX_LAN, seq)).collect()).rules(
            &with_head(&[
                "-A INPUT -p icmp -m limit --limit 1/min --limit-burst 2 -j ACCEPT",
                "-A INPUT -p icmp -j DROP",
            ]),
        ),
        Case::new(
            "ipt-match-mac-source",
            vec![
                ping(LAN_HOST, BOX_LAN, 1),
                udp(LAN_HOST, REMOTE, 40001, 53, b"real mac"),
                with_src_mac(udp(LAN_HOST, REMOTE, 40001, 53, b"other mac"), host_mac(LAN_HOST2)),
                udp_from_wan(REMOTE, 40001),
            ],
        )
        .rules(&[
            "*mangle",
            "-A PREROUTING -m mac --mac-source 02:00:CB:00:71:FE",
            "COMMIT",
            "*filter",
            "-A INPUT -m mac --mac-source 02:00:c0:a8:01:0a",
            "-A FORWARD -m mac --mac-source 02:00:c0:a8:01:0a -j DROP",
            "-A FORWARD -m mac ! --mac-source 02:00:c0:a8:01:0a",
            "COMMIT",
        ]),
        Case::new(
            "ipt-interface-wildcards",
            vec![
                udp(LAN_HOST, REMOTE, 40001, 53, b"out"),
                udp_from_wan(REMOTE, 40001),
                udp(LAN_HOST, LAN_HOST2, 40010, 9, b"hairpin"),
                ping(LAN_HOST, BOX_LAN, 1),
                from_wan(Ip::new(REMOTE, BOX_WAN, 1).echo_request(1, 1, b"ping")),
            ],
        )
        .rules(&[
            "*mangle",
            "-A PREROUTING -i l+",
            "-A POSTROUTING -o wan+",
            "COMMIT",
            "*filter",
            "-A INPUT -i lan+",
            "-A INPUT ! -i wan+",
            "-A FORWARD -i lan+",
            "-A FORWARD -i lan+ ! -o wan0",
            "-A FORWARD -o wan+",
            "-A FORWARD -i wan0 -o lan0",
            "-A FORWARD -i lan0 -o lan0 -j DROP",
            "-A OUTPUT -o lan+",
            "-A OUTPUT ! -o lan0",
            "COMMIT",
        ]),
        Case::new(
            "ipt-four-tables-order-and-security",
            vec![ping(LAN_HOST, BOX_LAN, 1), udp(LAN_HOST, REMOTE, 40001, 53, b"query")],
        )
        .rules(&[
            "*security",
            "-A INPUT -p icmp",
            "-A FORWARD",
            "-A OUTPUT -m mark --mark 0x1/0x1",
            "COMMIT",
            "*raw",
            "-A PREROUTING -p icmp -j MARK --set-xmark 0x1/0x1",
            "-A OUTPUT",
            "COMMIT",
            "*filter",
            "-A INPUT -m mark --mark 0x1/0x1",
            "COMMIT",
            "*mangle",
            "-A PREROUTING -m mark --mark 0x1",
            "COMMIT",
        ]),
        Case::new("ipt-match-addrtype-special-addresses", {
            // Data lengths 1, 2, 4, ...: a rule's byte counter says which frames it took.
            let to = |dst_mac: [u8; 6], ip: Ip, data_len: usize| {
                (Side::Lan, eth(dst_mac, host_mac(LAN_HOST), 0x0800, &ip.echo_request(0x5a, 1, &ping_data(data_len))))
            };
            let zero = Ipv4Addr::UNSPECIFIED;
            vec![
                to(BOX_LAN_MAC, Ip::new(zero, BOX_LAN, 1), 1),
                to(BROADCAST_MAC, Ip::new(zero, Ipv4Addr::BROADCAST, 1), 2),
                to(BOX_LAN_MAC, Ip::new(LAN_HOST, Ipv4Addr::LOCALHOST, 1), 4),
                to([0x01, 0x00, 0x5e, 0, 0, 1], Ip::new(LAN_HOST, Ipv4Addr::new(224, 0, 0, 1), 1), 8),
            ]
        })
        .rules(&[
            "*raw",
            "-A PREROUTING -m addrtype --src-type BROADCAST",
            "-A PREROUTING -m addrtype --src-type UNSPEC",
            "-A PREROUTING -m addrtype --src-type UNICAST",
            "-A PREROUTING -m addrtype --dst-type LOCAL",
            "-A PREROUTING -m addrtype --dst-type BROADCAST",
            "-A PREROUTING -m addrtype --dst-type MULTICAST",
            "-A PREROUTING -m addrtype --dst-type UNICAST",
            "-A PREROUTING -m addrtype --dst-type UNSPEC",
            "COMMIT",
        ]),
        Case::new(
            "ipt-mangle-output-postrouting-on-box-replies",
            vec![
                ping(LAN_HOST, BOX_LAN, 1),
                syn(LAN_HOST, BOX_LAN, 40000, 81),
                udp(LAN_HOST, BOX_LAN, 40001, 9, b"closed"),
            ],
        )
        .rules(&[
            "*mangle",
            "-A OUTPUT -p icmp -j TOS --set-tos 0x10",
            "-A OUTPUT -p tcp -j TTL --ttl-set 9",
            "-A POSTROUTING -p icmp --icmp-type destination-unreachable -j DSCP --set-dscp 0x0a",
            "-A POSTROUTING -m ttl --ttl-eq 9",
            "COMMIT",
        ]),
        // Not about iptables, found with the case above: 0.0.0.0/8 other
        // than 0.0.0.0 is unicast since Linux 5.3.
        Case::new(
            "zeronet-0-1-2-3-is-unicast",
            vec![
                from_lan(Ip::new(LAN_HOST, Ipv4Addr::new(0, 1, 2, 3), 1).echo_request(0x5a, 1, b"to zeronet")),
                from_lan(Ip::new(Ipv4Addr::new(0, 1, 2, 3), BOX_LAN, 1).echo_request(0x5a, 2, b"from zeronet")),
            ],
        ),
        Case::new(
            "ipt-reject-input-and-forward-tcp-reset",
            vec![
                ping(LAN_HOST, BOX_LAN, 1),
                syn(LAN_HOST, BOX_LAN, 40000, 22),
                udp(LAN_HOST, BOX_LAN, 40001, 53, b"query"),
                syn(LAN_HOST, REMOTE, 40002, 80),
            ],
        )
        .rules(&with_head(&["-A INPUT -j REJECT", "-A FORWARD -p tcp -j REJECT --reject-with tcp-reset"])),
        Case::new("ipt-log-target", vec![ping(LAN_HOST, BOX_LAN, 1), udp(LAN_HOST, REMOTE, 40001, 53, b"query")])
            .rules(&with_head(&["-A INPUT -p icmp -j LOG", "-A FORWARD -j LOG --log-prefix \"fw \" --log-level 4"])),
    ]
}

/// Cases with connection tracking (and LOG) in the box: they also record
/// `conntrack -L`, `conntrack -S` and the kernel log lines of their rules
/// (`observe`). nfsim's TCP tracker is a placeholder for now: TCP here is a
/// clean three-way handshake only.
fn conntrack_cases() -> Vec<Case> {
    let udp_out =
        |sport: u16, dst: Ipv4Addr, dport: u16| from_lan(Ip::new(LAN_HOST, dst, 17).udp(sport, dport, b"query"));
    let udp_back =
        |src: Ipv4Addr, sport: u16, dport: u16| from_wan(Ip::new(src, LAN_HOST, 17).udp(sport, dport, b"answer"));
    let syn = |sport: u16, dport: u16| {
        from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(sport, dport, 0x1000_0000, 0, SYN, &MSS_1460, &[]))
    };
    let handshake = |sport: u16, dport: u16| {
        vec![
            syn(sport, dport),
            from_wan(Ip::new(REMOTE, LAN_HOST, 6).tcp(
                dport,
                sport,
                0x2000_0000,
                0x1000_0001,
                SYN | ACK,
                &MSS_1460,
                &[],
            )),
            from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(sport, dport, 0x1000_0001, 0x2000_0001, ACK, &[], &[])),
        ]
    };
    // An on-link WAN host's own frame (its MAC, not the gateway's).
    let from_wan_host = |packet: Vec<u8>| {
        let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
        (Side::Wan, eth(BOX_WAN_MAC, host_mac(src), 0x0800, &packet))
    };
    // The WAN host's port unreachable about a datagram the box forwarded to it (TTL 63).
    let port_unreachable = |sport: u16, dport: u16| {
        let quoted = Ip::new(LAN_HOST, WAN_HOST, 17).ttl(63).udp(sport, dport, b"query");
        Ip::new(WAN_HOST, LAN_HOST, 1).df(false).icmp(3, 3, [0; 4], &quoted)
    };
    let stateful = |before_new: &[&'static str], tail: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec![
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A FORWARD -m conntrack --ctstate INVALID -j DROP",
            "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        ];
        v.extend_from_slice(before_new);
        v.push("-A FORWARD -i lan0 -m conntrack --ctstate NEW -j ACCEPT");
        v.push("COMMIT");
        v.extend_from_slice(tail);
        v
    };

    vec![
        Case::new(
            "ct-udp-flow-and-reply-stateful-forward",
            vec![udp_out(40000, REMOTE, 53), udp_back(REMOTE, 53, 40000), udp_back(REMOTE, 53, 40001)],
        )
        .rules(&stateful(&[], &[]))
        .observe(),
        Case::new(
            "ct-udp-out-unreplied",
            vec![udp_out(40002, REMOTE, 5001), udp_out(40003, WAN_HOST, 5002), udp_out(40003, WAN_HOST, 5002)],
        )
        .rules(&stateful(&[], &[]))
        .observe(),
        // The third packet comes 2.5 s after the first: the entry is a stream
        // now (ASSURED, 120 s), and the packet itself sees ASSURED.
        Case::new(
            "ct-udp-stream-assured-ctstatus-ctorigdst",
            vec![
                udp_out(40004, REMOTE, 53),
                udp_back(REMOTE, 53, 40004),
                udp_out(40004, REMOTE, 53),
                udp_back(REMOTE, 53, 40004),
            ],
        )
        .pause_before(2, 2500)
        .rules(&stateful(
            &[
                "-A FORWARD -m conntrack --ctstatus ASSURED",
                "-A FORWARD -m conntrack ! --ctstatus ASSURED",
                "-A FORWARD -m conntrack --ctstatus SEEN_REPLY",
                "-A FORWARD -m conntrack --ctstatus CONFIRMED",
                "-A FORWARD -m conntrack --ctorigdst 198.51.100.7",
                "-A FORWARD -m conntrack --ctorigsrc 192.168.1.10 --ctdir ORIGINAL",
                "-A FORWARD -m conntrack --ctreplsrc 198.51.100.7 --ctdir REPLY",
                "-A FORWARD -m conntrack --ctproto udp --ctorigdstport 53 --ctreplsrcport 53",
                "-A FORWARD -m conntrack --ctexpire 0:30",
                "-A FORWARD -m conntrack --ctexpire 31:200",
            ],
            &[],
        ))
        .observe(),
        Case::new(
            "ct-icmp-echo-through",
            vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x4242, 1, b"ping")),
                from_wan(Ip::new(REMOTE, LAN_HOST, 1).icmp(0, 0, [0x42, 0x42, 0, 1], b"ping")),
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x4242, 2, b"ping")),
            ],
        )
        .rules(&stateful(&["-A FORWARD -p icmp -m conntrack --ctstate ESTABLISHED"], &[]))
        .observe(),
        Case::new(
            "ct-icmp-echo-to-box",
            vec![
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(0x4343, 1, b"ping")),
                from_wan(Ip::new(REMOTE, BOX_WAN, 1).echo_request(0x4444, 1, b"ping")),
            ],
        )
        .rules(&[
            "*filter",
            ":INPUT DROP [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A INPUT -i lan0 -m conntrack --ctstate NEW -j ACCEPT",
            "-A OUTPUT -m conntrack --ctstate ESTABLISHED --ctdir REPLY",
            "COMMIT",
        ])
        .observe(),
        Case::new(
            "ct-icmp-port-unreachable-related",
            vec![udp_out(40010, WAN_HOST, 9999), from_wan_host(port_unreachable(40010, 9999))],
        )
        .rules(&stateful(&["-A FORWARD -m conntrack --ctstate RELATED"], &[]))
        .observe(),
        Case::new(
            "ct-icmp-error-unknown-flow-invalid",
            vec![
                from_wan_host(port_unreachable(40011, 9998)),
                from_wan(Ip::new(REMOTE, LAN_HOST, 1).icmp(0, 0, [0x45, 0x45, 0, 1], b"stray")),
            ],
        )
        .rules(&stateful(&[], &[]))
        .observe(),
        Case::new(
            "ct-log-drop-user-chain",
            vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 6).options(NOP_NOP_ROUTER_ALERT).tcp(
                    40020,
                    80,
                    0x1000_0000,
                    0,
                    SYN,
                    &[2, 4, 0x05, 0xb4, 1, 3, 3, 7],
                    &[],
                )),
                udp_out(40021, REMOTE, 53),
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).options(NOP_NOP_ROUTER_ALERT).echo_request(0x4646, 1, b"ping")),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).udp(40022, 7, b"to box")),
            ],
        )
        .rules(&[
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":LOGDROP - [0:0]",
            "-A INPUT -p udp -j LOG --log-prefix \"kd-in: \" --log-level 7",
            "-A FORWARD -d 198.51.100.7/32 -j LOGDROP",
            "-A LOGDROP -p tcp -j LOG --log-prefix \"kd-syn: \" --log-level 6 --log-tcp-options --log-ip-options",
            "-A LOGDROP -p udp -j LOG --log-prefix \"kd-udp: \"",
            "-A LOGDROP -p icmp -j LOG --log-prefix \"kd-icmp: \" --log-ip-options --log-tcp-sequence",
            "-A LOGDROP -j DROP",
            "COMMIT",
        ])
        .observe(),
        Case::new(
            "ct-reject-tcp-reset-and-host-prohibited-stateful",
            vec![syn(40030, 23), udp_out(40031, REMOTE, 9), udp_out(40032, REMOTE, 53)],
        )
        .rules(&stateful(
            &[
                "-A FORWARD -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset",
                "-A FORWARD -p udp -m udp --dport 9 -j REJECT --reject-with icmp-host-prohibited",
            ],
            &[],
        ))
        .observe(),
        Case::new("ct-untracked-ct-notrack", vec![udp_out(40040, REMOTE, 9), udp_out(40041, REMOTE, 10)])
            .rules(&{
                let mut v = vec!["*raw", "-A PREROUTING -p udp -m udp --dport 9 -j CT --notrack", "COMMIT"];
                v.extend(stateful(
                    &["-A FORWARD -m conntrack --ctstate UNTRACKED", "-A FORWARD -m state --state UNTRACKED -j ACCEPT"],
                    &[],
                ));
                v
            })
            .observe(),
        Case::new(
            "ct-notrack-target",
            vec![
                udp_out(40042, REMOTE, 9),
                udp_out(40043, REMOTE, 10),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 1).echo_request(0x4747, 1, b"ping")),
            ],
        )
        .rules(&{
            let mut v = vec![
                "*raw",
                "-A PREROUTING -p udp -m udp --dport 9 -j NOTRACK",
                "-A OUTPUT -p icmp -j NOTRACK",
                "COMMIT",
            ];
            v.extend(stateful(&["-A FORWARD -m state --state UNTRACKED -j ACCEPT"], &[]));
            v
        })
        .observe(),
        Case::new(
            "ct-connmark-set-and-match-reply",
            vec![
                udp_out(40050, REMOTE, 53),
                udp_back(REMOTE, 53, 40050),
                udp_back(REMOTE, 53, 40051),
                from_lan(Ip::new(LAN_HOST2, REMOTE, 17).udp(40052, 123, b"ntp")),
            ],
        )
        .rules(&[
            "*mangle",
            "-A PREROUTING -i lan0 -s 192.168.1.10/32 -m conntrack --ctstate NEW -j CONNMARK --set-mark 0x7",
            "-A PREROUTING -i wan0 -j CONNMARK --restore-mark",
            "COMMIT",
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A FORWARD -m mark --mark 0x7",
            "-A FORWARD -i wan0 -m connmark --mark 0x7 -j ACCEPT",
            "-A FORWARD -i lan0 -j ACCEPT",
            "COMMIT",
        ])
        .observe(),
        Case::new("ct-tcp-handshake-through", handshake(40060, 80))
            .rules(&stateful(&["-A FORWARD -p tcp -m conntrack --ctstate ESTABLISHED --ctstatus ASSURED"], &[]))
            .observe(),
        // nf_conntrack_max 3 (global; the namespace's own count is compared):
        // three ASSURED handshakes fill the table, early drop finds nothing
        // to evict, the next two packets are dropped with the table-full line.
        Case::new("ct-table-full-drops", {
            let mut f = Vec::new();
            for sport in [40070, 40071, 40072] {
                f.extend(handshake(sport, 80));
            }
            f.push(syn(40073, 80));
            f.push(udp_out(40074, REMOTE, 53));
            f
        })
        .ct_max(3)
        .rules(&stateful(&[], &[]))
        .observe(),
        Case::new(
            "ct-log-related-icmp-error-macdecode",
            vec![udp_out(40080, WAN_HOST, 9997), from_wan_host(port_unreachable(40080, 9997))],
        )
        .rules(&stateful(
            &[],
            &[
                "*mangle",
                "-A FORWARD -m conntrack --ctstate RELATED -j LOG --log-prefix \"kd-rel: \" --log-macdecode",
                "-A FORWARD -i lan0 -j LOG --log-prefix \"kd-new: \" --log-level 5 --log-tcp-sequence",
                "COMMIT",
            ],
        ))
        .observe(),
        // Out, reply, out again within 2 s: not a stream yet (30 s, not ASSURED).
        Case::new(
            "ct-udp-third-packet-within-2s-not-assured",
            vec![udp_out(40090, REMOTE, 53), udp_back(REMOTE, 53, 40090), udp_out(40090, REMOTE, 53)],
        )
        .rules(&stateful(&["-A FORWARD -m conntrack --ctstatus ASSURED"], &[]))
        .observe(),
        Case::new(
            "ct-acct-packets-bytes",
            vec![
                udp_out(40081, REMOTE, 53),
                udp_back(REMOTE, 53, 40081),
                udp_out(40081, REMOTE, 53),
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x4848, 1, &ping_data(56))),
            ],
        )
        .sysctl("net.netfilter.nf_conntrack_acct=1")
        .rules(&stateful(&[], &[]))
        .observe(),
        Case::new(
            "ct-udp-icmp-timeout-sysctls",
            vec![
                udp_out(40082, REMOTE, 53),
                udp_back(REMOTE, 53, 40082),
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x4949, 1, b"ping")),
            ],
        )
        .sysctl("net.netfilter.nf_conntrack_udp_timeout=10")
        .sysctl("net.netfilter.nf_conntrack_icmp_timeout=5")
        .rules(&stateful(&[], &[]))
        .observe(),
        Case::new("ct-generic-gre-and-proto-253", {
            let mut gre = vec![0, 0, 0x08, 0x00];
            gre.extend_from_slice(&Ip::new(LAN_HOST, REMOTE, 17).udp(1, 2, b"x"));
            vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 47).packet(&gre)),
                from_wan(Ip::new(REMOTE, LAN_HOST, 47).packet(&gre)),
                from_lan(Ip::new(LAN_HOST, REMOTE, 253).packet(b"experimental")),
            ]
        })
        .rules(&stateful(&["-A FORWARD -m conntrack --ctproto 47"], &[]))
        .observe(),
        Case::new(
            "ct-icmp-timestamp-through",
            vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).icmp(13, 0, [0x4a, 0x4a, 0, 1], &[0; 12])),
                from_wan(Ip::new(REMOTE, LAN_HOST, 1).icmp(14, 0, [0x4a, 0x4a, 0, 1], &[0; 12])),
            ],
        )
        .rules(&stateful(&[], &[]))
        .observe(),
        // The box's own time exceeded: about a packet of a confirmed flow
        // (RELATED), and about the first packet of a flow (its entry is
        // unconfirmed and dies with it).
        Case::new(
            "ct-box-time-exceeded-related-and-unconfirmed",
            vec![
                udp_out(40083, REMOTE, 53),
                from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).udp(40083, 53, b"query")),
                from_lan(Ip::new(LAN_HOST, REMOTE, 17).ttl(1).udp(40084, 53, b"query")),
            ],
        )
        .rules(&stateful(
            &[],
            &[
                "*mangle",
                "-A OUTPUT -m conntrack --ctstate RELATED",
                "-A OUTPUT -m conntrack --ctstate INVALID",
                "-A OUTPUT -m conntrack --ctstate NEW",
                "-A OUTPUT -m conntrack --ctstate UNTRACKED",
                "COMMIT",
            ],
        ))
        .observe(),
        Case::new(
            "ct-snat-udp-and-reply",
            vec![udp_out(40085, REMOTE, 53), from_wan(Ip::new(REMOTE, BOX_WAN, 17).udp(53, 40085, b"answer"))],
        )
        .rules(&stateful(
            &["-A FORWARD -m conntrack --ctstate SNAT", "-A FORWARD -m conntrack --ctrepldst 203.0.113.1"],
            &["*nat", "-A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.1", "COMMIT"],
        ))
        .observe(),
        Case::new("ct-dnat-tcp-handshake-port-forward", {
            let (c, s) = (40086u16, 8080u16);
            vec![
                from_wan(Ip::new(REMOTE, BOX_WAN, 6).tcp(c, s, 0x3000_0000, 0, SYN, &MSS_1460, &[])),
                from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(80, c, 0x4000_0000, 0x3000_0001, SYN | ACK, &MSS_1460, &[])),
                from_wan(Ip::new(REMOTE, BOX_WAN, 6).tcp(c, s, 0x3000_0001, 0x4000_0001, ACK, &[], &[])),
            ]
        })
        .rules(&stateful(
            &["-A FORWARD -i wan0 -m conntrack --ctstate DNAT -j ACCEPT"],
            &[
                "*nat",
                "-A PREROUTING -i wan0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.10:80",
                "COMMIT",
            ],
        ))
        .observe(),
        Case::new(
            "ct-input-stateful-reject-to-box",
            vec![
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 6).tcp(40087, 22, 0x1000_0000, 0, SYN, &MSS_1460, &[])),
                from_lan(Ip::new(LAN_HOST, BOX_LAN, 17).udp(40088, 53, b"query")),
                from_wan(Ip::new(REMOTE, BOX_WAN, 17).udp(40089, 53, b"query")),
            ],
        )
        .rules(&[
            "*filter",
            ":INPUT DROP [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A INPUT -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset",
            "-A INPUT -i lan0 -m conntrack --ctstate NEW -j ACCEPT",
            "-A INPUT -i wan0 -j REJECT --reject-with icmp-admin-prohibited",
            "-A OUTPUT -m conntrack --ctstate RELATED",
            "COMMIT",
        ])
        .observe(),
    ]
}

// ---------------------------------------------------------------------------
// Running the cases on nfsim

#[derive(Default)]
struct Capture(Vec<(String, Vec<u8>)>);

impl Tx for Capture {
    fn transmit(&mut self, _now: Instant, iface: &Iface, frame: &[u8]) {
        self.0.push((iface.name.clone(), frame.to_vec()));
    }
}

/// What one case emitted: frames per interface (lan0 then wan0), each in order.
type Emitted = Vec<(Side, Vec<u8>)>;

fn group(frames: Vec<(Side, Vec<u8>)>) -> Emitted {
    let mut frames = frames;
    frames.sort_by_key(|(side, _)| *side); // stable: order within a side is kept
    frames
}

/// What a case with `observe` shows after its frames.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observed {
    /// `conntrack -L`, lines sorted.
    conntrack: String,
    /// `conntrack -S`, per-CPU rows summed: `found=0 invalid=1 ...`.
    stats: String,
    /// The case's kernel log lines, `<LEVEL>text`, oldest first.
    klog: Vec<String>,
    /// `conntrack -L expect`, lines sorted.
    expect: String,
    /// `/proc/net/nf_conntrack_expect`, lines sorted.
    expect_proc: String,
}

/// `conntrack -S`'s rows summed into one line of `name=value` pairs, in order.
fn sum_ct_stats(text: &str) -> String {
    let mut total: Vec<(String, u64)> = Vec::new();
    for field in text.split_whitespace() {
        let Some((k, v)) = field.split_once('=') else { continue };
        let Ok(v) = v.parse::<u64>() else { continue };
        if k == "cpu" {
            continue;
        }
        match total.iter_mut().find(|(n, _)| n == k) {
            Some((_, t)) => *t += v,
            None => total.push((k.to_string(), v)),
        }
    }
    total.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// Lines sorted, each with its newline.
fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// When nfsim lists conntrack after the last frame: the kernel's listing
/// comes after 50 ms of silence, iptables-save and the fork of conntrack,
/// 0.07-0.2 s after the last frame, so its timers show floor(timeout - 0.1x s).
const LIST_DELAY: Duration = Duration::from_millis(100);

/// What nfsim's box emitted, its `iptables-save -c` after the frames (for a
/// case with rules) and what a case with `observe` observes.
fn run_nfsim(case: &Case, frames: &[(Side, Vec<u8>)]) -> Result<(Emitted, Option<String>, Option<Observed>), String> {
    let ruleset = match &case.rules {
        Some(text) => nfsim::ruleset::load(text, case.name).map_err(|e| e.to_string())?,
        None => nfsim::ruleset::Ruleset::default(),
    };
    let config = HostConfig {
        name: "box".into(),
        ifaces: case
            .ifaces()
            .iter()
            .map(|(side, addr, mac, mtu)| format!("{}={addr}/24,mac={},mtu={mtu}", side.name(), mac_text(*mac)).parse())
            .collect::<Result<_, _>>()?,
        routes: case.routes().iter().map(|r| r.parse()).collect::<Result<_, _>>()?,
        sysctls: case
            .sysctl_lines()
            .into_iter()
            .chain(case.ct_max.map(|m| format!("net.netfilter.nf_conntrack_max={m}")))
            .collect(),
        neighbours: NEIGHBOURS.iter().map(|ip| (*ip, EthernetAddress(host_mac(*ip)))).collect(),
        // The box is a namespace of its own, as the live run's is.
        netns: Some(1),
        seed: 1,
        ruleset,
        bridge: None,
        profile: Default::default(),
    };
    let mut host = Host::new(&config)?;
    let mut capture = Capture::default();
    let start = Instant::from_nanos(1_700_000_000_000_000_000);
    let offsets = case.frame_offsets();
    let mut now = start;
    for (i, (side, frame)) in frames.iter().enumerate() {
        let at = start + offsets.get(i).copied().unwrap_or(Duration::from_nanos(0));
        if at != now {
            now = at;
            host.advance(now, &mut capture);
        }
        host.receive(now, side.ifindex(), frame, &mut capture);
    }
    let observed = case.observe.then(|| {
        let list_at = now + LIST_DELAY;
        host.advance(list_at, &mut capture);
        let (conntrack, stats, expect, expect_proc) = match &mut host.netfilter.conntrack {
            Some(ct) => (
                sorted_lines(&ct.list(list_at)),
                sum_ct_stats(&ct.stats_text()),
                sorted_lines(&ct.list_expect(list_at)),
                sorted_lines(&ct.proc_expect(list_at)),
            ),
            None => (String::new(), sum_ct_stats(NO_CT_STATS), String::new(), String::new()),
        };
        let mut klog = String::new();
        nfsim::klog::Klog::write_syslog(&mut klog, host.klog.records());
        Observed { conntrack, stats, klog: klog.lines().map(str::to_string).collect(), expect, expect_proc }
    });
    let emitted = capture
        .0
        .into_iter()
        .map(|(name, f)| Side::from_name(&name).map(|s| (s, f)).ok_or(format!("frame sent out of {name}")))
        .collect::<Result<Vec<_>, _>>()
        .map(group)?;
    Ok((emitted, case.rules.as_ref().map(|_| host.netfilter.ruleset.save(true)), observed))
}

/// `conntrack -S` of a namespace where conntrack never ran.
const NO_CT_STATS: &str = "cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 \
                           search_restart=0 clash_resolve=0 chaintoolong=0 \n";

// ---------------------------------------------------------------------------
// The recording

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kernel/ipv4.txt")
}

struct Recorded {
    name: String,
    /// The ruleset loaded before the frames (iptables-restore text).
    rules: Option<String>,
    injected: Vec<(Side, Vec<u8>)>,
    /// Pauses before frames (index, ms).
    pauses: Vec<(usize, u32)>,
    emitted: Emitted,
    /// `iptables-legacy-save -c` after the frames, comment lines dropped.
    save: Option<String>,
    /// conntrack -L / -S and the kernel log (cases with `observe`).
    observed: Option<Observed>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// At most the first 96 bytes in hex, and the length when longer.
fn short_hex(bytes: &[u8]) -> String {
    if bytes.len() <= 96 { hex(bytes) } else { format!("{}... ({} bytes)", hex(&bytes[..96]), bytes.len()) }
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex length {}", s.len()));
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string())).collect()
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default()
}

fn write_golden(records: &[Recorded]) -> String {
    let mut s = String::new();
    s.push_str("# Recorded from the real kernel by tests/kernel_diff.rs (live_kernel_matches_recording with\n");
    s.push_str("# NFSIM_KDIFF_RECORD=1) through tests/kernel/kdiff.py. See tests/kernel/README.md.\n");
    let _ = writeln!(s, "# kernel {}", kernel_release());
    s.push_str("# case NAME / in IFACE HEX (injected on that wire) / out IFACE HEX (the box emitted it there)\n");
    s.push_str(
        "# rules LINE (the iptables-restore ruleset loaded first) / save LINE (iptables-legacy-save -c after)\n",
    );
    s.push_str("# pause MS (wait before the next in) / ctstats LINE (conntrack -S, CPUs summed) /\n");
    s.push_str("# ct LINE (conntrack -L, sorted) / klog \"<LEVEL>text\" (kernel log line, a JSON string) /\n");
    s.push_str("# cte LINE (conntrack -L expect, sorted) / ctep LINE (/proc/net/nf_conntrack_expect, sorted)\n");
    for r in records {
        let _ = writeln!(s, "\ncase {}", r.name);
        for l in r.rules.iter().flat_map(|t| t.lines()) {
            let _ = writeln!(s, "rules {l}");
        }
        for (i, (side, f)) in r.injected.iter().enumerate() {
            for (_, ms) in r.pauses.iter().filter(|(j, _)| *j == i) {
                let _ = writeln!(s, "pause {ms}");
            }
            let _ = writeln!(s, "in {} {}", side.name(), hex(f));
        }
        for (side, f) in &r.emitted {
            let _ = writeln!(s, "out {} {}", side.name(), hex(f));
        }
        for l in r.save.iter().flat_map(|t| t.lines()) {
            let _ = writeln!(s, "save {l}");
        }
        if let Some(o) = &r.observed {
            let _ = writeln!(s, "ctstats {}", o.stats);
            for l in o.conntrack.lines() {
                let _ = writeln!(s, "ct {l}");
            }
            for l in &o.klog {
                let _ = writeln!(s, "klog {}", serde_json::Value::String(l.clone()));
            }
            for l in o.expect.lines() {
                let _ = writeln!(s, "cte {l}");
            }
            for l in o.expect_proc.lines() {
                let _ = writeln!(s, "ctep {l}");
            }
        }
    }
    s
}

/// Appends `line` and a newline to a text that may not exist yet.
fn push_line(text: &mut Option<String>, line: &str) {
    let t = text.get_or_insert_with(String::new);
    t.push_str(line);
    t.push('\n');
}

fn read_golden() -> Result<Vec<Recorded>, String> {
    let path = golden_path();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut records: Vec<Recorded> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let err = |m: String| format!("{}:{}: {m}", path.display(), n + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((kind @ ("ctstats" | "ct" | "klog" | "pause" | "cte" | "ctep"), rest)) = line.split_once(' ') {
            let r = records.last_mut().ok_or_else(|| err(format!("{kind} before any case")))?;
            if kind == "pause" {
                let ms = rest.parse().map_err(|e| err(format!("pause: {e}")))?;
                r.pauses.push((r.injected.len(), ms));
                continue;
            }
            if kind == "ctstats" {
                r.observed = Some(Observed {
                    conntrack: String::new(),
                    stats: rest.to_string(),
                    klog: Vec::new(),
                    expect: String::new(),
                    expect_proc: String::new(),
                });
                continue;
            }
            let o = r.observed.as_mut().ok_or_else(|| err(format!("{kind} before ctstats")))?;
            if kind == "ct" || kind == "cte" || kind == "ctep" {
                let text = match kind {
                    "ct" => &mut o.conntrack,
                    "cte" => &mut o.expect,
                    _ => &mut o.expect_proc,
                };
                text.push_str(rest);
                text.push('\n');
            } else {
                let text: String = serde_json::from_str(rest).map_err(|e| err(format!("klog: {e}")))?;
                o.klog.push(text);
            }
            continue;
        }
        if let Some((kind @ ("rules" | "save"), rest)) = line.split_once(' ') {
            let r = records.last_mut().ok_or_else(|| err("rules or save before any case".into()))?;
            push_line(if kind == "rules" { &mut r.rules } else { &mut r.save }, rest);
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["case", name] => records.push(Recorded {
                name: name.to_string(),
                rules: None,
                injected: vec![],
                pauses: vec![],
                emitted: vec![],
                save: None,
                observed: None,
            }),
            [dir @ ("in" | "out"), iface, h] => {
                let side = Side::from_name(iface).ok_or_else(|| err(format!("unknown interface {iface}")))?;
                let frame = unhex(h).map_err(err)?;
                let r = records.last_mut().ok_or_else(|| err("frame before any case".into()))?;
                if *dir == "in" { r.injected.push((side, frame)) } else { r.emitted.push((side, frame)) }
            }
            _ => return Err(err(format!("cannot parse {line:?}"))),
        }
    }
    Ok(records)
}

// ---------------------------------------------------------------------------
// Comparison

const ETH: usize = 14;

fn is_ipv4(f: &[u8]) -> bool {
    f.len() >= ETH + 20 && f[12..14] == [0x08, 0x00] && f[ETH] >> 4 == 4
}

/// True for an IPv4 packet the box itself originated with DF clear: its IP
/// ID is random in the kernel.
fn random_id(f: &[u8]) -> bool {
    if !is_ipv4(f) || f[ETH + 6] & 0x40 != 0 {
        return false;
    }
    let src = Ipv4Addr::new(f[ETH + 12], f[ETH + 13], f[ETH + 14], f[ETH + 15]);
    src == BOX_LAN || src == BOX_WAN
}

fn normalise(f: &[u8]) -> Vec<u8> {
    let mut f = f.to_vec();
    if random_id(&f) {
        f[ETH + 4..ETH + 6].fill(0);
        f[ETH + 10..ETH + 12].fill(0);
    }
    f
}

/// Names the field at byte `off` of an Ethernet frame.
fn field_at(f: &[u8], off: usize) -> String {
    let l3 = |o: usize| -> String {
        match o {
            0 => "ip version/ihl".into(),
            1 => "ip tos".into(),
            2 | 3 => "ip total length".into(),
            4 | 5 => "ip id".into(),
            6 | 7 => "ip flags/fragment offset".into(),
            8 => "ip ttl".into(),
            9 => "ip protocol".into(),
            10 | 11 => "ip header checksum".into(),
            12..=15 => "ip source".into(),
            16..=19 => "ip destination".into(),
            _ => "ip options".into(),
        }
    };
    match off {
        0..=5 => return "ethernet destination".into(),
        6..=11 => return "ethernet source".into(),
        12 | 13 => return "ethertype".into(),
        _ => {}
    }
    if f.len() <= off {
        return "past the end".into();
    }
    if f[12..14] == [0x08, 0x06] {
        let o = off - ETH;
        return match o {
            0..=7 => "arp header".into(),
            8..=13 => "arp sender mac".into(),
            14..=17 => "arp sender ip".into(),
            18..=23 => "arp target mac".into(),
            24..=27 => "arp target ip".into(),
            _ => "padding".into(),
        };
    }
    if !is_ipv4(f) {
        return format!("byte {off}");
    }
    let ihl = usize::from(f[ETH] & 0xf) * 4;
    let o = off - ETH;
    if o < ihl {
        return l3(o);
    }
    let total = usize::from(u16::from_be_bytes([f[ETH + 2], f[ETH + 3]]));
    if o >= total {
        return "trailing padding".into();
    }
    let l4 = o - ihl;
    match f[ETH + 9] {
        1 => match l4 {
            0 => "icmp type".into(),
            1 => "icmp code".into(),
            2 | 3 => "icmp checksum".into(),
            4..=7 => "icmp rest of header (id/seq, mtu, unused)".into(),
            8..=27 => format!("icmp data +{} (quoted ip header field: {})", l4 - 8, l3(l4 - 8)),
            _ => format!("icmp data +{}", l4 - 8),
        },
        6 => match l4 {
            0 | 1 => "tcp source port".into(),
            2 | 3 => "tcp destination port".into(),
            4..=7 => "tcp seq".into(),
            8..=11 => "tcp ack".into(),
            12 => "tcp data offset".into(),
            13 => "tcp flags".into(),
            14 | 15 => "tcp window".into(),
            16 | 17 => "tcp checksum".into(),
            18 | 19 => "tcp urgent pointer".into(),
            _ => "tcp options/data".into(),
        },
        17 => match l4 {
            0 | 1 => "udp source port".into(),
            2 | 3 => "udp destination port".into(),
            4 | 5 => "udp length".into(),
            6 | 7 => "udp checksum".into(),
            _ => "udp data".into(),
        },
        p => format!("protocol {p} payload +{l4}"),
    }
}

/// Describes every difference between two emitted lists; empty when equal.
fn compare(expected: &Emitted, got: &Emitted) -> Vec<String> {
    let mut diffs = Vec::new();
    for side in [Side::Lan, Side::Wan] {
        let e: Vec<&Vec<u8>> = expected.iter().filter(|(s, _)| *s == side).map(|(_, f)| f).collect();
        let g: Vec<&Vec<u8>> = got.iter().filter(|(s, _)| *s == side).map(|(_, f)| f).collect();
        if e.len() != g.len() {
            diffs.push(format!("{}: kernel emitted {} frame(s), nfsim {}", side.name(), e.len(), g.len()));
        }
        for (i, (ef, gf)) in e.iter().zip(g.iter()).enumerate() {
            let (en, gn) = (normalise(ef), normalise(gf));
            if en != gn {
                let mut fields: Vec<String> = Vec::new();
                for off in 0..en.len().max(gn.len()) {
                    if en.get(off) != gn.get(off) {
                        let name = field_at(if off < en.len() { &en } else { &gn }, off);
                        let entry = format!("{name} @{off}: kernel {:?} nfsim {:?}", en.get(off), gn.get(off));
                        if fields.len() < 12 {
                            fields.push(entry);
                        }
                    }
                }
                if en.len() != gn.len() {
                    fields.push(format!("length: kernel {} nfsim {}", en.len(), gn.len()));
                }
                diffs.push(format!(
                    "{} frame {i}: {}\n      kernel {}\n      nfsim  {}",
                    side.name(),
                    fields.join("; "),
                    short_hex(ef),
                    short_hex(gf)
                ));
            }
            if random_id(gf) {
                let ip = &gf[ETH..ETH + usize::from(gf[ETH] & 0xf) * 4];
                if checksum(ip) != 0 {
                    diffs.push(format!("{} frame {i}: nfsim's ip header checksum is wrong", side.name()));
                }
            }
        }
        for (i, f) in e.iter().enumerate().skip(g.len()) {
            diffs.push(format!("{} frame {i}: only the kernel emitted {}", side.name(), short_hex(f)));
        }
        for (i, f) in g.iter().enumerate().skip(e.len()) {
            diffs.push(format!("{} frame {i}: only nfsim emitted {}", side.name(), short_hex(f)));
        }
    }
    diffs
}

/// Describes how two `iptables-save -c` texts differ, line by line; empty when equal.
fn compare_save(expected: Option<&str>, got: Option<&str>) -> Vec<String> {
    match (expected, got) {
        (None, None) => Vec::new(),
        (Some(_), None) => vec!["iptables-save: the kernel recorded one, nfsim gave none".into()],
        (None, Some(_)) => vec!["iptables-save: nfsim gave one, the kernel recorded none".into()],
        (Some(e), Some(g)) if e == g => Vec::new(),
        (Some(e), Some(g)) => {
            let (el, gl): (Vec<&str>, Vec<&str>) = (e.lines().collect(), g.lines().collect());
            if el.len() == gl.len() {
                el.iter()
                    .zip(&gl)
                    .filter(|(a, b)| a != b)
                    .map(|(a, b)| format!("iptables-save: kernel {a:?}\n      nfsim         {b:?}"))
                    .collect()
            } else {
                vec![format!(
                    "iptables-save: kernel {} lines, nfsim {}\n      kernel:\n        {}\n      nfsim:\n        {}",
                    el.len(),
                    gl.len(),
                    el.join("\n        "),
                    gl.join("\n        ")
                )]
            }
        }
    }
}

/// The table-full line names the namespace by inode number, which differs
/// from run to run: `in netns N`.
fn normalise_klog(line: &str) -> String {
    match line.find("in netns ") {
        Some(at) => {
            let tail = &line[at + "in netns ".len()..];
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            let tail = if digits == 0 { tail.strip_prefix('N').unwrap_or(tail) } else { &tail[digits..] };
            format!("{}in netns N{tail}", &line[..at])
        }
        None => line.to_string(),
    }
}

/// A `conntrack -L` line split into its timer (third column) and the rest.
fn ct_line_timer(line: &str) -> (String, Option<u64>) {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.get(2).and_then(|w| w.parse::<u64>().ok()) {
        Some(t) => {
            let mut w = words.clone();
            w[2] = "T";
            (w.join(" "), Some(t))
        }
        None => (words.join(" "), None),
    }
}

/// Two expectation listings (timer first on each line) are equal but for
/// timers differing by at most `tolerance` seconds.
fn same_expect_listing(a: &str, b: &str, tolerance: u64) -> bool {
    let split = |text: &str| {
        let mut v: Vec<(String, Option<u64>)> = text
            .lines()
            .map(|l| match l.split_once(' ') {
                Some((t, rest)) => match t.parse::<u64>() {
                    Ok(t) => (rest.to_string(), Some(t)),
                    Err(_) => (l.to_string(), None),
                },
                None => (l.to_string(), None),
            })
            .collect();
        v.sort();
        v
    };
    let (a, b) = (split(a), split(b));
    a.len() == b.len()
        && a.iter().zip(&b).all(|((ak, at), (bk, bt))| {
            ak == bk
                && match (at, bt) {
                    (Some(x), Some(y)) => x.abs_diff(*y) <= tolerance,
                    (x, y) => x == y,
                }
        })
}

/// Describes how two observations differ; empty when equal. Conntrack timers
/// may differ by up to `timer_tolerance` seconds (0 against nfsim, whose
/// virtual listing time is aligned with the live one; 2 between two live runs).
fn compare_observed(expected: Option<&Observed>, got: Option<&Observed>, timer_tolerance: u64) -> Vec<String> {
    let (e, g) = match (expected, got) {
        (None, None) => return Vec::new(),
        (Some(_), None) => return vec!["conntrack/klog: the kernel recorded them, nfsim gave none".into()],
        (None, Some(_)) => return vec!["conntrack/klog: nfsim gave them, the kernel recorded none".into()],
        (Some(e), Some(g)) => (e, g),
    };
    let mut diffs = Vec::new();
    let split = |text: &str| {
        let mut v: Vec<(String, Option<u64>)> = text.lines().map(ct_line_timer).collect();
        v.sort();
        v
    };
    let (el, gl) = (split(&e.conntrack), split(&g.conntrack));
    let same = el.len() == gl.len()
        && el.iter().zip(&gl).all(|((ek, et), (gk, gt))| {
            ek == gk
                && match (et, gt) {
                    (Some(a), Some(b)) => a.abs_diff(*b) <= timer_tolerance,
                    (a, b) => a == b,
                }
        });
    if !same {
        let show = |t: &str| {
            if t.is_empty() { "(none)".to_string() } else { t.lines().collect::<Vec<_>>().join("\n        ") }
        };
        diffs.push(format!(
            "conntrack -L differs:\n      kernel:\n        {}\n      nfsim:\n        {}",
            show(&e.conntrack),
            show(&g.conntrack)
        ));
    }
    for (what, el, gl) in [
        ("conntrack -L expect", &e.expect, &g.expect),
        ("/proc/net/nf_conntrack_expect", &e.expect_proc, &g.expect_proc),
    ] {
        if !same_expect_listing(el, gl, timer_tolerance) {
            diffs.push(format!(
                "{what} differs:\n      kernel:\n        {}\n      nfsim:\n        {}",
                el.lines().collect::<Vec<_>>().join("\n        "),
                gl.lines().collect::<Vec<_>>().join("\n        ")
            ));
        }
    }
    if e.stats != g.stats {
        let pairs = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let (ep, gp) = (pairs(&e.stats), pairs(&g.stats));
        let fields: Vec<String> =
            ep.iter().zip(&gp).filter(|(a, b)| a != b).map(|(a, b)| format!("kernel {a} nfsim {b}")).collect();
        diffs.push(format!("conntrack -S: {} (kernel {:?}, nfsim {:?})", fields.join(", "), e.stats, g.stats));
    }
    let (ek, gk): (Vec<String>, Vec<String>) =
        (e.klog.iter().map(|l| normalise_klog(l)).collect(), g.klog.iter().map(|l| normalise_klog(l)).collect());
    if ek != gk {
        for i in 0..ek.len().max(gk.len()) {
            match (ek.get(i), gk.get(i)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => diffs.push(format!("klog line {i}:\n      kernel {a:?}\n      nfsim  {b:?}")),
            }
        }
    }
    diffs
}

#[test]
fn nfsim_matches_kernel_recording() {
    let records = read_golden().unwrap();
    let cases = cases();
    let by_name: BTreeMap<&str, &Recorded> = records.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut problems = Vec::new();
    let mut agree = 0;
    let mut known = Vec::new();
    for case in &cases {
        let Some(rec) = by_name.get(case.name) else {
            problems.push(format!("{}: not in the recording (re-record, see tests/kernel/README.md)", case.name));
            continue;
        };
        if rec.injected != case.frames {
            problems
                .push(format!("{}: the recording injected other frames than the case builds (re-record)", case.name));
            continue;
        }
        if rec.rules != case.rules {
            problems.push(format!("{}: the recording loaded other rules than the case has (re-record)", case.name));
            continue;
        }
        if rec.pauses != case.pauses {
            problems.push(format!("{}: the recording paused otherwise than the case (re-record)", case.name));
            continue;
        }
        let (got, save, observed) = match run_nfsim(case, &case.frames) {
            Ok(got) => got,
            Err(e) => {
                problems.push(format!("{}: nfsim refused the configuration: {e}", case.name));
                continue;
            }
        };
        let (mut expected, mut got, mut rec_observed, mut observed) =
            (rec.emitted.clone(), got, rec.observed.clone(), observed);
        let mut diffs = nat::normalise(case.name, &mut expected, rec_observed.as_mut(), "kernel");
        diffs.extend(nat::normalise(case.name, &mut got, observed.as_mut(), "nfsim"));
        diffs.extend(compare(&expected, &got));
        diffs.extend(compare_save(rec.save.as_deref(), save.as_deref()));
        diffs.extend(compare_observed(rec_observed.as_ref(), observed.as_ref(), 0));
        let known_as = known_differences().find(|(n, _)| *n == case.name).map(|(_, why)| *why);
        match (diffs.is_empty(), known_as) {
            (true, None) => agree += 1,
            (true, Some(_)) => problems.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but nfsim now agrees with the kernel: take it off the list",
                case.name
            )),
            (false, Some(why)) => known.push(format!("{} ({why}):\n    {}", case.name, diffs.join("\n    "))),
            (false, None) => problems.push(format!("{}:\n    {}", case.name, diffs.join("\n    "))),
        }
    }
    for r in &records {
        if !cases.iter().any(|c| c.name == r.name) {
            problems.push(format!("{}: recorded but no longer a case (re-record)", r.name));
        }
    }
    eprintln!("kernel_diff: {agree} of {} cases agree with the kernel recording", cases.len());
    if !known.is_empty() {
        eprintln!("kernel_diff: known differences ({}):\n  {}", known.len(), known.join("\n  "));
    }
    assert!(problems.is_empty(), "nfsim differs from the kernel:\n  {}", problems.join("\n  "));
}

// ---------------------------------------------------------------------------
// The live kernel

/// Deletes every namespace named `PREFIX-...` when dropped, also on panic.
struct NamespaceGuard {
    prefix: String,
}

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else { return };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if name.starts_with(&format!("{}-", self.prefix)) {
                let _ = Command::new("ip").args(["netns", "del", name]).status();
            }
        }
    }
}

/// The global sysctls kdiff.py changes for a while (`nf_log_all_netns` for
/// the whole run, `nf_conntrack_max` for one case): their values before the
/// run, written back when dropped if they still differ (kdiff.py restores
/// them itself; this covers it being killed).
struct GlobalSysctlGuard {
    saved: Vec<(&'static str, String)>,
}

impl GlobalSysctlGuard {
    const KEYS: [&'static str; 2] =
        ["/proc/sys/net/netfilter/nf_log_all_netns", "/proc/sys/net/netfilter/nf_conntrack_max"];
    fn new() -> GlobalSysctlGuard {
        let saved = Self::KEYS
            .iter()
            .filter_map(|k| std::fs::read_to_string(k).ok().map(|v| (*k, v.trim().to_string())))
            .collect();
        GlobalSysctlGuard { saved }
    }
}

impl Drop for GlobalSysctlGuard {
    fn drop(&mut self) {
        for (key, value) in &self.saved {
            if std::fs::read_to_string(key).is_ok_and(|now| now.trim() != value) {
                eprintln!("kernel_diff: restoring {key} to {value}");
                let _ = std::fs::write(key, value);
            }
        }
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg(if tool == "ip" { "-V" } else { "--version" }).output().is_ok_and(|o| o.status.success())
}

fn live_skip_reason() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if !root {
        return Some("not root".into());
    }
    for tool in ["ip", "python3", "ethtool", "iptables-legacy-restore", "iptables-legacy-save", "conntrack"] {
        if !have(tool) {
            return Some(format!("{tool} is missing"));
        }
    }
    None
}

fn request_json(prefix: &str, cases: &[Case]) -> String {
    let cases: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "box": {
                    "ifaces": c.ifaces().iter().map(|(side, addr, mac, mtu)| serde_json::json!({
                        "name": side.name(), "addr": format!("{addr}/24"), "mac": mac_text(*mac), "mtu": mtu,
                    })).collect::<Vec<_>>(),
                    "routes": c.routes(),
                    "neighbours": NEIGHBOURS.iter().map(|ip| vec![ip.to_string(), mac_text(host_mac(*ip))]).collect::<Vec<_>>(),
                    "sysctls": c.sysctl_lines(),
                },
                "rules": c.rules,
                "frames": c.frames.iter().map(|(side, f)| vec![side.name().to_string(), hex(f)]).collect::<Vec<_>>(),
                "pauses": c.pauses,
                "observe": c.observe,
                "klog_prefixes": c.klog_prefixes(),
                "ct_max": c.ct_max,
            })
        })
        .collect();
    serde_json::json!({ "prefix": prefix, "cases": cases }).to_string()
}

fn run_kernel(cases: &[Case]) -> Result<Vec<Recorded>, String> {
    let prefix = format!("nfsim-kd-{}", std::process::id());
    let _guard = NamespaceGuard { prefix: prefix.clone() };
    let _sysctls = GlobalSysctlGuard::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kernel/kdiff.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3 {}: {e}", script.display()))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(request_json(&prefix, cases).as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("kdiff.py failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let mut records = Vec::new();
    for (line, case) in String::from_utf8_lossy(&out.stdout).lines().zip(cases) {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("kdiff.py output: {e}"))?;
        if v["name"] != case.name {
            return Err(format!("kdiff.py answered {} for {}", v["name"], case.name));
        }
        let mut emitted = Vec::new();
        for item in v["out"].as_array().ok_or("kdiff.py output: no \"out\"")? {
            let iface = item[0].as_str().unwrap_or("");
            let side = Side::from_name(iface).ok_or_else(|| format!("kdiff.py: unknown interface {iface}"))?;
            emitted.push((side, unhex(item[1].as_str().unwrap_or(""))?));
        }
        let save = match &v["save"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => return Err(format!("kdiff.py output: \"save\" is {other}")),
        };
        let observed = match &v["stats"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(stats) => Some(Observed {
                conntrack: v["conntrack"].as_str().ok_or("kdiff.py output: no \"conntrack\"")?.to_string(),
                stats: stats.clone(),
                klog: v["klog"]
                    .as_array()
                    .ok_or("kdiff.py output: no \"klog\"")?
                    .iter()
                    .map(|l| l.as_str().map(normalise_klog).ok_or("kdiff.py output: klog line not a string"))
                    .collect::<Result<_, _>>()?,
                expect: v["expect"].as_str().unwrap_or("").to_string(),
                expect_proc: v["expect_proc"].as_str().unwrap_or("").to_string(),
            }),
            other => return Err(format!("kdiff.py output: \"stats\" is {other}")),
        };
        records.push(Recorded {
            name: case.name.to_string(),
            rules: case.rules.clone(),
            injected: case.frames.clone(),
            pauses: case.pauses.clone(),
            emitted: group(emitted),
            save,
            observed,
        });
    }
    if records.len() != cases.len() {
        return Err(format!("kdiff.py answered {} of {} cases", records.len(), cases.len()));
    }
    Ok(records)
}

#[test]
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // the live run times itself; the record switch is a test env var
fn live_kernel_matches_recording() {
    if let Some(reason) = live_skip_reason() {
        eprintln!(
            "skipping: {reason} (the live kernel differential test needs root, ip, python3, ethtool, iptables-legacy and conntrack)"
        );
        return;
    }
    let started = std::time::Instant::now();
    let cases = cases();
    let live = run_kernel(&cases).unwrap();
    eprintln!("kernel_diff: ran {} cases on kernel {} in {:.1?}", cases.len(), kernel_release(), started.elapsed());
    if std::env::var_os("NFSIM_KDIFF_RECORD").is_some() {
        std::fs::write(golden_path(), write_golden(&live)).unwrap();
        eprintln!("kernel_diff: wrote {}", golden_path().display());
        return;
    }
    let golden = read_golden().unwrap();
    let mut problems = Vec::new();
    for rec in &live {
        match golden.iter().find(|g| g.name == rec.name) {
            None => problems.push(format!("{}: not in the recording", rec.name)),
            Some(g) if g.injected != rec.injected => problems.push(format!("{}: recorded with other frames", rec.name)),
            Some(g) if g.rules != rec.rules => problems.push(format!("{}: recorded with other rules", rec.name)),
            Some(g) if g.pauses != rec.pauses => problems.push(format!("{}: recorded with other pauses", rec.name)),
            Some(g) => {
                let (mut expected, mut live, mut g_observed, mut live_observed) =
                    (g.emitted.clone(), rec.emitted.clone(), g.observed.clone(), rec.observed.clone());
                let mut diffs = nat::normalise(&rec.name, &mut expected, g_observed.as_mut(), "recording");
                diffs.extend(nat::normalise(&rec.name, &mut live, live_observed.as_mut(), "live"));
                diffs.extend(compare(&expected, &live));
                diffs.extend(compare_save(g.save.as_deref(), rec.save.as_deref()));
                diffs.extend(compare_observed(g_observed.as_ref(), live_observed.as_ref(), 2));
                if !diffs.is_empty() {
                    problems.push(format!("{}:\n    {}", rec.name, diffs.join("\n    ")));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the live kernel differs from tests/kernel/ipv4.txt (\"kernel\" = recording, \"nfsim\" = live here):\n  {}",
        problems.join("\n  ")
    );
}
