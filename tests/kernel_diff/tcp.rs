//! Kernel differential cases for TCP connection tracking (issue #5).
//!
//! A client on the LAN (192.168.1.10) talks to a server beyond the WAN
//! gateway (198.51.100.7:80) through the box, which forwards everything
//! (policy ACCEPT) and counts each packet's ctstate; every case records
//! `conntrack -L` (state, timer, [ASSURED]/[UNREPLIED]), `conntrack -S` and,
//! with `nf_conntrack_log_invalid`, the `nf_ct_proto_6:` lines.

use super::*;

/// Cases where nfsim is known to differ from the kernel (see the main list).
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

const CISN: u32 = 0x1000_0000;
const SISN: u32 = 0x2000_0000;
const PSH: u8 = 0x08;
const URG: u8 = 0x20;
const WIN: u16 = 64240;
/// Window scale 7 after a NOP.
const WSCALE_7: [u8; 4] = [1, 3, 3, 7];
/// SACK-permitted after two NOPs.
const SACK_PERM: [u8; 4] = [1, 1, 4, 2];
const LOG_INVALID: &str = "net.netfilter.nf_conntrack_log_invalid=6";

/// Counts each forwarded packet's ctstate; accepts everything.
const COUNTING: &[&str] = &[
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    "-A FORWARD -m conntrack --ctstate INVALID",
    "-A FORWARD -m conntrack --ctstate NEW",
    "-A FORWARD -m conntrack --ctstate ESTABLISHED",
    "COMMIT",
];

/// One TCP conversation between the LAN client's `port` and the server.
#[derive(Clone, Copy)]
struct Conv {
    port: u16,
}

/// A TCP segment with every field chosen and `len` payload bytes.
#[allow(clippy::too_many_arguments)] // a segment's fields, one each
fn segment(
    ip: Ip,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    opts: &[u8],
    len: usize,
) -> Vec<u8> {
    assert_eq!(opts.len() % 4, 0);
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push((((20 + opts.len()) / 4) << 4) as u8);
    t.push(flags);
    t.extend_from_slice(&win.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(opts);
    t.extend((0..len).map(|i| (i % 251) as u8));
    let c = pseudo_checksum(ip.src, ip.dst, 6, &t);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    ip.packet(&t)
}

impl Conv {
    /// From the client: `seq`/`ack` relative to the ISNs.
    fn c(self, seq: u32, ack: u32, flags: u8, win: u16, opts: &[u8], len: usize) -> (Side, Vec<u8>) {
        let ack = if flags & ACK != 0 { SISN.wrapping_add(ack) } else { 0 };
        from_lan(segment(
            Ip::new(LAN_HOST, REMOTE, 6),
            self.port,
            80,
            CISN.wrapping_add(seq),
            ack,
            flags,
            win,
            opts,
            len,
        ))
    }
    /// From the server.
    fn s(self, seq: u32, ack: u32, flags: u8, win: u16, opts: &[u8], len: usize) -> (Side, Vec<u8>) {
        let ack = if flags & ACK != 0 { CISN.wrapping_add(ack) } else { 0 };
        from_wan(segment(
            Ip::new(REMOTE, LAN_HOST, 6),
            80,
            self.port,
            SISN.wrapping_add(seq),
            ack,
            flags,
            win,
            opts,
            len,
        ))
    }
    /// SYN, SYN/ACK, ACK, each side with `opts` on its SYN.
    fn handshake(self, copts: &[u8], sopts: &[u8]) -> Vec<(Side, Vec<u8>)> {
        vec![self.c(0, 0, SYN, WIN, copts, 0), self.s(0, 1, SYN | ACK, WIN, sopts, 0), self.c(1, 1, ACK, WIN, &[], 0)]
    }
}

/// A case over `frames` with the counting rules, observed.
fn case(name: &'static str, frames: Vec<(Side, Vec<u8>)>) -> Case {
    Case::new(name, frames).rules(COUNTING).observe()
}

/// Concatenates frame lists.
fn cat(parts: Vec<Vec<(Side, Vec<u8>)>>) -> Vec<(Side, Vec<u8>)> {
    parts.into_iter().flatten().collect()
}

pub fn cases() -> Vec<Case> {
    let mut v = lifecycle_cases();
    v.extend(reopen_cases());
    v.extend(window_cases());
    v.extend(rst_cases());
    v.extend(pickup_cases());
    v.extend(header_cases());
    v.extend(packetdrill_cases());
    v
}

/// `mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 8`: a Linux client's SYN.
const LINUX_SYN: [u8; 20] = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 8];
/// `mss 1460, nop, nop, TS val 1 ecr 1, nop, wscale 0`.
const SYNACK_WSCALE_0: [u8; 20] = [2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1, 1, 3, 3, 0];
/// `nop, nop, TS val 2 ecr 1`.
const TS_ONLY: [u8; 12] = [1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1];

