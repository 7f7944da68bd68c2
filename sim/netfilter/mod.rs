//! The hook pipeline of one box.
//!
//! Packets pass the five IPv4 hooks where the kernel calls `NF_HOOK`:
//! PREROUTING after `ip_rcv`'s header checks, INPUT before local delivery,
//! FORWARD after the TTL check in `ip_forward`, OUTPUT for packets the box
//! originates, POSTROUTING before transmission. Within a hook the registered
//! steps run in the kernel's priority order ([`steps`]): raw −300, conntrack
//! −200, mangle −150, DNAT −100, filter 0, security 50, SNAT 100, confirm
//! last. A table that was never used registers nothing, as in the kernel, so
//! a box without rules costs nothing per packet; conntrack registers only
//! when a rule needs it (a state or conntrack match, the nat table, CT...).
//!
//! The nat table sees only a connection's first packet for each manip type
//! (and ICMP errors are translated without it); every tracked packet is
//! rewritten per its connection's bindings at each nat step (`nat`).

mod helper;
mod nat;
mod plan;
mod trace;
mod view;

pub use nat::{Endpoints, NatAddrs};
pub use trace::TraceEvent;
pub use view::{CtSource, Effects, SkbView};

use crate::conntrack::{Conntrack, CtConfig, CtInfo};
use crate::engine::{Instant, Rng};
use crate::kernel::Sysctls;
use crate::nat::Nat;
use crate::net::iface::IfName;
use crate::net::route::LocalTable;
use crate::ruleset::{Decision, Ruleset, Table, Verdict};
use crate::skb::{Nfct, Skb};
use crate::xt::{CtFacts, CtState};

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

/// One registered step of a hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An iptables table.
    Table(Table),
    /// `nf_conntrack_in`: find or create the packet's connection.
    Conntrack,
    /// `nf_conntrack_confirm`: the connection enters the table.
    Confirm,
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

/// A hook's steps, in priority order.
pub const fn steps(hook: Hook) -> &'static [Step] {
    use Step::{Confirm, Conntrack as Ct, Table as T};
    match hook {
        Hook::PreRouting => &[T(Table::Raw), Ct, T(Table::Mangle), T(Table::Nat)],
        Hook::Input => &[T(Table::Mangle), T(Table::Filter), T(Table::Security), T(Table::Nat), Confirm],
        Hook::Forward => &[T(Table::Mangle), T(Table::Filter), T(Table::Security)],
        Hook::Output => &[T(Table::Raw), Ct, T(Table::Mangle), T(Table::Nat), T(Table::Filter), T(Table::Security)],
        Hook::PostRouting => &[T(Table::Mangle), T(Table::Nat), Confirm],
    }
}

/// Everything a hook needs from the box besides the packet.
pub struct HookCtx<'a> {
    /// Ingress interface name, "" when none.
    pub in_name: &'a str,
    /// Egress interface name, "" when none.
    pub out_name: &'a str,
    /// The same names in the form rule walks compare against.
    pub in_dev: &'a IfName,
    pub out_dev: &'a IfName,
    /// The box's addresses.
    pub local: &'a LocalTable,
    /// The virtual time.
    pub now: Instant,
    /// The box's sysctls (conntrack's timeouts and switches).
    pub sysctls: &'a Sysctls,
    /// The box's addresses, for MASQUERADE and REDIRECT (`None`: none known).
    pub addrs: Option<&'a dyn NatAddrs>,
}

/// The packet's new entry `r` enters the table: the packet then holds the
/// confirmed entry, or, on a clash (`insert_failed`), none and is dropped.
#[inline(always)]
fn enter(ct: &mut Conntrack, r: crate::conntrack::CtRef, skb: &mut Skb, now: Instant) -> HookVerdict {
    match ct.confirm(r, now) {
        Ok(confirmed) => {
            skb.nfct = Nfct::Tracked(confirmed);
            HookVerdict::Accept
        }
        Err(_) => {
            skb.nfct = Nfct::None;
            HookVerdict::Drop
        }
    }
}

/// What `-m state` sees of an untracked packet.
const UNTRACKED: CtFacts = CtFacts {
    state: CtState::Untracked,
    proto: 0,
    orig: crate::xt::packet::CtTuple::ZERO,
    reply: crate::xt::packet::CtTuple::ZERO,
    status: 0,
    expires_secs: 0,
    reply_dir: false,
    mark: 0,
    helper: None,
    master_helper: None,
    packets: [0; 2],
    bytes: [0; 2],
    conn_count: 0,
};

