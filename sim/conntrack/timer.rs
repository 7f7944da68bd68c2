//! Expiry without scanning the table: a hierarchical timer wheel whose lists
//! run through the entries themselves.
//!
//! The kernel has no per-entry timer either: entries carry an expiry stamp,
//! and the GC worker or a lookup that meets an expired entry removes it. We
//! keep the stamp in the entry and link each confirmed entry into exactly one
//! list of the wheel, by two `u32` links in the entry (8 bytes, where a heap
//! of `(due, slot, generation)` items cost 16 and more):
//!
//! - level 0 has one list per jiffy for the next 64 jiffies; level `k` has 64
//!   lists of `64^k` jiffies each, six levels in all (2^36 jiffies, past the
//!   longest timeout, `i32::MAX` jiffies);
//! - an entry goes in the list of its expiry; when time reaches a level-`k`
//!   list's span, the list is cascaded: its entries go down to finer lists;
//! - a refresh that moves the expiry later touches nothing here (lazy): the
//!   entry is met at its old expiry and linked again at its new one;
//! - a refresh that moves it earlier, and a deletion, unlink the entry (O(1)).
//!
//! Each level keeps a 64-bit mask of its non-empty lists, so running the
//! clock over idle time costs a few bit scans, not a step per jiffy. Times
//! are absolute jiffies in `u64`, though entries store `u32` jiffies: the
//! owner converts (see [`Entries::due`]).

use super::conn::NIL;

const BITS: u32 = 6;
const SLOTS: usize = 1 << BITS;
const LEVELS: usize = 6;
/// A list head's own mark in an entry's `prev` link: `HEAD | level*64+index`.
const HEAD: u32 = 1 << 31;

/// Access to the entries' wheel links and expiries.
pub trait Entries {
    /// The `[prev, next]` wheel links of `slot` (`prev` is [`NIL`] when
    /// the entry is in no list, or `HEAD | list` when it heads one).
    fn links(&mut self, slot: u32) -> &mut [u32; 2];
    /// When `slot` expires, in absolute jiffies.
    fn due(&self, slot: u32) -> u64;
}

/// The wheel: list heads, their occupancy masks and the clock.
#[derive(Clone, Debug)]
pub struct Wheel {
    heads: [[u32; SLOTS]; LEVELS],
    occupied: [u64; LEVELS],
    /// The next jiffy not yet run: every list time before it is done.
    cur: u64,
    /// No work before this jiffy: a lower bound of [`Wheel::next_due`],
    /// kept so a clock step with nothing due costs one comparison.
    idle_until: u64,
    /// Entries met by the clock (expired, re-linked or cascaded): the work
    /// expiry has done.
    pub(crate) visits: u64,
}

impl Default for Wheel {
    fn default() -> Self {
        Wheel { heads: [[NIL; SLOTS]; LEVELS], occupied: [0; LEVELS], cur: 0, idle_until: u64::MAX, visits: 0 }
    }
}

impl Wheel {
    /// Links `slot` (in no list) into the list of jiffy `at`; a time already
    /// past goes in the list run next.
    pub fn insert(&mut self, e: &mut impl Entries, slot: u32, at: u64) {
        let at = at.clamp(self.cur, self.cur + (1 << (BITS * LEVELS as u32)) - 1);
        let delta = at - self.cur;
        let level = if delta < SLOTS as u64 { 0 } else { ((63 - delta.leading_zeros()) / BITS) as usize };
        let index = ((at >> (BITS * level as u32)) & (SLOTS as u64 - 1)) as usize;
        let head = self.heads[level][index];
        *e.links(slot) = [HEAD | (level * SLOTS + index) as u32, head];
        if head != NIL {
            e.links(head)[0] = slot;
        }
        self.heads[level][index] = slot;
        self.occupied[level] |= 1 << index;
        // The list's work time: `at` at level 0, else the start of its span
        // (at least one span ahead of the clock, so never before it).
        let shift = BITS * level as u32;
        self.idle_until = self.idle_until.min(at >> shift << shift);
    }

    /// Unlinks `slot` if it is in a list.
    pub fn remove(&mut self, e: &mut impl Entries, slot: u32) {
        let [prev, next] = *e.links(slot);
        if prev == NIL {
            return;
        }
        if next != NIL {
            e.links(next)[0] = prev;
        }
        if prev & HEAD != 0 {
            let list = (prev & !HEAD) as usize;
            let (level, index) = (list / SLOTS, list % SLOTS);
            self.heads[level][index] = next;
            if next == NIL {
                self.occupied[level] &= !(1 << index);
            }
        } else {
            e.links(prev)[1] = next;
        }
        *e.links(slot) = [NIL, NIL];
    }

    /// The first jiffy at or after the clock at which the wheel has work: a
    /// level-0 list to run or a list to cascade.
    fn next_work(&self) -> Option<u64> {
        let mut best: Option<u64> = None;
        let r = self.occupied[0].rotate_right((self.cur % SLOTS as u64) as u32);
        if r != 0 {
            best = Some(self.cur + u64::from(r.trailing_zeros()));
        }
        for level in 1..LEVELS {
            if self.occupied[level] == 0 {
                continue;
            }
            let shift = BITS * level as u32;
            let first = self.cur.div_ceil(1 << shift);
            let r = self.occupied[level].rotate_right((first % SLOTS as u64) as u32);
            let at = (first + u64::from(r.trailing_zeros())) << shift;
            best = Some(best.map_or(at, |b| b.min(at)));
        }
        best
    }

    /// When the wheel next has work to do, in absolute jiffies: the expiry
    /// of the earliest entry of level 0, or the time a coarser list is
    /// cascaded, which is never after the expiries it holds.
    pub fn next_due(&self) -> Option<u64> {
        self.next_work()
    }

