//! One box: its configuration, and the receive path up to the routing
//! decision (`ip_rcv`, `ip_rcv_finish`, `ip_route_input`).

use super::addr::is_multicast;
use super::defrag::{Defrag, Reasm};
use super::iface::{IfName, Iface, IfaceSpec, LOOPBACK};
use super::ipid::IpIdents;
use super::neigh::Neighbours;
use super::outcome::{DropReason, Fate, Outcome, Reply, Tx};
use super::ratelimit::IcmpLimits;
use super::route::{LocalTable, RouteSpec, RouteTable, RouteType};
use super::stats::Stats;
use crate::engine::{Instant, Rng};
use crate::kernel::{Sysctl, Sysctls};
use crate::netfilter::{Hook, HookCtx, HookVerdict, Netfilter};
use crate::skb::{IfIndex, PktType, Skb};
use crate::wire::{EtherType, EthernetAddress, Ipv4Packet, icmp};
use std::net::Ipv4Addr;

/// Everything that configures a box.
#[derive(Clone, Debug, Default)]
pub struct HostConfig {
    /// Name, for messages.
    pub name: String,
    /// Interfaces besides `lo`, in index order (2, 3, ...).
    pub ifaces: Vec<IfaceSpec>,
    /// Static and default routes.
    pub routes: Vec<RouteSpec>,
    /// `KEY=VALUE` sysctl lines.
    pub sysctls: Vec<String>,
    /// Permanent neighbour entries.
    pub neighbours: Vec<(Ipv4Addr, EthernetAddress)>,
    /// Seed of the box's random streams.
    pub seed: u64,
    /// The iptables rules (empty: no table registered).
    pub ruleset: crate::ruleset::Ruleset,
    /// The box's network namespace inode when it is not the initial
    /// namespace (a box in a container); `None` for a whole machine.
    pub netns: Option<u32>,
    /// A bridge over some of the interfaces (its device is one of them).
    pub bridge: Option<super::bridge::BridgeSpec>,
    /// The Linux the box behaves as.
    pub profile: crate::kernel::Profile,
}

/// One box: a network namespace with its stack and netfilter.
#[derive(Debug)]
pub struct Host {
    /// Name, for messages.
    pub name: String,
    pub(super) ifaces: Vec<Iface>,
    pub(super) routes: RouteTable,
    pub(super) local: LocalTable,
    /// Neighbour table.
    pub neigh: Neighbours,
    /// Sysctls.
    pub sysctl: Sysctls,
    /// Netfilter state: tables, conntrack, NAT.
    pub netfilter: Netfilter,
    /// Counters.
    pub stats: Stats,
    /// The kernel log.
    pub klog: crate::klog::Klog,
    /// `net_ratelimit()`'s state (`net.core.message_cost` 5 s, burst 10).
    pub(super) net_ratelimit: crate::klog::RateLimit,
    /// Endpoints of the box's applications, and what was delivered to them.
    pub sockets: super::sockets::Sockets,
    /// What a REJECT sent for the packet being handled.
    pub(super) pending_reply: Option<Reply>,
    pub(super) limits: IcmpLimits,
    pub(super) defrag: Defrag,
    /// `nf_defrag_ipv4`'s queues: with conntrack, PREROUTING reassembles first.
    pub(super) defrag_ct: Defrag,
    pub(super) ipid: IpIdents,
    /// The packet being received; kept to reuse its buffer. Boxed, so
    /// lending it out while the box handles it moves a pointer, not the
    /// whole `Skb` (twice per packet).
    pub(super) skb: Option<Box<Skb>>,
    /// The datagram the last received fragment completed, if it completed
    /// one (empty otherwise): what the hooks saw in its stead.
    pub reassembled: Vec<u8>,
    /// Scratch for packets the box originates (replies, errors, fragments).
    pub(super) out: Skb,
    pub(super) frag: Skb,
    /// The box's bridge, if it has one.
    pub(super) bridge: Option<super::bridge::Bridge>,
    /// Kernel modules loaded by `modprobe` (module parameters apply only
    /// at a module's first load).
    pub modules: Vec<String>,
    /// Multicast groups joined, per interface.
    pub(super) mc: super::mcast::Memberships,
    /// Files the box's programs read, by path (`/etc/resolv.conf`,
    /// `/etc/hosts`), as the scenario's shell wrote them; a missing one
    /// reads as the program's default.
    pub files: std::collections::BTreeMap<String, String>,
}

