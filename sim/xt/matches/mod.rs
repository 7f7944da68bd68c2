//! Match extensions, one file each; [`new`] is the registry by `-m` name.

pub mod addrtype;
pub mod comment;
pub mod connbytes;
pub mod connlimit;
pub mod connmark;
pub mod conntrack;
pub mod hashlimit;
pub mod helper;
pub mod icmp;
pub mod iprange;
pub mod limit;
pub mod mark;
pub mod multiport;
pub mod ports;
pub mod recent;
pub mod state;
pub mod statistic;
pub mod tcp;
pub mod time;
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
