//! NAT as Linux 6.x does it (`nf_nat`): bindings made on a connection's
//! first packet, applied to every later packet of both directions.
//!
//! At each NAT hook a tracked packet goes through the nat step of
//! netfilter (the kernel's `nf_nat_inet_fn`):
//! - an ICMP error RELATED to a connection is translated, outer and quoted
//!   headers ([`icmp`]), and nothing else happens;
//! - a NEW (or RELATED) packet whose entry has no binding yet for the hook's
//!   manip type (SRC at POSTROUTING and INPUT, DST at PREROUTING and OUTPUT)
//!   traverses the nat chain; the first NAT target that fires makes the
//!   binding ([`Nat::setup`]); a chain that ends without one makes a *null
//!   binding* (the current address, any port), which still makes the tuple
//!   unique and may change a source port;
//! - then every packet is rewritten per the stored tuples ([`Nat::packet`]):
//!   original direction forward, reply direction reversed.
//!
//! A binding is only the entry's REPLY tuple (what replies will look like)
//! plus the SRC_NAT/DST_NAT and *_DONE status bits, as in the kernel; so an
//! established packet costs one look at its entry and a few checksum words.
//! MASQUERADE also records its output interface ([`BySource`] holds that
//! extension and the by-source index).
//!
//! Files: `range` (the mapping a rule asks for), `jhash` (the kernel's hash
//! that picks an address from a range), `select` (the unique tuple),
//! `mangle` (rewriting and checksums), `icmp` (errors), `bysource`; for
//! helpers: `helper` (payload rewriting, the expectation's port search,
//! following the master), `ftp`, `irc`, `tftp` (each helper's NAT half),
//! `seqadj` (shifting sequence numbers after a length change).

pub mod bysource;
pub mod ftp;
pub mod helper;
pub mod icmp;
pub mod irc;
pub mod jhash;
pub mod mangle;
pub mod range;
pub mod select;
pub mod seqadj;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;
pub mod tftp;

pub use bysource::BySource;
pub use range::Range;

use crate::conntrack::{Conntrack, CtDir, CtRef, Tuple, status};
use crate::engine::Rng;
use crate::xt::Hook;
use std::net::Ipv4Addr;

/// Which side of a tuple a hook rewrites (`enum nf_nat_manip_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manip {
    /// The source (POSTROUTING, INPUT).
    Src,
    /// The destination (PREROUTING, OUTPUT).
    Dst,
}

impl Manip {
    /// `HOOK2MANIP`.
    pub fn of_hook(hook: Hook) -> Manip {
        match hook {
            Hook::PostRouting | Hook::Input => Manip::Src,
            _ => Manip::Dst,
        }
    }

    /// The other one.
    pub fn other(self) -> Manip {
        match self {
            Manip::Src => Manip::Dst,
            Manip::Dst => Manip::Src,
        }
    }

    /// The status bit a binding that changed the tuple sets.
    fn nat_bit(self) -> u16 {
        match self {
            Manip::Src => status::SRC_NAT,
            Manip::Dst => status::DST_NAT,
        }
    }

    /// The status bit any binding sets.
    fn done_bit(self) -> u16 {
        match self {
            Manip::Src => status::SRC_NAT_DONE,
            Manip::Dst => status::DST_NAT_DONE,
        }
    }

    /// `SNAT`/`DNAT`, as traces name them.
    pub fn as_str(self) -> &'static str {
        match self {
            Manip::Src => "SNAT",
            Manip::Dst => "DNAT",
        }
    }
}

/// Which NAT target fired, and with what range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// SNAT or DNAT: the range as given.
    Map(Range),
    /// MASQUERADE: the output interface's address, the range's ports.
    Masquerade(Range),
    /// REDIRECT: the input interface's primary address (127.0.0.1 at
    /// OUTPUT), the range's ports.
    Redirect(Range),
    /// NETMAP: the prefix `min_addr..=max_addr`, host bits kept.
    Netmap(Range),
}

/// What a binding did, for traces: the original-direction tuple before and
/// after (equal for a binding that changed nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// SRC or DST.
    pub manip: Manip,
    /// The tuple before.
    pub from: Tuple,
    /// The tuple after.
    pub to: Tuple,
    /// A null binding (no rule asked for it).
    pub null: bool,
}

/// One box's NAT state: the random stream and the per-entry extension.
#[derive(Clone, Debug)]
pub struct Nat {
    rng: Rng,
    /// The by-source index and MASQUERADE's interfaces.
    pub bysrc: BySource,
}

fn invert(t: &Tuple) -> Tuple {
    t.invert().unwrap_or(*t)
}

impl Nat {
    /// NAT state drawing from `rng` (the box's `nat` stream).
    pub fn new(rng: Rng) -> Nat {
        Nat { rng, bysrc: BySource::default() }
    }

    /// `nf_nat_initialized`: the entry has a binding for `manip`.
    pub fn initialized(ct: &Conntrack, r: CtRef, manip: Manip) -> bool {
        ct.conn(r).status() & manip.done_bit() != 0
    }

