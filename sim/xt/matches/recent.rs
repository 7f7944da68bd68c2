//! `-m recent`: lists of recently seen addresses, by name. `--set` adds
//! the packet's source (or, `--rdest`, destination) address, masked, to the
//! list; `--rcheck` tests it (within `--seconds`, at least `--hitcount`
//! times, with the same TTL for `--rttl`); `--update` tests and, on a hit,
//! records the packet again; `--remove` deletes the address.
//!
//! Mirrors xt_recent: lists belong to the box ([`PacketView::recent_tables`])
//! and are shared by every rule naming them; a list holds at most 100
//! addresses (`ip_list_tot`), evicting the least recently seen, and each
//! keeps its last 32 time stamps (`ip_pkt_list_tot` 20, rounded up to a power
//! of two, or more when a rule's `--hitcount` needs it). Time is in jiffies
//! (HZ = 250) of the virtual clock.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use super::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{PacketView, ipv4};
use crate::xt::{CheckCtx, Hook, Match, Refusal, RuleInfo};

use crate::kernel::HZ;
/// Addresses per list (`ip_list_tot`).
const LIST_MAX: usize = 100;
/// Default time stamps per address (`ip_pkt_list_tot`).
const STAMPS_DEFAULT: u32 = 20;
/// XT_RECENT_MAX_NSTAMPS less one: the largest hit count the kernel takes.
const HITCOUNT_MAX: u32 = 65_535;
/// The name buffer (XT_RECENT_NAME_LEN) less its NUL.
const NAME_MAX: usize = 199;

/// One address in a list.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The masked address.
    pub addr: Ipv4Addr,
    /// TTL of the packet that last set or updated it.
    pub ttl: u8,
    /// Time stamps in jiffies, oldest first.
    pub stamps: VecDeque<i64>,
}

/// One named list, least recently seen address first.
#[derive(Clone, Debug, Default)]
pub struct RecentTable {
    /// Entries in LRU order.
    pub entries: Vec<Entry>,
    /// Time stamps kept per entry.
    pub stamps_max: usize,
}

/// The command of a recent match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `--set`.
    Set,
    /// `--rcheck`.
    Check,
    /// `--update`.
    Update,
    /// `--remove`.
    Remove,
}

const COMMANDS: [(&str, Command, &str); 4] = [
    ("set", Command::Set, "SET"),
    ("rcheck", Command::Check, "CHECK"),
    ("update", Command::Update, "UPDATE"),
    ("remove", Command::Remove, "REMOVE"),
];

/// The recent match.
#[derive(Clone, Debug)]
pub struct Recent {
    /// The command, once given.
    pub cmd: Option<Command>,
    /// `!`.
    pub inv: bool,
    /// `--seconds` (0 = any age).
    pub seconds: u32,
    /// `--reap`.
    pub reap: bool,
    /// `--hitcount` (0 = any).
    pub hitcount: u32,
    /// `--rttl`.
    pub rttl: bool,
    /// `--name`.
    pub list: String,
    /// `--rdest` (else source).
    pub rdest: bool,
    /// `--mask`.
    pub mask: Ipv4Addr,
    seen: Vec<&'static str>,
    own: RecentTable,
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            cmd: None,
            inv: false,
            seconds: 0,
            reap: false,
            hitcount: 0,
            rttl: false,
            list: "DEFAULT".into(),
            rdest: false,
            mask: Ipv4Addr::BROADCAST,
            seen: Vec::new(),
            own: RecentTable::default(),
        }
    }
}

const OPTS: &[Opt] = &[
    Opt::flag("set").invertible(),
    Opt::flag("rcheck").invertible(),
    Opt::flag("update").invertible(),
    Opt::flag("remove").invertible(),
    Opt::arg("seconds"),
    Opt::flag("reap"),
    Opt::arg("hitcount"),
    Opt::flag("rttl"),
    Opt::arg("name"),
    Opt::flag("rsource"),
    Opt::flag("rdest"),
    Opt::arg("mask"),
];

/// x6 exclusions in the option table's order.
const EXCL: [(&str, &str); 9] = [
    ("set", "rcheck"),
    ("set", "update"),
    ("set", "remove"),
    ("rcheck", "update"),
    ("rcheck", "remove"),
    ("update", "remove"),
    ("rttl", "set"),
    ("rttl", "remove"),
    ("rsource", "rdest"),
];

impl Recent {
    fn cmd_names(&self) -> (&'static str, &'static str) {
        let c = self.cmd.unwrap_or(Command::Set);
        COMMANDS.iter().find(|x| x.1 == c).map_or(("", ""), |x| (x.0, x.2))
    }

