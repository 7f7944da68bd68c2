//! Option values as iptables' extensions parse them: numbers, ports and
//! services, addresses, marks; and the parameter-problem messages they give.
//!
//! Messages are written from observing iptables 1.8.9 (legacy); a message that
//! iptables ends with a newline (the x6 framework's) keeps it, because iptables
//! then prints a blank line before its "Try `iptables -h'" hint.

use std::net::Ipv4Addr;

use super::names::{PROTOCOLS, SERVICES};

/// A long option an extension takes.
#[derive(Clone, Copy, Debug)]
pub struct Opt {
    /// Name without the leading `--`.
    pub name: &'static str,
    /// How many arguments follow (0, 1, or 2 for `--tcp-flags MASK COMP`).
    pub args: u8,
    /// Whether `!` may precede it.
    pub invert: bool,
    /// Whether it may be given more than once.
    pub multi: bool,
}

impl Opt {
    /// An option with one argument, not invertible, once.
    pub const fn arg(name: &'static str) -> Opt {
        Opt { name, args: 1, invert: false, multi: false }
    }
    /// An option with one argument that `!` may precede.
    pub const fn inv(name: &'static str) -> Opt {
        Opt { name, args: 1, invert: true, multi: false }
    }
    /// A flag without argument.
    pub const fn flag(name: &'static str) -> Opt {
        Opt { name, args: 0, invert: false, multi: false }
    }
    /// This option, allowed more than once.
    pub const fn multi(self) -> Opt {
        Opt { multi: true, ..self }
    }
    /// This option, invertible.
    pub const fn invertible(self) -> Opt {
        Opt { invert: true, ..self }
    }
}

/// Why an extension refused its options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A parameter problem: iptables prints `iptables v1.8.9 (legacy): MSG`,
    /// the usage hint, and exits 2. A trailing `\n` in MSG is kept.
    Param(String),
    /// Printed as is (no version prefix), e.g. `Bad argument `x'`; exit 2.
    Bare(String),
    /// A line printed as is, then the parameter problem (REJECT's
    /// `--reject-with echo-reply no longer supported`); exit 2.
    Noted(String, String),
}

/// A parameter problem with `msg`.
pub fn param(msg: impl Into<String>) -> Error {
    Error::Param(msg.into())
}

/// The x6 framework's "bad integer value" message.
pub fn bad_int(ext: &str, opt: &str) -> Error {
    param(format!("{ext}: bad integer value for option \"--{opt}\", or out of range.\n"))
}

/// The x6 framework's "bad value ... near" message with a range.
pub fn bad_value_near(ext: &str, opt: &str, near: &str, max: u64) -> Error {
    param(format!("{ext}: bad value for option \"--{opt}\" near \"{near}\", or out of range (0-{max}).\n"))
}

/// The x6 framework's "must be specified" message.
pub fn must_specify(ext: &str, opt: &str) -> Error {
    param(format!("{ext}: option \"--{opt}\" must be specified\n"))
}

/// Parses an unsigned integer the way `strtoul(s, &end, 0)` does: decimal,
/// `0x` hex or leading-`0` octal, whole string, at most `max`.
pub fn parse_uint(s: &str, max: u64) -> Option<u64> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().filter(|v| *v <= max)
}

/// Parses `value[/mask]` (mask defaults to all ones), as mark and MARK take it.
pub fn parse_mark_mask(s: &str) -> Option<(u32, u32)> {
    let (v, m) = match s.split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (s, None),
    };
    let v = parse_uint(v, u32::MAX as u64)? as u32;
    let m = match m {
        Some(m) => parse_uint(m, u32::MAX as u64)? as u32,
        None => u32::MAX,
    };
    Some((v, m))
}

/// Prints `0xV` or `0xV/0xM` (mask omitted when all ones), as mark prints.
pub fn fmt_mark(v: u32, m: u32) -> String {
    if m == u32::MAX { format!("{v:#x}") } else { format!("{v:#x}/{m:#x}") }
}

/// The port of a service name for `proto` ("tcp", "udp", ...), via /etc/services.
pub fn service_port(name: &str, proto: &str) -> Option<u16> {
    SERVICES.iter().find(|(n, _, p, al)| *p == proto && (*n == name || al.contains(&name))).map(|s| s.1)
}

/// The service name of `port` for `proto`, as `getservbyport` returns it.
pub fn service_name(port: u16, proto: &str) -> Option<&'static str> {
    SERVICES.iter().find(|(_, p, pr, _)| *p == port && *pr == proto).map(|s| s.0)
}

