//! `-m mark [!] --mark value[/mask]`: `(skb mark & mask) == value`.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// The mark match.
#[derive(Clone, Debug, Default)]
pub struct Mark {
    /// Value and mask, once given.
    pub mark: Option<(u32, u32)>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("mark")];

impl Match for Mark {
    fn name(&self) -> &'static str {
        "mark"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.mark = Some(opts::parse_mark_mask(args[0]).ok_or_else(|| opts::bad_int("mark", "mark"))?);
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.mark.map(|_| ()).ok_or_else(|| opts::must_specify("mark", "mark"))
    }
    fn save(&self, out: &mut String) {
        let (v, m) = self.mark.unwrap_or_default();
        out.push_str(&format!("{} --mark {}", if self.inv { " !" } else { "" }, opts::fmt_mark(v, m)));
    }
    fn list(&self, out: &mut String, _: bool) {
        let (v, m) = self.mark.unwrap_or_default();
        out.push_str(&format!(" mark match {}{}", if self.inv { "! " } else { "" }, opts::fmt_mark(v, m)));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let (v, m) = self.mark.unwrap_or_default();
        ((pkt.mark() & m) == v) != self.inv
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

    #[test]
    fn decimal_saves_as_hex_and_full_mask_is_omitted() {
        let mut m = Mark::default();
        m.parse("mark", true, &["4294967295"], &RuleInfo::default()).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, false);
        assert_eq!((s.as_str(), l.as_str()), (" ! --mark 0xffffffff", " mark match ! 0xffffffff"));
    }

    #[test]
    fn masked_compare() {
        let mut m = Mark::default();
        m.parse("mark", false, &["0x1/0xff"], &RuleInfo::default()).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        p.mark = 0x301;
        assert!(m.matches(&mut p, &mut false));
        assert_eq!(
            Mark::default().parse("mark", false, &["-1"], &RuleInfo::default()),
            Err(opts::bad_int("mark", "mark"))
        );
    }
}
