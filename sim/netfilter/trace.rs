//! Trace events: what each step of each hook did with a packet, the raw
//! material of `nfsim trace`, transcripts and `iptables -j TRACE`-like
//! output. Recording is off unless asked for, and then costs one push per
//! step.

use super::{Decided, Hook, HookVerdict, Netfilter, Step};
use crate::xt::CtState;
use std::fmt::Write as _;

/// One step's outcome for one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// A table was traversed: the rule (or policy) that decided and its verdict.
    Table(Decided),
    /// Conntrack classified the packet.
    Conntrack {
        /// The hook.
        hook: Hook,
        /// What the packet is to its connection.
        state: CtState,
    },
    /// NAT bound the packet's connection for one manip type.
    Nat {
        /// The hook.
        hook: Hook,
        /// What the binding did.
        binding: crate::nat::Binding,
    },
    /// A step dropped the packet without a rule (conntrack full, confirm clash).
    Dropped {
        /// The hook.
        hook: Hook,
        /// The step.
        step: Step,
    },
}

impl Netfilter {
    /// One line for `event`, with chain names resolved:
    /// `FORWARD filter/FORWARD/3 ACCEPT`, `PREROUTING conntrack NEW`,
    /// `POSTROUTING nat SNAT binding src=... -> src=...`.
    pub fn write_trace(&self, event: &TraceEvent, out: &mut String) {
        match event {
            TraceEvent::Table(d) => {
                let _ = write!(out, "{} ", d.hook);
                self.describe(d, out);
                out.push_str(if d.verdict == HookVerdict::Accept { " ACCEPT" } else { " DROP" });
            }
            TraceEvent::Conntrack { hook, state } => {
                let _ = write!(out, "{hook} conntrack {}", format!("{state:?}").to_uppercase());
            }
            TraceEvent::Nat { hook, binding: b } => {
                let kind = if b.null { "null binding" } else { "binding" };
                let _ = write!(out, "{hook} nat {} {kind} {}-> {}", b.manip.as_str(), b.from, b.to);
                let end = out.trim_end().len();
                out.truncate(end);
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
