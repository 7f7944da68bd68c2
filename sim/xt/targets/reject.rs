//! `-j REJECT`: answer with an ICMP error or a TCP reset (sent by the box),
//! then drop. Only in the filter table's INPUT, FORWARD and OUTPUT.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{CheckCtx, Hook, Refusal, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// What REJECT answers with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RejectWith {
    /// ICMP net unreachable (3/0).
    NetUnreachable,
    /// ICMP host unreachable (3/1).
    HostUnreachable,
    /// ICMP protocol unreachable (3/2).
    ProtoUnreachable,
    /// ICMP port unreachable (3/3), the default.
    #[default]
    PortUnreachable,
    /// ICMP net prohibited (3/9).
    NetProhibited,
    /// ICMP host prohibited (3/10).
    HostProhibited,
    /// TCP RST.
    TcpReset,
    /// ICMP administratively prohibited (3/13).
    AdminProhibited,
}

/// Canonical names and aliases.
const NAMES: [(RejectWith, &str, &str); 8] = [
    (RejectWith::NetUnreachable, "icmp-net-unreachable", "net-unreach"),
    (RejectWith::HostUnreachable, "icmp-host-unreachable", "host-unreach"),
    (RejectWith::ProtoUnreachable, "icmp-proto-unreachable", "proto-unreach"),
    (RejectWith::PortUnreachable, "icmp-port-unreachable", "port-unreach"),
    (RejectWith::NetProhibited, "icmp-net-prohibited", "net-prohib"),
    (RejectWith::HostProhibited, "icmp-host-prohibited", "host-prohib"),
    (RejectWith::TcpReset, "tcp-reset", "tcp-rst"),
    (RejectWith::AdminProhibited, "icmp-admin-prohibited", "admin-prohib"),
];

impl RejectWith {
    /// The canonical name iptables prints.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|n| n.0 == self).map_or("", |n| n.1)
    }
    /// The ICMP code sent (type 3), `None` for a TCP reset.
    pub fn icmp_code(self) -> Option<u8> {
        match self {
            RejectWith::NetUnreachable => Some(0),
            RejectWith::HostUnreachable => Some(1),
            RejectWith::ProtoUnreachable => Some(2),
            RejectWith::PortUnreachable => Some(3),
            RejectWith::NetProhibited => Some(9),
            RejectWith::HostProhibited => Some(10),
            RejectWith::AdminProhibited => Some(13),
            RejectWith::TcpReset => None,
        }
    }
}

/// The REJECT target.
#[derive(Clone, Debug, Default)]
pub struct Reject {
    /// The answer.
    pub with: RejectWith,
}

const OPTS: &[Opt] = &[Opt::arg("reject-with")];

impl Target for Reject {
    fn name(&self) -> &'static str {
        "REJECT"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = args[0];
        if s == "echo-reply" || s == "echoreply" {
            // A plain notice, then the lookup fails like any unknown name (observed).
            return Err(Error::Noted(
                "--reject-with echo-reply no longer supported".into(),
                format!("unknown reject type \"{s}\""),
            ));
        }
        self.with = NAMES
            .iter()
            .find(|n| n.1 == s || n.2 == s)
            .map(|n| n.0)
            .ok_or_else(|| opts::param(format!("unknown reject type \"{s}\"")))?;
        Ok(())
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --reject-with {}", self.with.name()));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" reject-with {}", self.with.name()));
    }
    fn scope(&self) -> Scope {
        Scope {
            table: Some(TableName::Filter),
            hooks: Hook::Input.bit() | Hook::Forward.bit() | Hook::Output.bit(),
            proto: 0,
        }
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), Refusal> {
        if self.with == RejectWith::TcpReset && (ctx.rule.proto != 6 || ctx.rule.proto_inv) {
            return Err(Refusal::einval("ipt_REJECT: TCP_RESET invalid for non-tcp"));
        }
        Ok(())
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Reject(self.with));
        TargetVerdict::Drop
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn aliases_print_canonical_names() {
        let mut r = Reject::default();
        r.parse("reject-with", false, &["host-prohib"], &RuleInfo::default()).unwrap();
        let mut s = String::new();
        r.save(&mut s);
        assert_eq!(s, " --reject-with icmp-host-prohibited");
    }

    #[test]
    fn tcp_reset_needs_tcp() {
        let r = Reject { with: RejectWith::TcpReset };
        let ctx = CheckCtx { table: TableName::Filter, hooks: 2, rule: RuleInfo::default(), matches: &[] };
        assert_eq!(r.check(&ctx), Err(Refusal::einval("ipt_REJECT: TCP_RESET invalid for non-tcp")));
    }
}
