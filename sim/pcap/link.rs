//! From a link-layer frame to its network-layer bytes.
//!
//! [`decap`] strips the link header a capture's [`LinkType`] announces and
//! reports what it said: the ethertype of what follows, MAC addresses, and
//! for Linux cooked captures the packet type (`PACKET_HOST`, `..._OUTGOING`)
//! and, in SLL2, the interface index. It does not look past the link header:
//! an Ethernet frame's 802.1Q tags stay in `l3` with ethertype `0x8100` for
//! the wire layer to parse. Header layouts are tcpdump.org's link-type pages
//! (`LINKTYPE_LINUX_SLL`, `LINKTYPE_LINUX_SLL2`, `LINKTYPE_NULL`).

use super::LinkType;
use std::fmt;

/// Ethertype of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethertype of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// `ARPHRD_ETHER`: the cooked header's address is a MAC.
const ARPHRD_ETHER: u16 = 1;

/// How the capturing Linux host saw a packet (`PACKET_*` in if_packet.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `PACKET_HOST` (0): addressed to this host.
    Host,
    /// `PACKET_BROADCAST` (1): link-layer broadcast.
    Broadcast,
    /// `PACKET_MULTICAST` (2): link-layer multicast.
    Multicast,
    /// `PACKET_OTHERHOST` (3): to another host, seen in promiscuous mode.
    OtherHost,
    /// `PACKET_OUTGOING` (4): sent by this host.
    Outgoing,
    /// Any other value.
    Unknown(u16),
}

impl From<u16> for PacketType {
    fn from(n: u16) -> PacketType {
        match n {
            0 => PacketType::Host,
            1 => PacketType::Broadcast,
            2 => PacketType::Multicast,
            3 => PacketType::OtherHost,
            4 => PacketType::Outgoing,
            n => PacketType::Unknown(n),
        }
    }
}

impl From<PacketType> for u16 {
    fn from(t: PacketType) -> u16 {
        match t {
            PacketType::Host => 0,
            PacketType::Broadcast => 1,
            PacketType::Multicast => 2,
            PacketType::OtherHost => 3,
            PacketType::Outgoing => 4,
            PacketType::Unknown(n) => n,
        }
    }
}

/// The network-layer view of a frame and what its link header said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decap<'a> {
    /// The bytes after the link-layer header.
    pub l3: &'a [u8],
    /// What `l3` holds, as an ethertype (`0x8100` if VLAN-tagged).
    pub ethertype: u16,
    /// Sender's MAC, when the header carries one.
    pub src_mac: Option<[u8; 6]>,
    /// Receiver's MAC (Ethernet only).
    pub dst_mac: Option<[u8; 6]>,
    /// Linux packet type (SLL, SLL2).
    pub pkttype: Option<PacketType>,
    /// Linux interface index (SLL2).
    pub ifindex: Option<u32>,
    /// `ARPHRD_*` type of the capturing device (SLL, SLL2).
    pub arphrd: Option<u16>,
}

/// Why a frame could not be decapsulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecapError {
    /// The frame is shorter than its link header.
    Truncated {
        /// Bytes the header needs.
        need: usize,
        /// Bytes the frame has.
        got: usize,
    },
    /// A raw-IP frame whose version nibble is neither 4 nor 6.
    IpVersion(u8),
    /// A loopback header with an address family we do not know.
    AddressFamily(u32),
    /// A link type we do not decapsulate.
    Unsupported(LinkType),
}

impl fmt::Display for DecapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecapError::Truncated { need, got } => {
                write!(f, "frame of {got} bytes is shorter than its {need}-byte link header")
            }
            DecapError::IpVersion(v) => write!(f, "raw IP packet with IP version {v}"),
            DecapError::AddressFamily(af) => {
                write!(f, "loopback header with unknown address family {af}")
            }
            DecapError::Unsupported(l) => write!(f, "link type {l} is not supported"),
        }
    }
}

impl std::error::Error for DecapError {}

/// Strips the link-layer header of `data`, captured with link type `link`.
///
/// # Errors
/// A frame shorter than its header, a raw IP or loopback frame whose
/// protocol is unknown, or a link type we do not decapsulate (NFLOG, ...).
pub fn decap(link: LinkType, data: &[u8]) -> Result<Decap<'_>, DecapError> {
    match link {
        LinkType::Ethernet => ethernet(data),
        LinkType::LinuxSll => sll(data),
        LinkType::LinuxSll2 => sll2(data),
        LinkType::Raw => {
            need(data, 1)?;
            match data[0] >> 4 {
                4 => Ok(bare(data, ETHERTYPE_IPV4)),
                6 => Ok(bare(data, ETHERTYPE_IPV6)),
                v => Err(DecapError::IpVersion(v)),
            }
        }
        LinkType::Ipv4 => Ok(bare(data, ETHERTYPE_IPV4)),
        LinkType::Ipv6 => Ok(bare(data, ETHERTYPE_IPV6)),
        LinkType::Null | LinkType::Loop => loopback(data),
        other => Err(DecapError::Unsupported(other)),
    }
}

/// Checks that `data` holds a `n`-byte header.
fn need(data: &[u8], n: usize) -> Result<(), DecapError> {
    if data.len() < n {
        return Err(DecapError::Truncated { need: n, got: data.len() });
    }
    Ok(())
}

/// A view with no link information beyond the ethertype.
fn bare(l3: &[u8], ethertype: u16) -> Decap<'_> {
    Decap { l3, ethertype, src_mac: None, dst_mac: None, pkttype: None, ifindex: None, arphrd: None }
}

