//! The NAT step of a hook (`nf_nat_ipv4_fn` and `nf_nat_inet_fn`): where
//! the nat table is traversed, bindings are made and every tracked packet
//! is rewritten. The choices themselves live in [`crate::nat`].
//!
//! Per tracked packet at PREROUTING, OUTPUT (DST) and INPUT, POSTROUTING
//! (SRC), when the box has a nat table:
//! 1. an ICMP error RELATED to an entry: translated, nothing more;
//! 2. NEW or RELATED without a binding for this manip: the nat chain runs;
//!    a NAT target's request becomes the binding, else a null binding;
//!    with a binding, or ESTABLISHED: a masqueraded entry leaving by another
//!    interface is deleted and its packet dropped;
//! 3. the packet is rewritten per the entry's tuples.

use super::{HookCtx, HookVerdict, Netfilter, TraceEvent};
use crate::conntrack::tuple::proto_num;
use crate::conntrack::{CtInfo, CtRef};
use crate::nat::{Binding, Manip, Nat, Request, icmp};
use crate::ruleset::Table;
use crate::skb::{IfIndex, Nfct, Skb};
use crate::xt::Hook;
use std::net::Ipv4Addr;

/// The box's addresses as NAT targets need them.
pub trait NatAddrs {
    /// The source MASQUERADE uses leaving by `oif` towards `dst`: the
    /// address `inet_select_addr` picks on `oif` for the route's next hop.
    fn masquerade_source(&self, oif: IfIndex, dst: Ipv4Addr) -> Option<Ipv4Addr>;
    /// The first IPv4 address of interface `ifindex` (REDIRECT's target).
    fn first_addr(&self, ifindex: IfIndex) -> Option<Ipv4Addr>;
}

impl Netfilter {
    /// The nat table's step at `hook`.
    /// [`Netfilter::run`] calls it only when the box has a nat table.
    ///
    /// An established packet, most of them, takes `nf_nat_inet_fn`'s
    /// default case here, in the caller's line: no chain to run, only the
    /// masquerade check and the rewrite its entry's bindings ask for (often
    /// none: a masqueraded connection rewrites at one hook of the two).
    #[inline]
    pub(super) fn nat_step(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        let r = match (skb.nfct, &mut self.conntrack) {
            (Nfct::Tracked(r), Some(ct)) if matches!(r.info, CtInfo::Established | CtInfo::EstablishedReply) => {
                if !ct.is_live(r) {
                    return HookVerdict::Accept;
                }
                if self.nat.oif_changed(ct, r, hook, skb.oif) {
                    // nf_ct_kill_acct: the masqueraded entry dies with its packet.
                    ct.kill(r);
                    return HookVerdict::Drop;
                }
                r
            }
            _ => match self.nat_first(hook, skb, ctx) {
                Ok(r) => r,
                Err(verdict) => return verdict,
            },
        };
        // One call of the rewrite for both ways: it stays in this line.
        let ct = self.conntrack.as_ref().expect("tracked");
        match Nat::packet(ct, r, Manip::of_hook(hook), skb.data_mut()) {
            Ok(_) => HookVerdict::Accept,
            Err(_) => HookVerdict::Drop,
        }
    }

