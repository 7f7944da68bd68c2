//! One line of `verdicts.jsonl` per replayed packet.
//!
//! Written by hand rather than through serde: it runs once per packet, into
//! one reused buffer, and every string in it is nfsim's own (interface names
//! are escaped once, up front). The capture's second changes rarely, so its
//! digits are kept from one line to the next.

use super::Record;
use super::replay::Ingress;
use crate::net::{DropReason, Fate, Outcome};
use crate::skb::IfIndex;
use std::fmt::Write as _;

/// What netfilter made of the packet, for its line.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Netfilter<'a> {
    /// The deciding rule (`filter/FORWARD/3`).
    pub rule: Option<&'a str>,
    /// The conntrack state.
    pub ct: Option<crate::xt::CtState>,
    /// A NATed packet's addresses as it left.
    pub nat: Option<crate::netfilter::Endpoints>,
}

/// Reused buffers for verdict lines.
#[derive(Default)]
pub(super) struct VerdictLine {
    out: Vec<u8>,
    text: String,
    secs: Option<(u64, Vec<u8>)>,
    /// The last deciding rule's text and its JSON string: most packets in a
    /// row are decided by the same rule, so it is escaped once per run.
    rule: (String, Vec<u8>),
}

impl VerdictLine {
    /// The JSON line for one packet, newline included.
    pub(super) fn render(
        &mut self,
        record: &Record<'_>,
        names: &[Vec<u8>],
        ingress: Ingress,
        outcome: Option<Outcome>,
        nf: Netfilter<'_>,
    ) -> &[u8] {
        let Netfilter { rule, ct, nat } = nf;
        let out = &mut self.out;
        out.clear();
        let name = |i: IfIndex| names.get(i as usize - 1).map_or(&b"\"?\""[..], |n| n.as_slice());
        let (secs, nanos) = record.ts.secs_nanos();
        out.extend_from_slice(b"{\"index\":");
        push_u64(out, record.index);
        out.extend_from_slice(b",\"time\":\"");
        match &self.secs {
            Some((s, digits)) if *s == secs => out.extend_from_slice(digits),
            _ => {
                let mut digits = Vec::new();
                push_u64(&mut digits, secs);
                out.extend_from_slice(&digits);
                self.secs = Some((secs, digits));
            }
        }
        out.push(b'.');
        push_padded9(out, nanos);
        out.extend_from_slice(b"\",\"ingress\":");
        match ingress {
            Ingress::Iface(i) => out.extend_from_slice(name(i)),
            Ingress::Skip(_) => out.extend_from_slice(b"null"),
        }
        let (verdict, fate, egress, reason): (&str, &str, Option<IfIndex>, Option<DropReason>) =
            match (ingress, outcome.map(|o| o.fate)) {
                (Ingress::Skip(_), _) | (_, None) => ("skip", "skip", None, None),
                (_, Some(Fate::Local)) => ("accept", "local", None, None),
                (_, Some(Fate::Forwarded { oif })) => ("accept", "forward", Some(oif), None),
                (_, Some(f @ Fate::Bridged { .. })) => ("accept", "forward", f.bridge_ports().next(), None),
                (_, Some(Fate::Arp)) => ("accept", "arp", None, None),
                (_, Some(Fate::Queued)) => ("accept", "queued", None, None),
                (_, Some(Fate::Dropped(r))) => ("drop", "drop", None, Some(r)),
            };
        out.extend_from_slice(b",\"verdict\":\"");
        out.extend_from_slice(verdict.as_bytes());
        out.extend_from_slice(b"\",\"fate\":\"");
        out.extend_from_slice(fate.as_bytes());
        out.extend_from_slice(b"\",\"egress\":");
        match egress {
            Some(i) => out.extend_from_slice(name(i)),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"reason\":");
        let text = &mut self.text;
        match (ingress, reason) {
            (Ingress::Skip(why), _) => push_ours(out, why),
            // The common reason without the formatting machinery; the
            // same words as its `Display`.
            (_, Some(DropReason::Netfilter(hook))) => {
                out.extend_from_slice(b"\"netfilter ");
                out.extend_from_slice(hook.chain_name().as_bytes());
                out.push(b'"');
            }
            (_, Some(r)) => {
                text.clear();
                let _ = write!(text, "{r}");
                push_ours(out, text);
            }
            _ => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"reply\":");
        match outcome.and_then(|o| o.reply) {
            Some(reply) => {
                text.clear();
                let _ = write!(text, "{reply}");
                push_ours(out, text);
            }
            None => out.extend_from_slice(b"null"),
        }
        if let Some(state) = ct {
            out.extend_from_slice(b",\"ct\":\"");
            out.extend_from_slice(match state {
                crate::xt::CtState::Invalid => b"INVALID".as_slice(),
                crate::xt::CtState::New => b"NEW",
                crate::xt::CtState::Established => b"ESTABLISHED",
                crate::xt::CtState::Related => b"RELATED",
                crate::xt::CtState::Untracked => b"UNTRACKED",
            });
            out.push(b'"');
        }
        if let Some(rule) = rule {
            out.extend_from_slice(b",\"rule\":");
            let (text, json) = &mut self.rule;
            if text != rule || json.is_empty() {
                text.clear();
                text.push_str(rule);
                json.clear();
                push_str(json, rule);
            }
            out.extend_from_slice(json);
        }
        if let Some(e) = nat {
            // Digits straight into the line: this runs for every NATed packet.
            out.extend_from_slice(b",\"nat\":\"");
            push_endpoint(out, e.src, e.ports.map(|p| p.0));
            out.extend_from_slice(b" > ");
            push_endpoint(out, e.dst, e.ports.map(|p| p.1));
            out.push(b'"');
        }
        out.extend_from_slice(b"}\n");
        out
    }
}

