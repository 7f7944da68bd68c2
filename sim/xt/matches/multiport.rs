//! `-m multiport`: up to 15 ports or ranges (a range counts twice) against
//! the source, destination, or either port.

use super::ports::PortTest;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// Which port(s) the list applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Which {
    /// `--sports`.
    #[default]
    Source,
    /// `--dports`.
    Destination,
    /// `--ports`: either.
    Either,
}

/// The multiport match.
#[derive(Clone, Debug, Default)]
pub struct Multiport {
    /// The flavour.
    pub which: Which,
    /// Ports and ranges.
    pub ports: Vec<(u16, u16)>,
    /// `!`.
    pub inv: bool,
    proto: &'static str,
}

const OPTS: &[Opt] = &[
    Opt::inv("source-ports"),
    Opt::inv("sports"),
    Opt::inv("destination-ports"),
    Opt::inv("dports"),
    Opt::inv("ports"),
];

fn proto_of(rule: &RuleInfo) -> Result<&'static str, Error> {
    let name = match rule.proto {
        6 => "tcp",
        17 => "udp",
        136 => "udplite",
        132 => "sctp",
        33 => "dccp",
        _ => "",
    };
    if rule.proto != 0 && (name.is_empty() || rule.proto_inv) {
        return Err(opts::param("multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP"));
    }
    if name.is_empty() || rule.proto_inv {
        return Err(opts::param("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"));
    }
    Ok(name)
}

impl Multiport {
    fn text(&self, numeric: bool) -> String {
        let p = |v: u16| {
            if numeric { v.to_string() } else { opts::port_text(v, self.proto, false) }
        };
        let parts: Vec<String> =
            self.ports.iter().map(|&(a, b)| if a == b { p(a) } else { format!("{}:{}", p(a), p(b)) }).collect();
        parts.join(",")
    }
}

impl Match for Multiport {
    fn name(&self) -> &'static str {
        "multiport"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], rule: &RuleInfo) -> Result<(), Error> {
        if !self.ports.is_empty() {
            return Err(opts::param("multiport can only have one option"));
        }
        let proto = proto_of(rule)?;
        let bad = |p: &str| opts::param(format!("invalid port/service `{p}' specified"));
        let mut slots = 0;
        for item in args[0].split(',') {
            let (a, b) = match item.split_once(':') {
                Some((a, b)) => {
                    let a = opts::parse_port(a, proto).ok_or_else(|| bad(a))?;
                    let b = opts::parse_port(b, proto).ok_or_else(|| bad(b))?;
                    if a >= b {
                        return Err(opts::param("invalid portrange specified"));
                    }
                    slots += 2;
                    (a, b)
                }
                None => {
                    slots += 1;
                    let a = opts::parse_port(item, proto).ok_or_else(|| bad(item))?;
                    (a, a)
                }
            };
            if slots > 15 {
                return Err(opts::param("too many ports specified"));
            }
            self.ports.push((a, b));
        }
        self.which = match opt {
            "source-ports" | "sports" => Which::Source,
            "destination-ports" | "dports" => Which::Destination,
            _ => Which::Either,
        };
        (self.inv, self.proto) = (inv, proto);
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.ports.is_empty() {
            return Err(opts::param("multiport expection an option"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let opt = match self.which {
            Which::Source => "sports",
            Which::Destination => "dports",
            Which::Either => "ports",
        };
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!("{inv} --{opt} {}", self.text(true)));
    }
    fn list(&self, out: &mut String, numeric: bool) {
        let opt = match self.which {
            Which::Source => "sports",
            Which::Destination => "dports",
            Which::Either => "ports",
        };
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!(" multiport {opt} {inv}{}", self.text(numeric)));
    }
    fn check(&self, ctx: &crate::xt::CheckCtx) -> Result<(), crate::xt::Refusal> {
        // The kernel refuses silently (no log line) without a port protocol.
        if !matches!(ctx.rule.proto, 6 | 17 | 136 | 132 | 33) || ctx.rule.proto_inv {
            return Err(crate::xt::Refusal::default());
        }
        Ok(())
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool {
        let Some((ip, l4)) = packet::l4(pkt.ip()) else {
            return false;
        };
        if ip.frag_off != 0 {
            return false;
        }
        let Some((sp, dp)) = packet::ports(l4) else {
            *hotdrop = true;
            return false;
        };
        let inr = |p: u16| self.ports.iter().any(|&(a, b)| a <= p && p <= b);
        let hit = match self.which {
            Which::Source => inr(sp),
            Which::Destination => inr(dp),
            Which::Either => inr(sp) || inr(dp),
        };
        hit != self.inv
    }
    fn port_test(&self) -> Option<PortTest> {
        let list = (!self.inv).then(|| self.ports.clone());
        let (sport, dport) = match self.which {
            Which::Source => (list, None),
            Which::Destination => (None, list),
            // Either port: no requirement on one of them.
            Which::Either => (None, None),
        };
        let only = !self.inv && self.which != Which::Either;
        Some(PortTest { sport, dport, only, pure: true })
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    const TCP: RuleInfo = RuleInfo { proto: 6, proto_inv: false };

    #[test]
    fn needs_a_port_protocol() {
        let e = Multiport::default().parse("dports", false, &["80"], &RuleInfo::default());
        assert!(matches!(e, Err(Error::Param(m)) if m.starts_with("multiport needs")));
    }

    #[test]
    fn lists_names_and_inversion_with_two_spaces() {
        let mut m = Multiport::default();
        m.parse("sports", true, &["53,1024:65535"], &RuleInfo { proto: 17, proto_inv: false }).unwrap();
        let mut l = String::new();
        m.list(&mut l, false);
        assert_eq!(l, " multiport sports  !domain,1024:65535");
    }

    #[test]
    fn matches_any_listed_port() {
        let mut m = Multiport::default();
        m.parse("dports", false, &["80,443,8000:8080"], &TCP).unwrap();
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 1, 8001, 2), Hook::Input);
        assert!(m.matches(&mut p, &mut false));
        p.bytes = TestPacket::tcp([1; 4], [2; 4], 1, 22, 2);
        assert!(!m.matches(&mut p, &mut false));
    }
}
