//! The deciding rules' names, kept for the verdict lines.
//!
//! A rule is named `table/CHAIN/N` (or `table/CHAIN/policy`) from the box's
//! ruleset. Packets in a row are decided by a handful of rules that take
//! turns (the reply direction's rule, then the original's), so the last few
//! names are kept, each with its JSON string and an id that no other name
//! ever gets: a verdict line keyed by the id can reuse what it wrote for the
//! rule before. A chain's name is the ruleset's to change, so every name is
//! forgotten whenever the box is lent out mutably ([`RuleNames::forget`]).

use crate::netfilter::{Decided, Netfilter};

/// Names kept at most; past that, slots are replaced in turn.
const KEPT: usize = 8;

/// One described rule.
#[derive(Debug)]
struct Name {
    decided: Decided,
    /// Never given to another name (counted on from 1).
    id: u64,
    text: String,
    json: Vec<u8>,
}

/// The last few rules described, their buffers reused.
#[derive(Debug, Default)]
pub(super) struct RuleNames {
    /// `names[..live]` are current; those past it keep their buffers.
    names: Vec<Name>,
    live: usize,
    /// The name of the last packet's rule, if a rule decided it.
    last: Option<usize>,
    /// The slot replaced next once all are live.
    victim: usize,
    ids: u64,
}

/// A rule's name as the verdict line needs it.
#[derive(Clone, Copy, Debug)]
pub(super) struct RuleName<'a> {
    /// Names the same rule text as long as the box is not lent out.
    pub id: u64,
    /// The name as a JSON string.
    pub json: &'a [u8],
}

impl RuleNames {
    /// Makes `d` (or no rule) the last packet's, describing it unless kept.
    /// Inline for its common case, the last packet's rule again.
    #[inline]
    pub(super) fn set(&mut self, nf: &Netfilter, d: Option<Decided>) {
        let Some(d) = d else {
            self.last = None;
            return;
        };
        if let Some(i) = self.last
            && self.names[i].decided == d
        {
            return;
        }
        self.find(nf, d);
    }

    /// [`RuleNames::set`] for a rule other than the last packet's.
    #[inline(never)]
    fn find(&mut self, nf: &Netfilter, d: Decided) {
        let i = match self.names[..self.live].iter().position(|n| n.decided == d) {
            Some(i) => i,
            None => self.describe(nf, d),
        };
        self.last = Some(i);
    }

    /// Describes `d` into a free slot (or the next in turn), returning the slot.
    fn describe(&mut self, nf: &Netfilter, d: Decided) -> usize {
        let i = if self.live < KEPT {
            self.live += 1;
            self.live - 1
        } else {
            let next = self.victim;
            self.victim = (next + 1) % KEPT;
            next
        };
        if i == self.names.len() {
            self.names.push(Name { decided: d, id: 0, text: String::new(), json: Vec::new() });
        }
        self.ids += 1;
        let name = &mut self.names[i];
        name.decided = d;
        name.id = self.ids;
        name.text.clear();
        nf.describe(&d, &mut name.text);
        name.json.clear();
        super::verdict::push_str(&mut name.json, &name.text);
        i
    }

    /// The last packet's rule, as text.
    pub(super) fn text(&self) -> Option<&str> {
        self.last.map(|i| self.names[i].text.as_str())
    }

    /// The last packet's rule, for its verdict line.
    pub(super) fn name(&self) -> Option<RuleName<'_>> {
        self.last.map(|i| RuleName { id: self.names[i].id, json: &self.names[i].json })
    }

    /// Forgets every name (the ruleset may change); buffers are kept.
    pub(super) fn forget(&mut self) {
        self.live = 0;
        self.last = None;
    }
}
