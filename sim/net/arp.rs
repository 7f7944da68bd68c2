//! ARP: counted, and requests for one of the receiving interface's addresses
//! answered (`arp_process`), which also teaches the box the sender's MAC.

use super::host::Host;
use super::outcome::{DropReason, Fate, Outcome, Reply, Tx};
use crate::engine::Instant;
use crate::skb::IfIndex;
use crate::wire::{ArpOperation, ArpPacket, ArpRepr, EtherType};

impl Host {
    /// Out of line: ARP frames are few beside the IPv4 ones whose receive
    /// path it would otherwise widen.
    #[inline(never)]
    pub(super) fn arp_rcv(&mut self, now: Instant, iif: IfIndex, payload: &[u8], tx: &mut dyn Tx) -> Outcome {
        self.stats.link.arp_in += 1;
        let Ok(repr) = ArpPacket::new_checked(payload).and_then(|p| ArpRepr::parse(&p)) else {
            return Outcome::drop(DropReason::Malformed("arp"));
        };
        let ArpRepr::EthernetIpv4 {
            operation, source_hardware_addr, source_protocol_addr, target_protocol_addr, ..
        } = repr;
        let Some(iface) = self.iface(iif) else {
            return Outcome::drop(DropReason::InterfaceDown);
        };
        let ours = iface.addrs.iter().any(|a| a.addr == target_protocol_addr);
        if !ours || source_hardware_addr.is_multicast() {
            return Outcome { fate: Fate::Arp, reply: None };
        }
        if self.neigh.arp {
            let reply = operation == ArpOperation::Reply;
            self.neigh.update(source_protocol_addr, source_hardware_addr, iif, reply, now);
        } else {
            self.neigh.learn(source_protocol_addr, source_hardware_addr);
        }
        self.neigh_flush(source_protocol_addr, now, tx);
        let iface = self.iface(iif).expect("looked up above");
        if operation != ArpOperation::Request {
            return Outcome { fate: Fate::Arp, reply: None };
        }
        let reply = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: iface.mac,
            source_protocol_addr: target_protocol_addr,
            target_hardware_addr: source_hardware_addr,
            target_protocol_addr: source_protocol_addr,
        };
        let mut frame = [0u8; 14 + 28];
        frame[..6].copy_from_slice(&source_hardware_addr.0);
        frame[6..12].copy_from_slice(&iface.mac.0);
        frame[12..14].copy_from_slice(&u16::from(EtherType::Arp).to_be_bytes());
        reply.emit(&mut ArpPacket::new_unchecked(&mut frame[14..]));
        super::bridge::dev_xmit(self.bridge.as_ref(), &self.ifaces, now, iface, &frame, tx);
        self.stats.link.arp_replies += 1;
        Outcome { fate: Fate::Arp, reply: Some(Reply::ArpReply) }
    }
}
