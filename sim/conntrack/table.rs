//! The table: a slab of entries, the bucket index and the expiry wheel.
//!
//! Layout (the kernel's `nf_conntrack_hash` with `u32` links instead of
//! pointers):
//! - `slab` holds every entry, confirmed or not, in chunks (no doubling
//!   slack); freed slots form a free list through `next[0]` and are reused
//!   most-recent first;
//! - `heads: Vec<Node>` is one chain head per bucket. Each confirmed entry is
//!   linked twice, by its ORIGINAL and by its REPLY tuple, each node at the
//!   head of its bucket (`hlist_nulls_add_head_rcu`). A node is
//!   `slot << 1 | dir`; `NIL` ends a chain;
//! - unconfirmed entries sit in the slab only: counted, never findable;
//! - `tcp` holds the window data of TCP entries only, each
//!   entry's `proto` word indexing its element; freed elements are reused
//!   through `tcp_free`, so a UDP entry costs nothing here.
//!
//! Invariants: a node is in exactly the chain of `scale(hash(tuple[dir],
//! zone))`; `count` is the number of live slots; every confirmed entry is in
//! exactly one list of the expiry wheel, due no later than its expiry.
//!
//! Expiry order: the entries one [`Table::expire`] call finds expired are
//! deleted in order of expiry, ties by slot (the order the heap this wheel
//! replaced popped them in, whenever its checks ran on time).

use rustc_hash::FxHashMap;

use super::conn::{Conn, CtDir, HZ, NIL, Node, status};
use super::expect::Expectations;
use super::helper::HelpExt;
use super::proto::tcp::TcpConn;
use super::slab::{Chunked, prefetch};
use super::timer::{Entries, Wheel};
use super::tuple::{HashKey, Tuple, proto_num, scale};

/// Packets and bytes per direction (`nf_conn_acct`), kept only for entries
/// created while `nf_conntrack_acct` was on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Acct {
    /// Packets, ORIGINAL then REPLY.
    pub packets: [u64; 2],
    /// Bytes (IPv4 total length), ORIGINAL then REPLY.
    pub bytes: [u64; 2],
}

/// Slab, buckets and timers.
#[derive(Clone, Debug)]
pub struct Table {
    pub(crate) slab: Chunked<Conn>,
    free: Node,
    pub(crate) heads: Vec<Node>,
    key: HashKey,
    count: u32,
    pub(crate) timers: Wheel,
    pub(crate) acct: FxHashMap<u32, Acct>,
    /// TCP entries' window data, indexed by their `proto` word.
    pub(crate) tcp: Chunked<TcpConn>,
    /// Free elements of `tcp`.
    tcp_free: Vec<u32>,
    /// Helper data of entries that have a helper (`helper != 0`).
    pub(crate) help: FxHashMap<u32, HelpExt>,
    /// The master (slot, generation) of each entry created from an
    /// expectation (status EXPECTED).
    pub(crate) masters: FxHashMap<u32, (u32, u32)>,
    /// The expectations.
    pub(crate) expect: Expectations,
    /// Absolute jiffies of the latest clock reading (for `u32` → `u64`).
    pub(crate) now_abs: u64,
    /// The event sink, when `conntrack -E` asked for one (see `event`).
    pub(crate) events: Option<Box<super::event::Events>>,
}

#[inline]
fn node(slot: u32, dir: CtDir) -> Node {
    slot << 1 | dir as u32
}

#[inline]
fn node_parts(n: Node) -> (u32, CtDir) {
    (n >> 1, if n & 1 == 0 { CtDir::Original } else { CtDir::Reply })
}

impl Table {
    /// An empty table of `buckets` buckets (at least 1).
    pub fn new(buckets: u32, key: HashKey) -> Table {
        Table {
            slab: Chunked::default(),
            free: NIL,
            heads: vec![NIL; buckets.max(1) as usize],
            key,
            count: 0,
            timers: Wheel::default(),
            acct: FxHashMap::default(),
            tcp: Chunked::default(),
            tcp_free: Vec::new(),
            help: FxHashMap::default(),
            masters: FxHashMap::default(),
            expect: Expectations::default(),
            now_abs: 0,
            events: None,
        }
    }

    /// Live entries, confirmed or not (`nf_conntrack_count`).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Number of buckets.
    pub fn buckets(&self) -> u32 {
        self.heads.len() as u32
    }

