//! TCP sequence adjustment state (`nf_conntrack_seqadj`): when a NAT helper
//! changes a segment's payload length, every later sequence number of that
//! direction, and every acknowledgement of it from the other side, must be
//! shifted by the accumulated difference.
//!
//! Per direction the kernel keeps one correction point and two offsets:
//! sequence numbers after `correction_pos` move by `offset_after`, those at
//! or before it by `offset_before` (so a retransmission of the rewritten
//! segment itself keeps the old offset). Only the latest change is
//! positioned exactly; older ones are folded into `offset_before`, which is
//! why the kernel records a new change only when it lies beyond the last.

use super::proto::tcp::window::{after, before};

/// One direction's adjustment (`struct nf_ct_seqadj`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqAdjDir {
    /// Sequence number of the last segment whose length changed.
    pub correction_pos: u32,
    /// Offset for sequence numbers at or before `correction_pos`.
    pub offset_before: i32,
    /// Offset for sequence numbers after it.
    pub offset_after: i32,
}

impl SeqAdjDir {
    /// Records that the segment starting at `seq` changed length by `off`
    /// (`nf_ct_seqadj_set`). A change at or before the last correction (a
    /// retransmission of an already rewritten segment) is not added again.
    pub fn record(&mut self, seq: u32, off: i32) {
        if off == 0 {
            return;
        }
        if self.offset_before == self.offset_after || before(self.correction_pos, seq) {
            self.correction_pos = seq;
            self.offset_before = self.offset_after;
            self.offset_after = self.offset_after.wrapping_add(off);
        }
    }

    /// The offset a sequence number `seq` of this direction moves by
    /// (`nf_ct_seq_offset`).
    pub fn offset(&self, seq: u32) -> i32 {
        if after(seq, self.correction_pos) { self.offset_after } else { self.offset_before }
    }

    /// The offset to take off an acknowledgement (or SACK edge) `ack` of
    /// this direction's data, which the peer saw shifted: the point is
    /// judged in the shifted space, as the kernel judges it.
    pub fn ack_offset(&self, ack: u32) -> i32 {
        if after(ack.wrapping_sub(self.offset_before as u32), self.correction_pos) {
            self.offset_after
        } else {
            self.offset_before
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_retransmission_of_the_rewritten_segment_does_not_add_again() {
        let mut s = SeqAdjDir::default();
        s.record(1000, 2);
        assert_eq!((s.correction_pos, s.offset_before, s.offset_after), (1000, 0, 2));
        s.record(1000, 2);
        assert_eq!((s.offset_before, s.offset_after), (0, 2), "same position: not again");
        assert_eq!(s.offset(1000), 0, "the rewritten segment keeps its sequence number");
        assert_eq!(s.offset(1026), 2);
        s.record(2000, -1);
        assert_eq!((s.correction_pos, s.offset_before, s.offset_after), (2000, 2, 1));
    }

    proptest! {
        /// After any sequence of rewrites at increasing positions, sequence
        /// numbers shifted on the way out come back unshifted when the peer
        /// acknowledges them: the rewritten segment's start and end (as the
        /// peer saw it, `delta` longer) and a later segment's start.
        #[test]
        fn adjusted_seq_and_ack_round_trip(
            start in any::<u32>(),
            steps in prop::collection::vec((1u32..2000, -20i32..20, 21u32..1500), 1..12),
        ) {
            let mut s = SeqAdjDir::default();
            let mut seq = start;
            for (gap, delta, len) in steps {
                seq = seq.wrapping_add(gap);
                s.record(seq, delta);
                let out = |x: u32| x.wrapping_add(s.offset(x) as u32);
                let back = |x: u32| x.wrapping_sub(s.ack_offset(x) as u32);
                prop_assert_eq!(back(out(seq)), seq);
                let seen_end = out(seq).wrapping_add(len).wrapping_add(delta as u32);
                prop_assert_eq!(back(seen_end), seq.wrapping_add(len));
                let later = seq.wrapping_add(len);
                prop_assert_eq!(back(out(later)), later);
                seq = later;
            }
        }
    }
}
