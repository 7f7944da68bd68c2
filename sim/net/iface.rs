//! Network interfaces: name, index, MAC, addresses, MTU, VLAN parent.
//!
//! `lo` always exists with index 1 and 127.0.0.1/8, as in a fresh network
//! namespace; configured interfaces get 2, 3, ... in the order given. An
//! interface named `eth0.42` is a VLAN device on `eth0` with id 42: frames
//! tagged 42 that arrive on `eth0` are received on it, and what it sends is
//! tagged (802.1Q) on the parent.

use super::addr::Ipv4Cidr;
use crate::skb::IfIndex;
use crate::wire::EthernetAddress;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// Index of the loopback interface.
pub const LOOPBACK: IfIndex = 1;

/// Bytes in a device name's fixed-size form, its terminating NUL included.
pub const IFNAMSIZ: usize = 16;

/// A device name in the zero-padded `IFNAMSIZ` form the kernel keeps in
/// `dev->name`, built once when the interface is named so that rule walks
/// compare against it instead of copying the name out for every packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfName {
    /// The name's bytes, zero-padded; all zero when it does not fit.
    pub bytes: [u8; IFNAMSIZ],
    /// The name's length; more than [`IFNAMSIZ`]: not kept here, and a
    /// reader must look at the name itself.
    pub len: usize,
}

impl IfName {
    /// No device (the empty name).
    pub const NONE: IfName = IfName { bytes: [0; IFNAMSIZ], len: 0 };

    /// The fixed-size form of `name`.
    pub fn new(name: &str) -> IfName {
        let b = name.as_bytes();
        let mut bytes = [0; IFNAMSIZ];
        if let Some(head) = bytes.get_mut(..b.len()) {
            head.copy_from_slice(b);
        }
        IfName { bytes, len: b.len() }
    }
}

/// One interface of a box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    /// Index, as `ip link` shows it.
    pub index: IfIndex,
    /// Name, as `ip link` shows it; set through [`Iface::new`] or
    /// [`Iface::rename`], which keep `ifname` in step.
    pub name: String,
    /// The name in the form rule walks compare against.
    pub ifname: IfName,
    /// Hardware address.
    pub mac: EthernetAddress,
    /// True when the user gave the MAC; only then are frames for other MACs
    /// treated as `PACKET_OTHERHOST` (a capture taken at the box already
    /// holds only what reached it).
    pub mac_given: bool,
    /// Addresses; the first one is the primary address.
    pub addrs: Vec<Ipv4Cidr>,
    /// Largest IPv4 packet it sends unfragmented.
    pub mtu: u16,
    /// Administratively up (`ip link set dev X up`).
    pub up: bool,
    /// For a VLAN device: the parent's index and the VLAN id.
    pub vlan: Option<(IfIndex, u16)>,
}

impl Iface {
    /// An interface that is up, with no VLAN parent and a MAC the user
    /// gave (`mac_given`) or not.
    pub fn new(
        index: IfIndex,
        name: &str,
        mac: EthernetAddress,
        mac_given: bool,
        addrs: Vec<Ipv4Cidr>,
        mtu: u16,
    ) -> Iface {
        Iface { index, name: name.into(), ifname: IfName::new(name), mac, mac_given, addrs, mtu, up: true, vlan: None }
    }

    /// The loopback interface of a fresh namespace.
    pub fn loopback() -> Iface {
        let lo = vec![Ipv4Cidr { addr: Ipv4Addr::LOCALHOST, prefix_len: 8 }];
        Iface::new(LOOPBACK, "lo", EthernetAddress([0; 6]), true, lo, 65535)
    }

    /// Gives the interface a new name (`ip link set dev X name Y`).
    pub fn rename(&mut self, name: &str) {
        self.name = name.into();
        self.ifname = IfName::new(name);
    }

    /// The primary address, if any.
    pub fn primary_addr(&self) -> Option<Ipv4Addr> {
        self.addrs.first().map(|c| c.addr)
    }

    /// The address Linux's `inet_select_addr` picks to talk to `dst` from
    /// here: one on the same subnet as `dst`, else the primary.
    pub fn select_addr(&self, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        self.addrs.iter().find(|c| c.contains(dst)).or(self.addrs.first()).map(|c| c.addr)
    }

    /// True when this is the loopback device.
    pub fn is_loopback(&self) -> bool {
        self.index == LOOPBACK
    }
}

