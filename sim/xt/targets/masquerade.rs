//! `-j MASQUERADE [--to-ports P[-Q]] [--random] [--random-fully]`: source
//! NAT to the outgoing interface's address. nat POSTROUTING only.

use super::natrange::{self, ports_text};
use crate::nat::{Range, Request};
use crate::xt::opts::{Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The MASQUERADE target.
#[derive(Clone, Debug, Default)]
pub struct Masquerade {
    /// `--to-ports` and the flags.
    pub range: Range,
}

const OPTS: &[Opt] = &[Opt::arg("to-ports"), Opt::flag("random"), Opt::flag("random-fully")];

impl Target for Masquerade {
    fn name(&self) -> &'static str {
        "MASQUERADE"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], rule: &RuleInfo) -> Result<(), Error> {
        if natrange::take_flag(&mut self.range, opt) {
            return Ok(());
        }
        natrange::parse_to_ports(args[0], rule, &mut self.range)?;
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
            out.push_str(&format!(" masq ports: {}", ports_text(p, q)));
        }
        natrange::print_flags(&self.range, out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::PostRouting.bit(), proto: 0 }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Nat(Request::Masquerade(self.range)));
        TargetVerdict::Accept
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::opts;

    #[test]
    fn ports_need_a_port_protocol() {
        let e = Masquerade::default().parse("to-ports", false, &["1024"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Need TCP, UDP, SCTP or DCCP with port specification")));
    }

    #[test]
    fn lists_masq_ports() {
        let mut t = Masquerade::default();
        t.parse("to-ports", false, &["1024-2000"], &RuleInfo { proto: 6, proto_inv: false }).unwrap();
        t.parse("random", false, &[], &RuleInfo::default()).unwrap();
        let mut l = String::new();
        t.list(&mut l, false);
        assert_eq!(l, " masq ports: 1024-2000 random");
    }
}
