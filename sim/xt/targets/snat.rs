//! `-j SNAT --to-source RANGE [--random] [--random-fully] [--persistent]`:
//! source NAT for a new connection (the nat layer picks the tuple), then
//! accept. nat table, POSTROUTING and INPUT only.

use super::natrange;
use crate::nat::{Range, Request};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The SNAT target.
#[derive(Clone, Debug, Default)]
pub struct Snat {
    /// `--to-source` and the flags.
    pub range: Range,
    /// `--to-source` was given.
    pub given: bool,
}

const OPTS: &[Opt] = &[Opt::arg("to-source"), Opt::flag("random"), Opt::flag("random-fully"), Opt::flag("persistent")];

impl Target for Snat {
    fn name(&self) -> &'static str {
        "SNAT"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], rule: &RuleInfo) -> Result<(), Error> {
        if !natrange::take_flag(&mut self.range, opt) {
            natrange::parse_to(args[0], rule, &mut self.range)?;
            self.given = true;
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.given { Ok(()) } else { Err(opts::must_specify("SNAT", "to-source")) }
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --to-source {}", natrange::text(&self.range)));
        natrange::print_flags(&self.range, out, "--");
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" to:{}", natrange::text(&self.range)));
        natrange::print_flags(&self.range, out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::Input.bit() | Hook::PostRouting.bit(), proto: 0 }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Nat(Request::Map(self.range)));
        TargetVerdict::Accept
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn saves_range_and_flags_in_order() {
        let mut t = Snat::default();
        let tcp = RuleInfo { proto: 6, proto_inv: false };
        t.parse("persistent", false, &[], &tcp).unwrap();
        t.parse("to-source", false, &["1.1.1.1-1.1.1.5:1000-2000"], &tcp).unwrap();
        t.parse("random", false, &[], &tcp).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&mut s);
        t.list(&mut l, true);
        assert_eq!(s, " --to-source 1.1.1.1-1.1.1.5:1000-2000 --random --persistent");
        assert_eq!(l, " to:1.1.1.1-1.1.1.5:1000-2000 random persistent");
    }

    #[test]
    fn to_source_is_required() {
        assert_eq!(Snat::default().finish(&RuleInfo::default()), Err(opts::must_specify("SNAT", "to-source")));
    }
}
