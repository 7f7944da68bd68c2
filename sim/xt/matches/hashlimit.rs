//! `-m hashlimit`: a token bucket per flow, where `--hashlimit-mode` says
//! which of source/destination address/port make up a flow (addresses
//! masked to `--hashlimit-srcmask`/`--hashlimit-dstmask`). Matches while
//! under the rate (`--hashlimit-upto`) or over it (`--hashlimit-above`).
//! Rates are packets per unit or bytes per second (`4kb/s`).
//!
//! Mirrors xt_hashlimit revision 3: packet buckets hold credits at the
//! 64-bit `CREDITS_PER_JIFFY`, byte buckets refill a one-second budget up to
//! `burst` times, `--hashlimit-rate-match` compares per-interval rates.
//! Time is jiffies (HZ = 250) of the virtual clock. The table is kept per
//! rule (the kernel shares it by `--hashlimit-name`; the first rule's
//! settings win there), keyed like the kernel's `dsthash_dst`; an entry
//! idle for `--hashlimit-htable-expire` ms is forgotten, and a full table
//! (`--hashlimit-htable-max`) drops new flows.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::x6;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{PacketView, l4, ports};
use crate::xt::{CheckCtx, Match, Refusal, RuleInfo};

use crate::kernel::HZ;
/// XT_HASHLIMIT_SCALE_v2: packet rates are periods in µs.
const SCALE: u64 = 1_000_000;
/// The 64-bit CREDITS_PER_JIFFY: the power of two below 2^64 / (HZ * 86400).
const CPJ: u64 = 1 << 39;
/// CREDITS_PER_JIFFY_BYTES: the power of two below 2^32 / HZ.
const CPJ_BYTES: u64 = 1 << 24;
const BYTE_SHIFT: u32 = 4;
const MODE_DIP: u8 = 1;
const MODE_DPT: u8 = 2;
const MODE_SIP: u8 = 4;
const MODE_SPT: u8 = 8;
/// Mode names in iptables' print order.
const MODES: [(&str, u8); 4] = [("srcip", MODE_SIP), ("srcport", MODE_SPT), ("dstip", MODE_DIP), ("dstport", MODE_DPT)];
const UNITS: [(&str, u64); 4] = [("day", 86_400), ("hour", 3_600), ("min", 60), ("sec", 1)];
const BYTE_UNITS: [(&str, u64); 3] = [("m", 1 << 20), ("k", 1 << 10), ("", 1)];

/// One flow's bucket.
#[derive(Clone, Debug, Default)]
struct Bucket {
    prev: u64,
    expires: u64,
    credit: u64,
    credit_cap: u64,
    cost: u64,
    // rate-match state
    prev_window: bool,
    current_rate: u64,
}

/// Flow key: masked source, masked destination, ports (0 when not in the mode).
type Key = (Ipv4Addr, Ipv4Addr, u16, u16);

/// The hashlimit match.
#[derive(Clone, Debug)]
pub struct Hashlimit {
    /// Packet mode: period in µs; byte mode: the kernel's byte cost.
    pub avg: u64,
    /// Burst (packets; byte mode: refills, 0 = none given).
    pub burst: u64,
    /// Mode bits (DIP 1, DPT 2, SIP 4, SPT 8).
    pub mode: u8,
    /// Byte mode.
    pub bytes: bool,
    /// `--hashlimit-above`.
    pub above: bool,
    /// `--hashlimit-name`.
    pub table: String,
    /// `--hashlimit-htable-size` (0 = kernel default).
    pub size: u32,
    /// `--hashlimit-htable-max` (0 = 8 * size).
    pub max: u32,
    /// `--hashlimit-htable-gcinterval` in ms.
    pub gc_interval: u32,
    /// `--hashlimit-htable-expire` in ms, if given.
    pub expire: Option<u32>,
    /// Source prefix length.
    pub srcmask: u8,
    /// Destination prefix length.
    pub dstmask: u8,
    /// `--hashlimit-rate-match`.
    pub rate_match: bool,
    /// `--hashlimit-rate-interval` in seconds.
    pub interval: u32,
    burst_given: Option<u64>,
    seen: Vec<&'static str>,
    flows: BTreeMap<Key, Bucket>,
}

