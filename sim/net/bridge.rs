//! A Linux bridge inside a box (`ip link add br0 type bridge`, ports
//! enslaved): MAC learning, forwarding by the forwarding database, flooding
//! of broadcast, multicast and unknown unicast, and the box's own stack
//! reached through the bridge device.
//!
//! With `net.bridge.bridge-nf-call-iptables=1` (br_netfilter), a bridged
//! IPv4 frame also traverses the iptables hooks, as br_netfilter_hooks.c
//! arranges it:
//!
//! - PREROUTING once, with `-i` the bridge and the ingress port recorded
//!   (`physindev`, `br_nf_pre_routing`);
//! - per egress port, FORWARD with `-i` and `-o` the bridge and the port
//!   known (`physoutdev`, `br_nf_forward_ip`), then POSTROUTING with `-o`
//!   the bridge (`br_nf_post_routing`);
//! - for a frame for the box itself, INPUT through the IP stack, which does
//!   not run PREROUTING again (`ip_sabotage_in`).
//!
//! Bridges do not route: no TTL decrement, the frame keeps its MACs. ARP
//! and other non-IPv4 frames are bridged without hooks (arptables and
//! ebtables are not modelled), as are VLAN-tagged frames
//! (`bridge-nf-filter-vlan-tagged` is 0 by default). Frames DNAT sends
//! elsewhere keep being bridged (the kernel would route them: not modelled).

use super::host::Host;
use super::iface::Iface;
use super::outcome::{DropReason, Fate, Outcome, Tx};
use crate::engine::{Duration, Instant};
use crate::kernel::Sysctl;
use crate::netfilter::{Hook, HookVerdict};
use crate::skb::{IfIndex, IfName, NfBridge, PktType, Skb};
use crate::wire::{EtherType, EthernetAddress, L2};
use std::collections::BTreeMap;

/// How long a learned MAC stays in the forwarding database (`ageing_time`,
/// 300 s by default).
const AGEING: Duration = Duration::from_secs(300);

/// What configures a bridge: its device and its ports, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BridgeSpec {
    /// The bridge device (an interface of the box, holding its addresses).
    pub dev: String,
    /// The enslaved interfaces.
    pub ports: Vec<String>,
}

/// One bridge: its device, its ports, and what it learned.
#[derive(Clone, Debug)]
pub struct Bridge {
    /// The bridge device's index.
    pub dev: IfIndex,
    /// The ports' indexes, in the order given.
    pub ports: Vec<IfIndex>,
    /// MAC → (port, last seen). A BTreeMap: listings come out in MAC order.
    fdb: BTreeMap<EthernetAddress, (IfIndex, Instant)>,
}

impl Bridge {
    /// A bridge of `spec` over the box's `ifaces`.
    pub fn new(spec: &BridgeSpec, ifaces: &[Iface]) -> Result<Bridge, String> {
        let index = |name: &str| {
            ifaces.iter().find(|i| i.name == name).map(|i| i.index).ok_or(format!("Cannot find device \"{name}\""))
        };
        let dev = index(&spec.dev)?;
        let ports = spec.ports.iter().map(|p| index(p)).collect::<Result<Vec<_>, _>>()?;
        if ports.contains(&dev) {
            return Err(format!("Error: Can not enslave a bridge to itself ({}).", spec.dev));
        }
        Ok(Bridge { dev, ports, fdb: BTreeMap::new() })
    }

    /// True when `iface` is one of the bridge's ports.
    pub fn is_port(&self, iface: IfIndex) -> bool {
        self.ports.contains(&iface)
    }

    /// `br_fdb_update`: a unicast source is reachable by `port`.
    pub fn learn(&mut self, mac: EthernetAddress, port: IfIndex, now: Instant) {
        if mac.is_unicast() {
            self.fdb.insert(mac, (port, now));
        }
    }

    /// The port a MAC was last seen on, unless it aged out.
    pub fn lookup(&self, mac: EthernetAddress, now: Instant) -> Option<IfIndex> {
        self.fdb.get(&mac).filter(|(_, seen)| now < *seen + AGEING).map(|(p, _)| *p)
    }

