//! `-m mac [!] --mac-source XX:XX:XX:XX:XX:XX`: the Ethernet source address
//! of a received frame (PREROUTING, INPUT and FORWARD only).

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Hook, Match, RuleInfo, Scope};

/// The mac match.
#[derive(Clone, Debug, Default)]
pub struct Mac {
    /// The source address, once given.
    pub addr: Option<[u8; 6]>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("mac-source")];

/// Six hex parts joined by `:`, each what `strtoul(.., 16)` reads in at
/// most two characters (so `0:1:2:3:4:` and `-1:...` pass, as in iptables).
fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (m, p) in mac.iter_mut().zip(parts) {
        let (v, used, _) = cnum::strtoumax(p, 16);
        if used != p.len() || used > 2 {
            return None;
        }
        *m = v as u8;
    }
    Some(mac)
}

fn mac_text(m: &[u8; 6]) -> String {
    let parts: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

impl Match for Mac {
    fn name(&self) -> &'static str {
        "mac"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.addr = Some(parse_mac(args[0]).ok_or_else(|| opts::param("Invalid MAC address specified."))?);
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.addr.map(|_| ()).ok_or_else(|| opts::must_specify("mac", "mac-source"))
    }
    fn save(&self, out: &mut String) {
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!("{inv} --mac-source {}", mac_text(&self.addr.unwrap_or_default())));
    }
    fn list(&self, out: &mut String, _: bool) {
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!(" MAC{inv} {}", mac_text(&self.addr.unwrap_or_default())));
    }
    fn scope(&self) -> Scope {
        Scope { hooks: Hook::PreRouting.bit() | Hook::Input.bit() | Hook::Forward.bit(), ..Scope::ANY }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        // No Ethernet header: no match, whatever `!` says (xt_mac).
        match pkt.link_header() {
            Some(h) if h.len() >= 14 => (Some(&h[6..12]) == self.addr.as_ref().map(|a| &a[..])) != self.inv,
            _ => false,
        }
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
    fn short_parts_pad_and_upper_case_lowers() {
        assert_eq!(parse_mac("0:1:2:3:4:"), Some([0, 1, 2, 3, 4, 0]));
        assert_eq!(parse_mac("-1:2:3:4:5:6"), Some([0xff, 2, 3, 4, 5, 6]));
        assert_eq!(parse_mac("000:1:2:3:4:5"), None);
        assert_eq!(parse_mac("00:11:22:33:44"), None);
        let mut m = Mac::default();
        m.parse("mac-source", true, &["00:11:22:aa:BB:cc"], &RuleInfo::default()).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" ! --mac-source 00:11:22:aa:bb:cc", " MAC ! 00:11:22:aa:bb:cc"));
    }

    #[test]
    fn bad_mac_and_missing_option() {
        let e = Mac::default().parse("mac-source", false, &["00:11:22:33:44:gg"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Invalid MAC address specified.")));
        assert!(Mac::default().finish(&RuleInfo::default()).is_err());
    }

    #[test]
    fn compares_the_frame_source_and_needs_a_header() {
        let mut m = Mac::default();
        m.parse("mac-source", false, &["02:00:00:00:00:01"], &RuleInfo::default()).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(!m.matches(&mut p, &mut false));
        m.inv = true;
        assert!(!m.matches(&mut p, &mut false), "no header never matches");
        m.inv = false;
        p.link = Some(vec![0xaa, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 8, 0]);
        assert!(m.matches(&mut p, &mut false));
    }
}
