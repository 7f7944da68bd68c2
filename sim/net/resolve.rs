//! Neighbour resolution by ARP (`neigh_resolve_output`, `arp_solicit`,
//! `neigh_timer_handler`), on when [`Neighbours::arp`] is set.
//!
//! A packet for a next hop with no MAC is queued on the neighbour, which
//! enters `NUD_INCOMPLETE` and broadcasts a request at once, then one every
//! `retrans_time` (1 s, which the kernel's timer wheel makes 1.024 s:
//! [`crate::kernel::timer`]) until `mcast_solicit` (3) went unanswered. A reply
//! (or a request from it) sends the queue on its way; silence fails the
//! neighbour one `retrans_time` after the last request: every queued packet
//! is answered with ICMP host unreachable (`ipv4_link_failure`) and
//! dropped. The next packet starts over. The queue holds at most
//! `unres_qlen_bytes`; beyond it the oldest packets go.
//!
//! Resolved entries age ([`super::neigh::Nud`]): the probes of PROBE are
//! unicast requests to the MAC the box has, and their failure is reported
//! like a failed resolution.
//!
//! [`Neighbours::arp`]: super::neigh::Neighbours::arp

use super::host::Host;
use super::neigh::{Incomplete, NeighStep, Queued};
use super::outcome::Tx;
use crate::engine::Instant;
use crate::skb::{IfIndex, PktType, Skb};
use crate::wire::{ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, Ipv4Packet, icmp};
use std::collections::VecDeque;
use std::net::Ipv4Addr;

impl Host {
    /// The destination MAC for `next_hop` out of `oif` when it needs no
    /// resolution: broadcast and multicast addresses map to their MACs.
    pub(super) fn static_mac(&self, oif: IfIndex, next_hop: Ipv4Addr) -> Option<EthernetAddress> {
        if next_hop.is_broadcast()
            || self.iface(oif).is_some_and(|i| i.addrs.iter().any(|a| a.broadcast() == Some(next_hop)))
        {
            return Some(EthernetAddress([0xff; 6]));
        }
        if super::addr::is_multicast(next_hop) {
            let o = next_hop.octets();
            return Some(EthernetAddress([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]));
        }
        None
    }

    /// Queues `skb` until `next_hop` is resolved, soliciting it if this is
    /// the first packet to wait.
    #[cold]
    #[inline(never)]
    pub(super) fn neigh_queue(&mut self, skb: &Skb, now: Instant, oif: IfIndex, next_hop: Ipv4Addr, tx: &mut dyn Tx) {
        let limit = self.neigh.parms.unres_qlen_bytes;
        let retrans = self.neigh.parms.retrans;
        let new = !self.neigh.incomplete.contains_key(&next_hop);
        let entry = self.neigh.incomplete.entry(next_hop).or_insert_with(|| Incomplete {
            oif,
            probes: 0,
            next_at: crate::kernel::timer::fires_at(now, retrans),
            queue: VecDeque::new(),
            queued_bytes: 0,
        });
        entry.queue.push_back(Queued { packet: skb.data().to_vec(), iif: skb.iif });
        entry.queued_bytes += skb.len();
        while entry.queued_bytes > limit && entry.queue.len() > 1 {
            let old = entry.queue.pop_front().expect("not empty");
            entry.queued_bytes -= old.packet.len();
            self.stats.link.neigh_queue_drops += 1;
        }
        if new {
            let src = Ipv4Packet::new_unchecked(skb.data()).src_addr();
            self.arp_solicit(now, oif, next_hop, src, None, tx);
            self.neigh.incomplete.get_mut(&next_hop).expect("just added").probes = 1;
        }
    }

