//! `-j LOG`: a kernel log line per packet (formatted by the klog layer),
//! then the next rule.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{RuleInfo, Target, TargetVerdict};

/// Level names `-L` prints (syslog's short names).
const LIST_LEVELS: [&str; 8] = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"];
/// Names `--log-level` accepts.
const INPUT_LEVELS: [(&str, u8); 9] = [
    ("emerg", 0),
    ("panic", 0),
    ("alert", 1),
    ("crit", 2),
    ("error", 3),
    ("warning", 4),
    ("notice", 5),
    ("info", 6),
    ("debug", 7),
];

/// Flag bits (`--log-tcp-sequence` 1 ... `--log-macdecode` 0x20), with the
/// option and `-L` names, in print order.
const FLAGS: [(u8, &str, &str); 5] = [
    (0x01, "log-tcp-sequence", "tcp-sequence"),
    (0x02, "log-tcp-options", "tcp-options"),
    (0x04, "log-ip-options", "ip-options"),
    (0x08, "log-uid", "uid"),
    (0x20, "log-macdecode", "macdecode"),
];

/// The LOG target.
#[derive(Clone, Debug)]
pub struct Log {
    /// Syslog level 0..=7 (default 4, warning).
    pub level: u8,
    /// Prefix (at most 29 bytes).
    pub prefix: String,
    /// Flag bits.
    pub flags: u8,
}

impl Default for Log {
    fn default() -> Self {
        Log { level: 4, prefix: String::new(), flags: 0 }
    }
}

const OPTS: &[Opt] = &[
    Opt::arg("log-level"),
    Opt::arg("log-prefix"),
    Opt::flag("log-tcp-sequence"),
    Opt::flag("log-tcp-options"),
    Opt::flag("log-ip-options"),
    Opt::flag("log-uid"),
    Opt::flag("log-macdecode"),
];

impl Target for Log {
    fn name(&self) -> &'static str {
        "LOG"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        match opt {
            "log-level" => {
                let s = args[0];
                self.level = match opts::parse_uint(s, 7) {
                    Some(v) => v as u8,
                    None => INPUT_LEVELS
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(s))
                        .map(|x| x.1)
                        .ok_or_else(|| opts::param(format!("log level \"{s}\" unknown\n")))?,
                };
            }
            "log-prefix" => {
                if args[0].is_empty() {
                    return Err(opts::param("Argument must have a minimum length of 1 characters\n"));
                }
                // iptables keeps at most 29 bytes (the kernel's buffer less NUL).
                let mut p = args[0].to_string();
                while p.len() > 29 {
                    p.pop();
                }
                self.prefix = p;
            }
            _ => {
                let bit = FLAGS.iter().find(|f| f.1 == opt).map_or(0, |f| f.0);
                self.flags |= bit;
            }
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        if !self.prefix.is_empty() {
            out.push_str(&format!(" --log-prefix {}", opts::quote_if_needed(&self.prefix)));
        }
        if self.level != 4 {
            out.push_str(&format!(" --log-level {}", self.level));
        }
        for (bit, name, _) in FLAGS {
            if self.flags & bit != 0 {
                out.push_str(&format!(" --{name}"));
            }
        }
    }
    fn list(&self, out: &mut String, numeric: bool) {
        out.push_str(" LOG");
        if numeric {
            out.push_str(&format!(" flags {} level {}", self.flags, self.level));
        } else {
            out.push_str(&format!(" level {}", LIST_LEVELS[self.level as usize & 7]));
            for (bit, _, name) in FLAGS {
                if self.flags & bit != 0 {
                    out.push_str(&format!(" {name}"));
                }
            }
        }
        if !self.prefix.is_empty() {
            out.push_str(&format!(" prefix \"{}\"", self.prefix));
        }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Log(self));
        TargetVerdict::Continue
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn log(args: &[(&str, &str)]) -> Log {
        let mut l = Log::default();
        for (o, a) in args {
            l.parse(o, false, &[a], &RuleInfo::default()).unwrap();
        }
        l
    }

    #[test]
    fn saves_prefix_level_flags_in_order() {
        let l = log(&[("log-tcp-sequence", ""), ("log-level", "debug"), ("log-prefix", "DROP ")]);
        let (mut s, mut n, mut m) = (String::new(), String::new(), String::new());
        l.save(&mut s);
        l.list(&mut n, false);
        l.list(&mut m, true);
        assert_eq!(s, " --log-prefix \"DROP \" --log-level 7 --log-tcp-sequence");
        assert_eq!(n, " LOG level debug tcp-sequence prefix \"DROP \"");
        assert_eq!(m, " LOG flags 1 level 7 prefix \"DROP \"");
    }

    #[test]
    fn unknown_level_is_refused() {
        let e = Log::default().parse("log-level", false, &["err"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("log level \"err\" unknown\n")));
    }
}
