//! The kernel's limits on the ICMP errors a box sends, in jiffies as Linux
//! counts them (HZ = 250, the value observed on the reference machine).
//!
//! Three token buckets, as in Linux 6.x:
//! - per peer (`inet_peer`, keyed by the address the error goes to): filled
//!   one token per jiffy up to a burst, charged by `ip_error` (no route:
//!   cost HZ, burst 5·HZ) and by `icmpv4_xrlim_allow` (cost
//!   `icmp_ratelimit`, burst 6×). A new peer starts as if idle for 60 s;
//! - host-wide (`icmp_global_allow`): `icmp_msgs_per_sec` refilled at most
//!   every HZ/50, capped at `icmp_msgs_burst`; each message sent then costs a
//!   random 0, 1 or 2 credits (`icmp_global_consume`), drawn from our stream.
//!
//! Types outside `icmp_ratemask`, "fragmentation needed" and errors to the
//! loopback device are never limited.

use crate::engine::{Instant, Rng};
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

pub use crate::kernel::HZ;

pub use crate::kernel::jiffies;

/// Converts a sysctl in milliseconds to jiffies as `proc_dointvec_ms_jiffies` does.
pub fn ms_to_jiffies(ms: i64) -> u64 {
    (ms.max(0) as u64 * HZ).div_ceil(1000)
}

#[derive(Clone, Copy, Debug)]
struct Peer {
    rate_tokens: u64,
    rate_last: u64,
    n_redirects: u32,
}

impl Peer {
    fn new(now: u64) -> Peer {
        // inet_getpeer: as if idle for 60 s, so the first charge finds a full bucket.
        Peer { rate_tokens: 0, rate_last: now.wrapping_sub(60 * HZ), n_redirects: 0 }
    }
}

/// `ip_rt_redirect_number`: redirects sent to a peer before going quiet.
const REDIRECT_NUMBER: u32 = 9;
/// `ip_rt_redirect_load`: the first gap between redirects, doubled after each.
const REDIRECT_LOAD: u64 = HZ / 50;
/// `ip_rt_redirect_silence`: a quiet spell after which a peer starts afresh.
const REDIRECT_SILENCE: u64 = REDIRECT_LOAD << (REDIRECT_NUMBER + 1);

/// Rate-limit state of one box.
#[derive(Debug)]
pub struct IcmpLimits {
    peers: FxHashMap<Ipv4Addr, Peer>,
    global_credit: i64,
    global_stamp: Option<u64>,
    rng: Rng,
}

impl IcmpLimits {
    /// Fresh state, drawing `icmp_global_consume`'s randomness from `rng`.
    pub fn new(rng: Rng) -> IcmpLimits {
        IcmpLimits { peers: FxHashMap::default(), global_credit: 0, global_stamp: None, rng }
    }

    /// `inet_peer_xrlim_allow`-style charge on `peer` of `cost` jiffies
    /// against a bucket of `burst` jiffies.
    pub fn peer_allow(&mut self, peer: Ipv4Addr, now: Instant, cost: u64, burst: u64) -> bool {
        let now = jiffies(now);
        let p = self.peers.entry(peer).or_insert(Peer::new(now));
        let mut token = (p.rate_tokens + now.wrapping_sub(p.rate_last)).min(burst);
        p.rate_last = now;
        let allow = token >= cost;
        if allow {
            token -= cost;
        }
        p.rate_tokens = token;
        allow
    }

    /// `ip_rt_send_redirect`'s pacing for redirects to `peer`: at once, then
    /// after exponentially growing gaps, then silence once nine went
    /// unheeded, until the peer has sent nothing redirectable for 20 s.
    pub fn redirect_allow(&mut self, peer: Ipv4Addr, now: Instant) -> bool {
        let now = jiffies(now);
        let p = self.peers.entry(peer).or_insert_with(|| Peer::new(now));
        if now.wrapping_sub(p.rate_last) > REDIRECT_SILENCE {
            p.rate_tokens = 0;
            p.n_redirects = 0;
        }
        if p.n_redirects >= REDIRECT_NUMBER {
            p.rate_last = now;
            return false;
        }
        let gap = REDIRECT_LOAD << p.n_redirects;
        if p.n_redirects == 0 || now.wrapping_sub(p.rate_last) > gap {
            p.rate_last = now;
            p.n_redirects += 1;
            return true;
        }
        false
    }

