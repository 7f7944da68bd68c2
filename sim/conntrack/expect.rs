//! Expectations (`nf_conntrack_expect`): connections a helper announced and
//! conntrack will recognise as RELATED to their master.
//!
//! An expectation is a tuple and a mask (only the source address and source
//! port may be wildcards; destination and protocol are always exact), its
//! master entry, class, helper, expiry in jiffies, and what NAT must do to
//! the connection when it comes (follow the master). The table indexes them
//! by the exact part (zone, protocol, destination address and port), so a
//! new connection's lookup is one map probe; expiry is a heap of due times
//! (stale heap entries are skipped), so nothing is ever scanned by time.
//!
//! Creation (`nf_ct_expect_related`), in the kernel's order: an identical
//! expectation of the same master and class is replaced (a retransmitted
//! PORT); one of another master or class, or any overlapping one, refuses
//! the new one; over the helper's `max_expected` for the master, the
//! master's oldest expectation of the class is evicted (silently in 6.x;
//! `linux-2.4` printed `... reusing`); over `nf_conntrack_expect_max`, the
//! rate-limited `nf_conntrack: expectation table full` and a refusal.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Write as _;

use super::conn::{CtDir, HZ};
use super::helper::Helper;
use super::tuple::Tuple;

/// NAT's instructions for the expected connection (`exp->dir`,
/// `exp->saved_proto`, `nf_nat_follow_master`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowMaster {
    /// The master's direction the expected connection travels in.
    pub dir: CtDir,
    /// The port the connection must reach in the end (before NAT chose
    /// another for the expectation).
    pub saved_port: u16,
}

/// One expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The expected ORIGINAL tuple; wildcard parts hold 0.
    pub tuple: Tuple,
    /// Source address mask: all ones or zero.
    pub mask_src: u32,
    /// Source port mask: all ones or zero.
    pub mask_sport: u16,
    /// Zone of the master.
    pub zone: u16,
    /// The master's slot and generation.
    pub master: (u32, u32),
    /// The master's helper.
    pub helper: Helper,
    /// Expectation class (0 for the modelled helpers).
    pub class: u8,
    /// Absolute jiffies of expiry.
    pub expires: u64,
    /// NAT for the expected connection, when the master is NATed.
    pub nat: Option<FollowMaster>,
}

impl Expectation {
    /// A TCP or UDP expectation from `src` (0: any) to `dst:dport`, any
    /// source port, as the modelled helpers ask.
    pub fn new(proto: u8, src: Option<u32>, dst: u32, dport: u16, helper: Helper) -> Expectation {
        Expectation {
            tuple: Tuple { src: src.unwrap_or(0), dst, sport: 0, dport, proto },
            mask_src: if src.is_some() { u32::MAX } else { 0 },
            mask_sport: 0,
            zone: 0,
            master: (0, 0),
            helper,
            class: 0,
            expires: 0,
            nat: None,
        }
    }

    /// `t` matches under the mask (`nf_ct_tuple_mask_cmp`).
    pub fn matches(&self, t: &Tuple, zone: u16) -> bool {
        zone == self.zone
            && t.proto == self.tuple.proto
            && t.dst == self.tuple.dst
            && t.dport == self.tuple.dport
            && (t.src ^ self.tuple.src) & self.mask_src == 0
            && (t.sport ^ self.tuple.sport) & self.mask_sport == 0
    }

    /// Same tuple and mask (`expect_matches`).
    fn same(&self, o: &Expectation) -> bool {
        self.tuple == o.tuple && self.mask_src == o.mask_src && self.mask_sport == o.mask_sport && self.zone == o.zone
    }

    /// The two overlap on what both masks fix (`expect_clash`).
    fn clashes(&self, o: &Expectation) -> bool {
        let (m_src, m_sport) = (self.mask_src & o.mask_src, self.mask_sport & o.mask_sport);
        self.zone == o.zone
            && self.tuple.proto == o.tuple.proto
            && self.tuple.dst == o.tuple.dst
            && self.tuple.dport == o.tuple.dport
            && (self.tuple.src ^ o.tuple.src) & m_src == 0
            && (self.tuple.sport ^ o.tuple.sport) & m_sport == 0
    }

