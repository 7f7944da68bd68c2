//! IPv4 multicast on a host without a multicast routing daemon: group
//! memberships per interface (`ip_mc_inc_group`), the IGMP membership
//! reports a join sends, and the way out for datagrams to a group.
//!
//! Receiving: `ip_route_input` delivers a datagram to a group locally only
//! when the ingress interface joined it (`ip_check_mc_rcu`; 224.0.0.1, all
//! hosts, is joined on every interface), and never forwards it: without
//! mrouted there is no multicast forwarding (`IN_DEV_MFORWARD` is off).
//! PREROUTING (conntrack included) has seen it either way; the entry of a
//! datagram routing drops is never confirmed.
//!
//! Reports: a first join on an interface sends an unsolicited report
//! twice (robustness 2, `igmp_qrv`), the second at a random time within
//! the unsolicited report interval. Today's kernel sends IGMPv3 reports
//! to 224.0.0.22 (`force_igmp_version` 0); a 2.4 kernel sent IGMPv2
//! reports to the group itself. Both have TTL 1, TOS 0xc0, DF, IP ID 0 and
//! the Router Alert option (`igmpv3_newpack`, `igmp_send_report`).
//!
//! Sending: a datagram to a group leaves by the device of the route to the
//! group (or the default route), with the group as next hop: no gateway,
//! the MAC is 01:00:5e and the group's low 23 bits.

use super::host::Host;
use super::icmp::write_ipv4_header;
use super::outcome::Tx;
use crate::engine::Instant;
use crate::netfilter::{Hook, HookVerdict};
use crate::skb::IfIndex;
use crate::wire::{IpProtocol, Ipv4Packet, checksum};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The all-hosts group, joined on every interface.
pub const ALL_HOSTS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);

/// Where IGMPv3 reports go (all IGMPv3-capable routers).
pub const IGMPV3_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 22);

/// Group memberships of one host: (interface, group) → sockets joined.
#[derive(Clone, Debug, Default)]
pub struct Memberships {
    groups: BTreeMap<(IfIndex, Ipv4Addr), u32>,
}

impl Memberships {
    /// One more socket joins `group` on `iface`; true when it is the first
    /// (the host then reports the membership).
    pub fn join(&mut self, iface: IfIndex, group: Ipv4Addr) -> bool {
        let n = self.groups.entry((iface, group)).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// True when `iface` receives `group`.
    pub fn joined(&self, iface: IfIndex, group: Ipv4Addr) -> bool {
        group == ALL_HOSTS || self.groups.contains_key(&(iface, group))
    }
}

/// An IGMP report for `group` from `src`: IGMPv3 (`v3`, a CHANGE_TO_EXCLUDE
/// record with no sources: an any-source join) to 224.0.0.22, or IGMPv2 to
/// the group. The IP header carries the Router Alert option.
pub fn igmp_report(src: Ipv4Addr, group: Ipv4Addr, v3: bool) -> Vec<u8> {
    let (dst, body) = if v3 {
        let mut b = vec![0x22, 0, 0, 0, 0, 0, 0, 1];
        // Record: type 4 (CHANGE_TO_EXCLUDE_MODE), no aux data, no sources.
        b.extend_from_slice(&[4, 0, 0, 0]);
        b.extend_from_slice(&group.octets());
        (IGMPV3_ROUTERS, b)
    } else {
        let mut b = vec![0x16, 0, 0, 0];
        b.extend_from_slice(&group.octets());
        (group, b)
    };
    let mut ip = vec![0u8; 24 + body.len()];
    write_ipv4_header(&mut ip, src, dst, 0xc0, 1, 0, true, IpProtocol::Igmp);
    ip[0] = 0x46;
    ip[20..24].copy_from_slice(&[0x94, 0x04, 0, 0]);
    ip[24..].copy_from_slice(&body);
    let c = checksum::finish(checksum::sum(&ip[24..]));
    ip[26..28].copy_from_slice(&c.to_be_bytes());
    let mut p = Ipv4Packet::new_unchecked(&mut ip[..]);
    p.set_total_len((24 + body.len()) as u16);
    p.fill_checksum();
    ip
}

impl Host {
    /// The interface a group is joined or sent on when none is named: the
    /// device of the route to it (`ip_mc_find_dev`, `ip_route_output`).
    pub fn mc_dev(&self, group: Ipv4Addr) -> Option<IfIndex> {
        self.routes.lookup(group)?.dev
    }

