//! `-j NOTRACK`: the old spelling of `-j CT --notrack` (listed as target
//! `CT` with text `NOTRACK`, saved as `-j NOTRACK`). raw only.

use crate::xt::opts::{Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The NOTRACK target.
#[derive(Clone, Debug, Default)]
pub struct Notrack;

impl Target for Notrack {
    fn name(&self) -> &'static str {
        "NOTRACK"
    }
    fn list_name(&self) -> &'static str {
        "CT"
    }
    fn options(&self) -> &'static [Opt] {
        &[]
    }
    fn parse(&mut self, _: &str, _: bool, _: &[&str], _: &RuleInfo) -> Result<(), Error> {
        Ok(())
    }
    fn save(&self, _: &mut String) {}
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(" NOTRACK");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Raw), ..Scope::ANY }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Target(self));
        TargetVerdict::Continue
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn lists_under_ct() {
        let mut l = String::new();
        Notrack.list(&mut l, false);
        assert_eq!((Notrack.list_name(), l.as_str()), ("CT", " NOTRACK"));
    }
}
