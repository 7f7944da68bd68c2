//! The kernel's message rate limiter, `___ratelimit` (lib/ratelimit.c), in
//! virtual jiffies.
//!
//! A state allows `burst` calls per `interval`. The window opens at the first
//! call; a call made once more than `interval` jiffies have passed since the
//! window opened starts a new window, refills the burst, and first prints
//! `"<func>: N callbacks suppressed"` at KERN_WARNING if N calls were refused
//! in the old one. An interval of 0 never limits; a burst of 0 (with a
//! non-zero interval) refuses everything and never prints the line.
//!
//! Two users matter to netfilter: `net_ratelimit()` (one state per box, its
//! interval and burst read from `net.core.message_cost` seconds, default 5, and
//! `net.core.message_burst`, default 10, on every call; the line names
//! `net_ratelimit`) and `printk_ratelimited()` (one state per call site, 5 s and
//! 10; the line names the calling function).

use super::{Klog, Level};
use crate::engine::Instant;
use crate::kernel::jiffies;

pub use crate::kernel::HZ;

/// `DEFAULT_RATELIMIT_INTERVAL`: 5 s.
pub const DEFAULT_INTERVAL_JIFFIES: u64 = 5 * HZ;
/// `DEFAULT_RATELIMIT_BURST`: 10.
pub const DEFAULT_BURST: u32 = 10;

/// One `struct ratelimit_state`.
#[derive(Clone, Debug)]
pub struct RateLimit {
    func: &'static str,
    interval: u64,
    burst: u32,
    /// Jiffy the window opened, once initialised.
    begin: Option<u64>,
    left: u32,
    missed: u32,
}

impl RateLimit {
    /// A state for `func` (the name the "suppressed" line prints) allowing
    /// `burst` calls per `interval_jiffies`.
    pub fn new(func: &'static str, interval_jiffies: u64, burst: u32) -> RateLimit {
        RateLimit { func, interval: interval_jiffies, burst, begin: None, left: 0, missed: 0 }
    }

    /// `printk_ratelimited` at a call site in `func`: 5 s, burst 10.
    pub fn printk(func: &'static str) -> RateLimit {
        RateLimit::new(func, DEFAULT_INTERVAL_JIFFIES, DEFAULT_BURST)
    }

    /// `net_ratelimit_state`.
    pub fn net() -> RateLimit {
        RateLimit::new("net_ratelimit", DEFAULT_INTERVAL_JIFFIES, DEFAULT_BURST)
    }

    /// `net_ratelimit()` with the box's `net.core.message_cost` (seconds) and
    /// `net.core.message_burst`, which apply from this call on.
    pub fn net_ratelimit(&mut self, now: Instant, message_cost_s: u64, message_burst: u32, log: &mut Klog) -> bool {
        self.interval = message_cost_s.saturating_mul(HZ);
        self.burst = message_burst;
        self.allow(now, log)
    }

    /// Calls refused since the last "suppressed" line.
    pub fn missed(&self) -> u32 {
        self.missed
    }

    /// `__ratelimit`: whether the caller may go ahead at `now`. May first
    /// print the "callbacks suppressed" line into `log`.
    pub fn allow(&mut self, now: Instant, log: &mut Klog) -> bool {
        let ok = self.check(now, log);
        if !ok {
            self.missed = self.missed.saturating_add(1);
        }
        ok
    }

    fn check(&mut self, now: Instant, log: &mut Klog) -> bool {
        if self.interval == 0 {
            // Never limit; the state is re-initialised once limiting resumes.
            self.begin = None;
            return true;
        }
        if self.burst == 0 {
            self.begin = None;
            return false;
        }
        let j = jiffies(now);
        let begin = *self.begin.get_or_insert_with(|| {
            self.left = self.burst;
            j
        });
        // time_is_before_jiffies(begin + interval): strictly past the window.
        if j > begin + self.interval {
            self.left = self.burst;
            self.begin = Some(j);
            let m = std::mem::take(&mut self.missed);
            if m != 0 {
                log.printk(now, Level::Warning, &format!("{}: {} callbacks suppressed", self.func, m));
            }
        }
        if self.left > 0 {
            self.left -= 1;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Duration;

    fn at_ms(ms: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(ms)
    }

    #[test]
    fn burst_then_suppressed_line_when_the_window_passes() {
        let mut log = Klog::new(Instant::ZERO);
        let mut rl = RateLimit::net();
        let allowed = (0..15).filter(|&i| rl.allow(at_ms(1000 + i), &mut log)).count();
        assert_eq!(allowed, 10);
        assert_eq!(rl.missed(), 5);
        // Exactly 5 s after the window opened is still inside it.
        assert!(!rl.allow(at_ms(6000), &mut log));
        assert!(log.records().is_empty());
        assert!(rl.allow(at_ms(6004), &mut log));
        let r = &log.records()[0];
        assert_eq!((r.level, r.text.as_str()), (Level::Warning, "net_ratelimit: 6 callbacks suppressed"));
        assert_eq!(rl.missed(), 0);
    }

    #[test]
    fn no_line_when_nothing_was_missed() {
        let mut log = Klog::new(Instant::ZERO);
        let mut rl = RateLimit::printk("xt_check_target");
        assert!(rl.allow(at_ms(0), &mut log));
        assert!(rl.allow(at_ms(10_000), &mut log));
        assert!(log.records().is_empty());
    }

    #[test]
    fn net_ratelimit_follows_the_sysctls() {
        let mut log = Klog::new(Instant::ZERO);
        let mut rl = RateLimit::net();
        // message_cost 0: never limited.
        assert!((0..100).all(|_| rl.net_ratelimit(at_ms(0), 0, 10, &mut log)));
        // message_burst 0: always refused, and no line ever.
        assert!(!rl.net_ratelimit(at_ms(1), 5, 0, &mut log));
        assert!(!rl.net_ratelimit(at_ms(60_000), 5, 0, &mut log));
        assert!(log.records().is_empty());
        // Burst 2 per second.
        assert!(rl.net_ratelimit(at_ms(100_000), 1, 2, &mut log));
        assert!(rl.net_ratelimit(at_ms(100_000), 1, 2, &mut log));
        assert!(!rl.net_ratelimit(at_ms(100_000), 1, 2, &mut log));
        assert!(rl.net_ratelimit(at_ms(101_004), 1, 2, &mut log));
        assert_eq!(log.records()[0].text, "net_ratelimit: 3 callbacks suppressed");
    }
}
