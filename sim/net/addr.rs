//! IPv4 prefixes as `ip addr` and `ip route` write them.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An address with a prefix length: `192.168.1.1/24`. The host bits are kept,
/// so the same type serves for an interface address and for a route's prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    /// The address as written.
    pub addr: Ipv4Addr,
    /// Prefix length, 0..=32.
    pub prefix_len: u8,
}

impl Ipv4Cidr {
    /// `addr/prefix_len`; `None` when the length exceeds 32.
    pub fn new(addr: Ipv4Addr, prefix_len: u8) -> Option<Ipv4Cidr> {
        (prefix_len <= 32).then_some(Ipv4Cidr { addr, prefix_len })
    }

    /// The netmask as a host-order integer.
    #[inline]
    pub fn mask(self) -> u32 {
        if self.prefix_len == 0 { 0 } else { u32::MAX << (32 - self.prefix_len) }
    }

    /// The network address (host bits cleared).
    pub fn network(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }

    /// The directed broadcast address of the subnet. Like Linux, /31 and /32
    /// have none.
    pub fn broadcast(self) -> Option<Ipv4Addr> {
        (self.prefix_len < 31).then(|| Ipv4Addr::from(u32::from(self.addr) | !self.mask()))
    }

    /// True when `ip` lies inside the prefix.
    #[inline]
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) ^ u32::from(self.addr)) & self.mask() == 0
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    /// `a.b.c.d/len`, or a bare address meaning `/32`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, len) = s.split_once('/').unwrap_or((s, "32"));
        let addr: Ipv4Addr = addr.parse().map_err(|_| format!("invalid IPv4 address \"{addr}\""))?;
        let len: u8 =
            len.parse().ok().filter(|l| *l <= 32).ok_or_else(|| format!("invalid prefix length \"{len}\""))?;
        Ok(Ipv4Cidr { addr, prefix_len: len })
    }
}

/// Class D, 224.0.0.0/4.
#[inline]
pub fn is_multicast(ip: Ipv4Addr) -> bool {
    ip.octets()[0] & 0xf0 == 0xe0
}

/// 224.0.0.0/24, the link-local groups routers never forward.
#[inline]
pub fn is_local_multicast(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    o[0] == 224 && o[1] == 0 && o[2] == 0
}

/// 0.0.0.0/8, "this network".
#[inline]
pub fn is_zeronet(ip: Ipv4Addr) -> bool {
    ip.octets()[0] == 0
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn parse_and_derive() {
        let c: Ipv4Cidr = "192.168.1.77/24".parse().unwrap();
        assert_eq!(c.network(), Ipv4Addr::new(192, 168, 1, 0));
        assert_eq!(c.broadcast(), Some(Ipv4Addr::new(192, 168, 1, 255)));
        assert!(c.contains(Ipv4Addr::new(192, 168, 1, 200)));
        assert!(!c.contains(Ipv4Addr::new(192, 168, 2, 1)));
        assert_eq!(c.to_string(), "192.168.1.77/24");
        let all: Ipv4Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!("10.0.0.1".parse::<Ipv4Cidr>().unwrap().prefix_len, 32);
        assert_eq!("10.0.0.1/31".parse::<Ipv4Cidr>().unwrap().broadcast(), None);
        assert!("10.0.0.1/33".parse::<Ipv4Cidr>().is_err());
        assert!("10.0.0/8".parse::<Ipv4Cidr>().is_err());
    }

    #[test]
    fn address_classes() {
        assert!(is_multicast(Ipv4Addr::new(239, 255, 255, 250)));
        assert!(is_local_multicast(Ipv4Addr::new(224, 0, 0, 251)));
        assert!(!is_local_multicast(Ipv4Addr::new(239, 0, 0, 1)));
        assert!(is_zeronet(Ipv4Addr::new(0, 1, 2, 3)));
    }
}
