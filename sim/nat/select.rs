//! Choosing the translated tuple: `get_unique_tuple` of nf_nat_core.c
//! (Linux 6.12+), in the kernel's order.
//!
//! 1. SRC manip without `--random`/`--random-fully`: keep the tuple as it is
//!    when it already fits the range and its reply is free (the reverse-clash
//!    allowance of `nf_nat_used_tuple_new` included); else reuse the mapping
//!    another connection of the same source (address, port, protocol) already
//!    has, when it fits the range and is free (the "by-source" table).
//! 2. The address: a single address is taken as is; from a range, the
//!    kernel's `jhash2` of the source address keyed by the destination
//!    address (or by 0 with `--persistent`) picks it, so a client always gets
//!    the same address for a destination, on every Linux box (no secret).
//! 3. Without random flags, done if the port (or id) is already in the port
//!    range and free (or the range is one port), or no range and free.
//! 4. Otherwise search the port space: from a start offset, `min + (off + i)
//!    % size` for up to 128 tries, then rounds of half as many from a new
//!    offset while there are at least 16. The offset is random
//!    (`get_random_u16`) for a SRC manip or with random flags, 0 for a DST
//!    manip without them, the port's distance from `/base` for shifted maps.
//!    Random draws come from the box's `nat` stream (seeded, documented
//!    determinism instead of the kernel's CSPRNG). If nothing is free the
//!    last candidate stays, and confirmation drops the packet.
//!
//! FIXME: the TCP "harder" rule of the last 32 tries (evicting a SNATed
//! TIME_WAIT entry whose sequence numbers the new SYN has passed) needs the
//! TCP tracker's windows; a taken tuple is simply taken.

use super::range::{Range, flags};
use super::{BySource, Manip, jhash};
use crate::conntrack::tuple::proto_num;
use crate::conntrack::{Conntrack, CtRef, Tuple, proto, status};
use crate::engine::Rng;
use std::net::Ipv4Addr;

/// Most candidates one round of the port search tries (`NF_NAT_MAX_ATTEMPTS`).
const MAX_ATTEMPTS: u32 = 128;

/// Tries left from which a TCP SYN may evict a closing holder (`NF_NAT_HARDER_THRESH`).
const HARDER_THRESH: u32 = MAX_ATTEMPTS / 4;

/// What the choice needs besides the tuple and range.
pub(super) struct Chooser<'a> {
    /// The table, for "is this reply taken?".
    pub ct: &'a mut Conntrack,
    /// The entry being set up (ignored by the lookups).
    pub me: CtRef,
    /// The box's NAT random stream.
    pub rng: &'a mut Rng,
    /// Mappings by original source, for step 1.
    pub bysrc: &'a mut BySource,
}

fn invert(t: &Tuple) -> Tuple {
    t.invert().unwrap_or(*t)
}

