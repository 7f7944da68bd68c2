//! The routing table: connected routes from interface addresses, and the
//! static and default routes the user adds with `ip route` syntax.
//!
//! Lookup is the kernel's for a single table: longest prefix first, then the
//! lowest metric, then the route added first. Route types follow `ip route`:
//! `unicast` (the default), `blackhole` (silent drop), `unreachable` (ICMP
//! host unreachable) and `prohibit` (ICMP administratively prohibited).

use super::addr::Ipv4Cidr;
use super::iface::Iface;
use crate::skb::IfIndex;
use std::net::Ipv4Addr;

/// What a route does with the packets it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteType {
    /// Forward by the route's device, to its gateway or on-link.
    Unicast,
    /// Drop silently.
    Blackhole,
    /// Drop and answer ICMP host unreachable.
    Unreachable,
    /// Drop and answer ICMP communication administratively prohibited.
    Prohibit,
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The destination prefix (host bits cleared).
    pub dst: Ipv4Cidr,
    /// What the route does.
    pub kind: RouteType,
    /// Next hop, when not on-link.
    pub via: Option<Ipv4Addr>,
    /// Outgoing device (unicast routes only).
    pub dev: Option<IfIndex>,
    /// Preference among equal prefixes; lower wins.
    pub metric: u32,
    /// True for the routes the kernel adds for interface addresses.
    pub connected: bool,
}

impl Route {
    /// The neighbour a packet for `dst` is handed to.
    pub fn next_hop(&self, dst: Ipv4Addr) -> Ipv4Addr {
        self.via.unwrap_or(dst)
    }
}

/// A route as the user writes it, before devices are resolved:
/// `default via 203.0.113.254`, `10.0.0.0/8 via 192.168.1.254 metric 10`,
/// `10.1.0.0/16 dev eth1`, `blackhole 10.2.0.0/16`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// Destination prefix.
    pub dst: Ipv4Cidr,
    /// Route type.
    pub kind: RouteType,
    /// Gateway.
    pub via: Option<Ipv4Addr>,
    /// Device name.
    pub dev: Option<String>,
    /// Metric (`metric`/`preference`/`priority`).
    pub metric: u32,
}

impl std::str::FromStr for RouteSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut words = s.split_whitespace().peekable();
        // `ip route add` may be pasted whole.
        if words.peek() == Some(&"ip") {
            words.next();
            if words.next() != Some("route") {
                return Err("expected \"ip route add ...\"".into());
            }
            if matches!(words.peek(), Some(&"add") | Some(&"append") | Some(&"replace")) {
                words.next();
            }
        }
        let mut kind = RouteType::Unicast;
        let mut word = words.next().ok_or("empty route")?;
        for (name, k) in [
            ("unicast", RouteType::Unicast),
            ("blackhole", RouteType::Blackhole),
            ("unreachable", RouteType::Unreachable),
            ("prohibit", RouteType::Prohibit),
        ] {
            if word == name {
                kind = k;
                word = words.next().ok_or("route type without a prefix")?;
            }
        }
        let dst: Ipv4Cidr = if word == "default" || word == "0/0" { "0.0.0.0/0".parse()? } else { word.parse()? };
        if dst.network() != dst.addr {
            return Err("Error: Invalid prefix for given prefix length.".into());
        }
        let mut spec = RouteSpec { dst, kind, via: None, dev: None, metric: 0 };
        while let Some(key) = words.next() {
            let value = words.next().ok_or_else(|| format!("\"{key}\" needs a value"))?;
            match key {
                "via" => {
                    spec.via = Some(
                        value
                            .parse()
                            .map_err(|_| format!("Error: inet address is expected rather than \"{value}\"."))?,
                    )
                }
                "dev" | "oif" => spec.dev = Some(value.to_string()),
                "metric" | "preference" | "priority" => {
                    spec.metric = value
                        .parse()
                        .map_err(|_| format!("Error: argument \"{value}\" is wrong: \"metric\" value is invalid"))?
                }
                "proto" | "scope" | "src" | "table" => {} // accepted, no effect on a single-table box
                _ => return Err(format!("Error: either \"to\" is duplicate, or \"{key}\" is a garbage.")),
            }
        }
        if kind != RouteType::Unicast && (spec.via.is_some() || spec.dev.is_some()) {
            return Err("Error: Nexthop device is not supported for this route type.".into());
        }
        if kind == RouteType::Unicast && spec.via.is_none() && spec.dev.is_none() {
            return Err("Error: Device for nexthop is not up.".into());
        }
        Ok(spec)
    }
}