/// The six conntrack cases of the kernel's own packetdrill tests
/// (tools/testing/selftests/net/netfilter/packetdrill), replayed through
/// the box: the host under test's segments and its peer's both injected,
/// the connection's opener on the LAN. Sequence numbers are the scripts'
/// relative ones.
fn packetdrill_cases() -> Vec<Case> {
    let k = Conv { port: 47000 };
    // conntrack_ack_loss_stall: a long upload, then the first segment
    // again: already acknowledged, let through (not INVALID), logged.
    let mut stall = vec![
        k.c(0, 0, SYN, 32792, &[2, 4, 3, 0xe8], 0),
        k.s(0, 1, SYN | ACK, 65535, &MSS_1460, 0),
        k.c(1, 1, ACK, 65535, &[], 0),
    ];
    for i in 0..46u32 {
        stall.push(k.c(1 + i * 1460, 1, ACK | PSH, 257, &[], 1460));
        stall.push(k.s(1, 1 + (i + 1) * 1460, ACK, 65535, &[], 0));
    }
    stall.push(k.c(1, 1, ACK | PSH, 257, &[], 1460));
    // conntrack_inexact_rst: in CLOSE_WAIT, the client's RST closes; the
    // peer's late, inexact RST is not INVALID since the entry is closing.
    let mut inexact = vec![
        k.c(0, 0, SYN, 65535, &LINUX_SYN, 0),
        k.s(0, 1, SYN | ACK, 65535, &MSS_1460, 0),
        k.c(1, 1, ACK, 65535, &[], 0),
    ];
    for i in 0..3u32 {
        inexact.push(k.s(1 + i * 1000, 1, ACK, 65535, &[], 1000));
    }
    for i in 1..=3u32 {
        inexact.push(k.c(1, 1 + i * 1000, ACK, 65535, &[], 0));
    }
    inexact.extend([
        k.c(1, 3001, ACK | PSH, 65535, &[], 1000),
        k.s(3001, 1001, FIN | ACK, 65535, &[], 0),
        k.c(1001, 3002, ACK, 65535, &[], 0),
        k.c(1001, 3002, RST | ACK, 65535, &[], 0),
        k.s(2001, 0, RST, 0, &[], 0),
    ]);
    // conntrack_rst_invalid: RSTs below the acknowledged sequence, beyond
    // the window, or inexact in ESTABLISHED are INVALID; the exact one closes.
    let mut rst_invalid = vec![
        k.c(0, 0, SYN, 65535, &LINUX_SYN, 0),
        k.s(0, 1, SYN | ACK, 65535, &MSS_1460, 0),
        k.c(1, 1, ACK, 65535, &[], 0),
    ];
    for i in 0..3u32 {
        rst_invalid.push(k.s(1 + i * 1000, 1, ACK, 65535, &[], 1000));
    }
    for i in 1..=3u32 {
        rst_invalid.push(k.c(1, 1 + i * 1000, ACK, 65535, &[], 0));
    }
    rst_invalid.extend([
        k.s(0, 0, RST, 0, &[], 0),
        k.s(1_000_000, 0, RST, 0, &[], 0),
        k.s(42, 0, RST, 0, &[], 0),
        k.c(1, 3001, ACK | PSH, 65535, &[], 1000),
        k.s(3001, 1001, ACK, 65535, &[], 0),
        k.s(3000, 1001, RST | ACK, 0, &[], 0),
        k.s(3001, 1001, RST | ACK, 0, &[], 0),
    ]);
    // conntrack_syn_challenge_ack: the SYN meets an old incarnation, whose
    // challenge ACK and the client's RST pass; the SYN again opens anew.
    let challenge = vec![
        k.c(0, 0, SYN, 65535, &LINUX_SYN, 0),
        k.s(145_824_453, 643_160_523, ACK, 240, &SYNACK_WSCALE_0, 0),
        k.c(643_160_523, 0, RST, 0, &[], 0),
        k.c(0, 0, SYN, 65535, &LINUX_SYN, 0),
        k.s(0, 1, SYN | ACK, 250, &SYNACK_WSCALE_0, 0),
        k.c(1, 1, ACK, 256, &TS_ONLY, 0),
    ];
    // conntrack_synack_old: a SYN/ACK for an older SYN is INVALID, the
    // right one after the SYN's retransmission is not.
    let synack_old = vec![
        k.c(0, 0, SYN, 65535, &LINUX_SYN, 0),
        k.s(145_824_453, 643_160_523, SYN | ACK, 240, &SYNACK_WSCALE_0, 0),
        k.c(0, 0, SYN, 65535, &LINUX_SYN, 0),
        k.s(145_758_918, 1, SYN | ACK, 250, &SYNACK_WSCALE_0, 0),
        k.c(1, 145_758_919, ACK | PSH, 256, &TS_ONLY, 1),
    ];
    // conntrack_synack_reuse: a new SYN on an established tuple is let
    // through, the challenge ACK and RST pass, the SYN again opens anew.
    let reuse_syn = [2, 4, 3, 0xe8, 1, 3, 3, 7, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1];
    let reuse = vec![
        k.c(0, 0, SYN, 32792, &reuse_syn, 0),
        k.s(0, 1, SYN | ACK, 65535, &[2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 1, 1, 3, 3, 8], 0),
        k.c(1, 1, ACK, 257, &TS_ONLY, 0),
        k.c(1, 1, ACK | PSH, 257, &TS_ONLY, 100),
        k.s(1, 101, ACK, 256, &TS_ONLY, 0),
        k.c(2000, 0, SYN, 32792, &reuse_syn, 0),
        k.s(1, 101, ACK, 256, &TS_ONLY, 0),
        k.c(101, 1, RST | ACK, 257, &[], 0),
        k.c(2000, 0, SYN, 32792, &[2, 4, 3, 0xe8, 1, 3, 3, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1], 0),
        k.s(90_000, 2001, SYN | ACK, 65535, &[2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 1, 1, 3, 3, 8], 0),
    ];
    vec![
        case("tcp-packetdrill-ack-loss-stall", stall).sysctl(LOG_INVALID),
        case("tcp-packetdrill-inexact-rst", inexact).sysctl(LOG_INVALID),
        case("tcp-packetdrill-rst-invalid", rst_invalid).sysctl(LOG_INVALID),
        case("tcp-packetdrill-syn-challenge-ack", challenge).sysctl(LOG_INVALID),
        case("tcp-packetdrill-synack-old", synack_old).sysctl(LOG_INVALID),
        case("tcp-packetdrill-synack-reuse", reuse).sysctl(LOG_INVALID),
    ]
}

