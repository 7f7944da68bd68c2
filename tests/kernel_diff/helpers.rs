//! Kernel differential cases for conntrack helpers and expectations
//! (issue #7): FTP (PORT, EPRT, 227, 229), IRC DCC and TFTP, with and
//! without NAT, recorded with `conntrack -L`, `conntrack -L expect` and
//! /proc/net/nf_conntrack_expect.
//!
//! The LAN client (192.168.1.10) talks to a server beyond the WAN gateway
//! (198.51.100.7). A raw-table rule attaches the helper (`CT --helper`);
//! the filter table counts each forwarded packet's ctstate and what
//! `-m helper` sees; the NAT cases masquerade (the client's address text
//! shrinks: `192,168,1,10` becomes `203,0,113,1`) or SNAT to 203.0.113.100
//! (it grows by one), so the segments after the rewritten one carry
//! adjusted sequence numbers both ways.

use super::*;

/// Cases where nfsim is known to differ from the kernel (see the main list).
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

const CISN: u32 = 0x1000_0000;
const SISN: u32 = 0x2000_0000;
const PSH: u8 = 0x08;
/// SACK-permitted after two NOPs.
const SACK_PERM: [u8; 4] = [1, 1, 4, 2];
/// An SNAT address whose FTP text is one byte longer than the client's.
const SNAT_LONG: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 100);

/// One TCP conversation: the client's port, the server's address and port,
/// and the client's address as the server sees it (after NAT).
#[derive(Clone, Copy)]
struct Conv {
    cport: u16,
    server: Ipv4Addr,
    sport: u16,
    seen_as: Ipv4Addr,
}

impl Conv {
    fn new(cport: u16, sport: u16) -> Conv {
        Conv { cport, server: REMOTE, sport, seen_as: LAN_HOST }
    }
    fn natted(self, seen_as: Ipv4Addr) -> Conv {
        Conv { seen_as, ..self }
    }
    /// From the client: `seq`/`ack` relative to the ISNs.
    fn c(self, seq: u32, ack: u32, flags: u8, opts: &[u8], data: &[u8]) -> (Side, Vec<u8>) {
        let ack = if flags & ACK != 0 { SISN.wrapping_add(ack) } else { 0 };
        let ip = Ip::new(LAN_HOST, self.server, 6);
        from_lan(ip.tcp(self.cport, self.sport, CISN.wrapping_add(seq), ack, flags, opts, data))
    }
    /// From the server, to the client's address as it sees it.
    fn s(self, seq: u32, ack: u32, flags: u8, opts: &[u8], data: &[u8]) -> (Side, Vec<u8>) {
        let ack = if flags & ACK != 0 { CISN.wrapping_add(ack) } else { 0 };
        let ip = Ip::new(self.server, self.seen_as, 6);
        from_wan(ip.tcp(self.sport, self.cport, SISN.wrapping_add(seq), ack, flags, opts, data))
    }
    fn handshake(self) -> Vec<(Side, Vec<u8>)> {
        vec![self.c(0, 0, SYN, &SACK_PERM, b""), self.s(0, 1, SYN | ACK, &SACK_PERM, b""), self.c(1, 1, ACK, &[], b"")]
    }
}

fn raw(rule: &str) -> Vec<String> {
    ["*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", rule, "COMMIT"].map(String::from).to_vec()
}

/// Counts ctstates and what `-m helper` sees; accepts everything.
fn counting(helper: &str) -> Vec<String> {
    let mut v: Vec<String> =
        ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"].map(String::from).to_vec();
    for state in ["NEW", "RELATED", "ESTABLISHED", "INVALID"] {
        v.push(format!("-A FORWARD -m conntrack --ctstate {state}"));
    }
    v.push(format!("-A FORWARD -m helper --helper {helper}"));
    v.push("COMMIT".into());
    v
}

fn nat(target: &str) -> Vec<String> {
    [
        "*nat",
        ":PREROUTING ACCEPT [0:0]",
        ":INPUT ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
        &format!("-A POSTROUTING -o wan0 {target}"),
        "COMMIT",
    ]
    .map(String::from)
    .to_vec()
}

const FTP_RULE: &str = "-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp";
const IRC_RULE: &str = "-A PREROUTING -p tcp -m tcp --dport 6667 -j CT --helper irc";
const TFTP_RULE: &str = "-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp";
const MASQUERADE: &str = "-j MASQUERADE";

