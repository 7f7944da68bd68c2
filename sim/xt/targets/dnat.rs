//! `-j DNAT --to-destination RANGE [--random] [--persistent]`: destination
//! NAT for a new connection, then accept. nat table, PREROUTING and OUTPUT.

use super::natrange;
use crate::nat::{Range, Request};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The DNAT target.
#[derive(Clone, Debug, Default)]
pub struct Dnat {
    /// `--to-destination` and the flags.
    pub range: Range,
    /// `--to-destination` was given.
    pub given: bool,
}

const OPTS: &[Opt] = &[Opt::arg("to-destination"), Opt::flag("random"), Opt::flag("persistent")];

impl Target for Dnat {
    fn name(&self) -> &'static str {
        "DNAT"
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
        if self.given { Ok(()) } else { Err(opts::must_specify("DNAT", "to-destination")) }
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --to-destination {}", natrange::text(&self.range)));
        natrange::print_flags(&self.range, out, "--");
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" to:{}", natrange::text(&self.range)));
        natrange::print_flags(&self.range, out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::PreRouting.bit() | Hook::Output.bit(), proto: 0 }
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
    fn ports_only_destination_prints_with_leading_colon() {
        let mut t = Dnat::default();
        t.parse("to-destination", false, &[":80"], &RuleInfo { proto: 6, proto_inv: false }).unwrap();
        let mut l = String::new();
        t.list(&mut l, false);
        assert_eq!(l, " to::80");
    }

    #[test]
    fn twice_is_refused_by_the_framework_not_here() {
        let mut t = Dnat::default();
        assert!(t.parse("to-destination", false, &["1.1.1.1"], &RuleInfo::default()).is_ok());
    }
}
