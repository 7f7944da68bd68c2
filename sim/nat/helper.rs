//! What NAT helpers share (`nf_nat_helper`, `nf_nat_exp_find_port`,
//! `nf_nat_follow_master`): rewriting payload text of a TCP segment, the
//! port search for an expectation, and the binding of an expected
//! connection so that it follows its master's NAT.

use super::{Binding, Manip, Nat, Range, range};
use crate::conntrack::expect::{ExpectError, Expectation, FollowMaster};
use crate::conntrack::{Conntrack, CtDir, CtRef, ExpectOutcome};
use crate::kernel::Sysctls;
use crate::skb::Skb;
use crate::wire::checksum;
use std::net::Ipv4Addr;

/// Replaces `len` bytes at payload offset `off` of the TCP segment in
/// `skb` with `text` (`__nf_nat_mangle_tcp_packet`): the IP total length
/// and both checksums are recomputed. Returns the length change, or `None`
/// when the datagram would outgrow 65535 bytes (the kernel drops).
pub fn mangle_tcp(skb: &mut Skb, off: usize, len: usize, text: &[u8]) -> Option<i32> {
    let ihl = usize::from(skb.data()[0] & 0x0f) * 4;
    let doff = usize::from(skb.data()[ihl + 12] >> 4) * 4;
    let new_len = skb.len() - len + text.len();
    if new_len > 65535 {
        return None;
    }
    skb.splice(ihl + doff + off, len, text);
    let d = skb.data_mut();
    d[2..4].copy_from_slice(&(new_len as u16).to_be_bytes());
    d[10..12].fill(0);
    let c = checksum::data(&d[..ihl]);
    d[10..12].copy_from_slice(&(!c).to_be_bytes());
    let (src, dst) = (addr(d, 12), addr(d, 16));
    d[ihl + 16..ihl + 18].fill(0);
    let l4_len = (new_len - ihl) as u16;
    let sum = checksum::pseudo_header(src, dst, 6, l4_len) + checksum::sum(&d[ihl..new_len]);
    d[ihl + 16..ihl + 18].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    Some(text.len() as i32 - len as i32)
}

fn addr(d: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(d[at], d[at + 1], d[at + 2], d[at + 3])
}

/// The result of placing an expectation with a NAT port search.
pub struct Placed {
    /// The expectation's id and its port, or why it could not be placed.
    pub result: Result<(u32, u16), ExpectError>,
    /// A kernel line the attempts asked to print (table full).
    pub log: Option<String>,
}

impl Nat {
    /// `nf_nat_exp_find_port`: asks for `e` at its own port first, then, while
    /// the port clashes, at random ports in `[port, 65535)`, at most 128
    /// times. The expectation remembers `saved_port` and that the expected
    /// connection travels in `dir` and follows the master's NAT.
    pub fn expect_find_port(
        &mut self,
        ct: &mut Conntrack,
        master: CtRef,
        mut e: Expectation,
        dir: CtDir,
        sysctls: &Sysctls,
    ) -> Placed {
        let base = e.tuple.dport;
        e.nat = Some(FollowMaster { dir, saved_port: base });
        let range = u32::from(u16::MAX - base);
        let mut attempts_left = range.min(128) as i32;
        let mut port = base;
        loop {
            e.tuple.dport = port;
            let ExpectOutcome { result, log } = ct.expect_related(master, e, sysctls);
            match result {
                Ok(id) => return Placed { result: Ok((id, port)), log },
                Err(ExpectError::Busy) if attempts_left > 0 && range > 0 => {
                    attempts_left -= 1;
                    port = base + self.rng.below(range) as u16;
                }
                Err(x) => return Placed { result: Err(x), log },
            }
        }
    }

    /// `nf_nat_follow_master`: the expected connection `r` (still
    /// unconfirmed) gets its source mapped to where the master's packets
    /// in `follow.dir`'s opposite direction go, and its destination to the
    /// master's endpoint on the far side with the saved port.
    pub fn follow_master(
        &mut self,
        ct: &mut Conntrack,
        r: CtRef,
        master: CtRef,
        follow: FollowMaster,
    ) -> [Option<Binding>; 2] {
        let m = ct.conn(master);
        let t = *m.tuple(follow.dir.other());
        let src = Range::to_addr(Ipv4Addr::from(t.dst));
        let dst = Range {
            flags: range::flags::MAP_IPS | range::flags::PROTO_SPECIFIED,
            min_addr: t.src,
            max_addr: t.src,
            min_proto: follow.saved_port,
            max_proto: follow.saved_port,
            base_proto: 0,
        };
        [self.setup(ct, r, &src, Manip::Src), self.setup(ct, r, &dst, Manip::Dst)]
    }
}
