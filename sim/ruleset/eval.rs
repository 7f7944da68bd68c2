//! Chain traversal with the kernel's semantics (`ipt_do_table`): rules in
//! order, first match decides; a rule's counters count the packet before its
//! target runs; `-j` pushes a return point, `-g` does not; RETURN and the end
//! of a user chain pop it; with nothing to pop, the built-in chain's policy
//! decides and its counters count the packet. Non-terminating targets
//! continue with the next rule. Loops cannot occur: tables containing one
//! reachable from a hook are refused when loaded.
//!
//! Long chains are not walked rule by rule: a per-chain index (`index.rs`)
//! names the next rule whose header predicates the packet meets, and only
//! those are evaluated; every other rule would have failed before any
//! effect, so the outcome is the rule-by-rule walk's ([`Ruleset::traverse_linear`]).

use super::explain::{Miss, Observer, RuleStep};
use super::index::{Cursor, Head, Mark, RuleIndex};
use super::model::{Chain, Policy, Ruleset, Table, TableRules, Verdict};
use crate::net::iface::{IFNAMSIZ, IfName};
use crate::xt::packet::{self, PacketView};
use crate::xt::{CtState, Hook, TargetVerdict};

/// What a table decided for a packet at one hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go on to the next table / hook.
    Accept,
    /// The packet is gone.
    Drop,
}

/// The verdict a rule's target returns inside a traversal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleVerdict {
    /// Next rule.
    Continue,
    /// Stop: accept.
    Accept,
    /// Stop: drop.
    Drop,
    /// Pop the call stack.
    Return,
}

/// Who decided: `Some((chain index, rule number))` within the table (see
/// [`Ruleset::chain_name`]), or `None` for a policy or an absent table.
/// Indexes, not names, so deciding allocates nothing.
pub type DecidedBy = Option<(usize, usize)>;

/// Whether the generic part of a rule (`-s -d -i -o -p -f`) selects the
/// packet, whose interface names are copied out once per traversal, when
/// the first rule naming an interface asks.
#[inline(always)]
fn generic_hit(
    r: &super::model::Rule,
    ip: &packet::Ipv4Fields,
    devs: &mut Option<(IfName, IfName)>,
    pkt: &dyn PacketView,
) -> bool {
    if !r.src.hit(ip.src) || !r.dst.hit(ip.dst) {
        return false;
    }
    if !r.iif.name.is_empty() || !r.oif.name.is_empty() {
        let (iif, oif) = dev_names(devs, pkt);
        if !iface_hit(&r.iif, iif, || pkt.in_iface()) || !iface_hit(&r.oif, oif, || pkt.out_iface()) {
            return false;
        }
    }
    if r.proto != 0 && (ip.proto == r.proto) == r.proto_inv {
        return false;
    }
    match r.frag {
        Some(want_frag) => (ip.frag_off != 0) == want_frag,
        None => true,
    }
}

/// The packet's interface names (in, out), asked for at the first rule or
/// index lookup that compares them, and kept for the rest of the walk.
#[inline(always)]
pub(super) fn dev_names<'d>(devs: &'d mut Option<(IfName, IfName)>, pkt: &dyn PacketView) -> &'d (IfName, IfName) {
    devs.get_or_insert_with(|| pkt.devs())
}

/// `a == b` for short byte strings without a call to `memcmp`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        0 => true,
        1..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// [`Iface::hit`](super::model::Iface::hit) against a copied name (or,
/// for a name too long to copy, the packet's own).
#[inline(always)]
fn iface_hit<'p>(sel: &super::model::Iface, dev: &IfName, full: impl FnOnce() -> &'p str) -> bool {
    if sel.name.is_empty() {
        return true;
    }
    if dev.len > IFNAMSIZ {
        return sel.hit(full());
    }
    let name = sel.name.as_bytes();
    let dev = &dev.bytes[..dev.len];
    let m = match name.split_last() {
        Some((b'+', prefix)) => dev.len() >= prefix.len() && same_bytes(&dev[..prefix.len()], prefix),
        _ => same_bytes(dev, name),
    };
    m != sel.inv
}