impl Default for Hashlimit {
    fn default() -> Self {
        Hashlimit {
            avg: 0,
            burst: 5,
            mode: 0,
            bytes: false,
            above: false,
            table: String::new(),
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: None,
            srcmask: 32,
            dstmask: 32,
            rate_match: false,
            interval: 1,
            burst_given: None,
            seen: Vec::new(),
            flows: BTreeMap::new(),
        }
    }
}

const OPTS: &[Opt] = &[
    Opt::inv("hashlimit-upto"),
    Opt::inv("hashlimit-above"),
    Opt::inv("hashlimit"),
    Opt::arg("hashlimit-burst"),
    Opt::arg("hashlimit-mode"),
    Opt::arg("hashlimit-srcmask"),
    Opt::arg("hashlimit-dstmask"),
    Opt::arg("hashlimit-name"),
    Opt::arg("hashlimit-htable-size"),
    Opt::arg("hashlimit-htable-max"),
    Opt::arg("hashlimit-htable-gcinterval"),
    Opt::arg("hashlimit-htable-expire"),
    Opt::flag("hashlimit-rate-match"),
    Opt::arg("hashlimit-rate-interval"),
];

/// The byte cost the kernel stores for `bytes` per second.
fn bytes_to_cost(bytes: u64) -> u64 {
    u32::MAX as u64 / ((bytes >> BYTE_SHIFT) + 1)
}

/// Bytes per second back from a cost.
fn cost_to_bytes(cost: u64) -> u64 {
    let r = (u32::MAX as u64).checked_div(cost).unwrap_or(u32::MAX as u64);
    (r.saturating_sub(1)) << BYTE_SHIFT
}

/// `N{b,kb,mb}` as bytes.
fn parse_byte_amount(s: &str) -> Option<u64> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().ok()?;
    let mult = match &s[digits.len()..] {
        "b" => 1,
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        _ => return None,
    };
    n.checked_mul(mult)
}

fn rate_text(avg: u64) -> String {
    let period = avg.max(1);
    let mut best = UNITS[0];
    for u in UNITS.iter().skip(1) {
        let m = u.1 * SCALE;
        if period > m || m / period < m % period {
            break;
        }
        best = *u;
    }
    format!("{}/{}", best.1 * SCALE / period, best.0)
}

fn byte_rate_text(cost: u64) -> String {
    let r = cost_to_bytes(cost);
    let u = BYTE_UNITS.iter().find(|u| r >= u.1 && bytes_to_cost(r & !(u.1 - 1)) == cost).unwrap_or(&BYTE_UNITS[2]);
    format!("{}{}b/s", r / u.1, u.0)
}

fn byte_burst_text(cost: u64, burst: u64) -> String {
    let r = cost_to_bytes(cost) * burst;
    let u = BYTE_UNITS.iter().find(|u| r >= u.1).unwrap_or(&BYTE_UNITS[2]);
    format!("{}{}b", r / u.1, u.0)
}

fn user2credits(user: u64) -> u64 {
    user.saturating_mul(HZ * CPJ / SCALE)
}

fn mask(a: Ipv4Addr, len: u8) -> Ipv4Addr {
    Ipv4Addr::from(if len == 0 { 0 } else { u32::from(a) & (u32::MAX << (32 - len as u32)) })
}

