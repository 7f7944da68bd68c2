//! When a kernel timer really fires: the timer wheel's rounding.
//!
//! A `timer_list` armed for jiffy `expires` is filed in a wheel level
//! chosen by how far away it is, and levels further out are coarser: level
//! `n` counts in units of 8^n jiffies and holds timers up to 63·8^n jiffies
//! ahead. To never fire early, the wheel files a timer in the first slot
//! after its expiry at that level's granularity (`calc_index`): one jiffy
//! late at level 0, up to 8 jiffies (32 ms at HZ=250) for a one-second
//! timer, up to 2 s for a thirty-second one. This is why a box's ARP
//! retries come 1.024 s apart, not 1.000 s (measured on Linux 6.18).

use super::{JIFFY_NS, jiffies, jiffy_start};
use crate::engine::{Duration, Instant};

/// Bits per level step (`LVL_CLK_SHIFT`).
const SHIFT: u32 = 3;
/// Slots per level less one: a level holds timers below 63 of its units.
const SPAN: u64 = 63;
/// Levels of the wheel (`LVL_DEPTH` for HZ above 100).
const DEPTH: u32 = 9;

/// The jiffy at which a timer armed at jiffy `clk` for jiffy `expires`
/// fires (`calc_wheel_index`'s bucket expiry).
pub fn fires_at_jiffy(clk: u64, expires: u64) -> u64 {
    let Some(delta) = expires.checked_sub(clk) else { return clk };
    let level = (0..DEPTH).find(|l| delta < SPAN << (SHIFT * l)).unwrap_or(DEPTH - 1);
    let shift = SHIFT * level;
    ((expires >> shift) + 1) << shift
}

/// When a timer armed at `now` to run `after` from now fires: the jiffy
/// clock is `now` rounded down, the delay rounded up to whole jiffies (as
/// `msecs_to_jiffies` rounds), and the wheel adds its rounding.
pub fn fires_at(now: Instant, after: Duration) -> Instant {
    let clk = jiffies(now);
    let expires = clk + after.as_nanos().div_ceil(JIFFY_NS);
    jiffy_start(fires_at_jiffy(clk, expires))
}

/// When a timer armed at `now` for the jiffy `deadline` falls in fires
/// (a deadline kept as a time, such as a confirmation stamp plus a delay).
pub fn fires_by(now: Instant, deadline: Instant) -> Instant {
    jiffy_start(fires_at_jiffy(jiffies(now), jiffies(deadline)))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_level_zero_timer_fires_one_jiffy_late() {
        assert_eq!(fires_at_jiffy(1000, 1010), 1011);
        assert_eq!(fires_at_jiffy(1000, 1000), 1001);
        assert_eq!(fires_at_jiffy(1000, 990), 1000, "already due: the next tick");
    }

    #[test]
    fn a_one_second_timer_fires_on_the_next_eight_jiffy_boundary() {
        // 250 jiffies is level 1: units of 8.
        assert_eq!(fires_at_jiffy(0, 250), 256);
        assert_eq!(fires_at_jiffy(6, 256), 264);
        let t = fires_at(Instant::ZERO, Duration::from_secs(1));
        assert_eq!(t, Instant::from_nanos(1_024_000_000), "ARP's retransmit: 1.024 s, as measured");
    }

    #[test]
    fn further_timers_round_coarser_and_never_early() {
        // 5 s (1250 jiffies): level 2, units of 64; 30 s (7500): level 3, units of 512.
        assert_eq!(fires_at_jiffy(0, 1250), 1280);
        assert_eq!(fires_at_jiffy(0, 7500), 7680);
        for clk in [0u64, 3, 77, 1000, 123_456] {
            for d in [1u64, 62, 63, 500, 504, 4031, 4032, 40_000, 300_000] {
                let f = fires_at_jiffy(clk, clk + d);
                assert!(f > clk + d, "never early: {clk} {d} {f}");
                let unit = 1u64 << (SHIFT * (0..DEPTH).find(|l| d < SPAN << (SHIFT * l)).unwrap());
                assert!(f - (clk + d) <= unit, "late by at most one unit: {clk} {d} {f}");
            }
        }
    }
}