/// A SYN on the tuple of a closed connection.
fn reopen_cases() -> Vec<Case> {
    let k = Conv { port: 45000 };
    let time_wait = || {
        cat(vec![
            k.handshake(&[], &[]),
            vec![k.c(1, 1, FIN | ACK, WIN, &[], 0), k.s(1, 2, FIN | ACK, WIN, &[], 0), k.c(2, 2, ACK, WIN, &[], 0)],
        ])
    };
    // The server's SYN to the client's port: the reply tuple's direction.
    let server_syn = from_wan(segment(Ip::new(REMOTE, LAN_HOST, 6), 80, 45000, 0x3000_0000, 0, SYN, WIN, &[], 0));
    vec![
        case("tcp-reply-syn-reopens-time-wait", cat(vec![time_wait(), vec![server_syn]])),
        case(
            "tcp-syn-after-own-rst-reopens",
            cat(vec![k.handshake(&[], &[]), vec![k.c(1, 1, RST, 0, &[], 0), k.c(300_000, 0, SYN, WIN, &[], 0)]]),
        ),
        case(
            "tcp-syn-after-peer-rst-ignored",
            cat(vec![k.handshake(&[], &[]), vec![k.s(1, 1, RST, 0, &[], 0), k.c(300_000, 0, SYN, WIN, &[], 0)]]),
        )
        .sysctl(LOG_INVALID),
    ]
}

