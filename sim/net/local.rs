//! Local delivery: the INPUT hook, then what the box's own stack does with
//! a packet for it when no application listens (sockets arrive with the
//! simulator): answer pings, reset TCP, report UDP ports and protocols
//! unreachable, as a Linux box with no services does.

use super::defrag::Reasm;
use super::host::Host;
use super::icmp::write_ipv4_header;
use super::options::Echo;
use super::outcome::{DropReason, Fate, Outcome, Reply, Tx};
use crate::engine::Instant;
use crate::kernel::Sysctl;
use crate::netfilter::{Hook, HookVerdict};
use crate::skb::{PktType, Skb};
use crate::wire::{IcmpPacket, IpProtocol, Ipv4Packet, TcpFlags, TcpPacket, UdpPacket, icmp};

impl Host {
    /// A TCP segment acknowledging what a local socket sent proves the
    /// neighbour on the way to its sender works (`tcp_ack` calls
    /// `sk_dst_confirm`): it stays REACHABLE without ARP.
    fn confirm_tcp_path(&mut self, ip: &[u8], now: Instant) {
        let p = Ipv4Packet::new_unchecked(ip);
        if !self.neigh.arp || p.next_header() != IpProtocol::Tcp || p.payload().get(13).is_none_or(|f| f & 0x10 == 0) {
            return;
        }
        let peer = p.src_addr();
        if let Some(next_hop) = self.routes().lookup(peer).map(|r| r.next_hop(peer)) {
            self.neigh.confirm(next_hop, now);
        }
    }

    /// `ip_local_deliver`: INPUT, then the transport.
    pub(super) fn local_deliver(
        &mut self,
        skb: &mut Skb,
        now: Instant,
        to_broadcast: bool,
        tx: &mut dyn Tx,
    ) -> Outcome {
        // ip_local_deliver reassembles before INPUT: the hook sees datagrams.
        let ip = Ipv4Packet::new_unchecked(skb.data());
        if ip.more_frags() || ip.frag_offset() != 0 {
            match self.defrag.queue(skb.data(), skb.iif, now, &mut self.stats.ip) {
                Reasm::Queued => return Outcome { fate: Fate::Queued, reply: None },
                Reasm::Dropped { why } => return Outcome::drop(DropReason::Reassembly(why)),
                Reasm::Complete { datagram, .. } => {
                    self.reassembled.clear();
                    self.reassembled.extend_from_slice(&datagram);
                    // The datagram keeps the first fragment's compiled options
                    // (known here when that fragment completed it).
                    let first = ip.frag_offset() == 0;
                    let (iif, pkt_type, ip_opt) = (skb.iif, skb.pkt_type, skb.ip_opt);
                    skb.load(now, &datagram);
                    (skb.iif, skb.pkt_type) = (iif, pkt_type);
                    if first {
                        skb.ip_opt = ip_opt;
                    }
                }
            }
        }
        if self.nf_hook(Hook::Input, skb, now, tx) == HookVerdict::Drop {
            return self.nf_dropped(Hook::Input);
        }
        self.stats.ip.in_delivers += 1;
        // A socket that wants it takes it; the answers below are for the rest.
        // Sockets take multicast (their group was joined to get here), never
        // broadcast: nothing here listens for it.
        if (!to_broadcast || super::addr::is_multicast(Ipv4Packet::new_unchecked(skb.data()).dst_addr()))
            && !self.sockets.is_empty()
            && let Some(owner) = self.sockets.owner_of(skb.data())
        {
            self.confirm_tcp_path(skb.data(), now);
            self.sockets.delivered.push((owner, skb.data().to_vec()));
            return Outcome { fate: Fate::Local, reply: None };
        }
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let reply = match ip.next_header() {
            IpProtocol::Icmp => self.icmp_rcv(skb, now, to_broadcast, tx),
            IpProtocol::Tcp => self.tcp_rcv(skb, now, to_broadcast, tx),
            IpProtocol::Udp => self.udp_rcv(skb, now, to_broadcast, tx),
            IpProtocol::Igmp => Ok(None),
            _ => {
                self.stats.ip.in_unknown_protos += 1;
                if to_broadcast {
                    Ok(None)
                } else {
                    Ok(self.icmp_send(skb, now, icmp::types::DEST_UNREACH, icmp::unreach::PROT_UNREACH, 0, tx))
                }
            }
        };
        match reply {
            Ok(reply) => Outcome { fate: Fate::Local, reply },
            Err(reason) => Outcome::drop(reason),
        }
    }

