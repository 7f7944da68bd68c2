//! The report's numbers, as `report.json` holds them and the page shows
//! them: built from the traffic's own run and the searches' findings.
//! Floats are rounded to 3 decimals and nothing depends on the wall
//! clock, so the same inputs give the same bytes.

use serde::Serialize;

use super::sample::{Counters, Sample, kernel_entry_bytes, round3};
use super::search::{Findings, MaxRecommendation, TimeoutRecommendation, Trial, short};
use super::traffic::Run;
use crate::kernel::Sysctl;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// What produced it.
    pub tool: &'static str,
    /// The traffic, as the command line named it.
    pub traffic: String,
    /// The kernel profile.
    pub profile: &'static str,
    /// Seconds between samples.
    pub interval_s: f64,
    /// The settings the traffic ran under.
    pub settings: Settings,
    /// The headline figures.
    pub summary: Summary,
    /// The table over time.
    pub samples: Vec<Sample>,
    /// Buckets by chain length at the peak (`[n]` buckets hold n nodes).
    pub chain_histogram: Vec<u32>,
    /// Sources holding the most entries at the peak.
    pub top_sources: Vec<Holder>,
    /// Services (destination:port/proto) holding the most entries at the peak.
    pub top_services: Vec<Holder>,
    /// What would have held.
    pub recommendations: Recommendations,
    /// Every what-if run the searches made.
    pub trials: Vec<Trial>,
    /// The runs drawn beside the traffic's own: label, then (t, entries).
    pub overlays: Vec<Overlay>,
}

/// Settings in force.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// `nf_conntrack_max`.
    pub nf_conntrack_max: u32,
    /// `nf_conntrack_buckets`.
    pub nf_conntrack_buckets: u32,
    /// The `--what-if` overrides, `KEY=VALUE`.
    pub what_if: Vec<String>,
    /// The timeouts a report may recommend, with their values.
    pub timeouts: Vec<(&'static str, i64)>,
}

/// Headline figures.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Packets replayed (capture) or events handled (scenario).
    pub packets: u64,
    /// Seconds of traffic.
    pub duration_s: f64,
    /// The most entries held.
    pub peak_entries: u32,
    /// When, in seconds.
    pub peak_t: f64,
    /// The peak as a share of the limit, percent.
    pub peak_pct_of_max: f64,
    /// When the table first reached its limit, seconds.
    pub full_at_s: Option<f64>,
    /// `conntrack -S` counters at the end.
    pub counters: Counters,
    /// "table full, dropping packet" lines the kernel log printed (rate limited).
    pub table_full_log_lines: u64,
    /// Entries confirmed over the run.
    pub confirmed: u64,
    /// At the peak: ASSURED entries.
    pub peak_assured: u32,
    /// At the peak: UNREPLIED entries.
    pub peak_unreplied: u32,
    /// The most expectations in use at any sample.
    pub expectations: u32,
    /// Mean and longest chain at the peak.
    pub peak_chain_mean: f64,
    /// The longest chain at the peak.
    pub peak_chain_max: u32,
    /// Kernel bytes per entry for the profile, plain and with NAT.
    pub kernel_entry_bytes: (u64, u64),
    /// The kernel's memory at the peak, bytes.
    pub kernel_bytes_peak: u64,
    /// nfsim's memory at the peak, bytes.
    pub nfsim_bytes_peak: u64,
}

/// One source or service and the entries it held.
#[derive(Debug, Serialize)]
pub struct Holder {
    /// `198.18.0.1` or `203.0.113.10:443/tcp`.
    pub key: String,
    /// Entries held at the peak.
    pub entries: u32,
}

/// The recommendations.
#[derive(Debug, Serialize)]
pub struct Recommendations {
    /// Nothing was lost: nothing to change.
    pub nothing_lost: bool,
    /// The smallest limit that lost nothing.
    pub max: Option<MaxRecommendation>,
    /// Timeouts whose lowering would have avoided the losses.
    pub timeouts: Vec<TimeoutRecommendation>,
}