    fn key(&self) -> Key {
        (self.zone, self.tuple.proto, self.tuple.dst, self.tuple.dport)
    }
}

/// The exact part of an expectation: zone, protocol, destination, port.
type Key = (u16, u8, u32, u16);

/// Why an expectation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectError {
    /// The same expectation exists for another class (EALREADY).
    Already,
    /// An overlapping expectation exists (EBUSY): NAT tries another port.
    Busy,
    /// The master is at its helper's limit even after eviction (EMFILE).
    TooMany,
    /// `nf_conntrack_expect_max` reached (EMFILE, with a warning).
    TableFull,
}

/// The expectations of one netns.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    slab: Vec<Option<(Expectation, u64)>>,
    free: Vec<u32>,
    by_key: BTreeMap<Key, Vec<u32>>,
    /// (due jiffies, id, creation number): an entry whose id now holds
    /// another creation number is stale.
    timers: BinaryHeap<Reverse<(u64, u32, u64)>>,
    count: u32,
    created: u64,
}

impl Expectations {
    /// Live expectations (`expect_count`).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The expectation `id`, if live.
    pub fn get(&self, id: u32) -> Option<&Expectation> {
        self.slab.get(id as usize)?.as_ref().map(|(e, _)| e)
    }

    /// Live expectations, oldest first: (id, expectation).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Expectation)> {
        let mut v: Vec<(u64, u32, &Expectation)> =
            self.slab.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|(e, n)| (*n, i as u32, e))).collect();
        v.sort_unstable_by_key(|(n, _, _)| *n);
        v.into_iter().map(|(_, i, e)| (i, e))
    }

    /// Ids of `master`'s expectations, oldest first.
    pub fn of_master(&self, master: (u32, u32)) -> Vec<u32> {
        self.iter().filter(|(_, e)| e.master == master).map(|(i, _)| i).collect()
    }

    /// Stores `e`; returns its id.
    pub fn insert(&mut self, e: Expectation) -> u32 {
        let due = e.expires;
        self.insert_due(e, due)
    }

    /// [`Expectations::insert`], the timer firing at jiffy `due` rather
    /// than at the expiry it shows (the kernel's timer wheel files it in
    /// the first slot after: [`crate::kernel::timer`]).
    pub fn insert_due(&mut self, e: Expectation, due: u64) -> u32 {
        self.created += 1;
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slab.push(None);
                (self.slab.len() - 1) as u32
            }
        };
        self.slab[id as usize] = Some((e, self.created));
        self.by_key.entry(e.key()).or_default().push(id);
        self.timers.push(Reverse((due, id, self.created)));
        self.count += 1;
        id
    }

    /// Removes `id`; returns it.
    pub fn remove(&mut self, id: u32) -> Option<Expectation> {
        let (e, _) = self.slab.get_mut(id as usize)?.take()?;
        if let Some(ids) = self.by_key.get_mut(&e.key()) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.by_key.remove(&e.key());
            }
        }
        self.free.push(id);
        self.count -= 1;
        Some(e)
    }

    /// The expectation a new connection with ORIGINAL tuple `t` in `zone`
    /// matches (`nf_ct_find_expectation`'s search), the oldest first.
    pub fn find(&self, t: &Tuple, zone: u16) -> Option<u32> {
        let ids = self.by_key.get(&(zone, t.proto, t.dst, t.dport))?;
        ids.iter().copied().find(|&id| self.get(id).is_some_and(|e| e.matches(t, zone)))
    }

    /// The insertion checks on the exact part shared with `e`: `Ok(Some(id))`
    /// names an identical expectation of the same master and class to
    /// replace.
    pub fn check(&self, e: &Expectation) -> Result<Option<u32>, ExpectError> {
        let Some(ids) = self.by_key.get(&e.key()) else { return Ok(None) };
        for &id in ids {
            let Some(o) = self.get(id) else { continue };
            if o.master == e.master && o.same(e) {
                return if o.class == e.class { Ok(Some(id)) } else { Err(ExpectError::Already) };
            }
            if o.clashes(e) {
                return Err(ExpectError::Busy);
            }
        }
        Ok(None)
    }

    /// Removes the expectations due at absolute jiffies `now`; returns them.
    pub fn expire(&mut self, now: u64) -> Vec<Expectation> {
        let mut gone = Vec::new();
        while let Some(&Reverse((due, id, n))) = self.timers.peek() {
            if due > now {
                break;
            }
            self.timers.pop();
            if self.slab.get(id as usize).and_then(|s| s.as_ref()).is_some_and(|(_, m)| *m == n) {
                gone.extend(self.remove(id));
            }
        }
        gone
    }

    /// When the next expectation is due, if any (stale heap entries may
    /// make this early; expiring then finds nothing).
    pub fn next_due(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((due, _, _))| *due)
    }
}

