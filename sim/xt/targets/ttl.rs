//! `-j TTL --ttl-set N | --ttl-dec N | --ttl-inc N`: rewrite the IPv4 TTL
//! (mangle table only), saturating at 0 and 255 as xt_TTL does.

use crate::xt::matches::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView, ipv4};
use crate::xt::{RuleInfo, Scope, TableName, Target, TargetVerdict};

/// What the TTL target does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlOp {
    /// Set to the value.
    Set,
    /// Subtract.
    Dec,
    /// Add.
    Inc,
}

const OPS: [(&str, TtlOp, &str); 3] = [
    ("ttl-set", TtlOp::Set, "set to"),
    ("ttl-dec", TtlOp::Dec, "decrement by"),
    ("ttl-inc", TtlOp::Inc, "increment by"),
];

/// The TTL target.
#[derive(Clone, Debug, Default)]
pub struct Ttl {
    /// Operation and value, once given.
    pub op: Option<(TtlOp, u8)>,
    seen: Vec<&'static str>,
}

const OPTS: &[Opt] = &[Opt::arg("ttl-set"), Opt::arg("ttl-dec"), Opt::arg("ttl-inc")];

impl Target for Ttl {
    fn name(&self) -> &'static str {
        "TTL"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let &(name, op, _) = OPS.iter().find(|o| o.0 == opt).expect("declared");
        let min = if op == TtlOp::Set { 0 } else { 1 };
        let v = x6::uint("TTL", name, args[0], min, 255)? as u8;
        self.seen.push(name);
        self.op = Some((op, v));
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        let pairs = [("ttl-set", "ttl-dec"), ("ttl-set", "ttl-inc"), ("ttl-dec", "ttl-inc")];
        x6::check_excl("TTL", &self.seen, &pairs)?;
        self.op.map(|_| ()).ok_or_else(|| opts::param("TTL: You must specify an action"))
    }
    fn save(&self, out: &mut String) {
        if let Some((op, v)) = self.op {
            let name = OPS.iter().find(|o| o.1 == op).map_or("", |o| o.0);
            out.push_str(&format!(" --{name} {v}"));
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        if let Some((op, v)) = self.op {
            let text = OPS.iter().find(|o| o.1 == op).map_or("", |o| o.2);
            out.push_str(&format!(" TTL {text} {v}"));
        }
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Mangle), ..Scope::ANY }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        let (Some((op, v)), Some(ip)) = (self.op, ipv4(pkt.ip())) else {
            return TargetVerdict::Continue;
        };
        let new = match op {
            TtlOp::Set => v,
            TtlOp::Dec => ip.ttl.saturating_sub(v),
            TtlOp::Inc => ip.ttl.saturating_add(v),
        };
        if new != ip.ttl {
            pkt.act(Action::SetTtl(new));
        }
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
    use crate::xt::{CheckCtx, Hook, check_target};

    fn ttl(args: &[(&str, &str)]) -> Result<Ttl, Error> {
        let mut t = Ttl::default();
        for (o, a) in args {
            t.parse(o, false, &[a], &RuleInfo::default())?;
        }
        t.finish(&RuleInfo::default())?;
        Ok(t)
    }

    #[test]
    fn forms_and_errors() {
        let (mut s, mut l) = (String::new(), String::new());
        let t = ttl(&[("ttl-dec", "1")]).unwrap();
        t.save(&mut s);
        t.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --ttl-dec 1", " TTL decrement by 1"));
        assert_eq!(ttl(&[("ttl-dec", "0")]).unwrap_err(), x6::range("TTL", "ttl-dec", 1, 255));
        assert_eq!(ttl(&[("ttl-set", "256")]).unwrap_err(), x6::range("TTL", "ttl-set", 0, 255));
        assert_eq!(ttl(&[]).unwrap_err(), opts::param("TTL: You must specify an action"));
        let e = ttl(&[("ttl-dec", "1"), ("ttl-inc", "1")]).unwrap_err();
        assert_eq!(e, x6::excl("TTL", "ttl-dec", "ttl-inc"));
    }

    #[test]
    fn mangle_only() {
        let t = ttl(&[("ttl-set", "64")]).unwrap();
        let ctx = CheckCtx { table: TableName::Filter, hooks: 2, rule: RuleInfo::default(), matches: &[] };
        let r = check_target(&t, &ctx).unwrap_err();
        assert_eq!(r.log, ["x_tables: ip_tables: TTL target: only valid in mangle table, not filter"]);
    }

    #[test]
    fn saturates() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::PreRouting);
        ttl(&[("ttl-inc", "250")]).unwrap().fire(&mut p);
        assert_eq!(p.bytes[8], 255);
        ttl(&[("ttl-dec", "255")]).unwrap().fire(&mut p);
        assert_eq!(p.actions, ["TTL 255", "TTL 0"]);
    }
}
