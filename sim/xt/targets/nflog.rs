//! `-j NFLOG`: hand the packet to an nfnetlink_log group (ulogd, tcpdump
//! `nflog:N`), then go on with the next rule.
//!
//! iptables cuts the prefix at 63 bytes (the kernel's 64-byte buffer less
//! NUL). `--nflog-range` sets the copy length without the flag the kernel
//! honours (it never worked); `--nflog-size` sets both.

use crate::xt::matches::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{RuleInfo, Target, TargetVerdict};

const PREFIX_MAX: usize = 63;

/// The NFLOG target.
#[derive(Clone, Debug, Default)]
pub struct Nflog {
    /// Netlink group.
    pub group: u16,
    /// Prefix.
    pub prefix: String,
    /// Copy length.
    pub len: u32,
    /// The length came from `--nflog-size` (XT_NFLOG_F_COPY_LEN).
    pub copy_len: bool,
    /// Queue threshold.
    pub threshold: u16,
    range_given: bool,
}

const OPTS: &[Opt] = &[
    Opt::arg("nflog-group"),
    Opt::arg("nflog-prefix"),
    Opt::arg("nflog-range"),
    Opt::arg("nflog-size"),
    Opt::arg("nflog-threshold"),
];

impl Nflog {
    fn parts(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if !self.prefix.is_empty() {
            v.push(("nflog-prefix", opts::quote_if_needed(&self.prefix)));
        }
        if self.group != 0 {
            v.push(("nflog-group", self.group.to_string()));
        }
        if self.copy_len {
            v.push(("nflog-size", self.len.to_string()));
        } else if self.len != 0 {
            v.push(("nflog-range", self.len.to_string()));
        }
        if self.threshold != 0 {
            v.push(("nflog-threshold", self.threshold.to_string()));
        }
        v
    }
}

impl Target for Nflog {
    fn name(&self) -> &'static str {
        "NFLOG"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = args[0];
        match opt {
            "nflog-group" => self.group = x6::uint("NFLOG", opt, s, 0, 65535)? as u16,
            "nflog-threshold" => self.threshold = x6::uint("NFLOG", opt, s, 0, 65535)? as u16,
            "nflog-prefix" => {
                if s.is_empty() {
                    return Err(opts::param("Argument must have a minimum length of 1 characters"));
                }
                let mut p = s.to_string();
                while p.len() > PREFIX_MAX {
                    p.pop();
                }
                self.prefix = p;
            }
            "nflog-range" => {
                self.len = x6::uint("NFLOG", opt, s, 0, u32::MAX as u64)? as u32;
                self.range_given = true;
            }
            _ => {
                self.len = x6::uint("NFLOG", opt, s, 0, u32::MAX as u64)? as u32;
                self.copy_len = true;
            }
        }
        Ok(())
    }
    fn warnings(&self) -> Vec<String> {
        if self.range_given {
            vec![
                "warn: --nflog-range has never worked and is no longer supported, please use --nflog-size instead"
                    .into(),
            ]
        } else {
            Vec::new()
        }
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.range_given && self.copy_len {
            return Err(x6::excl("NFLOG", "nflog-range", "nflog-size"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        for (k, v) in self.parts() {
            out.push_str(&format!(" --{k} {v}"));
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        for (k, v) in self.parts() {
            out.push_str(&format!(" {k} {v}"));
        }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Nflog(self));
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

    fn nf(args: &[(&str, &str)]) -> Result<Nflog, Error> {
        let mut t = Nflog::default();
        for (o, a) in args {
            t.parse(o, false, &[a], &RuleInfo::default())?;
        }
        t.finish(&RuleInfo::default())?;
        Ok(t)
    }

    #[test]
    fn save_order_and_prefix_cut() {
        let t = nf(&[("nflog-group", "5"), ("nflog-prefix", "nf: ")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&mut s);
        t.list(&mut l, true);
        assert_eq!(s, " --nflog-prefix \"nf: \" --nflog-group 5");
        assert_eq!(l, " nflog-prefix \"nf: \" nflog-group 5");
        let long = "0123456789".repeat(7);
        assert_eq!(nf(&[("nflog-prefix", &long)]).unwrap().prefix.len(), 63);
        let mut s = String::new();
        nf(&[("nflog-group", "0"), ("nflog-size", "0")]).unwrap().save(&mut s);
        assert_eq!(s, " --nflog-size 0");
    }

    #[test]
    fn errors() {
        assert_eq!(nf(&[("nflog-group", "70000")]).unwrap_err(), x6::range("NFLOG", "nflog-group", 0, 65535));
        let e = nf(&[("nflog-range", "5"), ("nflog-size", "6")]).unwrap_err();
        assert_eq!(e, x6::excl("NFLOG", "nflog-range", "nflog-size"));
    }

    #[test]
    fn logs_and_continues() {
        let mut t = nf(&[("nflog-group", "2"), ("nflog-prefix", "x")]).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert_eq!(t.fire(&mut p), TargetVerdict::Continue);
        assert_eq!(p.actions, ["NFLOG 2 x"]);
    }
}
