//! `-j DNAT --to-destination RANGE [--random] [--persistent]`: destination
//! NAT for a new connection, then accept. nat table, PREROUTING and OUTPUT.

use super::natrange::NatRange;
use super::snat::NatFlags;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The DNAT target.
#[derive(Clone, Debug, Default)]
pub struct Dnat {
    /// `--to-destination`.
    pub to: Option<NatRange>,
    /// Flags.
    pub flags: NatFlags,
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
        if !self.flags.take(opt) {
            self.to = Some(NatRange::parse(args[0], rule)?);
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.to.map(|_| ()).ok_or_else(|| opts::must_specify("DNAT", "to-destination"))
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --to-destination {}", self.to.unwrap_or_default().text()));
        self.flags.print(out, "--");
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" to:{}", self.to.unwrap_or_default().text()));
        self.flags.print(out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::PreRouting.bit() | Hook::Output.bit(), proto: 0 }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Target(self));
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
