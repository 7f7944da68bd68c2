//! The hook pipeline of one box.
//!
//! Packets pass the five IPv4 hooks where the kernel calls `NF_HOOK`:
//! PREROUTING after `ip_rcv`'s header checks, INPUT before local delivery,
//! FORWARD after the TTL check in `ip_forward`, OUTPUT for packets the box
//! originates, POSTROUTING before transmission. Within a hook the registered
//! steps run in the kernel's priority order ([`steps`]): raw −300, conntrack
//! −200, mangle −150, DNAT −100, filter 0, security 50, SNAT 100, confirm
//! last. A table that was never used registers nothing, as in the kernel, so
//! a box without rules costs nothing per packet.
//!
//! The nat table and conntrack arrive with the connection-tracking layer;
//! until then their steps are absent (nat only ever sees a connection's
//! first packet, and without conntrack there are no connections).

mod view;

pub use view::{Effects, SkbView};

use crate::engine::{Instant, Rng};
use crate::net::route::LocalTable;
use crate::ruleset::{Decision, Ruleset, Table};
use crate::skb::Skb;

/// The five IPv4 hooks (defined beside the extensions, whose masks use them).
pub use crate::xt::Hook;

/// What a hook decides for a packet (`NF_ACCEPT`, `NF_DROP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookVerdict {
    /// Continue on the packet's way.
    Accept,
    /// Discard the packet.
    Drop,
}

/// The rule that decided a packet's fate in a table: its chain's index in
/// the table and its 1-based number (`None` for a chain's policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decided {
    /// The hook.
    pub hook: Hook,
    /// The table.
    pub table: Table,
    /// `(chain index, rule number)`, or `None` when the policy decided.
    pub rule: Option<(usize, usize)>,
    /// What it decided.
    pub verdict: HookVerdict,
}

/// The tables a hook traverses, in priority order (conntrack and nat join
/// with the connection-tracking layer).
pub fn steps(hook: Hook) -> &'static [Table] {
    match hook {
        Hook::PreRouting => &[Table::Raw, Table::Mangle],
        Hook::Input => &[Table::Mangle, Table::Filter, Table::Security],
        Hook::Forward => &[Table::Mangle, Table::Filter, Table::Security],
        Hook::Output => &[Table::Raw, Table::Mangle, Table::Filter, Table::Security],
        Hook::PostRouting => &[Table::Mangle],
    }
}

/// Everything a hook needs from the box besides the packet.
pub struct HookCtx<'a> {
    /// Ingress interface name, "" when none.
    pub in_name: &'a str,
    /// Egress interface name, "" when none.
    pub out_name: &'a str,
    /// The box's addresses.
    pub local: &'a LocalTable,
    /// The virtual time.
    pub now: Instant,
    /// The link-layer header the packet arrived with.
    pub link: Option<[u8; 14]>,
}

/// The netfilter state of one box.
#[derive(Debug)]
pub struct Netfilter {
    /// The tables (iptables' view of them).
    pub ruleset: Ruleset,
    /// `-m statistic`'s random stream.
    rng: Rng,
    /// Side effects of the current traversal.
    pub effects: Effects,
    /// The rule (or filter policy) that decided for the current packet.
    pub decided: Option<Decided>,
}

impl Default for Netfilter {
    fn default() -> Self {
        Netfilter::new(Ruleset::new(), Rng::new(0).fork("netfilter"))
    }
}

impl Netfilter {
    /// A box's netfilter with `ruleset` loaded; `rng` feeds random matches.
    pub fn new(ruleset: Ruleset, rng: Rng) -> Netfilter {
        Netfilter { ruleset, rng, effects: Effects::default(), decided: None }
    }

    /// Forgets the previous packet's decision and effects.
    pub fn begin_packet(&mut self) {
        self.decided = None;
        self.effects.logs.clear();
        self.effects.reject = None;
    }

    /// `table/CHAIN/N` (or `table/CHAIN/policy`) for a decision, as verdict
    /// lines and transcripts name it.
    pub fn describe(&self, d: &Decided, out: &mut String) {
        use std::fmt::Write as _;
        let table = d.table.as_str();
        match d.rule {
            Some((chain, n)) => {
                let chain = self.ruleset.chain_name(d.table, chain).unwrap_or("?");
                let _ = write!(out, "{table}/{chain}/{n}");
            }
            None => {
                let _ = write!(out, "{table}/{}/policy", d.hook.chain_name());
            }
        }
    }

    /// Runs every step registered at `hook` on `skb`, in priority order.
    pub fn run(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        if self.ruleset.tables.is_empty() {
            return HookVerdict::Accept;
        }
        for &table in steps(hook) {
            if self.ruleset.table(table).is_none() {
                continue;
            }
            let mut view = SkbView {
                skb: &mut *skb,
                hook,
                in_name: ctx.in_name,
                out_name: ctx.out_name,
                now: ctx.now,
                local: ctx.local,
                rng: &mut self.rng,
                ct: None,
                link: ctx.link,
                effects: &mut self.effects,
            };
            let (decision, rule) = self.ruleset.traverse(table, hook, &mut view);
            let verdict = match decision {
                Decision::Accept => HookVerdict::Accept,
                Decision::Drop => HookVerdict::Drop,
            };
            // The decision worth naming: a drop, a rule's verdict, or the
            // filter table's policy; other tables' policies are pass-through.
            if verdict == HookVerdict::Drop || rule.is_some() || table == Table::Filter {
                self.decided = Some(Decided { hook, table, rule, verdict });
            }
            if verdict == HookVerdict::Drop {
                return HookVerdict::Drop;
            }
        }
        HookVerdict::Accept
    }
}
