//! `-m ecn [!] --ecn-tcp-cwr [!] --ecn-tcp-ece [!] --ecn-ip-ect 0..3`: the
//! ECN bits of the IPv4 header and of the TCP flags. The TCP options need
//! `-p tcp` (the kernel refuses the rule otherwise).

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{CheckCtx, Match, Refusal, RuleInfo};

/// The ecn match; each test is `(wanted, !)`.
#[derive(Clone, Debug, Default)]
pub struct Ecn {
    /// `--ecn-tcp-ece`.
    pub ece: Option<bool>,
    /// `--ecn-tcp-cwr`.
    pub cwr: Option<bool>,
    /// `--ecn-ip-ect` code point and `!`.
    pub ect: Option<(u8, bool)>,
}

const OPTS: &[Opt] =
    &[Opt::flag("ecn-tcp-cwr").invertible(), Opt::flag("ecn-tcp-ece").invertible(), Opt::inv("ecn-ip-ect")];

/// TCP flag bits in byte 13 of the header.
const TCP_ECE: u8 = 0x40;
const TCP_CWR: u8 = 0x80;

impl Match for Ecn {
    fn name(&self) -> &'static str {
        "ecn"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        match opt {
            "ecn-tcp-cwr" => self.cwr = Some(inv),
            "ecn-tcp-ece" => self.ece = Some(inv),
            _ => self.ect = Some((cnum::parse_int("ecn", "ecn-ip-ect", args[0], 0, 3)? as u8, inv)),
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.ece.is_none() && self.cwr.is_none() && self.ect.is_none() {
            return Err(opts::param("ECN match: some option required"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let bang = |inv: bool| if inv { " !" } else { "" };
        if let Some(inv) = self.ece {
            out.push_str(&format!("{} --ecn-tcp-ece", bang(inv)));
        }
        if let Some(inv) = self.cwr {
            out.push_str(&format!("{} --ecn-tcp-cwr", bang(inv)));
        }
        if let Some((v, inv)) = self.ect {
            out.push_str(&format!("{} --ecn-ip-ect {v}", bang(inv)));
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        let bang = |inv: bool| if inv { "!" } else { "" };
        out.push_str(" ECN match");
        if let Some(inv) = self.ece {
            out.push_str(&format!(" {}ECE", bang(inv)));
        }
        if let Some(inv) = self.cwr {
            out.push_str(&format!(" {}CWR", bang(inv)));
        }
        if let Some((v, inv)) = self.ect {
            out.push_str(&format!(" {}ECT={v}", bang(inv)));
        }
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), Refusal> {
        if (self.ece.is_some() || self.cwr.is_some()) && (ctx.rule.proto != 6 || ctx.rule.proto_inv) {
            return Err(Refusal::einval("xt_ecn: cannot match TCP bits for non-tcp packets"));
        }
        Ok(())
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let Some((ip, t)) = packet::l4(pkt.ip()) else {
            return false;
        };
        if let Some((v, inv)) = self.ect
            && ((ip.tos & 3) == v) == inv
        {
            return false;
        }
        if self.ece.is_none() && self.cwr.is_none() {
            return true;
        }
        // xt_ecn reads the TCP header at the transport offset, fragment or not.
        let Some(&flags) = t.get(13).filter(|_| t.len() >= 20) else {
            return false;
        };
        let bit_ok = |want: Option<bool>, bit: u8| want.is_none_or(|inv| (flags & bit != 0) != inv);
        bit_ok(self.ece, TCP_ECE) && bit_ok(self.cwr, TCP_CWR)
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::packet::TestPacket;
    use crate::xt::{Hook, TableName};

    fn ecn(opts: &[(&str, bool, &str)]) -> Ecn {
        let mut m = Ecn::default();
        for (o, inv, a) in opts {
            m.parse(o, *inv, &[a], &RuleInfo::default()).unwrap();
        }
        m
    }

    #[test]
    fn prints_ece_cwr_ect_in_that_order() {
        let m = ecn(&[("ecn-ip-ect", false, "2"), ("ecn-tcp-cwr", false, ""), ("ecn-tcp-ece", true, "")]);
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!(s, " ! --ecn-tcp-ece --ecn-tcp-cwr --ecn-ip-ect 2");
        assert_eq!(l, " ECN match !ECE CWR ECT=2");
    }

    #[test]
    fn tcp_bits_need_tcp_and_options_are_checked() {
        let m = ecn(&[("ecn-tcp-cwr", false, "")]);
        let ctx = |proto, proto_inv| CheckCtx {
            table: TableName::Filter,
            hooks: Hook::Input.bit(),
            rule: RuleInfo { proto, proto_inv },
            matches: &[],
        };
        let want = Refusal::einval("xt_ecn: cannot match TCP bits for non-tcp packets");
        assert_eq!(m.check(&ctx(0, false)), Err(want.clone()));
        assert_eq!(m.check(&ctx(6, true)), Err(want));
        assert!(m.check(&ctx(6, false)).is_ok());
        let e = Ecn::default().parse("ecn-ip-ect", false, &["4"], &RuleInfo::default());
        assert_eq!(e, Err(cnum::bad_int_range("ecn", "ecn-ip-ect", 0, 3)));
        assert!(Ecn::default().finish(&RuleInfo::default()).is_err());
    }

    #[test]
    fn matches_ip_codepoint_and_tcp_flags() {
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 1, 2, 0x02 | TCP_CWR), Hook::Input);
        p.bytes[1] = 0x02;
        assert!(ecn(&[("ecn-ip-ect", false, "2"), ("ecn-tcp-cwr", false, "")]).matches(&mut p, &mut false));
        assert!(!ecn(&[("ecn-tcp-ece", false, "")]).matches(&mut p, &mut false));
        assert!(ecn(&[("ecn-tcp-ece", true, "")]).matches(&mut p, &mut false));
        assert!(!ecn(&[("ecn-ip-ect", true, "2")]).matches(&mut p, &mut false));
    }
}
