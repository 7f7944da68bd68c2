//! `-m time`: match on the wall-clock time of the packet's arrival: a date
//! range, a daily time window, week days and month days.
//!
//! The virtual clock's `now` is read as seconds since the Unix epoch, UTC
//! (`--kerneltz` would apply the kernel's timezone, which a simulated box
//! keeps at UTC). Mirrors xt_time: a window whose stop is before its start
//! wraps midnight, and with `--contiguous` the part after midnight counts
//! as the previous day for the day tests. Inverted day lists are folded
//! into their complement by iptables, so there is no invert flag.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

const DAY_SECS: u32 = 86_400;
/// The last second of a day (XT_TIME_MAX_DAYTIME).
const MAX_DAYTIME: u32 = DAY_SECS - 1;
const ALL_WEEKDAYS: u8 = 0xfe;
const ALL_MONTHDAYS: u32 = 0xffff_fffe;
/// The default date stop, INT32_MAX (2038-01-19T03:14:07).
const DATE_MAX: u32 = i32::MAX as u32;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The time match.
#[derive(Clone, Debug)]
pub struct Time {
    /// Seconds since the epoch, UTC.
    pub date_start: u32,
    /// Seconds since the epoch, UTC.
    pub date_stop: u32,
    /// Seconds since midnight.
    pub daytime_start: u32,
    /// Seconds since midnight.
    pub daytime_stop: u32,
    /// Bit `1 << d` for month day `d` (1..=31).
    pub monthdays: u32,
    /// Bit `1 << d` for week day `d` (Monday 1 ... Sunday 7).
    pub weekdays: u8,
    /// `--kerneltz`.
    pub kerneltz: bool,
    /// `--contiguous`.
    pub contiguous: bool,
}

impl Default for Time {
    fn default() -> Self {
        Time {
            date_start: 0,
            date_stop: DATE_MAX,
            daytime_start: 0,
            daytime_stop: MAX_DAYTIME,
            monthdays: ALL_MONTHDAYS,
            weekdays: ALL_WEEKDAYS,
            kerneltz: false,
            contiguous: false,
        }
    }
}

const OPTS: &[Opt] = &[
    Opt::arg("datestart"),
    Opt::arg("datestop"),
    Opt::arg("timestart"),
    Opt::arg("timestop"),
    Opt::inv("weekdays"),
    Opt::inv("monthdays"),
    Opt::flag("localtz"),
    Opt::flag("kerneltz"),
    Opt::flag("utc"),
    Opt::flag("contiguous"),
];

/// Days since 1970-01-01 of a proleptic Gregorian date (month may be 1..=12,
/// day past the month's end rolls over as `mktime` does).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since the epoch.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Parses `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` as UTC seconds.
fn parse_date(s: &str) -> Result<u32, Error> {
    let bad = || opts::param(format!("Invalid date \"{s}\" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]"));
    let (date, time) = s.split_once('T').map_or((s, None), |(d, t)| (d, Some(t)));
    let num = |p: &str, lo: i64, hi: i64| {
        p.parse::<i64>().ok().filter(|v| (lo..=hi).contains(v) && p.chars().all(|c| c.is_ascii_digit())).ok_or_else(bad)
    };
    let dp: Vec<&str> = date.split('-').collect();
    if dp.len() > 3 {
        return Err(bad());
    }
    let y = num(dp[0], 1970, 2038)?;
    let m = dp.get(1).map_or(Ok(1), |p| num(p, 1, 12))?;
    let d = dp.get(2).map_or(Ok(1), |p| num(p, 1, 31))?;
    let tp: Vec<&str> = time.map_or(Vec::new(), |t| t.split(':').collect());
    if tp.len() > 3 || (dp.len() < 3 && time.is_some()) {
        return Err(bad());
    }
    let h = tp.first().map_or(Ok(0), |p| num(p, 0, 23))?;
    let mi = tp.get(1).map_or(Ok(0), |p| num(p, 0, 59))?;
    let se = tp.get(2).map_or(Ok(0), |p| num(p, 0, 59))?;
    let secs = days_from_civil(y, m, d) * DAY_SECS as i64 + h * 3600 + mi * 60 + se;
    u32::try_from(secs).ok().filter(|v| *v <= DATE_MAX).ok_or_else(bad)
}

/// Parses `hh:mm[:ss]` as seconds since midnight.
fn parse_daytime(s: &str) -> Result<u32, Error> {
    let bad = || {
        opts::param(format!("invalid time \"{s}\" specified, should be hh:mm[:ss] format and within the boundaries"))
    };
    let p: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&p.len()) {
        return Err(bad());
    }
    let num = |x: &str, hi: u32| x.parse::<u32>().ok().filter(|v| *v <= hi).ok_or_else(bad);
    Ok(num(p[0], 23)? * 3600 + num(p[1], 59)? * 60 + p.get(2).map_or(Ok(0), |x| num(x, 59))?)
}

