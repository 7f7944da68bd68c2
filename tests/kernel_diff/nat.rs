//! Kernel differential cases for NAT (issue #6).
//!
//! Where the kernel draws a random port (a SRC manip that has to move off a
//! taken port, the echo id of a second pinger), the recording and nfsim
//! cannot agree on the value, only on its properties. Such a case names the
//! field in [`RANDOM_PORTS`]: before comparing, both sides are checked (the
//! value lies in the kernel's range, the frame's checksums are right) and the
//! value is replaced by a fixed one (checksums recomputed) in the frames and
//! by `RANDOM` in `conntrack -L`. Everything else still compares exactly.

use super::*;

/// Cases where nfsim is known to differ from the kernel (see the main list).
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Which header field of an emitted frame is a random port.
#[derive(Clone, Copy)]
pub enum Field {
    /// The TCP/UDP source port.
    Sport,
    /// The ICMP echo identifier.
    EchoId,
}

/// A port the kernel draws at random: case, wire, index of the frame among
/// those emitted on that wire, field, and the range it must lie in.
pub struct RandomPort {
    pub case: &'static str,
    pub side: Side,
    pub nth: usize,
    pub field: Field,
    pub range: (u16, u16),
}

pub const RANDOM_PORTS: &[RandomPort] = &[
    // 192.168.1.11 and .13 hash to an address whose port 40000 is taken;
    // .11's second datagram reuses its first mapping (by-source), same port.
    RandomPort { case: "nat-snat-range-clients", side: Side::Wan, nth: 1, field: Field::Sport, range: (1024, 65535) },
    RandomPort { case: "nat-snat-range-clients", side: Side::Wan, nth: 3, field: Field::Sport, range: (1024, 65535) },
    RandomPort { case: "nat-snat-range-clients", side: Side::Wan, nth: 7, field: Field::Sport, range: (1024, 65535) },
    RandomPort { case: "nat-snat-port-clash", side: Side::Wan, nth: 1, field: Field::Sport, range: (1024, 65535) },
    RandomPort { case: "nat-snat-port-clash", side: Side::Wan, nth: 3, field: Field::Sport, range: (600, 1023) },
    RandomPort { case: "nat-icmp-echo-id-clash", side: Side::Wan, nth: 1, field: Field::EchoId, range: (0, 65535) },
    RandomPort {
        case: "nat-dnat-two-rules-one-backend",
        side: Side::Lan,
        nth: 1,
        field: Field::Sport,
        range: (1024, 65535),
    },
];

/// Frames the box originated whose source NAT rewrote to another host's
/// address: their IP ID is the kernel's random draw, but the harness's own
/// mask (which looks for the box's addresses) does not see them. Case, wire
/// and index among that wire's frames.
pub const RANDOM_IP_IDS: &[(&str, Side, usize)] = &[("nat-redirect-udp-to-local-port", Side::Lan, 0)];

/// Offset of the random field in an Ethernet frame, if the frame has it.
fn field_offset(f: &[u8], field: Field) -> Option<usize> {
    if f.len() < 14 + 20 || f[12..14] != [0x08, 0x00] {
        return None;
    }
    let l4 = 14 + usize::from(f[14] & 0x0f) * 4;
    match (field, f[14 + 9]) {
        (Field::Sport, 6 | 17) => Some(l4),
        (Field::EchoId, 1) => Some(l4 + 4),
        _ => None,
    }
}

