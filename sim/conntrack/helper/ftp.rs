//! The FTP helper's parser (`nf_conntrack_ftp`): finds `PORT` and `EPRT`
//! in the client's commands and `227` and `229` in the server's replies.
//!
//! The kernel's rules, kept exactly:
//! - only ESTABLISHED packets (either direction) with payload are read;
//! - a packet is read only if it starts right after a newline the helper
//!   saw in that direction (up to two such positions are remembered, the
//!   newer replacing the older); so each side's first line is never read,
//!   and a command split across segments is read only from its start;
//! - the command must begin the packet (case-insensitive keyword); a packet
//!   that is a prefix of a keyword, or whose numbers do not parse after the
//!   keyword, is a *partial match*: the kernel drops it and logs;
//! - numbers: decimal digits accumulate (wrapping, unchecked), separators
//!   advance, any other character ends the field list and is accepted only
//!   when it is the terminator and the last field is being read.

use crate::conntrack::conn::CtDir;

/// Which command or reply matched (`enum nf_ct_ftp_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `PORT a,b,c,d,p1,p2` from the client.
    Port,
    /// `EPRT |1|a.b.c.d|port|` from the client.
    Eprt,
    /// `227 ... a,b,c,d,p1,p2` from the server.
    Pasv,
    /// `229 ... (|||port|)` from the server.
    Epsv,
}

/// A parsed command: the address and port it names, and where the text
/// that NAT rewrites lies in the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cmd {
    /// Which one.
    pub kind: Kind,
    /// The address named (for 229, which names none, the sender's).
    pub addr: u32,
    /// The port named.
    pub port: u16,
    /// Offset of the number text in the payload.
    pub off: usize,
    /// Its length.
    pub len: usize,
}

/// What the helper made of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to do.
    Ignore,
    /// A partial match of the named keyword: drop the packet.
    Partial(&'static str),
    /// A command or reply naming a data connection.
    Found(Cmd),
}

/// The sequence numbers right after the last newlines seen, per direction
/// (`nf_ct_ftp_master`: two remembered each way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    seq: [[u32; 2]; 2],
    num: [u8; 2],
}

impl Lines {
    fn is_line_start(&self, dir: usize, seq: u32) -> bool {
        self.seq[dir][..usize::from(self.num[dir])].contains(&seq)
    }

    /// Remembers `nl_seq`; when both places are taken it replaces the
    /// older, and only with a newer number.
    fn remember(&mut self, dir: usize, nl_seq: u32) {
        let n = usize::from(self.num[dir]);
        if self.seq[dir][..n].contains(&nl_seq) {
            return;
        }
        if n < 2 {
            self.seq[dir][n] = nl_seq;
            self.num[dir] += 1;
            return;
        }
        let [a, b] = self.seq[dir];
        let oldest = if (a.wrapping_sub(b) as i32) < 0 { 0 } else { 1 };
        if (nl_seq.wrapping_sub(self.seq[dir][oldest]) as i32) > 0 {
            self.seq[dir][oldest] = nl_seq;
        }
    }
}

/// Reads one packet: `established` is its ctinfo being ESTABLISHED(_REPLY),
/// `seq` its TCP sequence number, `sender` the sender's address in its
/// direction's tuple (what 229 stands for).
pub fn help(lines: &mut Lines, dir: CtDir, established: bool, seq: u32, payload: &[u8], sender: u32) -> Outcome {
    if !established || payload.is_empty() {
        return Outcome::Ignore;
    }
    let d = dir as usize;
    let out = if lines.is_line_start(d, seq) { search(dir, payload, sender) } else { Outcome::Ignore };
    if !matches!(out, Outcome::Partial(_)) && payload.last() == Some(&b'\n') {
        lines.remember(d, seq.wrapping_add(payload.len() as u32));
    }
    out
}

/// One keyword of a direction: the text, the character skipped to, the
/// terminator, and the number parser.
struct Pattern {
    text: &'static [u8],
    name: &'static str,
    skip: Option<u8>,
    term: u8,
    kind: Kind,
}

const ORIGINAL: [Pattern; 2] = [
    Pattern { text: b"PORT", name: "PORT", skip: Some(b' '), term: b'\r', kind: Kind::Port },
    Pattern { text: b"EPRT", name: "EPRT", skip: Some(b' '), term: b'\r', kind: Kind::Eprt },
];
const REPLY: [Pattern; 2] = [
    Pattern { text: b"227 ", name: "227 ", skip: None, term: 0, kind: Kind::Pasv },
    Pattern { text: b"229 ", name: "229 ", skip: Some(b'('), term: b')', kind: Kind::Epsv },
];

