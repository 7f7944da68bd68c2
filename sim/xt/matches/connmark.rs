//! `-m connmark [!] --mark value[/mask]`: `(ct mark & mask) == value`.
//!
//! Kernel semantics (xt_connmark): a packet without a conntrack entry never
//! matches, inverted or not.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// The connmark match.
#[derive(Clone, Debug, Default)]
pub struct Connmark {
    /// Value and mask, once given.
    pub mark: Option<(u32, u32)>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("mark")];

impl Match for Connmark {
    fn name(&self) -> &'static str {
        "connmark"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.mark = Some(opts::parse_mark_mask(args[0]).ok_or_else(|| opts::bad_int("connmark", "mark"))?);
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.mark.map(|_| ()).ok_or_else(|| opts::must_specify("connmark", "mark"))
    }
    fn save(&self, out: &mut String) {
        let (v, m) = self.mark.unwrap_or_default();
        out.push_str(&format!("{} --mark {}", if self.inv { " !" } else { "" }, opts::fmt_mark(v, m)));
    }
    fn list(&self, out: &mut String, _: bool) {
        // iptables prints the `!` (or nothing) then a space: two spaces when not inverted.
        let (v, m) = self.mark.unwrap_or_default();
        out.push_str(&format!(" connmark match {} {}", if self.inv { "!" } else { "" }, opts::fmt_mark(v, m)));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let (v, m) = self.mark.unwrap_or_default();
        pkt.ct().is_some_and(|ct| ((ct.mark & m) == v) != self.inv)
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::{CtFacts, TestPacket};

    fn cm(inv: bool, a: &str) -> Connmark {
        let mut m = Connmark::default();
        m.parse("mark", inv, &[a], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn save_and_list_forms() {
        for (inv, a, save, list) in [
            (false, "1", " --mark 0x1", " connmark match  0x1"),
            (true, "0x10/0xf0", " ! --mark 0x10/0xf0", " connmark match ! 0x10/0xf0"),
        ] {
            let m = cm(inv, a);
            let (mut s, mut l) = (String::new(), String::new());
            m.save(&mut s);
            m.list(&mut l, true);
            assert_eq!((s.as_str(), l.as_str()), (save, list));
        }
    }

    #[test]
    fn bad_values_and_missing_option() {
        let e = Connmark::default().parse("mark", false, &["0x1/0x100000000"], &RuleInfo::default());
        assert_eq!(e, Err(opts::bad_int("connmark", "mark")));
        assert_eq!(Connmark::default().finish(&RuleInfo::default()), Err(opts::must_specify("connmark", "mark")));
    }

    #[test]
    fn compares_the_connection_mark_and_needs_an_entry() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(!cm(true, "1").matches(&mut p, &mut false));
        p.ct = Some(CtFacts { mark: 0x31, ..CtFacts::default() });
        assert!(cm(false, "0x1/0xf").matches(&mut p, &mut false));
        assert!(!cm(true, "0x1/0xf").matches(&mut p, &mut false));
    }
}