impl Chooser<'_> {
    /// `get_unique_tuple`: the tuple the entry's original direction should
    /// look like after the manip, starting from `orig`.
    pub fn unique(&mut self, orig: &Tuple, range: &Range, manip: Manip) -> Tuple {
        if manip == Manip::Src && !range.has(flags::RANDOM_ALL) {
            if in_range(orig, range) {
                if !self.used_new(orig) {
                    return *orig;
                }
            } else if let Some(t) = self.appropriate_src(orig, range)
                && !self.used(&t)
            {
                return t;
            }
        }
        let mut t = *orig;
        // The zone only keys the hash that picks one of several addresses:
        // a range of one (most rules, every MASQUERADE) need not look it up.
        let zone = if range.min_addr == range.max_addr { 0 } else { self.ct.conn(self.me).zone() };
        best_ip(&mut t, range, manip, zone);
        if !range.has(flags::RANDOM_ALL) {
            if range.has(flags::PROTO_SPECIFIED) {
                if !range.has(flags::OFFSET)
                    && proto_in_range(&t, manip, range)
                    && (range.min_proto == range.max_proto || !self.used(&t))
                {
                    return t;
                }
            } else if !self.used(&t) {
                return t;
            }
        }
        self.search_port(&mut t, range, manip);
        t
    }

    /// [`Self::unique`] for a null binding's range, the tuple's own address
    /// with any port and no flags (`nf_nat_alloc_null_binding`), with what
    /// that range settles done ahead: the tuple is in it, `find_best_ips_proto`
    /// keeps its address, and no port range is given. So the same checks
    /// run, in the same order (a taken tuple is counted as often), without
    /// the range's tests. `reply` is the entry's reply tuple, `cur`'s
    /// inverse: the tuple a clash would hold, asked about as it is.
    pub fn unique_null(&mut self, cur: &Tuple, reply: &Tuple, manip: Manip) -> Tuple {
        if manip == Manip::Src && (!self.ct.tuple_taken(reply, self.me) || self.clash_left_to_confirm(cur)) {
            return *cur;
        }
        if !self.ct.tuple_taken(reply, self.me) {
            return *cur;
        }
        let mut t = *cur;
        let addr = if manip == Manip::Src { cur.src } else { cur.dst };
        let range = Range { flags: flags::MAP_IPS, min_addr: addr, max_addr: addr, ..Range::default() };
        self.search_port(&mut t, &range, manip);
        t
    }

    /// `nf_nat_used_tuple`: would `t`'s reply clash with another entry?
    fn used(&mut self, t: &Tuple) -> bool {
        self.ct.tuple_taken(&invert(t), self.me)
    }

    /// `nf_nat_used_tuple_new`: as [`Self::used`], but an un-NATed clash with
    /// an un-NATed entry that is this flow's reverse (both directions seen
    /// as new at once) is left to confirmation, for protocols that allow
    /// clashes.
    #[inline]
    fn used_new(&mut self, t: &Tuple) -> bool {
        self.used(t) && !self.clash_left_to_confirm(t)
    }

    /// [`Self::used_new`]'s second look at a taken `t`: true when the clash
    /// is the allowed reverse one.
    fn clash_left_to_confirm(&mut self, t: &Tuple) -> bool {
        const USES_NAT: u16 = status::SRC_NAT | status::DST_NAT | status::SEQ_ADJUST;
        let me = self.ct.conn(self.me);
        if !proto::tracker(me.proto_num()).allow_clash() || me.status() & USES_NAT != 0 {
            return false;
        }
        let (zone, my_reply) = (me.zone(), *me.reply());
        let found = match self.ct.lookup(t, zone) {
            Some(f) => Some(f),
            None => self.ct.lookup(&invert(t), zone),
        };
        let Some((other, _)) = found else { return true };
        let other = self.ct.conn(other);
        other.status() & USES_NAT == 0 && other.orig() == &my_reply
    }

    /// `nf_nat_used_tuple_harder`: in the last [`HARDER_THRESH`] tries for a
    /// TCP entry in SYN_SENT the kernel looks the reply up directly (so the
    /// `found` counter does not move) to see whether the holder could be
    /// evicted. FIXME: eviction (a SNATed holder in TIME_WAIT or later whose
    /// sequence numbers the new SYN has passed) needs the TCP tracker's
    /// windows; here the holder always keeps its tuple.
    fn used_harder(&mut self, t: &Tuple, attempts_left: u32) -> bool {
        let me = self.ct.conn(self.me);
        let syn_sent =
            me.proto_num() == proto_num::TCP && me.tcp_state() == crate::conntrack::proto::tcp::TcpState::SynSent;
        if attempts_left > HARDER_THRESH || t.proto != proto_num::TCP || !syn_sent {
            return self.used(t);
        }
        let zone = me.zone();
        self.ct.lookup(&invert(t), zone).is_some()
    }

    /// `find_appropriate_src`: another entry with this source already
    /// mapped to something in the range.
    fn appropriate_src(&mut self, orig: &Tuple, range: &Range) -> Option<Tuple> {
        let zone = self.ct.conn(self.me).zone();
        let ct = &*self.ct;
        self.bysrc.find(ct, orig, zone, |reply| {
            let t = Tuple { dst: orig.dst, dport: orig.dport, ..invert(reply) };
            in_range(&t, range).then_some(t)
        })
    }

    /// `nf_nat_l4proto_unique_tuple`: search the port (or id) space.
    fn search_port(&mut self, t: &mut Tuple, range: &Range, manip: Manip) {
        let Some((key_is_src, min, size)) = port_space(t, range, manip) else { return };
        let key = |t: &mut Tuple, v: u16| {
            if key_is_src { t.sport = v } else { t.dport = v }
        };
        let current = if key_is_src { t.sport } else { t.dport };
        let mut off: u16 = if range.has(flags::OFFSET) {
            current.wrapping_sub(range.base_proto)
        } else if range.has(flags::RANDOM_ALL) || manip != Manip::Dst {
            self.rng.next_u32() as u16
        } else {
            0
        };
        let mut attempts = size.min(MAX_ATTEMPTS);
        loop {
            for i in 0..attempts {
                key(t, (min + u32::from(off) % size) as u16);
                if !self.used_harder(t, attempts - i) {
                    return;
                }
                off = off.wrapping_add(1);
            }
            if attempts >= size || attempts < 16 {
                return;
            }
            attempts /= 2;
            off = self.rng.next_u32() as u16;
        }
    }
}

