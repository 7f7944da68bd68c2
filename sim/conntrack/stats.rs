//! The per-netns conntrack counters (`struct ip_conntrack_stat`) and their
//! two printed forms, `conntrack -S` and `/proc/net/stat/nf_conntrack`.
//!
//! Which code paths count what (Linux 6.x, verified on 6.18):
//! - `invalid`: no tuple (bad L3), an uninvertible tuple, or a tracker refusal;
//! - `error`: ICMP refused before lookup (short, bad checksum, type > 18) or
//!   an ICMP error that relates to no entry (no `invalid` then);
//! - `drop`: table full, a tracker's DROP, or a failed confirmation;
//! - `early_drop`: entries evicted to make room;
//! - `insert_failed`, `chaintoolong`, `clash_resolve`: confirmation outcomes;
//! - `insert` and `found` are only counted by ctnetlink inserts and NAT's
//!   `nf_conntrack_tuple_taken`: ordinary traffic leaves them 0 (observed).
//!
//! The simulator models one CPU, so it prints one `cpu=0` row.

use std::fmt::Write;

/// Conntrack statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// NAT found a tuple taken.
    pub found: u32,
    /// Packets left without an entry.
    pub invalid: u32,
    /// Entries inserted by ctnetlink.
    pub insert: u32,
    /// Confirmations that failed.
    pub insert_failed: u32,
    /// Packets conntrack dropped.
    pub drop: u32,
    /// Entries evicted by early drop.
    pub early_drop: u32,
    /// ICMP errors refused or unrelated.
    pub error: u32,
    /// Lookups restarted (concurrent resize; never in the simulator).
    pub search_restart: u32,
    /// Confirmation clashes resolved without a drop.
    pub clash_resolve: u32,
    /// Confirmations refused for a too long chain.
    pub chaintoolong: u32,
    /// Entries created from an expectation.
    pub expect_new: u32,
    /// Expectations created.
    pub expect_create: u32,
    /// Expectations deleted.
    pub expect_delete: u32,
}

impl Stats {
    /// `conntrack -S`: one line per CPU, `cpu=%-4u\t` then `name=value ` pairs.
    pub fn conntrack_s(&self) -> String {
        let fields = [
            ("found", self.found),
            ("invalid", self.invalid),
            ("insert", self.insert),
            ("insert_failed", self.insert_failed),
            ("drop", self.drop),
            ("early_drop", self.early_drop),
            ("error", self.error),
            ("search_restart", self.search_restart),
            ("clash_resolve", self.clash_resolve),
            ("chaintoolong", self.chaintoolong),
        ];
        let mut s = format!("cpu={:<4}\t", 0);
        for (name, v) in fields {
            let _ = write!(s, "{name}={v} ");
        }
        s.push('\n');
        s
    }

    /// `/proc/net/stat/nf_conntrack`: a header, then one row of `%08x` per
    /// CPU, `entries` (the netns count) first. Unused columns (`new`,
    /// `ignore`, `delete`) print 0, as in 6.x.
    pub fn proc_stat(&self, entries: u32) -> String {
        let mut s = String::from(
            "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop \
             icmp_error  expect_new expect_create expect_delete search_restart\n",
        );
        let _ = writeln!(
            s,
            "{:08x}  {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x}  \
             {:08x} {:08x} {:08x} {:08x}",
            entries,
            self.clash_resolve,
            self.found,
            0,
            self.invalid,
            0,
            0,
            self.chaintoolong,
            self.insert,
            self.insert_failed,
            self.drop,
            self.early_drop,
            self.error,
            self.expect_new,
            self.expect_create,
            self.expect_delete,
            self.search_restart,
        );
        s
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Captured from `conntrack -S` (conntrack-tools 1.4.7, Linux 6.18), cpu 1 row relabelled 0.
    const LIVE_S: &str = "cpu=0   \tfound=0 invalid=1 insert=0 insert_failed=0 drop=4 early_drop=0 error=0 \
                          search_restart=0 clash_resolve=0 chaintoolong=0 \n";

    /// Captured from `/proc/net/stat/nf_conntrack` on Linux 6.18 (second CPU's row).
    const LIVE_PROC: &str = "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop \
                             early_drop icmp_error  expect_new expect_create expect_delete search_restart\n\
                             00000003  00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 \
                             00000000 00000004 00000000 00000000  00000000 00000000 00000000 00000000\n";

    #[test]
    fn conntrack_s_is_byte_exact() {
        let s = Stats { invalid: 1, drop: 4, ..Stats::default() };
        assert_eq!(s.conntrack_s(), LIVE_S);
    }

    #[test]
    fn proc_stat_is_byte_exact() {
        let s = Stats { invalid: 1, drop: 4, ..Stats::default() };
        assert_eq!(s.proc_stat(3), LIVE_PROC);
    }
}
