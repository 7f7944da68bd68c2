//! Links: a point-to-point cable (a veth pair) or a shared segment (a
//! switch that knows every port's MAC), with a one-way delay, a bandwidth
//! (serialization time, one transmit queue per sending port), and loss,
//! duplication and reordering drawn from the link's own random stream.
//!
//! Probabilities are in parts per million; a reordered frame is held back
//! by `reorder_delay` beyond its normal arrival.

use crate::engine::{Duration, Instant, Rng};
use crate::skb::IfIndex;

/// A port of a link: a host's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Port {
    /// The host, by index in the world.
    pub node: usize,
    /// The interface.
    pub iface: IfIndex,
}

/// What a link does to frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParams {
    /// One-way propagation delay.
    pub delay: Duration,
    /// Bits per second; `None` for no serialization time.
    pub rate_bps: Option<u64>,
    /// Frames lost, per million.
    pub loss_ppm: u32,
    /// Frames duplicated, per million.
    pub dup_ppm: u32,
    /// Frames reordered (held back), per million.
    pub reorder_ppm: u32,
    /// How long a reordered frame is held back.
    pub reorder_delay: Duration,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            delay: Duration::from_micros(100),
            rate_bps: None,
            loss_ppm: 0,
            dup_ppm: 0,
            reorder_ppm: 0,
            reorder_delay: Duration::from_millis(1),
        }
    }
}

/// One link.
pub struct Link {
    /// `host:iface-host:iface[-...]`, for messages.
    pub name: String,
    /// Its ports.
    pub ports: Vec<Port>,
    /// What it does to frames.
    pub params: LinkParams,
    rng: Rng,
    /// When each port's transmitter is free again.
    busy_until: Vec<Instant>,
}

/// What became of a frame put on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Carry {
    /// Lost on the way.
    Lost,
    /// Arrives at these times (two for a duplicate).
    Arrives(Vec<Instant>),
}

impl Link {
    /// A link between `ports`, its randomness forked from `rng` by name.
    pub fn new(name: String, ports: Vec<Port>, params: LinkParams, rng: &Rng) -> Link {
        let rng = rng.fork(&format!("link:{name}"));
        let busy_until = vec![Instant::ZERO; ports.len()];
        Link { name, ports, params, rng, busy_until }
    }

    /// A frame of `len` bytes leaves `from` (an index into `ports`) at `now`.
    pub fn carry(&mut self, from: usize, now: Instant, len: usize) -> Carry {
        let p = self.params;
        let start = now.max(self.busy_until[from]);
        // Ethernet on the wire: preamble, header, FCS, gap: 24 bytes beyond the frame.
        let serialize = p.rate_bps.map_or(Duration::ZERO, |bps| {
            Duration::from_nanos(((len as u64 + 24) * 8 * 1_000_000_000).div_ceil(bps.max(1)))
        });
        self.busy_until[from] = start + serialize;
        // Draw every stream in a fixed order whatever the outcome, so one
        // frame's fate never shifts the next one's numbers.
        let lost = p.loss_ppm > 0 && self.rng.chance_ppm(p.loss_ppm);
        let dup = p.dup_ppm > 0 && self.rng.chance_ppm(p.dup_ppm);
        let late = p.reorder_ppm > 0 && self.rng.chance_ppm(p.reorder_ppm);
        if lost {
            return Carry::Lost;
        }
        let mut at = start + serialize + p.delay;
        if late {
            at += p.reorder_delay;
        }
        let mut times = vec![at];
        if dup {
            times.push(at + Duration::from_nanos(1));
        }
        Carry::Arrives(times)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn link(params: LinkParams) -> Link {
        let ports = vec![Port { node: 0, iface: 2 }, Port { node: 1, iface: 2 }];
        Link::new("a:eth0-b:eth0".into(), ports, params, &Rng::new(1))
    }

    #[test]
    fn bandwidth_queues_frames_behind_each_other() {
        let mut l = link(LinkParams { rate_bps: Some(1_000_000), delay: Duration::ZERO, ..LinkParams::default() });
        // 101 bytes + 24 = 1000 bits = 1 ms at 1 Mbit/s.
        let t0 = Instant::ZERO;
        assert_eq!(l.carry(0, t0, 101), Carry::Arrives(vec![t0 + Duration::from_millis(1)]));
        assert_eq!(l.carry(0, t0, 101), Carry::Arrives(vec![t0 + Duration::from_millis(2)]));
        // The other direction has its own transmitter.
        assert_eq!(l.carry(1, t0, 101), Carry::Arrives(vec![t0 + Duration::from_millis(1)]));
    }

    #[test]
    fn loss_is_seeded_and_near_its_rate() {
        let run = || {
            let mut l = link(LinkParams { loss_ppm: 100_000, ..LinkParams::default() });
            (0..10_000).map(|i| l.carry(0, Instant::from_nanos(i), 60) == Carry::Lost).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let lost = a.iter().filter(|x| **x).count();
        assert!((800..1200).contains(&lost), "{lost}");
    }
}