    /// Runs the command against `t`; the kernel's `recent_mt` after lookup.
    fn run(&self, t: &mut RecentTable, addr: Ipv4Addr, ttl: u8, now: i64) -> bool {
        let mut ret = self.inv;
        if t.stamps_max == 0 {
            t.stamps_max = STAMPS_DEFAULT.max(self.hitcount).next_power_of_two() as usize;
        }
        let want_ttl = self.rttl.then_some(ttl);
        let cmd = self.cmd.unwrap_or(Command::Set);
        let Some(i) = t.entries.iter().position(|e| e.addr == addr && want_ttl.is_none_or(|w| w == e.ttl)) else {
            if cmd != Command::Set {
                return ret;
            }
            if t.entries.len() >= LIST_MAX {
                t.entries.remove(0);
            }
            t.entries.push(Entry { addr, ttl, stamps: VecDeque::from([now]) });
            return !ret;
        };
        let horizon = now - self.seconds as i64 * HZ as i64;
        match cmd {
            Command::Set => ret = !ret,
            Command::Remove => {
                t.entries.remove(i);
                return !ret;
            }
            _ if self.seconds != 0 || self.hitcount != 0 => {
                let mut hits = 0;
                for &s in &t.entries[i].stamps {
                    if self.seconds != 0 && s < horizon {
                        continue;
                    }
                    hits += 1;
                    if self.hitcount == 0 || hits >= self.hitcount {
                        ret = !ret;
                        break;
                    }
                }
                if self.seconds != 0 && self.reap {
                    reap(t, horizon, i);
                }
            }
            _ => ret = !ret,
        }
        if cmd == Command::Set || (cmd == Command::Update && ret) {
            let Some(j) = t.entries.iter().position(|e| e.addr == addr && want_ttl.is_none_or(|w| w == e.ttl)) else {
                return ret;
            };
            let mut e = t.entries.remove(j);
            if e.stamps.len() >= t.stamps_max {
                e.stamps.pop_front();
            }
            e.stamps.push_back(now);
            e.ttl = ttl;
            t.entries.push(e);
        }
        ret
    }
}

/// `recent_entry_reap`: drops the least recently seen entry if it is not
/// the one being worked on and its newest stamp is older than `horizon`.
fn reap(t: &mut RecentTable, horizon: i64, working: usize) {
    if working != 0 && t.entries.first().and_then(|e| e.stamps.back()).is_some_and(|s| *s < horizon) {
        t.entries.remove(0);
    }
}

impl Match for Recent {
    fn name(&self) -> &'static str {
        "recent"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let name = OPTS.iter().find(|o| o.name == opt).map_or("", |o| o.name);
        self.seen.push(name);
        if let Some(c) = COMMANDS.iter().find(|c| c.0 == opt) {
            self.cmd = Some(c.1);
            self.inv = inv;
            return Ok(());
        }
        let s = args.first().copied().unwrap_or_default();
        match opt {
            "seconds" => self.seconds = x6::uint("recent", name, s, 1, u32::MAX as u64)? as u32,
            "hitcount" => self.hitcount = x6::uint("recent", name, s, 0, u32::MAX as u64)? as u32,
            "reap" => self.reap = true,
            "rttl" => self.rttl = true,
            "name" => self.list = s.chars().take(NAME_MAX).collect(),
            "rsource" => self.rdest = false,
            "rdest" => self.rdest = true,
            _ => {
                self.mask =
                    opts::parse_ipv4(s).ok_or_else(|| opts::param("getaddrinfo: Name or service not known\n"))?;
            }
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        x6::check_excl("recent", &self.seen, &EXCL)?;
        if self.reap && self.seconds == 0 {
            return Err(x6::also("recent", "reap", "seconds"));
        }
        if self.cmd.is_none() {
            return Err(opts::param("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'"));
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), Refusal> {
        let setlike = matches!(self.cmd, Some(Command::Set | Command::Remove));
        if setlike && (self.seconds != 0 || self.hitcount != 0 || self.rttl) {
            return Err(Refusal::default());
        }
        if self.hitcount > HITCOUNT_MAX {
            return Err(Refusal::einval(format!(
                "xt_recent: hitcount ({}) is larger than allowed maximum ({HITCOUNT_MAX})",
                self.hitcount
            )));
        }
        // The name becomes a /proc file name.
        if self.list.is_empty() || self.list.contains('/') || self.list == "." || self.list == ".." {
            return Err(Refusal::default());
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!("{} --{}", if self.inv { " !" } else { "" }, self.cmd_names().0));
        if self.seconds != 0 {
            out.push_str(&format!(" --seconds {}", self.seconds));
        }
        if self.reap {
            out.push_str(" --reap");
        }
        if self.hitcount != 0 {
            out.push_str(&format!(" --hitcount {}", self.hitcount));
        }
        if self.rttl {
            out.push_str(" --rttl");
        }
        let side = if self.rdest { "rdest" } else { "rsource" };
        out.push_str(&format!(" --name {} --mask {} --{side}", self.list, self.mask));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" {}recent: {}", if self.inv { "! " } else { "" }, self.cmd_names().1));
        if self.seconds != 0 {
            out.push_str(&format!(" seconds: {}", self.seconds));
        }
        if self.reap {
            out.push_str(" reap");
        }
        if self.hitcount != 0 {
            out.push_str(&format!(" hit_count: {}", self.hitcount));
        }
        if self.rttl {
            out.push_str(" TTL-Match");
        }
        let side = if self.rdest { "dest" } else { "source" };
        out.push_str(&format!(" name: {} side: {side} mask: {}", self.list, self.mask));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let Some(ip) = ipv4(pkt.ip()) else {
            return false;
        };
        let addr = Ipv4Addr::from(u32::from(if self.rdest { ip.dst } else { ip.src }) & u32::from(self.mask));
        // A forwarded packet is seen before the TTL decrement it will get.
        let ttl = if pkt.hook() == Hook::Forward { ip.ttl.wrapping_add(1) } else { ip.ttl };
        let now = crate::kernel::jiffies(pkt.now()) as i64;
        if let Some(tables) = pkt.recent_tables() {
            return self.run(tables.entry(self.list.clone()).or_default(), addr, ttl, now);
        }
        let mut own = std::mem::take(&mut self.own);
        let hit = self.run(&mut own, addr, ttl, now);
        self.own = own;
        hit
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::{Duration, Instant};
    use crate::xt::TableName;
    use crate::xt::packet::TestPacket;