    fn icmp_rcv(
        &mut self,
        skb: &Skb,
        now: Instant,
        to_broadcast: bool,
        tx: &mut dyn Tx,
    ) -> Result<Option<Reply>, DropReason> {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        self.stats.icmp.in_msgs += 1;
        let Ok(msg) = IcmpPacket::new_checked(ip.payload()) else {
            return Err(DropReason::Malformed("icmp header"));
        };
        if !msg.verify_checksum() {
            self.stats.icmp.in_csum_errors += 1;
            return Err(DropReason::BadChecksum);
        }
        if msg.msg_type() != icmp::types::ECHO_REQUEST {
            return Ok(None);
        }
        self.stats.icmp.in_echos += 1;
        if self.sysctl.enabled(Sysctl::IcmpEchoIgnoreAll)
            || (to_broadcast && self.sysctl.enabled(Sysctl::IcmpEchoIgnoreBroadcasts))
        {
            return Ok(None);
        }
        // icmp_reply: same id, sequence and data; from the address pinged
        // (or, for a broadcast ping, the address facing the sender).
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let saddr = if to_broadcast {
            self.routes.lookup(src).and_then(|r| r.dev).and_then(|d| self.iface(d)).and_then(|i| i.select_addr(src))
        } else {
            Some(dst)
        };
        let Some(saddr) = saddr else { return Ok(None) };
        let ttl = self.sysctl.get(Sysctl::IpDefaultTtl) as u8;
        let ident = self.ipid.select(now, saddr, src, 1, false);
        // ip_options_echo: the reply carries the request's options back.
        let echo = if ip.header_len() > 20 {
            let Some(echo) = Echo::of(skb.data(), skb.ip_opt) else { return Ok(None) };
            echo
        } else {
            Echo::NONE
        };
        let hlen = 20 + echo.len();
        let body = ip.payload();
        let mut out = std::mem::take(&mut self.out);
        out.reserve_packet(now, hlen + body.len());
        {
            let buf = out.data_mut();
            write_ipv4_header(buf, saddr, src, ip.tos(), ttl, ident, false, IpProtocol::Icmp);
            echo.build(buf, saddr);
            buf[hlen..].copy_from_slice(body);
            let mut reply = IcmpPacket::new_unchecked(&mut buf[hlen..]);
            // icmp_echo copies the request whole and changes only the type:
            // an odd code comes back as it was sent.
            reply.set_msg_type(icmp::types::ECHO_REPLY);
            reply.fill_checksum();
        }
        self.out = out;
        if !self.local_out(now, tx) {
            return Ok(None);
        }
        self.count_icmp_out(icmp::types::ECHO_REPLY);
        Ok(Some(Reply::EchoReply))
    }

    /// `tcp_v4_send_reset` for a segment no socket wants.
    fn tcp_rcv(
        &mut self,
        skb: &Skb,
        now: Instant,
        to_broadcast: bool,
        tx: &mut dyn Tx,
    ) -> Result<Option<Reply>, DropReason> {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let Ok(seg) = TcpPacket::new_checked(ip.payload()) else {
            return Err(DropReason::Malformed("tcp header"));
        };
        if to_broadcast || skb.pkt_type != PktType::Host {
            return Err(DropReason::NoSocket);
        }
        if !seg.verify_checksum(src, dst) {
            return Err(DropReason::BadChecksum);
        }
        let flags = seg.flags();
        if flags.contains(TcpFlags::RST) {
            return Err(DropReason::Ignored);
        }
        let (seq, ack, rst_flags) = if flags.contains(TcpFlags::ACK) {
            (seg.ack_number(), 0, TcpFlags::RST)
        } else {
            let len = seg.payload().len() as u32
                + flags.contains(TcpFlags::SYN) as u32
                + flags.contains(TcpFlags::FIN) as u32;
            (0, seg.seq_number().wrapping_add(len), TcpFlags(TcpFlags::RST.0 | TcpFlags::ACK.0))
        };
        let (sport, dport) = (seg.src_port(), seg.dst_port());
        let ttl = self.sysctl.get(Sysctl::IpDefaultTtl) as u8;
        let mut out = std::mem::take(&mut self.out);
        out.reserve_packet(now, 40);
        {
            let buf = out.data_mut();
            // The control socket sets DF and has no peer: id 0 (ip_select_ident).
            write_ipv4_header(buf, dst, src, ip.tos() & !3, ttl, 0, true, IpProtocol::Tcp);
            let mut rst = TcpPacket::new_unchecked(&mut buf[20..]);
            rst.set_src_port(dport);
            rst.set_dst_port(sport);
            rst.set_seq_number(seq);
            rst.set_ack_number(ack);
            rst.set_header_len(20);
            rst.set_flags(rst_flags);
            rst.set_window_len(0);
            rst.set_urgent_at(0);
            rst.fill_checksum(dst, src);
        }
        self.out = out;
        self.stats.link.tcp_resets_sent += 1;
        Ok(self.local_out(now, tx).then_some(Reply::TcpReset))
    }

    /// `__udp4_lib_rcv` with no socket: port unreachable (never for broadcast).
    fn udp_rcv(
        &mut self,
        skb: &Skb,
        now: Instant,
        to_broadcast: bool,
        tx: &mut dyn Tx,
    ) -> Result<Option<Reply>, DropReason> {
        let ip = Ipv4Packet::new_unchecked(skb.data());
        let Ok(dgram) = UdpPacket::new_checked(ip.payload()) else {
            return Err(DropReason::Malformed("udp header"));
        };
        if !dgram.verify_checksum(ip.src_addr(), ip.dst_addr()) {
            return Err(DropReason::BadChecksum);
        }
        self.stats.link.udp_no_ports += 1;
        if to_broadcast {
            return Err(DropReason::NoSocket);
        }
        Ok(self.icmp_send(skb, now, icmp::types::DEST_UNREACH, icmp::unreach::PORT_UNREACH, 0, tx))
    }
}
