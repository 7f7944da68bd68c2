//! `-m dscp [!] --dscp N | [!] --dscp-class NAME`: the DiffServ code point
//! (upper six bits of the TOS byte).

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// DiffServ class names and their code points, in iptables' lookup order.
pub const CLASSES: [(&str, u8); 22] = [
    ("CS0", 0x00),
    ("CS1", 0x08),
    ("CS2", 0x10),
    ("CS3", 0x18),
    ("CS4", 0x20),
    ("CS5", 0x28),
    ("CS6", 0x30),
    ("CS7", 0x38),
    ("BE", 0x00),
    ("AF11", 0x0a),
    ("AF12", 0x0c),
    ("AF13", 0x0e),
    ("AF21", 0x12),
    ("AF22", 0x14),
    ("AF23", 0x16),
    ("AF31", 0x1a),
    ("AF32", 0x1c),
    ("AF33", 0x1e),
    ("AF41", 0x22),
    ("AF42", 0x24),
    ("AF43", 0x26),
    ("EF", 0x2e),
];

/// The code point of a class name; iptables compares only the class name's
/// length, case-insensitively, so `af411` is AF41.
pub fn class_dscp(name: &str) -> Option<u8> {
    let up = name.to_ascii_uppercase();
    CLASSES.iter().find(|(c, _)| up.starts_with(c)).map(|c| c.1)
}

/// The dscp match.
#[derive(Clone, Debug, Default)]
pub struct Dscp {
    /// The code point, once given.
    pub dscp: Option<u8>,
    /// `!`.
    pub inv: bool,
    seen: [bool; 2],
}

const OPTS: &[Opt] = &[Opt::inv("dscp"), Opt::inv("dscp-class")];

impl Match for Dscp {
    fn name(&self) -> &'static str {
        "dscp"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let v = if opt == "dscp" {
            self.seen[0] = true;
            cnum::parse_int("dscp", "dscp", args[0], 0, 63)? as u8
        } else {
            self.seen[1] = true;
            class_dscp(args[0]).ok_or_else(|| opts::param(format!("Invalid DSCP value `{}'", args[0])))?
        };
        self.dscp = Some(v);
        self.inv |= inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.dscp.is_none() {
            return Err(opts::param("DSCP match: Parameter --dscp is required"));
        }
        if self.seen == [true, true] {
            return Err(opts::param("dscp: option \"--dscp\" cannot be used together with \"--dscp-class\".\n"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!("{inv} --dscp 0x{:02x}", self.dscp.unwrap_or_default()));
    }
    fn list(&self, out: &mut String, _: bool) {
        let inv = if self.inv { "!" } else { "" };
        out.push_str(&format!(" DSCP match {inv}0x{:02x}", self.dscp.unwrap_or_default()));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        packet::ipv4(pkt.ip()).is_some_and(|ip| (Some(ip.tos >> 2) == self.dscp) != self.inv)
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

    fn dscp(opts: &[(&str, bool, &str)]) -> Result<Dscp, Error> {
        let mut m = Dscp::default();
        for (o, inv, a) in opts {
            m.parse(o, *inv, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    #[test]
    fn classes_save_as_hex_code_points() {
        let m = dscp(&[("dscp-class", true, "af411")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" ! --dscp 0x22", " DSCP match !0x22"));
    }

    #[test]
    fn errors_use_iptables_words() {
        assert_eq!(dscp(&[("dscp", false, "64")]).unwrap_err(), cnum::bad_int_range("dscp", "dscp", 0, 63));
        assert_eq!(dscp(&[("dscp-class", false, "XX")]).unwrap_err(), opts::param("Invalid DSCP value `XX'"));
        assert!(dscp(&[("dscp", false, "1"), ("dscp-class", false, "EF")]).is_err());
        assert_eq!(dscp(&[]).unwrap_err(), opts::param("DSCP match: Parameter --dscp is required"));
    }

    #[test]
    fn compares_the_upper_six_tos_bits() {
        let m = &mut dscp(&[("dscp", false, "46")]).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        p.bytes[1] = 0xb9; // EF with ECN bits 01
        assert!(m.matches(&mut p, &mut false));
        p.bytes[1] = 0;
        assert!(!m.matches(&mut p, &mut false));
    }
}