    /// The ports a frame to `dst` leaves by, having come in by `from`
    /// (`None`: sent by the box itself): the learned port, or every other
    /// port when the destination is group-addressed or unknown.
    pub fn egress(&self, from: Option<IfIndex>, dst: EthernetAddress, now: Instant) -> Vec<IfIndex> {
        if !dst.is_multicast()
            && let Some(port) = self.lookup(dst, now)
        {
            // A frame for a station behind its own port is filtered.
            return if Some(port) == from { Vec::new() } else { vec![port] };
        }
        self.ports.iter().copied().filter(|p| Some(*p) != from).collect()
    }
}

/// `br_dev_xmit`: a frame the box sends by `iface` leaves by the wire, or,
/// when `iface` is a bridge device, by the ports its forwarding database
/// picks.
pub(super) fn dev_xmit(
    bridge: Option<&Bridge>,
    ifaces: &[Iface],
    now: Instant,
    iface: &Iface,
    frame: &[u8],
    tx: &mut dyn Tx,
) {
    let Some(br) = bridge.filter(|b| b.dev == iface.index) else { return tx.transmit(now, iface, frame) };
    let dst = EthernetAddress(frame[..6].try_into().expect("an Ethernet header"));
    for port in br.egress(None, dst, now) {
        if let Some(p) = ifaces.iter().find(|i| i.index == port && i.up) {
            tx.transmit(now, p, frame);
        }
    }
}

impl Host {
    /// `br_handle_frame`: a frame arrives on bridge port `port`. Out of
    /// line, so that a box without a bridge does not carry it in its
    /// receive path.
    #[inline(never)]
    pub(super) fn bridge_rcv(
        &mut self,
        skb: &mut Skb,
        now: Instant,
        port: IfIndex,
        frame: &[u8],
        tx: &mut dyn Tx,
    ) -> Outcome {
        let Ok(l2) = crate::wire::parse_l2(frame) else {
            return Outcome::drop(DropReason::Malformed("ethernet header"));
        };
        let br = self.bridge.as_mut().expect("called for bridge ports");
        let dev = br.dev;
        let up = |i: Option<&Iface>| i.is_some_and(|i| i.up);
        if !up(self.iface(port)) || !up(self.iface(dev)) {
            return Outcome::drop(DropReason::InterfaceDown);
        }
        let br = self.bridge.as_mut().expect("called for bridge ports");
        br.learn(l2.src, port, now);
        let ours = self.ifaces.iter().any(|i| i.mac == l2.dst && (i.index == dev || br.is_port(i.index)));
        let to_local = ours || l2.dst.is_multicast();
        let out = if ours { Vec::new() } else { br.egress(Some(port), l2.dst, now) };
        let hooks =
            l2.ethertype == EtherType::Ipv4 && l2.vlan_count == 0 && self.sysctl.enabled(Sysctl::BridgeNfCallIptables);
        if !hooks {
            for q in &out {
                self.port_xmit(now, *q, frame, tx);
            }
            if to_local {
                let local = self.receive_on(skb, now, dev, frame, tx);
                if out.is_empty() || l2.ethertype == EtherType::Arp {
                    return local;
                }
            }
            return bridged(&out);
        }
        self.br_nf(skb, now, port, frame, &l2, to_local, &out, tx)
    }

