//! `-m connbytes [!] --connbytes from[:to] --connbytes-dir D --connbytes-mode M`:
//! the connection's packet count, byte count or average packet size, in
//! one direction or both, lies in a range.
//!
//! Kernel semantics (xt_connbytes): no conntrack entry never matches. An
//! inverted range is stored swapped (`from > to`) and then means "outside
//! `[to, from]`"; iptables prints such a range back with `!`.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Packets.
    Packets,
    /// Bytes.
    Bytes,
    /// Bytes per packet.
    AvgPkt,
}

/// Which direction's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Original direction.
    Original,
    /// Reply direction.
    Reply,
    /// Both summed.
    Both,
}

const MODES: [(&str, Mode); 3] = [("packets", Mode::Packets), ("bytes", Mode::Bytes), ("avgpkt", Mode::AvgPkt)];
const DIRS: [(&str, Dir); 3] = [("original", Dir::Original), ("reply", Dir::Reply), ("both", Dir::Both)];

/// The connbytes match.
#[derive(Clone, Debug, Default)]
pub struct Connbytes {
    /// Range as the kernel stores it (swapped when inverted).
    pub range: Option<(u64, u64)>,
    /// `--connbytes-mode`.
    pub mode: Option<Mode>,
    /// `--connbytes-dir`.
    pub dir: Option<Dir>,
}

const OPTS: &[Opt] = &[Opt::inv("connbytes"), Opt::arg("connbytes-dir"), Opt::arg("connbytes-mode")];

/// Parses `from[:to]` as the x6 UINT64RC type; the error names the rest of
/// the string from the piece that failed.
fn parse_range(s: &str) -> Result<(u64, u64), Error> {
    let near = |p: &str| opts::bad_value_near("connbytes", "connbytes", p, u64::MAX);
    let num = |p: &str, rest: &str| {
        if p.is_empty() { Ok(None) } else { opts::parse_uint(p, u64::MAX).map(Some).ok_or_else(|| near(rest)) }
    };
    match s.split_once(':') {
        None => Ok((num(s, s)?.unwrap_or(0), u64::MAX)),
        Some((a, b)) => Ok((num(a, s)?.unwrap_or(0), num(b, b)?.unwrap_or(u64::MAX))),
    }
}

