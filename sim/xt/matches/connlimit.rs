//! `-m connlimit --connlimit-upto|--connlimit-above N [--connlimit-mask L]
//! [--connlimit-saddr|--connlimit-daddr]`: the number of connections from
//! (or to) the packet's address, masked to `/L`, is at most / above N.
//!
//! The kernel keeps one flag for "upto" (its INVERT bit), so `! --connlimit-above`
//! is stored, saved and listed as `--connlimit-upto` and vice versa. The
//! count comes from [`PacketView::connlimit_count`]; a count of 0 means the
//! kernel could not allocate its tracking node and drops the packet.

use std::net::Ipv4Addr;

use super::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{PacketView, ipv4};
use crate::xt::{Match, RuleInfo};

/// The connlimit match.
#[derive(Clone, Debug)]
pub struct Connlimit {
    /// The limit, once given.
    pub limit: Option<u32>,
    /// Matches when the count is at most the limit (`--connlimit-upto`).
    pub upto: bool,
    /// Prefix length applied to the address.
    pub prefix: u8,
    /// Count by destination address (`--connlimit-daddr`).
    pub daddr: bool,
    seen: Vec<&'static str>,
}

impl Default for Connlimit {
    fn default() -> Self {
        Connlimit { limit: None, upto: false, prefix: 32, daddr: false, seen: Vec::new() }
    }
}

const OPTS: &[Opt] = &[
    Opt::inv("connlimit-upto"),
    Opt::inv("connlimit-above"),
    Opt::arg("connlimit-mask"),
    Opt::flag("connlimit-saddr"),
    Opt::flag("connlimit-daddr"),
];

/// A prefix length or a dotted mask, as the x6 PLENMASK type; lengths above
/// 32 are cut to 32 (observed).
fn parse_mask(s: &str) -> Result<u8, Error> {
    if let Some(v) = opts::parse_uint(s, u32::MAX as u64) {
        return Ok(v.min(32) as u8);
    }
    let bad = || {
        opts::param(
            "connlimit: bad value for option \"--connlimit-mask\", neither a valid network mask nor valid CIDR (0-32).\n",
        )
    };
    let m = u32::from(opts::parse_ipv4(s).ok_or_else(bad)?);
    if m.leading_ones() + m.trailing_zeros() != 32 && m != 0 {
        return Err(bad());
    }
    Ok(m.leading_ones() as u8)
}

impl Match for Connlimit {
    fn name(&self) -> &'static str {
        "connlimit"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let name = OPTS.iter().find(|o| o.name == opt).map_or("", |o| o.name);
        self.seen.push(name);
        match opt {
            "connlimit-upto" | "connlimit-above" => {
                self.limit = Some(x6::uint("connlimit", opt, args[0], 0, u32::MAX as u64)? as u32);
                self.upto = (opt == "connlimit-upto") != inv;
            }
            "connlimit-mask" => self.prefix = parse_mask(args[0])?,
            "connlimit-saddr" => self.daddr = false,
            _ => self.daddr = true,
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        let pairs = [("connlimit-upto", "connlimit-above"), ("connlimit-saddr", "connlimit-daddr")];
        x6::check_excl("connlimit", &self.seen, &pairs)?;
        if self.limit.is_none() {
            return Err(opts::param("You must specify \"--connlimit-above\" or \"--connlimit-upto\"."));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let kind = if self.upto { "upto" } else { "above" };
        let side = if self.daddr { "daddr" } else { "saddr" };
        out.push_str(&format!(
            " --connlimit-{kind} {} --connlimit-mask {} --connlimit-{side}",
            self.limit.unwrap_or_default(),
            self.prefix
        ));
    }
    fn list(&self, out: &mut String, _: bool) {
        let side = if self.daddr { "dst" } else { "src" };
        let op = if self.upto { "<=" } else { ">" };
        out.push_str(&format!(" #conn {side}/{} {op} {}", self.prefix, self.limit.unwrap_or_default()));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool {
        let Some(ip) = ipv4(pkt.ip()) else {
            *hotdrop = true;
            return false;
        };
        let addr = if self.daddr { ip.dst } else { ip.src };
        let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix as u32) };
        let key = Ipv4Addr::from(u32::from(addr) & mask);
        let n = pkt.connlimit_count(key, self.prefix, self.daddr);
        if n == 0 {
            *hotdrop = true;
            return false;
        }
        (n > self.limit.unwrap_or_default()) != self.upto
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::{CtFacts, TestPacket};

    fn cl(args: &[(&str, bool, &str)]) -> Result<Connlimit, Error> {
        let mut m = Connlimit::default();
        for (o, i, a) in args {
            m.parse(o, *i, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    fn text(m: &Connlimit) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        (s, l)
    }

    #[test]
    fn inverted_above_is_upto_and_mask_is_clamped() {
        let m = cl(&[("connlimit-above", true, "2"), ("connlimit-mask", false, "33")]).unwrap();
        assert_eq!(text(&m).0, " --connlimit-upto 2 --connlimit-mask 32 --connlimit-saddr");
        assert_eq!(text(&m).1, " #conn src/32 <= 2");
        let m = cl(&[("connlimit-above", false, "2"), ("connlimit-daddr", false, "")]).unwrap();
        assert_eq!(text(&m).1, " #conn dst/32 > 2");
        let m = cl(&[("connlimit-upto", false, "5"), ("connlimit-mask", false, "255.255.255.0")]).unwrap();
        assert_eq!(text(&m).1, " #conn src/24 <= 5");
    }

    #[test]
    fn option_errors() {
        assert_eq!(
            cl(&[("connlimit-mask", false, "24")]).unwrap_err(),
            opts::param("You must specify \"--connlimit-above\" or \"--connlimit-upto\".")
        );
        let e = cl(&[("connlimit-above", false, "1"), ("connlimit-saddr", false, ""), ("connlimit-daddr", false, "")]);
        assert_eq!(e.unwrap_err(), x6::excl("connlimit", "connlimit-saddr", "connlimit-daddr"));
        let e = cl(&[("connlimit-upto", false, "4294967296")]);
        assert_eq!(e.unwrap_err(), x6::range("connlimit", "connlimit-upto", 0, 4294967295));
        assert!(cl(&[("connlimit-above", false, "1"), ("connlimit-mask", false, "abc")]).is_err());
    }

    #[test]
    fn compares_the_count_and_drops_when_uncounted() {
        let mut m = cl(&[("connlimit-above", false, "2")]).unwrap();
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 1, 2, 2), Hook::Input);
        let mut drop = false;
        assert!(!m.matches(&mut p, &mut drop));
        assert!(drop);
        p.ct = Some(CtFacts { conn_count: 3, ..CtFacts::default() });
        assert!(m.matches(&mut p, &mut false));
        p.ct = Some(CtFacts { conn_count: 2, ..CtFacts::default() });
        assert!(!m.matches(&mut p, &mut false));
    }
}
