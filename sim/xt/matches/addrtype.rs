//! `-m addrtype`: the route type of the source and/or destination address
//! (LOCAL, UNICAST, BROADCAST, ...), optionally looked up on the packet's
//! own interface only.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{CheckCtx, Hook, Match, RuleInfo};

/// Route types by RTN_* number.
const TYPES: [&str; 12] = [
    "UNSPEC",
    "UNICAST",
    "LOCAL",
    "BROADCAST",
    "ANYCAST",
    "MULTICAST",
    "BLACKHOLE",
    "UNREACHABLE",
    "PROHIBIT",
    "THROW",
    "NAT",
    "XRESOLVE",
];

/// The addrtype match (revision 1).
#[derive(Clone, Debug, Default)]
pub struct AddrType {
    /// `--src-type` bits (1 << RTN_*) and `!`.
    pub src: Option<(u16, bool)>,
    /// `--dst-type` bits and `!`.
    pub dst: Option<(u16, bool)>,
    /// `--limit-iface-in`.
    pub iface_in: bool,
    /// `--limit-iface-out`.
    pub iface_out: bool,
}

const OPTS: &[Opt] =
    &[Opt::inv("src-type"), Opt::inv("dst-type"), Opt::flag("limit-iface-in"), Opt::flag("limit-iface-out")];

fn parse_types(s: &str) -> Result<u16, Error> {
    let mut v = 0;
    for t in s.split(',') {
        let i = TYPES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(t))
            .ok_or_else(|| opts::param(format!("addrtype: bad type \"{t}\"")))?;
        v |= 1 << i;
    }
    Ok(v)
}

fn type_names(v: u16) -> String {
    let n: Vec<&str> = (0..12).filter(|i| v & (1 << i) != 0).map(|i| TYPES[i]).collect();
    n.join(",")
}

impl Match for AddrType {
    fn name(&self) -> &'static str {
        "addrtype"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        match opt {
            "src-type" => self.src = Some((parse_types(args[0])?, inv)),
            "dst-type" => self.dst = Some((parse_types(args[0])?, inv)),
            "limit-iface-in" => self.iface_in = true,
            _ => self.iface_out = true,
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.src.is_none() && self.dst.is_none() {
            return Err(opts::param("addrtype: you must specify --src-type or --dst-type"));
        }
        if self.iface_in && self.iface_out {
            return Err(opts::param(
                "addrtype: option \"--limit-iface-in\" cannot be used together with \"--limit-iface-out\".\n",
            ));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        for (name, t) in [("src-type", self.src), ("dst-type", self.dst)] {
            if let Some((v, inv)) = t {
                out.push_str(&format!("{} --{name} {}", if inv { " !" } else { "" }, type_names(v)));
            }
        }
        if self.iface_in {
            out.push_str(" --limit-iface-in");
        }
        if self.iface_out {
            out.push_str(" --limit-iface-out");
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(" ADDRTYPE match");
        for (name, t) in [("src-type", self.src), ("dst-type", self.dst)] {
            if let Some((v, inv)) = t {
                out.push_str(&format!(" {name} {}{}", if inv { "!" } else { "" }, type_names(v)));
            }
        }
        if self.iface_in {
            out.push_str(" limit-in");
        }
        if self.iface_out {
            out.push_str(" limit-out");
        }
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), crate::xt::Refusal> {
        let in_bad = Hook::Output.bit() | Hook::PostRouting.bit();
        let out_bad = Hook::PreRouting.bit() | Hook::Input.bit();
        if self.iface_in && ctx.hooks & in_bad != 0 {
            return Err(crate::xt::Refusal::einval(
                "xt_addrtype: input interface limitation not valid in POSTROUTING and OUTPUT",
            ));
        }
        if self.iface_out && ctx.hooks & out_bad != 0 {
            return Err(crate::xt::Refusal::einval(
                "xt_addrtype: output interface limitation not valid in PREROUTING and INPUT",
            ));
        }
        Ok(())
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let Some(ip) = packet::ipv4(pkt.ip()) else {
            return false;
        };
        let dev = if self.iface_in {
            Some(pkt.in_iface().to_string())
        } else if self.iface_out {
            Some(pkt.out_iface().to_string())
        } else {
            None
        };
        let test = |t: Option<(u16, bool)>, a| {
            t.is_none_or(|(v, inv)| {
                let rt = pkt.addr_type(a, dev.as_deref());
                (v & (1 << rt) != 0) != inv
            })
        };
        test(self.src, ip.src) && test(self.dst, ip.dst)
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::packet::TestPacket;

    #[test]
    fn types_print_in_rtn_order() {
        let mut m = AddrType::default();
        m.parse("src-type", false, &["LOCAL,UNICAST"], &RuleInfo::default()).unwrap();
        m.parse("dst-type", true, &["BROADCAST"], &RuleInfo::default()).unwrap();
        let mut l = String::new();
        m.list(&mut l, false);
        assert_eq!(l, " ADDRTYPE match src-type UNICAST,LOCAL dst-type !BROADCAST");
    }

    #[test]
    fn broadcast_destination_is_recognised() {
        let mut m = AddrType::default();
        m.parse("dst-type", false, &["BROADCAST"], &RuleInfo::default()).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [255; 4], 1, 2), Hook::Input);
        assert!(m.matches(&mut p, &mut false));
    }

    #[test]
    fn bad_type_and_missing_type() {
        assert_eq!(parse_types("wrong"), Err(opts::param("addrtype: bad type \"wrong\"")));
        assert!(AddrType::default().finish(&RuleInfo::default()).is_err());
    }
}
