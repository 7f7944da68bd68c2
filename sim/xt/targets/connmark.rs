//! `-j CONNMARK`: set the connection mark (`--set-xmark` and its
//! `--set/and/or/xor-mark` spellings: `ct = (ct & !mask) ^ value`), copy the
//! packet mark into it (`--save-mark`: `ct = (ct & !ctmask) ^ (mark & nfmask)`)
//! or back (`--restore-mark`: `mark = (mark & !nfmask) ^ (ct & ctmask)`).
//!
//! Kernel semantics (xt_CONNMARK): without a conntrack entry nothing
//! happens; the target always continues with the next rule.

use crate::xt::matches::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{RuleInfo, Target, TargetVerdict};

/// What the target does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Set the connection mark from value/mask.
    Set(u32, u32),
    /// Packet mark to connection mark.
    Save,
    /// Connection mark to packet mark.
    Restore,
}

/// The CONNMARK target (revision 1 semantics).
#[derive(Clone, Debug, Default)]
pub struct Connmark {
    /// The operation, once given.
    pub op: Option<Op>,
    /// Mask on the packet mark (save/restore).
    pub nfmask: Option<u32>,
    /// Mask on the connection mark (save/restore).
    pub ctmask: Option<u32>,
    seen: Vec<&'static str>,
}

const OPS: [&str; 7] = ["set-mark", "save-mark", "restore-mark", "and-mark", "or-mark", "xor-mark", "set-xmark"];

const OPTS: &[Opt] = &[
    Opt::arg("set-mark"),
    Opt::flag("save-mark"),
    Opt::flag("restore-mark"),
    Opt::arg("and-mark"),
    Opt::arg("or-mark"),
    Opt::arg("xor-mark"),
    Opt::arg("set-xmark"),
    Opt::arg("ctmask"),
    Opt::arg("nfmask"),
    Opt::arg("mask"),
];

impl Connmark {
    fn masks(&self) -> (u32, u32) {
        (self.nfmask.unwrap_or(u32::MAX), self.ctmask.unwrap_or(u32::MAX))
    }
}

