//! `-m u32 [!] --u32 TESTS`: arbitrary 32-bit reads from the packet.
//!
//! `TESTS := test ["&&" test]...`, `test := location "=" value["," value]...`,
//! `location := number [op number]...` with `op` one of `&`, `<<`, `>>`,
//! `@` (move to `at + value` and read again), `value := n[":"n]`. Reads
//! are big-endian words at offsets from the IPv4 header; one out of the
//! packet fails the whole match (before `!`), as in xt_u32.

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// XT_U32_MAXSIZE: numbers per location, values per test, tests per match.
const MAX: usize = 10;

/// An operator applied with the number after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `&`.
    And,
    /// `<<`.
    Shl,
    /// `>>`.
    Shr,
    /// `@`.
    At,
}

/// One `location = values` test.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Test {
    /// The first offset, then `(op, number)` steps.
    pub start: u32,
    /// Steps after the first number.
    pub steps: Vec<(Op, u32)>,
    /// Accepted inclusive ranges.
    pub values: Vec<(u32, u32)>,
}

/// The u32 match.
#[derive(Clone, Debug, Default)]
pub struct U32 {
    /// The tests, all of which must hold.
    pub tests: Vec<Test>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("u32")];

fn err(msg: String) -> Error {
    opts::param(format!("u32: {msg}"))
}

/// Reads a number at byte `pos` of `s`; errors name that position.
fn number(s: &str, pos: &mut usize) -> Result<u32, Error> {
    let rest = &s[*pos..];
    match cnum::strtoul_prefix(rest, 0, u32::MAX as u64) {
        Some((v, r)) => {
            *pos += rest.len() - r.len();
            Ok(v as u32)
        }
        None => Err(err(format!("at char {}: not a number or out of range", *pos))),
    }
}

/// Parses the test list as libxt_u32 does, character by character, with its
/// messages and positions.
pub fn parse_tests(s: &str) -> Result<Vec<Test>, Error> {
    let b = s.as_bytes();
    let (mut tests, mut cur) = (Vec::new(), Test::default());
    let (mut nums, mut in_values, mut i) = (0usize, false, 0usize);
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            if !in_values {
                return Err(err("abrupt end of input after location specifier".into()));
            }
            if cur.values.is_empty() {
                return Err(err("test ended with no value specified".into()));
            }
            tests.push(cur);
            if tests.len() > MAX {
                return Err(err(format!("at char {i}: too many \"&&\"s")));
            }
            return Ok(tests);
        };
        if !in_values {
            if c == b'=' {
                if nums == 0 {
                    return Err(err(format!("at char {i}: location spec missing")));
                }
                i += 1;
                in_values = true;
                continue;
            }
            let mut op = None;
            if nums != 0 {
                op = Some(match c {
                    b'&' => Op::And,
                    b'<' | b'>' => {
                        i += 1;
                        if b.get(i) != Some(&c) {
                            let which = c as char;
                            return Err(err(format!("at char {i}: a second '{which}' was expected")));
                        }
                        if c == b'<' { Op::Shl } else { Op::Shr }
                    }
                    b'@' => Op::At,
                    _ => return Err(err(format!("at char {i}: operator expected"))),
                });
                i += 1;
            }
            let n = number(s, &mut i)?;
            match op {
                Some(op) => cur.steps.push((op, n)),
                None => cur.start = n,
            }
            nums += 1;
            if nums > MAX {
                return Err(err(format!("at char {i}: too many operators")));
            }
        } else if c == b'&' {
            i += 1;
            if b.get(i) != Some(&b'&') {
                return Err(err(format!("at char {i}: a second '&' was expected")));
            }
            if cur.values.is_empty() {
                return Err(err(format!("at char {i}: value spec missing")));
            }
            tests.push(std::mem::take(&mut cur));
            if tests.len() > MAX {
                return Err(err(format!("at char {i}: too many \"&&\"s")));
            }
            i += 1;
            (nums, in_values) = (0, false);
        } else {
            if !cur.values.is_empty() {
                if c != b',' {
                    return Err(err(format!("at char {i}: expected \",\" or \"&&\"")));
                }
                i += 1;
            }
            let lo = number(s, &mut i)?;
            while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                i += 1;
            }
            let hi = if b.get(i) == Some(&b':') {
                i += 1;
                number(s, &mut i)?
            } else {
                lo
            };
            cur.values.push((lo, hi));
            if cur.values.len() > MAX {
                return Err(err(format!("at char {i}: too many \",\"s")));
            }
        }
    }
}