impl Host {
    /// Builds a box, refusing bad configuration with the words of the tool
    /// that would refuse it (`ip`, `sysctl`).
    pub fn new(config: &HostConfig) -> Result<Host, String> {
        let mut ifaces = vec![Iface::loopback()];
        for (i, spec) in config.ifaces.iter().enumerate() {
            if ifaces.iter().any(|x| x.name == spec.name) {
                return Err(format!("interface \"{}\" given twice", spec.name));
            }
            let index = i as IfIndex + 2;
            let mac = spec.mac.unwrap_or(EthernetAddress([0x02, 0, 0, 0, 0, index as u8]));
            ifaces.push(Iface::new(
                index,
                &spec.name,
                mac,
                spec.mac.is_some(),
                spec.addrs.clone(),
                spec.mtu.unwrap_or(1500),
            ));
        }
        // VLAN devices (`eth0.42`) hang off their parent.
        for i in 0..ifaces.len() {
            if let Some((parent, vid)) = ifaces[i].name.rsplit_once('.')
                && let (Some(p), Ok(vid)) = (ifaces.iter().find(|x| x.name == parent), vid.parse::<u16>())
                && (1..4095).contains(&vid)
            {
                ifaces[i].vlan = Some((p.index, vid));
            }
        }
        let mut routes = RouteTable::default();
        routes.sync_connected(&ifaces);
        for spec in &config.routes {
            routes.add(spec, &ifaces)?;
        }
        let mut sysctl = Sysctls::default();
        sysctl.set_profile(config.profile);
        for line in &config.sysctls {
            sysctl.apply(line).map_err(|e| e.to_string())?;
        }
        let mut neigh = Neighbours::default();
        for (ip, mac) in &config.neighbours {
            neigh.add_permanent(*ip, *mac);
        }
        let rng = Rng::new(config.seed).fork(&format!("host:{}", config.name));
        neigh.rng = Some(rng.fork("neigh-reachable"));
        let netfilter = Netfilter::new(config.ruleset.clone(), &sysctl, &rng, config.netns);
        let bridge = config.bridge.as_ref().map(|b| super::bridge::Bridge::new(b, &ifaces)).transpose()?;
        Ok(Host {
            bridge,
            modules: Vec::new(),
            mc: Default::default(),
            files: Default::default(),
            name: config.name.clone(),
            local: LocalTable::new(&ifaces),
            ifaces,
            routes,
            neigh,
            sysctl,
            netfilter,
            stats: Stats::default(),
            klog: crate::klog::Klog::new(Instant::ZERO),
            pending_reply: None,
            net_ratelimit: crate::klog::RateLimit::net(),
            sockets: Default::default(),
            limits: IcmpLimits::new(rng.fork("icmp-global")),
            defrag: Defrag::default(),
            defrag_ct: Defrag::default(),
            ipid: IpIdents::new(rng.fork("ip-ident")),
            skb: Some(Box::default()),
            reassembled: Vec::new(),
            out: Skb::default(),
            frag: Skb::default(),
        })
    }

    /// Every interface, `lo` first.
    pub fn ifaces(&self) -> &[Iface] {
        &self.ifaces
    }

    /// The interface with index `index`.
    pub fn iface(&self, index: IfIndex) -> Option<&Iface> {
        self.ifaces.get((index as usize).wrapping_sub(1))
    }

    /// The interface named `name`.
    pub fn iface_by_name(&self, name: &str) -> Option<&Iface> {
        self.ifaces.iter().find(|i| i.name == name)
    }

    /// The routing table.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// True when `ip` is one of the box's own addresses.
    #[inline]
    pub fn is_local_addr(&self, ip: Ipv4Addr) -> bool {
        self.local.is_local(ip)
    }

    /// True when `ip` is a broadcast address of one of the box's subnets.
    fn is_local_broadcast(&self, ip: Ipv4Addr) -> bool {
        ip.is_broadcast() || self.local.is_subnet_broadcast(ip)
    }