/// The box's routing table.
#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    /// Longest prefix first, then metric, then insertion order.
    routes: Vec<Route>,
    /// Each route's `(network, netmask)`, in the same order: what a lookup
    /// compares, worked out when the table changes rather than per packet.
    keys: Vec<(u32, u32)>,
}

impl RouteTable {
    /// Rebuilds the connected routes from the interfaces, keeping user routes.
    pub fn sync_connected(&mut self, ifaces: &[Iface]) {
        self.routes.retain(|r| !r.connected);
        self.rekey();
        for iface in ifaces.iter().filter(|i| i.up && !i.is_loopback()) {
            for a in &iface.addrs {
                let dst = Ipv4Cidr { addr: a.network(), prefix_len: a.prefix_len };
                let route = Route {
                    dst,
                    kind: RouteType::Unicast,
                    via: None,
                    dev: Some(iface.index),
                    metric: 0,
                    connected: true,
                };
                if !self.routes.contains(&route) {
                    self.insert(route);
                }
            }
        }
    }

    /// Adds a user route, resolving its device and checking its gateway the
    /// way the kernel does (the gateway must be on-link through a connected route).
    pub fn add(&mut self, spec: &RouteSpec, ifaces: &[Iface]) -> Result<(), String> {
        let dev = match &spec.dev {
            Some(name) => Some(
                ifaces.iter().find(|i| &i.name == name).ok_or_else(|| format!("Cannot find device \"{name}\""))?.index,
            ),
            None => None,
        };
        let dev = match spec.via {
            Some(gw) => {
                let onlink = self
                    .routes
                    .iter()
                    .find(|r| r.connected && r.dst.contains(gw) && dev.is_none_or(|d| r.dev == Some(d)));
                Some(onlink.ok_or("Error: Nexthop has invalid gateway.")?.dev.expect("connected routes have a device"))
            }
            None => dev,
        };
        let route = Route { dst: spec.dst, kind: spec.kind, via: spec.via, dev, metric: spec.metric, connected: false };
        if self.routes.iter().any(|r| r.dst == route.dst && r.metric == route.metric) {
            return Err("RTNETLINK answers: File exists".into());
        }
        self.insert(route);
        Ok(())
    }

    fn insert(&mut self, route: Route) {
        let at = self.routes.partition_point(|r| {
            (r.dst.prefix_len, std::cmp::Reverse(r.metric)) >= (route.dst.prefix_len, std::cmp::Reverse(route.metric))
        });
        self.routes.insert(at, route);
        self.rekey();
    }

    /// Works out the lookup keys again after the routes changed.
    fn rekey(&mut self) {
        self.keys.clear();
        self.keys.extend(self.routes.iter().map(|r| (u32::from(r.dst.addr) & r.dst.mask(), r.dst.mask())));
    }

    /// Removes every route by device `dev` (the device went down).
    pub fn remove_dev(&mut self, dev: IfIndex) {
        self.routes.retain(|r| r.dev != Some(dev));
        self.rekey();
    }

    /// The route the kernel would choose for `dst`.
    #[inline]
    pub fn lookup(&self, dst: Ipv4Addr) -> Option<&Route> {
        let ip = u32::from(dst);
        let i = self.keys.iter().position(|&(net, mask)| ip & mask == net)?;
        self.routes.get(i)
    }

    /// Every route, in lookup order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::net::iface::Iface;

    fn ifaces() -> Vec<Iface> {
        let mut lan = Iface::loopback();
        lan.index = 2;
        lan.rename("eth0");
        lan.addrs = vec!["192.168.1.1/24".parse().unwrap()];
        let mut wan = lan.clone();
        wan.index = 3;
        wan.rename("eth1");
        wan.addrs = vec!["203.0.113.1/24".parse().unwrap()];
        vec![Iface::loopback(), lan, wan]
    }

    fn table(routes: &[&str]) -> Result<RouteTable, String> {
        let ifs = ifaces();
        let mut t = RouteTable::default();
        t.sync_connected(&ifs);
        for r in routes {
            t.add(&r.parse()?, &ifs)?;
        }
        Ok(t)
    }

    #[test]
    fn longest_prefix_wins_then_metric() {
        let t = table(&[
            "default via 203.0.113.254",
            "10.0.0.0/8 via 192.168.1.254 metric 20",
            "10.0.0.0/8 via 192.168.1.253 metric 10",
        ])
        .unwrap();
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(t.lookup(ip("10.1.2.3")).unwrap().via, Some(ip("192.168.1.253")));
        assert_eq!(t.lookup(ip("192.168.1.9")).unwrap().dev, Some(2));
        assert!(t.lookup(ip("192.168.1.9")).unwrap().connected);
        assert_eq!(t.lookup(ip("8.8.8.8")).unwrap().dev, Some(3));
    }

