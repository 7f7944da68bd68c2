//! Numbers as libxtables reads them for match options: C's `strtoumax`
//! (leading blanks, `+`, base-0 prefixes, stopping at the first non-digit)
//! behind `xtables_strtoul`'s extra rules (no `-`, a range). Several
//! extensions parse a number and then look at what follows it, so the
//! readers here return the rest of the string too.

use crate::xt::opts::{self, Error};

/// `strtoumax(s, &end, base)` for base 0 or 16: the value (saturated on
/// overflow), the bytes consumed (0 = no number) and whether it overflowed.
pub fn strtoumax(s: &str, base: u32) -> (u64, usize, bool) {
    let b = s.as_bytes();
    let mut i = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let neg = matches!(b.get(i), Some(b'-'));
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let hex_prefix = b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit());
    let radix = match base {
        0 if hex_prefix => 16,
        0 if b.get(i) == Some(&b'0') => 8,
        0 => 10,
        r => r,
    };
    if hex_prefix && radix == 16 {
        i += 2;
    }
    let start = i;
    let (mut v, mut over) = (0u64, false);
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix)) {
        match v.checked_mul(radix as u64).and_then(|x| x.checked_add(d as u64)) {
            Some(x) => v = x,
            None => over = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0, false);
    }
    if over {
        v = u64::MAX;
    }
    // C negates the value of "-N" in unsigned arithmetic.
    (if neg && !over { v.wrapping_neg() } else { v }, i, over)
}

/// `xtables_strtoul(s, &end, .., min, max)`: a number at the start of `s`
/// within `min..=max` and the rest after it; a `-` sign is refused.
pub fn strtoul_prefix(s: &str, min: u64, max: u64) -> Option<(u64, &str)> {
    if s.trim_start().starts_with('-') {
        return None;
    }
    let (v, used, over) = strtoumax(s, 0);
    (used > 0 && !over && min <= v && v <= max).then(|| (v, &s[used..]))
}

/// `xtables_strtoul(s, NULL, .., min, max)`: the whole string is the number.
pub fn strtoul_whole(s: &str, min: u64, max: u64) -> Option<u64> {
    strtoul_prefix(s, min, max).filter(|(_, rest)| rest.is_empty()).map(|x| x.0)
}

/// The x6 framework's integer option message with its range.
pub fn bad_int_range(ext: &str, opt: &str, min: u64, max: u64) -> Error {
    opts::param(format!("{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).\n"))
}

/// An x6 `UINT*` option: the whole argument, `min..=max`.
pub fn parse_int(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, Error> {
    strtoul_whole(s, min, max).ok_or_else(|| bad_int_range(ext, opt, min, max))
}

/// An x6 `UINT*RC` option (`a[:b]`, empty ends meaning 0 and `max`), as
/// length takes it; at most two parts.
pub fn parse_range(ext: &str, opt: &str, s: &str, max: u64) -> Result<(u64, u64), Error> {
    let mut vals: Vec<u64> = Vec::new();
    let mut arg = s;
    loop {
        if vals.len() == 2 {
            return Err(opts::param(format!("{ext}: Too many components for option \"--{opt}\" (max: 2)\n")));
        }
        let rest = if arg.is_empty() || arg.starts_with(':') {
            vals.push(if vals.len() == 1 { max } else { 0 });
            arg
        } else {
            let (v, rest) = strtoul_prefix(arg, 0, max).ok_or_else(|| opts::bad_value_near(ext, opt, arg, max))?;
            if !rest.is_empty() && !rest.starts_with(':') {
                return Err(opts::param(format!(
                    "{ext}: Argument to \"--{opt}\" has unexpected characters near \"{rest}\".\n"
                )));
            }
            vals.push(v);
            rest
        };
        match rest.strip_prefix(':') {
            Some(r) => arg = r,
            None => break,
        }
    }
    Ok((vals[0], *vals.get(1).unwrap_or(&vals[0])))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn strtoumax_stops_at_the_first_non_digit() {
        assert_eq!(strtoumax("0x=1", 0), (0, 1, false));
        assert_eq!(strtoumax(" 0x1f:", 0), (31, 5, false));
        assert_eq!(strtoumax("010", 0), (8, 3, false));
        assert_eq!(strtoumax("-1", 16), (u64::MAX, 2, false));
        assert_eq!(strtoumax("zz", 0), (0, 0, false));
    }

    #[test]
    fn xtables_rules_refuse_minus_and_range() {
        assert_eq!(strtoul_whole("-1", 0, 255), None);
        assert_eq!(strtoul_whole("256", 0, 255), None);
        assert_eq!(strtoul_whole(" 7", 0, 255), Some(7));
        assert_eq!(strtoul_prefix("5/x", 0, 255), Some((5, "/x")));
    }

    #[test]
    fn ranges_default_their_empty_ends() {
        assert_eq!(parse_range("l", "length", ":", 65535), Ok((0, 65535)));
        assert_eq!(parse_range("l", "length", "4:", 65535), Ok((4, 65535)));
        assert_eq!(parse_range("l", "length", "0x10", 65535), Ok((16, 16)));
        assert!(parse_range("l", "length", "1:2:3", 65535).is_err());
        assert_eq!(
            parse_range("length", "length", "-1:65535", 65535),
            Err(opts::bad_value_near("length", "length", "-1:65535", 65535))
        );
    }
}