/// The header checks, and the same log mechanism for UDP and ICMP.
fn header_cases() -> Vec<Case> {
    let k = Conv { port: 46000 };
    let mut bad_sum = k.c(1, 1, ACK | PSH, WIN, &[], 10);
    let at = bad_sum.1.len() - 3;
    bad_sum.1[at] ^= 0x5a; // a payload byte: the TCP checksum no longer holds
    let mut truncated = k.c(1, 1, ACK, WIN, &[], 0);
    truncated.1[14 + 20 + 12] = 6 << 4; // data offset 24 bytes, 20 present
    let udp_bad = from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp_with_checksum(46001, 53, b"query", 0x1234));
    let mut echo_bad = from_lan(Ip::new(LAN_HOST, REMOTE, 1).echo_request(0x4646, 1, b"ping"));
    let at = echo_bad.1.len() - 1;
    echo_bad.1[at] ^= 0x01;
    vec![
        case("tcp-bad-checksum-and-truncated-logged", cat(vec![k.handshake(&[], &[]), vec![bad_sum, truncated]]))
            .sysctl(LOG_INVALID),
        case("ct-log-invalid-255-logs-udp-and-icmp", vec![udp_bad, echo_bad])
            .sysctl("net.netfilter.nf_conntrack_log_invalid=255"),
        case(
            "ct-log-invalid-6-skips-udp",
            vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp_with_checksum(46002, 53, b"q", 0x1234))],
        )
        .sysctl(LOG_INVALID),
    ]
}

