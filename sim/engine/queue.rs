//! The event queue: a min-heap keyed by `(time, seq)`.
//!
//! `seq` increases with every push, so two events due at the same instant pop
//! in the order they were scheduled (turmoil's scheduler does the same) and the
//! order of a run never depends on heap internals.

use super::Instant;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

struct Entry<E> {
    at: Instant,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Pending events of type `E`, earliest first, ties in scheduling order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    next_seq: u64,
    now: Instant,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, now: Instant::ZERO }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue whose clock reads `now`.
    pub fn starting_at(now: Instant) -> Self {
        EventQueue { now, ..Self::default() }
    }

    /// The virtual time of the last event popped (or the start time).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Schedules `event` at `at`. An event in the past runs at `now`: time
    /// never goes backwards.
    pub fn schedule(&mut self, at: Instant, event: E) {
        let at = at.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Entry { at, seq, event }));
    }

    /// When the next event is due, if any.
    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Removes the earliest event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let Reverse(e) = self.heap.pop()?;
        self.now = e.at;
        Some((e.at, e.event))
    }

    /// Pops the earliest event only if it is due at or before `limit`.
    pub fn pop_until(&mut self, limit: Instant) -> Option<(Instant, E)> {
        if self.peek_time()? <= limit { self.pop() } else { None }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ties_pop_in_scheduling_order() {
        let mut q = EventQueue::default();
        let t = Instant::from_nanos(10);
        for i in 0..50 {
            q.schedule(t, i);
        }
        q.schedule(Instant::from_nanos(5), -1);
        assert_eq!(q.pop(), Some((Instant::from_nanos(5), -1)));
        for i in 0..50 {
            assert_eq!(q.pop(), Some((t, i)));
        }
        assert!(q.is_empty());
    }

    #[test]
    fn clock_never_runs_backwards() {
        let mut q = EventQueue::starting_at(Instant::from_nanos(100));
        q.schedule(Instant::from_nanos(3), "late");
        assert_eq!(q.pop(), Some((Instant::from_nanos(100), "late")));
        assert_eq!(q.now(), Instant::from_nanos(100));
    }

    #[test]
    fn pop_until_respects_the_limit() {
        let mut q = EventQueue::default();
        q.schedule(Instant::from_nanos(20), 'b');
        q.schedule(Instant::from_nanos(10), 'a');
        assert_eq!(q.pop_until(Instant::from_nanos(15)), Some((Instant::from_nanos(10), 'a')));
        assert_eq!(q.pop_until(Instant::from_nanos(15)), None);
        assert_eq!(q.len(), 1);
    }
}
