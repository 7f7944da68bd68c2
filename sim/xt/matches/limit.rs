//! `-m limit`: a token bucket per rule, full at the start (`--limit-burst`
//! tokens), refilled at `--limit` per unit; one token per matching packet.
//!
//! Mirrors xt_limit's integer arithmetic: rates are stored as
//! `XT_LIMIT_SCALE / rate` periods, credits accrue per jiffy (HZ = 250, the
//! Debian kernel's), time is the virtual clock.

use crate::engine::Instant;
use crate::kernel::HZ;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{CheckCtx, Match, Refusal, RuleInfo};

/// XT_LIMIT_SCALE: periods are in 1/10000 s.
const SCALE: u64 = 10_000;
/// CREDITS_PER_JIFFY for HZ=250: the power of two below 2^32/(HZ*86400).
const CPJ: u64 = 128;

/// Units in iptables' printing order (largest first) with their period.
const UNITS: [(&str, u64); 4] = [("day", 86_400), ("hour", 3_600), ("min", 60), ("sec", 1)];

/// The limit match.
#[derive(Clone, Debug)]
pub struct Limit {
    /// Average period between packets, in 1/10000 s.
    pub avg: u32,
    /// Burst.
    pub burst: u32,
    credit: u64,
    prev: Option<Instant>,
}

impl Default for Limit {
    fn default() -> Self {
        Limit { avg: (SCALE * 3600 / 3) as u32, burst: 5, credit: 0, prev: None }
    }
}

const OPTS: &[Opt] = &[Opt::arg("limit"), Opt::arg("limit-burst")];

fn parse_rate(s: &str) -> Result<u32, Error> {
    let avg = rate_period(s).ok_or_else(|| opts::param(format!("bad rate \"{s}\"'")))?;
    // A period that rounds to zero is too fast for the 1/10000 s scale.
    if avg == 0 {
        return Err(opts::param(format!("Rate too fast \"{s}\"")));
    }
    u32::try_from(avg).map_err(|_| opts::param(format!("bad rate \"{s}\"'")))
}

/// The period of `N/unit` in 1/10000 s (may be 0 for a too fast rate).
fn rate_period(s: &str) -> Option<u64> {
    let (n, unit) = match s.split_once('/') {
        Some((n, u)) => (n, u),
        None => (s, "sec"),
    };
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit = unit.to_ascii_lowercase();
    let mult = if "second".starts_with(&unit) && !unit.is_empty() {
        1
    } else if "minute".starts_with(&unit) && !unit.is_empty() {
        60
    } else if "hour".starts_with(&unit) && !unit.is_empty() {
        3600
    } else if "day".starts_with(&unit) && !unit.is_empty() {
        86_400
    } else {
        return None;
    };
    Some(SCALE * mult / n)
}

fn rate_text(avg: u32) -> String {
    let period = avg.max(1) as u64;
    let mut best = UNITS[0];
    for (i, u) in UNITS.iter().enumerate().skip(1) {
        let m = u.1 * SCALE;
        if period > m || m / period < m % period {
            break;
        }
        best = UNITS[i];
    }
    format!("{}/{}", best.1 * SCALE / period, best.0)
}

fn credits(user: u64) -> u64 {
    user * HZ * CPJ / SCALE
}

impl Match for Limit {
    fn name(&self) -> &'static str {
        "limit"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        if opt == "limit" {
            self.avg = parse_rate(args[0])?;
        } else {
            self.burst = opts::parse_uint(args[0], 10_000)
                .ok_or_else(|| opts::bad_value_near("limit", "limit-burst", args[0], 10_000))?
                as u32;
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!(" --limit {}", rate_text(self.avg)));
        if self.burst != 5 {
            out.push_str(&format!(" --limit-burst {}", self.burst));
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" limit: avg {} burst {}", rate_text(self.avg), self.burst));
    }
    fn check(&self, _: &CheckCtx) -> Result<(), Refusal> {
        // xt_limit: the bucket (avg × burst, computed in 32 bits) must hold
        // at least one packet's cost.
        let cap = self.avg.wrapping_mul(self.burst);
        if self.burst == 0 || credits(cap as u64) < credits(self.avg as u64) {
            return Err(Refusal::erange(format!("xt_limit: Overflow, try lower: {}/{}", self.avg, self.burst)));
        }
        Ok(())
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let now = pkt.now();
        let cost = credits(self.avg as u64);
        let cap = credits(self.avg as u64 * self.burst as u64);
        let jiffies = crate::kernel::jiffies;
        match self.prev {
            None => self.credit = cap,
            Some(p) => {
                let gained = jiffies(now).saturating_sub(jiffies(p)) * CPJ;
                self.credit = (self.credit + gained).min(cap);
            }
        }
        self.prev = Some(now);
        if self.credit >= cost {
            self.credit -= cost;
            return true;
        }
        false
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Duration;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    #[test]
    fn rates_print_in_the_largest_exact_unit() {
        assert_eq!(rate_text(parse_rate("7/minute").unwrap()), "7/min");
        assert_eq!(rate_text(parse_rate("3/s").unwrap()), "3/sec");
        assert_eq!(rate_text(parse_rate("100/day").unwrap()), "100/day");
        assert_eq!(rate_text(Limit::default().avg), "3/hour");
    }

    #[test]
    fn burst_then_one_per_period() {
        let mut m = Limit::default();
        m.parse("limit", false, &["1/sec"], &RuleInfo::default()).unwrap();
        m.parse("limit-burst", false, &["2"], &RuleInfo::default()).unwrap();
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        let hits: Vec<bool> = (0..3).map(|_| m.matches(&mut p, &mut false)).collect();
        assert_eq!(hits, [true, true, false]);
        p.now += Duration::from_secs(1);
        assert!(m.matches(&mut p, &mut false));
        assert!(!m.matches(&mut p, &mut false));
    }
}
