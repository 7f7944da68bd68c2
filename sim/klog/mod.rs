//! The kernel log of one box: printk levels, the log buffer and its two
//! readers (console and syslog), the kernel's rate limiters, and the text of
//! LOG target lines.
//!
//! Everything is in virtual time. A record is `(time, level, text)`; the
//! console sees a record when its level is below `console_loglevel` (the first
//! field of `kernel.printk`, default 4, so the default warning-level LOG lines
//! are not on the console); syslog sees every record. Rate limiters
//! ([`RateLimit`]) reproduce `___ratelimit` in jiffies, with its
//! `"<func>: N callbacks suppressed"` line.

pub mod buffer;
pub mod log_line;
pub mod ratelimit;

#[cfg(test)]
mod log_line_fixtures;

pub use buffer::{Klog, PrintkLevels, Record};
pub use log_line::{LinkInfo, format_log_line};
pub use ratelimit::{HZ, RateLimit};

/// A printk level, `KERN_EMERG` (0) to `KERN_DEBUG` (7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// 0, system is unusable.
    Emerg = 0,
    /// 1, action must be taken immediately.
    Alert = 1,
    /// 2, critical conditions.
    Crit = 2,
    /// 3, error conditions.
    Err = 3,
    /// 4, warning conditions (LOG's default).
    Warning = 4,
    /// 5, normal but significant condition.
    Notice = 5,
    /// 6, informational.
    Info = 6,
    /// 7, debug-level messages.
    Debug = 7,
}

impl Level {
    const ALL: [Level; 8] =
        [Level::Emerg, Level::Alert, Level::Crit, Level::Err, Level::Warning, Level::Notice, Level::Info, Level::Debug];

    /// The level numbered `n`, if `n` is 0..=7.
    pub fn from_number(n: u8) -> Option<Level> {
        Level::ALL.get(n as usize).copied()
    }

    /// The level's number, as in `<4>`.
    pub fn number(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn levels_round_trip_through_numbers() {
        for n in 0..8 {
            assert_eq!(Level::from_number(n).unwrap().number(), n);
        }
        assert_eq!(Level::from_number(8), None);
        assert!(Level::Err < Level::Warning);
    }
}
