//! The address/port ranges NAT targets take (`--to-source`,
//! `--to-destination`, `--to-ports`), parsed and printed as iptables does.

use std::net::Ipv4Addr;

use crate::xt::RuleInfo;
use crate::xt::opts::{self, Error};

/// `[a[-b]][:p[-q][/base]]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NatRange {
    /// Address range, if given.
    pub addrs: Option<(Ipv4Addr, Ipv4Addr)>,
    /// Port range, if given.
    pub ports: Option<(u16, u16)>,
    /// Shifted-portmap base (`/base`, DNAT only).
    pub base: Option<u16>,
}

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

impl NatRange {
    /// Parses `[a[-b]][:ports]` for SNAT/DNAT.
    pub fn parse(s: &str, rule: &RuleInfo) -> Result<NatRange, Error> {
        let (a, p) = match s.split_once(':') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let mut r = NatRange::default();
        if !a.is_empty() {
            r.addrs = Some(opts::parse_ip_range(a).ok_or_else(|| opts::param(format!("Bad IP address \"{a}\"")))?);
        }
        if let Some(p) = p {
            if !has_ports(rule) {
                return Err(opts::param("Need TCP, UDP, SCTP or DCCP with port specification"));
            }
            let (ports, base) = parse_ports(p, false)?;
            r.ports = Some(ports);
            r.base = base;
        }
        Ok(r)
    }

    /// `a[-b][:p[-q][/base]]` as save and -L print it.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some((a, b)) = self.addrs {
            s.push_str(&a.to_string());
            if a != b {
                s.push_str(&format!("-{b}"));
            }
        }
        if let Some((p, q)) = self.ports {
            s.push_str(&format!(":{}", ports_text(p, q)));
            if let Some(b) = self.base {
                s.push_str(&format!("/{b}"));
            }
        }
        s
    }
}

/// `p` or `p-q`.
pub fn ports_text(p: u16, q: u16) -> String {
    if p == q { p.to_string() } else { format!("{p}-{q}") }
}

#[cfg(test)]
mod test {
    use super::*;

    const TCP: RuleInfo = RuleInfo { proto: 6, proto_inv: false };

    #[test]
    fn services_and_ranges() {
        assert_eq!(NatRange::parse("1.1.1.1:ftp-data", &TCP).unwrap().text(), "1.1.1.1:20");
        assert_eq!(NatRange::parse("1.1.1.1-1.1.1.10:1025-65535", &TCP).unwrap().text(), "1.1.1.1-1.1.1.10:1025-65535");
        assert_eq!(NatRange::parse("1.1.1.1:10-20/ftp", &TCP).unwrap().text(), "1.1.1.1:10-20/21");
    }

    #[test]
    fn bad_ports_name_the_part() {
        assert_eq!(NatRange::parse("1.1.1.1:echo-ssh", &TCP), Err(port_err("echo-ssh")));
        assert_eq!(NatRange::parse("1.1.1.1:1025-65536", &TCP), Err(port_err("65536")));
        assert_eq!(NatRange::parse("1.1.1.1:1000-2000/0", &TCP), Err(port_err("0")));
        assert!(NatRange::parse("1.1.1.1:80", &RuleInfo::default()).is_err());
    }
}