    /// Asks "who has `target`", from `src` when that is one of our
    /// addresses (`arp_announce` 0), else from the interface's address:
    /// broadcast, or sent to `known` (a PROBE's unicast request).
    fn arp_solicit(
        &mut self,
        now: Instant,
        oif: IfIndex,
        target: Ipv4Addr,
        src: Ipv4Addr,
        known: Option<EthernetAddress>,
        tx: &mut dyn Tx,
    ) {
        let Some(iface) = self.iface(oif) else { return };
        let saddr = if self.is_local_addr(src) { Some(src) } else { iface.select_addr(target) };
        let Some(saddr) = saddr else { return };
        let request = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: iface.mac,
            source_protocol_addr: saddr,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: target,
        };
        let mut frame = [0u8; 14 + 28];
        frame[..6].copy_from_slice(&known.map_or([0xff; 6], |m| m.0));
        frame[6..12].copy_from_slice(&iface.mac.0);
        frame[12..14].copy_from_slice(&u16::from(EtherType::Arp).to_be_bytes());
        request.emit(&mut ArpPacket::new_unchecked(&mut frame[14..]));
        super::bridge::dev_xmit(self.bridge.as_ref(), &self.ifaces, now, iface, &frame, tx);
        self.stats.link.arp_requests += 1;
    }

    /// `ip` was just learned: what waited for it leaves.
    pub(super) fn neigh_flush(&mut self, ip: Ipv4Addr, now: Instant, tx: &mut dyn Tx) {
        let (Some(waiting), Some(mac)) = (self.neigh.incomplete.remove(&ip), self.neigh.lookup(ip)) else { return };
        let Some(iface) = self.iface(waiting.oif) else { return };
        let mut frame = Vec::new();
        for q in waiting.queue {
            frame.clear();
            frame.extend_from_slice(&mac.0);
            frame.extend_from_slice(&iface.mac.0);
            frame.extend_from_slice(&u16::from(EtherType::Ipv4).to_be_bytes());
            frame.extend_from_slice(&q.packet);
            super::bridge::dev_xmit(self.bridge.as_ref(), &self.ifaces, now, iface, &frame, tx);
        }
    }

    /// Runs resolution timers due by `now`: another request, or failure;
    /// and the ageing of resolved neighbours.
    pub(super) fn neigh_timers(&mut self, now: Instant, tx: &mut dyn Tx) {
        for step in self.neigh.age(now) {
            match step {
                NeighStep::Probe { ip, mac, oif } => {
                    self.arp_solicit(now, oif, ip, Ipv4Addr::UNSPECIFIED, Some(mac), tx);
                }
                NeighStep::Failed(ip) => {
                    self.stats.link.neigh_failures += 1;
                    self.neigh.failures.push((now, ip));
                }
            }
        }
        let due: Vec<Ipv4Addr> =
            self.neigh.incomplete.iter().filter(|(_, n)| n.next_at <= now).map(|(ip, _)| *ip).collect();
        for ip in due {
            let n = self.neigh.incomplete.get_mut(&ip).expect("listed above");
            let at = n.next_at;
            if n.probes < self.neigh.parms.mcast_solicit {
                n.probes += 1;
                n.next_at = crate::kernel::timer::fires_at(at, self.neigh.parms.retrans);
                let (oif, src) = (n.oif, n.queue.front().map(|q| Ipv4Packet::new_unchecked(&q.packet[..]).src_addr()));
                self.arp_solicit(at, oif, ip, src.unwrap_or(Ipv4Addr::UNSPECIFIED), None, tx);
                continue;
            }
            let failed = self.neigh.incomplete.remove(&ip).expect("listed above");
            self.stats.link.neigh_failures += 1;
            self.neigh.failures.push((at, ip));
            for q in failed.queue {
                let mut skb = Skb::default();
                skb.load(at, &q.packet);
                skb.iif = q.iif;
                skb.pkt_type = if q.iif.is_some() { PktType::Host } else { PktType::Outgoing };
                self.icmp_send(&skb, at, icmp::types::DEST_UNREACH, icmp::unreach::HOST_UNREACH, 0, tx);
            }
        }
    }
}
