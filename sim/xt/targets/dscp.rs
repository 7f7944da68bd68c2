//! `-j DSCP --set-dscp N | --set-dscp-class NAME`: rewrite the six DSCP
//! bits of the TOS byte, keeping ECN (mangle table only).

use crate::xt::matches::dscp::class_dscp;
use crate::xt::matches::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView, ipv4};
use crate::xt::{RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The DSCP target.
#[derive(Clone, Debug, Default)]
pub struct Dscp {
    /// Code point, once given.
    pub dscp: Option<u8>,
    seen: Vec<&'static str>,
}

const OPTS: &[Opt] = &[Opt::arg("set-dscp"), Opt::arg("set-dscp-class")];

impl Target for Dscp {
    fn name(&self) -> &'static str {
        "DSCP"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        if opt == "set-dscp" {
            self.seen.push("set-dscp");
            self.dscp = Some(x6::uint("DSCP", opt, args[0], 0, 63)? as u8);
        } else {
            self.seen.push("set-dscp-class");
            let v = class_dscp(args[0]).ok_or_else(|| opts::param(format!("Invalid DSCP value `{}'\n", args[0])))?;
            self.dscp = Some(v);
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        x6::check_excl("DSCP", &self.seen, &[("set-dscp", "set-dscp-class")])?;
        self.dscp.map(|_| ()).ok_or_else(|| opts::param("DSCP target: Parameter --set-dscp is required"))
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --set-dscp {:#04x}", self.dscp.unwrap_or_default()));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" DSCP set {:#04x}", self.dscp.unwrap_or_default()));
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Mangle), ..Scope::ANY }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        let d = self.dscp.unwrap_or_default();
        if let Some(ip) = ipv4(pkt.ip())
            && ip.tos >> 2 != d
        {
            pkt.act(Action::SetTos((ip.tos & 0x03) | (d << 2)));
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
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    fn d(opt: &str, a: &str) -> Result<Dscp, Error> {
        let mut t = Dscp::default();
        t.parse(opt, false, &[a], &RuleInfo::default())?;
        t.finish(&RuleInfo::default())?;
        Ok(t)
    }

    #[test]
    fn classes_save_as_hex_code_points() {
        let (mut s, mut l) = (String::new(), String::new());
        d("set-dscp-class", "af11").unwrap().save(&mut s);
        d("set-dscp", "46").unwrap().list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --set-dscp 0x0a", " DSCP set 0x2e"));
        // The same class lookup as -m dscp: only the class name's length is
        // compared (observed: iptables 1.8.9 saves `af411` as 0x22).
        let mut s = String::new();
        d("set-dscp-class", "af411").unwrap().save(&mut s);
        assert_eq!(s, " --set-dscp 0x22");
    }

    #[test]
    fn errors() {
        assert_eq!(d("set-dscp", "64").unwrap_err(), x6::range("DSCP", "set-dscp", 0, 63));
        assert_eq!(d("set-dscp-class", "foo").unwrap_err(), opts::param("Invalid DSCP value `foo'\n"));
        let e = Dscp::default().finish(&RuleInfo::default());
        assert_eq!(e, Err(opts::param("DSCP target: Parameter --set-dscp is required")));
    }

    #[test]
    fn keeps_ecn_bits() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::PreRouting);
        p.bytes[1] = 0x03;
        d("set-dscp-class", "EF").unwrap().fire(&mut p);
        assert_eq!(p.bytes[1], 0xbb);
    }
}
