//! `-j REDIRECT [--to-ports P[-Q]] [--random]`: DNAT to the box itself.
//! nat PREROUTING and OUTPUT only.

use super::natrange::{self, ports_text};
use crate::nat::{Range, Request};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The REDIRECT target.
#[derive(Clone, Debug, Default)]
pub struct Redirect {
    /// `--to-ports` and the flags.
    pub range: Range,
}

const OPTS: &[Opt] = &[Opt::arg("to-ports"), Opt::flag("random")];

impl Target for Redirect {
    fn name(&self) -> &'static str {
        "REDIRECT"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], rule: &RuleInfo) -> Result<(), Error> {
        if natrange::take_flag(&mut self.range, opt) {
            return Ok(());
        }
        if natrange::parse_to_ports(args[0], rule, &mut self.range)?.is_some() {
            return Err(opts::param("Shifted portmap ranges not supported with this kernel"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        if let Some((p, q)) = self.range.ports() {
            out.push_str(&format!(" --to-ports {}", ports_text(p, q)));
        }
        natrange::print_flags(&self.range, out, "--");
    }
    fn list(&self, out: &mut String, _: bool) {
        if let Some((p, q)) = self.range.ports() {
            out.push_str(&format!(" redir ports {}", ports_text(p, q)));
        }
        natrange::print_flags(&self.range, out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::PreRouting.bit() | Hook::Output.bit(), proto: 0 }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Nat(Request::Redirect(self.range)));
        TargetVerdict::Accept
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    const UDP: RuleInfo = RuleInfo { proto: 17, proto_inv: false };

    #[test]
    fn equal_range_collapses_and_shifted_is_refused() {
        let mut t = Redirect::default();
        t.parse("to-ports", false, &["512-512"], &UDP).unwrap();
        let mut s = String::new();
        t.save(&mut s);
        assert_eq!(s, " --to-ports 512");
        let e = Redirect::default().parse("to-ports", false, &["42-1234/567"], &UDP);
        assert_eq!(e, Err(opts::param("Shifted portmap ranges not supported with this kernel")));
        let e = Redirect::default().parse("to-ports", false, &["10-ssh"], &UDP);
        assert_eq!(e, Err(opts::param("Port `ssh' not valid")));
    }
}
