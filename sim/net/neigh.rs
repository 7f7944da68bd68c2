//! Neighbours: which MAC the box puts on what it sends to a next hop.
//!
//! There is no ARP exchange in a replay, so the box answers from, in order:
//! entries the user made permanent (`--neigh 192.168.1.10=02:...`), MACs
//! learned from the source of frames that arrived from an on-link address,
//! and else a MAC derived from the address ([`derived_mac`]), so a capture
//! always yields complete, deterministic frames.

use super::iface::derived_mac;
use crate::wire::EthernetAddress;
use rustc_hash::FxHashMap;
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
