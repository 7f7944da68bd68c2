//! One line of `verdicts.jsonl` per replayed packet.
//!
//! Written by hand rather than through serde: it runs once per packet, into
//! one reused buffer, and every string in it is nfsim's own (interface names
//! and the deciding rule arrive escaped). The buffer is kept longer than the
//! line can get, so each piece is one bounds-checked store of a known size
//! (no capacity check, no call to `memcpy` for a short piece), and numbers
//! are written digit pairs at a time straight into it. The capture's second
//! changes rarely, so its digits are kept from one line to the next. The
//! line's middle (ingress, verdict, fate, egress, reason, reply, conntrack
//! state, rule) takes a few values that packets share: each middle is kept,
//! keyed by those values, and copied whole when they come again, so most
//! lines are laid out as index, time, one copy and the NAT endpoints,
//! themselves kept per flow direction ([`NatTexts`]) and copied whole.

use super::Record;
use super::digits::{Digits, PAIRS, digits_of};
use super::nat_text::{NatTexts, TAIL};
use super::replay::Ingress;
use super::rule_names::RuleName;
use crate::net::{DropReason, Fate, Outcome};
use crate::skb::IfIndex;
use crate::xt::CtState;
use std::fmt::Write as _;

/// What netfilter made of the packet, for its line.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Netfilter<'a> {
    /// The deciding rule (its JSON string is `"filter/FORWARD/3"`).
    pub rule: Option<RuleName<'a>>,
    /// The conntrack state.
    pub ct: Option<CtState>,
    /// A NATed packet's addresses as it left.
    pub nat: Option<crate::netfilter::Endpoints>,
}

/// Room for every piece of a line but its strings of unbounded length
/// (interface names, the rule, drop and reply texts): the literals, three
/// numbers of at most 20 digits, the block of [`TAIL`] bytes the NAT
/// endpoints and the line's end are copied in, with slack for the 16-byte stores that overshoot a short piece.
const FIXED: usize = 512;

/// Reused buffers for verdict lines.
#[derive(Default)]
pub(super) struct VerdictLine {
    /// Longer than the line; its first `n` bytes are the line.
    buf: Vec<u8>,
    text: String,
    /// The last packet index and its digits.
    index: Option<(u64, Digits)>,
    /// The last capture second and its digits.
    secs: Option<(u64, Digits)>,
    /// Middles written before, by the slot of their key ([`MIDDLES`] once
    /// the first line is rendered).
    middles: Vec<(Option<MiddleKey>, Vec<u8>)>,
    /// The NAT endpoints' text, by flow direction.
    nats: NatTexts,
}

/// The line being laid out: `buf[..n]`, with `buf` long enough for the
/// whole line (its length is reckoned first).
struct Out<'a> {
    buf: &'a mut [u8],
    n: usize,
}

impl Out<'_> {
    /// A piece of known length.
    #[inline(always)]
    fn lit<const N: usize>(&mut self, s: &[u8; N]) {
        self.buf[self.n..self.n + N].copy_from_slice(s);
        self.n += N;
    }

    /// A piece of any length: a short one as two overlapping stores of a
    /// fixed size, no call.
    #[inline(always)]
    fn put(&mut self, s: &[u8]) {
        let (n, len) = (self.n, s.len());
        let at = &mut self.buf[n..];
        match len {
            0 => {}
            1..=3 => {
                at[0] = s[0];
                at[len / 2] = s[len / 2];
                at[len - 1] = s[len - 1];
            }
            4..=8 => {
                at[..4].copy_from_slice(&s[..4]);
                at[len - 4..len].copy_from_slice(&s[len - 4..]);
            }
            9..=16 => {
                at[..8].copy_from_slice(&s[..8]);
                at[len - 8..len].copy_from_slice(&s[len - 8..]);
            }
            17..=32 => {
                at[..16].copy_from_slice(&s[..16]);
                at[len - 16..len].copy_from_slice(&s[len - 16..]);
            }
            33..=64 => {
                at[..32].copy_from_slice(&s[..32]);
                at[len - 32..len].copy_from_slice(&s[len - 32..]);
            }
            _ => at[..len].copy_from_slice(s),
        }
        self.n += len;
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf[self.n] = b;
        self.n += 1;
    }

    /// A JSON string made of nfsim's own words, which never need escaping.
    fn ours(&mut self, s: &str) {
        debug_assert!(!needs_escape(s), "{s:?} needs escaping");
        self.byte(b'"');
        self.put(s.as_bytes());
        self.byte(b'"');
    }
}