    fn rc(args: &[(&str, bool, &str)]) -> Result<Recent, Error> {
        let mut m = Recent::default();
        for (o, i, a) in args {
            m.parse(o, *i, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    fn text(m: &Recent) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        (s, l)
    }

    #[test]
    fn save_order_and_defaults() {
        let m =
            rc(&[("name", false, "SSH"), ("update", false, ""), ("seconds", false, "60"), ("hitcount", false, "4")]);
        let (s, l) = text(&m.unwrap());
        assert_eq!(s, " --update --seconds 60 --hitcount 4 --name SSH --mask 255.255.255.255 --rsource");
        assert_eq!(l, " recent: UPDATE seconds: 60 hit_count: 4 name: SSH side: source mask: 255.255.255.255");
        let (s, l) = text(&rc(&[("rcheck", true, ""), ("name", false, "x"), ("rdest", false, "")]).unwrap());
        assert_eq!(s, " ! --rcheck --name x --mask 255.255.255.255 --rdest");
        assert_eq!(l, " ! recent: CHECK name: x side: dest mask: 255.255.255.255");
    }

    #[test]
    fn option_and_kernel_errors() {
        let e = |a: &[(&str, bool, &str)]| rc(a).unwrap_err();
        assert_eq!(e(&[("set", false, ""), ("rcheck", false, "")]), x6::excl("recent", "set", "rcheck"));
        assert_eq!(e(&[("set", false, ""), ("rttl", false, "")]), x6::excl("recent", "rttl", "set"));
        assert_eq!(e(&[("rcheck", false, ""), ("reap", false, "")]), x6::also("recent", "reap", "seconds"));
        let none = "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'";
        assert_eq!(e(&[("name", false, "x")]), opts::param(none));
        let ctx = CheckCtx { table: TableName::Filter, hooks: 2, rule: RuleInfo::default(), matches: &[] };
        let m = rc(&[("rcheck", false, ""), ("hitcount", false, "65536")]).unwrap();
        assert_eq!(
            m.check(&ctx).unwrap_err().log,
            ["xt_recent: hitcount (65536) is larger than allowed maximum (65535)"]
        );
        let m = rc(&[("set", false, ""), ("seconds", false, "5")]).unwrap();
        assert_eq!(m.check(&ctx).unwrap_err(), Refusal::default());
    }

    #[test]
    fn lists_are_shared_by_name_and_count_hits_in_the_window() {
        let mut set = rc(&[("set", false, ""), ("name", false, "SSH")]).unwrap();
        let mut upd =
            rc(&[("update", false, ""), ("seconds", false, "60"), ("hitcount", false, "3"), ("name", false, "SSH")])
                .unwrap();
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 1, 22, 2), Hook::Input);
        assert!(!upd.matches(&mut p, &mut false), "empty list");
        assert!(set.matches(&mut p, &mut false));
        assert!(!upd.matches(&mut p, &mut false), "one hit");
        assert!(set.matches(&mut p, &mut false));
        assert!(!upd.matches(&mut p, &mut false), "two hits");
        assert!(set.matches(&mut p, &mut false));
        assert!(upd.matches(&mut p, &mut false), "three sets");
        p.now = Instant::ZERO + Duration::from_secs(61);
        assert!(!upd.matches(&mut p, &mut false), "all stamps too old");
        let mut rm = rc(&[("remove", false, ""), ("name", false, "SSH")]).unwrap();
        assert!(rm.matches(&mut p, &mut false));
        assert!(p.recent["SSH"].entries.is_empty());
    }
}