    /// `nf_nat_setup_info`: makes the binding of `manip` for the unconfirmed
    /// entry `r` within `range`. A confirmed entry is left alone (`None`).
    pub fn setup(&mut self, ct: &mut Conntrack, r: CtRef, range: &Range, manip: Manip) -> Option<Binding> {
        let c = ct.conn(r);
        if c.is_confirmed() {
            return None;
        }
        let current = invert(c.reply());
        let new = select::Chooser { ct: &mut *ct, me: r, rng: &mut self.rng, bysrc: &mut self.bysrc }
            .unique(&current, range, manip);
        self.commit(ct, r, manip, &current, &new);
        Some(Binding { manip, from: current, to: new, null: false })
    }

    /// `nf_nat_alloc_null_binding`: the binding of an entry no rule mapped:
    /// its current address, any port part. The range is the tuple's own, so
    /// the choice takes its short form ([`select::Chooser::unique_null`]).
    pub fn null_binding(&mut self, ct: &mut Conntrack, r: CtRef, manip: Manip) -> Option<Binding> {
        let c = ct.conn(r);
        if c.is_confirmed() {
            return None;
        }
        let reply = *c.reply();
        let current = invert(&reply);
        let new = select::Chooser { ct: &mut *ct, me: r, rng: &mut self.rng, bysrc: &mut self.bysrc }
            .unique_null(&current, &reply, manip);
        self.commit(ct, r, manip, &current, &new);
        Some(Binding { manip, from: current, to: new, null: true })
    }

    /// The rest of `nf_nat_setup_info` once `new` is chosen for the entry
    /// whose original direction looked like `current`: the status bits and,
    /// when the tuple moved, the rest ([`Nat::commit_moved`]).
    #[inline(always)]
    fn commit(&mut self, ct: &mut Conntrack, r: CtRef, manip: Manip, current: &Tuple, new: &Tuple) {
        if new.same(current) {
            ct.set_status(r, manip.done_bit());
        } else {
            self.commit_moved(ct, r, manip, new);
        }
    }

    /// [`Nat::commit`] for a binding that moved the tuple: the REPLY tuple,
    /// both status bits and, for a moved source, the by-source filing.
    fn commit_moved(&mut self, ct: &mut Conntrack, r: CtRef, manip: Manip, new: &Tuple) {
        ct.alter_reply(r, invert(new));
        match manip {
            Manip::Dst => ct.warm_reply(r),
            // Only a mapping that moved the source is ever reused: the
            // by-source walk offers an entry's mapping to a connection
            // from the same source whose own source is out of the
            // range, and an unmoved mapping is that same out-of-range
            // source. So the kernel's filing of the others changes no
            // choice, and costs a SYN flood's every null binding a
            // list insertion.
            Manip::Src => {
                let c = ct.conn(r);
                let (orig, zone) = (*c.orig(), c.zone());
                self.bysrc.insert(r.slot(), ct.generation(r), &orig, zone, ct.buckets());
            }
        }
        ct.set_status(r, manip.done_bit() | manip.nat_bit());
    }

    /// `nf_nat_packet`: rewrites the packet at `data` (an IPv4 datagram) of
    /// entry `r` for `manip`, if the entry's bindings changed that side in
    /// the packet's direction. Returns whether it was rewritten; `Err` when
    /// the packet is too short to rewrite (the kernel drops it).
    #[inline]
    pub fn packet(ct: &Conntrack, r: CtRef, manip: Manip, data: &mut [u8]) -> Result<bool, mangle::Truncated> {
        let c = ct.conn(r);
        let dir = r.dir();
        // A reply's source was the original's destination, and so on.
        let bit = if dir == CtDir::Reply { manip.other().nat_bit() } else { manip.nat_bit() };
        if c.status() & bit == 0 {
            return Ok(false);
        }
        // The packet must look like the inverse of the other direction.
        let target = invert(c.tuple(dir_other(dir)));
        mangle::manip_pkt(data, 0, &target, manip)?;
        Ok(true)
    }

    /// `nf_nat_oif_changed`: a masqueraded entry's original-direction packet
    /// leaving by another interface than the one it was masqueraded on.
    pub fn oif_changed(&self, ct: &Conntrack, r: CtRef, hook: Hook, oif: Option<u32>) -> bool {
        hook == Hook::PostRouting
            && r.dir() == CtDir::Original
            && self.bysrc.masq_index(r.slot(), ct.generation(r)).is_some_and(|m| Some(m) != oif)
    }

    /// Records MASQUERADE's output interface for the entry.
    pub fn set_masq(&mut self, ct: &Conntrack, r: CtRef, ifindex: u32) {
        self.bysrc.set_masq(r.slot(), ct.generation(r), ifindex);
    }

    /// The masquerade flush (`masq_device_event`, `masq_inet_event`): deletes
    /// every entry masqueraded through `ifindex` (only those whose reply
    /// goes to `addr`, when an address was removed). Returns how many.
    pub fn flush_masquerade(&self, ct: &mut Conntrack, ifindex: u32, addr: Option<Ipv4Addr>) -> u32 {
        let victims: Vec<CtRef> = self
            .bysrc
            .masqueraded(ifindex)
            .filter_map(|(slot, generation)| ct.at(slot, generation))
            .filter(|r| addr.is_none_or(|a| ct.conn(*r).reply().dst_addr() == a))
            .collect();
        victims.into_iter().filter(|r| ct.kill(*r)).count() as u32
    }
}

fn dir_other(dir: CtDir) -> CtDir {
    dir.other()
}
