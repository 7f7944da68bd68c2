//! `-j TRACE`: mark the packet so every rule it meets is logged. raw only.

use crate::xt::opts::{Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The TRACE target.
#[derive(Clone, Debug, Default)]
pub struct Trace;

impl Target for Trace {
    fn name(&self) -> &'static str {
        "TRACE"
    }
    fn options(&self) -> &'static [Opt] {
        &[]
    }
    fn parse(&mut self, _: &str, _: bool, _: &[&str], _: &RuleInfo) -> Result<(), Error> {
        Ok(())
    }
    fn save(&self, _: &mut String) {}
    fn list(&self, _: &mut String, _: bool) {}
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
    fn only_in_raw() {
        assert_eq!(Trace.scope().table, Some(TableName::Raw));
    }
}
