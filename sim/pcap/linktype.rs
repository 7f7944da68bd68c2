//! Link-layer header types: the `LINKTYPE_*` numbers capture files carry.
//!
//! The numbers are tcpdump.org's link-layer header type registry. We name the
//! ones nfsim decapsulates or meets in Linux captures; every other value is
//! kept as `Other(n)` so a conversion to `u16` and back is lossless.

/// The link-layer header type of a capture or pcapng interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte address family in the
    /// capturing host's byte order.
    Null,
    /// `LINKTYPE_ETHERNET` (1): Ethernet II.
    Ethernet,
    /// `LINKTYPE_RAW` (101): raw IP, version from the first nibble.
    Raw,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, the address family big-endian.
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux cooked capture v1.
    LinuxSll,
    /// `LINKTYPE_IPV4` (228): raw IPv4.
    Ipv4,
    /// `LINKTYPE_IPV6` (229): raw IPv6.
    Ipv6,
    /// `LINKTYPE_NFLOG` (239): Linux netfilter NFLOG messages.
    Nflog,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux cooked capture v2.
    LinuxSll2,
    /// Any other link type, by number.
    Other(u16),
}

impl From<u16> for LinkType {
    fn from(n: u16) -> LinkType {
        match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            239 => LinkType::Nflog,
            276 => LinkType::LinuxSll2,
            other => LinkType::Other(other),
        }
    }
}

impl From<LinkType> for u16 {
    fn from(l: LinkType) -> u16 {
        match l {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Nflog => 239,
            LinkType::LinuxSll2 => 276,
            LinkType::Other(n) => n,
        }
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            LinkType::Null => "NULL (BSD loopback)",
            LinkType::Ethernet => "EN10MB (Ethernet)",
            LinkType::Raw => "RAW (raw IP)",
            LinkType::Loop => "LOOP (OpenBSD loopback)",
            LinkType::LinuxSll => "LINUX_SLL (Linux cooked v1)",
            LinkType::Ipv4 => "IPV4 (raw IPv4)",
            LinkType::Ipv6 => "IPV6 (raw IPv6)",
            LinkType::Nflog => "NFLOG (Linux netfilter log)",
            LinkType::LinuxSll2 => "LINUX_SLL2 (Linux cooked v2)",
            LinkType::Other(n) => return write!(f, "link type {n}"),
        };
        write!(f, "{name} ({})", u16::from(*self))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_number_round_trips() {
        for n in 0..=u16::MAX {
            assert_eq!(u16::from(LinkType::from(n)), n);
        }
        assert_eq!(LinkType::from(276), LinkType::LinuxSll2);
        assert_eq!(LinkType::from(7), LinkType::Other(7));
    }
}
