//! `ip_forward`: what happens to a packet routed through the box, between the
//! routing decision and POSTROUTING.
//!
//! Order as in the kernel: forwarding enabled (else a silent drop, as
//! `ip_error` does when the ingress device does not forward), route type, the
//! frame was unicast to us, TTL (≤ 1 answers time-exceeded), MTU with DF
//! (answers fragmentation-needed), TTL decrement with an incremental checksum
//! update, then the FORWARD hook.

use super::host::Host;
use super::outcome::{DropReason, Fate, Outcome, Reply, Tx};
use super::ratelimit::HZ;
use super::route::RouteType;
use crate::engine::Instant;
use crate::kernel::Sysctl;
use crate::netfilter::{Hook, HookVerdict};
use crate::skb::{IfIndex, IpOpt, PktType, Skb};
use crate::wire::{Ipv4Packet, checksum, icmp};
use std::net::Ipv4Addr;

impl Host {
    pub(super) fn forward(&mut self, skb: &mut Skb, now: Instant, tx: &mut dyn Tx) -> Outcome {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let dst = ip.dst_addr();
        let Some(route) = self.routes.lookup(dst).cloned() else {
            return self.ip_error(skb, now, DropReason::NoRoute, icmp::unreach::NET_UNREACH, tx);
        };
        match route.kind {
            RouteType::Unicast => {}
            RouteType::Blackhole => return Outcome::drop(DropReason::Blackhole),
            RouteType::Unreachable => {
                return self.ip_error(skb, now, DropReason::Unreachable, icmp::unreach::HOST_UNREACH, tx);
            }
            RouteType::Prohibit => {
                return self.ip_error(skb, now, DropReason::Prohibit, icmp::unreach::ADMIN_PROHIBITED, tx);
            }
        }
        if !self.sysctl.enabled(Sysctl::IpForward) {
            self.stats.ip.in_addr_errors += 1;
            return Outcome::drop(DropReason::ForwardingDisabled);
        }
        if skb.pkt_type != PktType::Host {
            self.stats.ip.in_discards += 1;
            return Outcome::drop(DropReason::NotForwardable);
        }
        let oif = route.dev.expect("unicast routes have a device");
        let mtu = self.iface(oif).map_or(1500, |i| i.mtu);
        if ip.ttl() <= 1 {
            self.stats.ip.in_hdr_errors += 1;
            let reply = self.icmp_send(skb, now, icmp::types::TIME_EXCEEDED, icmp::time_exceeded::TTL, 0, tx);
            return Outcome { fate: Fate::Dropped(DropReason::TtlExceeded), reply };
        }
        // ip_exceeds_mtu: a reassembled datagram is judged by its largest fragment.
        let too_big = if skb.frag_max_size != 0 { skb.frag_max_size > mtu } else { skb.len() > mtu as usize };
        if too_big && ip.dont_frag() {
            self.stats.ip.frag_fails += 1;
            let reply = self.icmp_send(skb, now, icmp::types::DEST_UNREACH, icmp::unreach::FRAG_NEEDED, mtu as u32, tx);
            return Outcome { fate: Fate::Dropped(DropReason::FragNeeded), reply };
        }
        decrease_ttl(skb);
        let next_hop = route.next_hop(dst);
        // Only a packet leaving by the interface it came in on can ask for a
        // redirect: the rest skip the call.
        let reply = if skb.iif == Some(oif) { self.maybe_redirect(skb, now, oif, next_hop, tx) } else { None };
        skb.oif = Some(oif);
        if self.nf_hook(Hook::Forward, skb, now, tx) == HookVerdict::Drop {
            return self.nf_dropped(Hook::Forward);
        }
        // ip_forward_finish → ip_forward_options, for a header with options.
        if skb.ip_opt != IpOpt::default() {
            let egress_src = self.iface(oif).and_then(|i| i.select_addr(next_hop)).unwrap_or(Ipv4Addr::UNSPECIFIED);
            let hlen = Ipv4Packet::new_unchecked(skb.data()).header_len();
            let opt = skb.ip_opt;
            super::options::forward(&mut skb.data_mut()[..hlen], opt, egress_src);
        }
        self.stats.ip.forw_datagrams += 1;
        match self.output(skb, now, oif, next_hop, tx) {
            Ok(()) => Outcome { fate: Fate::Forwarded { oif }, reply },
            Err(reason) => Outcome::drop(reason),
        }
    }

    /// `ip_error`: an input route that cannot deliver. It answers with an
    /// ICMP unreachable, paced per sender (burst 5·HZ, cost HZ) before
    /// `icmp_send`'s own limits.
    #[cold]
    fn ip_error(&mut self, skb: &Skb, now: Instant, reason: DropReason, code: u8, tx: &mut dyn Tx) -> Outcome {
        if !self.sysctl.enabled(Sysctl::IpForward) {
            self.stats.ip.in_addr_errors += 1;
            return Outcome::drop(if reason == DropReason::NoRoute { DropReason::ForwardingDisabled } else { reason });
        }
        if reason == DropReason::NoRoute {
            self.stats.ip.in_no_routes += 1;
        }
        let src = Ipv4Packet::new_unchecked(skb.data()).src_addr();
        let reply = if self.limits.peer_allow(src, now, HZ, 5 * HZ) {
            self.icmp_send(skb, now, icmp::types::DEST_UNREACH, code, 0, tx)
        } else {
            Some(Reply::RateLimited)
        };
        Outcome { fate: Fate::Dropped(reason), reply }
    }
}

impl Host {
    /// A packet leaving by the interface it came in on, from a sender on that
    /// link, to a next hop also on it: the sender could have gone there
    /// directly, so the box tells it (ICMP host redirect, `send_redirects`),
    /// paced as `ip_rt_send_redirect` paces them. The packet is still forwarded.
    fn maybe_redirect(
        &mut self,
        skb: &Skb,
        now: Instant,
        oif: IfIndex,
        next_hop: Ipv4Addr,
        tx: &mut dyn Tx,
    ) -> Option<Reply> {
        if skb.iif != Some(oif) || !self.sysctl.enabled(Sysctl::ConfAllSendRedirects) {
            return None;
        }
        let src = Ipv4Packet::new_unchecked(skb.data()).src_addr();
        let iface = self.iface(oif)?;
        let onlink = |ip: Ipv4Addr| iface.addrs.iter().any(|a| a.contains(ip));
        if !onlink(src) || !onlink(next_hop) {
            return None;
        }
        if !self.limits.redirect_allow(src, now) {
            return None;
        }
        self.icmp_send(skb, now, icmp::types::REDIRECT, icmp::redirect::HOST, u32::from(next_hop), tx)
    }
}

/// `ip_decrease_ttl`: one less hop, checksum patched in place (RFC 1624).
/// Straight on the header's bytes (TTL and protocol share word 4, the
/// checksum is word 5): the header was checked at `ip_rcv`.
#[inline]
fn decrease_ttl(skb: &mut Skb) {
    let Some(h) = skb.data_mut().get_mut(..12) else { return };
    let (ttl, proto) = (h[8], h[9]);
    let old_word = u16::from_be_bytes([ttl, proto]);
    let new_word = u16::from_be_bytes([ttl - 1, proto]);
    h[8] = ttl - 1;
    let csum = checksum::update16(u16::from_be_bytes([h[10], h[11]]), old_word, new_word);
    h[10..12].copy_from_slice(&csum.to_be_bytes());
}
