//! `send PACKET-SPEC`: one crafted datagram with every field explicit
//! (see [`crate::wire::spec`]), sent as a raw socket with `IP_HDRINCL`
//! sends it: through the host's OUTPUT path, exactly as written; with
//! `fragment N`, as the fragments a tool like fragroute writes, one after
//! the other.

use super::{App, Cx};
use crate::engine::Instant;

/// `send`.
pub struct Craft {
    datagrams: Vec<Vec<u8>>,
}

impl Craft {
    /// A one-shot sender of `datagrams`, in order.
    pub fn new(datagrams: Vec<Vec<u8>>) -> Craft {
        Craft { datagrams }
    }
}

impl App for Craft {
    fn start(&mut self, cx: &mut Cx<'_>) {
        for ip in &self.datagrams {
            if !cx.send(ip) {
                cx.say(format!("send {}: not sent (no route or dropped)", crate::wire::spec::describe(ip)));
            }
        }
    }

    fn datagram(&mut self, _cx: &mut Cx<'_>, _ip: &[u8]) {}

    fn timer(&mut self, _cx: &mut Cx<'_>) {}

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        None
    }
}