/// The position of `hook`'s built-in chain in `chains`: where the model's
/// invariant puts it (built-in chains first, in hook order), checked, else
/// searched for.
pub(super) fn base_chain(chains: &[Chain], table: Table, hook: Hook) -> Option<usize> {
    let want = hook.chain_name().as_bytes();
    if let Some(k) = table.hooks().iter().position(|&h| h == hook)
        && chains.get(k).is_some_and(|c| same_bytes(c.name.as_bytes(), want))
    {
        return Some(k);
    }
    chains.iter().position(|c| same_bytes(c.name.as_bytes(), want))
}

impl Ruleset {
    /// Runs `table`'s chain for `hook` over the packet, updating counters.
    /// A table that does not exist (never used) accepts, as no hook is
    /// registered for it. Rules that cannot match are skipped through the
    /// chain's index; what is observable (verdict,
    /// deciding rule, counters, every match and target run) is exactly what
    /// [`Ruleset::traverse_linear`] gives.
    pub fn traverse(&mut self, table: Table, hook: Hook, pkt: &mut dyn PacketView) -> (Decision, DecidedBy) {
        let Ruleset { tables, index, stack, .. } = self;
        walk(tables, table, hook, pkt, Some(index), stack, &mut ())
    }

    /// The same traversal, every rule tested in turn, with each step and
    /// why each skipped rule did not take the packet appended to `steps`.
    pub fn traverse_explained(
        &mut self,
        table: Table,
        hook: Hook,
        pkt: &mut dyn PacketView,
        steps: &mut Vec<RuleStep>,
    ) -> (Decision, DecidedBy) {
        walk(&mut self.tables, table, hook, pkt, None, &mut self.stack, steps)
    }

    /// The same traversal testing every rule in turn: the reference the
    /// index is checked against, and the benchmarks' baseline.
    pub fn traverse_linear(&mut self, table: Table, hook: Hook, pkt: &mut dyn PacketView) -> (Decision, DecidedBy) {
        walk(&mut self.tables, table, hook, pkt, None, &mut self.stack, &mut ())
    }

    /// The tables that exist, bit `1 << table as u8` each: those a hook
    /// has registered. Worked out once per ruleset version (a table is
    /// only ever added, through `table_mut`, which invalidates the index;
    /// the count guards against a push behind its back).
    #[inline]
    pub fn present(&mut self) -> u8 {
        let n = self.tables.len();
        match self.index.present {
            Some((set, len)) if len == n => set,
            _ => {
                // Bounded by the five tables there are.
                let set = self.tables.iter().take(Table::ALL.len()).fold(0, |m, t| m | 1 << t.table as u8);
                self.index.present = Some((set, n));
                set
            }
        }
    }

    /// The name of chain `chain` (an index from [`DecidedBy`]) of `table`.
    pub fn chain_name(&self, table: Table, chain: usize) -> Option<&str> {
        self.tables.iter().find(|t| t.table == table)?.chains.get(chain).map(|c| c.name.as_str())
    }
}

/// A return point: the caller's chain, the rule after the jump, its lookups.
pub(super) type Frame = (usize, usize, Mark);

/// The walk's outcome when `head`, the opening test of chain `base` of
/// `t`, takes a packet whose datagram is `data` and conntrack state `ct`,
/// counted; `None` when it does not (a pure test: it would not later).
/// A datagram that is no IPv4 header is dropped before any rule, as the
/// walk drops it.
#[inline(always)]
fn head_decides(
    head: Head,
    t: &mut TableRules,
    base: usize,
    data: &[u8],
    ct: Option<(CtState, u32)>,
) -> Option<(Decision, DecidedBy)> {
    if !packet::is_ipv4(data) {
        return Some((Decision::Drop, None));
    }
    if !head.test.hit(ct) {
        return None;
    }
    t.chains[base].rules[0].counters.count(data.len() as u64);
    let decision = if head.accept { Decision::Accept } else { Decision::Drop };
    Some((decision, Some((base, 1))))
}

