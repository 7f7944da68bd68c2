//! `-m length [!] --length min[:max]`: the IPv4 total length, inclusive
//! (a reversed range is accepted and never matches).

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// The length match.
#[derive(Clone, Debug, Default)]
pub struct Length {
    /// Minimum and maximum, once given.
    pub range: Option<(u16, u16)>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("length")];

impl Length {
    fn text(&self) -> String {
        match self.range.unwrap_or_default() {
            (a, b) if a == b => a.to_string(),
            (a, b) => format!("{a}:{b}"),
        }
    }
}

impl Match for Length {
    fn name(&self) -> &'static str {
        "length"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let (a, b) = cnum::parse_range("length", "length", args[0], 65535)?;
        self.range = Some((a as u16, b as u16));
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.range.map(|_| ()).ok_or_else(|| opts::must_specify("length", "length"))
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!("{} --length {}", if self.inv { " !" } else { "" }, self.text()));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" length {}{}", if self.inv { "!" } else { "" }, self.text()));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let (lo, hi) = self.range.unwrap_or_default();
        packet::ipv4(pkt.ip()).is_some_and(|ip| (lo <= ip.total_len && ip.total_len <= hi) != self.inv)
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

    fn length(arg: &str, inv: bool) -> Length {
        let mut m = Length::default();
        m.parse("length", inv, &[arg], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn open_ends_fill_in_and_equal_ends_collapse() {
        let (mut s, mut l) = (String::new(), String::new());
        length("1000:", false).save(&mut s);
        length("4:4", true).list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --length 1000:65535", " length !4"));
    }

    #[test]
    fn out_of_range_is_refused() {
        let e = Length::default().parse("length", false, &["70000"], &RuleInfo::default());
        assert_eq!(e, Err(opts::bad_value_near("length", "length", "70000", 65535)));
        assert!(Length::default().finish(&RuleInfo::default()).is_err());
    }

    #[test]
    fn compares_the_ip_total_length() {
        // 20 bytes of IP + 8 of UDP.
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(length("28", false).matches(&mut p, &mut false));
        assert!(!length("0:27", false).matches(&mut p, &mut false));
        assert!(!length("100:50", false).matches(&mut p, &mut false));
        assert!(length("0:27", true).matches(&mut p, &mut false));
    }
}