/// The netfilter state of one box.
#[derive(Debug)]
pub struct Netfilter {
    /// The tables (iptables' view of them).
    pub ruleset: Ruleset,
    /// Connection tracking, once a rule needs it.
    pub conntrack: Option<Conntrack>,
    /// NAT's state: its random stream and per-entry extension.
    pub nat: Nat,
    /// `-m statistic`'s random stream.
    rng: Rng,
    /// Side effects of the current traversal.
    pub effects: Effects,
    /// The rule (or filter policy) that decided for the current packet.
    pub decided: Option<Decided>,
    /// What conntrack made of the current packet.
    pub ct_state: Option<CtState>,
    /// The current packet's entry, once conntrack gave it one.
    pub ct_ref: Option<crate::conntrack::CtRef>,
    /// Every step's outcome, when tracing is on (`Some`); the caller drains it.
    pub trace: Option<Vec<TraceEvent>>,
    /// The helper a raw-table `CT --helper` gave the current packet, for
    /// the entry conntrack creates (the kernel's template).
    pending_helper: Option<crate::conntrack::helper::Helper>,
    /// What the current packet's helper did, for the trace.
    helper_note: Option<String>,
}

impl Default for Netfilter {
    fn default() -> Self {
        Netfilter::new(Ruleset::new(), &Sysctls::default(), &Rng::new(0), None)
    }
}

impl Netfilter {
    /// A box's netfilter with `ruleset` loaded; `rng` is the box's stream.
    /// `netns` names the box's network namespace by inode when it is not
    /// the initial one (the kernel's table-full message says which).
    pub fn new(ruleset: Ruleset, sysctls: &Sysctls, rng: &Rng, netns: Option<u32>) -> Netfilter {
        let conntrack = needs_conntrack(&ruleset).then(|| {
            let seed = rng.fork("conntrack-hash").next_u64();
            Conntrack::new(CtConfig { netns, ..CtConfig::from_sysctls(sysctls, seed) })
        });
        Netfilter {
            ruleset,
            conntrack,
            nat: Nat::new(rng.fork("nat")),
            rng: rng.fork("netfilter"),
            effects: Effects::default(),
            decided: None,
            ct_state: None,
            ct_ref: None,
            trace: None,
            pending_helper: None,
            helper_note: None,
        }
    }

    /// Forgets the previous packet's decision and effects.
    pub fn begin_packet(&mut self) {
        self.decided = None;
        self.ct_state = None;
        self.ct_ref = None;
        self.pending_helper = None;
        self.effects.logs.clear();
        self.effects.reject = None;
    }

    /// `table/CHAIN/N` (or `table/CHAIN/policy`) for a decision, as verdict
    /// lines and transcripts name it.
    pub fn describe(&self, d: &Decided, out: &mut String) {
        // Once per packet: pushed piece by piece, without `format!`.
        out.push_str(d.table.as_str());
        out.push('/');
        match d.rule {
            Some((chain, n)) => {
                out.push_str(self.ruleset.chain_name(d.table, chain).unwrap_or("?"));
                out.push('/');
                push_decimal(out, n);
            }
            None => {
                out.push_str(d.hook.chain_name());
                out.push_str("/policy");
            }
        }
    }

    /// Runs every step registered at `hook` on `skb`, in priority order.
    /// In the line of its one caller (`Host::nf_hook`): a packet passes
    /// three hooks, and a call layer less is three frames less per packet.
    #[inline]
    pub fn run(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        // A table that does not exist registered nothing at the hook.
        let present = self.ruleset.present();
        if present == 0 {
            return HookVerdict::Accept;
        }
        for &step in plan::plan(hook, present).steps() {
            let verdict = match step {
                Step::Table(Table::Nat) => self.nat_step(hook, skb, ctx),
                Step::Table(table) => self.table(table, hook, skb, ctx),
                Step::Conntrack => self.conntrack_in(hook, skb, ctx),
                Step::Confirm => self.help_and_confirm(hook, skb, ctx),
            };
            if verdict == HookVerdict::Drop {
                if !matches!(step, Step::Table(_)) {
                    self.record(|| TraceEvent::Dropped { hook, step });
                }
                return HookVerdict::Drop;
            }
        }
        HookVerdict::Accept
    }

