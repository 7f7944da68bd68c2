//! What NAT needs from the box's stack: the addresses MASQUERADE and
//! REDIRECT map to, and the masquerade flush when an interface goes down or
//! loses an address (`masq_device_event`, `masq_inet_event`), which the
//! simulator calls as its topology changes.

use super::host::Host;
use super::iface::Iface;
use super::route::RouteTable;
use crate::netfilter::NatAddrs;
use crate::skb::IfIndex;
use std::net::Ipv4Addr;

/// The box's interfaces and routes, seen by NAT targets.
pub(super) struct Addrs<'a> {
    pub ifaces: &'a [Iface],
    pub routes: &'a RouteTable,
}

impl NatAddrs for Addrs<'_> {
    fn masquerade_source(&self, oif: IfIndex, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        // rt_nexthop: the gateway of the packet's route, or the destination on-link.
        let next_hop = self.routes.lookup(dst).map_or(dst, |r| r.next_hop(dst));
        self.ifaces.get((oif as usize).checked_sub(1)?)?.select_addr(next_hop)
    }

    fn first_addr(&self, ifindex: IfIndex) -> Option<Ipv4Addr> {
        self.ifaces.get((ifindex as usize).checked_sub(1)?)?.primary_addr()
    }
}

impl Host {
    /// Interface `ifindex` went down (`NETDEV_DOWN`): every connection
    /// masqueraded through it is forgotten. Returns how many.
    pub fn masquerade_iface_down(&mut self, ifindex: IfIndex) -> u32 {
        match &mut self.netfilter.conntrack {
            Some(ct) => self.netfilter.nat.flush_masquerade(ct, ifindex, None),
            None => 0,
        }
    }

    /// Address `addr` was removed from interface `ifindex`: the connections
    /// masqueraded through it to that address are forgotten. Returns how many.
    pub fn masquerade_addr_removed(&mut self, ifindex: IfIndex, addr: Ipv4Addr) -> u32 {
        match &mut self.netfilter.conntrack {
            Some(ct) => self.netfilter.nat.flush_masquerade(ct, ifindex, Some(addr)),
            None => 0,
        }
    }
}