fn walk<O: Observer>(
    tables: &mut [TableRules],
    table: Table,
    hook: Hook,
    pkt: &mut dyn PacketView,
    index: Option<&mut RuleIndex>,
    stack: &mut Vec<Frame>,
    seen: &mut O,
) -> (Decision, DecidedBy) {
    let Some(t) = tables.iter_mut().find(|t| t.table == table) else {
        return (Decision::Accept, None);
    };
    let (base, head, mut cur) = match index {
        Some(ix) => ix.start(table, hook, &t.chains),
        None => (base_chain(&t.chains, table, hook), None, Cursor::LINEAR),
    };
    let Some(base) = base else {
        return (Decision::Accept, None);
    };
    // The chain's opening state test first: it decides most packets, and
    // those need nothing else of the packet (see `Head`). When it misses,
    // the walk starts after it.
    let mut first = 0;
    if let Some(head) = head {
        if let Some(got) = head_decides(head, t, base, pkt.ip(), pkt.ct_state()) {
            return got;
        }
        first = 1;
    }
    // The header is read once the chain is known, straight into place.
    let data = pkt.ip();
    let len = data.len() as u64;
    let Some(ip) = packet::ipv4(data) else {
        // The kernel's ip_rcv drops such packets before any hook.
        return (Decision::Drop, None);
    };
    let mut devs = None;
    stack.clear();
    let mut ci = base;
    let mut mark = cur.enter(ci);
    if first > 0 {
        mark.past_head();
    }
    let mut ri = cur.next(&mut mark, first, &t.chains[ci], &ip, &mut devs, pkt);
    loop {
        if ri >= t.chains[ci].rules.len() {
            // End of chain: an implicit RETURN, or the policy.
            match stack.pop() {
                Some((c, r, m)) if ci != base => {
                    seen.step(RuleStep::Return { from: ci, to: c });
                    cur.leave(mark);
                    (ci, mark) = (c, m);
                    ri = cur.next(&mut mark, r, &t.chains[ci], &ip, &mut devs, pkt);
                    continue;
                }
                _ => return policy(t, base, len, seen),
            }
        }
        // A rule the index vouches for is matched without a test: its
        // tests are all pure, and would all pass.
        if !mark.sure(ri) {
            let rule = &mut t.chains[ci].rules[ri];
            if !generic_hit(rule, &ip, &mut devs, pkt) {
                if O::ON {
                    let why = super::explain::generic_miss(rule, &ip, pkt.in_iface(), pkt.out_iface());
                    seen.step(RuleStep::Missed { chain: ci, rule: ri + 1, why: why.unwrap_or(Miss::Src) });
                }
                ri = cur.next(&mut mark, ri + 1, &t.chains[ci], &ip, &mut devs, pkt);
                continue;
            }
            let mut hotdrop = false;
            let mut failed = None;
            for (k, m) in rule.matches.iter_mut().enumerate() {
                if !m.matches(pkt, &mut hotdrop) {
                    failed = Some(k);
                    break;
                }
            }
            if hotdrop {
                seen.step(RuleStep::Hotdrop { chain: ci, rule: ri + 1 });
                return (Decision::Drop, Some((ci, ri + 1)));
            }
            if let Some(k) = failed {
                seen.step(RuleStep::Missed { chain: ci, rule: ri + 1, why: Miss::Match(k) });
                ri = cur.next(&mut mark, ri + 1, &t.chains[ci], &ip, &mut devs, pkt);
                continue;
            }
        }
        seen.step(RuleStep::Matched { chain: ci, rule: ri + 1 });
        let rule = &mut t.chains[ci].rules[ri];
        rule.counters.count(len);
        let next = match &mut rule.verdict {
            Verdict::None => RuleVerdict::Continue,
            Verdict::Accept => RuleVerdict::Accept,
            Verdict::Drop => RuleVerdict::Drop,
            Verdict::Return => RuleVerdict::Return,
            Verdict::Ext(tg) => match tg.fire(pkt) {
                TargetVerdict::Continue => RuleVerdict::Continue,
                TargetVerdict::Accept => RuleVerdict::Accept,
                TargetVerdict::Drop => RuleVerdict::Drop,
            },
            Verdict::Jump(_) | Verdict::Goto(_) => {
                let verdict = &t.chains[ci].rules[ri].verdict;
                let goto = matches!(verdict, Verdict::Goto(_));
                let name = verdict.chain().unwrap_or_default().as_bytes();
                let found = t.chains.iter().position(|c| same_bytes(c.name.as_bytes(), name));
                let Some(to) = found else {
                    ri = cur.next(&mut mark, ri + 1, &t.chains[ci], &ip, &mut devs, pkt);
                    continue;
                };
                if goto {
                    cur.leave(mark);
                } else {
                    stack.push((ci, ri + 1, mark));
                }
                ci = to;
                mark = cur.enter(ci);
                ri = cur.next(&mut mark, 0, &t.chains[ci], &ip, &mut devs, pkt);
                continue;
            }
        };
        match next {
            RuleVerdict::Continue => ri = cur.next(&mut mark, ri + 1, &t.chains[ci], &ip, &mut devs, pkt),
            RuleVerdict::Accept => {
                return (Decision::Accept, Some((ci, ri + 1)));
            }
            RuleVerdict::Drop => {
                return (Decision::Drop, Some((ci, ri + 1)));
            }
            RuleVerdict::Return => match stack.pop() {
                Some((c, r, m)) if ci != base => {
                    seen.step(RuleStep::Return { from: ci, to: c });
                    cur.leave(mark);
                    (ci, mark) = (c, m);
                    ri = cur.next(&mut mark, r, &t.chains[ci], &ip, &mut devs, pkt);
                }
                _ => return policy(t, base, len, seen),
            },
        }
    }
}