    /// The last step of INPUT and POSTROUTING: the helper, then confirm.
    /// A packet of a confirmed entry with neither helper nor sequence
    /// adjustment, most of them, has nothing to do but deliver the entry's
    /// cached events: that is tested here, in the caller's line, from one
    /// read of the entry.
    #[inline]
    fn help_and_confirm(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        use crate::conntrack::status::{CONFIRMED, SEQ_ADJUST};
        if let (Nfct::Tracked(r), Some(ct)) = (skb.nfct, &mut self.conntrack)
            && ct.is_live(r)
        {
            let c = ct.get(r);
            if c.status() & (CONFIRMED | SEQ_ADJUST) == CONFIRMED && c.helper().is_none() {
                ct.deliver_cached_events(r);
                return HookVerdict::Accept;
            }
        }
        self.help_then_confirm(hook, skb, ctx)
    }

    /// [`Netfilter::help_and_confirm`]'s full way. Each step is a call of
    /// its own, out of line: inlined, their state made `run` set up for all
    /// of them on every call.
    #[inline(never)]
    fn help_then_confirm(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        use crate::conntrack::status::{CONFIRMED, SEQ_ADJUST};
        // A new entry in its own direction with neither helper nor sequence
        // adjustment, most that come here: the helper step has nothing to
        // do, and the entry read once says it goes straight to the table.
        if let (Nfct::Tracked(r), Some(ct)) = (skb.nfct, &mut self.conntrack)
            && r.dir() == crate::conntrack::CtDir::Original
            && ct.is_live(r)
        {
            let c = ct.get(r);
            if c.status() & (CONFIRMED | SEQ_ADJUST) == 0 && c.helper().is_none() {
                return enter(ct, r, skb, ctx.now);
            }
        }
        match self.help(hook, skb, ctx) {
            HookVerdict::Accept => self.confirm(skb, ctx.now),
            drop => drop,
        }
    }

    /// Traverses `table`, which exists (callers test it: [`Netfilter::run`]
    /// through its bit, the nat step by being called at all).
    fn table(&mut self, table: Table, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        let facts = std::cell::OnceCell::new();
        let ct = match (skb.nfct, &self.conntrack) {
            (Nfct::Untracked, _) => CtSource::Facts(&UNTRACKED),
            (Nfct::Tracked(ct), Some(table)) if table.is_live(ct) => {
                CtSource::Lazy { table, ct, status: table.get(ct).status(), facts: &facts }
            }
            _ => CtSource::None,
        };
        let mut view = SkbView {
            skb: &mut *skb,
            hook,
            in_name: ctx.in_name,
            out_name: ctx.out_name,
            in_dev: ctx.in_dev,
            out_dev: ctx.out_dev,
            now: ctx.now,
            local: ctx.local,
            rng: &mut self.rng,
            ct,
            link: std::cell::OnceCell::new(),
            effects: &mut self.effects,
        };
        let (decision, rule) = match &mut self.trace {
            None => self.ruleset.traverse(table, hook, &mut view),
            Some(trace) => {
                let packet = trace::packet_line(&view);
                let mut steps = Vec::new();
                let got = self.ruleset.traverse_explained(table, hook, &mut view, &mut steps);
                trace.push(TraceEvent::Walk { hook, table, packet, steps });
                got
            }
        };
        self.apply_ct_effects(skb);
        let verdict = match decision {
            Decision::Accept => HookVerdict::Accept,
            Decision::Drop => HookVerdict::Drop,
        };
        // The decision worth naming: a drop, a rule's verdict, or the
        // filter table's policy; other tables' policies are pass-through.
        let decided = Decided { hook, table, rule, verdict };
        // A NAT rule only maps the connection: the filter rule that let the
        // packet through stays the one named.
        let mapping_only = table == Table::Nat && self.decided.is_some();
        if verdict == HookVerdict::Drop || (rule.is_some() && !mapping_only) || table == Table::Filter {
            self.decided = Some(decided);
        }
        self.record(|| TraceEvent::Table(decided));
        verdict
    }

    /// Applies what targets asked of conntrack: untracking, the zone, the mark.
    fn apply_ct_effects(&mut self, skb: &mut Skb) {
        if !std::mem::take(&mut self.effects.ct_changes) {
            return;
        }
        if std::mem::take(&mut self.effects.untrack) && skb.nfct == Nfct::None {
            skb.nfct = Nfct::Untracked;
        }
        if let Some(zone) = self.effects.zone.take() {
            skb.zone = zone;
        }
        if let Some(h) = self.effects.helper.take()
            && skb.nfct == Nfct::None
        {
            self.pending_helper = Some(h);
        }
        if let (Some(mark), Nfct::Tracked(ct), Some(c)) = (self.effects.ct_mark.take(), skb.nfct, &mut self.conntrack) {
            c.set_mark(ct, mark);
        }
    }

