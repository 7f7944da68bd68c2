//! `-m helper [!] --helper NAME`: the packet's connection was expected by
//! a helper called NAME (its master connection carries that helper).
//!
//! Kernel semantics (xt_helper): without an entry, a master, or a master
//! helper the result is the inversion flag; otherwise the rule's name must
//! start with the helper's name (`strncmp` over the helper name's length,
//! so `ftp-21` matches helper `ftp`), and an empty name matches any helper.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// The kernel keeps 30 bytes with the NUL.
const NAME_MAX: usize = 29;

/// The helper match.
#[derive(Clone, Debug, Default)]
pub struct Helper {
    /// The helper name, once given.
    pub name: Option<String>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("helper")];

impl Match for Helper {
    fn name(&self) -> &'static str {
        "helper"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        // iptables silently cuts a longer name to the kernel's buffer.
        let mut n = args[0].to_string();
        while n.len() > NAME_MAX {
            n.pop();
        }
        self.name = Some(n);
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.name.as_ref().map(|_| ()).ok_or_else(|| opts::must_specify("helper", "helper"))
    }
    fn save(&self, out: &mut String) {
        let n = self.name.as_deref().unwrap_or_default();
        out.push_str(&format!("{} --helper {}", if self.inv { " !" } else { "" }, opts::quote_if_needed(n)));
    }
    fn list(&self, out: &mut String, _: bool) {
        let n = self.name.as_deref().unwrap_or_default();
        out.push_str(&format!(" helper match {}\"{n}\"", if self.inv { "! " } else { "" }));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let want = self.name.as_deref().unwrap_or_default();
        let Some(helper) = pkt.ct().and_then(|c| c.master_helper) else {
            return self.inv;
        };
        let hit = want.is_empty() || want.as_bytes().starts_with(helper.as_bytes());
        hit != self.inv
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

    fn h(inv: bool, a: &str) -> Helper {
        let mut m = Helper::default();
        m.parse("helper", inv, &[a], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn save_quotes_only_when_needed_and_list_always_quotes() {
        for (inv, a, save, list) in [
            (false, "ftp-21", " --helper ftp-21", " helper match \"ftp-21\""),
            (true, "sip", " ! --helper sip", " helper match ! \"sip\""),
            (false, "", " --helper \"\"", " helper match \"\""),
        ] {
            let m = h(inv, a);
            let (mut s, mut l) = (String::new(), String::new());
            m.save(&mut s);
            m.list(&mut l, true);
            assert_eq!((s.as_str(), l.as_str()), (save, list));
        }
        assert_eq!(h(false, &"0123456789".repeat(4)).name.unwrap().len(), 29);
        assert_eq!(Helper::default().finish(&RuleInfo::default()), Err(opts::must_specify("helper", "helper")));
    }

    #[test]
    fn compares_the_master_helper_by_prefix() {
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 20, 3000, 2), Hook::Input);
        assert!(!h(false, "ftp").matches(&mut p, &mut false));
        assert!(h(true, "ftp").matches(&mut p, &mut false));
        p.ct = Some(CtFacts { master_helper: Some("ftp"), ..CtFacts::default() });
        assert!(h(false, "ftp-21").matches(&mut p, &mut false));
        assert!(h(false, "").matches(&mut p, &mut false));
        assert!(!h(false, "sip").matches(&mut p, &mut false));
    }
}
