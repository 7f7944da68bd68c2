//! `-j SNAT --to-source RANGE [--random] [--random-fully] [--persistent]`:
//! set up source NAT for a new connection (the nat layer picks the tuple),
//! then accept. nat table, POSTROUTING and INPUT only.

use super::natrange::NatRange;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// NAT flags shared by SNAT, DNAT, MASQUERADE, REDIRECT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NatFlags {
    /// `--random`.
    pub random: bool,
    /// `--random-fully`.
    pub random_fully: bool,
    /// `--persistent`.
    pub persistent: bool,
}

impl NatFlags {
    /// Takes a flag option; false if `opt` is none of them.
    pub fn take(&mut self, opt: &str) -> bool {
        match opt {
            "random" => self.random = true,
            "random-fully" => self.random_fully = true,
            "persistent" => self.persistent = true,
            _ => return false,
        }
        true
    }
    /// Appends the flags, ` --random` style or ` random` style.
    pub fn print(&self, out: &mut String, dashes: &str) {
        for (on, n) in [(self.random, "random"), (self.random_fully, "random-fully"), (self.persistent, "persistent")] {
            if on {
                out.push_str(&format!(" {dashes}{n}"));
            }
        }
    }
}

/// The SNAT target.
#[derive(Clone, Debug, Default)]
pub struct Snat {
    /// `--to-source`.
    pub to: Option<NatRange>,
    /// Flags.
    pub flags: NatFlags,
}

const OPTS: &[Opt] = &[Opt::arg("to-source"), Opt::flag("random"), Opt::flag("random-fully"), Opt::flag("persistent")];

impl Target for Snat {
    fn name(&self) -> &'static str {
        "SNAT"
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
        self.to.map(|_| ()).ok_or_else(|| opts::must_specify("SNAT", "to-source"))
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --to-source {}", self.to.unwrap_or_default().text()));
        self.flags.print(out, "--");
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" to:{}", self.to.unwrap_or_default().text()));
        self.flags.print(out, "");
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: Hook::Input.bit() | Hook::PostRouting.bit(), proto: 0 }
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
    fn saves_range_and_flags_in_order() {
        let mut t = Snat::default();
        let tcp = RuleInfo { proto: 6, proto_inv: false };
        t.parse("persistent", false, &[], &tcp).unwrap();
        t.parse("to-source", false, &["1.1.1.1-1.1.1.5:1000-2000"], &tcp).unwrap();
        t.parse("random", false, &[], &tcp).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&mut s);
        t.list(&mut l, true);
        assert_eq!(s, " --to-source 1.1.1.1-1.1.1.5:1000-2000 --random --persistent");
        assert_eq!(l, " to:1.1.1.1-1.1.1.5:1000-2000 random persistent");
    }

    #[test]
    fn to_source_is_required() {
        assert_eq!(Snat::default().finish(&RuleInfo::default()), Err(opts::must_specify("SNAT", "to-source")));
    }
}
