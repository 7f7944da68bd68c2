//! `-j TCPMSS --set-mss N | --clamp-mss-to-pmtu`: rewrite the MSS option of
//! SYN segments. The kernel wants `-p tcp` and a tcp match requiring SYN;
//! clamping to the path MTU needs a route, so only FORWARD, OUTPUT and
//! POSTROUTING.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{CheckCtx, Hook, Refusal, RuleInfo, Scope, Target, TargetVerdict};

/// The TCPMSS target: `None` = clamp to PMTU.
#[derive(Clone, Debug, Default)]
pub struct Tcpmss {
    /// `Some(Some(n))` set-mss, `Some(None)` clamp, `None` not given yet.
    pub mss: Option<Option<u16>>,
}

const OPTS: &[Opt] = &[Opt::arg("set-mss"), Opt::flag("clamp-mss-to-pmtu")];

impl Target for Tcpmss {
    fn name(&self) -> &'static str {
        "TCPMSS"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        // Both options set the one MSS field, so the last one wins
        // (`--set-mss 1400 --clamp-mss-to-pmtu` saves as clamp, observed).
        self.mss = Some(if opt == "set-mss" {
            let bad = || opts::param("TCPMSS: bad value for option \"--set-mss\", or out of range (0-65515).\n");
            Some(opts::parse_uint(args[0], 65535 - 40).ok_or_else(bad)? as u16)
        } else {
            None
        });
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.mss.map(|_| ()).ok_or_else(|| opts::param("TCPMSS target: At least one parameter is required"))
    }
    fn save(&self, out: &mut String) {
        match self.mss {
            Some(Some(n)) => out.push_str(&format!(" --set-mss {n}")),
            _ => out.push_str(" --clamp-mss-to-pmtu"),
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        match self.mss {
            Some(Some(n)) => out.push_str(&format!(" TCPMSS set {n}")),
            _ => out.push_str(" TCPMSS clamp to PMTU"),
        }
    }
    fn scope(&self) -> Scope {
        Scope { proto: 6, ..Scope::ANY }
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), Refusal> {
        let ok_hooks = Hook::Forward.bit() | Hook::Output.bit() | Hook::PostRouting.bit();
        if self.mss == Some(None) && ctx.hooks & !ok_hooks != 0 {
            return Err(Refusal::einval(
                "xt_TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks",
            ));
        }
        if !ctx.matches.iter().any(|m| m.requires_syn()) {
            return Err(Refusal::einval("xt_TCPMSS: Only works on TCP SYN packets"));
        }
        Ok(())
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
    use crate::xt::TableName;

    #[test]
    fn needs_a_syn_match() {
        let t = Tcpmss { mss: Some(Some(1400)) };
        let ctx = CheckCtx {
            table: TableName::Mangle,
            hooks: Hook::Forward.bit(),
            rule: RuleInfo { proto: 6, proto_inv: false },
            matches: &[],
        };
        assert_eq!(t.check(&ctx), Err(Refusal::einval("xt_TCPMSS: Only works on TCP SYN packets")));
    }

    #[test]
    fn clamp_refused_in_input() {
        let t = Tcpmss { mss: Some(None) };
        let ctx = CheckCtx {
            table: TableName::Mangle,
            hooks: Hook::Input.bit(),
            rule: RuleInfo { proto: 6, proto_inv: false },
            matches: &[],
        };
        assert!(t.check(&ctx).unwrap_err().log[0].contains("path-MTU"));
    }
}