fn policy(t: &mut TableRules, base: usize, len: u64, seen: &mut impl Observer) -> (Decision, DecidedBy) {
    seen.step(RuleStep::Policy { chain: base });
    let c = &mut t.chains[base];
    c.counters.count(len);
    match c.policy {
        Some(Policy::Drop) => (Decision::Drop, None),
        _ => (Decision::Accept, None),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ruleset::load;
    use crate::xt::packet::TestPacket;

    fn pkt(dport: u16) -> TestPacket {
        let mut p = TestPacket::new(TestPacket::tcp([10, 0, 0, 1], [10, 0, 0, 2], 1234, dport, 0x02), Hook::Forward);
        p.iif = "eth0".into();
        p.oif = "eth1".into();
        p
    }

    const RULES: &str = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n:tail - [0:0]\n\
-A FORWARD -i eth0 -j web\n-A FORWARD -p tcp --dport 25 -g tail\n-A web -p tcp --dport 80 -j ACCEPT\n-A web -p tcp --dport 81 -j RETURN\n\
-A tail -j LOG\nCOMMIT\n";

    #[test]
    fn jump_accepts_and_counts_the_rule() {
        let mut rs = load(RULES, "t").unwrap();
        let (d, by) = rs.traverse(Table::Filter, Hook::Forward, &mut pkt(80));
        assert_eq!(d, Decision::Accept);
        let (chain, rule) = by.unwrap();
        assert_eq!((rs.chain_name(Table::Filter, chain), rule), (Some("web"), 1));
        let c = rs.table(Table::Filter).unwrap().chain("web").unwrap().rules[0].counters;
        assert_eq!((c.packets, c.bytes), (1, 40));
    }

    #[test]
    fn return_continues_after_the_jump_then_policy_drops() {
        let mut rs = load(RULES, "t").unwrap();
        let (d, by) = rs.traverse(Table::Filter, Hook::Forward, &mut pkt(81));
        assert_eq!((d, by), (Decision::Drop, None));
        let f = rs.table(Table::Filter).unwrap().chain("FORWARD").unwrap();
        assert_eq!(f.counters.packets, 1);
    }

    #[test]
    fn goto_end_of_chain_falls_to_policy_after_log_continues() {
        let mut rs = load(RULES, "t").unwrap();
        let mut p = pkt(25);
        p.iif = "eth9".into();
        let (d, _) = rs.traverse(Table::Filter, Hook::Forward, &mut p);
        assert_eq!(d, Decision::Drop);
        assert_eq!(p.actions, ["LOG "]);
    }

    #[test]
    fn explained_walk_names_every_rule_and_why_it_missed() {
        let mut rs = load(RULES, "t").unwrap();
        let mut steps = Vec::new();
        let mut p = pkt(81);
        let got = rs.traverse_explained(Table::Filter, Hook::Forward, &mut p, &mut steps);
        assert_eq!(got, rs.clone().traverse(Table::Filter, Hook::Forward, &mut pkt(81)));
        let mut text = String::new();
        rs.write_steps(Table::Filter, &steps, &mut text);
        assert_eq!(
            text,
            "  FORWARD #1 -i eth0 -j web: match, jump\n\
             \x20 web #1 -p tcp -m tcp --dport 80 -j ACCEPT: no (-m tcp --dport 80)\n\
             \x20 web #2 -p tcp -m tcp --dport 81 -j RETURN: match\n\
             \x20 web end/RETURN: back to FORWARD\n\
             \x20 FORWARD #2 -p tcp -m tcp --dport 25 -g tail: no (-m tcp --dport 25)\n\
             \x20 FORWARD policy DROP\n"
        );
        let mut steps = Vec::new();
        let mut p = pkt(80);
        p.iif = "eth9".into();
        rs.traverse_explained(Table::Filter, Hook::Forward, &mut p, &mut steps);
        let mut text = String::new();
        rs.write_steps(Table::Filter, &steps[..1], &mut text);
        assert_eq!(text, "  FORWARD #1 -i eth0 -j web: no (-i eth0)\n");
    }

    #[test]
    fn an_opening_state_test_decides_as_the_rule_by_rule_walk() {
        use crate::xt::{CtFacts, CtState};
        let heads = [
            "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A FORWARD -m state --state INVALID -j DROP",
            "-A FORWARD -m conntrack ! --ctstate DNAT -j DROP",
            // Not heads: the walk takes them rule by rule.
            "-A FORWARD -i eth0 -m state --state NEW -j ACCEPT",
            "-A FORWARD -m conntrack --ctstate NEW --ctstatus ASSURED -j ACCEPT",
        ];
        let facts = [
            None,
            Some((CtState::Established, 0)),
            Some((CtState::New, 32)),
            Some((CtState::New, 0)),
            Some((CtState::Invalid, 0)),
            Some((CtState::Untracked, 0)),
            Some((CtState::Related, 4)),
        ];
        for head in heads {
            let text = format!(
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n{head}\n\
                 -A FORWARD -p tcp --dport 80 -j ACCEPT\nCOMMIT\n"
            );
            let mut indexed = load(&text, "t").unwrap();
            let mut linear = indexed.clone();
            for (i, f) in facts.iter().enumerate() {
                let mut p = pkt(80 + i as u16 % 2);
                p.ct = f.map(|(state, status)| CtFacts { state, status, ..CtFacts::default() });
                let got = indexed.traverse(Table::Filter, Hook::Forward, &mut p.clone());
                assert_eq!(got, linear.traverse_linear(Table::Filter, Hook::Forward, &mut p), "{head} {f:?}");
            }
            // A header no rule may see is dropped before the head, too.
            let mut bad = pkt(80);
            bad.bytes[0] = 0x44;
            let got = indexed.traverse(Table::Filter, Hook::Forward, &mut bad.clone());
            assert_eq!(got, linear.traverse_linear(Table::Filter, Hook::Forward, &mut bad));
            assert_eq!(indexed.save(true), linear.save(true), "{head}");
        }
    }

    #[test]
    fn absent_table_accepts() {
        let mut rs = Ruleset::new();
        assert_eq!(rs.traverse(Table::Nat, Hook::PreRouting, &mut pkt(1)).0, Decision::Accept);
    }
}