/// The verdict and fate of each kind of outcome, padded with spaces to
/// one length: a store of a known size, then the padding given back.
const FATES: [&[u8; 36]; 6] = [
    b",\"verdict\":\"skip\",\"fate\":\"skip\"     ",
    b",\"verdict\":\"accept\",\"fate\":\"local\"  ",
    b",\"verdict\":\"accept\",\"fate\":\"forward\"",
    b",\"verdict\":\"accept\",\"fate\":\"arp\"    ",
    b",\"verdict\":\"accept\",\"fate\":\"queued\" ",
    b",\"verdict\":\"drop\",\"fate\":\"drop\"     ",
];

/// What a line's middle (from the ingress to the rule) is made of, when
/// nothing in it needs `Display` text: packets in a row mostly share it.
/// Packed in two words, so that finding a kept middle costs a hash and
/// two compares: the ingress and the egress (plus one, 0 for none) in the
/// first; the conntrack state and the hook of a netfilter drop (each plus
/// one, 0 for none), the index into [`FATES`] and the rule's
/// [`RuleName::id`] (plus one, 0 for none) in the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MiddleKey([u64; 2]);

/// Rule ids from here on are not packed (their lines are laid out afresh).
const RULE_IDS: u64 = 1 << 40;

impl MiddleKey {
    /// The key of the middle for these pieces, unless a piece of it is
    /// text of its own (a skip's reason, a drop reason or reply through
    /// `Display`), or too large to pack: those are rare.
    #[inline(always)]
    fn of(ingress: Ingress, outcome: Option<Outcome>, nf: &Netfilter<'_>) -> Option<MiddleKey> {
        let Ingress::Iface(ingress) = ingress else { return None };
        let (fate, egress, dropped_in) = match outcome {
            None => (0, None, None),
            Some(Outcome { reply: Some(_), .. }) => return None,
            Some(Outcome { fate, reply: None }) => match fate {
                Fate::Local => (1, None, None),
                Fate::Forwarded { oif } => (2, Some(oif), None),
                f @ Fate::Bridged { .. } => (2, f.bridge_ports().next(), None),
                Fate::Arp => (3, None, None),
                Fate::Queued => (4, None, None),
                Fate::Dropped(DropReason::Netfilter(hook)) => (5, None, Some(hook)),
                Fate::Dropped(_) => return None,
            },
        };
        let egress = match egress {
            None => 0,
            Some(e) if e < u32::MAX => u64::from(e) + 1,
            Some(_) => return None,
        };
        let rule = match nf.rule {
            None => 0,
            Some(r) if r.id < RULE_IDS => r.id + 1,
            Some(_) => return None,
        };
        let ct = nf.ct.map_or(0, |c| c as u64 + 1);
        let hook = dropped_in.map_or(0, |h| h as u64 + 1);
        Some(MiddleKey([u64::from(ingress) | egress << 32, ct | hook << 4 | fate << 8 | rule << 16]))
    }

    /// Its slot among [`MIDDLES`], by multiplicative hashing.
    #[inline(always)]
    fn slot(&self) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let [a, b] = self.0;
        ((a.wrapping_mul(K) ^ b).wrapping_mul(K) >> (64 - MIDDLES.trailing_zeros())) as usize
    }
}

/// Middles kept, each in the slot its key hashes to.
const MIDDLES: usize = 64;

/// The pieces of one line, sorted out of the packet's outcome.
struct Pieces<'a> {
    ingress: Ingress,
    fate: u8,
    egress: Option<IfIndex>,
    reason: Option<DropReason>,
    reply: Option<crate::net::Reply>,
    nf: Netfilter<'a>,
}