/// Whole seconds left, as `conntrack -L expect` prints them: none once the
/// expiry has passed, while the timer has yet to fire.
fn secs_left(e: &Expectation, now: u64) -> u64 {
    e.expires.saturating_sub(now) / u64::from(HZ)
}

/// Whole seconds left as /proc prints them: C's signed division, so a
/// passed expiry whose timer has not fired shows as negative.
fn secs_left_signed(e: &Expectation, now: u64) -> i64 {
    (e.expires as i64 - now as i64) / i64::from(HZ)
}

/// One `conntrack -L expect` line (conntrack-tools 1.4.7), with its newline.
pub fn conntrack_line(e: &Expectation, master: &Tuple, now: u64) -> String {
    let mut s = String::with_capacity(256);
    let t = &e.tuple;
    let mask_port = |m: u16| m;
    let _ = write!(
        s,
        "{} proto={} src={} dst={} sport={} dport={} mask-src={} mask-dst=255.255.255.255 sport={} dport=65535 \
         master-src={} master-dst={} sport={} dport={} class={} helper={}",
        secs_left(e, now),
        { t.proto },
        t.src_addr(),
        t.dst_addr(),
        { t.sport },
        { t.dport },
        std::net::Ipv4Addr::from(e.mask_src),
        mask_port(e.mask_sport),
        master.src_addr(),
        master.dst_addr(),
        { master.sport },
        { master.dport },
        e.class,
        e.helper.name(),
    );
    s.push('\n');
    s
}

/// One `/proc/net/nf_conntrack_expect` line, with its newline.
pub fn proc_line(e: &Expectation, now: u64) -> String {
    let t = &e.tuple;
    format!(
        "{} l3proto = 2 proto={} src={} dst={} sport={} dport={} {}\n",
        secs_left_signed(e, now),
        { t.proto },
        t.src_addr(),
        t.dst_addr(),
        { t.sport },
        { t.dport },
        e.helper.name()
    )
}

