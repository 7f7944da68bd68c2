//! The way out: POSTROUTING, `ip_finish_output` (fragmentation), the
//! neighbour's MAC, and the wire; and `ip_local_out` for packets the box
//! originates (route output, then OUTPUT).

use super::host::Host;
use super::outcome::{DropReason, Tx};
use crate::engine::Instant;
use crate::netfilter::{Hook, HookVerdict};
use crate::skb::{IfIndex, Skb};
use crate::wire::{EtherType, Ipv4Packet};
use std::net::Ipv4Addr;

impl Host {
    /// `ip_output`: POSTROUTING, then out of `oif` towards `next_hop`.
    pub(super) fn output(
        &mut self,
        skb: &mut Skb,
        now: Instant,
        oif: IfIndex,
        next_hop: Ipv4Addr,
        tx: &mut dyn Tx,
    ) -> Result<(), DropReason> {
        skb.oif = Some(oif);
        if self.nf_hook(Hook::PostRouting, skb, now, tx) == HookVerdict::Drop {
            return Err(DropReason::Netfilter(Hook::PostRouting));
        }
        let mut mtu = self.iface(oif).map_or(1500, |i| i.mtu) as usize;
        // A datagram conntrack reassembled leaves in pieces no larger than
        // the ones it came in (ip_finish_output: frag_max_size forces
        // ip_fragment), whatever its DF bit.
        let reassembled = skb.frag_max_size != 0;
        if reassembled {
            mtu = mtu.min(skb.frag_max_size as usize);
        }
        if skb.len() <= mtu {
            self.xmit(skb, now, oif, next_hop, tx);
            return Ok(());
        }
        if !reassembled && Ipv4Packet::new_unchecked(skb.data()).dont_frag() {
            // Locally generated and too big with DF: EMSGSIZE to the sender.
            self.stats.ip.frag_fails += 1;
            return Err(DropReason::FragNeeded);
        }
        self.fragment(skb, now, oif, next_hop, mtu, tx);
        Ok(())
    }

    /// `ip_do_fragment`'s slow path: 8-byte aligned pieces of at most `mtu`,
    /// each with a copy of the header (options without the copy bit become
    /// NOPs after the first piece, as `ip_options_fragment` does).
    /// Out of line and cold: few packets are larger than their MTU.
    #[cold]
    #[inline(never)]
    fn fragment(&mut self, skb: &Skb, now: Instant, oif: IfIndex, next_hop: Ipv4Addr, mtu: usize, tx: &mut dyn Tx) {
        let data = skb.data();
        let ip = Ipv4Packet::new_unchecked(data);
        let hlen = ip.header_len();
        let base_offset = ip.frag_offset() as usize;
        let last_had_mf = ip.more_frags();
        let room = mtu - hlen;
        let payload = &data[hlen..];
        let mut frag = std::mem::take(&mut self.frag);
        let mut header = [0u8; 60];
        header[..hlen].copy_from_slice(&data[..hlen]);
        let mut pos = 0;
        while pos < payload.len() {
            let left = payload.len() - pos;
            let len = if left > room { room & !7 } else { left };
            frag.reserve_packet(now, hlen + len);
            frag.iif = skb.iif;
            let buf = frag.data_mut();
            buf[..hlen].copy_from_slice(&header[..hlen]);
            buf[hlen..].copy_from_slice(&payload[pos..pos + len]);
            let mut f = Ipv4Packet::new_unchecked(buf);
            f.set_total_len((hlen + len) as u16);
            f.set_frag_offset((base_offset + pos) as u16);
            f.set_more_frags(pos + len < payload.len() || last_had_mf);
            f.fill_checksum();
            if pos == 0 {
                strip_uncopied_options(&mut header[20..hlen]);
            }
            self.stats.ip.frag_creates += 1;
            self.xmit(&mut frag, now, oif, next_hop, tx);
            pos += len;
        }
        self.stats.ip.frag_oks += 1;
        self.frag = frag;
    }

