//! The kernel log buffer of one box and its readers.
//!
//! `printk` appends a [`Record`] stamped with virtual time. Two sinks read the
//! buffer: syslog (`/dev/kmsg`, `dmesg`, journald) sees every record; the
//! console sees a record iff its level is below `console_loglevel` at the time
//! it was printed (`kernel.printk`'s first field; `4 4 1 7` by default,
//! observed on Linux 6.18). Texts are rendered as syslog's `<4>text` lines or as
//! `dmesg`'s `[    5.000123] text` lines, the time counted from the box's boot.
//!
//! The buffer grows with what is logged; a long replay drains it with
//! [`Klog::drain`] as it writes the records out.

use super::Level;
use crate::engine::Instant;
use std::fmt::Write;

/// One printk record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// When it was printed.
    pub at: Instant,
    /// Its level.
    pub level: Level,
    /// Its text, without the level and without a newline.
    pub text: String,
    /// Whether it reached the console.
    pub console: bool,
}

/// `kernel.printk`: the four console log levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrintkLevels {
    /// Records with a level below this reach the console.
    pub console_loglevel: u8,
    /// Level of a printk that names none.
    pub default_message_loglevel: u8,
    /// Lowest value `console_loglevel` may be set to.
    pub minimum_console_loglevel: u8,
    /// `console_loglevel`'s boot-time default.
    pub default_console_loglevel: u8,
}

impl Default for PrintkLevels {
    /// `4 4 1 7`, Linux's `CONSOLE_LOGLEVEL_DEFAULT` builds as observed.
    fn default() -> Self {
        PrintkLevels {
            console_loglevel: 4,
            default_message_loglevel: 4,
            minimum_console_loglevel: 1,
            default_console_loglevel: 7,
        }
    }
}

impl PrintkLevels {
    /// Parses `/proc/sys/kernel/printk`'s text: one to four integers; fields
    /// not given keep their value. `None` if a field is not a number.
    pub fn parse(&self, text: &str) -> Option<PrintkLevels> {
        let mut v = [
            self.console_loglevel,
            self.default_message_loglevel,
            self.minimum_console_loglevel,
            self.default_console_loglevel,
        ];
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.is_empty() || fields.len() > 4 {
            return None;
        }
        for (slot, f) in v.iter_mut().zip(fields) {
            // The kernel stores ints; a level above 8 behaves as 8 (all records).
            let n: i64 = f.parse().ok()?;
            *slot = n.clamp(0, 8) as u8;
        }
        Some(PrintkLevels {
            console_loglevel: v[0],
            default_message_loglevel: v[1],
            minimum_console_loglevel: v[2],
            default_console_loglevel: v[3],
        })
    }

    /// The sysctl's text, `4\t4\t1\t7`.
    pub fn to_proc(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}",
            self.console_loglevel,
            self.default_message_loglevel,
            self.minimum_console_loglevel,
            self.default_console_loglevel
        )
    }
}

/// The kernel log of one box.
#[derive(Clone, Debug, Default)]
pub struct Klog {
    boot: Instant,
    /// `kernel.printk`.
    pub levels: PrintkLevels,
    records: Vec<Record>,
}

impl Klog {
    /// An empty log for a box booted at `boot` (dmesg times count from it).
    pub fn new(boot: Instant) -> Klog {
        Klog { boot, levels: PrintkLevels::default(), records: Vec::new() }
    }

    /// `printk(KERN_<level> text)`. A trailing newline is dropped; a text of
    /// several lines becomes one record per line, each with the level and time
    /// (so every rendered line stands alone).
    pub fn printk(&mut self, now: Instant, level: Level, text: &str) {
        let console = level.number() < self.levels.console_loglevel;
        for line in text.trim_end_matches('\n').split('\n') {
            self.records.push(Record { at: now, level, text: line.to_string(), console });
        }
    }

    /// Every record, oldest first (what syslog sees).
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The records that reached the console.
    pub fn console(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.console)
    }

    /// Takes the records out, leaving the buffer empty.
    pub fn drain(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// Appends `records` as syslog lines, `<4>text\n` each.
    pub fn write_syslog<'a>(out: &mut String, records: impl IntoIterator<Item = &'a Record>) {
        for r in records {
            let _ = writeln!(out, "<{}>{}", r.level.number(), r.text);
        }
    }

    /// Appends `records` as `dmesg` prints them, `[%5lu.%06lu] text\n`, the
    /// time since this box's boot.
    pub fn write_dmesg<'a>(&self, out: &mut String, records: impl IntoIterator<Item = &'a Record>) {
        for r in records {
            let ns = r.at.saturating_since(self.boot).as_nanos();
            let _ = writeln!(out, "[{:5}.{:06}] {}", ns / 1_000_000_000, ns % 1_000_000_000 / 1000, r.text);
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Duration;

    #[test]
    fn console_sees_only_levels_below_console_loglevel() {
        let mut k = Klog::new(Instant::ZERO);
        k.printk(Instant::ZERO, Level::Warning, "warn");
        k.printk(Instant::ZERO, Level::Err, "err");
        k.levels.console_loglevel = 8;
        k.printk(Instant::ZERO, Level::Debug, "debug");
        let on_console: Vec<&str> = k.console().map(|r| r.text.as_str()).collect();
        assert_eq!(on_console, ["err", "debug"]);
        assert_eq!(k.records().len(), 3);
    }

    #[test]
    fn renders_syslog_and_dmesg_lines() {
        let boot = Instant::from_nanos(1_000_000_000_000);
        let mut k = Klog::new(boot);
        k.printk(boot + Duration::from_nanos(3_271_305_907_123), Level::Warning, "nfU IN= OUT=eth1 ");
        k.printk(boot + Duration::from_micros(12), Level::Info, "a\nb\n");
        let (mut s, mut d) = (String::new(), String::new());
        Klog::write_syslog(&mut s, k.records());
        k.write_dmesg(&mut d, k.records());
        assert_eq!(s, "<4>nfU IN= OUT=eth1 \n<6>a\n<6>b\n");
        assert_eq!(d, "[ 3271.305907] nfU IN= OUT=eth1 \n[    0.000012] a\n[    0.000012] b\n");
        assert_eq!(k.drain().len(), 3);
        assert!(k.records().is_empty());
    }

    #[test]
    fn printk_sysctl_parses_like_proc() {
        let d = PrintkLevels::default();
        assert_eq!(d.to_proc(), "4\t4\t1\t7");
        let p = d.parse("8").unwrap();
        assert_eq!((p.console_loglevel, p.default_message_loglevel), (8, 4));
        assert_eq!(d.parse("7 4 1 7 9"), None);
        assert_eq!(d.parse("x"), None);
    }
}
