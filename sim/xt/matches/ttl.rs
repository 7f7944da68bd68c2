//! `-m ttl [!] --ttl-eq N | --ttl-lt N | --ttl-gt N`: the IPv4 TTL.
//!
//! `--ttl` is an old spelling of `--ttl-eq`: iptables maps both to one
//! option, so it may be inverted and counts as a second `--ttl-eq`.

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// How the TTL is compared (`IPT_TTL_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `--ttl-eq`.
    Eq,
    /// `! --ttl-eq`.
    Ne,
    /// `--ttl-lt`.
    Lt,
    /// `--ttl-gt`.
    Gt,
}

/// The ttl match.
#[derive(Clone, Debug, Default)]
pub struct Ttl {
    /// Comparison and value of the last option given.
    pub test: Option<(Mode, u8)>,
    /// Options seen, by iptables' option id: eq, lt, gt.
    seen: [bool; 3],
}

// `ttl-eq`/`ttl` are declared repeatable so that this match can report a
// repeat under iptables' name for both.
const OPTS: &[Opt] = &[Opt::arg("ttl-lt"), Opt::arg("ttl-gt"), Opt::inv("ttl-eq").multi(), Opt::inv("ttl").multi()];

impl Match for Ttl {
    fn name(&self) -> &'static str {
        "ttl"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let (id, name) = match opt {
            "ttl-lt" => (1, "ttl-lt"),
            "ttl-gt" => (2, "ttl-gt"),
            _ => (0, "ttl-eq"),
        };
        if self.seen[id] {
            return Err(opts::param(format!("ttl: option \"--{name}\" can only be used once.\n")));
        }
        self.seen[id] = true;
        let v = cnum::parse_int("ttl", name, args[0], 0, 255)? as u8;
        let mode = match (id, inv) {
            (1, _) => Mode::Lt,
            (2, _) => Mode::Gt,
            (_, false) => Mode::Eq,
            (_, true) => Mode::Ne,
        };
        self.test = Some((mode, v));
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.test.is_none() {
            return Err(opts::param("TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt"));
        }
        // The framework's exclusion check: entries in table order (lt, gt,
        // eq), each against the others by id (eq, lt, gt).
        let names = ["ttl-eq", "ttl-lt", "ttl-gt"];
        for entry in [1, 2, 0] {
            if let Some(other) = (0..3).find(|&o| o != entry && self.seen[entry] && self.seen[o]) {
                return Err(opts::param(format!(
                    "ttl: option \"--{}\" cannot be used together with \"--{}\".\n",
                    names[entry], names[other]
                )));
            }
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let (mode, v) = self.test.unwrap_or((Mode::Eq, 0));
        let opt = match mode {
            Mode::Eq => " --ttl-eq",
            Mode::Ne => " ! --ttl-eq",
            Mode::Lt => " --ttl-lt",
            Mode::Gt => " --ttl-gt",
        };
        out.push_str(&format!("{opt} {v}"));
    }
    fn list(&self, out: &mut String, _: bool) {
        let (mode, v) = self.test.unwrap_or((Mode::Eq, 0));
        let op = match mode {
            Mode::Eq => "==",
            Mode::Ne => "!=",
            Mode::Lt => "<",
            Mode::Gt => ">",
        };
        out.push_str(&format!(" TTL match TTL {op} {v}"));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let (Some(ip), Some((mode, v))) = (packet::ipv4(pkt.ip()), self.test) else {
            return false;
        };
        match mode {
            Mode::Eq => ip.ttl == v,
            Mode::Ne => ip.ttl != v,
            Mode::Lt => ip.ttl < v,
            Mode::Gt => ip.ttl > v,
        }
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

    fn ttl(opts: &[(&str, bool, &str)]) -> Result<Ttl, Error> {
        let mut m = Ttl::default();
        for (o, inv, a) in opts {
            m.parse(o, *inv, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    #[test]
    fn old_spelling_saves_as_ttl_eq_and_lists_as_operator() {
        let m = ttl(&[("ttl", true, "0x10")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" ! --ttl-eq 16", " TTL match TTL != 16"));
    }

    #[test]
    fn repeats_conflicts_and_range_use_iptables_words() {
        let e = ttl(&[("ttl-eq", false, "5"), ("ttl", false, "6")]).unwrap_err();
        assert_eq!(e, opts::param("ttl: option \"--ttl-eq\" can only be used once.\n"));
        let e = ttl(&[("ttl-eq", false, "1"), ("ttl-gt", false, "2")]).unwrap_err();
        assert_eq!(e, opts::param("ttl: option \"--ttl-gt\" cannot be used together with \"--ttl-eq\".\n"));
        assert_eq!(ttl(&[("ttl-eq", false, "256")]).unwrap_err(), cnum::bad_int_range("ttl", "ttl-eq", 0, 255));
        assert!(ttl(&[]).is_err());
    }

    #[test]
    fn compares_the_ip_ttl() {
        // TestPacket sends TTL 64.
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(ttl(&[("ttl-eq", false, "64")]).unwrap().matches(&mut p, &mut false));
        assert!(ttl(&[("ttl-lt", false, "65")]).unwrap().matches(&mut p, &mut false));
        assert!(!ttl(&[("ttl-gt", false, "64")]).unwrap().matches(&mut p, &mut false));
        assert!(!ttl(&[("ttl-eq", true, "64")]).unwrap().matches(&mut p, &mut false));
    }
}