/// A helper case: its raw rule, the counting rules, optional NAT, observed.
fn case(
    name: &'static str,
    raw_rule: &str,
    helper: &str,
    nat_target: Option<&str>,
    frames: Vec<(Side, Vec<u8>)>,
) -> Case {
    let mut lines = raw(raw_rule);
    lines.extend(counting(helper));
    if let Some(t) = nat_target {
        lines.extend(nat(t));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    Case::new(name, frames).rules(&refs).observe()
}

/// The control connection up to the server's reply to USER: handshake,
/// banner (11 bytes), `USER ftp` (10 bytes), `331 ok` (8 bytes). The
/// client's next byte is 11, the server's 20.
fn ftp_login(c: Conv) -> Vec<(Side, Vec<u8>)> {
    let mut v = c.handshake();
    v.push(c.s(1, 1, PSH | ACK, &[], b"220 ready\r\n"));
    v.push(c.c(1, 12, PSH | ACK, &[], b"USER ftp\r\n"));
    v.push(c.s(12, 11, PSH | ACK, &[], b"331 ok\r\n"));
    v
}

/// A data connection's SYN from `from:sport` to `to:dport` and its SYN/ACK.
fn data_syn(from: Ipv4Addr, sport: u16, to: Ipv4Addr, dport: u16) -> (Side, Vec<u8>) {
    let p = Ip::new(from, to, 6).tcp(sport, dport, 0x3000_0000, 0, SYN, &MSS_1460, b"");
    if from == LAN_HOST { from_lan(p) } else { from_wan(p) }
}

fn data_synack(from: Ipv4Addr, sport: u16, to: Ipv4Addr, dport: u16) -> (Side, Vec<u8>) {
    let p = Ip::new(from, to, 6).tcp(sport, dport, 0x4000_0000, 0x3000_0001, SYN | ACK, &MSS_1460, b"");
    if from == LAN_HOST { from_lan(p) } else { from_wan(p) }
}

pub fn cases() -> Vec<Case> {
    let mut v = listed_cases();
    v.extend(ftp_cases());
    v.extend(ftp_nat_cases());
    v.extend(irc_cases());
    v.extend(tftp_cases());
    v
}

fn ftp_cases() -> Vec<Case> {
    let c = Conv::new(40021, 21);
    const PORT: &[u8] = b"PORT 192,168,1,10,156,64\r\n"; // port 40000
    let n = PORT.len() as u32;
    let mut active = ftp_login(c);
    active.push(c.c(11, 20, PSH | ACK, &[], PORT));
    active.push(c.s(20, 11 + n, PSH | ACK, &[], b"200 ok\r\n"));
    active.push(data_syn(REMOTE, 20, LAN_HOST, 40000));
    active.push(data_synack(LAN_HOST, 40000, REMOTE, 20));

    let mut first_line = c.handshake();
    first_line.push(c.c(1, 1, PSH | ACK, &[], PORT));
    first_line.push(c.s(1, 1 + n, PSH | ACK, &[], b"200 ok\r\n"));
    first_line.push(data_syn(REMOTE, 20, LAN_HOST, 40000));

    const PASV: &[u8] = b"227 Entering Passive Mode (198,51,100,7,195,80).\r\n"; // 50000
    let mut passive = ftp_login(c);
    passive.push(c.c(11, 20, PSH | ACK, &[], b"PASV\r\n"));
    passive.push(c.s(20, 17, PSH | ACK, &[], PASV));
    passive.push(data_syn(LAN_HOST, 40100, REMOTE, 50000));
    passive.push(data_synack(REMOTE, 50000, LAN_HOST, 40100));

    const PASV_OTHER: &[u8] = b"227 Entering Passive Mode (198,51,100,8,195,80).\r\n";
    let mut other = ftp_login(c);
    other.push(c.c(11, 20, PSH | ACK, &[], b"PASV\r\n"));
    other.push(c.s(20, 17, PSH | ACK, &[], PASV_OTHER));
    other.push(data_syn(LAN_HOST, 40100, REMOTE, 50000));

    // PORT, then EPRT, then PASV answered by 227 and EPSV by 229: one at a time.
    const EPRT: &[u8] = b"EPRT |1|192.168.1.10|40001|\r\n";
    const EPSV: &[u8] = b"229 Entering Extended Passive Mode (|||50001|)\r\n";
    let (e, p) = (EPRT.len() as u32, PASV.len() as u32);
    let mut evict = ftp_login(c);
    evict.push(c.c(11, 20, PSH | ACK, &[], PORT));
    evict.push(c.s(20, 11 + n, PSH | ACK, &[], b"200 ok\r\n"));
    evict.push(c.c(11 + n, 28, PSH | ACK, &[], EPRT));
    evict.push(c.s(28, 11 + n + e, PSH | ACK, &[], b"200 ok\r\n"));
    evict.push(c.c(11 + n + e, 36, PSH | ACK, &[], b"PASV\r\n"));
    evict.push(c.s(36, 17 + n + e, PSH | ACK, &[], PASV));
    evict.push(c.c(17 + n + e, 36 + p, PSH | ACK, &[], b"EPSV\r\n"));
    evict.push(c.s(36 + p, 23 + n + e, PSH | ACK, &[], EPSV));
    // The first PORT's data connection: its expectation was evicted.
    evict.push(data_syn(REMOTE, 20, LAN_HOST, 40000));

    // A PORT line cut before its end: the kernel drops it and logs.
    let mut partial = ftp_login(c);
    partial.push(c.c(11, 20, PSH | ACK, &[], b"PORT 192,168,1,10,156"));

    vec![
        case("helper-ftp-active-port", FTP_RULE, "ftp", None, active),
        case("helper-ftp-port-as-first-line", FTP_RULE, "ftp", None, first_line),
        case("helper-ftp-passive-227", FTP_RULE, "ftp", None, passive),
        case("helper-ftp-227-other-address", FTP_RULE, "ftp", None, other),
        case("helper-ftp-one-expectation-evicts", FTP_RULE, "ftp", None, evict),
        case("helper-ftp-partial-port-dropped", FTP_RULE, "ftp", None, partial),
    ]
}

fn ftp_nat_cases() -> Vec<Case> {
    // SNAT to 203.0.113.100: `192,168,1,10` becomes `203,0,113,100` (+1).
    let snat = format!("-j SNAT --to-source {SNAT_LONG}");
    let c = Conv::new(40021, 21).natted(SNAT_LONG);
    const PORT: &[u8] = b"PORT 192,168,1,10,156,64\r\n";
    const LIST: &[u8] = b"LIST\r\n";
    let n = PORT.len() as u32;
    let mut grow = ftp_login(c);
    grow.push(c.c(11, 20, PSH | ACK, &[], PORT));
    // The client's next command leaves one byte later in sequence space.
    grow.push(c.c(11 + n, 20, PSH | ACK, &[], LIST));
    // The server acknowledges the PORT only (as rewritten), and SACKs LIST.
    let list_at = CISN + 11 + n + 1;
    let sack = [1, 1, 5, 10]
        .into_iter()
        .chain(list_at.to_be_bytes())
        .chain((list_at + LIST.len() as u32).to_be_bytes())
        .collect::<Vec<u8>>();
    grow.push(c.s(20, 11 + n + 1, ACK, &sack, b""));
    // The client retransmits PORT: rewritten again, the offset not doubled.
    grow.push(c.c(11, 20, PSH | ACK, &[], PORT));
    grow.push(c.s(20, 11 + n + 1 + LIST.len() as u32, PSH | ACK, &[], b"200 ok\r\n"));
    grow.push(c.c(11 + n + LIST.len() as u32, 28, ACK, &[], b""));
    // The data connection: to the SNAT address, DNATed back to the client.
    grow.push(data_syn(REMOTE, 20, SNAT_LONG, 40000));
    grow.push(data_synack(LAN_HOST, 40000, REMOTE, 20));

    // MASQUERADE: `192.168.1.10` becomes `203.0.113.1` (-1) in EPRT.
    let m = Conv::new(40021, 21).natted(BOX_WAN);
    const EPRT: &[u8] = b"EPRT |1|192.168.1.10|40001|\r\n";
    let e = EPRT.len() as u32;
    let mut eprt = ftp_login(m);
    eprt.push(m.c(11, 20, PSH | ACK, &[], EPRT));
    eprt.push(m.s(20, 11 + e - 1, PSH | ACK, &[], b"200 ok\r\n"));
    eprt.push(m.c(11 + e, 28, PSH | ACK, &[], b"EPSV\r\n"));
    const EPSV: &[u8] = b"229 Entering Extended Passive Mode (|||50001|)\r\n";
    eprt.push(m.s(28, 11 + e - 1 + 6, PSH | ACK, &[], EPSV));
    eprt.push(data_syn(REMOTE, 20, BOX_WAN, 40001));
    eprt.push(data_synack(LAN_HOST, 40001, REMOTE, 20));
    eprt.push(data_syn(LAN_HOST, 40100, REMOTE, 50001));

    // MASQUERADE, passive: 227 names the server; the data connection is
    // masqueraded like its master.
    const PASV: &[u8] = b"227 Entering Passive Mode (198,51,100,7,195,80).\r\n";
    let mut pasv = ftp_login(m);
    pasv.push(m.c(11, 20, PSH | ACK, &[], b"PASV\r\n"));
    pasv.push(m.s(20, 17, PSH | ACK, &[], PASV));
    pasv.push(data_syn(LAN_HOST, 40100, REMOTE, 50000));
    pasv.push(data_synack(REMOTE, 50000, BOX_WAN, 40100));

    vec![
        case("helper-ftp-snat-port-grows", FTP_RULE, "ftp", Some(&snat), grow),
        case("helper-ftp-masquerade-eprt-epsv", FTP_RULE, "ftp", Some(MASQUERADE), eprt),
        case("helper-ftp-masquerade-passive-227", FTP_RULE, "ftp", Some(MASQUERADE), pasv),
    ]
}

fn irc_cases() -> Vec<Case> {
    let m = Conv::new(40667, 6667).natted(BOX_WAN);
    // 192.168.1.10 as one decimal number.
    const SEND: &[u8] = b"PRIVMSG bob :\x01DCC SEND file.txt 3232235786 5000 100\x01\r\n";
    let mut send = m.handshake();
    send.push(m.c(1, 1, PSH | ACK, &[], b"NICK alice\r\n"));
    send.push(m.c(13, 1, PSH | ACK, &[], SEND));
    send.push(m.s(1, 13 + SEND.len() as u32, ACK, &[], b""));
    // bob, on the WAN, connects to the address the DCC now names.
    send.push(data_syn(WAN_HOST, 45000, BOX_WAN, 5000));
    send.push(data_synack(LAN_HOST, 5000, REMOTE, 45000));

    const RESUME: &[u8] = b"PRIVMSG bob :\x01DCC RESUME file.txt 5000 100\x01\r\n";
    let mut resume = m.handshake();
    resume.push(m.c(1, 1, PSH | ACK, &[], RESUME));
    resume.push(m.s(1, 1 + RESUME.len() as u32, ACK, &[], b""));

    const FORGED: &[u8] = b"PRIVMSG bob :\x01DCC CHAT chat 3232235787 5001\x01\r\n";
    let c = Conv::new(40667, 6667);
    let mut forged = c.handshake();
    forged.push(c.c(1, 1, PSH | ACK, &[], FORGED));

    vec![
        case("helper-irc-dcc-send-masquerade", IRC_RULE, "irc", Some(MASQUERADE), send),
        case("helper-irc-dcc-resume-left-alone", IRC_RULE, "irc", Some(MASQUERADE), resume),
        case("helper-irc-dcc-forged-address", IRC_RULE, "irc", None, forged),
    ]
}

fn tftp_cases() -> Vec<Case> {
    const RRQ: &[u8] = b"\x00\x01file.txt\x00octet\x00";
    let plain = vec![
        from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40069, 69, RRQ)),
        from_wan(Ip::new(REMOTE, LAN_HOST, 17).udp(50069, 40069, b"\x00\x03\x00\x01data")),
        from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40069, 50069, b"\x00\x04\x00\x01")),
    ];
    let masq = vec![
        from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40069, 69, RRQ)),
        from_wan(Ip::new(REMOTE, BOX_WAN, 17).udp(50069, 40069, b"\x00\x03\x00\x01data")),
        from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40069, 50069, b"\x00\x04\x00\x01")),
    ];
    vec![
        case("helper-tftp-rrq-reply-from-other-port", TFTP_RULE, "tftp", None, plain),
        case("helper-tftp-rrq-masquerade", TFTP_RULE, "tftp", Some(MASQUERADE), masq),
    ]
}

/// Expectations left pending, so both listings show them: PORT through
/// MASQUERADE (the NAT address and the saved port), a DCC offer (any
/// source), a TFTP request without NAT.
fn listed_cases() -> Vec<Case> {
    let m = Conv::new(40021, 21).natted(BOX_WAN);
    let mut port = ftp_login(m);
    port.push(m.c(11, 20, PSH | ACK, &[], b"PORT 192,168,1,10,156,64\r\n"));
    let i = Conv::new(40667, 6667).natted(BOX_WAN);
    let mut dcc = i.handshake();
    dcc.push(i.c(1, 1, PSH | ACK, &[], b"PRIVMSG bob :\x01DCC CHAT chat 3232235786 5001\x01\r\n"));
    let tftp = vec![from_lan(Ip::new(LAN_HOST, REMOTE, 17).udp(40069, 69, b"\x00\x02up.bin\x00octet\x00"))];
    vec![
        case("helper-listed-ftp-port-masquerade", FTP_RULE, "ftp", Some(MASQUERADE), port),
        case("helper-listed-irc-dcc-chat-masquerade", IRC_RULE, "irc", Some(MASQUERADE), dcc),
        case("helper-listed-tftp-wrq", TFTP_RULE, "tftp", None, tftp),
    ]
}