impl Pieces<'_> {
    fn new(ingress: Ingress, outcome: Option<Outcome>, nf: Netfilter<'_>) -> Pieces<'_> {
        let (fate, egress, reason) = match (ingress, outcome.map(|o| o.fate)) {
            (Ingress::Skip(_), _) | (_, None) => (0, None, None),
            (_, Some(Fate::Local)) => (1, None, None),
            (_, Some(Fate::Forwarded { oif })) => (2, Some(oif), None),
            (_, Some(f @ Fate::Bridged { .. })) => (2, f.bridge_ports().next(), None),
            (_, Some(Fate::Arp)) => (3, None, None),
            (_, Some(Fate::Queued)) => (4, None, None),
            (_, Some(Fate::Dropped(r))) => (5, None, Some(r)),
        };
        Pieces { ingress, fate, egress, reason, reply: outcome.and_then(|o| o.reply), nf }
    }
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
        let key = MiddleKey::of(ingress, outcome, &nf);
        if self.middles.is_empty() {
            self.middles = (0..MIDDLES).map(|_| (None, Vec::new())).collect();
        }
        let slot = key.map_or(0, |k| k.slot());
        if key.is_some() && self.middles[slot].0 == key {
            // Most lines: the middle written for an earlier packet.
            let need = FIXED + self.middles[slot].1.len();
            if self.buf.len() < need {
                self.buf.resize(need, 0);
            }
            let mut o = Out { buf: &mut self.buf, n: 0 };
            head(&mut o, &mut self.index, &mut self.secs, record);
            o.put(&self.middles[slot].1);
            tail(&mut o, &mut self.nats, nf.nat);
            let n = o.n;
            return &self.buf[..n];
        }
        let p = Pieces::new(ingress, outcome, nf);
        let n = self.render_new(record, names, &p, key, slot);
        &self.buf[..n]
    }

    /// [`VerdictLine::render`] for a line whose middle is not kept: laid
    /// out piece by piece (and kept, when it has a key). Out of line, so
    /// that the common path stays short.
    #[cold]
    #[inline(never)]
    fn render_new(
        &mut self,
        record: &Record<'_>,
        names: &[Vec<u8>],
        p: &Pieces<'_>,
        key: Option<MiddleKey>,
        slot: usize,
    ) -> usize {
        let ingress = p.ingress;
        let name = |i: IfIndex| names.get((i as usize).wrapping_sub(1)).map_or(&b"\"?\""[..], |n| n.as_slice());
        // Texts through `Display` (rare) come first, so that the line's
        // length is known before it is laid out: the reason's, then the reply's.
        let text = &mut self.text;
        text.clear();
        if let (Ingress::Iface(_), Some(r)) = (ingress, p.reason)
            && !matches!(r, DropReason::Netfilter(_))
        {
            let _ = write!(text, "{r}");
        }
        let reason_len = text.len();
        if let Some(reply) = p.reply {
            let _ = write!(text, "{reply}");
        }
        let why = match ingress {
            Ingress::Skip(why) => why.len(),
            Ingress::Iface(i) => name(i).len(),
        };
        let rule_len = p.nf.rule.map_or(0, |r| r.json.len());
        let need = FIXED + why + p.egress.map_or(0, |i| name(i).len()) + rule_len + text.len();
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        let mut o = Out { buf: &mut self.buf, n: 0 };
        head(&mut o, &mut self.index, &mut self.secs, record);
        let start = o.n;
        middle(&mut o, p, name, &self.text, reason_len);
        if let Some(k) = key {
            let (kept, bytes) = &mut self.middles[slot];
            *kept = Some(k);
            bytes.clear();
            bytes.extend_from_slice(&o.buf[start..o.n]);
        }
        tail(&mut o, &mut self.nats, p.nf.nat);
        o.n
    }
}

/// The index and the time.
#[inline(always)]
fn head(o: &mut Out<'_>, index: &mut Option<(u64, Digits)>, secs: &mut Option<(u64, Digits)>, record: &Record<'_>) {
    o.lit(b"{\"index\":");
    let (digits, len) = digits_of(index, record.index);
    o.put(&digits[..*len]);
    o.lit(b",\"time\":\"");
    let (s, nanos) = record.ts.secs_nanos();
    let (digits, len) = digits_of(secs, s);
    o.put(&digits[..*len]);
    o.byte(b'.');
    put_padded9(o, nanos);
}

