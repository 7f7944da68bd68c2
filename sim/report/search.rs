//! The what-if runs behind a report's recommendations. Each trial is the
//! same traffic run again from scratch with one more override, so the
//! answer is what this traffic would have done, not an estimate:
//! - the smallest `nf_conntrack_max` under which nothing was lost to a full
//!   table (no drop, no early drop): doubling from the current limit until
//!   a run loses nothing, then bisection between the last run that lost and
//!   the first that did not. Buckets follow the limit (max = buckets, the
//!   kernel's own ratio, rounded up to 512 as the kernel rounds them); the
//!   loss does not depend on them, only on the limit;
//! - for each timeout that governs a large part of the table at its peak,
//!   the largest value at the current limit under which nothing was lost,
//!   by bisection below the current value (or none, if even 1 s loses).

use serde::Serialize;

use super::sample::kernel_bytes;
use super::traffic::{Overrides, Run, Traffic, run};
use crate::engine::Duration;
use crate::kernel::Sysctl;

/// The most trials one search makes (a bound on the report's run time).
const TRIALS_MAX: usize = 40;
/// The largest limit the search tries.
const MAX_CEILING: i64 = 1 << 26;

/// One trial of a search.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Trial {
    /// The overrides beyond the report's own, `KEY=VALUE`.
    pub setting: Vec<String>,
    /// Packets dropped.
    pub drop: u32,
    /// Entries evicted.
    pub early_drop: u32,
    /// The most entries held.
    pub peak: u32,
}

/// The smallest limit that lost nothing.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MaxRecommendation {
    /// `nf_conntrack_max`.
    pub max: u32,
    /// `nf_conntrack_buckets` to go with it.
    pub buckets: u32,
    /// The kernel's memory with the table full at that limit, bytes
    /// (entries with the NAT extension in the proportion seen at the peak).
    pub kernel_bytes_full: u64,
    /// The kernel's memory at that run's peak, bytes.
    pub kernel_bytes_peak: u64,
    /// nfsim's memory for that run's table at its end, bytes.
    pub nfsim_bytes: u64,
    /// The peak of that run.
    pub peak: u32,
}

/// What lowering one timeout would have done.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimeoutRecommendation {
    /// The sysctl.
    pub sysctl: &'static str,
    /// Its value in the traffic's run.
    pub current: i64,
    /// The largest value that lost nothing at the current limit; `None`
    /// when even 1 s lost entries.
    pub value: Option<i64>,
    /// The share of the table it governed at the peak, percent.
    pub share_pct: f64,
    /// The kernel's memory at that run's peak, bytes.
    pub kernel_bytes_peak: Option<u64>,
    /// The peak of that run.
    pub peak: Option<u32>,
}

/// Everything the searches found, and the runs worth overlaying.
#[derive(Debug, Default)]
pub struct Findings {
    /// The limit search's answer (when the traffic lost anything).
    pub max: Option<MaxRecommendation>,
    /// The timeout searches' answers.
    pub timeouts: Vec<TimeoutRecommendation>,
    /// Every trial, in order.
    pub trials: Vec<Trial>,
    /// Labelled runs to draw beside the traffic's own: the recommended
    /// limit and each timeout value that held.
    pub overlays: Vec<(String, Run)>,
}

/// Runs the searches for `base` (the traffic's own run).
pub struct Search<'a, 'b> {
    /// The traffic.
    pub traffic: &'a Traffic<'b>,
    /// The report's own overrides.
    pub overrides: &'a Overrides,
    /// Sampling interval.
    pub interval: Duration,
    /// Told each trial's name, then its progress in packets.
    pub tick: &'a mut dyn FnMut(&str, u64),
    trials: Vec<Trial>,
}

impl<'a, 'b> Search<'a, 'b> {
    /// A search over `traffic` under `overrides`.
    pub fn new(
        traffic: &'a Traffic<'b>,
        overrides: &'a Overrides,
        interval: Duration,
        tick: &'a mut dyn FnMut(&str, u64),
    ) -> Self {
        Search { traffic, overrides, interval, tick, trials: Vec::new() }
    }

    fn trial(&mut self, extra: &[(Sysctl, i64)]) -> Result<Run, String> {
        let mut o = self.overrides.clone();
        for &(k, v) in extra {
            o.set(k, v);
        }
        let setting: Vec<String> = extra.iter().map(|(k, v)| format!("{}={v}", k.name())).collect();
        let label = setting.join(" ");
        (self.tick)(&label, 0);
        let tick = &mut *self.tick;
        let r = run(self.traffic, &o, self.interval, &mut |n| tick(&label, n))?;
        let peak = r.sampler.peak.as_ref().map_or(0, |(_, c)| c.count);
        self.trials.push(Trial { setting, drop: r.end.drop, early_drop: r.end.early_drop, peak });
        Ok(r)
    }

    fn budget_left(&self) -> bool {
        self.trials.len() < TRIALS_MAX
    }

