//! Sampling a box's conntrack in virtual time: one [`Sample`] per interval
//! boundary, read with [`Conntrack::census`] (which changes nothing), plus
//! the kernel's memory for the same table under the box's profile.

use serde::Serialize;

use crate::conntrack::Conntrack;
use crate::conntrack::census::{Census, TCP_STATES};
use crate::engine::{Duration, Instant};
use crate::kernel::Profile;

/// Bytes of one entry in the kernel, by profile: `(plain, with NAT)`.
/// 6.x: the `nf_conntrack` slab object is 256 B and the NAT extension
/// brings it to 354 B (reference conntrack.md §5, bench/README.md);
/// 2.4: the netfilter FAQ's "about 350 bytes per conntrack", NAT included.
pub fn kernel_entry_bytes(profile: Profile) -> (u64, u64) {
    match profile {
        Profile::Linux6 => (256, 354),
        Profile::Linux24 => (350, 350),
    }
}

/// Bytes of one hash bucket head in the kernel (a pointer: 8 on 64-bit;
/// 2.4's `list_head` on i386 was 8 too).
pub const KERNEL_BUCKET_BYTES: u64 = 8;

/// The kernel's memory for `entries` entries of which `nat` carry the NAT
/// extension, in a table of `buckets` buckets.
pub fn kernel_bytes(profile: Profile, entries: u64, nat: u64, buckets: u64) -> u64 {
    let (plain, with_nat) = kernel_entry_bytes(profile);
    let nat = nat.min(entries);
    (entries - nat) * plain + nat * with_nat + buckets * KERNEL_BUCKET_BYTES
}

/// The table at one instant.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Sample {
    /// Seconds since the traffic started.
    pub t: f64,
    /// Entries in use (`nf_conntrack_count`).
    pub count: u32,
    /// `nf_conntrack_max` then.
    pub max: u32,
    /// TCP, UDP, ICMP and other entries.
    pub tcp: u32,
    /// UDP entries.
    pub udp: u32,
    /// ICMP entries.
    pub icmp: u32,
    /// Entries of other protocols.
    pub other: u32,
    /// TCP entries by state name, states with none left out.
    pub tcp_states: Vec<(&'static str, u32)>,
    /// ASSURED entries.
    pub assured: u32,
    /// UNREPLIED entries.
    pub unreplied: u32,
    /// Entries with the NAT extension.
    pub nat: u32,
    /// Expectations in use (helpers' pending data connections).
    pub expectations: u32,
    /// Expired entries not yet reaped.
    pub expired: u32,
    /// `conntrack -S` counters so far (cumulative).
    pub stats: Counters,
    /// The same counters' increase since the previous sample.
    pub delta: Counters,
    /// Entries confirmed into the table so far (cumulative).
    pub confirmed: u64,
    /// Mean nodes per bucket (3 decimals).
    pub chain_mean: f64,
    /// The longest chain.
    pub chain_max: u32,
    /// The kernel's memory for this table, bytes.
    pub kernel_bytes: u64,
    /// nfsim's memory for this table, bytes.
    pub nfsim_bytes: u64,
}

/// The `conntrack -S` counters a report follows.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counters {
    /// Entries inserted by ctnetlink (0 for ordinary traffic, as in Linux).
    pub insert: u32,
    /// Packets conntrack dropped (table full, tracker DROP, failed confirm).
    pub drop: u32,
    /// Entries evicted to make room.
    pub early_drop: u32,
    /// Packets left without an entry.
    pub invalid: u32,
    /// Confirmations that failed.
    pub insert_failed: u32,
    /// Lookups restarted.
    pub search_restart: u32,
}

impl Counters {
    /// The counters of `ct`.
    pub fn of(ct: &Conntrack) -> Counters {
        let s = ct.stats();
        Counters {
            insert: s.insert,
            drop: s.drop,
            early_drop: s.early_drop,
            invalid: s.invalid,
            insert_failed: s.insert_failed,
            search_restart: s.search_restart,
        }
    }

    /// The increase from `earlier`.
    pub fn since(&self, earlier: Counters) -> Counters {
        Counters {
            insert: self.insert - earlier.insert,
            drop: self.drop - earlier.drop,
            early_drop: self.early_drop - earlier.early_drop,
            invalid: self.invalid - earlier.invalid,
            insert_failed: self.insert_failed - earlier.insert_failed,
            search_restart: self.search_restart - earlier.search_restart,
        }
    }

    /// Losses to a full table: packets dropped and entries evicted.
    pub fn lost(&self) -> u64 {
        u64::from(self.drop) + u64::from(self.early_drop)
    }
}