    /// The full hash of `t` in `zone`.
    pub fn hash(&self, t: &Tuple, zone: u16) -> u32 {
        t.hash(&self.key, zone)
    }

    /// The bucket of `t` in `zone`.
    pub fn bucket(&self, t: &Tuple, zone: u16) -> u32 {
        scale(self.hash(t, zone), self.buckets())
    }

    /// The entry in `slot`.
    pub fn conn(&self, slot: u32) -> &Conn {
        &self.slab[slot as usize]
    }

    /// The entry in `slot`, mutably.
    pub fn conn_mut(&mut self, slot: u32) -> &mut Conn {
        &mut self.slab[slot as usize]
    }

    /// Jiffies now, as the `u32` entries store (wrapping like the kernel's).
    pub fn now32(&self) -> u32 {
        self.now_abs as u32
    }

    /// Stores `conn` in a free slot and counts it; returns the slot. A TCP
    /// entry also gets window data, indexed by its `proto` word, which the
    /// tracker sets up from the entry's first segment before anything reads
    /// it (`tcp_new`).
    pub fn alloc(&mut self, mut conn: Conn) -> u32 {
        self.count += 1;
        if conn.proto_num() == proto_num::TCP {
            conn.proto = self.alloc_tcp();
        }
        if self.free != NIL {
            let slot = self.free;
            self.free = self.slab[slot as usize].next[0];
            // Even while free: odd again, and unlike any before.
            conn.generation = self.slab[slot as usize].generation.wrapping_add(1);
            self.slab[slot as usize] = conn;
            return slot;
        }
        let slot = u32::try_from(self.slab.len()).expect("fewer than 2^31 entries");
        assert!(slot < NIL >> 1, "slab full");
        conn.generation = 1;
        self.slab.push(conn);
        slot
    }

    /// Frees `slot` (which must not be linked) and uncounts it.
    pub fn free(&mut self, slot: u32) {
        let c = &mut self.slab[slot as usize];
        assert!(c.live(), "double free of conntrack slot {slot}");
        debug_assert_eq!(c.timer[0], NIL, "freed while in an expiry list");
        if c.acct() {
            self.acct.remove(&slot);
        }
        if c.proto_num() == proto_num::TCP {
            self.tcp_free.push(c.proto);
        }
        let (helper, expected, generation) = (c.helper, c.status & status::EXPECTED != 0, c.generation);
        c.helper = 0;
        if helper != 0 {
            // A master's expectations die with it (`nf_ct_remove_expectations`).
            self.help.remove(&slot);
            for id in self.expect.of_master((slot, generation)) {
                self.expect.remove(id);
            }
        }
        if expected {
            self.masters.remove(&slot);
        }
        let c = &mut self.slab[slot as usize];
        c.set_dead();
        c.status = 0;
        c.generation = c.generation.wrapping_add(1);
        c.next = [self.free, NIL];
        self.free = slot;
        self.count -= 1;
    }

    /// An element of `tcp`, reusing a freed one first. A reused one keeps
    /// its old contents: the tracker's `tcp_new` overwrites them all on the
    /// entry's first segment, the only segment an unconfirmed entry sees
    /// (and a refused one frees the entry), so zeroing it here would only
    /// load a cold line early.
    fn alloc_tcp(&mut self) -> u32 {
        if let Some(i) = self.tcp_free.pop() {
            return i;
        }
        self.tcp.push(TcpConn::default());
        (self.tcp.len() - 1) as u32
    }

    /// A TCP entry and its window data, both mutable.
    pub fn tcp_parts(&mut self, slot: u32) -> (&mut Conn, &mut TcpConn) {
        let c = &mut self.slab[slot as usize];
        debug_assert_eq!(c.proto_num(), proto_num::TCP);
        let i = c.proto as usize;
        (c, &mut self.tcp[i])
    }

    /// The bucket of the `dir` tuple of the entry in `slot`: the one its
    /// unconfirmed entry remembers, else hashed now.
    #[inline]
    pub fn bucket_of(&self, slot: u32, dir: CtDir) -> u32 {
        let c = &self.slab[slot as usize];
        c.known_bucket(dir).unwrap_or_else(|| self.bucket(c.tuple(dir), c.zone))
    }

