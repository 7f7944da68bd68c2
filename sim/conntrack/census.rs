//! A read-only count of what the table holds at one instant, for reports
//! (`nfsim report pressure`): entries by protocol and TCP state, ASSURED
//! and UNREPLIED, NAT, and the bucket chain lengths as the kernel's lookups
//! walk them. Nothing here changes the table: entries that have expired but
//! are not yet reaped are counted apart, so a census never disturbs the run
//! it observes.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::conn::{CtDir, status};
use super::tuple::proto_num;
use super::{Conntrack, jiffies};
use crate::engine::Instant;

/// Number of TCP states (`TCP_CONNTRACK_MAX`).
pub const TCP_STATES: usize = 10;

/// What the table holds at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Live entries, unconfirmed included (`nf_conntrack_count`).
    pub count: u32,
    /// Confirmed entries whose timeout had passed but that were not yet reaped.
    pub expired: u32,
    /// Entries not yet confirmed (a packet in flight).
    pub unconfirmed: u32,
    /// Entries by protocol: TCP, UDP, ICMP, anything else.
    pub tcp: u32,
    /// UDP entries.
    pub udp: u32,
    /// ICMP entries.
    pub icmp: u32,
    /// Entries of other protocols.
    pub other: u32,
    /// TCP entries by state number ([`super::proto::tcp::TcpState`]).
    pub tcp_states: [u32; TCP_STATES],
    /// Entries with ASSURED set (safe from early drop).
    pub assured: u32,
    /// Entries that never saw a reply (`[UNREPLIED]`).
    pub unreplied: u32,
    /// Entries that took a NAT decision: the kernel gave them the NAT extension.
    pub nat: u32,
    /// Buckets by chain length: `chains[n]` buckets hold `n` nodes (each
    /// confirmed entry has two nodes, one per direction).
    pub chains: Vec<u32>,
}

impl Census {
    /// Mean nodes per bucket.
    pub fn chain_mean(&self) -> f64 {
        let buckets: u64 = self.chains.iter().map(|&b| u64::from(b)).sum();
        let nodes: u64 = self.chains.iter().enumerate().map(|(n, &b)| n as u64 * u64::from(b)).sum();
        if buckets == 0 { 0.0 } else { nodes as f64 / buckets as f64 }
    }

    /// The longest chain.
    pub fn chain_max(&self) -> usize {
        self.chains.len().saturating_sub(1)
    }
}

impl Conntrack {
    /// Counts what the table holds at `now`, without reaping anything.
    pub fn census(&self, now: Instant) -> Census {
        let now32 = jiffies(now) as u32;
        let mut c = Census::default();
        for e in self.table.slab.iter().filter(|e| e.live()) {
            c.count += 1;
            if !e.is_confirmed() {
                c.unconfirmed += 1;
            } else if e.is_expired(now32) {
                c.expired += 1;
            }
            match e.proto_num() {
                proto_num::TCP => {
                    c.tcp += 1;
                    c.tcp_states[usize::from(e.l4_state()).min(TCP_STATES - 1)] += 1;
                }
                proto_num::UDP => c.udp += 1,
                proto_num::ICMP => c.icmp += 1,
                _ => c.other += 1,
            }
            c.assured += u32::from(e.has(status::ASSURED));
            c.unreplied += u32::from(!e.has(status::SEEN_REPLY));
            c.nat += u32::from(e.status & status::NAT_DONE_MASK != 0);
        }
        for b in 0..self.table.buckets() {
            let n = self.table.chain(b).count();
            if c.chains.len() <= n {
                c.chains.resize(n + 1, 0);
            }
            c.chains[n] += 1;
        }
        c
    }

    /// Live entries by the ORIGINAL source address (who holds the table).
    pub fn entries_by_source(&self) -> BTreeMap<Ipv4Addr, u32> {
        let mut by = BTreeMap::new();
        for e in self.table.slab.iter().filter(|e| e.live()) {
            *by.entry(e.tuple(CtDir::Original).src_addr()).or_insert(0) += 1;
        }
        by
    }

    /// Live entries by ORIGINAL destination address and port ("flow" as an
    /// operator names a service: `203.0.113.10:443/tcp`).
    pub fn entries_by_service(&self) -> BTreeMap<(Ipv4Addr, u16, u8), u32> {
        let mut by = BTreeMap::new();
        for e in self.table.slab.iter().filter(|e| e.live()) {
            let t = e.tuple(CtDir::Original);
            let port = if matches!(t.proto, proto_num::TCP | proto_num::UDP) { t.dport } else { 0 };
            *by.entry((t.dst_addr(), port, t.proto)).or_insert(0) += 1;
        }
        by
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::CtConfig;

    #[test]
    fn an_empty_table_has_every_bucket_empty() {
        let ct = Conntrack::new(CtConfig { buckets: 16, max: 8, seed: 1, netns: None });
        let c = ct.census(Instant::ZERO);
        assert_eq!(c.count, 0);
        assert_eq!(c.chains, vec![16]);
        assert_eq!(c.chain_max(), 0);
        assert_eq!(c.chain_mean(), 0.0);
    }
}