/// Rounds to 3 decimals, so printed floats stay short and stable.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Takes a sample at each interval boundary the clock passes.
#[derive(Debug)]
pub struct Sampler {
    interval: Duration,
    start: Option<Instant>,
    next: Instant,
    profile: Profile,
    /// What was taken so far.
    pub samples: Vec<Sample>,
    /// The census with the most entries so far, and its sample's index.
    pub peak: Option<(usize, Census)>,
    /// Sources holding the most entries at the peak.
    pub top_sources: Vec<(std::net::Ipv4Addr, u32)>,
    /// Services (destination, port, protocol) holding the most entries at the peak.
    pub top_services: Vec<((std::net::Ipv4Addr, u16, u8), u32)>,
}

/// How many sources and services a report lists.
pub const TOP: usize = 10;

impl Sampler {
    /// A sampler every `interval` (at least 1 ms) for a box of `profile`.
    pub fn new(interval: Duration, profile: Profile) -> Sampler {
        let interval = Duration::from_nanos(interval.as_nanos().max(1_000_000));
        Sampler {
            interval,
            start: None,
            next: Instant::ZERO,
            profile,
            samples: Vec::new(),
            peak: None,
            top_sources: Vec::new(),
            top_services: Vec::new(),
        }
    }

    /// Sets time zero (the first packet of a capture; 0 for a scenario).
    pub fn start(&mut self, at: Instant) {
        if self.start.is_none() {
            self.start = Some(at);
            self.next = at;
        }
    }

    /// The next boundary, if it is due by `now`.
    pub fn due(&self, now: Instant) -> Option<Instant> {
        (self.start.is_some() && self.next <= now).then_some(self.next)
    }

    /// Samples `ct` at the boundary `at` (from [`Sampler::due`]).
    pub fn take(&mut self, at: Instant, ct: &Conntrack) {
        let start = self.start.unwrap_or(at);
        let census = ct.census(at);
        let nat = u64::from(census.nat);
        let sample = Sample {
            t: round3(at.saturating_since(start).as_nanos() as f64 / 1e9),
            count: census.count,
            max: ct.max(),
            tcp: census.tcp,
            udp: census.udp,
            icmp: census.icmp,
            other: census.other,
            tcp_states: (0..TCP_STATES)
                .filter(|&s| census.tcp_states[s] > 0)
                .map(|s| {
                    let name = crate::conntrack::proto::tcp::TcpState::from_u8(s as u8).name();
                    (name, census.tcp_states[s])
                })
                .collect(),
            assured: census.assured,
            unreplied: census.unreplied,
            nat: census.nat,
            expired: census.expired,
            stats: Counters::of(ct),
            delta: Counters::of(ct).since(self.samples.last().map(|s| s.stats).unwrap_or_default()),
            confirmed: ct.work().confirmed,
            chain_mean: round3(census.chain_mean()),
            chain_max: census.chain_max() as u32,
            kernel_bytes: kernel_bytes(self.profile, u64::from(census.count), nat, u64::from(ct.buckets())),
            nfsim_bytes: ct.memory_bytes() as u64,
            expectations: ct.expect_count(),
        };
        if self.peak.as_ref().is_none_or(|(_, p)| census.count > p.count) {
            self.top_sources = top(ct.entries_by_source());
            self.top_services = top(ct.entries_by_service());
            self.peak = Some((self.samples.len(), census));
        }
        self.samples.push(sample);
        self.next = at + self.interval;
    }

    /// Samples every boundary due by `now`, then `now` itself unless a
    /// boundary fell on it: the last sample shows the end of the traffic.
    pub fn finish(&mut self, now: Instant, ct: &Conntrack) {
        self.start(now);
        self.catch_up(now, ct);
        let last = Instant::from_nanos(self.next.as_nanos().saturating_sub(self.interval.as_nanos()));
        if self.samples.is_empty() || last < now {
            self.take(now, ct);
        }
    }

    /// Samples every boundary due by `now`.
    pub fn catch_up(&mut self, now: Instant, ct: &Conntrack) {
        while let Some(at) = self.due(now) {
            self.take(at, ct);
        }
    }
}

/// The `TOP` largest counts, largest first, ties by key.
fn top<K: Ord + Copy>(by: std::collections::BTreeMap<K, u32>) -> Vec<(K, u32)> {
    let mut v: Vec<(K, u32)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(TOP);
    v
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn kernel_memory_follows_the_profile() {
        assert_eq!(kernel_bytes(Profile::Linux6, 10, 0, 0), 2560);
        assert_eq!(kernel_bytes(Profile::Linux6, 10, 10, 0), 3540);
        assert_eq!(kernel_bytes(Profile::Linux24, 10, 10, 4), 3500 + 32);
    }
}
