//! `-j MASQUERADE [--to-ports P[-Q]] [--random] [--random-fully]`: source
//! NAT to the outgoing interface's address. nat POSTROUTING only.

use super::natrange::{has_ports, parse_ports, ports_text};
use super::snat::NatFlags;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The MASQUERADE target.
#[derive(Clone, Debug, Default)]
pub struct Masquerade {
    /// `--to-ports`.
    pub ports: Option<(u16, u16)>,
    /// Flags.
    pub flags: NatFlags,
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
        if self.flags.take(opt) {
            return Ok(());
        }
        if !has_ports(rule) {
            return Err(opts::param("Need TCP, UDP, SCTP or DCCP with port specification"));
        }
        self.ports = Some(parse_ports(args[0], true)?.0);
        Ok(())
    }
    fn save(&self, out: &mut String) {
        if let Some((p, q)) = self.ports {
            out.push_str(&format!(" --to-ports {}", ports_text(p, q)));
        }
        self.flags.print(out, "--");
    }
    fn list(&self, out: &mut String, _: bool) {
        if let Some((p, q)) = self.ports {
            out.push_str(&format!(" masq ports: {}", ports_text(p, q)));
        }
        self.flags.print(out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::PostRouting.bit(), proto: 0 }
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
