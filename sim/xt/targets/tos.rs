//! `-j TOS`: rewrite the IPv4 TOS byte as `(tos & !mask) ^ value` (mangle
//! table only). `--set-tos value[/mask]` or a symbolic name (mask 0x3f, the
//! old RFC 1349 bits), `--and-tos`, `--or-tos`, `--xor-tos` all store that
//! value/mask pair, which is all iptables prints back.

use crate::xt::matches::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView, ipv4};
use crate::xt::{RuleInfo, Scope, TableName, Target, TargetVerdict};

/// Symbolic TOS names iptables accepts.
pub const TOS_NAMES: [(&str, u8); 5] = [
    ("Minimize-Delay", 0x10),
    ("Maximize-Throughput", 0x08),
    ("Maximize-Reliability", 0x04),
    ("Minimize-Cost", 0x02),
    ("Normal-Service", 0x00),
];

/// The TOS target (revision 1).
#[derive(Clone, Debug, Default)]
pub struct Tos {
    /// Value and mask once given.
    pub tos: Option<(u8, u8)>,
    seen: Vec<&'static str>,
}

const OPTS: &[Opt] = &[Opt::arg("set-tos"), Opt::arg("and-tos"), Opt::arg("or-tos"), Opt::arg("xor-tos")];

/// Parses `value[/mask]` (each at most 0xff) or a symbolic name.
fn parse_set(s: &str) -> Result<(u8, u8), Error> {
    let num = |x: &str| opts::parse_uint(x, u32::MAX as u64);
    match s.split_once('/') {
        Some((v, m)) => match (num(v), num(m)) {
            (Some(v), Some(m)) if v <= 0xff && m <= 0xff => Ok((v as u8, m as u8)),
            _ => Err(opts::param(format!("Illegal value: \"{s}\""))),
        },
        None => match num(s) {
            Some(v) if v <= 0xff => Ok((v as u8, 0xff)),
            _ => TOS_NAMES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(s))
                .map(|&(_, v)| (v, 0x3f))
                .ok_or_else(|| opts::param(format!("Symbolic name \"{s}\" is unknown"))),
        },
    }
}

impl Target for Tos {
    fn name(&self) -> &'static str {
        "TOS"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let name = OPTS.iter().find(|o| o.name == opt).map_or("", |o| o.name);
        self.seen.push(name);
        if opt == "set-tos" {
            self.tos = Some(parse_set(args[0])?);
            return Ok(());
        }
        let v = x6::uint("TOS", name, args[0], 0, 255)? as u8;
        self.tos = Some(match opt {
            "and-tos" => (0, !v),
            "or-tos" => (v, v),
            _ => (v, 0),
        });
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        let mut pairs = Vec::new();
        for (i, a) in OPTS.iter().enumerate() {
            for b in &OPTS[i + 1..] {
                pairs.push((a.name, b.name));
            }
        }
        x6::check_excl("TOS", &self.seen, &pairs)?;
        self.tos.map(|_| ()).ok_or_else(|| opts::param("TOS: An action is required"))
    }
    fn save(&self, out: &mut String) {
        let (v, m) = self.tos.unwrap_or_default();
        out.push_str(&format!(" --set-tos {v:#04x}/{m:#04x}"));
    }
    fn list(&self, out: &mut String, numeric: bool) {
        let (v, m) = self.tos.unwrap_or_default();
        let text = if numeric {
            format!("set {v:#04x}/{m:#04x}")
        } else if m == 0 {
            format!("xor {v:#04x}")
        } else if v == 0 {
            format!("and {:#04x}", !m)
        } else if v == m {
            format!("or {v:#04x}")
        } else {
            match TOS_NAMES.iter().find(|x| x.1 == v).filter(|_| m == 0x3f) {
                Some((n, _)) => format!("set {n}"),
                None => format!("set {v:#04x}/{m:#04x}"),
            }
        };
        out.push_str(&format!(" TOS {text}"));
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Mangle), ..Scope::ANY }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        let (v, m) = self.tos.unwrap_or_default();
        if let Some(ip) = ipv4(pkt.ip()) {
            let new = (ip.tos & !m) ^ v;
            if new != ip.tos {
                pkt.act(Action::SetTos(new));
            }
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

    fn tos(opt: &str, a: &str) -> Result<Tos, Error> {
        let mut t = Tos::default();
        t.parse(opt, false, &[a], &RuleInfo::default())?;
        t.finish(&RuleInfo::default())?;
        Ok(t)
    }

    #[test]
    fn every_form_saves_as_value_and_mask() {
        for (o, a, want) in [
            ("set-tos", "0x10", " --set-tos 0x10/0xff"),
            ("set-tos", "Minimize-Delay", " --set-tos 0x10/0x3f"),
            ("and-tos", "0x1f", " --set-tos 0x00/0xe0"),
            ("or-tos", "0x04", " --set-tos 0x04/0x04"),
            ("xor-tos", "0x08", " --set-tos 0x08/0x00"),
        ] {
            let (mut s, mut l) = (String::new(), String::new());
            let t = tos(o, a).unwrap();
            t.save(&mut s);
            t.list(&mut l, true);
            assert_eq!(s, want);
            assert_eq!(l, format!(" TOS set {}", &want[11..]));
        }
    }

    #[test]
    fn errors() {
        assert_eq!(tos("set-tos", "0x100").unwrap_err(), opts::param("Symbolic name \"0x100\" is unknown"));
        assert_eq!(tos("set-tos", "0x10/0x100").unwrap_err(), opts::param("Illegal value: \"0x10/0x100\""));
        assert_eq!(tos("and-tos", "256").unwrap_err(), x6::range("TOS", "and-tos", 0, 255));
        assert_eq!(Tos::default().finish(&RuleInfo::default()), Err(opts::param("TOS: An action is required")));
    }

    #[test]
    fn rewrites_under_the_mask() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::PreRouting);
        p.bytes[1] = 0xe3;
        tos("set-tos", "0x10/0x3f").unwrap().fire(&mut p);
        assert_eq!(p.bytes[1], 0xd0);
    }
}
