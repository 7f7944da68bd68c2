//! `icmp_send`: the ICMP errors the box originates, with the kernel's rules
//! on when not to send one and its rate limits.
//!
//! No error answers an error, a fragment other than the first, a packet to a
//! broadcast or multicast address, or a frame that was not unicast to us. The
//! error quotes the offending datagram from its IP header on, as much as fits
//! in 576 bytes. Its source is the address the packet was sent to when that
//! is ours, else the address of the interface the route back leaves by
//! (`icmp_errors_use_inbound_ifaddr` picks the ingress interface instead).

use super::host::Host;
use super::options::Echo;
use super::outcome::{Reply, Tx};
use super::ratelimit::ms_to_jiffies;
use crate::conntrack::{CtDir, CtInfo};
use crate::engine::Instant;
use crate::kernel::Sysctl;
use crate::skb::{Nfct, PktType, Skb};
use crate::wire::{IcmpPacket, IpProtocol, Ipv4Packet, icmp};
use std::net::Ipv4Addr;

/// Largest ICMP error datagram (RFC 1812 4.3.2.3, `576` in `icmp_send`).
const MAX_ERROR_LEN: usize = 576;

/// TOS of ICMP errors: the original's TOS bits with precedence "internet control".
const IPTOS_PREC_INTERNETCONTROL: u8 = 0xc0;

impl Host {
    /// Sends ICMP `msg_type`/`code` about `skb` (with `rest` as the
    /// second header word), if the kernel would. Returns what was sent.
    pub(super) fn icmp_send(
        &mut self,
        skb: &Skb,
        now: Instant,
        msg_type: u8,
        code: u8,
        rest: u32,
        tx: &mut dyn Tx,
    ) -> Option<Reply> {
        let orig = Ipv4Packet::new_unchecked(skb.data());
        let (src, dst) = (orig.src_addr(), orig.dst_addr());
        if skb.pkt_type != PktType::Host && skb.pkt_type != PktType::Outgoing {
            return None;
        }
        if super::addr::is_multicast(dst) || dst.is_broadcast() || self.local.is_subnet_broadcast(dst) {
            return None;
        }
        if orig.frag_offset() != 0 {
            return None;
        }
        if orig.next_header() == IpProtocol::Icmp {
            let inner = orig.payload();
            // An error never answers an error, nor a type the kernel does not know.
            if inner.is_empty() || inner[0] > icmp::types::ADDRESS_REPLY || icmp::is_error(inner[0]) {
                return None;
            }
        }
        if src.is_unspecified() || super::addr::is_multicast(src) || src.is_broadcast() {
            return None;
        }
        // The route back decides the source address and the path; back to
        // one of the box's own addresses it is the local table's, via lo.
        let (back_dev, next_hop) = if self.is_local_addr(src) {
            (super::iface::LOOPBACK, src)
        } else {
            let route = self.routes.lookup(src)?;
            (route.dev?, route.next_hop(src))
        };
        let saddr = if self.is_local_addr(dst) {
            dst
        } else if back_dev == super::iface::LOOPBACK {
            // A local route with no preferred source: the destination itself.
            src
        } else if self.sysctl.enabled(Sysctl::IcmpErrorsUseInboundIfaddr) {
            skb.iif.and_then(|i| self.iface(i)).and_then(|i| i.primary_addr())?
        } else {
            self.iface(back_dev)?.select_addr(next_hop)?
        };
        if !self.icmp_allowed(now, src, msg_type, code, back_dev == super::iface::LOOPBACK) {
            return Some(Reply::RateLimited);
        }
        // ip_options_echo: the error carries the offending header's options back.
        let echo = if orig.header_len() > 20 { Echo::of(skb.data(), skb.ip_opt)? } else { Echo::NONE };
        let back_mtu = self.iface(back_dev).map_or(1500, |i| i.mtu) as usize;
        let quoted = skb.len().min(back_mtu.min(MAX_ERROR_LEN) - 20 - echo.len() - 8);
        let tos = (orig.tos() & 0x1e) | IPTOS_PREC_INTERNETCONTROL;
        let ttl = self.sysctl.get(Sysctl::IpDefaultTtl) as u8;
        let ident = self.ipid.select(now, saddr, src, 1, false);

        let mut out = std::mem::take(&mut self.out);
        let hlen = 20 + echo.len();
        out.reserve_packet(now, hlen + 8 + quoted);
        {
            let buf = out.data_mut();
            write_ipv4_header(buf, saddr, src, tos, ttl, ident, false, IpProtocol::Icmp);
            echo.build(buf, saddr);
            let mut msg = IcmpPacket::new_unchecked(&mut buf[hlen..]);
            msg.set_msg_type(msg_type);
            msg.set_msg_code(code);
            msg.set_rest_of_header(rest);
            msg.data_mut()[..quoted].copy_from_slice(&skb.data()[..quoted]);
            msg.fill_checksum();
        }
        // icmp_glue_bits → nf_ct_attach: the error belongs to the offending
        // packet's connection, RELATED in the other direction, even while
        // that entry is unconfirmed.
        out.nfct = related_to(skb.nfct);
        self.out = out;
        if !self.local_out(now, tx) {
            return None;
        }
        self.count_icmp_out(msg_type);
        Some(Reply::IcmpError(msg_type, code))
    }