    /// A socket joins `group` on `iface`; true when the host must report it.
    pub fn mc_join(&mut self, iface: IfIndex, group: Ipv4Addr) -> bool {
        self.mc.join(iface, group)
    }

    /// True when `iface` has joined `group` (`ip_check_mc_rcu`).
    pub fn mc_joined(&self, iface: IfIndex, group: Ipv4Addr) -> bool {
        self.mc.joined(iface, group)
    }

    /// The IP ID the box gives a datagram from a socket that lets it be
    /// fragmented (`__ip_select_ident`).
    pub fn ip_ident(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> u16 {
        self.ipid.select(now, src, dst, proto, false)
    }

    /// Sends an IPv4 datagram the box built for a group out of `oif`
    /// (OUTPUT, POSTROUTING, the wire), the group as next hop. False when
    /// a hook dropped it.
    pub fn send_multicast(&mut self, now: Instant, ip: &[u8], oif: IfIndex, tx: &mut dyn Tx) -> bool {
        self.netfilter.begin_packet();
        let group = Ipv4Packet::new_unchecked(ip).dst_addr();
        let mut skb = std::mem::take(&mut self.out);
        skb.load(now, ip);
        skb.oif = Some(oif);
        self.stats.ip.out_requests += 1;
        let sent = if self.nf_hook(Hook::Output, &mut skb, now, tx) == HookVerdict::Drop {
            self.stats.ip.out_discards += 1;
            false
        } else {
            self.output(&mut skb, now, oif, group, tx).is_ok()
        };
        self.netfilter.packet_done(&mut skb);
        self.out = skb;
        sent
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn igmpv3_report_bytes_match_linux() {
        // Captured on Linux 6.18: 10.99.0.1 joins 239.1.2.3.
        let want: [u8; 40] = [
            0x46, 0xc0, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0xf9, 0x95, 0x0a, 0x63, 0x00, 0x01, 0xe0, 0x00,
            0x00, 0x16, 0x94, 0x04, 0x00, 0x00, 0x22, 0x00, 0xe8, 0xf9, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,
            0xef, 0x01, 0x02, 0x03,
        ];
        let got = igmp_report(Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(239, 1, 2, 3), true);
        assert_eq!(got, want);
        let p = Ipv4Packet::new_checked(&got[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(checksum::finish(checksum::sum(&got[24..])), 0, "IGMP checksum");
        assert_eq!(&got[20..24], &[0x94, 0x04, 0, 0], "router alert");
    }

    #[test]
    fn igmpv2_report_goes_to_the_group() {
        let got = igmp_report(Ipv4Addr::new(192, 168, 1, 10), Ipv4Addr::new(224, 0, 0, 251), false);
        assert_eq!(got.len(), 32);
        let p = Ipv4Packet::new_checked(&got[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!((p.dst_addr(), p.ttl(), p.next_header()), (Ipv4Addr::new(224, 0, 0, 251), 1, IpProtocol::Igmp));
        assert_eq!(&got[24..], &[0x16, 0, 0x09, 0x04, 224, 0, 0, 251]);
    }

    #[test]
    fn all_hosts_is_always_joined_and_joins_count_sockets() {
        let mut m = Memberships::default();
        assert!(m.joined(2, ALL_HOSTS));
        assert!(!m.joined(2, Ipv4Addr::new(239, 1, 1, 1)));
        assert!(m.join(2, Ipv4Addr::new(239, 1, 1, 1)));
        assert!(!m.join(2, Ipv4Addr::new(239, 1, 1, 1)), "a second socket: no new report");
        assert!(m.joined(2, Ipv4Addr::new(239, 1, 1, 1)));
        assert!(!m.joined(3, Ipv4Addr::new(239, 1, 1, 1)), "per interface");
    }
}
