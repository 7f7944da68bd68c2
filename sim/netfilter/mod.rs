//! The hook pipeline of one box.
//!
//! Packets pass the five IPv4 hooks where the kernel calls `NF_HOOK`:
//! PREROUTING after `ip_rcv`'s header checks, INPUT before local delivery,
//! FORWARD after the TTL check in `ip_forward`, OUTPUT for packets the box
//! originates, POSTROUTING before transmission. Within a hook, the registered
//! steps run in the kernel's priority order (raw −300, conntrack −200, mangle
//! −150, DNAT −100, filter 0, security 50, SNAT 100, confirm last). No table
//! is registered yet, so every hook accepts; the ruleset and conntrack issues
//! fill the steps in without moving the hook points.

use crate::engine::Instant;
use crate::skb::Skb;

/// The five IPv4 hooks (defined beside the extensions, whose masks use them).
pub use crate::xt::Hook;

/// What a hook decides for a packet (`NF_ACCEPT`, `NF_DROP`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookVerdict {
    /// Continue on the packet's way.
    Accept,
    /// Discard the packet.
    Drop,
}

/// The netfilter state of one box: tables, conntrack and NAT once they exist.
#[derive(Debug, Default)]
pub struct Netfilter {}

impl Netfilter {
    /// Runs every step registered at `hook` on `skb`, in priority order.
    #[inline]
    pub fn run(&mut self, _hook: Hook, _skb: &mut Skb, _now: Instant) -> HookVerdict {
        HookVerdict::Accept
    }
}
