//! The by-source index of SNATed entries (`nf_nat_bysource`): every entry
//! that got a SRC binding is filed under its ORIGINAL source (address, port
//! part, protocol, zone), so a new connection from the same client socket
//! can reuse the same mapping towards another destination.
//!
//! Kept beside conntrack rather than in it: nodes are entry slots with their
//! generation, and a node whose entry has died (or whose slot was reused) is
//! unlinked the next time a walk meets it or its slot is filed again, so
//! conntrack never has to tell NAT about deletions.

use crate::conntrack::{Conntrack, Tuple};

const NIL: u32 = u32::MAX;

/// One slot's NAT extension (`struct nf_conn_nat` plus the by-source link).
#[derive(Clone, Copy, Debug)]
struct Node {
    /// The generation of the entry the fields belong to.
    generation: u32,
    /// The bucket the node is linked in, or `NIL`.
    bucket: u32,
    /// Next slot in the bucket's chain.
    next: u32,
    /// MASQUERADE's output interface (`masq_index`), 0 when none.
    masq_index: u32,
}

const EMPTY: Node = Node { generation: 0, bucket: NIL, next: NIL, masq_index: 0 };

/// The index and the per-entry NAT extension, by conntrack slot.
#[derive(Clone, Debug, Default)]
pub struct BySource {
    nodes: Vec<Node>,
    heads: Vec<u32>,
}

/// A fixed mix of the original source: no secret is needed, the chains only
/// have to be short and their order does not reach any output.
fn hash(t: &Tuple, zone: u16) -> u64 {
    let x = (u64::from(t.src) << 32) ^ (u64::from(t.sport) << 16) ^ (u64::from(t.proto) << 8) ^ u64::from(zone);
    let x = (x ^ (x >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

impl BySource {
    fn bucket_of(&self, t: &Tuple, zone: u16) -> u32 {
        (((hash(t, zone) >> 32) * self.heads.len() as u64) >> 32) as u32
    }

    /// The node of `slot` for an entry of `generation`, reset (and unlinked)
    /// if it belonged to an earlier entry in that slot.
    fn node(&mut self, slot: u32, generation: u32) -> &mut Node {
        if self.nodes.len() <= slot as usize {
            // Fill what the vector holds already: slots are handed out in
            // order, so this resizes once per growth, not once per entry.
            let len = (slot as usize + 1).max(self.nodes.capacity());
            self.nodes.resize(len, EMPTY);
        }
        let n = self.nodes[slot as usize];
        if n.generation != generation {
            if n.bucket != NIL {
                self.unlink(slot);
            }
            self.nodes[slot as usize] = Node { generation, ..EMPTY };
        }
        &mut self.nodes[slot as usize]
    }

    fn unlink(&mut self, slot: u32) {
        let b = self.nodes[slot as usize].bucket as usize;
        let next = self.nodes[slot as usize].next;
        if self.heads[b] == slot {
            self.heads[b] = next;
        } else {
            let mut s = self.heads[b];
            while s != NIL {
                let n = self.nodes[s as usize].next;
                if n == slot {
                    self.nodes[s as usize].next = next;
                    break;
                }
                s = n;
            }
        }
        self.nodes[slot as usize].bucket = NIL;
        self.nodes[slot as usize].next = NIL;
    }

    /// Files the entry in `slot` under its original tuple `orig`.
    pub fn insert(&mut self, slot: u32, generation: u32, orig: &Tuple, zone: u16, buckets: u32) {
        if self.heads.is_empty() {
            // Sized as the kernel sizes it: like the conntrack hash, at least 1024.
            self.heads = vec![NIL; buckets.max(1024) as usize];
        }
        let b = self.bucket_of(orig, zone);
        let head = self.heads[b as usize];
        let node = self.node(slot, generation);
        if node.bucket != NIL {
            return;
        }
        *node = Node { bucket: b, next: head, ..*node };
        self.heads[b as usize] = slot;
    }

    /// Walks the entries filed under `orig`'s source, newest first, and
    /// returns the first `f` accepts (given the entry's REPLY tuple). Dead
    /// nodes met on the way are unlinked.
    pub fn find(
        &mut self,
        ct: &Conntrack,
        orig: &Tuple,
        zone: u16,
        mut f: impl FnMut(&Tuple) -> Option<Tuple>,
    ) -> Option<Tuple> {
        if self.heads.is_empty() {
            return None;
        }
        let b = self.bucket_of(orig, zone);
        let mut s = self.heads[b as usize];
        while s != NIL {
            let n = self.nodes[s as usize];
            let Some(r) = ct.at(s, n.generation) else {
                self.unlink(s);
                s = n.next;
                continue;
            };
            let c = ct.conn(r);
            let o = c.orig();
            if o.proto == orig.proto
                && o.src == orig.src
                && o.sport == orig.sport
                && c.zone() == zone
                && let Some(t) = f(c.reply())
            {
                return Some(t);
            }
            s = n.next;
        }
        None
    }

    /// Records MASQUERADE's output interface for the entry.
    pub fn set_masq(&mut self, slot: u32, generation: u32, ifindex: u32) {
        self.node(slot, generation).masq_index = ifindex;
    }

    /// MASQUERADE's output interface of the entry, if it was masqueraded.
    pub fn masq_index(&self, slot: u32, generation: u32) -> Option<u32> {
        let n = self.nodes.get(slot as usize)?;
        (n.generation == generation && n.masq_index != 0).then_some(n.masq_index)
    }

    /// Every `(slot, generation)` recorded as masqueraded through `ifindex`.
    pub fn masqueraded(&self, ifindex: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.masq_index == ifindex)
            .map(|(s, n)| (s as u32, n.generation))
    }
}