    /// Starts loading bucket `b`'s head and its first entry: a chain NAT
    /// and confirmation will walk soon, once the packet has been routed
    /// and filtered.
    pub fn prefetch_chain(&self, b: u32) {
        let head = self.heads[b as usize];
        if head != NIL {
            prefetch(&self.slab[(head >> 1) as usize]);
        }
    }

    /// Links a confirmed entry into both chains (heads first) and schedules
    /// its expiry at its absolute `timeout`.
    pub fn link(&mut self, slot: u32) {
        let c = &self.slab[slot as usize];
        let buckets = [self.bucket(c.orig(), c.zone), self.bucket(c.reply(), c.zone)];
        self.link_at(slot, buckets);
    }

    /// [`Table::link`] with the buckets of the entry's ORIGINAL and REPLY
    /// tuples already known.
    pub fn link_at(&mut self, slot: u32, buckets: [u32; 2]) {
        debug_assert_eq!(buckets[0], self.bucket(self.slab[slot as usize].orig(), self.slab[slot as usize].zone));
        debug_assert_eq!(buckets[1], self.bucket(self.slab[slot as usize].reply(), self.slab[slot as usize].zone));
        for (dir, b) in [CtDir::Original, CtDir::Reply].into_iter().zip(buckets) {
            let b = b as usize;
            self.slab[slot as usize].next[dir as usize] = self.heads[b];
            self.heads[b] = node(slot, dir);
        }
        self.schedule(slot);
    }

    /// Links the entry into the wheel's list of its current expiry.
    fn schedule(&mut self, slot: u32) {
        let mut e = SlabTimes { slab: &mut self.slab, now_abs: self.now_abs };
        let at = e.due(slot);
        self.timers.insert(&mut e, slot, at);
    }

    /// Unlinks both nodes of `slot` from their chains; `known`: one node's
    /// direction and bucket, when the caller found it there (the other is
    /// hashed).
    fn unlink(&mut self, slot: u32, known: Option<(CtDir, u32)>) {
        let c = &self.slab[slot as usize];
        let in_bucket = |dir: CtDir| match known {
            Some((d, b)) if d == dir => b,
            _ => self.bucket(c.tuple(dir), c.zone),
        };
        let buckets = [in_bucket(CtDir::Original), in_bucket(CtDir::Reply)];
        // Both heads are cold in a big table: start both loads at once.
        for b in buckets {
            prefetch(&self.heads[b as usize]);
        }
        for (dir, b) in [CtDir::Original, CtDir::Reply].into_iter().zip(buckets) {
            let c = &self.slab[slot as usize];
            let b = b as usize;
            let target = node(slot, dir);
            let after = c.next[dir as usize];
            if self.heads[b] == target {
                self.heads[b] = after;
                continue;
            }
            let mut n = self.heads[b];
            while n != NIL {
                let (s, d) = node_parts(n);
                let next = self.slab[s as usize].next[d as usize];
                if next == target {
                    self.slab[s as usize].next[d as usize] = after;
                    break;
                }
                n = next;
            }
        }
    }

    /// Removes a confirmed entry from the table and frees it (`nf_ct_delete`).
    pub fn delete(&mut self, slot: u32) {
        self.delete_found(slot, None);
    }

    /// [`Table::delete`], with one node's direction and bucket when the
    /// caller met it in that bucket's chain.
    fn delete_found(&mut self, slot: u32, known: Option<(CtDir, u32)>) {
        if self.events.is_some() {
            self.note_destroy(slot);
        }
        // The entries before and after it in its expiry list are written
        // when it leaves: start their loads before the chain walks.
        for n in self.slab[slot as usize].timer {
            // A list head's mark and NIL have the top bit set; a slot never does.
            if n & 1 << 31 == 0 {
                prefetch(&self.slab[n as usize]);
            }
        }
        self.slab[slot as usize].status |= status::DYING;
        self.unlink(slot, known);
        self.timers.remove(&mut SlabTimes { slab: &mut self.slab, now_abs: self.now_abs }, slot);
        self.free(slot);
    }

