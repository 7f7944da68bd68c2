//! `-j NOTRACK`: the old spelling of `-j CT --notrack` (listed as target
//! `CT` with text `NOTRACK`, saved as `-j NOTRACK`). raw only.

use crate::xt::opts::{Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{CheckCtx, Refusal, RuleInfo, TableName, Target, TargetVerdict};

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
    fn check(&self, ctx: &CheckCtx) -> Result<(), Refusal> {
        // The kernel registers NOTRACK as a revision of CT, so its refusal
        // names CT (observed).
        if ctx.table != TableName::Raw {
            let t = ctx.table.as_str();
            return Err(Refusal::einval(format!("x_tables: ip_tables: CT target: only valid in raw table, not {t}")));
        }
        Ok(())
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Untrack);
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