/// From the ingress to the rule. `text` holds the drop reason's `Display`
/// (its first `reason_len` bytes) and the reply's.
fn middle<'n>(o: &mut Out<'_>, p: &Pieces<'_>, name: impl Fn(IfIndex) -> &'n [u8], text: &str, reason_len: usize) {
    o.lit(b"\",\"ingress\":");
    match p.ingress {
        Ingress::Iface(i) => o.put(name(i)),
        Ingress::Skip(_) => o.lit(b"null"),
    }
    let fate = FATES[usize::from(p.fate)];
    o.lit(fate);
    o.n -= fate.iter().rev().take_while(|&&b| b == b' ').count();
    o.lit(b",\"egress\":");
    match p.egress {
        Some(i) => o.put(name(i)),
        None => o.lit(b"null"),
    }
    if let (Ingress::Iface(_), None, None) = (p.ingress, p.reason, p.reply) {
        // The common case: neither a drop reason nor a reply to tell.
        o.lit(b",\"reason\":null,\"reply\":null");
    } else {
        o.lit(b",\"reason\":");
        match (p.ingress, p.reason) {
            (Ingress::Skip(why), _) => o.ours(why),
            // The common reason without the formatting machinery; the
            // same words as its `Display`.
            (_, Some(DropReason::Netfilter(hook))) => {
                o.lit(b"\"netfilter ");
                o.put(hook.chain_name().as_bytes());
                o.byte(b'"');
            }
            (_, Some(_)) => o.ours(&text[..reason_len]),
            _ => o.lit(b"null"),
        }
        o.lit(b",\"reply\":");
        match p.reply {
            Some(_) => o.ours(&text[reason_len..]),
            None => o.lit(b"null"),
        }
    }
    match p.nf.ct {
        None => {}
        Some(CtState::Invalid) => o.lit(b",\"ct\":\"INVALID\""),
        Some(CtState::New) => o.lit(b",\"ct\":\"NEW\""),
        Some(CtState::Established) => o.lit(b",\"ct\":\"ESTABLISHED\""),
        Some(CtState::Related) => o.lit(b",\"ct\":\"RELATED\""),
        Some(CtState::Untracked) => o.lit(b",\"ct\":\"UNTRACKED\""),
    }
    if let Some(rule) = p.nf.rule {
        o.lit(b",\"rule\":");
        o.put(rule.json);
    }
}

/// The NAT endpoints, and the end of the line.
#[inline(always)]
fn tail(o: &mut Out<'_>, nats: &mut NatTexts, nat: Option<crate::netfilter::Endpoints>) {
    match nat {
        Some(e) => {
            // The whole block: a store of known size; what it holds past
            // the text is overwritten or past the line.
            let (text, len) = nats.tail(e);
            o.lit(text);
            o.n -= TAIL - len;
        }
        None => o.lit(b"}\n"),
    }
}

/// `v` in decimal.
#[cfg(test)]
fn put_u64(o: &mut Out<'_>, v: u64) {
    let (digits, len) = super::digits::decimal(v);
    o.put(&digits[..len]);
}