fn mac(b: &[u8]) -> [u8; 6] {
    [b[0], b[1], b[2], b[3], b[4], b[5]]
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Ethernet II: destination, source, ethertype.
fn ethernet(data: &[u8]) -> Result<Decap<'_>, DecapError> {
    need(data, 14)?;
    Ok(Decap { dst_mac: Some(mac(&data[0..6])), src_mac: Some(mac(&data[6..12])), ..bare(&data[14..], be16(data, 12)) })
}

/// The sender address of a cooked header, when it is a MAC.
fn cooked_mac(arphrd: u16, addr_len: usize, addr: &[u8]) -> Option<[u8; 6]> {
    (arphrd == ARPHRD_ETHER && addr_len == 6).then(|| mac(addr))
}

/// Linux cooked v1: packet type, ARPHRD, address length, 8-byte address,
/// protocol; 16 bytes, big-endian.
fn sll(data: &[u8]) -> Result<Decap<'_>, DecapError> {
    need(data, 16)?;
    let arphrd = be16(data, 2);
    Ok(Decap {
        src_mac: cooked_mac(arphrd, usize::from(be16(data, 4)), &data[6..14]),
        pkttype: Some(PacketType::from(be16(data, 0))),
        arphrd: Some(arphrd),
        ..bare(&data[16..], be16(data, 14))
    })
}

/// Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type,
/// address length, 8-byte address; 20 bytes, big-endian.
fn sll2(data: &[u8]) -> Result<Decap<'_>, DecapError> {
    need(data, 20)?;
    let arphrd = be16(data, 8);
    let ifindex = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    Ok(Decap {
        src_mac: cooked_mac(arphrd, usize::from(data[11]), &data[12..20]),
        pkttype: Some(PacketType::from(u16::from(data[10]))),
        ifindex: Some(ifindex),
        arphrd: Some(arphrd),
        ..bare(&data[20..], be16(data, 0))
    })
}

/// BSD loopback: a 4-byte address family in either byte order. IPv6's
/// value differs between BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin).
fn loopback(data: &[u8]) -> Result<Decap<'_>, DecapError> {
    need(data, 4)?;
    let raw = [data[0], data[1], data[2], data[3]];
    let family = |af: u32| match af {
        2 => Some(ETHERTYPE_IPV4),
        24 | 28 | 30 => Some(ETHERTYPE_IPV6),
        _ => None,
    };
    let le = u32::from_le_bytes(raw);
    let ethertype = family(le).or_else(|| family(u32::from_be_bytes(raw))).ok_or(DecapError::AddressFamily(le))?;
    Ok(bare(&data[4..], ethertype))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ethernet_keeps_vlan_tag_for_the_wire_layer() {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x81, 0x00, 0, 42, 8, 0]);
        let d = decap(LinkType::Ethernet, &f).unwrap();
        assert_eq!(d.ethertype, 0x8100);
        assert_eq!(d.l3, &[0, 42, 8, 0]);
        assert_eq!(d.src_mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(d.dst_mac, Some([0xff; 6]));
    }

    #[test]
    fn sll_outgoing_with_mac() {
        let f = [0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd, 0x60];
        let d = decap(LinkType::LinuxSll, &f).unwrap();
        assert_eq!(d.pkttype, Some(PacketType::Outgoing));
        assert_eq!(d.src_mac, Some([1, 2, 3, 4, 5, 6]));
        assert_eq!(d.ethertype, ETHERTYPE_IPV6);
        assert_eq!(d.l3, &[0x60]);
    }

    #[test]
    fn sll2_ifindex_and_pkttype() {
        let f = [8, 0, 0, 0, 0, 0, 0, 26, 0, 1, 2, 6, 9, 8, 7, 6, 5, 4, 0, 0, 0x45];
        let d = decap(LinkType::LinuxSll2, &f).unwrap();
        assert_eq!(d.ifindex, Some(26));
        assert_eq!(d.pkttype, Some(PacketType::Multicast));
        assert_eq!(d.ethertype, ETHERTYPE_IPV4);
        assert_eq!(d.src_mac, Some([9, 8, 7, 6, 5, 4]));
    }

    #[test]
    fn loopback_either_byte_order() {
        let le = decap(LinkType::Null, &[2, 0, 0, 0, 0x45]).unwrap();
        assert_eq!(le.ethertype, ETHERTYPE_IPV4);
        let be = decap(LinkType::Loop, &[0, 0, 0, 30, 0x60]).unwrap();
        assert_eq!((be.ethertype, be.l3), (ETHERTYPE_IPV6, &[0x60][..]));
        assert_eq!(decap(LinkType::Null, &[7, 0, 0, 0]), Err(DecapError::AddressFamily(7)));
    }

    #[test]
    fn raw_ip_by_version_nibble() {
        assert_eq!(decap(LinkType::Raw, &[0x45]).unwrap().ethertype, ETHERTYPE_IPV4);
        assert_eq!(decap(LinkType::Raw, &[0x60]).unwrap().ethertype, ETHERTYPE_IPV6);
        assert_eq!(decap(LinkType::Raw, &[0x50]), Err(DecapError::IpVersion(5)));
        assert_eq!(decap(LinkType::Raw, &[]), Err(DecapError::Truncated { need: 1, got: 0 }));
    }

    #[test]
    fn short_headers_and_unsupported_types() {
        assert_eq!(decap(LinkType::LinuxSll2, &[0; 19]), Err(DecapError::Truncated { need: 20, got: 19 }));
        let e = decap(LinkType::Nflog, &[0; 40]).unwrap_err();
        assert_eq!(e, DecapError::Unsupported(LinkType::Nflog));
        assert_eq!(e.to_string(), "link type NFLOG (Linux netfilter log) (239) is not supported");
    }
}
