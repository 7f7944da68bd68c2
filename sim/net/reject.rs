//! Sending what REJECT asks for: the reply is built as `nf_reject_ipv4`
//! builds it, then leaves like any packet the box originates (route, OUTPUT,
//! POSTROUTING). ICMP replies go through `icmp_send`'s rate limits, as
//! `nf_send_unreach` hands them to `icmp_send`; resets are not limited.

use super::host::Host;
use super::outcome::{Reply, Tx};
use crate::engine::Instant;
use crate::kernel::Sysctl;
use crate::netfilter::Hook;
use crate::skb::{PktType, Skb};
use crate::wire::{Ipv4Packet, icmp};
use crate::xt::targets::reject::RejectWith;
use crate::xt::targets::reject_build::{self, Csum, Offending, ReplyRoute};

impl Host {
    pub(super) fn send_reject(
        &mut self,
        skb: &Skb,
        hook: Hook,
        with: RejectWith,
        now: Instant,
        tx: &mut dyn Tx,
    ) -> Option<Reply> {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let route_bcast = dst.is_broadcast() || dst.is_multicast() || self.local.is_subnet_broadcast(dst);
        let offending = Offending {
            ip: skb.data(),
            hook,
            csum: if skb.pkt_type == PktType::Outgoing { Csum::Partial } else { Csum::None },
            to_host: matches!(skb.pkt_type, PktType::Host | PktType::Outgoing),
            route_bcast,
            route_local: self.is_local_addr(dst),
        };
        let back = self.routes.lookup(src)?;
        let dev = self.iface(back.dev?)?;
        let route = ReplyRoute {
            src: dev.select_addr(back.next_hop(src))?,
            mtu: dev.mtu as u32,
            ttl: self.sysctl.get(Sysctl::IpDefaultTtl) as u8,
        };
        let to_loopback = dev.is_loopback();
        if let Some(code) = with.icmp_code()
            && !self.icmp_allowed(now, src, icmp::types::DEST_UNREACH, code, to_loopback)
        {
            return Some(Reply::RateLimited);
        }
        let ipid = &mut self.ipid;
        let reply = reject_build::build(with, &offending, &route, &mut |s, d| ipid.select(now, s, d, 1, false)).ok()?;
        self.out.load(now, &reply);
        // nf_ct_attach: the reply belongs to the rejected packet's entry.
        self.out.nfct = super::icmp::related_to(skb.nfct);
        if !self.local_out(now, tx) {
            return None;
        }
        Some(match with.icmp_code() {
            Some(code) => {
                self.count_icmp_out(icmp::types::DEST_UNREACH);
                Reply::IcmpError(icmp::types::DEST_UNREACH, code)
            }
            None => Reply::TcpReset,
        })
    }
}
