//! ICMP errors about a NATed connection (`nf_nat_icmp_reply_translation`).
//!
//! An error quotes a packet of the connection as it was on the wire where
//! the error was raised, which is the other direction's view: so the quoted
//! header gets the *opposite* manip with the other direction's tuple, the
//! ICMP checksum is then computed afresh over the whole message (the quoted
//! L4 checksum itself is patched incrementally by the quoted packet's
//! rewrite, when its header is whole), and the outer header is rewritten
//! like any packet of the error's direction (addresses only: an error type
//! has no id).
//!
//! Refused (the packet is dropped): a message too short to hold the ICMP
//! header and a quoted IP header, a bad ICMP checksum, and a redirect about
//! a connection that is NATed or not fully NAT-decided.

use super::{Manip, mangle};
use crate::conntrack::{Conn, CtDir, status};
use crate::wire::checksum;

/// Why the translation refused the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Too short, or its checksum is wrong.
    Malformed,
    /// A redirect about a NATed connection.
    Redirect,
}

/// Translates the ICMP error `data` (an IPv4 datagram) travelling in `dir`
/// of connection `c` at a hook of `manip`. `Ok(false)` when the bindings
/// change nothing on this side.
pub fn reply_translation(data: &mut [u8], c: &Conn, dir: CtDir, manip: Manip) -> Result<bool, Refused> {
    let hlen = usize::from(data[0] & 0x0f) * 4;
    if data.len() < hlen + 8 + 20 {
        return Err(Refused::Malformed);
    }
    if checksum::data(&data[hlen..]) != 0xffff {
        return Err(Refused::Malformed);
    }
    if data[hlen] == 5 {
        let st = c.status();
        if st & status::NAT_DONE_MASK != status::NAT_DONE_MASK || st & (status::SRC_NAT | status::DST_NAT) != 0 {
            return Err(Refused::Redirect);
        }
    }
    let bit = match (manip, dir) {
        (Manip::Src, CtDir::Original) | (Manip::Dst, CtDir::Reply) => status::SRC_NAT,
        _ => status::DST_NAT,
    };
    if c.status() & bit == 0 {
        return Ok(false);
    }
    let other = c.tuple(dir.other());
    mangle::manip_pkt(data, hlen + 8, other, manip.other()).map_err(|_| Refused::Malformed)?;
    data[hlen + 2..hlen + 4].fill(0);
    let csum = checksum::finish(checksum::sum(&data[hlen..]));
    data[hlen + 2..hlen + 4].copy_from_slice(&csum.to_be_bytes());
    let mut outer = other.invert().unwrap_or(*other);
    outer.proto = crate::conntrack::tuple::proto_num::ICMP;
    mangle::manip_pkt(data, 0, &outer, manip).map_err(|_| Refused::Malformed)?;
    Ok(true)
}