    /// The nodes of bucket `b`, head first.
    pub fn chain(&self, b: u32) -> ChainIter<'_> {
        ChainIter { table: self, n: self.heads[b as usize] }
    }

    /// Walks bucket `b`'s chain for an entry holding `t` in `zone` by
    /// either tuple (what confirmation looks for): the nodes passed before
    /// it (all of them when none holds it) and its slot.
    #[inline]
    pub(crate) fn scan(&self, b: u32, t: &Tuple, zone: u16) -> (u32, Option<u32>) {
        let mut passed = 0;
        let mut n = self.heads[b as usize];
        while n != NIL {
            let (s, d) = node_parts(n);
            let c = &self.slab[s as usize];
            if c.tuple(d).same(t) && c.zone == zone {
                return (passed, Some(s));
            }
            passed += 1;
            n = c.next[d as usize];
        }
        (passed, None)
    }

    /// The first expired node linked in bucket `b`, if any.
    fn expired_in(&self, b: u32) -> Option<(u32, CtDir)> {
        let now = self.now32();
        self.chain(b).find(|&(s, _)| self.conn(s).is_expired(now))
    }

    /// Deletes every expired entry of bucket `b` (what a walk that meets
    /// them does: `nf_ct_gc_expired`). Returns how many.
    pub fn reap_bucket(&mut self, b: u32) -> u32 {
        let mut n = 0;
        while let Some((s, d)) = self.expired_in(b) {
            self.delete_found(s, Some((d, b)));
            n += 1;
        }
        n
    }

    /// Finds the confirmed entry with tuple `t` in `zone` (`____nf_conntrack_find`),
    /// reaping expired entries met on the way.
    pub fn find(&mut self, t: &Tuple, zone: u16) -> Option<(u32, CtDir)> {
        self.find_or_bucket(t, zone).ok()
    }

    /// [`Table::find`], or on a miss the tuple's bucket (where a new
    /// entry's early drop starts and its confirmation links it), whose
    /// chain then holds nothing expired.
    pub fn find_or_bucket(&mut self, t: &Tuple, zone: u16) -> Result<(u32, CtDir), u32> {
        let b = self.bucket(t, zone);
        loop {
            let now = self.now32();
            let mut reap = None;
            let mut n = self.heads[b as usize];
            while n != NIL {
                let (s, d) = node_parts(n);
                let c = &self.slab[s as usize];
                if c.is_expired(now) {
                    reap = Some((s, d));
                    break;
                }
                if c.tuple(d).same(t) && c.zone == zone {
                    return Ok((s, d));
                }
                n = c.next[d as usize];
            }
            // The walk restarts after a reap: the reaped entry's other node
            // may have been the next link.
            let (s, d) = reap.ok_or(b)?;
            self.delete_found(s, Some((d, b)));
        }
    }

    /// Early drop (`early_drop`): from bucket `b` (the new tuple's), scan 8 buckets;
    /// in each, reap expired entries and delete every confirmed entry that is
    /// neither ASSURED nor dying; stop at the first bucket that deleted any.
    /// Returns the number deleted (the `early_drop` counter's increment).
    pub fn early_drop(&mut self, b: u32) -> u32 {
        self.reap_bucket(b);
        self.early_drop_reaped(b)
    }

    /// [`Table::early_drop`] from a bucket that holds nothing expired now
    /// (one a lookup's miss has just walked).
    pub fn early_drop_reaped(&mut self, mut b: u32) -> u32 {
        const EVICTION_RANGE: u32 = 8;
        let n = self.buckets();
        for k in 0..EVICTION_RANGE {
            if k > 0 {
                self.reap_bucket(b);
            }
            // Each victim found is deleted (both its nodes unlinked) before
            // the chain is walked again: no list of victims to allocate.
            let mut drops = 0;
            while let Some((s, d)) = self.chain(b).find(|&(s, _)| {
                let c = self.conn(s);
                c.live() && c.is_confirmed() && c.status & (status::ASSURED | status::DYING) == 0
            }) {
                self.delete_found(s, Some((d, b)));
                drops += 1;
            }
            if drops > 0 {
                return drops;
            }
            b = (b + 1) % n;
        }
        0
    }

    /// 2.4's early drop of one chain (`early_drop` of ip_conntrack_core):
    /// the first entry met from the head (the newest) that is confirmed and
    /// not ASSURED goes; expired entries are left to their timers. True
    /// when one went.
    pub fn early_drop_one(&mut self, b: u32) -> bool {
        let victim = self.chain(b).map(|(s, _)| s).find(|&s| {
            let c = self.conn(s);
            c.live() && c.is_confirmed() && c.status & status::ASSURED == 0
        });
        victim.map(|s| self.delete(s)).is_some()
    }

    /// Runs the clock to absolute jiffies `now`: deletes the entries that
    /// have expired, in order of expiry then slot, and re-links those met
    /// whose expiry was moved later. Returns the number deleted.
    #[inline]
    pub fn expire(&mut self, now: u64) -> u32 {
        self.now_abs = self.now_abs.max(now);
        // Packets come many to a jiffy: most calls find this jiffy done.
        if self.timers.idle_through(self.now_abs) {
            return 0;
        }
        self.expire_due()
    }

    /// [`Table::expire`]'s work once the wheel has a jiffy to run.
    #[inline(never)]
    fn expire_due(&mut self) -> u32 {
        let now32 = self.now32();
        let mut dead: Vec<(u64, u32)> = Vec::new();
        let mut e = SlabTimes { slab: &mut self.slab, now_abs: self.now_abs };
        while let Some(mut n) = self.timers.take_due(&mut e, self.now_abs) {
            while n != NIL {
                let next = e.slab[n as usize].timer[1];
                e.slab[n as usize].timer[1] = NIL;
                debug_assert!(e.slab[n as usize].live(), "a freed entry in an expiry list");
                if e.slab[n as usize].is_expired(now32) {
                    dead.push((e.due(n), n));
                } else {
                    let at = e.due(n);
                    self.timers.insert(&mut e, n, at);
                }
                n = next;
            }
        }
        dead.sort_unstable();
        for &(_, slot) in &dead {
            self.delete(slot);
        }
        dead.len() as u32
    }

    /// Sets a confirmed entry's expiry to `now + jiffies`, moving it in the
    /// wheel only when the expiry moves earlier (later is met lazily).
    pub fn refresh(&mut self, slot: u32, jiffies: u32) {
        let now32 = self.now32();
        let c = &mut self.slab[slot as usize];
        let left = c.timeout.wrapping_sub(now32) as i32;
        c.timeout = now32.wrapping_add(jiffies);
        if !c.is_confirmed() {
            c.timeout = jiffies;
            return;
        }
        if i64::from(jiffies) < i64::from(left) {
            self.timers.remove(&mut SlabTimes { slab: &mut self.slab, now_abs: self.now_abs }, slot);
            self.schedule(slot);
        }
    }

    /// Re-hashes every confirmed entry into `buckets` buckets
    /// (writing `nf_conntrack_buckets`). Chains are rebuilt in slab order.
    pub fn resize(&mut self, buckets: u32) {
        self.heads = vec![NIL; buckets.max(1) as usize];
        for slot in 0..self.slab.len() as u32 {
            if self.slab[slot as usize].live() && !self.slab[slot as usize].is_confirmed() {
                // The buckets it remembers were of the old count.
                self.slab[slot as usize].next = [NIL; 2];
            }
            if self.slab[slot as usize].live() && self.slab[slot as usize].is_confirmed() {
                for dir in [CtDir::Original, CtDir::Reply] {
                    let c = &self.slab[slot as usize];
                    let b = self.bucket(c.tuple(dir), c.zone) as usize;
                    self.slab[slot as usize].next[dir as usize] = self.heads[b];
                    self.heads[b] = node(slot, dir);
                }
            }
        }
    }

    /// Bytes held by slab, index, timers and accounting (capacities).
    pub fn bytes(&self) -> usize {
        self.slab.bytes()
            + self.heads.capacity() * std::mem::size_of::<Node>()
            + self.timers.bytes()
            + self.acct.capacity() * (std::mem::size_of::<(u32, Acct)>() + 1)
            + self.tcp.bytes()
            + self.tcp_free.capacity() * std::mem::size_of::<u32>()
            + self.help.capacity() * (std::mem::size_of::<(u32, HelpExt)>() + 1)
            + self.masters.capacity() * (std::mem::size_of::<(u32, (u32, u32))>() + 1)
    }

    /// Converts seconds (a sysctl) to jiffies, clamping negatives to zero.
    pub fn secs_to_jiffies(secs: i64) -> u32 {
        (secs.max(0) as u64 * u64::from(HZ)).min(u64::from(i32::MAX as u32)) as u32
    }
}