/// What `conntrack -L expect` prints on stderr after the lines.
pub fn expectations_shown(n: usize) -> String {
    format!("conntrack v1.4.7 (conntrack-tools): {n} expectations have been shown.\n")
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::Ipv4Addr;

    fn ftp(dport: u16, master: u32) -> Expectation {
        let src = u32::from(Ipv4Addr::new(192, 168, 1, 10));
        let dst = u32::from(Ipv4Addr::new(198, 51, 100, 7));
        Expectation { master: (master, 0), expires: 75_000, ..Expectation::new(6, Some(src), dst, dport, Helper::Ftp) }
    }

    #[test]
    fn a_new_connection_matches_under_the_mask_only() {
        let mut x = Expectations::default();
        let e = ftp(50001, 1);
        x.insert(e);
        let t = Tuple { sport: 40100, ..e.tuple };
        assert_eq!(x.find(&t, 0), Some(0), "any source port");
        assert_eq!(x.find(&Tuple { src: 1, ..t }, 0), None, "the source address is fixed");
        assert_eq!(x.find(&Tuple { dport: 50002, ..t }, 0), None);
        assert_eq!(x.find(&t, 3), None, "another zone");
        let any = Expectation::new(6, None, e.tuple.dst, 5000, Helper::Irc);
        assert!(any.matches(&Tuple { src: 77, sport: 1, dport: 5000, ..e.tuple }, 0));
    }

    #[test]
    fn proc_counts_down_past_zero_until_the_timer_fires() {
        let e = Expectation { expires: 1000, ..ftp(1, 1) };
        assert!(proc_line(&e, 750).starts_with("1 l3proto = 2 "));
        // Expired but not yet fired (the wheel files timers late): /proc's
        // signed division shows it, conntrack -L expect shows 0.
        assert!(proc_line(&e, 1600).starts_with("-2 l3proto = 2 "));
        assert_eq!(secs_left(&e, 1600), 0);
    }

    #[test]
    fn identical_renews_overlapping_refuses() {
        let mut x = Expectations::default();
        let id = x.insert(ftp(50001, 1));
        assert_eq!(x.check(&ftp(50001, 1)), Ok(Some(id)), "same master and class: replace");
        assert_eq!(x.check(&ftp(50001, 2)), Err(ExpectError::Busy), "another master");
        assert_eq!(x.check(&Expectation { class: 1, ..ftp(50001, 1) }), Err(ExpectError::Already));
        let wide = Expectation { mask_src: 0, tuple: Tuple { src: 0, ..ftp(50001, 2).tuple }, ..ftp(50001, 2) };
        assert_eq!(x.check(&wide), Err(ExpectError::Busy), "overlap on the common mask");
        assert_eq!(x.check(&ftp(50002, 2)), Ok(None));
    }

    #[test]
    fn expiry_pops_due_ones_and_skips_removed() {
        let mut x = Expectations::default();
        let a = x.insert(Expectation { expires: 10, ..ftp(1, 1) });
        x.insert(Expectation { expires: 20, ..ftp(2, 1) });
        x.remove(a);
        let b = x.insert(Expectation { expires: 30, ..ftp(3, 1) });
        assert_eq!(b, a, "the slot is reused");
        assert!(x.expire(15).is_empty(), "the removed one's timer is stale");
        assert_eq!(x.expire(20).len(), 1);
        assert_eq!((x.count(), x.next_due()), (1, Some(30)));
        assert_eq!({ x.expire(30)[0].tuple.dport }, 3);
        assert_eq!(x.count(), 0);
    }

    #[test]
    fn listings_are_byte_exact() {
        // Recorded on Linux 6.18 after `229 Entering Extended Passive Mode (|||50001|)`.
        let e = ftp(50001, 1);
        let master = Tuple::new(Ipv4Addr::new(192, 168, 1, 10), Ipv4Addr::new(198, 51, 100, 7), 6, 40021, 21);
        let now = 75_000 - 299 * u64::from(HZ) - 100;
        assert_eq!(
            conntrack_line(&e, &master, now),
            "299 proto=6 src=192.168.1.10 dst=198.51.100.7 sport=0 dport=50001 mask-src=255.255.255.255 \
             mask-dst=255.255.255.255 sport=0 dport=65535 master-src=192.168.1.10 master-dst=198.51.100.7 \
             sport=40021 dport=21 class=0 helper=ftp\n"
        );
        assert_eq!(
            proc_line(&e, now),
            "299 l3proto = 2 proto=6 src=192.168.1.10 dst=198.51.100.7 sport=0 dport=50001 ftp\n"
        );
        assert_eq!(expectations_shown(1), "conntrack v1.4.7 (conntrack-tools): 1 expectations have been shown.\n");
    }
}