impl Target for Connmark {
    fn name(&self) -> &'static str {
        "CONNMARK"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let name = OPTS.iter().find(|o| o.name == opt).map_or("", |o| o.name);
        self.seen.push(name);
        let markmask = || opts::parse_mark_mask(args[0]).ok_or_else(|| opts::bad_int("CONNMARK", name));
        let u32v = || x6::uint("CONNMARK", name, args[0], 0, u32::MAX as u64).map(|v| v as u32);
        match opt {
            "set-xmark" => {
                let (v, m) = markmask()?;
                self.op = Some(Op::Set(v, m));
            }
            "set-mark" => {
                let (v, m) = markmask()?;
                self.op = Some(Op::Set(v, v | m));
            }
            "and-mark" => self.op = Some(Op::Set(0, !u32v()?)),
            "or-mark" => {
                let v = u32v()?;
                self.op = Some(Op::Set(v, v));
            }
            "xor-mark" => self.op = Some(Op::Set(u32v()?, 0)),
            "save-mark" => self.op = Some(Op::Save),
            "restore-mark" => self.op = Some(Op::Restore),
            "ctmask" => self.ctmask = Some(u32v()?),
            "nfmask" => self.nfmask = Some(u32v()?),
            _ => {
                let m = u32v()?;
                (self.nfmask, self.ctmask) = (Some(m), Some(m));
                // With a set operation, --mask is the xmark mask.
                if let Some(Op::Set(v, _)) = self.op {
                    self.op = Some(Op::Set(v, m));
                }
            }
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        let mut pairs = Vec::new();
        for (i, a) in OPS.iter().enumerate() {
            for b in &OPS[i + 1..] {
                pairs.push((*a, *b));
            }
        }
        x6::check_excl("CONNMARK", &self.seen, &pairs)?;
        self.op.map(|_| ()).ok_or_else(|| opts::param("CONNMARK target: No operation specified"))
    }
    fn save(&self, out: &mut String) {
        let (nf, ct) = self.masks();
        match self.op {
            Some(Op::Set(v, m)) => out.push_str(&format!(" --set-xmark {v:#x}/{m:#x}")),
            Some(Op::Save) => out.push_str(&format!(" --save-mark --nfmask {nf:#x} --ctmask {ct:#x}")),
            Some(Op::Restore) => out.push_str(&format!(" --restore-mark --nfmask {nf:#x} --ctmask {ct:#x}")),
            None => {}
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        let (nf, ct) = self.masks();
        let text = match self.op {
            Some(Op::Set(0, m)) => format!("and {:#x}", !m),
            Some(Op::Set(v, m)) if v == m => format!("or {v:#x}"),
            Some(Op::Set(v, 0)) => format!("xor {v:#x}"),
            Some(Op::Set(v, u32::MAX)) => format!("set {v:#x}"),
            Some(Op::Set(v, m)) => format!("xset {v:#x}/{m:#x}"),
            // The `~` is printed literally before the plain mask (libxt_CONNMARK).
            Some(Op::Save) if nf == u32::MAX && ct == u32::MAX => "save".into(),
            Some(Op::Save) if nf == ct => format!("save mask {ct:#x}"),
            Some(Op::Save) => format!("save nfmask {nf:#x} ctmask ~{ct:#x}"),
            Some(Op::Restore) if nf == u32::MAX && ct == u32::MAX => "restore".into(),
            Some(Op::Restore) if nf == ct => format!("restore mask {ct:#x}"),
            Some(Op::Restore) => format!("restore ctmask {ct:#x} nfmask ~{nf:#x}"),
            None => String::new(),
        };
        out.push_str(&format!(" CONNMARK {text}"));
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        let Some(ctmark) = pkt.ct().map(|c| c.mark) else {
            return TargetVerdict::Continue;
        };
        let (nf, ct) = self.masks();
        match self.op {
            Some(Op::Set(v, m)) => {
                let new = (ctmark & !m) ^ v;
                if new != ctmark {
                    pkt.act(Action::SetCtMark(new));
                }
            }
            Some(Op::Save) => {
                let new = (ctmark & !ct) ^ (pkt.mark() & nf);
                if new != ctmark {
                    pkt.act(Action::SetCtMark(new));
                }
            }
            Some(Op::Restore) => {
                let new = (pkt.mark() & !nf) ^ (ctmark & ct);
                pkt.set_mark(new);
            }
            None => {}
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
    use crate::xt::packet::{CtFacts, TestPacket};

    fn cm(args: &[(&str, &str)]) -> Result<Connmark, Error> {
        let mut t = Connmark::default();
        for (o, a) in args {
            t.parse(o, false, &[a], &RuleInfo::default())?;
        }
        t.finish(&RuleInfo::default())?;
        Ok(t)
    }

    fn text(t: &Connmark) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&mut s);
        t.list(&mut l, true);
        (s, l)
    }

    #[test]
    fn set_forms_save_as_xmark() {
        for (o, a, save, list) in [
            ("set-mark", "1", " --set-xmark 0x1/0xffffffff", " CONNMARK set 0x1"),
            ("set-mark", "0x1/0xff", " --set-xmark 0x1/0xff", " CONNMARK xset 0x1/0xff"),
            ("and-mark", "0xf", " --set-xmark 0x0/0xfffffff0", " CONNMARK and 0xf"),
            ("or-mark", "0x10", " --set-xmark 0x10/0x10", " CONNMARK or 0x10"),
            ("xor-mark", "0x10", " --set-xmark 0x10/0x0", " CONNMARK xor 0x10"),
        ] {
            assert_eq!(text(&cm(&[(o, a)]).unwrap()), (save.to_string(), list.to_string()));
        }
    }

    #[test]
    fn save_restore_print_both_masks() {
        let t = cm(&[("save-mark", ""), ("nfmask", "0xff"), ("ctmask", "0xff00")]).unwrap();
        assert_eq!(text(&t).0, " --save-mark --nfmask 0xff --ctmask 0xff00");
        assert_eq!(text(&t).1, " CONNMARK save nfmask 0xff ctmask ~0xff00");
        let t = cm(&[("restore-mark", ""), ("mask", "0xff")]).unwrap();
        assert_eq!(
            text(&t),
            (" --restore-mark --nfmask 0xff --ctmask 0xff".into(), " CONNMARK restore mask 0xff".into())
        );
        let t = cm(&[("restore-mark", "")]).unwrap();
        assert_eq!(text(&t).0, " --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff");
    }

    #[test]
    fn errors() {
        assert_eq!(cm(&[]).unwrap_err(), opts::param("CONNMARK target: No operation specified"));
        let e = cm(&[("set-mark", "1"), ("save-mark", "")]).unwrap_err();
        assert_eq!(e, x6::excl("CONNMARK", "set-mark", "save-mark"));
        let e = cm(&[("and-mark", "1/2")]).unwrap_err();
        assert_eq!(e, x6::range("CONNMARK", "and-mark", 0, u32::MAX as u64));
    }

    #[test]
    fn save_and_restore_move_marks() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::PreRouting);
        p.mark = 0x1234;
        cm(&[("save-mark", "")]).unwrap().fire(&mut p);
        assert!(p.actions.is_empty(), "no entry, no effect");
        p.ct = Some(CtFacts { mark: 0xab00, ..CtFacts::default() });
        cm(&[("save-mark", ""), ("mask", "0xff")]).unwrap().fire(&mut p);
        assert_eq!(p.actions, ["CTMARK 0xab34"]);
        cm(&[("restore-mark", ""), ("mask", "0xff00")]).unwrap().fire(&mut p);
        assert_eq!(p.mark, 0xab34);
    }
}
