//! What is configured rather than computed: the box's sysctls and the
//! kernel profile (`linux-6`, `linux-2.4`): constants, message texts and
//! switches as data, never a fork of the code.

pub mod linux24;
mod profile;
mod sysctl;
pub mod timer;

/// `CONFIG_HZ` of the reference kernel (Linux 6.18 on x86_64 here, as
/// most distributions build it): jiffies per second, the unit of its
/// timers, timeouts and rate limits.
pub const HZ: u64 = 250;

/// Nanoseconds of one jiffy.
pub const JIFFY_NS: u64 = 1_000_000_000 / HZ;

/// The jiffy counter at virtual time `t` (jiffy 0 begins at time 0).
#[inline]
pub fn jiffies(t: crate::engine::Instant) -> u64 {
    t.as_nanos() / JIFFY_NS
}

/// The virtual time at which jiffy `j` begins.
#[inline]
pub fn jiffy_start(j: u64) -> crate::engine::Instant {
    crate::engine::Instant::from_nanos(j.saturating_mul(JIFFY_NS))
}

pub use profile::{Profile, TcpWording};
pub use sysctl::{Sysctl, SysctlError, Sysctls};
