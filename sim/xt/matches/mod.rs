//! Match extensions, one file each; [`new`] is the registry by `-m` name.

pub mod addrtype;
pub mod cnum;
pub mod comment;
pub mod connbytes;
pub mod connlimit;
pub mod connmark;
pub mod conntrack;
pub mod dscp;
pub mod ecn;
pub mod hashlimit;
pub mod helper;
pub mod icmp;
pub mod iprange;
pub mod length;
pub mod limit;
pub mod mac;
pub mod mark;
pub mod multiport;
pub mod owner;
pub mod physdev;
pub mod pkttype;
pub mod ports;
pub mod recent;
pub mod state;
pub mod statistic;
pub mod string;
pub mod tcp;
pub mod time;
pub mod tos;
pub mod ttl;
pub mod u32;
pub mod udp;
pub mod x6;

use super::Match;

/// A fresh match for `-m NAME`, if nfsim implements it.
pub fn new(name: &str) -> Option<Box<dyn Match>> {
    Some(match name {
        "tcp" => Box::new(tcp::Tcp::default()),
        "udp" => Box::new(udp::Udp::default()),
        "icmp" => Box::new(icmp::Icmp::default()),
        "multiport" => Box::new(multiport::Multiport::default()),
        "state" => Box::new(state::State::default()),
        "conntrack" => Box::new(conntrack::Conntrack::default()),
        "comment" => Box::new(comment::Comment::default()),
        "limit" => Box::new(limit::Limit::default()),
        "mark" => Box::new(mark::Mark::default()),
        "iprange" => Box::new(iprange::IpRange::default()),
        "addrtype" => Box::new(addrtype::AddrType::default()),
        "pkttype" => Box::new(pkttype::PktType::default()),
        "mac" => Box::new(mac::Mac::default()),
        "length" => Box::new(length::Length::default()),
        "ttl" => Box::new(ttl::Ttl::default()),
        "tos" => Box::new(tos::Tos::default()),
        "dscp" => Box::new(dscp::Dscp::default()),
        "ecn" => Box::new(ecn::Ecn::default()),
        "u32" => Box::new(u32::U32::default()),
        "string" => Box::new(string::StringMatch::default()),
        "owner" => Box::new(owner::Owner::default()),
        "physdev" => Box::new(physdev::Physdev::default()),
        "connmark" => Box::new(connmark::Connmark::default()),
        "helper" => Box::new(helper::Helper::default()),
        "connbytes" => Box::new(connbytes::Connbytes::default()),
        "connlimit" => Box::new(connlimit::Connlimit::default()),
        "statistic" => Box::new(statistic::Statistic::default()),
        "time" => Box::new(time::Time::default()),
        "hashlimit" => Box::new(hashlimit::Hashlimit::default()),
        "recent" => Box::new(recent::Recent::default()),
        _ => return None,
    })
}
