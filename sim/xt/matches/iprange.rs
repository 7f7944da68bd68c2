//! `-m iprange [!] --src-range a-b [!] --dst-range a-b` (inclusive ranges).

use std::net::Ipv4Addr;

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// A range with its `!`.
pub type Range = (Ipv4Addr, Ipv4Addr, bool);

/// The iprange match.
#[derive(Clone, Debug, Default)]
pub struct IpRange {
    /// `--src-range`.
    pub src: Option<Range>,
    /// `--dst-range`.
    pub dst: Option<Range>,
}

const OPTS: &[Opt] = &[Opt::inv("src-range"), Opt::inv("dst-range")];

fn hit(r: &Option<Range>, a: Ipv4Addr) -> bool {
    r.is_none_or(|(lo, hi, inv)| (lo <= a && a <= hi) != inv)
}

impl Match for IpRange {
    fn name(&self) -> &'static str {
        "iprange"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let bad = |part: &str| opts::param(format!("iprange: Bad value for \"--{opt}\" option: \"{part}\""));
        let (a, b) = args[0].split_once('-').unwrap_or((args[0], args[0]));
        let a = opts::parse_ipv4(a).ok_or_else(|| bad(a))?;
        let b = opts::parse_ipv4(b).ok_or_else(|| bad(b))?;
        let r = Some((a, b, inv));
        if opt == "src-range" {
            self.src = r
        } else {
            self.dst = r
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.src.is_none() && self.dst.is_none() {
            return Err(opts::param("iprange match: You must specify `--src-range' or `--dst-range'"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        for (name, r) in [("src-range", &self.src), ("dst-range", &self.dst)] {
            if let Some((a, b, inv)) = r {
                out.push_str(&format!("{} --{name} {a}-{b}", if *inv { " !" } else { "" }));
            }
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        for (name, r) in [("source", &self.src), ("destination", &self.dst)] {
            if let Some((a, b, inv)) = r {
                out.push_str(&format!(" {name} IP range {}{a}-{b}", if *inv { "! " } else { "" }));
            }
        }
    }
    fn warnings(&self) -> Vec<String> {
        // libxt_iprange warns, and still adds the rule (observed).
        [&self.src, &self.dst]
            .into_iter()
            .flatten()
            .filter(|(a, b, _)| a > b)
            .map(|(a, b, _)| format!("xt_iprange: range {a}-{b} is reversed and will never match"))
            .collect()
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        packet::ipv4(pkt.ip()).is_some_and(|ip| hit(&self.src, ip.src) && hit(&self.dst, ip.dst))
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

    #[test]
    fn inclusive_and_invertible() {
        let mut m = IpRange::default();
        m.parse("dst-range", true, &["10.1.0.1-10.1.0.9"], &RuleInfo::default()).unwrap();
        let mut l = String::new();
        m.list(&mut l, true);
        assert_eq!(l, " destination IP range ! 10.1.0.1-10.1.0.9");
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [10, 1, 0, 9], 1, 2), Hook::Input);
        assert!(!m.matches(&mut p, &mut false));
        p.bytes = TestPacket::udp([1; 4], [10, 1, 0, 10], 1, 2);
        assert!(m.matches(&mut p, &mut false));
    }
}