    /// A frame arrives on interface `iif` at `now`. Whatever the box sends in
    /// consequence (the forwarded packet, ICMP errors, replies) goes to `tx`.
    pub fn receive(&mut self, now: Instant, iif: IfIndex, frame: &[u8], tx: &mut dyn Tx) -> Outcome {
        self.netfilter.begin_packet();
        self.reassembled.clear();
        // Taken out while the box works on it (a packet the box receives
        // while handling this one, on `lo`, gets a fresh one).
        let mut skb = self.skb.take().unwrap_or_default();
        let outcome = self.receive_into(&mut skb, now, iif, frame, tx);
        self.netfilter.packet_done(&mut skb);
        self.skb = Some(skb);
        outcome
    }

    /// Runs the box's timers due by `now` (fragment queues expiring). A
    /// replay calls it before each packet, with the packet's time.
    pub fn advance(&mut self, now: Instant, tx: &mut dyn Tx) {
        if let Some(ct) = &mut self.netfilter.conntrack {
            ct.expire(now);
        }
        // Called before every replayed packet, when almost always nothing
        // else is due: asking costs a few compares, and the frame of the
        // work below is paid only when there is some.
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.neigh.next_timer()) || due(self.defrag.next_expiry()) || due(self.defrag_ct.next_expiry()) {
            self.run_host_timers(now, tx);
        }
    }

    /// [`Host::advance`]'s work past conntrack, in its order: neighbour
    /// timers, then fragment queues.
    #[inline(never)]
    fn run_host_timers(&mut self, now: Instant, tx: &mut dyn Tx) {
        if self.neigh.next_timer().is_some_and(|t| t <= now) {
            self.neigh_timers(now, tx);
        }
        let due = |d: &Defrag| d.next_expiry().is_some_and(|t| t <= now);
        if !due(&self.defrag) && !due(&self.defrag_ct) {
            return;
        }
        let mut expired = self.defrag.expire(now, &mut self.stats.ip);
        expired.extend(self.defrag_ct.expire(now, &mut self.stats.ip));
        expired.sort_by_key(|e| e.at);
        let mut skb = self.skb.take().unwrap_or_default();
        for expired in expired {
            skb.load(expired.at, &expired.first);
            skb.iif = expired.iif;
            skb.pkt_type = PktType::Host;
            // ip_expire: only an end host says so (RFC 792): the datagram was for us.
            if self.is_local_addr(Ipv4Packet::new_unchecked(skb.data()).dst_addr()) {
                self.icmp_send(
                    &skb,
                    expired.at,
                    crate::wire::icmp::types::TIME_EXCEEDED,
                    crate::wire::icmp::time_exceeded::FRAG_TIME,
                    0,
                    tx,
                );
            }
        }
        self.skb = Some(skb);
    }

    /// When [`Host::advance`] next has work: a connection expiring, a
    /// fragment queue timing out, a neighbour to solicit again. A
    /// simulator sleeps until then.
    pub fn next_timer(&self) -> Option<Instant> {
        let ct = self.netfilter.conntrack.as_ref().and_then(|c| c.next_expiry());
        [ct, self.defrag.next_expiry(), self.defrag_ct.next_expiry(), self.neigh.next_timer()]
            .into_iter()
            .flatten()
            .min()
    }

    fn receive_into(&mut self, skb: &mut Skb, now: Instant, iif: IfIndex, frame: &[u8], tx: &mut dyn Tx) -> Outcome {
        if self.bridge.as_ref().is_some_and(|b| b.is_port(iif)) {
            return self.bridge_rcv(skb, now, iif, frame, tx);
        }
        self.receive_on(skb, now, iif, frame, tx)
    }

    /// True when `iface` is a bridge device (it has no wire of its own).
    pub fn is_bridge_dev(&self, iface: IfIndex) -> bool {
        self.bridge.as_ref().is_some_and(|b| b.dev == iface)
    }

    /// `netif_receive_skb` on `iif` itself (for a bridge device: what the
    /// bridge passes up to the box).
    pub(super) fn receive_on(
        &mut self,
        skb: &mut Skb,
        now: Instant,
        iif: IfIndex,
        frame: &[u8],
        tx: &mut dyn Tx,
    ) -> Outcome {
        let Ok(l2) = crate::wire::parse_l2(frame) else {
            return Outcome::drop(DropReason::Malformed("ethernet header"));
        };
        let Some(iface) = self.iface(iif) else {
            return Outcome::drop(DropReason::InterfaceDown);
        };
        // A tagged frame belongs to the VLAN device for its (outer) tag.
        let iface = if l2.vlan_count > 0 {
            let vid = l2.vlans[0];
            match self.ifaces.iter().find(|i| i.vlan == Some((iface.index, vid))) {
                Some(dev) => dev,
                None => return Outcome::drop(DropReason::NoVlanDevice(vid)),
            }
        } else {
            iface
        };
        if !iface.up {
            return Outcome::drop(DropReason::InterfaceDown);
        }
        let pkt_type = if l2.dst == iface.mac {
            PktType::Host
        } else if l2.dst.is_broadcast() {
            PktType::Broadcast
        } else if l2.dst.is_multicast() {
            PktType::Multicast
        } else if iface.mac_given {
            PktType::OtherHost
        } else {
            PktType::Host
        };
        let iif = iface.index;
        let payload = &frame[l2.payload_offset..];
        match l2.ethertype {
            EtherType::Ipv4 => {}
            EtherType::Arp => return self.arp_rcv(now, iif, payload, tx),
            other => {
                self.stats.link.non_ipv4 += 1;
                return Outcome::drop(DropReason::Unsupported(other.into()));
            }
        }
        if pkt_type == PktType::OtherHost {
            self.stats.link.other_host += 1;
            return Outcome::drop(DropReason::OtherHost);
        }
        self.stats.ip.in_receives += 1;
        if let Err(reason) = self.ip_rcv_core(payload) {
            return Outcome::drop(reason);
        }
        let total_len = u16::from_be_bytes([payload[2], payload[3]]) as usize;
        skb.load(now, &payload[..total_len]);
        skb.iif = Some(iif);
        skb.pkt_type = pkt_type;
        skb.src_mac = l2.src;
        skb.dst_mac = l2.dst;
        skb.vlan = if l2.vlan_count > 0 { l2.vlans[0] } else { 0 };
        self.learn_neighbour(skb);
        // nf_defrag_ipv4 (priority -400) registers with conntrack: the hooks
        // and conntrack see whole datagrams.
        if self.netfilter.conntrack.is_some()
            && Ipv4Packet::new_unchecked(skb.data()).is_fragment()
            && let Some(held) = self.defrag_for_conntrack(skb, now)
        {
            return held;
        }

        if self.nf_hook(Hook::PreRouting, skb, now, tx) == HookVerdict::Drop {
            return self.nf_dropped(Hook::PreRouting);
        }
        self.route_input(skb, now, tx)
    }

    /// `nf_defrag_ipv4` on a fragment: queued, dropped (the outcome), or
    /// the datagram it completed loaded in its place (`None`). Out of line
    /// and cold: few packets are fragments, and its frame would cost the
    /// receive path of every other one.
    #[cold]
    #[inline(never)]
    fn defrag_for_conntrack(&mut self, skb: &mut Skb, now: Instant) -> Option<Outcome> {
        match self.defrag_ct.queue(skb.data(), skb.iif, now, &mut self.stats.ip) {
            Reasm::Queued => Some(Outcome { fate: Fate::Queued, reply: None }),
            Reasm::Dropped { why } => Some(Outcome::drop(DropReason::Reassembly(why))),
            Reasm::Complete { datagram, frag_max_size } => {
                self.reassembled.extend_from_slice(&datagram);
                let (iif, pkt_type, src_mac, dst_mac, vlan) =
                    (skb.iif, skb.pkt_type, skb.src_mac, skb.dst_mac, skb.vlan);
                skb.load(now, &datagram);
                (skb.iif, skb.pkt_type, skb.src_mac, skb.dst_mac, skb.vlan) = (iif, pkt_type, src_mac, dst_mac, vlan);
                skb.frag_max_size = frag_max_size;
                None
            }
        }
    }

    /// Runs netfilter's `hook` on `skb`, with the names of its interfaces.
    pub(super) fn nf_hook(&mut self, hook: Hook, skb: &mut Skb, now: Instant, tx: &mut dyn Tx) -> HookVerdict {
        // One test per direction gives both forms of the name.
        let dev = |i: Option<IfIndex>| {
            i.and_then(|i| self.ifaces.get(i as usize - 1))
                .map_or(("", &IfName::NONE), |x| (x.name.as_str(), &x.ifname))
        };
        let ((in_name, in_dev), (out_name, out_dev)) = (dev(skb.iif), dev(skb.oif));
        let ctx = HookCtx {
            in_name,
            out_name,
            in_dev,
            out_dev,
            local: &self.local,
            now,
            sysctls: &self.sysctl,
            addrs: Some(&super::masq::Addrs { ifaces: &self.ifaces, routes: &self.routes }),
        };
        let verdict = self.netfilter.run(hook, skb, &ctx);
        let effects = &self.netfilter.effects;
        // Most hooks leave no effect behind: three tests instead of emptying each.
        if effects.ct_log.is_some() || !effects.logs.is_empty() || effects.reject.is_some() {
            self.nf_effects(hook, verdict, skb, now, tx);
        }
        verdict
    }

    /// What a hook left to do besides its verdict: log lines, a REJECT's answer.
    /// Out of line and cold: inlined, its state made every hook call pay.
    #[cold]
    #[inline(never)]
    fn nf_effects(&mut self, hook: Hook, verdict: HookVerdict, skb: &mut Skb, now: Instant, tx: &mut dyn Tx) {
        if let Some(line) = self.netfilter.effects.ct_log.take()
            && self.net_ratelimit.net_ratelimit(now, 5, 10, &mut self.klog)
        {
            self.klog.printk(now, crate::klog::Level::Warning, &line);
        }
        for (level, line) in self.netfilter.effects.logs.drain(..) {
            let level = crate::klog::Level::from_number(level).unwrap_or(crate::klog::Level::Warning);
            self.klog.printk(now, level, &line);
        }
        if let Some(with) = self.netfilter.effects.reject.take()
            && verdict == HookVerdict::Drop
        {
            self.pending_reply = self.send_reject(skb, hook, with, now, tx);
        }
    }

    /// The outcome of a packet a hook dropped, with what a REJECT sent.
    pub(super) fn nf_dropped(&mut self, hook: Hook) -> Outcome {
        Outcome { fate: Fate::Dropped(DropReason::Netfilter(hook)), reply: self.pending_reply.take() }
    }

    /// `ip_rcv_core`: the header checks every IPv4 packet passes before PREROUTING.
    pub(super) fn ip_rcv_core(&mut self, payload: &[u8]) -> Result<(), DropReason> {
        let ip = Ipv4Packet::new_unchecked(payload);
        if payload.len() < 20 || ip.version() != 4 || ip.header_len() < 20 {
            self.stats.ip.in_hdr_errors += 1;
            return Err(DropReason::Malformed("ipv4 header"));
        }
        if payload.len() < ip.header_len() {
            self.stats.ip.in_hdr_errors += 1;
            return Err(DropReason::Malformed("ipv4 header"));
        }
        if !ip.verify_checksum() {
            self.stats.ip.in_csum_errors += 1;
            return Err(DropReason::Malformed("ipv4 header checksum"));
        }
        let total = ip.total_len() as usize;
        if payload.len() < total {
            self.stats.ip.in_truncated_pkts += 1;
            return Err(DropReason::Malformed("ipv4 total length exceeds the frame"));
        }
        if total < ip.header_len() {
            self.stats.ip.in_hdr_errors += 1;
            return Err(DropReason::Malformed("ipv4 total length shorter than its header"));
        }
        Ok(())
    }

    /// Neighbours are learned from frames whose source is on-link.
    fn learn_neighbour(&mut self, skb: &Skb) {
        if self.neigh.arp {
            return; // only ARP teaches MACs on a simulated network
        }
        let src = Ipv4Packet::new_unchecked(skb.data()).src_addr();
        if let Some(iface) = skb.iif.and_then(|i| self.iface(i))
            && iface.addrs.iter().any(|a| a.contains(src))
            && skb.src_mac.is_unicast()
        {
            self.neigh.learn(src, skb.src_mac);
        }
    }

    /// `ip_route_input`: local, broadcast, multicast, forward, or an error.
    pub(super) fn route_input(&mut self, skb: &mut Skb, now: Instant, tx: &mut dyn Tx) -> Outcome {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let iif = skb.iif.expect("received packets have an ingress interface");
        let from_lo = iif == LOOPBACK;
        if is_multicast(dst) {
            if is_multicast(src) || src.is_broadcast() {
                return self.martian(DropReason::MartianSource);
            }
            // ip_check_mc_rcu: a group joined on the ingress interface (all
            // hosts always) is delivered; without mrouted nothing is forwarded.
            if self.mc.joined(iif, dst) {
                return self.local_deliver(skb, now, true, tx);
            }
            return Outcome::drop(DropReason::MulticastNotJoined);
        }
        if is_multicast(src) || src.is_broadcast() {
            return self.martian(DropReason::MartianSource);
        }
        if dst.is_broadcast() || (src.is_unspecified() && dst.is_unspecified()) {
            return self.local_deliver(skb, now, true, tx);
        }
        // Only 0.0.0.0 itself is special since Linux 5.3; the rest of 0/8 is unicast.
        if src.is_unspecified() {
            return self.martian(DropReason::MartianSource);
        }
        if dst.is_unspecified() {
            return self.martian(DropReason::MartianDestination);
        }
        let localnet = self.sysctl.enabled(Sysctl::ConfAllRouteLocalnet);
        if !from_lo && !localnet && dst.is_loopback() {
            return self.martian(DropReason::MartianDestination);
        }
        if !from_lo && !localnet && src.is_loopback() {
            return self.martian(DropReason::MartianSource);
        }
        // fib_validate_source: our own address as source, and rp_filter.
        if !from_lo && self.is_local_addr(src) && !self.sysctl.enabled(Sysctl::ConfAllAcceptLocal) {
            return self.martian(DropReason::MartianSource);
        }
        if let Some(reason) = self.rp_filter(src, iif) {
            return self.martian(reason);
        }
        let local = self.is_local_addr(dst);
        if ip.header_len() > 20
            && let Some(dropped) = self.rcv_options(skb, local, now, tx)
        {
            return dropped;
        }
        if local {
            return self.local_deliver(skb, now, false, tx);
        }
        if self.is_local_broadcast(dst) {
            return self.local_deliver(skb, now, true, tx);
        }
        self.forward(skb, now, tx)
    }

    /// `ip_rcv_options`, after the routing decision: compiles the header's
    /// options in place (record route gets "spec_dst": the destination when
    /// it is ours, else the address facing the sender). Malformed options
    /// answer a parameter problem and drop the packet.
    #[cold]
    fn rcv_options(&mut self, skb: &mut Skb, local: bool, now: Instant, tx: &mut dyn Tx) -> Option<Outcome> {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let (src, dst, hlen) = (ip.src_addr(), ip.dst_addr(), ip.header_len());
        let spec_dst = if local {
            dst
        } else {
            let back = self.routes.lookup(src).and_then(|r| Some((r.dev?, r.next_hop(src))));
            back.and_then(|(dev, hop)| self.iface(dev)?.select_addr(hop))
                .or_else(|| skb.iif.and_then(|i| self.iface(i)).and_then(|i| i.select_addr(src)))
                .unwrap_or(Ipv4Addr::UNSPECIFIED)
        };
        match super::options::compile(&mut skb.data_mut()[..hlen], spec_dst) {
            Ok(opt) => {
                skb.ip_opt = opt;
                None
            }
            Err(at) => {
                self.stats.ip.in_hdr_errors += 1;
                let rest = u32::from(at) << 24;
                let reply = self.icmp_send(skb, now, icmp::types::PARAMETER_PROB, 0, rest, tx);
                Some(Outcome { fate: Fate::Dropped(DropReason::Malformed("ipv4 options")), reply })
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn martian(&mut self, reason: DropReason) -> Outcome {
        self.stats.ip.in_addr_errors += 1;
        Outcome::drop(reason)
    }

    /// Reverse-path filter: strict (1) wants the route back to `src` to use
    /// the ingress interface; loose (2) wants any route back.
    fn rp_filter(&self, src: Ipv4Addr, iif: IfIndex) -> Option<DropReason> {
        let mode = self.sysctl.get(Sysctl::ConfAllRpFilter);
        if mode <= 0 {
            return None;
        }
        match self.routes.lookup(src) {
            Some(r) if r.kind == RouteType::Unicast && (mode >= 2 || r.dev == Some(iif)) => None,
            _ => Some(DropReason::RpFilter),
        }
    }
}