    /// `icmp_global_allow`: may a rate-limited ICMP message go out now?
    pub fn global_allow(&mut self, now: Instant, msgs_per_sec: i64, msgs_burst: i64) -> bool {
        if self.global_credit > 0 {
            return true;
        }
        let now = jiffies(now);
        // The kernel's stamp starts at 0 jiffies, long before any capture time.
        let delta = now.saturating_sub(self.global_stamp.unwrap_or(0)).min(HZ);
        if delta < HZ / 50 {
            return false;
        }
        let incr = msgs_per_sec.max(0) * delta as i64 / HZ as i64;
        if incr == 0 {
            return false;
        }
        self.global_stamp = Some(now);
        self.global_credit = (self.global_credit + incr).min(msgs_burst);
        true
    }

    /// `icmp_global_consume`: a message went out; it costs 0 to 2 credits.
    pub fn global_consume(&mut self) {
        self.global_credit -= self.rng.below(3) as i64;
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Duration;

    #[test]
    fn peer_bucket_allows_a_burst_then_one_per_cost() {
        let mut l = IcmpLimits::new(Rng::new(1));
        let peer = Ipv4Addr::new(10, 0, 0, 1);
        let t0 = Instant::from_nanos(1_000_000_000_000);
        // icmp_ratelimit 1000 ms = HZ jiffies, burst 6×: six at once, then none.
        let sent = (0..10).filter(|_| l.peer_allow(peer, t0, HZ, 6 * HZ)).count();
        assert_eq!(sent, 6);
        assert!(!l.peer_allow(peer, t0 + Duration::from_millis(900), HZ, 6 * HZ));
        assert!(l.peer_allow(peer, t0 + Duration::from_millis(1000), HZ, 6 * HZ));
        // Other peers have their own bucket.
        assert!(l.peer_allow(Ipv4Addr::new(10, 0, 0, 2), t0, HZ, 6 * HZ));
    }

    #[test]
    fn global_bucket_refills_and_caps() {
        let mut l = IcmpLimits::new(Rng::new(1));
        let t0 = Instant::from_nanos(1_000_000_000_000);
        let mut sent = 0;
        for _ in 0..1000 {
            if l.global_allow(t0, 1000, 50) {
                l.global_consume();
                sent += 1;
            }
        }
        // 50 credits spent at 0-2 each (1 on average): roughly 50 messages.
        assert!((30..=120).contains(&sent), "{sent}");
        assert!(!l.global_allow(t0, 1000, 50));
        assert!(l.global_allow(t0 + Duration::from_millis(20), 1000, 50));
    }

    #[test]
    fn redirects_back_off_then_fall_silent() {
        let mut l = IcmpLimits::new(Rng::new(1));
        let peer = Ipv4Addr::new(10, 0, 0, 1);
        let t0 = Instant::from_nanos(1_000_000_000_000);
        // One packet every 4 ms (one jiffy) for 12 s: sends at 0, then once
        // more than 10, 20, 40, ... jiffies have passed; nine in all.
        let sent: Vec<u64> =
            (0..3000u64).filter(|i| l.redirect_allow(peer, t0 + Duration::from_millis(4 * i))).collect();
        assert_eq!(sent, vec![0, 11, 32, 73, 154, 315, 636, 1277, 2558]);
        // Still hammering: silence never ends.
        assert!(!l.redirect_allow(peer, t0 + Duration::from_secs(30)));
        // After 20.48 s of quiet it starts again.
        assert!(l.redirect_allow(peer, t0 + Duration::from_secs(60)));
    }

    #[test]
    fn jiffy_conversion() {
        assert_eq!(ms_to_jiffies(1000), HZ);
        assert_eq!(ms_to_jiffies(1), 1);
        assert_eq!(jiffies(Instant::from_nanos(4_000_000)), 1);
    }
}
