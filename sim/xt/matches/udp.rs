//! `-m udp` (implicit with `-p udp`): source and destination ports.
//!
//! Kernel semantics as for tcp: fragments never match, a truncated header
//! is dropped at once.

use super::ports::{PortRange, PortTest};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo, Scope};

/// The udp match.
#[derive(Clone, Debug, Default)]
pub struct Udp {
    /// `--sport`.
    pub sport: PortRange,
    /// `--dport`.
    pub dport: PortRange,
}

const OPTS: &[Opt] = &[Opt::inv("source-port"), Opt::inv("sport"), Opt::inv("destination-port"), Opt::inv("dport")];

fn bad_port(p: &str) -> Error {
    opts::param(format!("Port \"{p}\" does not resolve to anything.\n"))
}

impl Match for Udp {
    fn name(&self) -> &'static str {
        "udp"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        // x6 port ranges are unsigned ("-1" names no service at all) and
        // wrap to 16 bits (`70000` is 4464, observed).
        let r = PortRange::parse_x6(args[0], inv, bad_port)?;
        if opt.starts_with('s') {
            self.sport = r
        } else {
            self.dport = r
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        self.sport.save(out, "sport");
        self.dport.save(out, "dport");
    }
    fn list(&self, out: &mut String, numeric: bool) {
        out.push_str(" udp");
        self.sport.list(out, "spt", "udp", numeric);
        self.dport.list(out, "dpt", "udp", numeric);
    }
    fn scope(&self) -> Scope {
        Scope { proto: 17, ..Scope::ANY }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool {
        let Some((ip, u)) = packet::l4(pkt.ip()) else {
            return false;
        };
        if ip.frag_off != 0 {
            return false;
        }
        let Some((sp, dp)) = packet::ports(u).filter(|_| u.len() >= 8) else {
            *hotdrop = true;
            return false;
        };
        self.sport.hit(sp) && self.dport.hit(dp)
    }
    fn port_test(&self) -> Option<PortTest> {
        let (sport, dport) = (PortTest::range(&self.sport), PortTest::range(&self.dport));
        Some(PortTest { sport, dport, only: !self.sport.inv && !self.dport.inv, pure: true })
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
    fn reversed_range_is_kept_and_never_matches() {
        let mut m = Udp::default();
        m.parse("sport", false, &["4:3"], &RuleInfo::default()).unwrap();
        let mut s = String::new();
        m.save(&mut s);
        assert_eq!(s, " --sport 4:3");
        let mut p = TestPacket::new(TestPacket::udp([1, 1, 1, 1], [2, 2, 2, 2], 4, 53), Hook::Input);
        assert!(!m.matches(&mut p, &mut false));
    }

    #[test]
    fn large_port_wraps_to_16_bits() {
        let mut m = Udp::default();
        m.parse("dport", false, &["70000"], &RuleInfo::default()).unwrap();
        assert_eq!(m.dport.min, 4464);
    }

    #[test]
    fn negative_port_is_refused_in_x6_words() {
        let e = Udp::default().parse("dport", false, &["-1"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Port \"-1\" does not resolve to anything.\n")));
    }

    #[test]
    fn lists_service_names() {
        let mut m = Udp::default();
        m.parse("sport", true, &["53"], &RuleInfo::default()).unwrap();
        let mut s = String::new();
        m.list(&mut s, false);
        assert_eq!(s, " udp spt:!domain");
    }
}