impl Hashlimit {
    fn parse_rate(&mut self, opt: &'static str, s: &str) -> Result<(), Error> {
        let bad = || opts::param(format!("hashlimit: Bad value for \"--{opt}\" option: \"{s}\""));
        if let Some(b) = s.strip_suffix("/s").filter(|b| b.ends_with('b')) {
            let bytes = parse_byte_amount(b).filter(|v| *v > 0).ok_or_else(bad)?;
            if bytes > u32::MAX as u64 {
                return Err(opts::param(format!("Rate too high \"{s}\"")));
            }
            self.avg = bytes_to_cost(bytes);
            self.bytes = true;
            return Ok(());
        }
        let (n, unit) = s.split_once('/').unwrap_or((s, "sec"));
        let n: u64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        let unit = unit.to_ascii_lowercase();
        let mult = [("second", 1), ("minute", 60), ("hour", 3600), ("day", 86_400)]
            .iter()
            .find(|(name, _)| !unit.is_empty() && name.starts_with(&unit))
            .map(|x| x.1)
            .ok_or_else(bad)?;
        let avg = SCALE * mult / n;
        if avg == 0 {
            return Err(opts::param(format!("Rate too fast \"{s}\"")));
        }
        self.avg = avg;
        self.bytes = false;
        Ok(())
    }

    fn parts(&self, list: bool) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let rate = if self.bytes { byte_rate_text(self.avg) } else { rate_text(self.avg) };
        v.push(("rate", rate));
        if !self.bytes {
            v.push(("hashlimit-burst", self.burst.to_string()));
        } else if self.burst != 0 {
            v.push(("hashlimit-burst", byte_burst_text(self.avg, self.burst)));
        }
        if self.mode != 0 {
            let names: Vec<&str> = MODES.iter().filter(|m| self.mode & m.1 != 0).map(|m| m.0).collect();
            v.push(("hashlimit-mode", names.join(if list { "-" } else { "," })));
        }
        if !list {
            v.push(("hashlimit-name", self.table.clone()));
        }
        let opt_num = [
            ("hashlimit-htable-size", self.size as u64, 0),
            ("hashlimit-htable-max", self.max as u64, 0),
            ("hashlimit-htable-gcinterval", self.gc_interval as u64, 1000),
        ];
        for (k, val, default) in opt_num {
            if val != default {
                v.push((k, val.to_string()));
            }
        }
        if let Some(e) = self.expire {
            v.push(("hashlimit-htable-expire", e.to_string()));
        }
        if self.srcmask != 32 {
            v.push(("hashlimit-srcmask", self.srcmask.to_string()));
        }
        if self.dstmask != 32 {
            v.push(("hashlimit-dstmask", self.dstmask.to_string()));
        }
        if self.rate_match {
            v.push(("hashlimit-rate-match", String::new()));
            if self.interval != 1 {
                v.push(("hashlimit-rate-interval", self.interval.to_string()));
            }
        }
        v
    }

    /// The default expiry: long enough for the bucket to refill (libxt_hashlimit).
    fn expire_ms(&self) -> u64 {
        self.expire.map_or(10_000, |e| e as u64)
    }
}