/// Recomputes the IPv4 and transport checksums of an Ethernet frame.
fn fix_checksums(f: &mut [u8]) {
    let ip = 14;
    let hlen = usize::from(f[ip] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([f[ip + 2], f[ip + 3]]));
    let l4 = ip + hlen;
    let (src, dst) = (
        Ipv4Addr::new(f[ip + 12], f[ip + 13], f[ip + 14], f[ip + 15]),
        Ipv4Addr::new(f[ip + 16], f[ip + 17], f[ip + 18], f[ip + 19]),
    );
    let proto = f[ip + 9];
    let at = match proto {
        6 => Some(l4 + 16),
        17 => Some(l4 + 6),
        1 => Some(l4 + 2),
        _ => None,
    };
    if let Some(at) = at {
        f[at..at + 2].fill(0);
        let c = if proto == 1 {
            checksum(&f[l4..ip + total])
        } else {
            pseudo_checksum(src, dst, proto, &f[l4..ip + total])
        };
        f[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }
    f[ip + 10..ip + 12].fill(0);
    let c = checksum(&f[ip..ip + hlen]);
    f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
}

/// The frame's checksums verify.
fn checksums_valid(f: &[u8]) -> bool {
    let mut g = f.to_vec();
    fix_checksums(&mut g);
    g == f
}

/// Replaces the random ports of `case` in `emitted` and `observed` (see the
/// module doc); returns what is wrong with them.
pub fn normalise(case: &str, emitted: &mut Emitted, observed: Option<&mut Observed>, who: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut values = Vec::new();
    for rp in RANDOM_PORTS.iter().filter(|r| r.case == case) {
        let Some((_, f)) = emitted.iter_mut().filter(|(s, _)| *s == rp.side).nth(rp.nth) else { continue };
        let Some(at) = field_offset(f, rp.field) else { continue };
        let v = u16::from_be_bytes([f[at], f[at + 1]]);
        if !(rp.range.0..=rp.range.1).contains(&v) {
            problems.push(format!("{who}: random port {v} outside {}..={}", rp.range.0, rp.range.1));
        }
        if !checksums_valid(f) {
            problems.push(format!("{who}: frame with random port {v} has a bad checksum"));
        }
        f[at..at + 2].copy_from_slice(&rp.range.0.to_be_bytes());
        fix_checksums(f);
        values.push(v);
    }
    for (_, side, nth) in RANDOM_IP_IDS.iter().filter(|(c, _, _)| *c == case) {
        if let Some((_, f)) = emitted.iter_mut().filter(|(s, _)| s == side).nth(*nth)
            && f.len() >= 14 + 20
        {
            f[14 + 4..14 + 6].fill(0);
            fix_checksums(f);
        }
    }
    if let Some(o) = observed {
        let mut text = String::new();
        for line in o.conntrack.lines() {
            let mut l = line.to_string();
            for v in &values {
                // Only the reply tuple (after the second src=) carries it.
                if let Some(at) = l.match_indices("src=").nth(1).map(|(i, _)| i) {
                    let (head, tail) = l.split_at(at);
                    let tail = tail
                        .replace(&format!("dport={v} "), "dport=RANDOM ")
                        .replace(&format!("id={v} "), "id=RANDOM ");
                    l = format!("{head}{tail}");
                }
            }
            text.push_str(&l);
            text.push('\n');
        }
        o.conntrack = text;
    }
    problems
}

const SNAT_RANGE: [&str; 3] =
    ["*nat", "-A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.10-203.0.113.13", "COMMIT"];

fn accept_all(nat: &[&'static str]) -> Vec<&'static str> {
    let mut v = vec![
        "*filter",
        ":INPUT ACCEPT [0:0]",
        ":FORWARD ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        "-A FORWARD -m conntrack --ctstate SNAT",
        "-A FORWARD -m conntrack --ctstate DNAT",
        "COMMIT",
    ];
    v.extend_from_slice(nat);
    v
}

fn lan(src: Ipv4Addr, pkt: Vec<u8>) -> (Side, Vec<u8>) {
    let _ = src;
    from_lan(pkt)
}

pub fn cases() -> Vec<Case> {
    let client = |n: u8| Ipv4Addr::new(192, 168, 1, n);
    let remote2 = Ipv4Addr::new(198, 51, 100, 8);
    let udp_q = |src: Ipv4Addr, sport: u16, dst: Ipv4Addr| lan(src, Ip::new(src, dst, 17).udp(sport, 53, b"query"));
    let syn_from_wan = |src: Ipv4Addr, sport: u16, dport: u16| {
        from_wan(Ip::new(src, BOX_WAN, 6).tcp(sport, dport, 0x3000_0000, 0, SYN, &MSS_1460, &[]))
    };
    // The datagram the box forwarded for 192.168.1.10:40100 after SNAT, as the far side quotes it.
    let snatted = Ip::new(BOX_WAN, REMOTE, 17).ttl(63).udp(40100, 53, b"query");
    let snatted_syn = Ip::new(BOX_WAN, REMOTE, 6).ttl(63).tcp(40101, 80, 0x1000_0000, 0, SYN, &MSS_1460, &[]);
    vec![
        // The FAQ's "SNAT to multiple addresses": which client gets which
        // address is the kernel's jhash of source and destination.
        Case::new(
            "nat-snat-range-clients",
            (10..16)
                .map(|n| udp_q(client(n), 40000, REMOTE))
                .chain([udp_q(client(10), 40000, remote2), udp_q(client(11), 40000, remote2)])
                .collect(),
        )
        .rules(&accept_all(&SNAT_RANGE))
        .observe(),
        Case::new(
            "nat-snat-range-persistent",
            vec![
                udp_q(client(10), 40000, REMOTE),
                udp_q(client(10), 40000, remote2),
                udp_q(client(12), 40000, remote2),
            ],
        )
        .rules(&accept_all(&[
            "*nat",
            "-A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.10-203.0.113.13 --persistent",
            "COMMIT",
        ]))
        .observe(),
        // Two LAN hosts, one source port, one server: the second moves (at
        // random in the port's class: [1024,65535], [600,1023]).
        Case::new(
            "nat-snat-port-clash",
            vec![
                udp_q(LAN_HOST, 33333, REMOTE),
                udp_q(LAN_HOST2, 33333, REMOTE),
                udp_q(LAN_HOST2, 800, REMOTE),
                udp_q(LAN_HOST, 800, REMOTE),
            ],
        )
        .rules(&accept_all(&["*nat", "-A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.1", "COMMIT"]))
        .observe(),
        Case::new("nat-masquerade-tcp-udp-icmp", {
            let mut v = vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(40200, 80, 0x1000_0000, 0, SYN, &MSS_1460, &[])),
                from_wan(Ip::new(REMOTE, BOX_WAN, 6).tcp(
                    80,
                    40200,
                    0x2000_0000,
                    0x1000_0001,
                    SYN | ACK,
                    &MSS_1460,
                    &[],
                )),
                from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(40200, 80, 0x1000_0001, 0x2000_0001, ACK, &[], &[])),
                udp_q(LAN_HOST, 40201, REMOTE),
                from_wan(Ip::new(REMOTE, BOX_WAN, 17).udp(53, 40201, b"answer")),
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x4321, 1, &ping_data(24))),
            ];
            let mut reply = Ip::new(REMOTE, BOX_WAN, 1).echo_request(0x4321, 1, &ping_data(24));
            reply[20] = 0; // echo reply
            reply[22] = 0;
            reply[23] = 0;
            let c = checksum(&reply[20..]);
            reply[22..24].copy_from_slice(&c.to_be_bytes());
            v.push(from_wan(reply));
            v
        })
        .rules(&accept_all(&["*nat", "-A POSTROUTING -o wan0 -j MASQUERADE", "COMMIT"]))
        .observe(),
        // DNAT to a port range, two connections whose replies would clash:
        // the second gets the next port (a DST manip searches from offset 0).
        Case::new("nat-dnat-port-range-clash", vec![syn_from_wan(REMOTE, 1234, 80), syn_from_wan(REMOTE, 1234, 81)])
            .rules(&accept_all(&[
                "*nat",
                "-A PREROUTING -i wan0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.10:8000-8001",
                "-A PREROUTING -i wan0 -p tcp -m tcp --dport 81 -j DNAT --to-destination 192.168.1.10:8000-8001",
                "COMMIT",
            ]))
            .observe(),
        Case::new(
            "nat-dnat-address-range",
            (7..12).map(|n| syn_from_wan(Ipv4Addr::new(198, 51, 100, n), 40300, 443)).collect(),
        )
        .rules(&accept_all(&[
            "*nat",
            "-A PREROUTING -i wan0 -p tcp -m tcp --dport 443 -j DNAT --to-destination 192.168.1.10-192.168.1.11",
            "COMMIT",
        ]))
        .observe(),
        // nf_nat_edemux.sh: two DNAT rules to one backend, same client
        // port: the reply would clash, a DST manip cannot move the port, so
        // the null binding at POSTROUTING moves the source port.
        Case::new(
            "nat-dnat-two-rules-one-backend",
            vec![syn_from_wan(REMOTE, 40400, 8080), syn_from_wan(REMOTE, 40400, 8081)],
        )
        .rules(&accept_all(&[
            "*nat",
            "-A PREROUTING -i wan0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.10:80",
            "-A PREROUTING -i wan0 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 192.168.1.10:80",
            "COMMIT",
        ]))
        .observe(),
        // The transparent-proxy recipe, on UDP: the box has no socket on
        // 5353, so its port unreachable goes back translated (outer and quoted).
        Case::new("nat-redirect-udp-to-local-port", vec![udp_q(LAN_HOST, 40500, REMOTE)])
            .rules(&accept_all(&[
                "*nat",
                "-A PREROUTING -i lan0 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353",
                "COMMIT",
            ]))
            .sysctl("net.ipv4.icmp_ratelimit=0")
            .observe(),
        Case::new(
            "nat-netmap-both-ways",
            vec![
                from_wan(Ip::new(REMOTE, Ipv4Addr::new(10, 20, 1, 10), 17).udp(53, 40600, b"to mapped")),
                udp_q(LAN_HOST2, 40601, REMOTE),
            ],
        )
        .rules(&accept_all(&[
            "*nat",
            "-A PREROUTING -d 10.20.1.0/24 -i wan0 -j NETMAP --to 192.168.1.0/24",
            "-A POSTROUTING -s 192.168.1.0/24 -o wan0 -j NETMAP --to 10.20.1.0/24",
            "COMMIT",
        ]))
        .observe(),
        // Errors from the far side about SNATed flows: port unreachable from
        // the server, fragmentation needed from the gateway.
        Case::new(
            "nat-icmp-errors-through-snat",
            vec![
                udp_q(LAN_HOST, 40100, REMOTE),
                from_wan(Ip::new(REMOTE, BOX_WAN, 1).df(false).icmp(3, 3, [0; 4], &snatted)),
                from_lan(Ip::new(LAN_HOST, REMOTE, 6).tcp(40101, 80, 0x1000_0000, 0, SYN, &MSS_1460, &[])),
                from_wan(Ip::new(GATEWAY, BOX_WAN, 1).df(false).icmp(3, 4, [0, 0, 0x05, 0x78], &snatted_syn)),
            ],
        )
        .rules(&accept_all(&["*nat", "-A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.1", "COMMIT"]))
        .observe(),
        // Echo ids are the "port" of pings: the second pinger with the same id moves.
        Case::new("nat-icmp-echo-id-clash", {
            let mut reply = Ip::new(REMOTE, BOX_WAN, 1).echo_request(0x0777, 1, b"ping");
            reply[20] = 0;
            reply[22] = 0;
            reply[23] = 0;
            let c = checksum(&reply[20..]);
            reply[22..24].copy_from_slice(&c.to_be_bytes());
            vec![
                from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x0777, 1, b"ping")),
                from_wan(reply),
                from_lan(Ip::new(LAN_HOST2, REMOTE, 1).echo_request(0x0777, 1, b"ping")),
            ]
        })
        .rules(&accept_all(&["*nat", "-A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.1", "COMMIT"]))
        .observe(),
    ]
}
