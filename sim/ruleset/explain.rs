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

/// One rule step in words: what `write_steps` prints and `--json` carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepText {
    /// The chain.
    pub chain: String,
    /// The 1-based rule number (`None` for a return or the policy).
    pub rule: Option<usize>,
    /// The rule's options as iptables-save prints them (empty when none).
    pub spec: String,
    /// `miss`, `match`, `continue` (matched, no target), `jump`, `goto`,
    /// `hotdrop`, `return` or `policy`.
    pub result: &'static str,
    /// What failed (a miss), the chain returned to, or the policy.
    pub detail: String,
}

impl Ruleset {
    /// `step` of an explained walk of `table`, in words.
    pub fn step_text(&self, table: Table, step: &RuleStep) -> StepText {
        let t = self.table(table);
        let chain = |c: usize| t.and_then(|t| t.chains.get(c)).map_or("?", |c| c.name.as_str()).to_string();
        let rule = |c: usize, n: usize| t.and_then(|t| t.chains.get(c)).and_then(|c| c.rules.get(n.wrapping_sub(1)));
        let spec = |c: usize, n: usize| {
            let mut s = String::new();
            if let Some(r) = rule(c, n) {
                save::rule_spec(r, None, &mut s);
            }
            s.trim_start().to_string()
        };
        match *step {
            RuleStep::Missed { chain: c, rule: n, why } => {
                let mut detail = String::new();
                if let Some(r) = rule(c, n) {
                    miss_text(r, why, &mut detail);
                }
                StepText { chain: chain(c), rule: Some(n), spec: spec(c, n), result: "miss", detail }
            }
            RuleStep::Matched { chain: c, rule: n } => {
                let result = match rule(c, n).map(|r| &r.verdict) {
                    Some(Verdict::Jump(_)) => "jump",
                    Some(Verdict::Goto(_)) => "goto",
                    Some(Verdict::None) => "continue",
                    _ => "match",
                };
                StepText { chain: chain(c), rule: Some(n), spec: spec(c, n), result, detail: String::new() }
            }
            RuleStep::Hotdrop { chain: c, rule: n } => {
                StepText { chain: chain(c), rule: Some(n), spec: spec(c, n), result: "hotdrop", detail: String::new() }
            }
            RuleStep::Return { from, to } => {
                StepText { chain: chain(from), rule: None, spec: String::new(), result: "return", detail: chain(to) }
            }
            RuleStep::Policy { chain: c } => {
                let policy = t.and_then(|t| t.chains.get(c)).and_then(|c| c.policy).map_or("ACCEPT", |p| p.as_str());
                StepText {
                    chain: chain(c),
                    rule: None,
                    spec: String::new(),
                    result: "policy",
                    detail: policy.to_string(),
                }
            }
        }
    }

    /// One line per step of an explained traversal of `table`:
    /// `  FORWARD #3 -i wan0 -p tcp --dport 22 -j ACCEPT: no (-i wan0)`.
    pub fn write_steps(&self, table: Table, steps: &[RuleStep], out: &mut String) {
        for step in steps {
            let s = self.step_text(table, step);
            let _ = write!(out, "  {}", s.chain);
            if let Some(n) = s.rule {
                let _ = write!(out, " #{n} {}", s.spec);
            }
            let _ = match s.result {
                "miss" => write!(out, ": no ({})", s.detail),
                "match" => write!(out, ": match"),
                "continue" => write!(out, ": match (no target, continue)"),
                "jump" => write!(out, ": match, jump"),
                "goto" => write!(out, ": match, goto"),
                "hotdrop" => write!(out, ": hotdrop (a match dropped the packet)"),
                "return" => write!(out, " end/RETURN: back to {}", s.detail),
                _ => write!(out, " policy {}", s.detail),
            };
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
