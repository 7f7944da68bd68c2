//! The IRC helper's parser (`nf_conntrack_irc`, as tightened in 6.0):
//! finds a CTCP DCC offer in what the client sends its IRC server.
//!
//! - only the client's (ORIGINAL, ESTABLISHED) packets, the first 4095
//!   payload bytes, no line tracking (the first line is read too);
//! - after leading blanks and line ends, a packet with more than 10 bytes
//!   left must start with `PRIVMSG ` (case-insensitive);
//! - the message starts at the first ` :`, which must be followed at once
//!   by `\1DCC `; then one of `SEND `, `CHAT `, `MOVE `, `TSEND `, `SCHAT `
//!   (exact case: RESUME and ACCEPT carry no address and are left alone);
//! - then a token (file name or "chat") up to a space, a newline somewhere
//!   later in the packet, the address as one decimal number, blanks, the
//!   port in decimal.
//! - the address must be the client's own (before or after NAT) and the
//!   port non-zero, else the kernel warns `Forged DCC command` and goes on
//!   looking; the first valid offer ends the search.

/// Bytes of payload the kernel examines.
const MAX_SEARCH: usize = 4095;
/// The DCC commands that carry an address.
const COMMANDS: [&[u8]; 5] = [b"SEND ", b"CHAT ", b"MOVE ", b"TSEND ", b"SCHAT "];

/// A DCC offer: address and port, and where their text lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dcc {
    /// The address offered (host order).
    pub addr: u32,
    /// The port offered.
    pub port: u16,
    /// Offset of `ADDR PORT` in the payload.
    pub off: usize,
    /// Its length.
    pub len: usize,
}

/// Searches `payload` (the client's, ESTABLISHED) for an offer whose
/// address is `client` or `client_nat`; each other offer is passed to
/// `forged` (address, port) as the kernel warns about it.
pub fn find(payload: &[u8], client: u32, client_nat: u32, mut forged: impl FnMut(u32, u16)) -> Option<Dcc> {
    let data = &payload[..payload.len().min(MAX_SEARCH)];
    let limit = data.len();
    let mut i = 0;
    while i + 10 < limit && matches!(data[i], b' ' | b'\r' | b'\n') {
        i += 1;
    }
    if i + 10 < limit {
        if !data[i..i + 8].eq_ignore_ascii_case(b"PRIVMSG ") {
            return None;
        }
        i += 8;
    }
    while i + 26 < limit {
        if &data[i..i + 2] != b" :" {
            i += 1;
            continue;
        }
        i += 2;
        if !data[i..].starts_with(b"\x01DCC ") {
            return None;
        }
        i += 5;
        for cmd in COMMANDS {
            if !data[i..].starts_with(cmd) {
                continue;
            }
            i += cmd.len();
            let Some(dcc) = parse(payload, i, limit) else { continue };
            if (dcc.addr != client && dcc.addr != client_nat) || dcc.port == 0 {
                forged(dcc.addr, dcc.port);
                continue;
            }
            return Some(dcc);
        }
    }
    None
}

/// `parse_dcc` from `at`: skips the token, checks for a newline, reads the
/// two numbers as `simple_strtoul` does (digits only, wrapping).
fn parse(data: &[u8], at: usize, limit: usize) -> Option<Dcc> {
    let mut i = at;
    loop {
        let c = *data.get(i)?;
        i += 1;
        if c == b' ' {
            break;
        }
        if i + 12 > limit {
            return None;
        }
    }
    // The kernel looks up to and including the byte at the limit.
    data[i..data.len().min(limit + 1)].iter().position(|&c| c == b'\n')?;
    let off = i;
    let (addr, n) = decimal(&data[i..]);
    i += n;
    while data.get(i) == Some(&b' ') {
        if i >= limit {
            return None;
        }
        i += 1;
    }
    let (port, n) = decimal(&data[i..]);
    i += n;
    Some(Dcc { addr: addr as u32, port: port as u16, off, len: i - off })
}

/// Leading decimal digits as a wrapping number, and how many.
fn decimal(s: &[u8]) -> (u64, usize) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let v = s[..n].iter().fold(0u64, |v, &c| v.wrapping_mul(10).wrapping_add(u64::from(c - b'0')));
    (v, n)
}

#[cfg(test)]
mod test {
    use super::*;

    const C: u32 = 3_232_235_786; // 192.168.1.10
    const NAT: u32 = 3_405_803_777; // 203.0.113.1

    fn offer(text: &[u8]) -> (Option<Dcc>, Vec<(u32, u16)>) {
        let mut bad = Vec::new();
        let got = find(text, C, NAT, |a, p| bad.push((a, p)));
        (got, bad)
    }

    #[test]
    fn send_names_address_and_port_and_where_they_are() {
        let text = b"PRIVMSG bob :\x01DCC SEND file.txt 3232235786 5000 100\x01\r\n";
        let (got, bad) = offer(text);
        let d = got.unwrap();
        assert_eq!((d.addr, d.port), (C, 5000));
        assert_eq!(&text[d.off..d.off + d.len], b"3232235786 5000");
        assert!(bad.is_empty());
        let (got, _) = offer(b"privmsg bob :\x01DCC CHAT chat 3405803777 5001\x01\r\n");
        assert_eq!(got.map(|d| d.port), Some(5001), "the NAT address is accepted too");
    }

    #[test]
    fn resume_and_accept_are_left_alone() {
        for text in [
            &b"PRIVMSG bob :\x01DCC RESUME file.txt 5000 100\x01\r\n"[..],
            b"PRIVMSG bob :\x01DCC ACCEPT file.txt 5000 100\x01\r\n",
            b"PRIVMSG bob :\x01DCC send file.txt 3232235786 5000 100\x01\r\n",
        ] {
            assert_eq!(offer(text), (None, vec![]));
        }
    }

    #[test]
    fn a_forged_address_or_port_zero_is_reported_not_expected() {
        let (got, bad) = offer(b"PRIVMSG bob :\x01DCC CHAT chat 3232235787 5001\x01\r\n");
        assert_eq!((got, bad), (None, vec![(3_232_235_787, 5001)]));
        let (got, bad) = offer(b"PRIVMSG bob :\x01DCC CHAT chat 3232235786 0\x01\r\n");
        assert_eq!((got, bad), (None, vec![(C, 0)]));
    }

    #[test]
    fn the_message_must_be_a_privmsg_whose_first_colon_starts_the_dcc() {
        assert_eq!(offer(b"NOTICE bob :\x01DCC SEND f 3232235786 5000 1\x01\r\n").0, None);
        assert_eq!(offer(b"PRIVMSG bob :hi :\x01DCC SEND f 3232235786 5000 1\x01\r\n").0, None);
        assert!(offer(b"\r\n  PRIVMSG bob :\x01DCC SEND f 3232235786 5000 1\x01\r\n").0.is_some());
        assert_eq!(offer(b"PRIVMSG bob :\x01DCC SEND f 3232235786 5000 1\x01").0, None, "no newline");
    }
}
