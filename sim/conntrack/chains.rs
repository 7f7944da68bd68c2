//! Hash chain lengths: how evenly a hash spreads the table's entries over
//! its buckets. The kernel prints no such figure; nfsim does, to show the
//! FAQ's point (3.7) that 2.4's additive hash clusters entries when the
//! bucket count is even, worse a power of two, while today's keyed hash
//! spreads them whatever the count.
//!
//! Every confirmed entry counts twice, as it is linked twice: by its
//! ORIGINAL and by its REPLY tuple. The table itself is not touched: the
//! tuples are hashed again with the hash and bucket count asked for.

use super::Conntrack;
use super::tuple::scale;
use crate::kernel::{Profile, linux24};
use std::collections::BTreeMap;
use std::fmt::Write as _;

impl Conntrack {
    /// The chain length of every bucket if the confirmed entries were
    /// hashed by `hash`'s function into `buckets` buckets.
    pub fn chain_lengths(&self, hash: Profile, buckets: u32) -> Vec<u32> {
        let buckets = buckets.max(1);
        let mut len = vec![0u32; buckets as usize];
        for b in 0..self.table.buckets() {
            for (slot, dir) in self.table.chain(b) {
                let c = self.table.conn(slot);
                let t = c.tuple(dir);
                let i = match hash {
                    Profile::Linux6 => scale(self.table.hash(t, c.zone), buckets),
                    Profile::Linux24 => linux24::hash(t.src, t.dst, t.sport, t.dport, t.proto, buckets),
                };
                len[i as usize] += 1;
            }
        }
        len
    }

    /// `conntrack-chains` text: the figures, then how many buckets hold
    /// chains of each length.
    pub fn chains_text(&self, hash: Profile, buckets: u32) -> String {
        let lens = self.chain_lengths(hash, buckets);
        let nodes: u32 = lens.iter().sum();
        let used = lens.iter().filter(|&&l| l > 0).count();
        let longest = lens.iter().copied().max().unwrap_or(0);
        let mut hist: BTreeMap<u32, u32> = BTreeMap::new();
        for l in lens.iter().filter(|&&l| l > 0) {
            *hist.entry(*l).or_default() += 1;
        }
        let mut out = format!(
            "hash {} buckets {} nodes {nodes} ({} entries): {used} buckets used, longest chain {longest}\n",
            hash.name(),
            lens.len(),
            nodes / 2,
        );
        for (l, n) in hist {
            let _ = writeln!(out, "  chains of {l}: {n}");
        }
        out
    }
}

#[cfg(test)]
mod test {
    use crate::conntrack::testutil::{secs, udp};
    use crate::conntrack::{Conntrack, CtConfig};
    use crate::kernel::{Profile, Sysctls};

    #[test]
    fn one_clients_replies_pile_up_under_the_old_hash_and_a_power_of_two() {
        let mut t = Conntrack::new(CtConfig { buckets: 4096, max: 4096, seed: 7, netns: None });
        let s = Sysctls::default();
        for port in 0..64 {
            let v = t.in_hook(&udp([10, 0, 0, 1], [10, 0, 0, 2], 20000 + port, 53), false, 0, secs(1), &s);
            t.confirm(v.ct.expect("tracked"), secs(1)).expect("confirms");
        }
        let old = t.chain_lengths(Profile::Linux24, 4096);
        // Every reply tuple (server:53 -> client:port) lands in one bucket.
        assert_eq!(old.iter().copied().max(), Some(64));
        let odd = t.chain_lengths(Profile::Linux24, 4093);
        assert!(odd.iter().copied().max().unwrap() <= 2, "{:?}", odd.iter().max());
        let new = t.chain_lengths(Profile::Linux6, 4096);
        assert!(new.iter().copied().max().unwrap() <= 3);
        assert_eq!(new.iter().sum::<u32>(), 128);
    }
}