impl U32 {
    /// The tests in iptables' canonical hex form, quoted.
    fn text(&self) -> String {
        let mut out = String::from("\"");
        for (i, t) in self.tests.iter().enumerate() {
            if i > 0 {
                out.push_str("&&");
            }
            out.push_str(&format!("{:#x}", t.start));
            for (op, n) in &t.steps {
                let op = match op {
                    Op::And => "&",
                    Op::Shl => "<<",
                    Op::Shr => ">>",
                    Op::At => "@",
                };
                out.push_str(&format!("{op}{n:#x}"));
            }
            out.push('=');
            let vals: Vec<String> = t
                .values
                .iter()
                .map(|&(a, b)| if a == b { format!("{a:#x}") } else { format!("{a:#x}:{b:#x}") })
                .collect();
            out.push_str(&vals.join(","));
        }
        out.push('"');
        out
    }
}

/// The big-endian word at `pos`, if all four bytes are in the packet.
fn word(p: &[u8], pos: u64) -> Option<u32> {
    let i = usize::try_from(pos).ok()?;
    let w = p.get(i..i.checked_add(4)?)?;
    Some(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
}

/// Whether one test holds (mirrors u32_match_it's arithmetic).
fn test_holds(t: &Test, p: &[u8]) -> bool {
    let Some(mut val) = word(p, t.start as u64) else {
        return false;
    };
    let mut at: u32 = 0;
    for &(op, n) in &t.steps {
        match op {
            Op::And => val &= n,
            // C shifts on x86 take the count modulo 32.
            Op::Shl => val = val.wrapping_shl(n),
            Op::Shr => val = val.wrapping_shr(n),
            Op::At => {
                let Some(next) = at.checked_add(val) else {
                    return false;
                };
                at = next;
                match word(p, at as u64 + n as u64) {
                    Some(v) => val = v,
                    None => return false,
                }
            }
        }
    }
    t.values.iter().any(|&(lo, hi)| lo <= val && val <= hi)
}

impl Match for U32 {
    fn name(&self) -> &'static str {
        "u32"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.tests = parse_tests(args[0])?;
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.tests.is_empty() {
            return Err(opts::must_specify("u32", "u32"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!("{} --u32 {}", if self.inv { " !" } else { "" }, self.text()));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" u32{} {}", if self.inv { " !" } else { "" }, self.text()));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let p = pkt.ip();
        self.tests.iter().all(|t| test_holds(t, p)) != self.inv
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    fn u32m(arg: &str) -> U32 {
        let mut m = U32::default();
        m.parse("u32", false, &[arg], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn prints_canonical_hex() {
        let mut s = String::new();
        u32m(" 0 & 0xff = 1 : 5 , 7 && 4=2").save(&mut s);
        assert_eq!(s, " --u32 \"0x0&0xff=0x1:0x5,0x7&&0x4=0x2\"");
        let mut l = String::new();
        u32m("0>>22&0x3C@12>>26&0x3F=0x10").list(&mut l, true);
        assert_eq!(l, " u32 \"0x0>>0x16&0x3c@0xc>>0x1a&0x3f=0x10\"");
    }

    #[test]
    fn errors_name_the_position() {
        let e = |s: &str| parse_tests(s).unwrap_err();
        assert_eq!(e("garbage"), err("at char 0: not a number or out of range".into()));
        assert_eq!(e("0x=1"), err("at char 1: operator expected".into()));
        assert_eq!(e("0<1=1"), err("at char 2: a second '<' was expected".into()));
        assert_eq!(e("0&1=1&2=3"), err("at char 6: a second '&' was expected".into()));
        assert_eq!(e("0=1 2"), err("at char 4: expected \",\" or \"&&\"".into()));
        assert_eq!(e("0="), err("test ended with no value specified".into()));
        assert_eq!(e("0=1&&"), err("abrupt end of input after location specifier".into()));
        assert_eq!(e("0&1&2&3&4&5&6&7&8&9&10=1"), err("at char 22: too many operators".into()));
        assert_eq!(e("0=1,2,3,4,5,6,7,8,9,10,11"), err("at char 25: too many \",\"s".into()));
        assert_eq!(e(&["0=1"; 11].join("&&")), err("at char 53: too many \"&&\"s".into()));
    }

    #[test]
    fn reads_words_and_follows_at() {
        // TCP dport 80: IHL from byte 0, then the word at the TCP header.
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 1000, 80, 0x02), Hook::Input);
        assert!(u32m("6&0xFF=6 && 0>>22&0x3C@0>>16=1000").matches(&mut p, &mut false));
        assert!(u32m("0>>22&0x3C@0&0xFFFF=80").matches(&mut p, &mut false));
        assert!(!u32m("0>>22&0x3C@0&0xFFFF=81").matches(&mut p, &mut false));
        // Beyond the packet: no match, and `!` turns that into a match.
        let mut far = u32m("1000=0");
        assert!(!far.matches(&mut p, &mut false));
        far.inv = true;
        assert!(far.matches(&mut p, &mut false));
    }
}
