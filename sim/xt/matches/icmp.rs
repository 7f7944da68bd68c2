//! `-m icmp` (implicit with `-p icmp`): `[!] --icmp-type type[/code]|name`.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo, Scope};

/// ICMP type names with type and code range, in iptables' help order.
const TYPES: &[(&str, u8, u8, u8)] = &[
    ("any", 0xff, 0, 0xff),
    ("echo-reply", 0, 0, 0xff),
    ("pong", 0, 0, 0xff),
    ("destination-unreachable", 3, 0, 0xff),
    ("network-unreachable", 3, 0, 0),
    ("host-unreachable", 3, 1, 1),
    ("protocol-unreachable", 3, 2, 2),
    ("port-unreachable", 3, 3, 3),
    ("fragmentation-needed", 3, 4, 4),
    ("source-route-failed", 3, 5, 5),
    ("network-unknown", 3, 6, 6),
    ("host-unknown", 3, 7, 7),
    ("network-prohibited", 3, 9, 9),
    ("host-prohibited", 3, 10, 10),
    ("TOS-network-unreachable", 3, 11, 11),
    ("TOS-host-unreachable", 3, 12, 12),
    ("communication-prohibited", 3, 13, 13),
    ("host-precedence-violation", 3, 14, 14),
    ("precedence-cutoff", 3, 15, 15),
    ("source-quench", 4, 0, 0xff),
    ("redirect", 5, 0, 0xff),
    ("network-redirect", 5, 0, 0),
    ("host-redirect", 5, 1, 1),
    ("TOS-network-redirect", 5, 2, 2),
    ("TOS-host-redirect", 5, 3, 3),
    ("echo-request", 8, 0, 0xff),
    ("ping", 8, 0, 0xff),
    ("router-advertisement", 9, 0, 0xff),
    ("router-solicitation", 10, 0, 0xff),
    ("time-exceeded", 11, 0, 0xff),
    ("ttl-exceeded", 11, 0, 0xff),
    ("ttl-zero-during-transit", 11, 0, 0),
    ("ttl-zero-during-reassembly", 11, 1, 1),
    ("parameter-problem", 12, 0, 0xff),
    ("ip-header-bad", 12, 0, 0),
    ("required-option-missing", 12, 1, 1),
    ("timestamp-request", 13, 0, 0xff),
    ("timestamp-reply", 14, 0, 0xff),
    ("address-mask-request", 17, 0, 0xff),
    ("address-mask-reply", 18, 0, 0xff),
];

/// The icmp match.
#[derive(Clone, Debug)]
pub struct Icmp {
    /// Type (0xff = any).
    pub typ: u8,
    /// Code range.
    pub code: (u8, u8),
    /// `!`.
    pub inv: bool,
    given: bool,
}

impl Default for Icmp {
    fn default() -> Self {
        Icmp { typ: 0xff, code: (0, 0xff), inv: false, given: false }
    }
}

const OPTS: &[Opt] = &[Opt::inv("icmp-type")];

fn parse_type(s: &str) -> Result<(u8, (u8, u8)), Error> {
    let lower = s.to_ascii_lowercase();
    let hits: Vec<_> = TYPES.iter().filter(|t| t.0.to_ascii_lowercase().starts_with(&lower)).collect();
    if let Some(t) = hits.iter().find(|t| t.0.eq_ignore_ascii_case(s)).or(hits.first().filter(|_| hits.len() == 1)) {
        return Ok((t.1, (t.2, t.3)));
    }
    if hits.len() > 1 {
        return Err(opts::param(format!("Ambiguous ICMP type `{s}': `{}' or `{}'?", hits[0].0, hits[1].0)));
    }
    let (t, c) = match s.split_once('/') {
        Some((t, c)) => (t, Some(c)),
        None => (s, None),
    };
    let typ = opts::parse_uint(t, 255).ok_or_else(|| opts::param(format!("Unknown ICMP type `{s}'")))? as u8;
    let code = match c {
        Some(c) => {
            let bad = || opts::param(format!("Unknown ICMP code `{s}'"));
            let (lo, hi) = c.split_once(':').unwrap_or((c, c));
            let lo = opts::parse_uint(lo, 255).ok_or_else(bad)? as u8;
            let hi = opts::parse_uint(hi, 255).ok_or_else(bad)? as u8;
            (lo, hi)
        }
        None => (0, 0xff),
    };
    Ok((typ, code))
}

impl Icmp {
    fn name_of(&self) -> Option<&'static str> {
        TYPES.iter().find(|t| t.1 == self.typ && (t.2, t.3) == self.code).map(|t| t.0)
    }
}

impl Match for Icmp {
    fn name(&self) -> &'static str {
        "icmp"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let (t, c) = parse_type(args[0])?;
        (self.typ, self.code, self.inv, self.given) = (t, c, inv, true);
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if !self.given {
            return Err(opts::must_specify("icmp", "icmp-type"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let inv = if self.inv { " !" } else { "" };
        if self.typ == 0xff {
            out.push_str(&format!("{inv} --icmp-type any"));
        } else if self.code == (0, 0xff) {
            out.push_str(&format!("{inv} --icmp-type {}", self.typ));
        } else if self.code.0 == self.code.1 {
            out.push_str(&format!("{inv} --icmp-type {}/{}", self.typ, self.code.0));
        } else {
            out.push_str(&format!("{inv} --icmp-type {}/{}:{}", self.typ, self.code.0, self.code.1));
        }
    }
    fn list(&self, out: &mut String, numeric: bool) {
        let inv = if self.inv { "!" } else { "" };
        match self.name_of().filter(|_| !numeric) {
            Some(n) => out.push_str(&format!(" icmp {inv}{n}")),
            None => {
                out.push_str(&format!(" icmp{}type {}", if self.inv { " !" } else { "" }, self.typ));
                if self.code.0 == self.code.1 {
                    out.push_str(&format!(" code {}", self.code.0));
                } else if self.code != (0, 0xff) {
                    out.push_str(&format!(" codes {}-{}", self.code.0, self.code.1));
                }
            }
        }
    }
    fn scope(&self) -> Scope {
        Scope { proto: 1, ..Scope::ANY }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool {
        let Some((ip, b)) = packet::l4(pkt.ip()) else {
            return false;
        };
        if ip.frag_off != 0 {
            return false;
        }
        if b.len() < 2 {
            *hotdrop = true;
            return false;
        }
        let hit = self.typ == 0xff || (b[0] == self.typ && self.code.0 <= b[1] && b[1] <= self.code.1);
        hit != self.inv
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn icmp(s: &str, inv: bool) -> Icmp {
        let mut m = Icmp::default();
        m.parse("icmp-type", inv, &[s], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn names_save_as_numbers_and_list_as_names() {
        let m = icmp("echo-request", true);
        let (mut s, mut l, mut n) = (String::new(), String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, false);
        m.list(&mut n, true);
        assert_eq!((s.as_str(), l.as_str(), n.as_str()), (" ! --icmp-type 8", " icmp !echo-request", " icmp !type 8"));
    }

    #[test]
    fn type_code_lists_numeric_with_code() {
        let m = icmp("3/4", false);
        let mut n = String::new();
        m.list(&mut n, true);
        assert_eq!(n, " icmptype 3 code 4");
        let mut s = String::new();
        icmp("255/0:255", false).save(&mut s);
        assert_eq!(s, " --icmp-type any");
    }

    #[test]
    fn unknown_type_is_refused() {
        let e = Icmp::default().parse("icmp-type", false, &["foo"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Unknown ICMP type `foo'")));
    }
}