fn parse_weekdays(s: &str) -> Result<u8, Error> {
    let mut bits = 0u8;
    for tok in s.split(',') {
        let day = match opts::parse_uint(tok, 7).filter(|v| *v >= 1) {
            Some(v) => v as usize,
            None => {
                let head: String = tok.chars().take(3).collect();
                let i = WEEKDAYS
                    .iter()
                    .position(|d| *d == head)
                    .ok_or_else(|| opts::param(format!("{head} is not a valid day specifier")))?;
                i + 1
            }
        };
        bits |= 1 << day;
    }
    Ok(bits)
}

fn parse_monthdays(s: &str) -> Result<u32, Error> {
    let mut bits = 0u32;
    for tok in s.split(',') {
        let d = opts::parse_uint(tok, 31)
            .filter(|v| *v >= 1)
            .ok_or_else(|| opts::param(format!("{tok} is not a valid day for --monthdays")))?;
        bits |= 1 << d;
    }
    Ok(bits)
}

fn hms(t: u32) -> String {
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

/// `YYYY-MM-DD` and `hh:mm:ss` of epoch seconds.
fn date_parts(secs: u32) -> (String, String) {
    let (y, m, d) = civil_from_days((secs / DAY_SECS) as i64);
    (format!("{y:04}-{m:02}-{d:02}"), hms(secs % DAY_SECS))
}

fn ordinal(d: u32) -> String {
    let suffix = match d % 10 {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    };
    format!("{d}{suffix}")
}

impl Time {
    fn weekday_names(&self) -> String {
        (1..=7).filter(|d| self.weekdays & (1 << d) != 0).map(|d| WEEKDAYS[d - 1]).collect::<Vec<_>>().join(",")
    }
    fn monthday_list(&self, f: fn(u32) -> String) -> String {
        (1..=31).filter(|d| self.monthdays & (1 << d) != 0).map(f).collect::<Vec<_>>().join(",")
    }
    fn has_window(&self) -> bool {
        self.daytime_start != 0 || self.daytime_stop != MAX_DAYTIME
    }
}

impl Match for Time {
    fn name(&self) -> &'static str {
        "time"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = args.first().copied().unwrap_or_default();
        match opt {
            "datestart" => self.date_start = parse_date(s)?,
            "datestop" => self.date_stop = parse_date(s)?,
            "timestart" => self.daytime_start = parse_daytime(s)?,
            "timestop" => self.daytime_stop = parse_daytime(s)?,
            "weekdays" => {
                let b = parse_weekdays(s)?;
                self.weekdays = if inv { !b & ALL_WEEKDAYS } else { b };
            }
            "monthdays" => {
                let b = parse_monthdays(s)?;
                self.monthdays = if inv { !b & ALL_MONTHDAYS } else { b };
            }
            // FIXME: iptables warns on stderr that --localtz is being replaced.
            "localtz" | "kerneltz" => self.kerneltz = true,
            "utc" => self.kerneltz = false,
            _ => self.contiguous = true,
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.contiguous && self.daytime_start < self.daytime_stop {
            return Err(opts::param("time: --contiguous only makes sense when stoptime is smaller than starttime"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        if self.has_window() {
            out.push_str(&format!(" --timestart {} --timestop {}", hms(self.daytime_start), hms(self.daytime_stop)));
        }
        if self.monthdays != ALL_MONTHDAYS {
            out.push_str(&format!(" --monthdays {}", self.monthday_list(|d| d.to_string())));
        }
        if self.weekdays != ALL_WEEKDAYS {
            out.push_str(&format!(" --weekdays {}", self.weekday_names()));
        }
        for (opt, v) in [("datestart", self.date_start), ("datestop", self.date_stop)] {
            // Only 0 is "unset" in iptables' printer (on 64-bit, LONG_MAX never is).
            if v != 0 {
                let (d, t) = date_parts(v);
                out.push_str(&format!(" --{opt} {d}T{t}"));
            }
        }
        if self.kerneltz {
            out.push_str(" --kerneltz");
        }
        if self.contiguous {
            out.push_str(" --contiguous");
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(" TIME");
        if self.has_window() {
            out.push_str(&format!(" from {} to {}", hms(self.daytime_start), hms(self.daytime_stop)));
        }
        if self.weekdays != ALL_WEEKDAYS {
            out.push_str(&format!(" on {}", self.weekday_names()));
        }
        if self.monthdays != ALL_MONTHDAYS {
            out.push_str(&format!(" on {}", self.monthday_list(ordinal)));
        }
        if self.date_start != 0 {
            let (d, t) = date_parts(self.date_start);
            out.push_str(&format!(" starting from {d} {t}"));
        }
        if self.date_stop != DATE_MAX {
            let (d, t) = date_parts(self.date_stop);
            out.push_str(&format!(" until date {d} {t}"));
        }
        if !self.kerneltz {
            out.push_str(" UTC");
        }
        if self.contiguous {
            out.push_str(" contiguous");
        }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let mut stamp = pkt.now().secs_nanos().0;
        if stamp < self.date_start as u64 || stamp > self.date_stop as u64 {
            return false;
        }
        let daytime = (stamp % DAY_SECS as u64) as u32;
        if self.daytime_start < self.daytime_stop {
            if daytime < self.daytime_start || daytime > self.daytime_stop {
                return false;
            }
        } else {
            if daytime < self.daytime_start && daytime > self.daytime_stop {
                return false;
            }
            // After midnight, the window belongs to the day it started on.
            if self.contiguous && daytime <= self.daytime_stop {
                stamp = stamp.saturating_sub(DAY_SECS as u64);
            }
        }
        let days = stamp / DAY_SECS as u64;
        // 1970-01-01 was a Thursday (4); Sunday is 7.
        let wd = match (4 + days) % 7 {
            0 => 7,
            w => w,
        };
        if self.weekdays & (1 << wd) == 0 {
            return false;
        }
        if self.monthdays != ALL_MONTHDAYS {
            let (_, _, md) = civil_from_days(days as i64);
            return self.monthdays & (1 << md) != 0;
        }
        true
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Instant;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    fn tm(args: &[(&str, bool, &str)]) -> Result<Time, Error> {
        let mut m = Time::default();
        for (o, i, a) in args {
            m.parse(o, *i, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    fn text(m: &Time) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        (s, l)
    }

    #[test]
    fn save_always_gains_datestop_and_folds_inversion() {
        let m = tm(&[("timestart", false, "09:00"), ("timestop", false, "17:00")]).unwrap();
        assert_eq!(text(&m).0, " --timestart 09:00:00 --timestop 17:00:00 --datestop 2038-01-19T03:14:07");
        assert_eq!(text(&m).1, " TIME from 09:00:00 to 17:00:00 UTC");
        let m = tm(&[("weekdays", true, "Mon")]).unwrap();
        assert_eq!(text(&m).0, " --weekdays Tue,Wed,Thu,Fri,Sat,Sun --datestop 2038-01-19T03:14:07");
        let m = tm(&[("monthdays", false, "1,15,31")]).unwrap();
        assert_eq!(text(&m).1, " TIME on 1st,15th,31st UTC");
        let m = tm(&[("datestart", false, "2024-01-01T00:00:00"), ("datestop", false, "2025-12-31")]).unwrap();
        assert_eq!(text(&m).0, " --datestart 2024-01-01T00:00:00 --datestop 2025-12-31T00:00:00");
        assert_eq!(text(&m).1, " TIME starting from 2024-01-01 00:00:00 until date 2025-12-31 00:00:00 UTC");
        assert_eq!(parse_date("2024-02-30"), parse_date("2024-03-01"));
    }

    #[test]
    fn errors() {
        let e = |a: &[(&str, bool, &str)]| tm(a).unwrap_err();
        let msg = "invalid time \"25:00\" specified, should be hh:mm[:ss] format and within the boundaries";
        assert_eq!(e(&[("timestart", false, "25:00")]), opts::param(msg));
        assert_eq!(e(&[("monthdays", false, "32")]), opts::param("32 is not a valid day for --monthdays"));
        assert_eq!(e(&[("weekdays", false, "Funday")]), opts::param("Fun is not a valid day specifier"));
        assert!(tm(&[("datestart", false, "2024-13-01")]).is_err());
        let m = "time: --contiguous only makes sense when stoptime is smaller than starttime";
        assert_eq!(e(&[("timestop", false, "10:00"), ("contiguous", false, "")]), opts::param(m));
    }

    #[test]
    fn windows_wrap_midnight_and_contiguous_keeps_the_start_day() {
        // 2024-01-01 was a Monday.
        let monday = parse_date("2024-01-01").unwrap() as u64;
        let at = |secs: u64| {
            let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
            p.now = Instant::from_nanos(secs * 1_000_000_000);
            p
        };
        let mut night =
            tm(&[("timestart", false, "22:00"), ("timestop", false, "06:00"), ("weekdays", false, "Mon")]).unwrap();
        assert!(night.matches(&mut at(monday + 23 * 3600), &mut false));
        assert!(!night.matches(&mut at(monday + 86_400 + 3600), &mut false), "Tuesday 01:00");
        night.contiguous = true;
        assert!(night.matches(&mut at(monday + 86_400 + 3600), &mut false), "belongs to Monday");
        assert!(!night.matches(&mut at(monday + 12 * 3600), &mut false));
    }
}