    /// A bridged IPv4 frame through the iptables hooks (br_netfilter):
    /// PREROUTING once, FORWARD and POSTROUTING per egress port, and the
    /// box's own stack (routing, INPUT) when the frame is also for it.
    #[allow(clippy::too_many_arguments)]
    fn br_nf(
        &mut self,
        skb: &mut Skb,
        now: Instant,
        port: IfIndex,
        frame: &[u8],
        l2: &L2,
        to_local: bool,
        out: &[IfIndex],
        tx: &mut dyn Tx,
    ) -> Outcome {
        let payload = &frame[l2.payload_offset..];
        // br_validate_ipv4: the checks ip_rcv makes.
        if let Err(reason) = self.ip_rcv_core(payload) {
            return Outcome::drop(reason);
        }
        let dev = self.bridge.as_ref().expect("a bridge").dev;
        let total_len = u16::from_be_bytes([payload[2], payload[3]]) as usize;
        skb.load(now, &payload[..total_len]);
        skb.iif = Some(dev);
        // br_nf_pre_routing treats a frame for another station as ours
        // while the hooks run.
        skb.pkt_type = if l2.dst.is_broadcast() {
            PktType::Broadcast
        } else if l2.dst.is_multicast() {
            PktType::Multicast
        } else {
            PktType::Host
        };
        (skb.src_mac, skb.dst_mac) = (l2.src, l2.dst);
        skb.nf_bridge = Some(NfBridge { physin: IfName::new(self.iface_name(port)), physout: None });
        if self.nf_hook(Hook::PreRouting, skb, now, tx) == HookVerdict::Drop {
            return self.nf_dropped(Hook::PreRouting);
        }
        let mut sent = Vec::new();
        let mut dropped = None;
        for &q in out {
            let mut copy = skb.clone();
            copy.oif = Some(dev);
            copy.nf_bridge =
                Some(NfBridge { physout: Some(IfName::new(self.iface_name(q))), ..copy.nf_bridge.expect("set") });
            let mut refused = None;
            if self.nf_hook(Hook::Forward, &mut copy, now, tx) == HookVerdict::Drop {
                refused = Some(Hook::Forward);
            } else {
                // br_nf_post_routing calls the hook with no input device.
                copy.iif = None;
                if self.nf_hook(Hook::PostRouting, &mut copy, now, tx) == HookVerdict::Drop {
                    refused = Some(Hook::PostRouting);
                }
            }
            // The copies share the connection: the first to confirm it
            // confirms it for all (and for the packet itself).
            skb.nfct = copy.nfct;
            if let Some(hook) = refused {
                let outcome = self.nf_dropped(hook);
                dropped.get_or_insert(outcome);
                continue;
            }
            let mut header = [0u8; 14];
            header.copy_from_slice(&frame[..14]);
            let f = copy.push_link_header(&header).to_vec();
            self.port_xmit(now, q, &f, tx);
            sent.push(q);
        }
        if to_local {
            let local = self.route_input(skb, now, tx);
            if sent.is_empty() {
                return local;
            }
        }
        match dropped {
            Some(d) if sent.is_empty() => d,
            _ => bridged(&sent),
        }
    }

    /// A frame leaves by bridge port `port`, if it is up.
    fn port_xmit(&self, now: Instant, port: IfIndex, frame: &[u8], tx: &mut dyn Tx) {
        if let Some(i) = self.iface(port).filter(|i| i.up) {
            tx.transmit(now, i, frame);
        }
    }

    fn iface_name(&self, index: IfIndex) -> &str {
        self.iface(index).map_or("", |i| i.name.as_str())
    }

    /// FDB entries, as `bridge fdb show` lists learned ones.
    pub fn fdb_text(&self, now: Instant) -> String {
        let Some(br) = &self.bridge else { return String::new() };
        let dev = self.iface_name(br.dev);
        let mut out = String::new();
        for (mac, (port, seen)) in &br.fdb {
            if now < *seen + AGEING {
                out.push_str(&format!("{mac} dev {} master {dev}\n", self.iface_name(*port)));
            }
        }
        out
    }
}

/// The fate of a frame the bridge sent out of `ports`.
fn bridged(ports: &[IfIndex]) -> Outcome {
    match ports.first() {
        None => Outcome::drop(DropReason::BridgeFiltered),
        Some(_) => {
            let mask = ports.iter().fold(0u64, |m, p| m | 1u64.checked_shl(*p).unwrap_or(0));
            Outcome { fate: Fate::Bridged { ports: mask }, reply: None }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn bridge() -> Bridge {
        Bridge { dev: 4, ports: vec![2, 3], fdb: BTreeMap::new() }
    }

    #[test]
    fn learned_stations_get_their_port_others_are_flooded() {
        let mut br = bridge();
        let a = EthernetAddress([2, 0, 0, 0, 0, 1]);
        let t = Instant::ZERO;
        assert_eq!(br.egress(Some(2), a, t), vec![3]);
        br.learn(a, 3, t);
        assert_eq!(br.egress(Some(2), a, t), vec![3]);
        assert_eq!(br.egress(Some(3), a, t), Vec::<IfIndex>::new());
        assert_eq!(br.egress(None, EthernetAddress([0xff; 6]), t), vec![2, 3]);
        // Forgotten after the ageing time.
        assert_eq!(br.egress(Some(3), a, t + AGEING), vec![2]);
    }

    #[test]
    fn group_sources_are_never_learned() {
        let mut br = bridge();
        br.learn(EthernetAddress([0xff; 6]), 2, Instant::ZERO);
        assert!(br.fdb.is_empty());
    }
}