/// Tries the direction's keywords in order; the first that is not a
/// plain miss decides.
pub fn search(dir: CtDir, data: &[u8], sender: u32) -> Outcome {
    let patterns = if dir == CtDir::Original { &ORIGINAL } else { &REPLY };
    for p in patterns {
        match find(data, p, sender) {
            Some(Some(cmd)) => return Outcome::Found(cmd),
            Some(None) => return Outcome::Partial(p.name),
            None => {}
        }
    }
    Outcome::Ignore
}

/// `find_pattern`: `None` for no match, `Some(None)` for a partial one.
fn find(data: &[u8], p: &Pattern, sender: u32) -> Option<Option<Cmd>> {
    let plen = p.text.len();
    if data.len() <= plen {
        return data.eq_ignore_ascii_case(&p.text[..data.len()]).then_some(None);
    }
    if !data[..plen].eq_ignore_ascii_case(p.text) {
        return None;
    }
    let mut i = plen;
    if let Some(skip) = p.skip {
        while data[i] != skip {
            if i == data.len() - 1 {
                return Some(None);
            }
            i += 1;
        }
        i += 1;
    }
    let rest = &data[i..];
    let parsed = match p.kind {
        Kind::Port => rfc959(rest, p.term).map(|(a, port, len)| (0, a, port, len)),
        Kind::Pasv => rfc1123(rest),
        Kind::Eprt => eprt(rest).map(|(a, port, len)| (0, a, port, len)),
        Kind::Epsv => epsv(rest).map(|(port, len)| (0, sender, port, len)),
    };
    Some(parsed.map(|(skipped, addr, port, len)| Cmd { kind: p.kind, addr, port, off: i + skipped, len }))
}

/// `try_number`: `n` numbers separated by `sep`, ended by `term` (any
/// character when `term` is 0). Returns the numbers and the length read.
fn numbers<const N: usize>(data: &[u8], sep: u8, term: u8) -> Option<([u32; N], usize)> {
    let mut a = [0u32; N];
    let mut i = 0;
    for (len, &c) in data.iter().enumerate() {
        if i >= N {
            break;
        }
        if c.is_ascii_digit() {
            a[i] = a[i].wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
        } else if c == sep {
            i += 1;
        } else {
            return ((c == term || term == 0) && i == N - 1 && len > 0).then_some((a, len));
        }
    }
    None
}

/// `a,b,c,d,p1,p2`: address, port and length.
fn rfc959(data: &[u8], term: u8) -> Option<(u32, u16, usize)> {
    let (a, len) = numbers::<6>(data, b',', term)?;
    let addr = a[0].wrapping_shl(24) | a[1].wrapping_shl(16) | a[2].wrapping_shl(8) | a[3];
    Some((addr, (a[4].wrapping_shl(8) | a[5]) as u16, len))
}

/// 227's numbers wherever they start (RFC 1123 says to scan for the first
/// digit): the digits skipped, address, port and length.
fn rfc1123(data: &[u8]) -> Option<(usize, u32, u16, usize)> {
    let skipped = data.iter().position(u8::is_ascii_digit)?;
    let (addr, port, len) = rfc959(&data[skipped..], 0)?;
    Some((skipped, addr, port, len))
}

/// `get_port`: decimal digits from `start` up to `delim`, non-zero; the
/// length read including the delimiter.
fn port_until(data: &[u8], start: usize, delim: u8) -> Option<(u16, usize)> {
    let mut port = 0u16;
    for (i, &c) in data.iter().enumerate().skip(start) {
        if c == delim {
            return (port != 0).then_some((port, i + 1));
        }
        if !c.is_ascii_digit() {
            return None;
        }
        port = port.wrapping_mul(10).wrapping_add(u16::from(c - b'0'));
    }
    None
}

/// A delimiter as EPRT and EPSV allow it: printable, not a digit.
fn valid_delim(d: u8) -> bool {
    (33..=126).contains(&d) && !d.is_ascii_digit()
}

/// `|1|a.b.c.d|port|` (IPv4 only on an IPv4 connection).
fn eprt(data: &[u8]) -> Option<(u32, u16, usize)> {
    if data.len() <= 3 || !valid_delim(data[0]) || data[2] != data[0] || data[1] != b'1' {
        return None;
    }
    let delim = data[0];
    let (a, len) = numbers::<4>(&data[3..], b'.', delim)?;
    let addr = a[0].wrapping_shl(24) | a[1].wrapping_shl(16) | a[2].wrapping_shl(8) | a[3];
    let (port, end) = port_until(data, 3 + len + 1, delim)?;
    Some((addr, port, end))
}

