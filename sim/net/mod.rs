//! The box's own IPv4 stack around the netfilter hooks.
//!
//! A [`Host`] is one network namespace: interfaces ([`iface`]), routes
//! ([`route`]), neighbours ([`neigh`]), sysctls, its netfilter state, and the
//! stack that moves packets between them in the kernel's order:
//!
//! ```text
//! frame → ip_rcv checks → PREROUTING → route input ─┬→ INPUT → local stack (replies)
//!                                                   └→ ip_forward (TTL, MTU) → FORWARD
//! packets the box originates → route output → OUTPUT ┐
//!                                   FORWARD ─────────┴→ POSTROUTING → fragment → neighbour → wire
//! ```
//!
//! Malformed input never stops anything: it is a counted drop with a reason.

pub mod addr;
mod admin;
mod arp;
pub mod bridge;
mod defrag;
mod forward;
mod host;
mod icmp;
pub mod iface;
mod ipid;
mod local;
mod masq;
pub mod mcast;
pub mod neigh;
mod options;
mod outcome;
mod output;
pub mod ratelimit;
mod reject;
mod resolve;
pub mod route;
pub mod sockets;
pub mod stats;

pub use addr::Ipv4Cidr;
pub use bridge::BridgeSpec;
pub use host::{Host, HostConfig};
pub use iface::{Iface, IfaceSpec};
pub use outcome::{DropReason, Fate, Outcome, Reply, Tx};
pub use route::{RouteSpec, RouteTable};