    /// [`Netfilter::nat_step`] for every packet but an established one: a
    /// connection's first packets (NEW, RELATED), ICMP errors, untracked
    /// ones. Returns the entry whose bindings rewrite the packet, or the
    /// step's verdict when nothing is left to do.
    #[inline(never)]
    fn nat_first(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> Result<CtRef, HookVerdict> {
        if skb.nfct == Nfct::None && ctx.sysctls.profile().nat_drops_untracked() {
            return Err(self.untracked_drop(hook, skb));
        }
        let (Nfct::Tracked(r), Some(ct)) = (skb.nfct, &mut self.conntrack) else { return Err(HookVerdict::Accept) };
        if !ct.is_live(r) {
            return Err(HookVerdict::Accept);
        }
        let manip = Manip::of_hook(hook);
        let related = matches!(r.info, CtInfo::Related | CtInfo::RelatedReply);
        if related && skb.data().get(9) == Some(&proto_num::ICMP) {
            return Err(match icmp::reply_translation(skb.data_mut(), ct.conn(r), r.dir(), manip) {
                Ok(_) => HookVerdict::Accept,
                Err(_) => HookVerdict::Drop,
            });
        }
        if (related || r.info == CtInfo::New) && !Nat::initialized(ct, r, manip) {
            if self.bind(hook, manip, r, skb, ctx) == HookVerdict::Drop {
                return Err(HookVerdict::Drop);
            }
        } else if self.nat.oif_changed(ct, r, hook, skb.oif) {
            // nf_ct_kill_acct: the masqueraded entry dies with its packet.
            ct.kill(r);
            return Err(HookVerdict::Drop);
        }
        Ok(r)
    }

    /// 2.4's nat hook without conntrack information: the packet is dropped
    /// and named in a KERN_DEBUG line (FAQ 3.1, 3.2). The kernel printed the
    /// `sk_buff` pointer; a made-up slab address from the IP ID stands in.
    #[cold]
    #[inline(never)]
    fn untracked_drop(&mut self, hook: Hook, skb: &Skb) -> HookVerdict {
        let d = skb.data();
        if d.len() >= 20 {
            let ip = |o: usize| Ipv4Addr::new(d[o], d[o + 1], d[o + 2], d[o + 3]);
            let fake_skb = 0xc100_0000 | u32::from(u16::from_be_bytes([d[4], d[5]])) << 7;
            let line = crate::kernel::linux24::nat_untracked(hook as u8, fake_skb, d[9], ip(12), ip(16));
            self.effects.logs.push((7, line));
        }
        HookVerdict::Drop
    }

    /// Runs the nat chain for a packet whose entry has no `manip` binding
    /// yet, then makes the binding it asked for, or a null binding.
    fn bind(&mut self, hook: Hook, manip: Manip, r: CtRef, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        self.effects.nat = None;
        if self.table(Table::Nat, hook, skb, ctx) == HookVerdict::Drop {
            self.effects.nat = None;
            return HookVerdict::Drop;
        }
        let mut binding = None;
        if let Some(req) = self.effects.nat.take() {
            match self.request(req, hook, manip, r, skb, ctx) {
                Ok(b) => binding = b,
                Err(()) => return HookVerdict::Drop,
            }
        }
        // A binding the request made is the entry's: only without one can
        // the entry still lack it.
        let ct = self.conntrack.as_mut().expect("tracked");
        if binding.is_none() && !Nat::initialized(ct, r, manip) {
            binding = self.nat.null_binding(ct, r, manip);
        }
        if let Some(binding) = binding {
            self.record(|| TraceEvent::Nat { hook, binding });
        }
        HookVerdict::Accept
    }

    /// Turns a target's request into a binding (`xt_snat_target`,
    /// `nf_nat_masquerade_ipv4`, `nf_nat_redirect_ipv4`, `netmap_tg4`).
    /// `Err` drops the packet; `Ok(None)` leaves the entry unbound.
    fn request(
        &mut self,
        req: Request,
        hook: Hook,
        manip: Manip,
        r: CtRef,
        skb: &Skb,
        ctx: &HookCtx<'_>,
    ) -> Result<Option<Binding>, ()> {
        let ct = self.conntrack.as_mut().expect("tracked");
        // The packet's addresses, read only by the targets that use them.
        let ip = skb.data();
        let range = match req {
            Request::Map(range) => range,
            Request::Masquerade(range) => {
                // A source of 0.0.0.0 is a local packet not meant to be masqueraded.
                if ct.conn(r).orig().src == 0 {
                    return Ok(None);
                }
                let oif = skb.oif.unwrap_or(0);
                let Some(new_src) = ctx.addrs.and_then(|a| a.masquerade_source(oif, addr_at(ip, 16))) else {
                    self.effects.logs.push((6, format!("{} ate my IP address", ctx.out_name)));
                    return Err(());
                };
                self.nat.set_masq(ct, r, oif);
                range.with_addr(new_src)
            }
            Request::Redirect(range) => {
                let to = if hook == Hook::Output {
                    Some(Ipv4Addr::LOCALHOST)
                } else {
                    skb.iif.and_then(|i| ctx.addrs.and_then(|a| a.first_addr(i)))
                };
                range.with_addr(to.ok_or(())?)
            }
            Request::Netmap(range) => {
                let mask = !(range.min_addr ^ range.max_addr);
                let old = u32::from(addr_at(ip, if manip == Manip::Dst { 16 } else { 12 }));
                range.with_addr(Ipv4Addr::from((old & !mask) | (range.min_addr & mask)))
            }
        };
        Ok(self.nat.setup(ct, r, &range, manip))
    }
}

fn addr_at(ip: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(ip[at], ip[at + 1], ip[at + 2], ip[at + 3])
}

/// A packet's addresses (and ports, for port protocols) as it left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Source and destination ports, for TCP, UDP, UDP-Lite, SCTP, DCCP.
    pub ports: Option<(u16, u16)>,
}

impl std::fmt::Display for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ports {
            Some((sp, dp)) => write!(f, "{}:{sp} > {}:{dp}", self.src, self.dst),
            None => write!(f, "{} > {}", self.src, self.dst),
        }
    }
}

impl Netfilter {
    /// For a packet whose connection is NATed: its addresses (and ports)
    /// as it left the box; `None` when its connection has no NAT.
    pub fn nat_endpoints(&self) -> Option<Endpoints> {
        use crate::conntrack::status::{DST_NAT, SRC_NAT};
        let (Some(r), Some(ct)) = (self.ct_ref, &self.conntrack) else { return None };
        if !ct.is_live(r) {
            return None;
        }
        let c = ct.get(r);
        if c.status() & (SRC_NAT | DST_NAT) == 0 {
            return None;
        }
        // A packet leaves as the other direction's tuple, inverted.
        let t = if r.dir() == crate::conntrack::CtDir::Original { c.reply() } else { c.orig() };
        let ported =
            matches!(t.proto, proto_num::TCP | proto_num::UDP | proto_num::UDPLITE | proto_num::SCTP | proto_num::DCCP);
        Some(Endpoints {
            src: Ipv4Addr::from(t.dst),
            dst: Ipv4Addr::from(t.src),
            ports: ported.then_some((t.dport, t.sport)),
        })
    }

    /// [`Netfilter::nat_endpoints`] as text (`203.0.113.1:40000 >
    /// 198.51.100.7:443`) appended to `out`; false when there is no NAT.
    pub fn nat_after(&self, out: &mut String) -> bool {
        use std::fmt::Write as _;
        match self.nat_endpoints() {
            Some(e) => write!(out, "{e}").is_ok(),
            None => false,
        }
    }
}
