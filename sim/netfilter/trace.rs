//! Trace events: what each step of each hook did with a packet, the raw
//! material of `nfsim trace`, transcripts and `iptables -j TRACE`-like
//! output. Recording is off unless asked for, and then the rule walk is
//! explained rule by rule (every rule, and why it did not match).

use super::view::SkbView;
use super::{Decided, Hook, HookVerdict, Netfilter, Step};
use crate::conntrack::{Conntrack, CtRef};
use crate::engine::Instant;
use crate::ruleset::{RuleStep, Table};
use crate::xt::CtState;
use std::fmt::Write as _;

/// One step's outcome for one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// A table's chain was walked: the packet as the table saw it, and
    /// every rule step (followed by the `Table` event with the outcome).
    Walk {
        /// The hook.
        hook: Hook,
        /// The table.
        table: Table,
        /// The packet on entry, as a packet spec with its interfaces.
        packet: String,
        /// Every rule tested, jump, return and the policy.
        steps: Vec<RuleStep>,
    },
    /// A table was traversed: the rule (or policy) that decided and its verdict.
    Table(Decided),
    /// Conntrack classified the packet.
    Conntrack {
        /// The hook.
        hook: Hook,
        /// What the packet is to its connection.
        state: CtState,
        /// The entry as `conntrack -L` prints it (with whether it was found
        /// or created), when there is one.
        entry: Option<String>,
    },
    /// NAT bound the packet's connection for one manip type.
    Nat {
        /// The hook.
        hook: Hook,
        /// What the binding did.
        binding: crate::nat::Binding,
    },
    /// A helper acted: attached to a new connection, read the packet and
    /// expected a connection (its tuple; `0` stands for any), or dropped it.
    Helper {
        /// The hook.
        hook: Hook,
        /// The helper's name.
        helper: &'static str,
        /// What it did.
        note: String,
    },
    /// The packet's new connection was expected: RELATED to its master.
    Expected {
        /// The hook.
        hook: Hook,
        /// The helper that expected it.
        helper: &'static str,
        /// The master, as `conntrack -L` prints it.
        master: String,
    },
    /// A step dropped the packet without a rule (conntrack full, confirm clash).
    Dropped {
        /// The hook.
        hook: Hook,
        /// The step.
        step: Step,
    },
}

/// The packet a table sees, as a packet spec plus `in`/`out` interfaces.
pub(super) fn packet_line(view: &SkbView<'_>) -> String {
    let mut s = crate::wire::spec::describe(view.skb.data());
    for (word, name) in [(" in ", view.in_name), (" out ", view.out_name)] {
        if !name.is_empty() {
            s.push_str(word);
            s.push_str(name);
        }
    }
    s
}

/// `created`/`found` and the entry's `conntrack -L` line (no newline).
pub(super) fn entry_line(ct: &mut Conntrack, r: CtRef, now: Instant) -> String {
    let how = if ct.get(r).is_confirmed() { "found: " } else { "created (unconfirmed): " };
    let mut line = ct.entry_line(r, now);
    line.truncate(line.trim_end().len());
    format!("{how}{line}")
}

impl Netfilter {
    /// The text of `event`, with chain names resolved: one line
    /// (`FORWARD filter/FORWARD/3 ACCEPT`, `PREROUTING conntrack NEW`,
    /// `POSTROUTING nat SNAT binding src=... -> src=...`), or for a walk, a
    /// header line and one indented line per rule step.
    pub fn write_trace(&self, event: &TraceEvent, out: &mut String) {
        match event {
            TraceEvent::Walk { hook, table, packet, steps } => {
                let _ = writeln!(out, "{hook} {table}: {packet}", table = table.as_str());
                self.ruleset.write_steps(*table, steps, out);
                out.truncate(out.trim_end_matches('\n').len());
            }
            TraceEvent::Table(d) => {
                let _ = write!(out, "{} ", d.hook);
                self.describe(d, out);
                out.push_str(if d.verdict == HookVerdict::Accept { " ACCEPT" } else { " DROP" });
            }
            TraceEvent::Conntrack { hook, state, entry } => {
                let _ = write!(out, "{hook} conntrack {}", format!("{state:?}").to_uppercase());
                if let Some(e) = entry {
                    let _ = write!(out, ", {e}");
                }
            }
            TraceEvent::Nat { hook, binding: b } => {
                let kind = if b.null { "null binding" } else { "binding" };
                let _ = write!(out, "{hook} nat {} {kind} {}-> {}", b.manip.as_str(), b.from, b.to);
                let end = out.trim_end().len();
                out.truncate(end);
            }
            TraceEvent::Helper { hook, helper, note } => {
                let _ = write!(out, "{hook} helper {helper}: {note}");
            }
            TraceEvent::Expected { hook, helper, master } => {
                let _ = write!(out, "{hook} conntrack expected by {helper} helper, master: {master}");
            }
            TraceEvent::Dropped { hook, step } => {
                let what = match step {
                    Step::Conntrack => "conntrack",
                    Step::Confirm => "confirm",
                    Step::Table(t) => t.as_str(),
                };
                let _ = write!(out, "{hook} {what} DROP");
            }
        }
    }
}