/// Two decimal digits at a time.
const DIGITS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `a.b.c.d[:port]`, laid out in a stack buffer and appended at once (one
/// capacity check instead of one per digit group).
fn push_endpoint(out: &mut Vec<u8>, addr: std::net::Ipv4Addr, port: Option<u16>) {
    // Each octet is copied whole from a table (4 bytes, of which its length
    // count), so the address costs no division; the port takes two pairs of
    // digits from `DIGITS` and a leading digit.
    let mut buf = [0u8; 24];
    let mut n = 0;
    for (i, octet) in addr.octets().into_iter().enumerate() {
        let text = OCTETS[octet as usize];
        buf[n..n + 4].copy_from_slice(&text);
        n += usize::from(text[3]);
        if i < 3 {
            buf[n] = b'.';
            n += 1;
        }
    }
    if let Some(p) = port {
        buf[n] = b':';
        n += 1;
        let mut digits = [0u8; 5];
        let hi = usize::from(p / 100);
        let lo = usize::from(p % 100) * 2;
        digits[3..5].copy_from_slice(&DIGITS[lo..lo + 2]);
        digits[1..3].copy_from_slice(&DIGITS[(hi % 100) * 2..(hi % 100) * 2 + 2]);
        digits[0] = b'0' + (hi / 100) as u8;
        let lead = digits[..4].iter().take_while(|&&d| d == b'0').count();
        let len = 5 - lead;
        buf[n..n + len].copy_from_slice(&digits[lead..]);
        n += len;
    }
    out.extend_from_slice(&buf[..n]);
}

/// The decimal text of every octet: up to 3 digits, then the digit count in
/// the last byte (overwritten by what follows the octet).
const OCTETS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let v = i as u8;
        t[i] = if v >= 100 {
            [b'0' + v / 100, b'0' + v / 10 % 10, b'0' + v % 10, 3]
        } else if v >= 10 {
            [b'0' + v / 10, b'0' + v % 10, 0, 2]
        } else {
            [b'0' + v, 0, 0, 1]
        };
        i += 1;
    }
    t
};

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGITS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGITS[d..d + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_padded9(out: &mut Vec<u8>, n: u32) {
    // Two digits per division; the leading one alone. Nanoseconds are below
    // 10^9, so nine digits hold them (larger values keep their last nine).
    let mut digits = [b'0'; 9];
    let mut n = n % 1_000_000_000;
    for at in [7, 5, 3, 1] {
        let d = (n % 100) as usize * 2;
        n /= 100;
        digits[at..at + 2].copy_from_slice(&DIGITS[d..d + 2]);
    }
    digits[0] = b'0' + n as u8;
    out.extend_from_slice(&digits);
}

/// A JSON string made of nfsim's own words, which never need escaping.
fn push_ours(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20), "{s:?} needs escaping");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether `s` holds a byte JSON escapes. No early exit: a fold over every
/// byte compiles to a vector loop, faster on the short names met here.
fn needs_escape(s: &str) -> bool {
    s.bytes().fold(false, |acc, b| acc | (b == b'"') | (b == b'\\') | (b < 0x20))
}

/// A JSON string; escapes what JSON requires.
pub(super) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if !needs_escape(s) {
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[(b >> 4) as usize]);
                out.push(b"0123456789abcdef"[(b & 15) as usize]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn endpoints_print_as_display_does() {
        for (a, p) in [([0, 0, 0, 0], Some(0u16)), ([255, 255, 255, 255], Some(65535)), ([10, 0, 0, 1], None)] {
            let mut out = Vec::new();
            push_endpoint(&mut out, a.into(), p);
            let addr = std::net::Ipv4Addr::from(a);
            let want = p.map_or(addr.to_string(), |p| format!("{addr}:{p}"));
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
        // Every octet in every position, and ports of each digit count.
        for o in 0..=255u8 {
            let p = [0u16, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535][usize::from(o) % 10]
                .saturating_add(u16::from(o % 3));
            let a = [o, 255 - o, o / 3, o.wrapping_mul(7)];
            let mut out = Vec::new();
            push_endpoint(&mut out, a.into(), Some(p));
            assert_eq!(String::from_utf8(out).unwrap(), format!("{}:{p}", std::net::Ipv4Addr::from(a)));
        }
    }

    #[test]
    fn numbers_print_as_decimal() {
        for n in [0u64, 7, 10, 99, 100, 101, 12345, 1_767_225_600, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
        let mut out = Vec::new();
        push_padded9(&mut out, 5_000_000);
        assert_eq!(out, b"005000000");
        for n in [0u32, 1, 9, 10, 99, 100, 12_345_678, 999_999_999] {
            out.clear();
            push_padded9(&mut out, n);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), format!("{n:09}"));
        }
    }

    #[test]
    fn strings_are_escaped_as_json_requires() {
        let mut out = Vec::new();
        push_str(&mut out, "a\"b\\c\n");
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "a\"b\\c\n");
        out.clear();
        push_str(&mut out, "filter/FORWARD/12");
        assert_eq!(out, b"\"filter/FORWARD/12\"");
    }
}
