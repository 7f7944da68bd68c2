//! `-j CLASSIFY --set-class MAJOR:MINOR`: set `skb->priority`, which picks
//! the packet's qdisc class. Usable from FORWARD, OUTPUT and POSTROUTING.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{Hook, RuleInfo, Scope, Target, TargetVerdict};

/// The CLASSIFY target.
#[derive(Clone, Debug, Default)]
pub struct Classify {
    /// `major << 16 | minor`, once given.
    pub priority: Option<u32>,
}

const OPTS: &[Opt] = &[Opt::arg("set-class")];

/// Reads one hex part as `sscanf("%x")` would: optional `0x`, then hex
/// digits; the value wraps to 32 bits.
fn hex(s: &str) -> Option<u32> {
    let d = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if d.is_empty() || !d.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(d.chars().fold(0u32, |a, c| a.wrapping_mul(16).wrapping_add(c.to_digit(16).unwrap_or(0))))
}

impl Target for Classify {
    fn name(&self) -> &'static str {
        "CLASSIFY"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let bad = || opts::param(format!("Bad class value \"{}\"", args[0]));
        let (a, b) = args[0].split_once(':').ok_or_else(bad)?;
        let (maj, min) = (hex(a).ok_or_else(bad)?, hex(b).ok_or_else(bad)?);
        // TC_H_MAKE keeps 16 bits of each.
        self.priority = Some((maj << 16) | (min & 0xffff));
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.priority.map(|_| ()).ok_or_else(|| opts::must_specify("CLASSIFY", "set-class"))
    }
    fn save(&self, out: &mut String) {
        let p = self.priority.unwrap_or_default();
        out.push_str(&format!(" --set-class {:04x}:{:04x}", p >> 16, p & 0xffff));
    }
    fn list(&self, out: &mut String, _: bool) {
        let p = self.priority.unwrap_or_default();
        out.push_str(&format!(" CLASSIFY set {:x}:{:x}", p >> 16, p & 0xffff));
    }
    fn scope(&self) -> Scope {
        Scope { hooks: Hook::Forward.bit() | Hook::Output.bit() | Hook::PostRouting.bit(), ..Scope::ANY }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::SetPriority(self.priority.unwrap_or_default()));
        TargetVerdict::Continue
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::packet::TestPacket;
    use crate::xt::{CheckCtx, TableName, check_target};

    fn c(a: &str) -> Result<Classify, Error> {
        let mut t = Classify::default();
        t.parse("set-class", false, &[a], &RuleInfo::default())?;
        Ok(t)
    }

    #[test]
    fn saves_padded_lists_bare() {
        let (mut s, mut l) = (String::new(), String::new());
        let t = c("1:10").unwrap();
        t.save(&mut s);
        t.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --set-class 0001:0010", " CLASSIFY set 1:10"));
        assert_eq!(c("1:10000").unwrap().priority, Some(0x10000));
        assert_eq!(c("10").unwrap_err(), opts::param("Bad class value \"10\""));
        assert_eq!(c("1:").unwrap_err(), opts::param("Bad class value \"1:\""));
    }

    #[test]
    fn refused_from_prerouting() {
        let t = c("1:1").unwrap();
        let ctx = CheckCtx { table: TableName::Mangle, hooks: 1, rule: RuleInfo::default(), matches: &[] };
        let r = check_target(&t, &ctx).unwrap_err();
        assert_eq!(
            r.log,
            [
                "x_tables: ip_tables: CLASSIFY target: used from hooks PREROUTING, but only usable from FORWARD/OUTPUT/POSTROUTING"
            ]
        );
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Forward);
        c("1:10").unwrap().fire(&mut p);
        assert_eq!(p.actions, ["PRIORITY 1:10"]);
    }
}
