//! The generic part of a rule spec: `-s -d -i -o -p -f`, parsed with
//! iptables' messages, and the standard verdicts.

use std::net::Ipv4Addr;

use super::error::Error;
use super::model::{Addr, Iface, Rule, Verdict};
use crate::xt::{RuleInfo, opts};

/// The generic selectors of a rule being parsed.
#[derive(Clone, Debug, Default)]
pub struct Generic {
    /// `-s`/`-d` as given: iptables resolves them after the whole command
    /// line is read (so `-s ! X` fails on the stray `X` first, observed).
    src_text: Option<String>,
    dst_text: Option<String>,
    srcs: Vec<(Ipv4Addr, Ipv4Addr)>,
    dsts: Vec<(Ipv4Addr, Ipv4Addr)>,
    src_inv: bool,
    dst_inv: bool,
    iif: Iface,
    oif: Iface,
    proto: u8,
    /// `! -p`.
    pub proto_inv: bool,
    /// The match name `-p` implies (`tcp` for `-p 6`), if `-p` was given.
    pub proto_name: Option<String>,
    frag: Option<bool>,
}

impl Generic {
    /// Takes one generic option (`c` is its short letter).
    pub fn set(&mut self, c: char, v: &str, inv: bool) -> Result<(), Error> {
        match c {
            's' => {
                self.src_text = Some(v.to_string());
                self.src_inv = inv;
            }
            'd' => {
                self.dst_text = Some(v.to_string());
                self.dst_inv = inv;
            }
            'i' => self.iif = parse_iface(v, inv)?,
            'o' => self.oif = parse_iface(v, inv)?,
            'p' => {
                let lower = v.to_ascii_lowercase();
                let p = opts::parse_proto(&lower)
                    .ok_or_else(|| Error::param(format!("unknown protocol \"{lower}\" specified")))?;
                if p == 0 && inv {
                    return Err(Error::param("rule would never match protocol"));
                }
                self.proto = p;
                self.proto_inv = inv;
                self.proto_name = opts::proto_name(p).map(str::to_string);
            }
            _ => self.frag = Some(!inv),
        }
        Ok(())
    }

    /// Resolves `-s` then `-d` (iptables' post-parse step).
    pub fn resolve_addrs(&mut self) -> Result<(), Error> {
        if let Some(v) = &self.src_text {
            self.srcs = parse_addrs(v)?;
        }
        if let Some(v) = &self.dst_text {
            self.dsts = parse_addrs(v)?;
        }
        Ok(())
    }

    /// How many rules `-s` × `-d` give (for `-R`'s uniqueness check).
    pub fn addr_count(&self) -> (usize, usize) {
        (self.srcs.len().max(1), self.dsts.len().max(1))
    }

    /// What extensions may see of the rule so far.
    pub fn info(&self) -> RuleInfo {
        RuleInfo { proto: self.proto, proto_inv: self.proto_inv }
    }

    /// iptables refuses `-o` in PREROUTING/INPUT and `-i` in OUTPUT/POSTROUTING.
    pub fn check_chain_ifaces(&self, chain: &str) -> Result<(), Error> {
        let bad = match chain {
            "PREROUTING" | "INPUT" if !self.oif.name.is_empty() => 'o',
            "OUTPUT" | "POSTROUTING" if !self.iif.name.is_empty() => 'i',
            _ => return Ok(()),
        };
        Err(Error::param(format!("Can't use -{bad} with {chain}\n")))
    }

    /// One rule per source × destination address, as iptables adds them.
    pub fn expand(&self, template: &Rule) -> Vec<Rule> {
        let any = [(Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED)];
        let srcs: &[_] = if self.srcs.is_empty() { &any } else { &self.srcs };
        let dsts: &[_] = if self.dsts.is_empty() { &any } else { &self.dsts };
        let mut out = Vec::new();
        for s in srcs {
            for d in dsts {
                let mut r = template.clone();
                r.src = addr(*s, self.src_inv);
                r.dst = addr(*d, self.dst_inv);
                r.iif = self.iif.clone();
                r.oif = self.oif.clone();
                r.proto = self.proto;
                r.proto_inv = self.proto_inv;
                r.frag = self.frag;
                out.push(r);
            }
        }
        out
    }
}

fn addr((a, m): (Ipv4Addr, Ipv4Addr), inv: bool) -> Addr {
    Addr { addr: Ipv4Addr::from(u32::from(a) & u32::from(m)), mask: m, inv }
}

/// The verdict for `-j NAME`/`-g NAME` when NAME is no extension.
pub fn standard_verdict(name: &str, goto: bool) -> Verdict {
    match (name, goto) {
        ("ACCEPT", false) => Verdict::Accept,
        ("DROP", false) => Verdict::Drop,
        ("RETURN", false) => Verdict::Return,
        (_, true) => Verdict::Goto(name.to_string()),
        _ => Verdict::Jump(name.to_string()),
    }
}

/// Parses a mask: a prefix length 0..=32 or a dotted quad.
fn parse_mask(s: &str) -> Option<Ipv4Addr> {
    if s.contains('.') {
        return s.parse().ok();
    }
    let n: u32 = opts::parse_uint(s, 32)? as u32;
    Some(Ipv4Addr::from(if n == 0 { 0 } else { u32::MAX << (32 - n) }))
}

/// `a[/m][,a[/m]]...`.
fn parse_addrs(v: &str) -> Result<Vec<(Ipv4Addr, Ipv4Addr)>, Error> {
    v.split(',')
        .map(|one| {
            let (h, m) = match one.split_once('/') {
                Some((h, m)) => (h, Some(m)),
                None => (one, None),
            };
            let mask = match m {
                Some(m) => parse_mask(m).ok_or_else(|| Error::param(format!("invalid mask `{m}' specified")))?,
                None => Ipv4Addr::BROADCAST,
            };
            let a = opts::parse_host(h).ok_or_else(|| Error::param(format!("host/network `{h}' not found")))?;
            Ok((a, mask))
        })
        .collect()
}

fn parse_iface(v: &str, inv: bool) -> Result<Iface, Error> {
    if v.len() > 15 {
        return Err(Error::param(format!("interface name `{v}' must be shorter than IFNAMSIZ (15)")));
    }
    Ok(Iface { name: v.to_string(), inv })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn addresses_lose_host_bits_and_expand_per_address() {
        let mut g = Generic::default();
        g.set('s', "10.11.12.13/8,1.2.3.4", false).unwrap();
        g.resolve_addrs().unwrap();
        let rules = g.expand(&Rule::default());
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].src.addr, Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(rules[1].src.mask_text(), "/32");
    }

    #[test]
    fn bad_mask_host_and_proto_use_iptables_words() {
        let mut g = Generic::default();
        g.set('s', "1.2.3.4/33", false).unwrap();
        assert_eq!(g.resolve_addrs(), Err(Error::param("invalid mask `33' specified")));
        let mut g = Generic::default();
        g.set('d', "300.1.1.1", false).unwrap();
        assert_eq!(g.resolve_addrs(), Err(Error::param("host/network `300.1.1.1' not found")));
        assert_eq!(g.set('p', "foo", false), Err(Error::param("unknown protocol \"foo\" specified")));
        assert_eq!(g.set('p', "0", true), Err(Error::param("rule would never match protocol")));
    }

    #[test]
    fn output_interface_in_input_is_refused() {
        let mut g = Generic::default();
        g.set('o', "eth0", false).unwrap();
        assert_eq!(g.check_chain_ifaces("INPUT"), Err(Error::param("Can't use -o with INPUT\n")));
        assert!(g.check_chain_ifaces("FORWARD").is_ok());
    }
}