/// `|||port|`.
fn epsv(data: &[u8]) -> Option<(u16, usize)> {
    if data.len() <= 3 || !valid_delim(data[0]) || data[1] != data[0] || data[2] != data[0] {
        return None;
    }
    port_until(data, 3, data[0])
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    const C: u32 = 0xc0a8_010a; // 192.168.1.10
    const S: u32 = 0xc633_6407; // 198.51.100.7

    fn found(dir: CtDir, text: &[u8]) -> Outcome {
        search(dir, text, if dir == CtDir::Original { C } else { S })
    }

    #[test]
    fn port_names_address_and_port_and_where_the_numbers_are() {
        let Outcome::Found(cmd) = found(CtDir::Original, b"PORT 192,168,1,10,156,64\r\n") else { panic!() };
        assert_eq!((cmd.kind, cmd.addr, cmd.port, cmd.off, cmd.len), (Kind::Port, C, 40000, 5, 19));
        let Outcome::Found(cmd) = found(CtDir::Original, b"port 192,168,1,10,0,21\r\n") else { panic!() };
        assert_eq!(cmd.port, 21, "case-insensitive");
        assert_eq!(
            found(CtDir::Original, b"PORT  192,168,1,10,0,21\r\n"),
            Outcome::Partial("PORT"),
            "only the first space is skipped"
        );
    }

    #[test]
    fn the_keyword_must_start_the_packet_and_a_prefix_is_partial() {
        assert_eq!(found(CtDir::Original, b"NOOP\r\n"), Outcome::Ignore);
        assert_eq!(found(CtDir::Original, b" PORT 1,2,3,4,5,6\r\n"), Outcome::Ignore);
        assert_eq!(found(CtDir::Original, b"POR"), Outcome::Partial("PORT"));
        assert_eq!(found(CtDir::Original, b"PORT"), Outcome::Partial("PORT"), "not longer than the keyword");
        assert_eq!(found(CtDir::Original, b"PORT 192,168,1,10,156"), Outcome::Partial("PORT"));
        assert_eq!(found(CtDir::Original, b"PORT 192,168,1,10,156,64\n"), Outcome::Partial("PORT"), "\\r required");
        assert_eq!(found(CtDir::Original, b"PORT 1,2,3,4,5,6,7\r\n"), Outcome::Partial("PORT"));
        assert_eq!(found(CtDir::Original, b"PORTX"), Outcome::Partial("PORT"), "no space to skip to");
    }

    #[test]
    fn numbers_are_not_range_checked() {
        let Outcome::Found(cmd) = found(CtDir::Original, b"PORT 10,0,1,2,256,22\r\n") else { panic!() };
        assert_eq!(cmd.port, 22, "(256 << 8 | 22) truncated to 16 bits, as 6.18 does");
    }

    #[test]
    fn eprt_and_its_delimiter_rules() {
        let Outcome::Found(cmd) = found(CtDir::Original, b"EPRT |1|192.168.1.10|40001|\r\n") else { panic!() };
        assert_eq!((cmd.kind, cmd.addr, cmd.port, cmd.off, cmd.len), (Kind::Eprt, C, 40001, 5, 22));
        let Outcome::Found(cmd) = found(CtDir::Original, b"EPRT !1!192.168.1.10!40001!\r\n") else { panic!() };
        assert_eq!(cmd.port, 40001, "any printable non-digit delimiter");
        assert_eq!(found(CtDir::Original, b"EPRT |2|::1|40001|\r\n"), Outcome::Partial("EPRT"), "IPv6 on IPv4");
        assert_eq!(found(CtDir::Original, b"EPRT |1|192.168.1.10|0|\r\n"), Outcome::Partial("EPRT"), "port 0");
        assert_eq!(found(CtDir::Original, b"EPRT 1|1|192.168.1.10|5|\r\n"), Outcome::Partial("EPRT"));
    }

    #[test]
    fn pasv_scans_for_the_first_digit_and_epsv_needs_three_delimiters() {
        let Outcome::Found(cmd) = found(CtDir::Reply, b"227 Entering Passive Mode (198,51,100,7,195,80).\r\n") else {
            panic!()
        };
        assert_eq!((cmd.kind, cmd.addr, cmd.port, cmd.off, cmd.len), (Kind::Pasv, S, 50000, 27, 19));
        let Outcome::Found(cmd) = found(CtDir::Reply, b"227 =198,51,100,7,195,80\r\n") else { panic!() };
        assert_eq!(cmd.off, 5);
        assert_eq!(found(CtDir::Reply, b"227 no numbers here\r\n"), Outcome::Partial("227 "));
        let Outcome::Found(cmd) = found(CtDir::Reply, b"229 Entering Extended Passive Mode (|||50001|)\r\n") else {
            panic!()
        };
        assert_eq!((cmd.kind, cmd.addr, cmd.port, cmd.off, cmd.len), (Kind::Epsv, S, 50001, 36, 9));
        assert_eq!(found(CtDir::Reply, b"229 (||50001|)\r\n"), Outcome::Partial("229 "));
        assert_eq!(found(CtDir::Reply, b"PORT 1,2,3,4,5,6\r\n"), Outcome::Ignore, "PORT is the client's");
    }

    #[test]
    fn the_first_line_of_each_direction_is_not_read() {
        let mut l = Lines::default();
        let port = b"PORT 192,168,1,10,156,64\r\n";
        assert_eq!(help(&mut l, CtDir::Original, true, 100, port, C), Outcome::Ignore);
        // Now the next line starts at 126.
        assert!(matches!(help(&mut l, CtDir::Original, true, 126, port, C), Outcome::Found(_)));
        assert_eq!(help(&mut l, CtDir::Reply, true, 126, b"227 1,2,3,4,5,6\r\n", S), Outcome::Ignore, "per direction");
        assert_eq!(help(&mut l, CtDir::Original, false, 152, port, C), Outcome::Ignore, "NEW is not read");
    }

    #[test]
    fn two_line_starts_are_remembered_and_the_older_replaced() {
        let mut l = Lines::default();
        for seq in [10, 20, 30] {
            l.remember(0, seq);
        }
        assert!(!l.is_line_start(0, 10));
        assert!(l.is_line_start(0, 20) && l.is_line_start(0, 30));
        l.remember(0, 5);
        assert!(l.is_line_start(0, 20), "an older position replaces nothing");
    }

    #[test]
    fn a_partial_match_does_not_move_the_line_start() {
        let mut l = Lines::default();
        l.remember(0, 1);
        assert_eq!(help(&mut l, CtDir::Original, true, 1, b"PORT 1,2\n", C), Outcome::Partial("PORT"));
        assert!(!l.is_line_start(0, 10), "the dropped packet's newline is not remembered");
    }

    /// What the whole stream, cut into `cuts` segments, makes the helper
    /// find: the commands found, in order.
    fn stream(text: &[u8], cuts: &[usize]) -> Vec<Outcome> {
        let mut l = Lines::default();
        l.remember(0, 0);
        let mut bounds: Vec<usize> = cuts.iter().copied().filter(|&c| c > 0 && c < text.len()).collect();
        bounds.sort_unstable();
        bounds.dedup();
        bounds.insert(0, 0);
        bounds.push(text.len());
        bounds
            .windows(2)
            .map(|w| help(&mut l, CtDir::Original, true, w[0] as u32, &text[w[0]..w[1]], C))
            .filter(|o| *o != Outcome::Ignore)
            .collect()
    }

    proptest! {
        /// Random cuts of a control stream into segments: a command is found
        /// (as when each line is its own segment) exactly when a segment
        /// starts at its line (the previous segment ended with that line's
        /// newline) and that segment holds the command up to where its
        /// parser stops: PORT's numbers end at the `\r`, EPRT ends at its
        /// closing delimiter. A command cut before that is a partial match,
        /// and one in the middle of a segment is never read.
        #[test]
        fn random_splits_find_what_linux_finds(cuts in prop::collection::vec(0usize..72, 0..6)) {
            let text = b"USER ftp\r\nPORT 192,168,1,10,156,64\r\nLIST\r\nEPRT |1|192.168.1.10|40001|\r\n";
            let whole = stream(text, &[10, 36, 42]);
            prop_assert_eq!(whole.len(), 2);
            let got = stream(text, &cuts);
            // (line start, the last byte its parser must see)
            let port_end = 10 + text[10..].iter().position(|&b| b == b'\r').unwrap();
            let eprt_end = text.iter().rposition(|&b| b == b'|').unwrap();
            for (i, (start, last)) in [(10usize, port_end), (42, eprt_end)].into_iter().enumerate() {
                let next_cut = cuts.iter().copied().filter(|&c| c > start).min().unwrap_or(text.len());
                let expected = cuts.contains(&start) && next_cut > last;
                prop_assert_eq!(got.contains(&whole[i]), expected, "line at {} cuts {:?}", start, cuts);
            }
        }
    }
}