/// The slab seen by the wheel: links and absolute expiries.
struct SlabTimes<'a> {
    slab: &'a mut Chunked<Conn>,
    now_abs: u64,
}

impl Entries for SlabTimes<'_> {
    #[inline]
    fn links(&mut self, slot: u32) -> &mut [u32; 2] {
        &mut self.slab[slot as usize].timer
    }

    /// The `u32` expiry made absolute: entries expire within `i32::MAX`
    /// jiffies of now, either way.
    #[inline]
    fn due(&self, slot: u32) -> u64 {
        let left = self.slab[slot as usize].timeout.wrapping_sub(self.now_abs as u32) as i32;
        self.now_abs.saturating_add_signed(i64::from(left))
    }
}

/// The nodes of one chain, as `(slot, dir)`.
pub struct ChainIter<'a> {
    table: &'a Table,
    n: Node,
}

impl Iterator for ChainIter<'_> {
    type Item = (u32, CtDir);
    fn next(&mut self) -> Option<(u32, CtDir)> {
        if self.n == NIL {
            return None;
        }
        let (s, d) = node_parts(self.n);
        self.n = self.table.slab[s as usize].next[d as usize];
        Some((s, d))
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::Ipv4Addr;

    const N: u32 = 64;

    fn udp(sport: u16) -> Tuple {
        Tuple::new(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), 17, sport, 53)
    }

    /// Inserts a confirmed UDP entry expiring `secs` from jiffy 0.
    fn insert(t: &mut Table, sport: u16, st: u16, secs: u32) -> u32 {
        let o = udp(sport);
        let mut c = Conn::new(o, o.invert().unwrap(), 0, 0);
        c.status = st | status::CONFIRMED;
        c.timeout = secs * HZ;
        let slot = t.alloc(c);
        t.link(slot);
        slot
    }

    /// A source port whose ORIGINAL node lands in `bucket` and whose REPLY
    /// node lands outside `avoid` (so the scan meets it only where intended).
    fn port_for(t: &Table, bucket: u32, avoid: std::ops::Range<u32>, used: &[u16]) -> u16 {
        (1..u16::MAX)
            .find(|&p| {
                let o = udp(p);
                !used.contains(&p) && t.bucket(&o, 0) == bucket && !avoid.contains(&t.bucket(&o.invert().unwrap(), 0))
            })
            .expect("a port hashing there")
    }

    #[test]
    fn early_drop_deletes_exactly_the_unassured_of_the_first_bucket_that_has_any() {
        let mut t = Table::new(N, HashKey::from_seed(3));
        let new = udp(40000);
        let start = t.bucket(&new, 0);
        let b = |k: u32| (start + k) % N;
        let window = start..start + 12; // wrapping ignored: the seed puts `start` low enough
        assert!(start + 12 < N, "seed choice keeps the window unwrapped");
        let mut used = vec![40000];
        let mut put = |t: &mut Table, bucket, st| {
            let p = port_for(t, bucket, window.clone(), &used);
            used.push(p);
            insert(t, p, st, 100)
        };
        let assured = put(&mut t, b(0), status::ASSURED);
        let victim1 = put(&mut t, b(2), 0);
        let victim2 = put(&mut t, b(2), 0);
        let later = put(&mut t, b(5), 0);
        let outside = put(&mut t, b(9), 0);
        assert_eq!(t.early_drop(t.bucket(&new, 0)), 2);
        assert!(t.conn(assured).live() && t.conn(later).live() && t.conn(outside).live());
        assert!(!t.conn(victim1).live() && !t.conn(victim2).live());
        assert_eq!(t.count(), 3);
        // Only the 8 buckets from the new tuple's are scanned: b(9) is out of reach.
        t.delete(later);
        assert_eq!(t.early_drop(t.bucket(&new, 0)), 0);
        assert!(t.conn(outside).live());
    }

    #[test]
    fn early_drop_reaps_expired_entries_without_counting_them() {
        let mut t = Table::new(1, HashKey::from_seed(3));
        insert(&mut t, 1, status::ASSURED, 1);
        insert(&mut t, 2, status::ASSURED, 100);
        t.now_abs = u64::from(5 * HZ);
        assert_eq!(t.early_drop(0), 0);
        assert_eq!(t.count(), 1);
    }

    #[test]
    fn both_nodes_are_found_and_unlinked() {
        let mut t = Table::new(8, HashKey::from_seed(9));
        let a = insert(&mut t, 1, 0, 100);
        let b = insert(&mut t, 2, 0, 100);
        assert_eq!(t.find(&udp(1), 0), Some((a, CtDir::Original)));
        assert_eq!(t.find(&udp(2).invert().unwrap(), 0), Some((b, CtDir::Reply)));
        t.delete(a);
        assert_eq!(t.find(&udp(1), 0), None);
        assert_eq!(t.find(&udp(1).invert().unwrap(), 0), None);
        assert_eq!(t.find(&udp(2), 0), Some((b, CtDir::Original)));
        let linked: usize = (0..8).map(|k| t.chain(k).count()).sum();
        assert_eq!(linked, 2);
    }

    #[test]
    fn freed_slots_are_reused_with_a_new_generation() {
        let mut t = Table::new(8, HashKey::from_seed(9));
        let a = insert(&mut t, 1, 0, 100);
        let g = t.conn(a).generation;
        assert_eq!(g % 2, 1, "odd while live");
        t.delete(a);
        assert_eq!(t.conn(a).generation % 2, 0, "even while free");
        let b = insert(&mut t, 2, 0, 100);
        assert_eq!(a, b);
        assert_ne!(t.conn(b).generation, g);
        assert_eq!(t.conn(b).generation % 2, 1);
    }

    #[test]
    fn expiring_ten_of_a_hundred_thousand_pops_ten_timers() {
        let mut t = Table::new(1 << 17, HashKey::from_seed(5));
        for p in 0..100_000u32 {
            let o = Tuple::new(Ipv4Addr::from(0x0a00_0000 + p), Ipv4Addr::new(10, 9, 9, 9), 17, 1000, 53);
            let mut c = Conn::new(o, o.invert().unwrap(), 0, 0);
            c.status = status::CONFIRMED;
            c.timeout = if p % 10_000 == 0 { 5 * HZ } else { 30 * HZ };
            let slot = t.alloc(c);
            t.link(slot);
        }
        let before = t.timers.visits;
        assert_eq!(t.expire(u64::from(6 * HZ)), 10);
        // Each of the ten is met twice: cascaded to a one-jiffy list, then run.
        assert_eq!(t.timers.visits - before, 20, "expiry looks at the due entries only");
        assert_eq!(t.count(), 99_990);
    }

    #[test]
    fn a_refresh_later_is_met_lazily_and_a_refresh_earlier_moves_the_entry() {
        let mut t = Table::new(8, HashKey::from_seed(5));
        let a = insert(&mut t, 1, 0, 10);
        t.refresh(a, 50 * HZ); // later: lazy
        let before = t.timers.visits;
        assert_eq!(t.expire(u64::from(11 * HZ)), 0, "met at 10 s, linked again at 50 s");
        assert!(t.timers.visits > before);
        t.refresh(a, HZ); // earlier: moved to 12 s
        assert!(t.timers.next_due().is_some_and(|d| d <= u64::from(12 * HZ)));
        assert_eq!(t.expire(u64::from(12 * HZ) - 1), 0);
        assert_eq!(t.expire(u64::from(12 * HZ)), 1);
        assert_eq!(t.count(), 0);
        assert_eq!(t.timers.next_due(), None);
    }

    #[test]
    fn entries_expiring_together_go_in_order_of_expiry_then_slot() {
        let mut t = Table::new(8, HashKey::from_seed(5));
        let s0 = insert(&mut t, 1, 0, 5);
        let s1 = insert(&mut t, 2, 0, 3);
        let s2 = insert(&mut t, 3, 0, 3);
        assert_eq!(t.expire(u64::from(10 * HZ)), 3);
        // Freed slots are reused most recent first: the last deleted first.
        let reuse: Vec<u32> = (10..13).map(|p| insert(&mut t, p, 0, 100)).collect();
        assert_eq!(reuse, vec![s0, s2, s1]);
    }

    #[test]
    fn resize_keeps_every_entry_findable() {
        let mut t = Table::new(4, HashKey::from_seed(5));
        for p in 1..50 {
            insert(&mut t, p, 0, 100);
        }
        t.resize(1000);
        for p in 1..50 {
            assert!(t.find(&udp(p), 0).is_some());
            assert!(t.find(&udp(p).invert().unwrap(), 0).is_some());
        }
    }
}
