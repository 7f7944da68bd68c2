//! `-m tcp` (also loaded implicitly by `-p tcp`): ports, flags, an option.
//!
//! Kernel semantics (xt_tcpudp): non-first fragments never match; a fragment
//! at offset 1 (which could rewrite the flags) and a truncated header are
//! dropped at once ("hotdrop").

use super::ports::{PortRange, PortTest};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo, Scope};

/// TCP flag names in the order iptables prints them.
const FLAGS: [(&str, u8); 6] =
    [("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10), ("URG", 0x20)];

/// The tcp match.
#[derive(Clone, Debug, Default)]
pub struct Tcp {
    /// `--sport`.
    pub sport: PortRange,
    /// `--dport`.
    pub dport: PortRange,
    /// `--tcp-flags MASK COMP` (or `--syn`), with `!`.
    pub flags: Option<(u8, u8, bool)>,
    /// `--tcp-option N`, with `!`.
    pub option: Option<(u8, bool)>,
    seen_sport: bool,
    seen_dport: bool,
}

const OPTS: &[Opt] = &[
    // tcp checks repeats itself, with its own message.
    Opt::inv("source-port").multi(),
    Opt::inv("sport").multi(),
    Opt::inv("destination-port").multi(),
    Opt::inv("dport").multi(),
    Opt::flag("syn").invertible(),
    Opt { name: "tcp-flags", args: 2, invert: true, multi: true },
    Opt::inv("tcp-option").multi(),
];

fn parse_flags(s: &str) -> Result<u8, Error> {
    let mut v = 0;
    for f in s.split(',') {
        v |= match f.to_ascii_uppercase().as_str() {
            "ALL" => 0x3f,
            "NONE" => 0,
            up => FLAGS
                .iter()
                .find(|(n, _)| *n == up)
                .map(|x| x.1)
                .ok_or_else(|| opts::param(format!("Unknown TCP flag `{f}'")))?,
        };
    }
    Ok(v)
}

fn flag_names(v: u8) -> String {
    if v == 0 {
        return "NONE".into();
    }
    let names: Vec<&str> = FLAGS.iter().filter(|(_, b)| v & b != 0).map(|x| x.0).collect();
    names.join(",")
}

fn bad_port(p: &str) -> Error {
    opts::param(format!("invalid port/service `{p}' specified"))
}

impl Tcp {
    fn set_ports(&mut self, dst: bool, arg: &str, inv: bool) -> Result<(), Error> {
        let (seen, what) = if dst { (&mut self.seen_dport, "destination") } else { (&mut self.seen_sport, "source") };
        if *seen {
            return Err(opts::param(format!("Only one `--{what}-port' allowed")));
        }
        *seen = true;
        let r = PortRange::parse(arg, "tcp", inv, bad_port)?;
        if r.min > r.max {
            return Err(opts::param("invalid portrange (min > max)"));
        }
        if dst {
            self.dport = r
        } else {
            self.sport = r
        }
        Ok(())
    }
}

impl Match for Tcp {
    fn name(&self) -> &'static str {
        "tcp"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        match opt {
            "source-port" | "sport" => self.set_ports(false, args[0], inv),
            "destination-port" | "dport" => self.set_ports(true, args[0], inv),
            "syn" | "tcp-flags" => {
                if self.flags.is_some() {
                    return Err(opts::param("Only one of `--syn' or `--tcp-flags'  allowed"));
                }
                let (mask, cmp) =
                    if opt == "syn" { (0x17, 0x02) } else { (parse_flags(args[0])?, parse_flags(args[1])?) };
                self.flags = Some((mask, cmp, inv));
                Ok(())
            }
            _ => {
                if self.option.is_some() {
                    return Err(opts::param("Only one `--tcp-option' allowed"));
                }
                let v = opts::parse_uint(args[0], 255)
                    .filter(|v| *v > 0)
                    .ok_or_else(|| opts::param(format!("Bad TCP option \"{}\"", args[0])))?;
                self.option = Some((v as u8, inv));
                Ok(())
            }
        }
    }
    fn save(&self, out: &mut String) {
        self.sport.save(out, "sport");
        self.dport.save(out, "dport");
        if let Some((o, inv)) = self.option {
            out.push_str(&format!("{} --tcp-option {o}", if inv { " !" } else { "" }));
        }
        if let Some((m, c, inv)) = self.flags {
            let inv = if inv { " !" } else { "" };
            out.push_str(&format!("{inv} --tcp-flags {} {}", flag_names(m), flag_names(c)));
        }
    }
    fn list(&self, out: &mut String, numeric: bool) {
        out.push_str(" tcp");
        self.sport.list(out, "spt", "tcp", numeric);
        self.dport.list(out, "dpt", "tcp", numeric);
        if let Some((o, inv)) = self.option {
            out.push_str(&format!(" option={}{o}", if inv { "!" } else { "" }));
        }
        if let Some((m, c, inv)) = self.flags {
            let inv = if inv { "!" } else { "" };
            if numeric {
                out.push_str(&format!(" flags:{inv}0x{m:02X}/0x{c:02X}"));
            } else {
                out.push_str(&format!(" flags:{inv}{}/{}", flag_names(m), flag_names(c)));
            }
        }
    }
    fn scope(&self) -> Scope {
        Scope { proto: 6, ..Scope::ANY }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool {
        let Some((ip, t)) = packet::l4(pkt.ip()) else {
            return false;
        };
        if ip.frag_off != 0 {
            // Offset 1 could overwrite the flags of the first fragment.
            *hotdrop = ip.frag_off == 1;
            return false;
        }
        if t.len() < 20 {
            *hotdrop = true;
            return false;
        }
        let (sp, dp) = packet::ports(t).unwrap_or((0, 0));
        if !self.sport.hit(sp) || !self.dport.hit(dp) {
            return false;
        }
        if let Some((m, c, inv)) = self.flags
            && ((t[13] & m) == c) == inv
        {
            return false;
        }
        if let Some((kind, inv)) = self.option {
            match has_option(t, kind) {
                None => {
                    *hotdrop = true;
                    return false;
                }
                Some(found) if found == inv => return false,
                Some(_) => {}
            }
        }
        true
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
    fn port_test(&self) -> Option<PortTest> {
        let (sport, dport) = (PortTest::range(&self.sport), PortTest::range(&self.dport));
        // The flags and option are tested after the ports, on the same header.
        let only = !self.sport.inv && !self.dport.inv && self.flags.is_none() && self.option.is_none();
        Some(PortTest { sport, dport, only, pure: self.option.is_none() })
    }
    fn requires_syn(&self) -> bool {
        matches!(self.flags, Some((m, c, false)) if m & 0x02 != 0 && c & 0x02 != 0)
    }
}

/// Whether the TCP options contain `kind`; `None` if the header is truncated.
fn has_option(t: &[u8], kind: u8) -> Option<bool> {
    let doff = (t[12] >> 4) as usize * 4;
    if doff < 20 {
        return Some(false);
    }
    let opts = t.get(20..doff)?;
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            k if k == kind => return Some(true),
            0 | 1 => i += 1,
            _ => i += (*opts.get(i + 1).unwrap_or(&1)).max(1) as usize,
        }
    }
    Some(false)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    fn tcp(args: &[(&str, bool, &[&str])]) -> Tcp {
        let mut m = Tcp::default();
        for (o, inv, a) in args {
            m.parse(o, *inv, a, &RuleInfo::default()).unwrap();
        }
        m
    }

    #[test]
    fn syn_saves_as_tcp_flags_and_lists_both_ways() {
        let m = tcp(&[("dport", false, &["ssh"]), ("syn", false, &[])]);
        let mut s = String::new();
        m.save(&mut s);
        assert_eq!(s, " --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN");
        let mut l = String::new();
        m.list(&mut l, true);
        assert_eq!(l, " tcp dpt:22 flags:0x17/0x02");
    }

    #[test]
    fn bad_flag_and_reversed_range_are_refused() {
        let mut m = Tcp::default();
        let e = m.parse("tcp-flags", false, &["FOO", "SYN"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Unknown TCP flag `FOO'")));
        let e = m.parse("sport", false, &["4:3"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("invalid portrange (min > max)")));
    }

    #[test]
    fn matches_ports_and_flags_and_drops_offset_one() {
        let mut m = tcp(&[("dport", false, &["80"]), ("syn", false, &[])]);
        let mut hd = false;
        let mut p = TestPacket::new(TestPacket::tcp([1, 1, 1, 1], [2, 2, 2, 2], 999, 80, 0x02), Hook::Input);
        assert!(m.matches(&mut p, &mut hd));
        p.bytes = TestPacket::tcp([1, 1, 1, 1], [2, 2, 2, 2], 999, 80, 0x12);
        assert!(!m.matches(&mut p, &mut hd));
        p.bytes[7] = 1;
        assert!(!m.matches(&mut p, &mut hd));
        assert!(hd);
    }
}
