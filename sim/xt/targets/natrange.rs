//! The address/port ranges NAT targets take (`--to-source`,
//! `--to-destination`, `--to-ports`) and their flags, parsed into the one
//! mapping type NAT uses ([`Range`]) and printed back as iptables does.

use crate::nat::range::{Range, flags};
use crate::xt::RuleInfo;
use crate::xt::opts::{self, Error};

/// Whether the rule's protocol has ports (NAT port ranges need one).
pub fn has_ports(rule: &RuleInfo) -> bool {
    matches!(rule.proto, 6 | 17 | 132 | 33 | 136) && !rule.proto_inv
}

fn port_err(s: &str) -> Error {
    opts::param(format!("Port `{s}' not valid"))
}

/// A port: a whole service name, else a decimal number in 0..=65535.
fn one_port(s: &str, zero_ok: bool) -> Result<u16, Error> {
    if let Some(p) = opts::service_port(s, "tcp") {
        return Ok(p);
    }
    match s.parse::<u32>() {
        Ok(v) if v <= 65535 && (zero_ok || v > 0) => Ok(v as u16),
        _ => Err(port_err(s)),
    }
}

/// Parses `p[-q][/base]`; `zero_ok` for REDIRECT/MASQUERADE's `--to-ports 0`.
pub fn parse_ports(s: &str, zero_ok: bool) -> Result<((u16, u16), Option<u16>), Error> {
    let (range, base) = match s.split_once('/') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (lo, hi) = if let Some(p) = opts::service_port(range, "tcp") {
        (p, p)
    } else {
        match range.split_once('-') {
            Some((a, b)) => {
                let lo = a.parse::<u32>().ok().filter(|v| *v <= 65535).ok_or_else(|| port_err(range))? as u16;
                let hi = b.parse::<u32>().ok().filter(|v| *v <= 65535).ok_or_else(|| port_err(b))? as u16;
                if lo > hi {
                    return Err(opts::param(format!("Port range `{b}' funky")));
                }
                (lo, hi)
            }
            None => {
                let p = one_port(range, zero_ok)?;
                (p, p)
            }
        }
    };
    let base = match base {
        Some(b) => Some(one_port(b, false)?),
        None => None,
    };
    Ok(((lo, hi), base))
}

/// Parses `[a[-b]][:p[-q][/base]]` for SNAT/DNAT, keeping `r`'s flags.
pub fn parse_to(s: &str, rule: &RuleInfo, r: &mut Range) -> Result<(), Error> {
    let (a, p) = match s.split_once(':') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if !a.is_empty() {
        let (lo, hi) = opts::parse_ip_range(a).ok_or_else(|| opts::param(format!("Bad IP address \"{a}\"")))?;
        r.flags |= flags::MAP_IPS;
        (r.min_addr, r.max_addr) = (u32::from(lo), u32::from(hi));
    }
    if let Some(p) = p {
        if !has_ports(rule) {
            return Err(opts::param("Need TCP, UDP, SCTP or DCCP with port specification"));
        }
        let ((lo, hi), base) = parse_ports(p, false)?;
        r.flags |= flags::PROTO_SPECIFIED;
        (r.min_proto, r.max_proto) = (lo, hi);
        if let Some(b) = base {
            r.flags |= flags::OFFSET;
            r.base_proto = b;
        }
    }
    Ok(())
}

/// Parses `--to-ports p[-q]` (MASQUERADE, REDIRECT) into `r`.
pub fn parse_to_ports(s: &str, rule: &RuleInfo, r: &mut Range) -> Result<Option<u16>, Error> {
    if !has_ports(rule) {
        return Err(opts::param("Need TCP, UDP, SCTP or DCCP with port specification"));
    }
    let ((lo, hi), base) = parse_ports(s, true)?;
    r.flags |= flags::PROTO_SPECIFIED;
    (r.min_proto, r.max_proto) = (lo, hi);
    Ok(base)
}

/// Takes a flag option (`--random`, `--random-fully`, `--persistent`);
/// false if `opt` is none of them.
pub fn take_flag(r: &mut Range, opt: &str) -> bool {
    r.flags |= match opt {
        "random" => flags::RANDOM,
        "random-fully" => flags::RANDOM_FULLY,
        "persistent" => flags::PERSISTENT,
        _ => return false,
    };
    true
}

/// Appends the flags, ` --random` style (`dashes` "--") or ` random` style.
pub fn print_flags(r: &Range, out: &mut String, dashes: &str) {
    for (f, n) in [(flags::RANDOM, "random"), (flags::RANDOM_FULLY, "random-fully"), (flags::PERSISTENT, "persistent")]
    {
        if r.has(f) {
            out.push_str(&format!(" {dashes}{n}"));
        }
    }
}

/// `a[-b][:p[-q][/base]]` as save and -L print it.
pub fn text(r: &Range) -> String {
    let mut s = String::new();
    if let Some((a, b)) = r.addrs() {
        s.push_str(&a.to_string());
        if a != b {
            s.push_str(&format!("-{b}"));
        }
    }
    if let Some((p, q)) = r.ports() {
        s.push_str(&format!(":{}", ports_text(p, q)));
        if r.has(flags::OFFSET) {
            s.push_str(&format!("/{}", r.base_proto));
        }
    }
    s
}

/// `p` or `p-q`.
pub fn ports_text(p: u16, q: u16) -> String {
    if p == q { p.to_string() } else { format!("{p}-{q}") }
}

#[cfg(test)]
mod test {
    use super::*;

    const TCP: RuleInfo = RuleInfo { proto: 6, proto_inv: false };

    fn parse(s: &str, rule: &RuleInfo) -> Result<Range, Error> {
        let mut r = Range::default();
        parse_to(s, rule, &mut r).map(|()| r)
    }

    #[test]
    fn services_and_ranges() {
        assert_eq!(text(&parse("1.1.1.1:ftp-data", &TCP).unwrap()), "1.1.1.1:20");
        assert_eq!(text(&parse("1.1.1.1-1.1.1.10:1025-65535", &TCP).unwrap()), "1.1.1.1-1.1.1.10:1025-65535");
        assert_eq!(text(&parse("1.1.1.1:10-20/ftp", &TCP).unwrap()), "1.1.1.1:10-20/21");
        let r = parse("1.1.1.1-1.1.1.10:1025-65535", &TCP).unwrap();
        assert_eq!(r.flags, flags::MAP_IPS | flags::PROTO_SPECIFIED);
        assert_eq!((r.min_addr, r.max_addr, r.min_proto, r.max_proto), (0x01010101, 0x0101010a, 1025, 65535));
    }

    #[test]
    fn bad_ports_name_the_part() {
        assert_eq!(parse("1.1.1.1:echo-ssh", &TCP), Err(port_err("echo-ssh")));
        assert_eq!(parse("1.1.1.1:1025-65536", &TCP), Err(port_err("65536")));
        assert_eq!(parse("1.1.1.1:1000-2000/0", &TCP), Err(port_err("0")));
        assert!(parse("1.1.1.1:80", &RuleInfo::default()).is_err());
    }
}