/// Opening and closing.
fn lifecycle_cases() -> Vec<Case> {
    let k = Conv { port: 41000 };
    vec![
        case(
            "tcp-handshake-data-fin-close-time-wait",
            cat(vec![
                k.handshake(&MSS_1460, &MSS_1460),
                vec![
                    k.c(1, 1, ACK | PSH, WIN, &[], 100),
                    k.s(1, 101, ACK, WIN, &[], 0),
                    k.s(1, 101, ACK | PSH, WIN, &[], 50),
                    k.c(101, 51, ACK, WIN, &[], 0),
                    k.c(101, 51, FIN | ACK, WIN, &[], 0),
                    k.s(51, 102, FIN | ACK, WIN, &[], 0),
                    k.c(102, 52, ACK, WIN, &[], 0),
                ],
            ]),
        ),
        case("tcp-handshake-established-assured", k.handshake(&MSS_1460, &MSS_1460)),
        case(
            "tcp-data-unacknowledged-caps-timeout",
            cat(vec![k.handshake(&[], &[]), vec![k.c(1, 1, ACK | PSH, WIN, &[], 200)]]),
        ),
        case(
            "tcp-server-closes-first-close-wait-last-ack",
            cat(vec![
                k.handshake(&[], &[]),
                vec![
                    k.s(1, 1, FIN | ACK, WIN, &[], 0),
                    k.c(1, 2, ACK, WIN, &[], 0),
                    k.c(1, 2, FIN | ACK, WIN, &[], 0),
                    k.s(2, 2, ACK, WIN, &[], 0),
                ],
            ]),
        ),
        case(
            "tcp-close-wait-after-fin-ack",
            cat(vec![k.handshake(&[], &[]), vec![k.s(1, 1, FIN | ACK, WIN, &[], 0), k.c(1, 2, ACK, WIN, &[], 0)]]),
        ),
        case(
            "tcp-simultaneous-open",
            vec![
                k.c(0, 0, SYN, WIN, &[], 0),
                k.s(0, 0, SYN, WIN, &[], 0),
                k.c(0, 1, SYN | ACK, WIN, &[], 0),
                k.s(0, 1, SYN | ACK, WIN, &[], 0),
                k.s(1, 1, ACK, WIN, &[], 0),
                k.c(1, 1, ACK, WIN, &[], 0),
            ],
        )
        .sysctl(LOG_INVALID),
        case("tcp-syn-retransmit-keeps-timer", vec![k.c(0, 0, SYN, WIN, &[], 0), k.c(0, 0, SYN, WIN, &[], 0)])
            .pause_before(1, 2000),
        case("tcp-syn-ack-without-syn-invalid-new", vec![k.s(0, 1, SYN | ACK, WIN, &[], 0)]).sysctl(LOG_INVALID),
        case(
            "tcp-bad-flags-and-original-syn-ack-invalid",
            cat(vec![
                k.handshake(&[], &[]),
                vec![k.c(1, 1, SYN | FIN, WIN, &[], 0), k.c(1, 1, SYN | ACK, WIN, &[], 0), k.c(1, 1, URG, WIN, &[], 0)],
            ]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-time-wait-reopened-by-syn",
            cat(vec![
                k.handshake(&[], &[]),
                vec![
                    k.c(1, 1, FIN | ACK, WIN, &[], 0),
                    k.s(1, 2, FIN | ACK, WIN, &[], 0),
                    k.c(2, 2, ACK, WIN, &[], 0),
                    k.c(100_000, 0, SYN, WIN, &MSS_1460, 0),
                ],
            ]),
        ),
        case(
            "tcp-ignored-syn-then-syn-ack-resyncs",
            cat(vec![
                k.handshake(&[], &[]),
                vec![
                    k.c(500_000, 0, SYN, WIN, &MSS_1460, 0),
                    k.s(700_000, 500_001, SYN | ACK, WIN, &MSS_1460, 0),
                    k.c(500_001, 700_001, ACK, WIN, &[], 0),
                ],
            ]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-challenge-ack-in-last-ack",
            cat(vec![
                k.handshake(&[], &[]),
                vec![
                    k.s(1, 1, FIN | ACK, WIN, &[], 0),
                    k.c(1, 2, FIN | ACK, WIN, &[], 0),
                    k.c(900_000, 0, SYN, WIN, &[], 0),
                    k.s(2, 2, ACK, WIN, &[], 0),
                ],
            ]),
        )
        .sysctl(LOG_INVALID),
    ]
}

/// Window tracking.
fn window_cases() -> Vec<Case> {
    let k = Conv { port: 42000 };
    let established = || k.handshake(&MSS_1460, &MSS_1460);
    vec![
        case(
            "tcp-data-over-receiver-window-invalid-logged",
            cat(vec![established(), vec![k.c(1 + 200_000, 1, ACK | PSH, WIN, &[], 10)]]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-segment-crossing-right-edge-bytes-more",
            cat(vec![
                established(),
                vec![k.c(1 + 64240 + 1, 1, ACK | PSH, WIN, &[], 10), k.s(1, 64240 + 12, ACK, WIN, &[], 0)],
            ]),
        )
        .sysctl(LOG_INVALID),
        case("tcp-ack-of-unseen-data-invalid", cat(vec![established(), vec![k.s(1, 5000, ACK, WIN, &[], 0)]]))
            .sysctl(LOG_INVALID),
        case(
            "tcp-old-retransmission-ignored",
            cat(vec![
                established(),
                vec![
                    k.c(1, 1, ACK | PSH, WIN, &[], 1000),
                    k.s(1, 1001, ACK, WIN, &[], 0),
                    k.c(1u32.wrapping_sub(300_000), 1, ACK | PSH, WIN, &[], 10),
                ],
            ]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-window-scaling-on",
            cat(vec![
                k.handshake(&WSCALE_7, &WSCALE_7),
                vec![k.s(1, 1, ACK, 1000, &[], 0), k.c(1 + 120_000, 1, ACK | PSH, 502, &[], 100)],
            ]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-window-scaling-off-one-side",
            cat(vec![
                k.handshake(&WSCALE_7, &MSS_1460),
                vec![k.s(1, 1, ACK, 1000, &[], 0), k.c(1 + 140_000, 1, ACK | PSH, 502, &[], 100)],
            ]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-sack-blocks-in-ack-bound",
            cat(vec![
                k.handshake(&SACK_PERM, &SACK_PERM),
                vec![
                    k.c(1, 1, ACK | PSH, WIN, &[], 100),
                    k.s(1, 1, ACK, WIN, &sack(CISN + 51, CISN + 101), 0),
                    k.s(1, 1, ACK, WIN, &sack(CISN + 51, CISN + 900), 0),
                ],
            ]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-retransmissions-beyond-max-retrans",
            cat(vec![
                established(),
                vec![
                    k.c(1, 1, ACK | PSH, WIN, &[], 10),
                    k.s(1, 11, ACK, WIN, &[], 0),
                    k.s(1, 11, ACK, WIN, &[], 0),
                    k.s(1, 11, ACK, WIN, &[], 0),
                    k.s(1, 11, ACK, WIN, &[], 0),
                ],
            ]),
        ),
        case(
            "tcp-be-liberal-accepts-out-of-window",
            cat(vec![
                established(),
                vec![k.c(1 + 200_000, 1, ACK | PSH, WIN, &[], 10), k.s(1, 9000, ACK, WIN, &[], 0)],
            ]),
        )
        .sysctl(LOG_INVALID)
        .sysctl("net.netfilter.nf_conntrack_tcp_be_liberal=1"),
        case(
            "tcp-out-of-window-fins-lower-timeout",
            cat(vec![established(), vec![k.c(1, 9000, FIN | ACK, WIN, &[], 0), k.s(1, 9000, FIN | ACK, WIN, &[], 0)]]),
        )
        .sysctl("net.netfilter.nf_conntrack_log_invalid=255"),
    ]
}

/// A SACK option (two NOPs, one block) for `left..right`.
fn sack(left: u32, right: u32) -> Vec<u8> {
    let mut o = vec![1, 1, 5, 10];
    o.extend_from_slice(&left.to_be_bytes());
    o.extend_from_slice(&right.to_be_bytes());
    o
}

/// RST handling.
fn rst_cases() -> Vec<Case> {
    let k = Conv { port: 43000 };
    let with_data =
        || cat(vec![k.handshake(&[], &[]), vec![k.c(1, 1, ACK | PSH, WIN, &[], 100), k.s(1, 101, ACK, WIN, &[], 0)]]);
    vec![
        case("tcp-rst-in-window-closes", cat(vec![with_data(), vec![k.c(101, 1, RST, 0, &[], 0)]])),
        case(
            "tcp-rst-below-acked-invalid-then-inexact-keeps-state",
            cat(vec![with_data(), vec![k.c(50, 1, RST, 0, &[], 0), k.c(150, 1, RST, 0, &[], 0)]]),
        )
        .sysctl(LOG_INVALID),
        case(
            "tcp-rst-after-own-data-closes",
            cat(vec![with_data(), vec![k.s(1, 101, ACK | PSH, WIN, &[], 19), k.s(20, 101, RST | ACK, 0, &[], 0)]]),
        ),
        case(
            "tcp-rst-as-only-answer-deletes-entry",
            vec![k.c(0, 0, SYN, WIN, &MSS_1460, 0), k.s(0, 1, RST | ACK, 0, &[], 0)],
        ),
        case("tcp-ignore-invalid-rst", cat(vec![with_data(), vec![k.c(50, 1, RST, 0, &[], 0)]]))
            .sysctl(LOG_INVALID)
            .sysctl("net.netfilter.nf_conntrack_tcp_ignore_invalid_rst=1"),
    ]
}

/// Mid-stream pickup.
fn pickup_cases() -> Vec<Case> {
    let k = Conv { port: 44000 };
    let mid = || {
        vec![
            k.c(7000, 9000, ACK | PSH, WIN, &[], 10),
            k.s(9000, 7010, ACK, WIN, &[], 0),
            k.c(7010, 9000, ACK, WIN, &[], 0),
        ]
    };
    vec![
        case("tcp-loose-pickup-on", mid()).sysctl(LOG_INVALID),
        case("tcp-loose-pickup-off", mid()).sysctl(LOG_INVALID).sysctl("net.netfilter.nf_conntrack_tcp_loose=0"),
    ]
}
