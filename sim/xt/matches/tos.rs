//! `-m tos [!] --tos value[/mask] | symbol`: `(TOS byte & mask) == value`
//! (revision 1). A number without mask gets `/0xff`; a symbolic name gets
//! `/0x3f`, which is also the only mask `-L` shows names for.

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// The RFC 1349 names iptables knows, with their TOS bits.
const SYMBOLS: [(&str, u8); 5] = [
    ("Minimize-Delay", 0x10),
    ("Maximize-Throughput", 0x08),
    ("Maximize-Reliability", 0x04),
    ("Minimize-Cost", 0x02),
    ("Normal-Service", 0x00),
];

/// The mask a symbolic name implies (the match's revision-1 default).
const SYMBOL_MASK: u8 = 0x3f;

/// The tos match.
#[derive(Clone, Debug, Default)]
pub struct Tos {
    /// Value and mask, once given.
    pub tos: Option<(u8, u8)>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("tos")];

/// Parses `value[/mask]` or a symbol, as libxtables' TOSMASK type does.
pub fn parse_tos(s: &str) -> Result<(u8, u8), Error> {
    let illegal = || opts::param(format!("Illegal value: \"{s}\""));
    if let Some((v, rest)) = cnum::strtoul_prefix(s, 0, 255) {
        let (mask, rest) = match rest.strip_prefix('/') {
            Some(m) => cnum::strtoul_prefix(m, 0, 255).ok_or_else(illegal)?,
            None => (255, rest),
        };
        if !rest.is_empty() {
            return Err(illegal());
        }
        return Ok((v as u8, mask as u8));
    }
    SYMBOLS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, v)| (*v, SYMBOL_MASK))
        .ok_or_else(|| opts::param(format!("Symbolic name \"{s}\" is unknown")))
}

impl Match for Tos {
    fn name(&self) -> &'static str {
        "tos"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.tos = Some(parse_tos(args[0])?);
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.tos.map(|_| ()).ok_or_else(|| opts::must_specify("tos", "tos"))
    }
    fn save(&self, out: &mut String) {
        let (v, m) = self.tos.unwrap_or_default();
        out.push_str(&format!("{} --tos 0x{v:02x}/0x{m:02x}", if self.inv { " !" } else { "" }));
    }
    fn list(&self, out: &mut String, numeric: bool) {
        let (v, m) = self.tos.unwrap_or_default();
        // No space after "match": iptables prints the value right after it.
        out.push_str(" tos match");
        if self.inv {
            out.push('!');
        }
        match SYMBOLS.iter().find(|s| s.1 == v).filter(|_| !numeric && m == SYMBOL_MASK) {
            Some((name, _)) => out.push_str(&format!(" {name}")),
            None => out.push_str(&format!("0x{v:02x}/0x{m:02x}")),
        }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let (v, m) = self.tos.unwrap_or_default();
        packet::ipv4(pkt.ip()).is_some_and(|ip| ((ip.tos & m) == v) != self.inv)
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

    fn text(arg: &str, inv: bool, numeric: bool) -> (String, String) {
        let mut m = Tos::default();
        m.parse("tos", inv, &[arg], &RuleInfo::default()).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, numeric);
        (s, l)
    }

    #[test]
    fn numbers_get_0xff_and_names_0x3f() {
        assert_eq!(text("0x10", false, true), (" --tos 0x10/0xff".into(), " tos match0x10/0xff".into()));
        assert_eq!(text("minimize-delay", true, true), (" ! --tos 0x10/0x3f".into(), " tos match!0x10/0x3f".into()));
        assert_eq!(text("0x08/0x3f", true, false).1, " tos match! Maximize-Throughput");
    }

    #[test]
    fn junk_and_out_of_range_values() {
        assert_eq!(parse_tos("0x100"), Err(opts::param("Symbolic name \"0x100\" is unknown")));
        assert_eq!(parse_tos("0x10/"), Err(opts::param("Illegal value: \"0x10/\"")));
        assert_eq!(parse_tos("16/0x1ff"), Err(opts::param("Illegal value: \"16/0x1ff\"")));
        assert!(Tos::default().finish(&RuleInfo::default()).is_err());
    }

    #[test]
    fn masks_the_tos_byte() {
        let mut m = Tos::default();
        m.parse("tos", false, &["0x20/0xe0"], &RuleInfo::default()).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        p.bytes[1] = 0x2c;
        assert!(m.matches(&mut p, &mut false));
        p.bytes[1] = 0x4c;
        assert!(!m.matches(&mut p, &mut false));
    }
}