/// An interface as the user describes it on the command line:
/// `eth0=192.168.1.1/24[,10.0.0.1/8][,mac=02:00:00:00:01:01][,mtu=1500]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfaceSpec {
    /// Interface name.
    pub name: String,
    /// Its addresses, primary first.
    pub addrs: Vec<Ipv4Cidr>,
    /// Its MAC, when given.
    pub mac: Option<EthernetAddress>,
    /// Its MTU, when given.
    pub mtu: Option<u16>,
}

impl FromStr for IfaceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, rest) = s.split_once('=').unwrap_or((s, ""));
        check_ifname(name)?;
        let mut spec = IfaceSpec { name: name.to_string(), addrs: Vec::new(), mac: None, mtu: None };
        for part in rest.split(',').filter(|p| !p.is_empty()) {
            if let Some(mac) = part.strip_prefix("mac=") {
                spec.mac = Some(mac.parse().map_err(|_| format!("invalid MAC address \"{mac}\""))?);
            } else if let Some(mtu) = part.strip_prefix("mtu=") {
                let mtu: u16 = mtu
                    .parse()
                    .ok()
                    .filter(|m| *m >= 68)
                    .ok_or_else(|| format!("invalid MTU \"{mtu}\" (68..65535)"))?;
                spec.mtu = Some(mtu);
            } else {
                spec.addrs.push(part.parse()?);
            }
        }
        Ok(spec)
    }
}

/// Linux's rules for a device name (`dev_valid_name`): 1 to 15 bytes, not
/// `.` or `..`, no `/`, `:` or whitespace.
pub fn check_ifname(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.len() > 15
        || name == "."
        || name == ".."
        || name.chars().any(|c| c == '/' || c == ':' || c.is_whitespace());
    if bad { Err(format!("\"{name}\" is not a valid device name")) } else { Ok(()) }
}

/// The MAC nfsim gives a host or interface that has none configured:
/// `02:00` followed by the IPv4 address (locally administered, unicast), so
/// the same address always gets the same MAC.
pub fn derived_mac(ip: Ipv4Addr) -> EthernetAddress {
    let o = ip.octets();
    EthernetAddress([0x02, 0x00, o[0], o[1], o[2], o[3]])
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn spec_parses_every_field() {
        let s: IfaceSpec = "eth0=192.168.1.1/24,10.0.0.1/8,mac=02:00:00:00:01:01,mtu=9000".parse().unwrap();
        assert_eq!(s.name, "eth0");
        assert_eq!(s.addrs.len(), 2);
        assert_eq!(s.mac, Some(EthernetAddress([2, 0, 0, 0, 1, 1])));
        assert_eq!(s.mtu, Some(9000));
        assert!("eth0=192.168.1.1/40".parse::<IfaceSpec>().is_err());
        assert!("eth0=mac=zz".parse::<IfaceSpec>().is_err());
        assert!("averyveryverylongname=1.2.3.4/8".parse::<IfaceSpec>().is_err());
        assert_eq!("wan0".parse::<IfaceSpec>().unwrap().addrs, vec![]);
    }

    #[test]
    fn ifname_is_the_zero_padded_name_and_follows_a_rename() {
        assert_eq!(IfName::new(""), IfName::NONE);
        let longest = IfName::new("abcdefghijklmno");
        assert_eq!((&longest.bytes[..15], longest.bytes[15], longest.len), (&b"abcdefghijklmno"[..], 0, 15));
        // Too long to keep: the bytes stay zero and the length says so.
        let long = IfName::new("abcdefghijklmnopq");
        assert_eq!((long.bytes, long.len), ([0; IFNAMSIZ], 17));
        let mut i = Iface::loopback();
        assert_eq!(&i.ifname.bytes[..3], b"lo\0");
        i.rename("eth0");
        assert_eq!((i.name.as_str(), i.ifname), ("eth0", IfName::new("eth0")));
    }

    #[test]
    fn select_addr_prefers_the_peers_subnet() {
        let mut i = Iface::loopback();
        i.addrs = vec!["192.168.1.1/24".parse().unwrap(), "10.0.0.1/8".parse().unwrap()];
        assert_eq!(i.select_addr(Ipv4Addr::new(10, 9, 9, 9)), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(i.select_addr(Ipv4Addr::new(8, 8, 8, 8)), Some(Ipv4Addr::new(192, 168, 1, 1)));
    }
}