/// Which field a search changes (`true`: the source part), its lowest value
/// and how many values there are; `None` when the kernel changes nothing.
fn port_space(t: &Tuple, range: &Range, manip: Manip) -> Option<(bool, u32, u32)> {
    let specified = range.has(flags::PROTO_SPECIFIED);
    let (lo, hi) = (u32::from(range.min_proto.min(range.max_proto)), u32::from(range.min_proto.max(range.max_proto)));
    match t.proto {
        // The echo id is the same in both directions: always the source part.
        proto_num::ICMP => Some(if specified { (true, lo, hi - lo + 1) } else { (true, 0, 65536) }),
        proto_num::TCP | proto_num::UDP | proto_num::UDPLITE | proto_num::SCTP | proto_num::DCCP => {
            let src = manip == Manip::Src;
            if specified {
                return Some((src, lo, hi - lo + 1));
            }
            // A destination port is never moved without a port range.
            if !src {
                return None;
            }
            Some(match t.sport {
                0..=511 => (true, 1, 511),
                512..=1023 => (true, 600, 424),
                _ => (true, 1024, 64512),
            })
        }
        // GRE keys change only for PPTP children (no helpers yet); others have no ports.
        _ => None,
    }
}

/// `nf_in_range`: the source address (and port) fit the range.
fn in_range(t: &Tuple, range: &Range) -> bool {
    (!range.has(flags::MAP_IPS) || range.addr_in_range(t.src))
        && (!range.has(flags::PROTO_SPECIFIED) || proto_in_range(t, Manip::Src, range))
}

/// `l4proto_in_range`: the manipulated port part is within the range.
fn proto_in_range(t: &Tuple, manip: Manip, range: &Range) -> bool {
    let v = match t.proto {
        proto_num::ICMP => t.sport,
        proto_num::TCP | proto_num::UDP | proto_num::SCTP | proto_num::GRE => {
            if manip == Manip::Src {
                t.sport
            } else {
                t.dport
            }
        }
        _ => return true,
    };
    range.min_proto <= v && v <= range.max_proto
}

/// `find_best_ips_proto`: the address of the range this tuple gets.
pub fn best_ip(t: &mut Tuple, range: &Range, manip: Manip, zone: u16) {
    if !range.has(flags::MAP_IPS) {
        return;
    }
    let chosen = if range.min_addr == range.max_addr {
        range.min_addr
    } else {
        let initval = if range.has(flags::PERSISTENT) { 0 } else { jhash::word_of(t.dst_addr()) ^ u32::from(zone) };
        // The kernel hashes the whole `union nf_inet_addr`: four words, the
        // IPv4 address then zeros (checked against 6.18's choices).
        let j = jhash::jhash2(&[jhash::word_of(t.src_addr()), 0, 0, 0], initval);
        let dist = range.max_addr.wrapping_sub(range.min_addr).wrapping_add(1);
        range.min_addr.wrapping_add(((u64::from(j) * u64::from(dist)) >> 32) as u32)
    };
    if manip == Manip::Src {
        t.src = chosen;
    } else {
        t.dst = chosen;
    }
}

/// The address `best_ip` picks for `src` talking to `dst` from `lo..=hi`
/// (what the FAQ's "SNAT to multiple addresses" hands out).
pub fn pick_address(src: Ipv4Addr, dst: Ipv4Addr, lo: Ipv4Addr, hi: Ipv4Addr, persistent: bool) -> Ipv4Addr {
    let mut range =
        Range { flags: flags::MAP_IPS, min_addr: u32::from(lo), max_addr: u32::from(hi), ..Range::default() };
    if persistent {
        range.flags |= flags::PERSISTENT;
    }
    let mut t = Tuple::new(src, dst, proto_num::UDP, 1, 1);
    best_ip(&mut t, &range, Manip::Src, 0);
    t.src_addr()
}