/// Nine digits, zero-padded. Nanoseconds are below 10^9, so nine digits
/// hold them (larger values keep their last nine). The first digit by
/// division; the other eight as a binary fraction of 10^6 (times 2^32,
/// rounded up), whose integer part is the next two digits each time it is
/// multiplied by 100: four multiplications instead of four divisions.
/// Rounding up by less than 10^-6 keeps every digit exact (checked for
/// every value below 10^9).
#[inline(always)]
fn put_padded9(o: &mut Out<'_>, n: u32) {
    let at = &mut o.buf[o.n..o.n + 9];
    let n = n % 1_000_000_000;
    let top = n / 100_000_000;
    at[0] = b'0' + top as u8;
    // 281,474,977 is 2^48 / 10^6 rounded up.
    let mut y = ((u64::from(n - top * 100_000_000) * 281_474_977) >> 16) + 1;
    for i in [1, 3, 5, 7] {
        // Below 100; the mask only spares a bounds check.
        at[i..i + 2].copy_from_slice(&PAIRS[(y >> 32) as usize & 127]);
        y = (y & 0xffff_ffff) * 100;
    }
    o.n += 9;
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
    use crate::xt::Hook;

    /// What `f` lays out, as text.
    fn laid_out(f: impl FnOnce(&mut Out<'_>)) -> String {
        let mut buf = vec![0; 4 * FIXED];
        let mut o = Out { buf: &mut buf, n: 0 };
        f(&mut o);
        let n = o.n;
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn kept_middles_give_the_lines_a_fresh_layout_gives() {
        use crate::net::Reply;
        let names = [b"\"lan0\"".to_vec(), b"\"wan0\"".to_vec()];
        let rules = [b"\"filter/FORWARD/1\"".to_vec(), b"\"filter/FORWARD/10\"".to_vec()];
        let fates = [
            Fate::Local,
            Fate::Forwarded { oif: 1 },
            Fate::Forwarded { oif: 2 },
            Fate::Dropped(DropReason::Netfilter(Hook::Forward)),
            Fate::Dropped(DropReason::Netfilter(Hook::Input)),
            Fate::Dropped(DropReason::NoRoute),
        ];
        let cts = [None, Some(CtState::New), Some(CtState::Established)];
        let replies = [None, None, None, Some(Reply::TcpReset)];
        let mut kept = VerdictLine::default();
        let mut x = 12345u64;
        for index in 0..2000u64 {
            // A fixed xorshift draws each piece, so that pieces repeat and differ.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pick = |shift: u32, n: usize| (x >> shift) as usize % n;
            let record = Record {
                index,
                ts: crate::engine::Instant::from_nanos(1_735_689_600_000_000_000 + index * 7_000),
                orig_len: 60,
                data: &[],
                link: super::super::LinkType::Ethernet,
                interface: None,
                direction: None,
            };
            let ingress = if pick(1, 16) == 0 {
                Ingress::Skip("outbound in capture")
            } else {
                Ingress::Iface(1 + pick(5, 2) as u32)
            };
            let outcome = Some(Outcome { fate: fates[pick(9, fates.len())], reply: replies[pick(13, replies.len())] });
            let rule = match pick(17, 3) {
                0 => None,
                r => Some(RuleName { id: r as u64, json: &rules[r - 1] }),
            };
            let nat = (pick(21, 2) == 0).then(|| crate::netfilter::Endpoints {
                src: [10, 0, 0, (x >> 24) as u8].into(),
                dst: [192, 0, 2, 1].into(),
                ports: Some(((x >> 32) as u16, 443)),
            });
            let nf = Netfilter { rule, ct: cts[pick(25, cts.len())], nat };
            let got = kept.render(&record, &names, ingress, outcome, nf).to_vec();
            let want = VerdictLine::default().render(&record, &names, ingress, outcome, nf).to_vec();
            assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        }
    }

    #[test]
    fn numbers_print_as_decimal() {
        for n in [0u64, 7, 10, 99, 100, 101, 12345, 1_767_225_600, u64::MAX] {
            assert_eq!(laid_out(|o| put_u64(o, n)), n.to_string());
        }
        // Counted on one at a time, across every carry; kept; jumped.
        let mut cache = None;
        for n in (0..1200u64).chain([1200, 99_999, 100_000, 7, u64::MAX - 1, u64::MAX, 0]) {
            let (d, len) = digits_of(&mut cache, n);
            assert_eq!(&d[..*len], n.to_string().as_bytes());
        }
        assert_eq!(laid_out(|o| put_padded9(o, 5_000_000)), "005000000");
        for n in [0u32, 1, 9, 10, 99, 100, 12_345_678, 999_999_999] {
            assert_eq!(laid_out(|o| put_padded9(o, n)), format!("{n:09}"));
        }
        // The fraction's rounding, across the range (every value was
        // checked once, outside the suite; a prime stride samples it).
        for n in (0..1_000_000_000u32).step_by(9_973).chain(99_999_990..100_000_010) {
            assert_eq!(laid_out(|o| put_padded9(o, n)), format!("{n:09}"));
        }
    }

    #[test]
    fn pieces_of_every_length_are_copied_whole() {
        let text: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=text.len() {
            let s = &text[..len];
            let got = laid_out(|o| {
                o.lit(b"<");
                o.put(s);
                o.lit(b">");
            });
            assert_eq!(got.as_bytes(), [b"<".as_slice(), s, b">"].concat());
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
