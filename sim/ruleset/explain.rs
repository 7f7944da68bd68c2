//! What a traversal did, rule by rule: the raw material of `nfsim trace`.
//!
//! The walk in `eval.rs` reports to an [`Observer`]. The hot path passes
//! `()`, whose empty methods compile away; a trace passes a
//! `Vec<RuleStep>`, and then the walk also works out *why* a rule did not
//! take the packet (which of `-s -d -i -o -p -f`, or which `-m`). An
//! explained traversal visits every rule (no index), so every rule shows.

use std::fmt::Write as _;

use super::model::{Rule, Ruleset, Table, Verdict};
use super::save;
use crate::xt::packet::Ipv4Fields;

/// The first part of a rule the packet failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// `-s`.
    Src,
    /// `-d`.
    Dst,
    /// `-i`.
    InIface,
    /// `-o`.
    OutIface,
    /// `-p`.
    Proto,
    /// `-f` / `! -f`.
    Frag,
    /// The rule's n-th `-m` (0-based).
    Match(usize),
}

/// One thing the walk did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStep {
    /// A rule did not take the packet.
    Missed {
        /// Chain index within the table.
        chain: usize,
        /// 1-based rule number.
        rule: usize,
        /// What failed.
        why: Miss,
    },
    /// A rule took the packet (counted it); its target ran next.
    Matched {
        /// Chain index.
        chain: usize,
        /// 1-based rule number.
        rule: usize,
    },
    /// A match asked for the packet to be dropped (`hotdrop`).
    Hotdrop {
        /// Chain index.
        chain: usize,
        /// 1-based rule number.
        rule: usize,
    },
    /// The walk left a user chain at its end or by RETURN, back to `to`.
    Return {
        /// The chain left.
        from: usize,
        /// The chain resumed.
        to: usize,
    },
    /// The built-in chain's policy decided.
    Policy {
        /// The built-in chain.
        chain: usize,
    },
}

/// Receives what the walk does.
pub trait Observer {
    /// Whether anything is recorded (the walk skips the why otherwise).
    const ON: bool;
    /// Records one step.
    fn step(&mut self, s: RuleStep);
}

impl Observer for () {
    const ON: bool = false;
    #[inline(always)]
    fn step(&mut self, _: RuleStep) {}
}

impl Observer for Vec<RuleStep> {
    const ON: bool = true;
    fn step(&mut self, s: RuleStep) {
        self.push(s);
    }
}

/// Which generic part of `r` the packet fails, `iif`/`oif` being its
/// interfaces (the explained walk's slow twin of `generic_hit`).
pub(super) fn generic_miss(r: &Rule, ip: &Ipv4Fields, iif: &str, oif: &str) -> Option<Miss> {
    if !r.src.hit(ip.src) {
        return Some(Miss::Src);
    }
    if !r.dst.hit(ip.dst) {
        return Some(Miss::Dst);
    }
    if !r.iif.hit(iif) {
        return Some(Miss::InIface);
    }
    if !r.oif.hit(oif) {
        return Some(Miss::OutIface);
    }
    if r.proto != 0 && (ip.proto == r.proto) == r.proto_inv {
        return Some(Miss::Proto);
    }
    match r.frag {
        Some(want) if (ip.frag_off != 0) != want => Some(Miss::Frag),
        _ => None,
    }
}

impl Ruleset {
    /// One line per step of an explained traversal of `table`:
    /// `  FORWARD #3 -i wan0 -p tcp --dport 22 -j ACCEPT: no (-i wan0)`.
    pub fn write_steps(&self, table: Table, steps: &[RuleStep], out: &mut String) {
        let Some(t) = self.table(table) else { return };
        let chain = |c: usize| t.chains.get(c).map_or("?", |c| c.name.as_str());
        let rule = |c: usize, n: usize| t.chains.get(c).and_then(|c| c.rules.get(n.wrapping_sub(1)));
        for s in steps {
            match *s {
                RuleStep::Missed { chain: c, rule: n, why } => {
                    let _ = write!(out, "  {} #{n}", chain(c));
                    if let Some(r) = rule(c, n) {
                        save::rule_spec(r, None, out);
                        out.push_str(": no (");
                        miss_text(r, why, out);
                        out.push(')');
                    }
                }
                RuleStep::Matched { chain: c, rule: n } | RuleStep::Hotdrop { chain: c, rule: n } => {
                    let _ = write!(out, "  {} #{n}", chain(c));
                    if let Some(r) = rule(c, n) {
                        save::rule_spec(r, None, out);
                        out.push_str(match (s, &r.verdict) {
                            (RuleStep::Hotdrop { .. }, _) => ": hotdrop (a match dropped the packet)",
                            (_, Verdict::None) => ": match (no target, continue)",
                            (_, Verdict::Jump(_)) => ": match, jump",
                            (_, Verdict::Goto(_)) => ": match, goto",
                            _ => ": match",
                        });
                    }
                }
                RuleStep::Return { from, to } => {
                    let _ = write!(out, "  {} end/RETURN: back to {}", chain(from), chain(to));
                }
                RuleStep::Policy { chain: c } => {
                    let policy = t.chains.get(c).and_then(|c| c.policy).map_or("ACCEPT", |p| p.as_str());
                    let _ = write!(out, "  {} policy {policy}", chain(c));
                }
            }
            out.push('\n');
        }
    }
}

/// The failed part of `r` in its save form (`-i wan0`, `-m tcp --dport 22`).
fn miss_text(r: &Rule, why: Miss, out: &mut String) {
    // Render a rule holding only the failed part: the save printer then
    // spells it exactly as iptables-save would.
    let mut part = Rule { matches: Vec::new(), verdict: Verdict::None, ..Rule::default() };
    match why {
        Miss::Src => part.src = r.src,
        Miss::Dst => part.dst = r.dst,
        Miss::InIface => part.iif = r.iif.clone(),
        Miss::OutIface => part.oif = r.oif.clone(),
        Miss::Proto => (part.proto, part.proto_inv) = (r.proto, r.proto_inv),
        Miss::Frag => part.frag = r.frag,
        Miss::Match(k) => {
            if let Some(m) = r.matches.get(k) {
                out.push_str("-m ");
                out.push_str(m.name());
                m.save(out);
            }
            return;
        }
    }
    let mut s = String::new();
    save::rule_spec(&part, None, &mut s);
    out.push_str(s.trim_start());
}
