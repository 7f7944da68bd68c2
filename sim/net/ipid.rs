//! IP identification of packets the box originates (`ip_select_ident`).
//!
//! Linux gives a packet with DF set and no connected socket id 0. Others draw
//! from 2048 counters chosen by a keyed hash of (daddr, saddr, protocol); a
//! counter starts random and, on each use, advances by one plus a random
//! amount below the jiffies elapsed since its last use. We keep that shape
//! with the key, starting values and increments from a seeded stream.

use super::ratelimit::jiffies;
use crate::engine::{Instant, Rng};
use std::net::Ipv4Addr;

const BUCKETS: usize = 2048;

/// The per-box IP ID generator.
#[derive(Debug)]
pub struct IpIdents {
    key: u64,
    ids: Vec<u32>,
    stamps: Vec<u64>,
    rng: Rng,
}

impl IpIdents {
    /// Counters seeded from `rng`.
    pub fn new(mut rng: Rng) -> IpIdents {
        let key = rng.next_u64();
        let ids = (0..BUCKETS).map(|_| rng.next_u32()).collect();
        IpIdents { key, ids, stamps: vec![0; BUCKETS], rng }
    }

    /// The id for a new packet from `src` to `dst` with protocol `proto`.
    pub fn select(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, proto: u8, dont_frag: bool) -> u16 {
        if dont_frag {
            return 0;
        }
        let mut h = self.key;
        for word in [u32::from(dst) as u64, u32::from(src) as u64, proto as u64] {
            h = (h ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
        }
        let bucket = (h % BUCKETS as u64) as usize;
        let now = jiffies(now);
        let old = self.stamps[bucket];
        let mut delta = 0;
        if old != now {
            self.stamps[bucket] = now;
            let elapsed = now.wrapping_sub(old).min(u32::MAX as u64) as u32;
            if elapsed > 0 {
                delta = self.rng.below(elapsed);
            }
        }
        self.ids[bucket] = self.ids[bucket].wrapping_add(1 + delta);
        (self.ids[bucket].wrapping_sub(1)) as u16
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn df_packets_get_zero_and_others_advance() {
        let mut ids = IpIdents::new(Rng::new(9));
        let (a, b) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let t = Instant::from_nanos(5_000_000_000);
        assert_eq!(ids.select(t, a, b, 6, true), 0);
        let first = ids.select(t, a, b, 1, false);
        let second = ids.select(t, a, b, 1, false);
        assert_eq!(second, first.wrapping_add(1), "same jiffy: consecutive ids");
        let mut again = IpIdents::new(Rng::new(9));
        again.select(t, a, b, 6, true);
        assert_eq!(again.select(t, a, b, 1, false), first, "deterministic");
    }
}