    /// Puts the Ethernet header on and hands the frame to the wire.
    fn xmit(&mut self, skb: &mut Skb, now: Instant, oif: IfIndex, next_hop: Ipv4Addr, tx: &mut dyn Tx) {
        let Some(iface) = self.ifaces.get(oif as usize - 1) else { return };
        let dst_mac = if iface.is_loopback() {
            iface.mac
        } else if self.neigh.arp {
            match self.static_mac(oif, next_hop).or_else(|| self.neigh.use_entry(next_hop, now)) {
                Some(mac) => mac,
                None => return self.neigh_queue(skb, now, oif, next_hop, tx),
            }
        } else {
            self.neigh.resolve(next_hop)
        };
        let Some(iface) = self.ifaces.get(oif as usize - 1) else { return };
        let mut header = [0u8; 14];
        header[..6].copy_from_slice(&dst_mac.0);
        header[6..12].copy_from_slice(&iface.mac.0);
        header[12..].copy_from_slice(&u16::from(EtherType::Ipv4).to_be_bytes());
        let frame = skb.push_link_header(&header);
        super::bridge::dev_xmit(self.bridge.as_ref(), &self.ifaces, now, iface, frame, tx);
    }

    /// `ip_local_out` for a packet the box built in `self.out`: route it,
    /// run OUTPUT, then leave by [`Host::output`]. Returns false when it
    /// could not be sent.
    pub(super) fn local_out(&mut self, now: Instant, tx: &mut dyn Tx) -> bool {
        let mut skb = std::mem::take(&mut self.out);
        // The packet being answered keeps its own decision.
        let decided = self.netfilter.decided.take();
        let sent = self.local_out_skb(&mut skb, now, tx);
        self.netfilter.packet_done(&mut skb);
        self.netfilter.decided = decided;
        self.out = skb;
        sent
    }

    fn local_out_skb(&mut self, skb: &mut Skb, now: Instant, tx: &mut dyn Tx) -> bool {
        let dst = Ipv4Packet::new_unchecked(skb.data()).dst_addr();
        let Some((mut oif, mut next_hop)) = self.local_out_route(dst) else {
            self.stats.ip.out_no_routes += 1;
            return false;
        };
        self.stats.ip.out_requests += 1;
        skb.oif = Some(oif);
        if self.nf_hook(Hook::Output, skb, now, tx) == HookVerdict::Drop {
            self.stats.ip.out_discards += 1;
            return false;
        }
        // nf_nat_ipv4_local_fn → ip_route_me_harder: OUTPUT DNAT moved the
        // destination, so the packet is routed again.
        let new_dst = Ipv4Packet::new_unchecked(skb.data()).dst_addr();
        if new_dst != dst {
            let Some(route) = self.local_out_route(new_dst) else {
                self.stats.ip.out_no_routes += 1;
                return false;
            };
            (oif, next_hop) = route;
        }
        self.output(skb, now, oif, next_hop, tx).is_ok()
    }

    /// Where a locally generated packet for `dst` goes: the local table
    /// first (one of our own addresses goes by `lo`, an error about a
    /// packet we sent too), then the routes.
    fn local_out_route(&self, dst: std::net::Ipv4Addr) -> Option<(IfIndex, std::net::Ipv4Addr)> {
        if self.is_local_addr(dst) {
            return Some((super::iface::LOOPBACK, dst));
        }
        let route = self.routes.lookup(dst)?;
        // A group is its own next hop (its MAC derives from it): a route to
        // it through a gateway, the default route say, lends only its
        // device (`__mkroute_output`).
        if super::addr::is_multicast(dst) {
            return Some((route.dev?, dst));
        }
        Some((route.dev?, route.next_hop(dst)))
    }
}

impl Host {
    /// A datagram an application on the box sends (a socket's
    /// `ip_queue_xmit`, or a raw socket with `IP_HDRINCL`): route, OUTPUT,
    /// POSTROUTING, the neighbour, the wire. Returns false when it could not
    /// be sent (no route, dropped by a hook).
    pub fn send_datagram(&mut self, now: Instant, ip: &[u8], tx: &mut dyn Tx) -> bool {
        self.netfilter.begin_packet();
        let mut out = std::mem::take(&mut self.out);
        out.load(now, ip);
        self.out = out;
        self.local_out(now, tx)
    }
}

/// Replaces options whose copy bit is clear with NOPs, keeping the length.
fn strip_uncopied_options(opts: &mut [u8]) {
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => i += 1,
            kind => {
                let len = opts.get(i + 1).copied().unwrap_or(0) as usize;
                if len < 2 || i + len > opts.len() {
                    break;
                }
                if kind & 0x80 == 0 {
                    opts[i..i + len].fill(1);
                }
                i += len;
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::strip_uncopied_options;

    #[test]
    fn only_copied_options_survive_into_later_fragments() {
        // Record route (7, not copied) then a security-style option (0x82, copied).
        let mut opts = [7, 3, 4, 0x82, 3, 9, 0, 0];
        strip_uncopied_options(&mut opts);
        assert_eq!(opts, [1, 1, 1, 0x82, 3, 9, 0, 0]);
    }
}
