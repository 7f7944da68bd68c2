//! Neighbours: which MAC the box puts on what it sends to a next hop.
//!
//! There is no ARP exchange in a replay, so the box answers from, in order:
//! entries the user made permanent (`--neigh 192.168.1.10=02:...`), MACs
//! learned from the source of frames that arrived from an on-link address,
//! and else a MAC derived from the address ([`derived_mac`]), so a capture
//! always yields complete, deterministic frames.
//!
//! In a simulated network ([`Neighbours::arp`] on) an unknown neighbour is
//! resolved by ARP instead, as [`super::resolve`] describes, and only ARP
//! teaches the box MACs.

use super::iface::derived_mac;
use crate::engine::{Duration, Instant};
use crate::skb::IfIndex;
use crate::wire::EthernetAddress;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;

/// Where a neighbour entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeighSource {
    /// `ip neigh add ... nud permanent`.
    Permanent,
    /// Seen as the source of an arriving frame.
    Learned,
}

/// The neighbour table of one box.
#[derive(Clone, Debug, Default)]
pub struct Neighbours {
    entries: FxHashMap<Ipv4Addr, (EthernetAddress, NeighSource)>,
    /// Resolve by ARP (a simulated network) instead of deriving MACs (a
    /// replay, where no one would answer). See [`super::resolve`].
    pub arp: bool,
    /// Neighbours being resolved (`NUD_INCOMPLETE`), by address.
    pub(super) incomplete: BTreeMap<Ipv4Addr, Incomplete>,
    /// ARP parameters (`net.ipv4.neigh.default.*`).
    pub parms: NeighParms,
    /// Neighbours that failed to resolve, with when: the simulator reports
    /// and clears them.
    pub failures: Vec<(Instant, Ipv4Addr)>,
}

/// `net.ipv4.neigh.default.*`: how hard the box tries to resolve a neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighParms {
    /// `mcast_solicit`: broadcast requests before giving up (3).
    pub mcast_solicit: u32,
    /// `retrans_time_ms`: between two requests (1000).
    pub retrans: Duration,
    /// `unres_qlen_bytes`: bytes queued while resolving (212992, `SK_WMEM_MAX`).
    pub unres_qlen_bytes: usize,
}

impl Default for NeighParms {
    fn default() -> Self {
        NeighParms { mcast_solicit: 3, retrans: Duration::from_secs(1), unres_qlen_bytes: 212_992 }
    }
}

/// A neighbour in `NUD_INCOMPLETE`: requests sent, packets waiting.
#[derive(Clone, Debug)]
pub struct Incomplete {
    /// The interface it is resolved on.
    pub oif: IfIndex,
    /// Requests sent so far.
    pub probes: u32,
    /// When the next request (or the verdict) is due.
    pub next_at: Instant,
    /// Packets waiting (IPv4 datagrams after POSTROUTING), oldest first.
    pub queue: VecDeque<Queued>,
    /// Their bytes, against `unres_qlen_bytes`.
    pub queued_bytes: usize,
}

/// A packet waiting for its neighbour.
#[derive(Clone, Debug)]
pub struct Queued {
    /// The IPv4 datagram.
    pub packet: Vec<u8>,
    /// The interface it came in on, if forwarded.
    pub iif: Option<IfIndex>,
}

impl Neighbours {
    /// Adds a permanent entry; it wins over anything learned.
    pub fn add_permanent(&mut self, ip: Ipv4Addr, mac: EthernetAddress) {
        self.entries.insert(ip, (mac, NeighSource::Permanent));
    }

    /// Records that `ip` was seen sending from `mac`. Permanent entries stay.
    #[inline]
    pub fn learn(&mut self, ip: Ipv4Addr, mac: EthernetAddress) {
        match self.entries.get_mut(&ip) {
            Some((_, NeighSource::Permanent)) => {}
            Some(entry) => entry.0 = mac,
            None => {
                self.entries.insert(ip, (mac, NeighSource::Learned));
            }
        }
    }

    /// The MAC of `ip` when known.
    #[inline]
    pub fn lookup(&self, ip: Ipv4Addr) -> Option<EthernetAddress> {
        self.entries.get(&ip).map(|e| e.0)
    }

    /// When the next resolution step is due, if any is under way.
    pub fn next_timer(&self) -> Option<Instant> {
        self.incomplete.values().map(|n| n.next_at).min()
    }

    /// The MAC to send to `ip`.
    #[inline]
    pub fn resolve(&self, ip: Ipv4Addr) -> EthernetAddress {
        self.entries.get(&ip).map_or_else(|| derived_mac(ip), |e| e.0)
    }

    /// Every entry, sorted by address (for listings).
    pub fn entries(&self) -> Vec<(Ipv4Addr, EthernetAddress, NeighSource)> {
        let mut v: Vec<_> = self.entries.iter().map(|(ip, (mac, src))| (*ip, *mac, *src)).collect();
        v.sort_by_key(|e| e.0);
        v
    }
}

/// Parses `IP=MAC` as given to `--neigh`.
pub fn parse_neigh(s: &str) -> Result<(Ipv4Addr, EthernetAddress), String> {
    let (ip, mac) = s.split_once('=').ok_or_else(|| format!("expected IP=MAC, got \"{s}\""))?;
    let ip = ip.trim().parse().map_err(|_| format!("invalid IPv4 address \"{ip}\""))?;
    let mac = mac.trim().parse().map_err(|_| format!("invalid MAC address \"{mac}\""))?;
    Ok((ip, mac))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn permanent_beats_learned_beats_derived() {
        let mut n = Neighbours::default();
        let ip = Ipv4Addr::new(192, 168, 1, 10);
        assert_eq!(n.resolve(ip), EthernetAddress([2, 0, 192, 168, 1, 10]));
        n.learn(ip, EthernetAddress([2, 1, 1, 1, 1, 1]));
        assert_eq!(n.resolve(ip), EthernetAddress([2, 1, 1, 1, 1, 1]));
        n.add_permanent(ip, EthernetAddress([2, 9, 9, 9, 9, 9]));
        n.learn(ip, EthernetAddress([2, 1, 1, 1, 1, 1]));
        assert_eq!(n.resolve(ip), EthernetAddress([2, 9, 9, 9, 9, 9]));
    }

    #[test]
    fn neigh_spec() {
        assert_eq!(parse_neigh("10.0.0.1=02:00:00:00:00:01").unwrap().1, EthernetAddress([2, 0, 0, 0, 0, 1]));
        assert!(parse_neigh("10.0.0.1").is_err());
        assert!(parse_neigh("10.0.0.1=zz").is_err());
    }
}
