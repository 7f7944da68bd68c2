//! `-m statistic --mode random [!] --probability P` or
//! `--mode nth [!] --every N --packet P`.
//!
//! Kernel semantics (xt_statistic): random mode matches when a fresh
//! random value's low 31 bits are below `round(P * 2^31)`; nth mode keeps
//! one counter per rule running 0..N-1 (stored as N-1) and matches when it
//! reaches P after the increment. `!` flips the result.

use super::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// The statistic match.
#[derive(Clone, Debug, Default)]
pub struct Statistic {
    /// `--mode nth` (else random).
    pub nth: bool,
    /// Random threshold, `round(P * 0x80000000)`.
    pub probability: u32,
    /// `--every` less one, as the kernel stores it.
    pub every: u32,
    /// `--packet`.
    pub packet: u32,
    /// `!`.
    pub inv: bool,
    count: u32,
    seen: Vec<&'static str>,
}

const OPTS: &[Opt] = &[Opt::arg("mode"), Opt::inv("probability"), Opt::inv("every"), Opt::arg("packet")];

/// The whole-rule x6 exclusions, in the option table's order.
const EXCL: [(&str, &str); 2] = [("probability", "every"), ("probability", "packet")];

impl Statistic {
    fn prob_text(&self) -> String {
        format!("{:.11}", self.probability as f64 / 2_147_483_648.0)
    }
}

impl Match for Statistic {
    fn name(&self) -> &'static str {
        "statistic"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = args[0];
        self.seen.push(OPTS.iter().find(|o| o.name == opt).map_or("", |o| o.name));
        match opt {
            "mode" => {
                self.nth = match s {
                    "random" => false,
                    "nth" => true,
                    _ => return Err(opts::param(format!("Bad mode \"{s}\""))),
                }
            }
            "probability" => {
                let p: f64 = s.parse().ok().filter(|p: &f64| (0.0..=1.0).contains(p)).ok_or_else(|| {
                    opts::param("statistic: bad value for option \"--probability\", or out of range (0-1).\n")
                })?;
                // libxt_statistic rounds to the nearest 1/2^31.
                self.probability = (p * 2_147_483_648.0).round() as u32;
                self.inv = inv;
            }
            "every" => {
                self.every = (x6::uint("statistic", opt, s, 1, u32::MAX as u64)? - 1) as u32;
                self.inv = inv;
            }
            _ => self.packet = x6::uint("statistic", opt, s, 0, u32::MAX as u64)? as u32,
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        x6::check_excl("statistic", &self.seen, &EXCL)?;
        let has = |o: &str| self.seen.contains(&o);
        if has("every") && !has("packet") {
            return Err(x6::also("statistic", "every", "packet"));
        }
        if !has("mode") && self.seen.iter().any(|o| *o != "mode") {
            return Err(opts::must_specify("statistic", "mode"));
        }
        if !self.nth && !has("probability") {
            return Err(opts::param("--probability must be specified when using random mode"));
        }
        if self.nth && !(has("every") && has("packet")) {
            return Err(opts::param("--every and --packet must be specified when using nth mode"));
        }
        if self.nth && self.packet > self.every {
            return Err(opts::param("the --packet p must be 0 <= p <= n-1"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let inv = if self.inv { " !" } else { "" };
        if self.nth {
            out.push_str(&format!(" --mode nth{inv} --every {} --packet {}", self.every as u64 + 1, self.packet));
        } else {
            out.push_str(&format!(" --mode random{inv} --probability {}", self.prob_text()));
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        let inv = if self.inv { " !" } else { "" };
        if self.nth {
            out.push_str(&format!(" statistic mode nth{inv} every {}", self.every as u64 + 1));
            if self.packet != 0 {
                out.push_str(&format!(" packet {}", self.packet));
            }
        } else {
            out.push_str(&format!(" statistic mode random{inv} probability {}", self.prob_text()));
        }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let hit = if self.nth {
            self.count = if self.count == self.every { 0 } else { self.count + 1 };
            self.count == self.packet
        } else {
            pkt.random_u32() & 0x7fff_ffff < self.probability
        };
        hit != self.inv
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

    fn st(args: &[(&str, bool, &str)]) -> Result<Statistic, Error> {
        let mut m = Statistic::default();
        for (o, i, a) in args {
            m.parse(o, *i, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    #[test]
    fn probability_prints_eleven_decimals_and_nth_hides_packet_zero() {
        let m = st(&[("mode", false, "random"), ("probability", true, "0.5")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!(s, " --mode random ! --probability 0.50000000000");
        assert_eq!(l, " statistic mode random ! probability 0.50000000000");
        let m = st(&[("mode", false, "nth"), ("every", false, "3"), ("packet", false, "0")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --mode nth --every 3 --packet 0", " statistic mode nth every 3"));
    }

    #[test]
    fn option_errors_in_iptables_order() {
        let e = |a: &[(&str, bool, &str)]| st(a).unwrap_err();
        assert_eq!(e(&[("mode", false, "nth"), ("every", false, "3")]), x6::also("statistic", "every", "packet"));
        assert_eq!(e(&[("probability", false, "1")]), opts::must_specify("statistic", "mode"));
        assert_eq!(e(&[]), opts::param("--probability must be specified when using random mode"));
        let a = [("mode", false, "nth"), ("every", false, "3"), ("packet", false, "5")];
        assert_eq!(e(&a), opts::param("the --packet p must be 0 <= p <= n-1"));
        assert_eq!(e(&[("mode", false, "foo")]), opts::param("Bad mode \"foo\""));
        let a = [("mode", false, "random"), ("probability", false, "0.1"), ("every", false, "2")];
        assert_eq!(e(&a), x6::excl("statistic", "probability", "every"));
    }

    #[test]
    fn nth_counts_per_rule_and_random_uses_the_box_stream() {
        let mut m = st(&[("mode", false, "nth"), ("every", false, "3"), ("packet", false, "0")]).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        let hits: Vec<bool> = (0..6).map(|_| m.matches(&mut p, &mut false)).collect();
        assert_eq!(hits, [false, false, true, false, false, true]);
        let mut all = st(&[("mode", false, "random"), ("probability", false, "1")]).unwrap();
        let mut none = st(&[("mode", false, "random"), ("probability", false, "0")]).unwrap();
        assert!((0..20).all(|_| all.matches(&mut p, &mut false) && !none.matches(&mut p, &mut false)));
    }
}
