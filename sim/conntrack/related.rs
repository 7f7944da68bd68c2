//! What helpers ask of the table: attaching a helper, making, finding and
//! dropping expectations, the master link of an expected connection, and
//! recording sequence adjustment (`nf_conntrack_helper`,
//! `nf_conntrack_expect`, `nf_conntrack_seqadj`). Entries without a helper
//! never reach this code.

use super::conn::{CtDir, CtInfo, HZ, status};
use super::expect::{self, ExpectError, Expectation, FollowMaster};
use super::helper::{HelpExt, Helper};
use super::tuple::Tuple;
use super::{Conntrack, CtRef, jiffies};
use crate::engine::Instant;
use crate::kernel::{Profile, Sysctl, Sysctls};

/// What an entry created from an expectation brings from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The master.
    pub master: CtRef,
    /// The helper that made the expectation.
    pub helper: Helper,
    /// NAT to set up for the new entry, when the master is NATed.
    pub follow: Option<FollowMaster>,
}

/// The result of asking for an expectation, and the kernel line it may
/// print (through `net_ratelimit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectOutcome {
    /// The new expectation's id, or why there is none.
    pub result: Result<u32, ExpectError>,
    /// `nf_conntrack: expectation table full`, or the 2.4 reuse message.
    pub log: Option<String>,
}

impl Conntrack {
    /// Attaches `helper` to the entry `ct` (from a CT template, or by port
    /// under `linux-2.4`); an entry that has one keeps it.
    pub fn set_helper(&mut self, ct: CtRef, helper: Helper) {
        let c = self.get_mut(ct);
        if c.helper != 0 {
            return;
        }
        c.helper = helper as u8;
        self.table.help.insert(ct.slot, HelpExt::default());
    }

    /// The helper data of `ct`, if it has a helper.
    pub fn help_mut(&mut self, ct: CtRef) -> Option<&mut HelpExt> {
        if self.get(ct).helper == 0 {
            return None;
        }
        self.table.help.get_mut(&ct.slot)
    }

    /// The receiver-side sequence adjustment of `ct`, if it has any.
    pub fn seqadj(&self, ct: CtRef) -> Option<&HelpExt> {
        if !self.get(ct).has(status::SEQ_ADJUST) {
            return None;
        }
        self.table.help.get(&ct.slot)
    }

    /// Records that `dir`'s segment at `seq` changed length by `off`, and
    /// sets SEQ_ADJUST (`nf_ct_seqadj_set`). Only entries with a helper
    /// mangle payload.
    pub fn seqadj_record(&mut self, ct: CtRef, dir: CtDir, seq: u32, off: i32) {
        if off == 0 {
            return;
        }
        if let Some(h) = self.help_mut(ct) {
            h.seqadj[dir as usize].record(seq, off);
            self.get_mut(ct).status |= status::SEQ_ADJUST;
        }
    }

    /// Counts a packet dropped on the way to confirmation (`drop`).
    pub fn count_drop(&mut self) {
        self.stats.drop += 1;
    }

    /// The master of an entry created from an expectation, if it lives.
    pub fn master_of(&self, ct: CtRef) -> Option<CtRef> {
        let &(slot, generation) = self.table.masters.get(&ct.slot)?;
        self.at(slot, generation)
    }

    /// Asks for expectation `e` on behalf of `master` (`nf_ct_expect_related`).
    pub fn expect_related(&mut self, master: CtRef, mut e: Expectation, sysctls: &Sysctls) -> ExpectOutcome {
        self.expire_expectations();
        let c = self.get(master);
        let Some(helper) = c.helper() else {
            return ExpectOutcome { result: Err(ExpectError::TooMany), log: None };
        };
        (e.master, e.zone, e.helper) = ((master.slot, master.generation), c.zone, helper);
        let (orig_src, orig_dst) = (c.orig().src_addr(), c.orig().dst_addr());
        match self.table.expect.check(&e) {
            Err(x) => return ExpectOutcome { result: Err(x), log: None },
            Ok(Some(old)) => self.unexpect(old),
            Ok(None) => {}
        }
        let mut log = None;
        let max = helper.policy().max_expected;
        if max != 0 && self.expecting(master) >= max {
            let oldest = self
                .table
                .expect
                .of_master(e.master)
                .into_iter()
                .find(|&id| self.table.expect.get(id).is_some_and(|o| o.class == e.class));
            if let Some(id) = oldest {
                self.unexpect(id);
                if sysctls.profile() == Profile::Linux24 {
                    log = Some(format!(
                        "ip_conntrack: max number of expected connections {max} of {} reached for {orig_src}->{orig_dst}, reusing",
                        helper.name()
                    ));
                }
            }
            if self.expecting(master) >= max {
                return ExpectOutcome { result: Err(ExpectError::TooMany), log };
            }
        }
        if i64::from(self.table.expect.count()) >= sysctls.get(Sysctl::NfConntrackExpectMax) {
            let log = Some("nf_conntrack: expectation table full".to_string());
            return ExpectOutcome { result: Err(ExpectError::TableFull), log };
        }
        e.expires = self.table.now_abs + u64::from(helper.policy().timeout_secs) * u64::from(HZ);
        let due = crate::kernel::timer::fires_at_jiffy(self.table.now_abs, e.expires);
        let id = self.table.expect.insert_due(e, due);
        if let Some(h) = self.table.help.get_mut(&master.slot) {
            h.expecting += 1;
        }
        self.stats.expect_create += 1;
        ExpectOutcome { result: Ok(id), log }
    }