    /// The kernel's two limits: the host-wide bucket, then the one per peer.
    pub(super) fn icmp_allowed(
        &mut self,
        now: Instant,
        peer: Ipv4Addr,
        msg_type: u8,
        code: u8,
        to_loopback: bool,
    ) -> bool {
        let exempt = msg_type > icmp::types::ADDRESS_REPLY
            || (msg_type == icmp::types::DEST_UNREACH && code == icmp::unreach::FRAG_NEEDED)
            || (1u64 << msg_type) & self.sysctl.get(Sysctl::IcmpRatemask) as u64 == 0;
        if exempt {
            return true;
        }
        let (per_sec, burst) = (self.sysctl.get(Sysctl::IcmpMsgsPerSec), self.sysctl.get(Sysctl::IcmpMsgsBurst));
        if !self.limits.global_allow(now, per_sec, burst) {
            self.stats.icmp.ratelimit_global += 1;
            return false;
        }
        if !to_loopback {
            let cost = ms_to_jiffies(self.sysctl.get(Sysctl::IcmpRatelimit));
            if !self.limits.peer_allow(peer, now, cost, 6 * cost) {
                self.stats.icmp.ratelimit_host += 1;
                return false;
            }
        }
        self.limits.global_consume();
        true
    }

    pub(super) fn count_icmp_out(&mut self, msg_type: u8) {
        self.stats.icmp.out_msgs += 1;
        match msg_type {
            icmp::types::DEST_UNREACH => self.stats.icmp.out_dest_unreachs += 1,
            icmp::types::TIME_EXCEEDED => self.stats.icmp.out_time_excds += 1,
            icmp::types::REDIRECT => self.stats.icmp.out_redirects += 1,
            icmp::types::ECHO_REPLY => self.stats.icmp.out_echo_reps += 1,
            _ => {}
        }
    }
}

/// What `nf_ct_attach` gives a reply to a packet tracked as `nfct`.
pub(super) fn related_to(nfct: Nfct) -> Nfct {
    match nfct {
        Nfct::Tracked(r) => Nfct::Tracked(r.with_info(match r.dir() {
            CtDir::Original => CtInfo::RelatedReply,
            CtDir::Reply => CtInfo::Related,
        })),
        other => other,
    }
}

/// Writes a 20-byte IPv4 header with its checksum at the start of `buf`;
/// the total length is the whole of `buf`.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_ipv4_header(
    buf: &mut [u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    tos: u8,
    ttl: u8,
    ident: u16,
    dont_frag: bool,
    proto: IpProtocol,
) {
    let total = buf.len() as u16;
    let mut ip = Ipv4Packet::new_unchecked(buf);
    ip.set_version(4);
    ip.set_header_len(20);
    ip.set_tos(tos);
    ip.set_total_len(total);
    ip.set_ident(ident);
    ip.set_dont_frag(dont_frag);
    ip.set_more_frags(false);
    ip.set_frag_offset(0);
    ip.set_ttl(ttl);
    ip.set_next_header(proto);
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
    ip.fill_checksum();
}
