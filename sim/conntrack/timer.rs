//! Expiry without scanning the table: a min-heap of `(due, slot, generation)`.
//!
//! The kernel has no per-entry timer either: entries carry an expiry stamp,
//! and the GC worker or a lookup that meets an expired entry removes it. We
//! keep the stamp in the entry and, beside it, at most one *live* heap entry
//! per connection, due no later than the connection's expiry:
//!
//! - a refresh that moves the expiry later touches nothing here (lazy);
//! - a refresh that moves it earlier pushes a new heap entry and remembers its
//!   due time in the entry, which makes the older heap entry stale;
//! - when a heap entry comes due, the table checks it is still the live one
//!   (same slot generation, same due time); if the connection was refreshed
//!   meanwhile it is pushed again at its real expiry, else it expires.
//!
//! Expiring `k` entries therefore costs `O(k log n)` plus one re-push per
//! connection refreshed since its entry was pushed, never a scan. Stale heap
//! entries (from deletions and shortened timeouts) are counted; when they
//! outnumber live ones the heap is rebuilt from the live set, so memory stays
//! within twice the live count. Times are absolute jiffies in `u64`, so the
//! heap order never wraps even though entries store `u32` jiffies.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One scheduled expiry check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Due {
    /// Absolute jiffies.
    pub at: u64,
    /// Slab slot.
    pub slot: u32,
    /// The slot's generation when scheduled.
    pub generation: u32,
}

/// The expiry heap.
#[derive(Clone, Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<Due>>,
    stale: usize,
    /// Heap entries popped since creation: the work expiry has done.
    pub(crate) pops: u64,
}

impl Timers {
    /// Schedules a check of `slot` at `at`.
    pub fn push(&mut self, due: Due) {
        self.heap.push(Reverse(due));
    }

    /// Notes that one heap entry no longer matches a live connection.
    pub fn mark_stale(&mut self) {
        self.stale += 1;
    }

    /// The earliest check, if it is due at `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<Due> {
        match self.heap.peek() {
            Some(Reverse(d)) if d.at <= now => {
                self.pops += 1;
                self.heap.pop().map(|Reverse(d)| d)
            }
            _ => None,
        }
    }

    /// A popped entry turned out stale.
    pub fn popped_stale(&mut self) {
        self.stale = self.stale.saturating_sub(1);
    }

    /// When the next check is due.
    pub fn next_due(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(d)| d.at)
    }

    /// Heap entries, live and stale.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// No checks scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// True when stale entries outnumber live ones (and are worth a rebuild).
    pub fn wants_rebuild(&self) -> bool {
        self.stale > 1024 && self.stale * 2 > self.heap.len()
    }

    /// Replaces the heap with exactly `live`.
    pub fn rebuild(&mut self, live: Vec<Due>) {
        self.heap = live.into_iter().map(Reverse).collect();
        self.stale = 0;
    }

    /// Bytes held (capacity, not length).
    pub fn bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Reverse<Due>>()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn pops_in_due_order_only_when_due() {
        let mut t = Timers::default();
        for (at, slot) in [(30, 1), (10, 2), (20, 3)] {
            t.push(Due { at, slot, generation: 0 });
        }
        assert_eq!(t.pop_due(5), None);
        assert_eq!(t.pop_due(25).map(|d| d.slot), Some(2));
        assert_eq!(t.pop_due(25).map(|d| d.slot), Some(3));
        assert_eq!(t.pop_due(25), None);
        assert_eq!(t.next_due(), Some(30));
        assert_eq!(t.pops, 2);
    }

    #[test]
    fn rebuild_drops_stale_entries() {
        let mut t = Timers::default();
        for i in 0..3000 {
            t.push(Due { at: i, slot: i as u32, generation: 0 });
            t.mark_stale();
        }
        assert!(t.wants_rebuild());
        t.rebuild(vec![Due { at: 7, slot: 7, generation: 1 }]);
        assert_eq!(t.len(), 1);
        assert!(!t.wants_rebuild());
    }
}