    /// Removes expectation `id` (`nf_ct_unexpect_related`, and what eviction,
    /// use and expiry do), uncounting it from its master.
    pub fn unexpect(&mut self, id: u32) {
        let Some(e) = self.table.expect.remove(id) else { return };
        self.uncount(&e);
    }

    fn uncount(&mut self, e: &Expectation) {
        if let Some(m) = self.at(e.master.0, e.master.1)
            && let Some(h) = self.table.help.get_mut(&m.slot)
        {
            h.expecting = h.expecting.saturating_sub(1);
        }
        self.stats.expect_delete += 1;
    }

    fn expecting(&self, master: CtRef) -> u32 {
        self.table.help.get(&master.slot).map_or(0, |h| h.expecting)
    }

    /// Drops the expectations whose time has come.
    pub(super) fn expire_expectations(&mut self) -> u32 {
        let gone = self.table.expect.expire(self.table.now_abs);
        for e in &gone {
            self.uncount(e);
        }
        gone.len() as u32
    }

    /// The expectation a new entry with ORIGINAL tuple `t` fulfils, removed
    /// from the table (`nf_ct_find_expectation`): its master must be
    /// confirmed and alive.
    pub(super) fn take_expectation(&mut self, t: &Tuple, zone: u16) -> Option<Expected> {
        self.expire_expectations();
        let id = self.table.expect.find(t, zone)?;
        let e = *self.table.expect.get(id)?;
        let master = self.at(e.master.0, e.master.1)?;
        let m = self.get(master);
        if !m.is_confirmed() || m.has(status::DYING) {
            return None;
        }
        self.unexpect(id);
        self.stats.expect_new += 1;
        Some(Expected { master: CtRef { info: CtInfo::Established, ..master }, helper: e.helper, follow: e.nat })
    }

    /// Expectations live now.
    pub fn expect_count(&self) -> u32 {
        self.table.expect.count()
    }

    /// The live expectations, oldest first.
    pub fn expectations(&self) -> impl Iterator<Item = &Expectation> {
        self.table.expect.iter().map(|(_, e)| e)
    }

    /// `conntrack -L expect` (stdout; stderr is [`expect::expectations_shown`]).
    pub fn list_expect(&mut self, now: Instant) -> String {
        self.expire(now);
        let now = jiffies(now);
        let mut out = String::new();
        for (_, e) in self.table.expect.iter() {
            let master = self.at(e.master.0, e.master.1).map(|m| *self.get(m).orig()).unwrap_or_default();
            out.push_str(&expect::conntrack_line(e, &master, now));
        }
        out
    }

    /// `/proc/net/nf_conntrack_expect`.
    pub fn proc_expect(&mut self, now: Instant) -> String {
        self.expire(now);
        let now = jiffies(now);
        self.table.expect.iter().map(|(_, e)| expect::proc_line(e, now)).collect()
    }

    /// How many live entries name `slot` as their master (each holds a
    /// reference, which `use=` counts).
    pub(super) fn children(&self, slot: u32, generation: u32) -> u32 {
        if self.table.masters.is_empty() {
            return 0;
        }
        self.table.masters.values().filter(|&&m| m == (slot, generation)).count() as u32
    }
}

#[cfg(test)]
mod test {
    use super::super::testutil::{secs, udp};
    use super::super::{CtConfig, status};
    use super::*;

    const C: [u8; 4] = [192, 168, 1, 10];
    const S: [u8; 4] = [198, 51, 100, 7];

    /// A confirmed TFTP-like master with `helper`, and the table.
    fn master(helper: Helper, s: &Sysctls) -> (Conntrack, CtRef) {
        let mut t = Conntrack::new(CtConfig { buckets: 64, max: 0, seed: 3, netns: None });
        let r = t.in_hook(&udp(C, S, 40069, 69), false, 0, secs(0), s).ct.unwrap();
        t.set_helper(r, helper);
        let r = t.confirm(r, secs(0)).unwrap();
        (t, r)
    }