    #[test]
    fn without_default_route_some_destinations_have_none() {
        let t = table(&[]).unwrap();
        assert!(t.lookup("8.8.8.8".parse().unwrap()).is_none());
    }

    #[test]
    fn refusals_use_iproute2_words() {
        assert_eq!(table(&["default via 10.9.9.9"]).unwrap_err(), "Error: Nexthop has invalid gateway.");
        assert_eq!(table(&["10.0.0.0/8 dev eth7"]).unwrap_err(), "Cannot find device \"eth7\"");
        assert_eq!(table(&["10.0.0.1/8 dev eth0"]).unwrap_err(), "Error: Invalid prefix for given prefix length.");
        assert_eq!(
            table(&["default via 203.0.113.254", "default via 203.0.113.253"]).unwrap_err(),
            "RTNETLINK answers: File exists"
        );
    }

    #[test]
    fn special_route_types_parse() {
        let s: RouteSpec = "ip route add blackhole 10.2.0.0/16".parse().unwrap();
        assert_eq!(s.kind, RouteType::Blackhole);
        let s: RouteSpec = "prohibit 10.3.0.0/16".parse().unwrap();
        assert_eq!(s.kind, RouteType::Prohibit);
    }
}

/// The kernel's `local` table: the box's own addresses and the broadcast
/// addresses of its subnets, sorted for a binary search per packet.
#[derive(Clone, Debug, Default)]
pub struct LocalTable {
    addrs: Vec<u32>,
    broadcasts: Vec<u32>,
    /// `(address, device, is broadcast)` for lookups restricted to a device.
    by_dev: Vec<(u32, String, bool)>,
}

impl LocalTable {
    /// Built from the interfaces that are up.
    pub fn new(ifaces: &[Iface]) -> LocalTable {
        let up = || ifaces.iter().filter(|i| i.up).flat_map(|i| i.addrs.iter());
        let mut addrs: Vec<u32> = up().map(|a| u32::from(a.addr)).collect();
        let mut broadcasts: Vec<u32> = up().filter_map(|a| a.broadcast()).map(u32::from).collect();
        addrs.sort_unstable();
        addrs.dedup();
        broadcasts.sort_unstable();
        broadcasts.dedup();
        let mut by_dev = Vec::new();
        for i in ifaces.iter().filter(|i| i.up) {
            for a in &i.addrs {
                by_dev.push((u32::from(a.addr), i.name.clone(), false));
                if let Some(b) = a.broadcast() {
                    by_dev.push((u32::from(b), i.name.clone(), true));
                }
            }
        }
        LocalTable { addrs, broadcasts, by_dev }
    }

    /// `inet_addr_type` (`dev` `None`) or `inet_dev_addr_type` (the local
    /// table searched for routes of `dev` only): RTN_* 1 unicast, 2 local,
    /// 3 broadcast, 5 multicast. 0.0.0.0/8 and 255.255.255.255 count as
    /// broadcast, as the kernel answers before looking at any table.
    pub fn addr_type(&self, ip: Ipv4Addr, dev: Option<&str>) -> u8 {
        let (unicast, local, broadcast, multicast) = (1, 2, 3, 5);
        if ip.octets()[0] == 0 || ip.is_broadcast() {
            return broadcast;
        }
        if ip.is_multicast() {
            return multicast;
        }
        let Some(dev) = dev else {
            return if self.is_local(ip) {
                local
            } else if self.is_subnet_broadcast(ip) {
                broadcast
            } else {
                unicast
            };
        };
        if ip.is_loopback() && dev == "lo" {
            return local;
        }
        let ip = u32::from(ip);
        match self.by_dev.iter().find(|(a, d, _)| *a == ip && d == dev) {
            Some((_, _, true)) => broadcast,
            Some((_, _, false)) => local,
            None => unicast,
        }
    }

    /// True for one of the box's addresses, or anything in 127.0.0.0/8.
    #[inline]
    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        let ip = u32::from(ip);
        // A box has a handful of addresses: compared in turn, without the
        // branches of a search, unless it has many.
        ip >> 24 == 127
            || match self.addrs.len() {
                0..=8 => self.addrs.iter().fold(false, |hit, &a| hit | (a == ip)),
                _ => self.addrs.binary_search(&ip).is_ok(),
            }
    }

    /// True for the broadcast address of one of the box's subnets (not 255.255.255.255).
    #[inline]
    pub fn is_subnet_broadcast(&self, ip: Ipv4Addr) -> bool {
        self.broadcasts.binary_search(&u32::from(ip)).is_ok()
    }
}