/// Parses a port number (`strtoul` base 0) or a service name (`xtables_parse_port`).
pub fn parse_port(s: &str, proto: &str) -> Option<u16> {
    if let Some(v) = parse_uint(s, 65535) {
        return Some(v as u16);
    }
    if proto.is_empty() {
        // getservbyname(name, NULL) takes the first entry of any protocol.
        return SERVICES.iter().find(|(n, _, _, al)| *n == s || al.contains(&s)).map(|x| x.1);
    }
    service_port(s, proto)
}

/// A port or a service name, for `-L` without `-n`.
pub fn port_text(port: u16, proto: &str, numeric: bool) -> String {
    match (numeric, service_name(port, proto)) {
        (false, Some(n)) => n.to_string(),
        _ => port.to_string(),
    }
}

/// The protocol number for a name or number (`xtables_parse_protocol`).
pub fn parse_proto(s: &str) -> Option<u8> {
    let lower = s.to_ascii_lowercase();
    if lower == "all" {
        return Some(0);
    }
    if let Some(v) = parse_uint(&lower, 255) {
        return Some(v as u8);
    }
    PROTOCOLS.iter().find(|(n, _, al)| *n == lower || al.iter().any(|a| a.eq_ignore_ascii_case(&lower))).map(|p| p.1)
}

/// The protocol's name as iptables prints it (`proto_to_name`), if it has one.
pub fn proto_name(p: u8) -> Option<&'static str> {
    if p == 0 {
        return Some("all");
    }
    PROTOCOLS.iter().find(|x| x.1 == p).map(|x| x.0)
}

/// Parses a dotted quad strictly (what `inet_aton` would accept in iptables'
/// numeric path: four decimal parts).
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// A port as the x6 option framework takes it (`--dport` of udp, the
/// conntrack port options): decimal digits, kept modulo 65536 (observed:
/// `--dport 70000` is stored as 4464), or a service name of any protocol.
pub fn parse_port_x6(s: &str) -> Option<u16> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // strtoul saturates at u64::MAX before the truncation to 16 bits.
        return Some(s.parse::<u64>().unwrap_or(u64::MAX) as u16);
    }
    // getservbyname(name, NULL): the first entry of any protocol.
    SERVICES.iter().find(|(n, _, _, al)| *n == s || al.contains(&s)).map(|x| x.1)
}

/// One part of a dotted address as `strtoul(s, &end, 0)` reads it, whole string.
fn c_number(s: &str) -> Option<u64> {
    parse_uint(s, u64::MAX)
}

/// libxtables' numeric address parser: 1 to 4 dot-separated parts, each a C
/// number (decimal, `0x` hex, `0` octal) up to 255, missing parts zero
/// (`10.1` is 10.1.0.0, observed).
pub fn parse_ipv4_xtables(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut b = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        b[i] = u8::try_from(c_number(p)?).ok()?;
    }
    Some(Ipv4Addr::from(b))
}

/// `inet_aton`, the numeric forms `getaddrinfo` accepts: `a` (32 bits),
/// `a.b` (8.24), `a.b.c` (8.8.16), `a.b.c.d`, each part a C number
/// (`10.1` is 10.0.0.1, `010.0.0.1` is 8.0.0.1; observed).
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = s.split('.').map(c_number).collect::<Option<_>>()?;
    let (last, head) = parts.split_last()?;
    if head.len() > 3 || head.iter().any(|p| *p > 255) {
        return None;
    }
    let last_bits = 32 - 8 * head.len() as u32;
    if *last >= 1u64 << last_bits {
        return None;
    }
    let v = head.iter().enumerate().fold(*last as u32, |acc, (i, p)| acc | (*p as u32) << (24 - 8 * i as u32));
    Some(Ipv4Addr::from(v))
}

/// What `getaddrinfo(name, AF_INET)` answers in nfsim, which has no DNS: the
/// numeric forms, and `localhost`, the one name every `/etc/hosts` maps (to
/// 127.0.0.1; case-insensitive, as the resolver compares). Any other name is
/// unresolvable, as a name that does not exist is on a box with working DNS.
pub fn getaddrinfo(s: &str) -> Option<Ipv4Addr> {
    if s.eq_ignore_ascii_case("localhost") {
        return Some(Ipv4Addr::LOCALHOST);
    }
    inet_aton(s)
}

/// A host as `-s`/`-d` take it (`xtables_ipparse_multiple`): the numeric
/// parser first, then the resolver.
pub fn parse_host(s: &str) -> Option<Ipv4Addr> {
    parse_ipv4_xtables(s).or_else(|| getaddrinfo(s))
}