    /// `nf_conntrack_in`.
    #[inline(never)]
    fn conntrack_in(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        let Some(ct) = &mut self.conntrack else { return HookVerdict::Accept };
        match skb.nfct {
            // Already decided (NOTRACK in raw, or a second pass).
            Nfct::Untracked => {
                self.ct_state.get_or_insert(CtState::Untracked);
                return HookVerdict::Accept;
            }
            Nfct::Tracked(_) => return HookVerdict::Accept,
            Nfct::None => {}
        }
        let v = ct.in_hook(skb.data(), hook == Hook::Output, skb.zone, ctx.now, ctx.sysctls);
        if let Some(line) = &v.log {
            self.effects.ct_log = Some(line.clone());
        }
        if !v.invalid_log.is_empty() {
            let link = view::link_header(skb);
            v.invalid_log.lines(&mut self.effects.logs, skb.data(), ctx.in_name, ctx.out_name, link, skb.mark);
        }
        if v.drop {
            return HookVerdict::Drop;
        }
        if let Some(r) = v.ct {
            self.attach(hook, r, &v, ctx);
        }
        let state = match v.ct {
            Some(r) => {
                skb.nfct = Nfct::Tracked(r);
                self.ct_ref.get_or_insert(r);
                view::state_of(r.info)
            }
            None => CtState::Invalid,
        };
        self.ct_state.get_or_insert(state);
        if self.trace.is_some() {
            let entry = v.ct.map(|r| trace::entry_line(self.conntrack.as_mut().expect("tracking"), r, ctx.now));
            self.record(|| TraceEvent::Conntrack { hook, state, entry });
        }
        HookVerdict::Accept
    }

    /// Appends the event `event` makes when tracing is on (and when it is
    /// off, neither builds nor drops one).
    #[inline]
    fn record(&mut self, event: impl FnOnce() -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            trace.push(event());
        }
    }

    /// `nf_conntrack_confirm`: an original-direction packet's new entry
    /// enters the table; a clash drops the packet (`insert_failed`).
    fn confirm(&mut self, skb: &mut Skb, now: Instant) -> HookVerdict {
        let (Nfct::Tracked(r), Some(ct)) = (skb.nfct, &mut self.conntrack) else { return HookVerdict::Accept };
        // Only the original direction confirms (a REJECT reply does not).
        if r.dir() != crate::conntrack::CtDir::Original || !ct.is_live(r) || ct.get(r).is_confirmed() {
            // nf_ct_deliver_cached_events: what this packet changed.
            ct.deliver_cached_events(r);
            return HookVerdict::Accept;
        }
        enter(ct, r, skb, now)
    }

    /// The packet is gone: an entry it created but never confirmed dies
    /// with it (a packet dropped before its last hook leaves no entry).
    pub fn packet_done(&mut self, skb: &mut Skb) {
        // Only the packet that created the entry (NEW) owns it; a reply
        // attached to it (RELATED, nf_ct_attach) only borrows it.
        if let (Nfct::Tracked(r), Some(ct)) = (skb.nfct, &mut self.conntrack)
            && r.info == CtInfo::New
            && ct.is_live(r)
            && !ct.get(r).is_confirmed()
        {
            ct.release_unconfirmed(r);
        }
        skb.nfct = Nfct::None;
    }
}

/// `n` in decimal.
fn push_decimal(out: &mut String, n: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Digits one by one: a UTF-8 check would cost more than the pushes.
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

/// Whether any rule needs connection tracking, as its checkentry would ask
/// for it (`nf_ct_netns_get`): the nat table itself, state-reading matches,
/// and targets that act on connections.
fn needs_conntrack(ruleset: &Ruleset) -> bool {
    const MATCHES: &[&str] = &["state", "conntrack", "helper", "connmark", "connbytes", "connlimit"];
    const TARGETS: &[&str] =
        &["CT", "NOTRACK", "CONNMARK", "SNAT", "DNAT", "MASQUERADE", "REDIRECT", "NETMAP", "CONNSECMARK"];
    ruleset.tables.iter().any(|t| {
        t.table == Table::Nat
            || t.chains.iter().flat_map(|c| &c.rules).any(|r| {
                r.matches.iter().any(|m| MATCHES.contains(&m.name()))
                    || matches!(&r.verdict, Verdict::Ext(tg) if TARGETS.contains(&tg.name()))
            })
    })
}

#[cfg(test)]
mod test {
    #[test]
    fn decimals_print_as_display_does() {
        for n in [0usize, 7, 10, 60, 99, 100, 12345, usize::MAX] {
            let mut out = String::from("x/");
            super::push_decimal(&mut out, n);
            assert_eq!(out, format!("x/{n}"));
        }
    }
}
