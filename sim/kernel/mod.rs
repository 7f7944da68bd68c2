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

pub use profile::{Profile, TcpWording};
pub use sysctl::{Sysctl, SysctlError, Sysctls};