impl Match for Hashlimit {
    fn name(&self) -> &'static str {
        "hashlimit"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let name = OPTS.iter().find(|o| o.name == opt).map_or("", |o| o.name);
        self.seen.push(if name == "hashlimit" { "hashlimit-upto" } else { name });
        let s = args.first().copied().unwrap_or_default();
        let u32v = |lo: u64| x6::uint("hashlimit", name, s, lo, u32::MAX as u64).map(|v| v as u32);
        let plen = || x6::uint("hashlimit", name, s, 0, 255).map(|v| v as u8);
        match opt {
            "hashlimit-upto" | "hashlimit" | "hashlimit-above" => {
                self.parse_rate(if opt == "hashlimit-above" { "hashlimit-above" } else { "hashlimit-upto" }, s)?;
                self.above = (opt == "hashlimit-above") != inv;
            }
            "hashlimit-burst" => {
                let v = match opts::parse_uint(s, u64::MAX) {
                    Some(v) => v,
                    None => parse_byte_amount(s).ok_or_else(|| x6::range("hashlimit", name, 1, 1_000_000))?,
                };
                self.burst_given = Some(v);
            }
            "hashlimit-mode" => {
                let mut m = 0;
                for tok in s.split(',') {
                    m |= MODES.iter().find(|x| x.0 == tok).map(|x| x.1).ok_or_else(|| {
                        opts::param(format!("hashlimit: Bad value for \"--hashlimit-mode\" option: \"{s}\""))
                    })?;
                }
                self.mode = m;
            }
            "hashlimit-srcmask" => self.srcmask = plen()?,
            "hashlimit-dstmask" => self.dstmask = plen()?,
            "hashlimit-name" => self.table = s.chars().take(255).collect(),
            "hashlimit-htable-size" => self.size = u32v(0)?,
            "hashlimit-htable-max" => self.max = u32v(0)?,
            "hashlimit-htable-gcinterval" => self.gc_interval = u32v(0)?,
            "hashlimit-htable-expire" => self.expire = Some(u32v(0)?),
            "hashlimit-rate-match" => self.rate_match = true,
            _ => {
                self.interval = opts::parse_uint(s, u32::MAX as u64).filter(|v| *v > 0).ok_or_else(|| {
                    opts::param(format!("hashlimit: Bad value for \"--hashlimit-rate-interval\" option: \"{s}\""))
                })? as u32;
            }
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        x6::check_excl("hashlimit", &self.seen, &[("hashlimit-upto", "hashlimit-above")])?;
        if !self.seen.iter().any(|o| *o == "hashlimit-upto" || *o == "hashlimit-above") {
            return Err(opts::param("You have to specify --hashlimit"));
        }
        if self.table.is_empty() && !self.seen.contains(&"hashlimit-name") {
            return Err(opts::must_specify("hashlimit", "hashlimit-name"));
        }
        match (self.bytes, self.burst_given) {
            (false, Some(b)) if !(1..=1_000_000).contains(&b) => {
                return Err(opts::param("bad value for option \"--hashlimit-burst\", or out of range (1-1000000)."));
            }
            (false, Some(b)) => self.burst = b,
            (true, Some(b)) => {
                let unit = cost_to_bytes(self.avg);
                if b < unit {
                    return Err(opts::param(format!("burst cannot be smaller than {unit}b")));
                }
                self.burst = b.div_ceil(unit.max(1));
            }
            (true, None) => self.burst = 0,
            (false, None) => {}
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), Refusal> {
        let t = &self.table;
        if self.gc_interval == 0 || self.expire == Some(0) || self.srcmask > 32 || self.dstmask > 32 {
            return Err(Refusal::default());
        }
        if t.is_empty() || t == "." || t == ".." || t.contains('/') {
            return Err(Refusal::default());
        }
        if !self.bytes && !self.rate_match && user2credits(self.avg.saturating_mul(self.burst)) < user2credits(self.avg)
        {
            // FIXME: the kernel returns ERANGE ("Numerical result out of range").
            return Err(Refusal::einval(format!("xt_hashlimit: overflow, try lower: {}/{}", self.avg, self.burst)));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        for (k, v) in self.parts(false) {
            let k = if k == "rate" { if self.above { "hashlimit-above" } else { "hashlimit-upto" } } else { k };
            out.push_str(&format!(" --{k}"));
            if !v.is_empty() {
                out.push_str(&format!(" {v}"));
            }
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(" limit:");
        for (k, v) in self.parts(true) {
            let k = match k {
                "rate" if self.above => "above",
                "rate" => "up to",
                "hashlimit-burst" => "burst",
                "hashlimit-mode" => "mode",
                k => k.trim_start_matches("hashlimit-"),
            };
            out.push_str(&format!(" {k}"));
            if !v.is_empty() {
                out.push_str(&format!(" {v}"));
            }
        }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool {
        let Some((ip, rest)) = l4(pkt.ip()) else {
            *hotdrop = true;
            return false;
        };
        let mut key: Key = (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, 0, 0);
        if self.mode & MODE_SIP != 0 {
            key.0 = mask(ip.src, self.srcmask);
        }
        if self.mode & MODE_DIP != 0 {
            key.1 = mask(ip.dst, self.dstmask);
        }
        if self.mode & (MODE_SPT | MODE_DPT) != 0 {
            // Protocols without ports hash as port 0 (proto_ports_offset < 0).
            let (sp, dp) = if matches!(ip.proto, 6 | 17 | 132 | 33 | 136) {
                match ports(rest) {
                    Some(p) => p,
                    None => {
                        *hotdrop = true;
                        return false;
                    }
                }
            } else {
                (0, 0)
            };
            key.2 = if self.mode & MODE_SPT != 0 { sp } else { 0 };
            key.3 = if self.mode & MODE_DPT != 0 { dp } else { 0 };
        }
        let now = crate::kernel::jiffies(pkt.now());
        let expire = self.expire_ms() * HZ / 1000;
        let len = pkt.ip().len() as u64;
        self.flows.retain(|_, b| now < b.expires);
        let cap = if self.max != 0 { self.max as usize } else { 8 * self.size.max(16) as usize };
        if !self.flows.contains_key(&key) && self.flows.len() >= cap {
            *hotdrop = true;
            return false;
        }
        let fresh = !self.flows.contains_key(&key);
        let cfg = self.clone_cfg();
        let b = self.flows.entry(key).or_default();
        if fresh {
            cfg.init(b, now);
        } else {
            cfg.recalc(b, now);
        }
        b.expires = now + expire;
        let under = cfg.take(b, len);
        under != self.above
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

/// The per-packet arithmetic, on a copy of the rule's settings.
struct Cfg {
    avg: u64,
    burst: u64,
    bytes: bool,
    rate_match: bool,
    interval: u64,
}

impl Hashlimit {
    fn clone_cfg(&self) -> Cfg {
        Cfg {
            avg: self.avg,
            burst: self.burst,
            bytes: self.bytes,
            rate_match: self.rate_match,
            interval: self.interval as u64,
        }
    }
}

impl Cfg {
    /// `rateinfo_init`.
    fn init(&self, b: &mut Bucket, now: u64) {
        b.prev = now;
        if self.rate_match {
            let rate = if self.bytes { cost_to_bytes(self.avg) } else { SCALE / self.avg.max(1) };
            b.credit_cap = if self.bytes { rate * self.burst.max(1) } else { self.burst + rate };
            b.cost = rate;
        } else if self.bytes {
            b.credit = CPJ_BYTES * HZ;
            b.cost = (self.avg * HZ * CPJ_BYTES) >> 32;
            b.credit_cap = self.burst;
        } else {
            b.credit = user2credits(self.avg.saturating_mul(self.burst));
            b.cost = user2credits(self.avg);
            b.credit_cap = b.credit;
        }
    }
    /// `rateinfo_recalc`.
    fn recalc(&self, b: &mut Bucket, now: u64) {
        let delta = now.saturating_sub(b.prev);
        if delta == 0 {
            return;
        }
        if self.rate_match {
            let interval = self.interval * HZ;
            if delta < interval {
                return;
            }
            b.prev = now;
            b.prev_window = b.current_rate * interval > delta * b.cost;
            b.current_rate = 0;
            return;
        }
        b.prev = now;
        let cap = if self.bytes { CPJ_BYTES * HZ } else { b.credit_cap };
        let gain = if self.bytes { CPJ_BYTES } else { CPJ };
        b.credit = b.credit.saturating_add(gain.saturating_mul(delta)).min(cap);
    }
    /// Spends the packet's cost; true if under the limit.
    fn take(&self, b: &mut Bucket, len: u64) -> bool {
        if self.rate_match {
            b.current_rate += if self.bytes { len } else { 1 };
            return !b.prev_window && b.current_rate <= b.credit_cap;
        }
        let cost = if self.bytes {
            let c = (((len >> BYTE_SHIFT) + 1) * b.cost).min(CPJ_BYTES * HZ);
            if b.credit < c && b.credit_cap > 0 {
                b.credit_cap -= 1;
                b.credit = CPJ_BYTES * HZ;
            }
            c
        } else {
            b.cost
        };
        if b.credit >= cost {
            b.credit -= cost;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Duration;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    fn hl(args: &[(&str, bool, &str)]) -> Result<Hashlimit, Error> {
        let mut m = Hashlimit::default();
        for (o, i, a) in args {
            m.parse(o, *i, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    fn text(m: &Hashlimit) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        (s, l)
    }

    #[test]
    fn save_and_list_forms() {
        let m = hl(&[("hashlimit", false, "10/sec"), ("hashlimit-name", false, "h1")]).unwrap();
        assert_eq!(text(&m).0, " --hashlimit-upto 10/sec --hashlimit-burst 5 --hashlimit-name h1");
        assert_eq!(text(&m).1, " limit: up to 10/sec burst 5");
        let m = hl(&[
            ("hashlimit-above", false, "100/min"),
            ("hashlimit-mode", false, "dstport,srcip"),
            ("hashlimit-name", false, "h2"),
            ("hashlimit-srcmask", false, "24"),
            ("hashlimit-htable-expire", false, "30000"),
        ])
        .unwrap();
        assert_eq!(
            text(&m).0,
            " --hashlimit-above 100/min --hashlimit-burst 5 --hashlimit-mode srcip,dstport --hashlimit-name h2 \
             --hashlimit-htable-expire 30000 --hashlimit-srcmask 24"
        );
        assert_eq!(text(&m).1, " limit: above 100/min burst 5 mode srcip-dstport htable-expire 30000 srcmask 24");
    }

    #[test]
    fn byte_rates_round_trip_their_units() {
        for (rate, burst, want) in [
            ("4kb/s", Some("400kb"), " --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-name x"),
            ("123456b/s", Some("1mb"), " --hashlimit-upto 123456b/s --hashlimit-burst 1mb --hashlimit-name x"),
            ("10mb/s", None, " --hashlimit-upto 10mb/s --hashlimit-name x"),
        ] {
            let mut a = vec![("hashlimit-upto", false, rate), ("hashlimit-name", false, "x")];
            if let Some(b) = burst {
                a.push(("hashlimit-burst", false, b));
            }
            assert_eq!(text(&hl(&a).unwrap()).0, want);
        }
        let e =
            hl(&[("hashlimit-upto", false, "50kb/s"), ("hashlimit-burst", false, "5"), ("hashlimit-name", false, "x")]);
        assert_eq!(e.unwrap_err(), opts::param("burst cannot be smaller than 51200b"));
    }

    #[test]
    fn option_errors() {
        let e = |a: &[(&str, bool, &str)]| hl(a).unwrap_err();
        assert_eq!(e(&[("hashlimit-upto", false, "10/sec")]), opts::must_specify("hashlimit", "hashlimit-name"));
        assert_eq!(e(&[("hashlimit-name", false, "x")]), opts::param("You have to specify --hashlimit"));
        let m = "hashlimit: Bad value for \"--hashlimit-upto\" option: \"5/week\"";
        assert_eq!(e(&[("hashlimit-upto", false, "5/week")]), opts::param(m));
        assert_eq!(e(&[("hashlimit-upto", false, "1000001/sec")]), opts::param("Rate too fast \"1000001/sec\""));
        let m = "hashlimit: Bad value for \"--hashlimit-mode\" option: \"foo\"";
        assert_eq!(e(&[("hashlimit-mode", false, "foo")]), opts::param(m));
    }

    #[test]
    fn one_bucket_per_flow() {
        let mut m = hl(&[
            ("hashlimit-upto", false, "1/sec"),
            ("hashlimit-burst", false, "2"),
            ("hashlimit-mode", false, "srcip"),
            ("hashlimit-name", false, "x"),
        ])
        .unwrap();
        let mut a = TestPacket::new(TestPacket::udp([1; 4], [9; 4], 1, 2), Hook::Input);
        let mut b = TestPacket::new(TestPacket::udp([2; 4], [9; 4], 1, 2), Hook::Input);
        let hits: Vec<bool> = (0..3).map(|_| m.matches(&mut a, &mut false)).collect();
        assert_eq!(hits, [true, true, false]);
        assert!(m.matches(&mut b, &mut false), "another source has its own bucket");
        a.now += Duration::from_secs(1);
        assert!(m.matches(&mut a, &mut false));
        assert!(!m.matches(&mut a, &mut false));
    }
}
