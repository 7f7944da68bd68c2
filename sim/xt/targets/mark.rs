//! `-j MARK`: `mark = (mark & !mask) ^ value`, then the next rule. Every
//! form (`--set-mark`, `--and-mark`, ...) is stored as that xor-mask pair.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{RuleInfo, Target, TargetVerdict};

/// The MARK target (revision 2).
#[derive(Clone, Debug, Default)]
pub struct Mark {
    /// Value and mask once given.
    pub xmark: Option<(u32, u32)>,
    /// The option that gave them.
    pub given: Option<&'static str>,
}

const OPTS: &[Opt] =
    &[Opt::arg("set-xmark"), Opt::arg("set-mark"), Opt::arg("and-mark"), Opt::arg("or-mark"), Opt::arg("xor-mark")];

impl Target for Mark {
    fn name(&self) -> &'static str {
        "MARK"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        if let Some(old) = self.given {
            // The x6 framework names the pair in option-table order.
            let pos = |n: &str| OPTS.iter().position(|o| o.name == n);
            let (a, b) = if pos(old) < pos(opt) { (old, opt) } else { (opt, old) };
            return Err(opts::param(format!("MARK: option \"--{a}\" cannot be used together with \"--{b}\".\n")));
        }
        self.given = OPTS.iter().find(|o| o.name == opt).map(|o| o.name);
        let bad = || opts::bad_int("MARK", opt);
        let (v, m) = opts::parse_mark_mask(args[0]).ok_or_else(bad)?;
        let has_mask = args[0].contains('/');
        if !has_mask && opt != "set-xmark" && opt != "set-mark" && args[0].contains('/') {
            return Err(bad());
        }
        self.xmark = Some(match opt {
            "set-xmark" => (v, m),
            "set-mark" => (v, v | m),
            "and-mark" => (0, !v),
            "or-mark" => (v, v),
            _ => (v, 0),
        });
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.xmark
            .map(|_| ())
            .ok_or_else(|| opts::param("MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required"))
    }
    fn save(&self, out: &mut String) {
        let (v, m) = self.xmark.unwrap_or_default();
        out.push_str(&format!(" --set-xmark {v:#x}/{m:#x}"));
    }
    fn list(&self, out: &mut String, _: bool) {
        let (v, m) = self.xmark.unwrap_or_default();
        let text = if v == 0 {
            format!("and {:#x}", !m)
        } else if v == m {
            format!("or {v:#x}")
        } else if m == 0 {
            format!("xor {v:#x}")
        } else if m == u32::MAX {
            format!("set {v:#x}")
        } else {
            format!("xset {v:#x}/{m:#x}")
        };
        out.push_str(&format!(" MARK {text}"));
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        let (v, m) = self.xmark.unwrap_or_default();
        let new = (pkt.mark() & !m) ^ v;
        pkt.set_mark(new);
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

    fn mark(opt: &str, a: &str) -> Mark {
        let mut m = Mark::default();
        m.parse(opt, false, &[a], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn every_form_saves_as_set_xmark_and_lists_its_kind() {
        for (opt, arg, save, list) in [
            ("set-mark", "5", " --set-xmark 0x5/0xffffffff", " MARK set 0x5"),
            ("set-mark", "5/0xff", " --set-xmark 0x5/0xff", " MARK xset 0x5/0xff"),
            ("and-mark", "0xf0", " --set-xmark 0x0/0xffffff0f", " MARK and 0xf0"),
            ("or-mark", "0x3", " --set-xmark 0x3/0x3", " MARK or 0x3"),
            ("xor-mark", "0x3", " --set-xmark 0x3/0x0", " MARK xor 0x3"),
        ] {
            let m = mark(opt, arg);
            let (mut s, mut l) = (String::new(), String::new());
            m.save(&mut s);
            m.list(&mut l, false);
            assert_eq!((s.as_str(), l.as_str()), (save, list));
        }
    }

    #[test]
    fn sets_the_packet_mark_and_continues() {
        let mut m = mark("or-mark", "0x3");
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        p.mark = 0x10;
        assert_eq!(m.fire(&mut p), TargetVerdict::Continue);
        assert_eq!(p.mark, 0x13);
    }
}