    fn exp(dport: u16) -> Expectation {
        Expectation::new(17, Some(u32::from_be_bytes(S)), u32::from_be_bytes(C), dport, Helper::Tftp)
    }

    #[test]
    fn over_max_expected_the_oldest_is_evicted_silently_in_6x() {
        let s = Sysctls::default();
        let (mut t, r) = master(Helper::Tftp, &s);
        assert_eq!(t.expect_related(r, exp(1000), &s).log, None);
        let second = t.expect_related(r, exp(2000), &s);
        assert!(second.result.is_ok());
        assert_eq!(second.log, None, "6.x evicts without a word");
        let left: Vec<u16> = t.expectations().map(|e| e.tuple.dport).collect();
        assert_eq!(left, [2000], "the newest stays");
        assert_eq!(t.stats().expect_create, 2);
    }

    #[test]
    fn linux_2_4_says_it_is_reusing() {
        let mut s = Sysctls::default();
        s.set_profile(Profile::Linux24);
        let (mut t, r) = master(Helper::Tftp, &s);
        t.expect_related(r, exp(1000), &s);
        let out = t.expect_related(r, exp(2000), &s);
        assert_eq!(
            out.log.as_deref(),
            Some(
                "ip_conntrack: max number of expected connections 1 of tftp reached for 192.168.1.10->198.51.100.7, reusing"
            )
        );
    }

    #[test]
    fn a_retransmitted_request_renews_and_an_expectation_times_out() {
        let mut s = Sysctls::default();
        s.set(Sysctl::NfConntrackUdpTimeout, 1000).unwrap(); // the master outlives its expectation
        let (mut t, r) = master(Helper::Tftp, &s);
        t.expect_related(r, exp(1000), &s);
        t.expire(secs(100));
        t.expect_related(r, exp(1000), &s);
        assert_eq!(t.expect_count(), 1, "replaced, not added");
        assert!(t.list_expect(secs(100)).starts_with("300 proto=17 "), "renewed for 300 s");
        t.expire(secs(399));
        assert_eq!(t.expect_count(), 1);
        // 300 s is 75000 jiffies: the timer wheel's level of 4096-jiffy
        // units files it to fire at jiffy 102400 (409.6 s); until then
        // `conntrack -L expect` shows 0 s left.
        t.expire(secs(400));
        assert_eq!(t.expect_count(), 1, "not yet fired");
        assert!(t.list_expect(secs(405)).starts_with("0 proto=17 "));
        t.expire(secs(409));
        assert_eq!(t.expect_count(), 1);
        t.expire(Instant::from_nanos(409_600_000_000));
        assert_eq!(t.expect_count(), 0, "expired in virtual time");
        assert_eq!(t.list_expect(secs(410)), "");
        assert_eq!(t.next_expiry().map(|i| i > secs(410)), Some(true), "only the master's timer is left");
    }

    #[test]
    fn the_first_packet_of_the_expected_connection_is_related_and_uses_it_up() {
        let s = Sysctls::default();
        let (mut t, r) = master(Helper::Tftp, &s);
        t.expect_related(r, exp(40069), &s);
        let v = t.in_hook(&udp(S, C, 50069, 40069), false, 0, secs(1), &s);
        let child = v.ct.unwrap();
        assert_eq!(v.info, CtInfo::Related);
        assert_eq!(v.expected.map(|x| (x.master.slot(), x.helper)), Some((r.slot(), Helper::Tftp)));
        assert!(t.get(child).has(status::EXPECTED));
        assert_eq!(t.expect_count(), 0, "used up");
        t.confirm(child, secs(1)).unwrap();
        assert_eq!(t.master_of(child).map(|m| m.slot()), Some(r.slot()));
        assert!(t.list(secs(1)).contains("helper=tftp use=2"), "the child holds a reference");
        assert_eq!(t.facts(child, secs(1)).master_helper, Some("tftp"));
        // The master's death takes nothing else with it, but its expectations.
        t.expect_related(r, exp(7), &s);
        assert!(t.kill(r));
        assert_eq!(t.expect_count(), 0);
        assert_eq!(t.master_of(child), None);
    }

    #[test]
    fn the_table_limit_refuses_with_the_kernels_warning() {
        let mut s = Sysctls::default();
        s.set(Sysctl::NfConntrackExpectMax, 1).unwrap();
        let (mut t, r) = master(Helper::Irc, &s);
        assert!(t.expect_related(r, exp(1), &s).result.is_ok());
        let full = t.expect_related(r, exp(2), &s);
        assert_eq!(full.result, Err(ExpectError::TableFull));
        assert_eq!(full.log.as_deref(), Some("nf_conntrack: expectation table full"));
    }
}
