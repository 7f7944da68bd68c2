//! Match extensions, one file each; [`new`] is the registry by `-m` name.

pub mod addrtype;
pub mod comment;
pub mod conntrack;
pub mod icmp;
pub mod iprange;
pub mod limit;
pub mod mark;
pub mod multiport;
pub mod ports;
pub mod state;
pub mod tcp;
pub mod udp;

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
        _ => return None,
    })
}