/// The x6 framework's host-with-mask type (conntrack's addresses, NETMAP's
/// `--to`), given as `host` and the text after `/`: the host goes straight
/// to the resolver; the mask is a prefix length or a dotted mask, and a
/// length over 32 or a non-contiguous mask counts as 32 (observed).
pub fn parse_hostmask(host: &str, mask: Option<&str>, ext: &str, opt: &str) -> Result<(Ipv4Addr, u8), Error> {
    let addr = getaddrinfo(host).ok_or_else(|| param("getaddrinfo: Name or service not known\n"))?;
    let bad = || {
        param(format!("{ext}: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-32).\n"))
    };
    let len = match mask {
        None => 32,
        Some(m) if m.contains('.') => {
            let v = u32::from(parse_ipv4(m).ok_or_else(bad)?);
            if v.leading_ones() + v.trailing_zeros() == 32 { v.leading_ones() as u8 } else { 32 }
        }
        Some(m) => parse_uint(m, u32::MAX as u64).ok_or_else(bad)?.min(32) as u8,
    };
    Ok((addr, len))
}

/// Parses `a.b.c.d` or `a.b.c.d-e.f.g.h` for NAT and iprange.
pub fn parse_ip_range(s: &str) -> Option<(Ipv4Addr, Ipv4Addr)> {
    match s.split_once('-') {
        Some((a, b)) => Some((parse_ipv4(a)?, parse_ipv4(b)?)),
        None => parse_ipv4(s).map(|a| (a, a)),
    }
}

/// Double-quotes a string for save output, escaping `\`, `"` and `'`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Quotes like [`quote`] only when needed: iptables-save leaves a string
/// bare only if it is made of ASCII letters, digits, `_` and `-` (observed).
pub fn quote_if_needed(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain { s.to_string() } else { quote(s) }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn uint_takes_hex_octal_decimal_and_rejects_junk() {
        assert_eq!(parse_uint("0x10", 100), Some(16));
        assert_eq!(parse_uint("010", 100), Some(8));
        assert_eq!(parse_uint("10", 100), Some(10));
        assert_eq!(parse_uint("101", 100), None);
        assert_eq!(parse_uint("-1", 100), None);
        assert_eq!(parse_uint("", 100), None);
    }

    #[test]
    fn ports_resolve_services_per_protocol() {
        assert_eq!(parse_port("ssh", "tcp"), Some(22));
        assert_eq!(parse_port("domain", "udp"), Some(53));
        assert_eq!(parse_port("65536", "tcp"), None);
        assert_eq!(port_text(22, "tcp", false), "ssh");
        assert_eq!(port_text(22, "tcp", true), "22");
    }

    #[test]
    fn protocols_by_name_alias_and_number() {
        assert_eq!(parse_proto("TCP"), Some(6));
        assert_eq!(parse_proto("all"), Some(0));
        assert_eq!(parse_proto("256"), None);
        assert_eq!(proto_name(58), Some("ipv6-icmp"));
        assert_eq!(proto_name(255), None);
    }

    #[test]
    fn hosts_parse_like_libxtables_then_inet_aton() {
        let ip = |s: &str| parse_host(s).map(|a| a.to_string());
        assert_eq!(ip("10.1").as_deref(), Some("10.1.0.0"));
        assert_eq!(ip("0x10.1").as_deref(), Some("16.1.0.0"));
        assert_eq!(ip("010.0.0.1").as_deref(), Some("8.0.0.1"));
        assert_eq!(ip("1.65535").as_deref(), Some("1.0.255.255"));
        assert_eq!(ip("167772161").as_deref(), Some("10.0.0.1"));
        assert_eq!(ip("LocalHost").as_deref(), Some("127.0.0.1"));
        for bad in ["1.2.3.256", "10.0.0.08", "1.2.3.4.", "1..2", "08", "foo.example", "::1", "1.2.3.4.5"] {
            assert_eq!(ip(bad), None, "{bad}");
        }
        assert_eq!(getaddrinfo("10.1").map(|a| a.to_string()).as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn x6_ports_truncate_to_16_bits_and_take_services() {
        assert_eq!(parse_port_x6("70000"), Some(4464));
        assert_eq!(parse_port_x6("99999999999"), Some(59391));
        assert_eq!(parse_port_x6("010"), Some(10));
        assert_eq!(parse_port_x6("0x16"), None);
        assert_eq!(parse_port_x6("ssh"), Some(22));
        assert_eq!(parse_port_x6("-1"), None);
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote("a \"b\" 'c'"), "\"a \\\"b\\\" \\'c\\'\"");
        assert_eq!(quote_if_needed("foo"), "foo");
        assert_eq!(quote_if_needed("a b"), "\"a b\"");
    }
}