    /// Runs every search the base run calls for.
    pub fn run(mut self, base: &Run) -> Result<Findings, String> {
        let mut f = Findings::default();
        if base.end.lost() == 0 || !base.tracked {
            return Ok(f);
        }
        if let Some((rec, run)) = self.smallest_max(base)? {
            f.overlays.push((format!("nf_conntrack_max={}", rec.max), run));
            f.max = Some(rec);
        }
        for (sysctl, share) in governing_timeouts(base) {
            let (rec, run) = self.largest_timeout(base, sysctl, share)?;
            if let (Some(v), Some(run)) = (rec.value, run) {
                f.overlays.push((format!("{}={v}", short(sysctl)), run));
            }
            f.timeouts.push(rec);
        }
        f.trials = self.trials;
        Ok(f)
    }

    fn smallest_max(&mut self, base: &Run) -> Result<Option<(MaxRecommendation, Run)>, String> {
        let limit = |m: i64| [(Sysctl::NfConntrackMax, m), (Sysctl::NfConntrackBuckets, buckets_for(m))];
        let mut lo = i64::from(base.max.max(1));
        let mut hi = lo * 2;
        let mut good = loop {
            if hi > MAX_CEILING || !self.budget_left() {
                return Ok(None);
            }
            let r = self.trial(&limit(hi))?;
            if r.end.lost() == 0 {
                break r;
            }
            lo = hi;
            hi *= 2;
        };
        while hi - lo > 1 && self.budget_left() {
            let mid = lo + (hi - lo) / 2;
            let r = self.trial(&limit(mid))?;
            if r.end.lost() == 0 {
                hi = mid;
                good = r;
            } else {
                lo = mid;
            }
        }
        let peak = good.sampler.peak.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
        let profile = good.sysctls.profile();
        let nat_share = if peak.count == 0 { 0.0 } else { f64::from(peak.nat) / f64::from(peak.count) };
        let max = hi as u64;
        let buckets = buckets_for(hi) as u64;
        let rec = MaxRecommendation {
            max: hi as u32,
            buckets: buckets as u32,
            kernel_bytes_full: kernel_bytes(profile, max, (max as f64 * nat_share).round() as u64, buckets),
            kernel_bytes_peak: kernel_bytes(profile, u64::from(peak.count), u64::from(peak.nat), buckets),
            nfsim_bytes: good.nfsim_bytes,
            peak: peak.count,
        };
        Ok(Some((rec, good)))
    }

    fn largest_timeout(
        &mut self,
        base: &Run,
        sysctl: Sysctl,
        share: f64,
    ) -> Result<(TimeoutRecommendation, Option<Run>), String> {
        let current = base.sysctls.get(sysctl);
        let mut rec = TimeoutRecommendation {
            sysctl: sysctl.name(),
            current,
            value: None,
            share_pct: super::sample::round3(share * 100.0),
            kernel_bytes_peak: None,
            peak: None,
        };
        if current <= 1 || !self.budget_left() {
            return Ok((rec, None));
        }
        let floor = self.trial(&[(sysctl, 1)])?;
        if floor.end.lost() > 0 {
            return Ok((rec, None));
        }
        let (mut ok, mut bad, mut good) = (1, current, floor);
        while bad - ok > 1 && self.budget_left() {
            let mid = ok + (bad - ok) / 2;
            let r = self.trial(&[(sysctl, mid)])?;
            if r.end.lost() == 0 {
                ok = mid;
                good = r;
            } else {
                bad = mid;
            }
        }
        let peak = good.sampler.peak.as_ref().map(|(i, c)| (good.sampler.samples[*i].kernel_bytes, c.count));
        rec.value = Some(ok);
        rec.kernel_bytes_peak = peak.map(|p| p.0);
        rec.peak = peak.map(|p| p.1);
        Ok((rec, Some(good)))
    }
}

/// Buckets for a limit: the same number, rounded up to a multiple of 512
/// (a page of bucket heads), as the kernel sizes its default table.
pub fn buckets_for(max: i64) -> i64 {
    (max.max(1) + 511) / 512 * 512
}

/// `nf_conntrack_udp_timeout` without its `net.netfilter.` prefix.
pub fn short(s: Sysctl) -> &'static str {
    s.name().strip_prefix("net.netfilter.").unwrap_or(s.name())
}

/// The timeouts that governed at least a tenth of the table at its peak,
/// with their share, largest first.
fn governing_timeouts(base: &Run) -> Vec<(Sysctl, f64)> {
    let Some((_, peak)) = &base.sampler.peak else { return Vec::new() };
    if peak.count == 0 {
        return Vec::new();
    }
    let state = |s: usize| peak.tcp_states[s];
    // UDP entries are counted under udp_timeout: the unreplied and young
    // ones (DNS, floods: what fills a table) live by it.
    let groups = [
        (Sysctl::NfConntrackTcpTimeoutSynSent, state(1) + state(9)),
        (Sysctl::NfConntrackTcpTimeoutSynRecv, state(2)),
        (Sysctl::NfConntrackTcpTimeoutEstablished, state(3)),
        (Sysctl::NfConntrackTcpTimeoutTimeWait, state(7)),
        (Sysctl::NfConntrackUdpTimeout, peak.udp),
        (Sysctl::NfConntrackIcmpTimeout, peak.icmp),
        (Sysctl::NfConntrackGenericTimeout, peak.other),
    ];
    let mut v: Vec<(Sysctl, f64)> = groups
        .into_iter()
        .filter(|&(_, n)| n * 10 >= peak.count)
        .map(|(k, n)| (k, f64::from(n) / f64::from(peak.count)))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}