/// A what-if run's occupancy.
#[derive(Debug, Serialize)]
pub struct Overlay {
    /// Its setting.
    pub label: String,
    /// Its limit.
    pub max: u32,
    /// Its losses.
    pub counters: Counters,
    /// `(t, entries)` per sample.
    pub points: Vec<(f64, u32)>,
}

impl Overlay {
    /// The overlay of `run`.
    pub fn of(label: &str, run: &Run) -> Overlay {
        Overlay {
            label: label.to_string(),
            max: run.max,
            counters: run.end,
            points: run.sampler.samples.iter().map(|s| (s.t, s.count)).collect(),
        }
    }
}

const TIMEOUTS: [Sysctl; 7] = [
    Sysctl::NfConntrackTcpTimeoutSynSent,
    Sysctl::NfConntrackTcpTimeoutSynRecv,
    Sysctl::NfConntrackTcpTimeoutEstablished,
    Sysctl::NfConntrackTcpTimeoutTimeWait,
    Sysctl::NfConntrackUdpTimeout,
    Sysctl::NfConntrackUdpTimeoutStream,
    Sysctl::NfConntrackIcmpTimeout,
];

/// Builds the report of `base` and what the searches found.
pub fn build(traffic: String, interval_s: f64, what_if: Vec<String>, base: Run, findings: Findings) -> Report {
    let samples = base.sampler.samples;
    let (peak_i, peak) = base.sampler.peak.unwrap_or_default();
    let peak_sample = samples.get(peak_i);
    let full_at_s = samples.iter().find(|s| s.max != 0 && s.count >= s.max).map(|s| s.t);
    let fmt_service = |(a, p, proto): (std::net::Ipv4Addr, u16, u8)| {
        let name = crate::conntrack::proto::name(proto);
        if p == 0 { format!("{a}/{name}") } else { format!("{a}:{p}/{name}") }
    };
    Report {
        tool: "nfsim report pressure",
        traffic,
        profile: base.sysctls.profile().name(),
        interval_s,
        settings: Settings {
            nf_conntrack_max: base.max,
            nf_conntrack_buckets: base.buckets,
            what_if,
            timeouts: TIMEOUTS.iter().map(|&k| (short(k), base.sysctls.get(k))).collect(),
        },
        summary: Summary {
            packets: base.packets,
            duration_s: samples.last().map_or(0.0, |s| s.t),
            peak_entries: peak.count,
            peak_t: peak_sample.map_or(0.0, |s| s.t),
            peak_pct_of_max: if base.max == 0 {
                0.0
            } else {
                round3(f64::from(peak.count) * 100.0 / f64::from(base.max))
            },
            full_at_s,
            counters: base.end,
            table_full_log_lines: base.table_full_lines,
            confirmed: samples.last().map_or(0, |s| s.confirmed),
            peak_assured: peak.assured,
            peak_unreplied: peak.unreplied,
            expectations: samples.iter().map(|s| s.expectations).max().unwrap_or(0),
            peak_chain_mean: round3(peak.chain_mean()),
            peak_chain_max: peak.chain_max() as u32,
            kernel_entry_bytes: kernel_entry_bytes(base.sysctls.profile()),
            kernel_bytes_peak: peak_sample.map_or(0, |s| s.kernel_bytes),
            nfsim_bytes_peak: samples.iter().map(|s| s.nfsim_bytes).max().unwrap_or(0),
        },
        chain_histogram: peak.chains.clone(),
        top_sources: base.sampler.top_sources.iter().map(|(a, n)| Holder { key: a.to_string(), entries: *n }).collect(),
        top_services: base
            .sampler
            .top_services
            .iter()
            .map(|(k, n)| Holder { key: fmt_service(*k), entries: *n })
            .collect(),
        recommendations: Recommendations {
            nothing_lost: base.end.lost() == 0,
            max: findings.max,
            timeouts: findings.timeouts,
        },
        trials: findings.trials,
        overlays: findings.overlays.iter().map(|(l, r)| Overlay::of(l, r)).collect(),
        samples,
    }
}