fn name_of<T: PartialEq + Copy>(table: &[(&'static str, T)], v: T) -> &'static str {
    table.iter().find(|x| x.1 == v).map_or("", |x| x.0)
}

impl Connbytes {
    /// (inverted, printed range) as iptables shows it.
    fn shown(&self) -> (bool, String) {
        let (mut a, mut b) = self.range.unwrap_or((0, u64::MAX));
        let inv = a > b;
        if inv {
            std::mem::swap(&mut a, &mut b);
        }
        let text = if b == u64::MAX { a.to_string() } else { format!("{a}:{b}") };
        (inv, text)
    }
}

impl Match for Connbytes {
    fn forces_ct_acct(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "connbytes"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = args[0];
        match opt {
            "connbytes" => {
                let (a, b) = parse_range(s)?;
                if b < a {
                    return Err(opts::param(format!("{a} should be less than {b}")));
                }
                self.range = Some(if inv { (b, a) } else { (a, b) });
            }
            "connbytes-dir" => {
                let d = DIRS
                    .iter()
                    .find(|x| x.0 == s)
                    .ok_or_else(|| opts::param(format!("Unknown --connbytes-dir `{s}'")))?;
                self.dir = Some(d.1);
            }
            _ => {
                let m = MODES
                    .iter()
                    .find(|x| x.0 == s)
                    .ok_or_else(|| opts::param(format!("Unknown --connbytes-mode `{s}'")))?;
                self.mode = Some(m.1);
            }
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.range.is_none() {
            return Err(opts::must_specify("connbytes", "connbytes"));
        }
        if self.dir.is_none() {
            return Err(opts::must_specify("connbytes", "connbytes-dir"));
        }
        if self.mode.is_none() {
            return Err(opts::must_specify("connbytes", "connbytes-mode"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let (inv, r) = self.shown();
        let mode = name_of(&MODES, self.mode.unwrap_or(Mode::Packets));
        let dir = name_of(&DIRS, self.dir.unwrap_or(Dir::Original));
        out.push_str(&format!(
            "{} --connbytes {r} --connbytes-mode {mode} --connbytes-dir {dir}",
            if inv { " !" } else { "" }
        ));
    }
    fn list(&self, out: &mut String, _: bool) {
        let (inv, r) = self.shown();
        let mode = name_of(&MODES, self.mode.unwrap_or(Mode::Packets));
        let dir = name_of(&DIRS, self.dir.unwrap_or(Dir::Original));
        out.push_str(&format!(
            " {}connbytes {r} connbytes mode {mode} connbytes direction {dir}",
            if inv { "! " } else { "" }
        ));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let Some(ct) = pkt.ct() else {
            return false;
        };
        let (p, b) = match self.dir.unwrap_or(Dir::Original) {
            Dir::Original => (ct.packets[0], ct.bytes[0]),
            Dir::Reply => (ct.packets[1], ct.bytes[1]),
            Dir::Both => (ct.packets[0].wrapping_add(ct.packets[1]), ct.bytes[0].wrapping_add(ct.bytes[1])),
        };
        let what = match self.mode.unwrap_or(Mode::Packets) {
            Mode::Packets => p,
            Mode::Bytes => b,
            Mode::AvgPkt => b.checked_div(p).unwrap_or(0),
        };
        let (from, to) = self.range.unwrap_or((0, u64::MAX));
        if to >= from { from <= what && what <= to } else { what < to || what > from }
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

    fn cb(inv: bool, r: &str, dir: &str, mode: &str) -> Connbytes {
        let mut m = Connbytes::default();
        let i = RuleInfo::default();
        m.parse("connbytes", inv, &[r], &i).unwrap();
        m.parse("connbytes-dir", false, &[dir], &i).unwrap();
        m.parse("connbytes-mode", false, &[mode], &i).unwrap();
        m.finish(&i).unwrap();
        m
    }

    #[test]
    fn open_ranges_print_as_one_number_and_inversion_round_trips() {
        let (mut s, mut l) = (String::new(), String::new());
        cb(false, "10000:", "both", "bytes").save(&mut s);
        cb(true, "10", "reply", "avgpkt").list(&mut l, true);
        assert_eq!(s, " --connbytes 10000 --connbytes-mode bytes --connbytes-dir both");
        assert_eq!(l, " ! connbytes 10 connbytes mode avgpkt connbytes direction reply");
        let mut s2 = String::new();
        cb(false, ":", "original", "packets").save(&mut s2);
        assert_eq!(s2, " --connbytes 0 --connbytes-mode packets --connbytes-dir original");
    }

    #[test]
    fn errors_match_iptables() {
        let i = RuleInfo::default();
        let e = |r: &str| Connbytes::default().parse("connbytes", false, &[r], &i);
        assert_eq!(e("-1:0"), Err(opts::bad_value_near("connbytes", "connbytes", "-1:0", u64::MAX)));
        assert_eq!(e("0:-1"), Err(opts::bad_value_near("connbytes", "connbytes", "-1", u64::MAX)));
        assert_eq!(e("1000:0"), Err(opts::param("1000 should be less than 0")));
        let d = Connbytes::default().parse("connbytes-dir", false, &["foo"], &i);
        assert_eq!(d, Err(opts::param("Unknown --connbytes-dir `foo'")));
        let mut m = Connbytes::default();
        m.parse("connbytes", false, &["1"], &i).unwrap();
        assert_eq!(m.finish(&i), Err(opts::must_specify("connbytes", "connbytes-dir")));
    }

    #[test]
    fn counts_per_direction_and_average() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(!cb(true, "10", "both", "packets").matches(&mut p, &mut false));
        p.ct = Some(CtFacts { packets: [3, 1], bytes: [300, 900], ..CtFacts::default() });
        assert!(cb(false, "4:4", "both", "packets").matches(&mut p, &mut false));
        assert!(cb(false, "300:300", "both", "avgpkt").matches(&mut p, &mut false));
        assert!(cb(false, "900", "reply", "bytes").matches(&mut p, &mut false));
        assert!(cb(true, "901", "reply", "bytes").matches(&mut p, &mut false));
        assert!(!cb(true, "900", "reply", "bytes").matches(&mut p, &mut false));
    }
}
