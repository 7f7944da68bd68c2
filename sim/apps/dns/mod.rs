//! DNS: a nameserver app ([`server`]), the stub resolver of a host's C
//! library ([`resolver`], glibc's `res_send` retry loop over the
//! nameservers of `/etc/resolv.conf`), the files it reads ([`conf`]) and
//! the messages they exchange ([`wire`]).
//!
//! Queries are real UDP datagrams from an ephemeral port through the
//! host's OUTPUT path, so the box's own firewall and conntrack see them,
//! and an answer that never comes costs its timeout in virtual time: what
//! makes `iptables -L` without `-n` slow (netfilter FAQ 3.11).

pub mod conf;
pub mod resolver;
pub mod server;
pub mod wire;

pub use resolver::{Lookups, Resolved};
pub use server::{DnsServer, ZoneSpec};

use std::net::Ipv4Addr;

/// An IPv4 UDP datagram from `src` to `dst` carrying `payload`, with its
/// checksums; `None` if the payload cannot fit one.
pub fn udp_datagram(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Option<Vec<u8>> {
    if payload.len() > 65_507 {
        return None;
    }
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let data = if hex.is_empty() { String::new() } else { format!(" hex {hex}") };
    let text = format!("udp {}:{} > {}:{}{data}", src.0, src.1, dst.0, dst.1);
    crate::wire::spec::craft(&text).ok().map(|c| c.ip)
}