    /// Runs the clock to `now` when no list is due by then, as
    /// [`Wheel::take_due`] would (returning `None`), and says so; false
    /// when `take_due` has work to do.
    #[inline]
    pub fn idle_through(&mut self, now: u64) -> bool {
        if now < self.cur {
            return true;
        }
        if now < self.idle_until {
            self.cur = self.cur.max(now.saturating_add(1));
            return true;
        }
        false
    }

    /// Runs the clock towards `now`: cascades what comes due and returns the
    /// first due level-0 list, unlinked from the wheel, as its first entry
    /// (the rest follow by `next` links; each entry's `prev` is [`NIL`]), or
    /// `None` once no list is due by `now`. The caller re-links or frees
    /// every entry of a returned list.
    pub fn take_due(&mut self, e: &mut impl Entries, now: u64) -> Option<u32> {
        if now < self.cur {
            return None; // this jiffy is done (packets come many to a jiffy)
        }
        loop {
            let next = self.next_work();
            let Some(t) = next.filter(|&t| t <= now) else {
                self.cur = self.cur.max(now.saturating_add(1));
                // A later clock only moves coarse lists' work later.
                self.idle_until = next.unwrap_or(u64::MAX);
                return None;
            };
            self.cur = t;
            for level in 1..LEVELS {
                let shift = BITS * level as u32;
                if t & ((1 << shift) - 1) != 0 {
                    break;
                }
                self.cascade(e, level, ((t >> shift) % SLOTS as u64) as usize);
            }
            let index = (t % SLOTS as u64) as usize;
            let head = self.detach(0, index);
            self.cur = t + 1;
            if head != NIL {
                let mut n = head;
                while n != NIL {
                    self.visits += 1;
                    let l = e.links(n);
                    l[0] = NIL;
                    n = l[1];
                }
                return Some(head);
            }
        }
    }

    /// Empties list `index` of `level`; returns its first entry.
    fn detach(&mut self, level: usize, index: usize) -> u32 {
        self.occupied[level] &= !(1 << index);
        std::mem::replace(&mut self.heads[level][index], NIL)
    }

    /// Moves the entries of list `index` of `level` to finer lists.
    fn cascade(&mut self, e: &mut impl Entries, level: usize, index: usize) {
        let mut n = self.detach(level, index);
        while n != NIL {
            self.visits += 1;
            let next = e.links(n)[1];
            let at = e.due(n);
            self.insert(e, n, at);
            n = next;
        }
    }

    /// Bytes held beside the entries.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Wheel>()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Entries as plain arrays: links and expiry per slot.
    struct Plain {
        links: Vec<[u32; 2]>,
        due: Vec<u64>,
    }

    impl Entries for Plain {
        fn links(&mut self, slot: u32) -> &mut [u32; 2] {
            &mut self.links[slot as usize]
        }
        fn due(&self, slot: u32) -> u64 {
            self.due[slot as usize]
        }
    }

    fn plain(due: &[u64]) -> Plain {
        Plain { links: vec![[NIL, NIL]; due.len()], due: due.to_vec() }
    }

    /// Every entry the wheel hands out by `now`, as (jiffy run, slot).
    fn run(w: &mut Wheel, e: &mut Plain, now: u64) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        while let Some(mut n) = w.take_due(e, now) {
            while n != NIL {
                out.push((w.cur - 1, n));
                n = e.links[n as usize][1];
            }
        }
        out.sort();
        out
    }

    #[test]
    fn lists_come_due_at_their_jiffy_across_levels() {
        let due = [5, 70, 4100, 300_000, 5, 2_000_000_000, 64];
        let mut e = plain(&due);
        let mut w = Wheel::default();
        for (s, &at) in due.iter().enumerate() {
            w.insert(&mut e, s as u32, at);
        }
        assert_eq!(w.next_due(), Some(5));
        assert_eq!(run(&mut w, &mut e, 4), vec![]);
        assert_eq!(run(&mut w, &mut e, 5), vec![(5, 0), (5, 4)]);
        assert_eq!(w.next_due(), Some(64));
        assert_eq!(run(&mut w, &mut e, 100_000), vec![(64, 6), (70, 1), (4100, 2)]);
        assert_eq!(run(&mut w, &mut e, 1_999_999_999), vec![(300_000, 3)]);
        assert_eq!(run(&mut w, &mut e, 2_000_000_000), vec![(2_000_000_000, 5)]);
        assert_eq!(w.next_due(), None);
    }

    #[test]
    fn removed_entries_never_come_due_and_past_times_run_next() {
        let due = [10, 10, 10, 9000];
        let mut e = plain(&due);
        let mut w = Wheel::default();
        for (s, &at) in due.iter().enumerate() {
            w.insert(&mut e, s as u32, at);
        }
        w.remove(&mut e, 1);
        w.remove(&mut e, 1);
        w.remove(&mut e, 3);
        assert_eq!(e.links[1], [NIL, NIL]);
        assert_eq!(run(&mut w, &mut e, 50), vec![(10, 0), (10, 2)]);
        w.insert(&mut e, 3, 7);
        assert_eq!(w.next_due(), Some(51));
        assert_eq!(run(&mut w, &mut e, 51), vec![(51, 3)]);
    }

    #[test]
    fn idle_time_costs_no_steps() {
        let mut e = plain(&[1 << 33]);
        let mut w = Wheel::default();
        w.insert(&mut e, 0, 1 << 33);
        assert_eq!(run(&mut w, &mut e, (1 << 33) - 1), vec![]);
        assert!(w.visits <= 6, "one cascade per level at most: {}", w.visits);
        assert_eq!(run(&mut w, &mut e, 1 << 33), vec![(1 << 33, 0)]);
    }
}
