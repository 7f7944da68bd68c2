//! Match and target extensions: one file each, matches in `matches/`, targets
//! in `targets/` (lowercase names, so `dscp` and `DSCP` cannot clash).
//!
//! An extension is one Rust type implementing [`Match`] or [`Target`]. The same
//! value is, in turn, the parser's accumulator (options arrive one at a time
//! through `parse`, then `finish` checks the whole), the printer (`save` for
//! `iptables-save`/`-S`, `list` for `-L`), the kernel's `checkentry` (`check`)
//! and the evaluator (`matches`/`fire`) against a [`PacketView`].
//!
//! Option dispatch mirrors iptables: every loaded extension declares its long
//! options ([`Opt`]); the ruleset parser gives an option to the first loaded
//! extension that declares it, enforces "can only be used once" and "cannot
//! be inverted", and the extension parses the value.

pub mod matches;
pub mod names;
pub mod opts;
pub mod packet;
pub mod targets;

use std::fmt;

pub use opts::{Error, Opt};
pub use packet::{Action, CtFacts, CtState, PacketView, TestPacket};

/// The five IPv4 hooks, in the kernel's order (bit `1 << hook as u8` in masks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hook {
    /// NF_INET_PRE_ROUTING.
    PreRouting = 0,
    /// NF_INET_LOCAL_IN.
    Input = 1,
    /// NF_INET_FORWARD.
    Forward = 2,
    /// NF_INET_LOCAL_OUT.
    Output = 3,
    /// NF_INET_POST_ROUTING.
    PostRouting = 4,
}

impl Hook {
    /// All hooks in kernel order.
    pub const ALL: [Hook; 5] = [Hook::PreRouting, Hook::Input, Hook::Forward, Hook::Output, Hook::PostRouting];
    /// The built-in chain name of this hook.
    pub fn chain_name(self) -> &'static str {
        ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"][self as usize]
    }
    /// The hook whose built-in chain is called `name`.
    pub fn from_chain_name(name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.chain_name() == name)
    }
    /// This hook's bit in a hook mask.
    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The built-in chain's name: `PREROUTING`, `INPUT`, ...
impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chain_name())
    }
}

/// Hook names of a mask joined by `/`, as the kernel's `textify_hooks` prints.
pub fn hooks_text(mask: u8) -> String {
    let names: Vec<&str> = Hook::ALL.iter().filter(|h| mask & h.bit() != 0).map(|h| h.chain_name()).collect();
    names.join("/")
}

/// The table names the kernel knows (x_tables' `table` field of an extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableName {
    /// `filter`.
    Filter,
    /// `nat`.
    Nat,
    /// `mangle`.
    Mangle,
    /// `raw`.
    Raw,
    /// `security`.
    Security,
}

impl TableName {
    /// The table's name as iptables spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TableName::Filter => "filter",
            TableName::Nat => "nat",
            TableName::Mangle => "mangle",
            TableName::Raw => "raw",
            TableName::Security => "security",
        }
    }
}

/// What an extension's parser may know about the rule around it (the generic
/// part parsed so far), as libxtables passes `struct ipt_entry` to parsers.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleInfo {
    /// `-p` value (0 = any).
    pub proto: u8,
    /// `! -p`.
    pub proto_inv: bool,
}

/// What the kernel's checkentry sees: table, hooks the rule is reachable from,
/// and the rule's protocol; plus the rule's other matches (TCPMSS looks at them).
pub struct CheckCtx<'a> {
    /// The table the rule is in.
    pub table: TableName,
    /// Hooks from which the rule's chain is reachable (0 for unreferenced chains).
    pub hooks: u8,
    /// `-p` value and its inversion.
    pub rule: RuleInfo,
    /// The rule's matches, in order.
    pub matches: &'a [Box<dyn Match>],
}

/// A checkentry refusal: the kernel's log lines and whether the errno was
/// ENOENT (iptables then says "No chain/target/match by that name.")
/// rather than EINVAL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusal {
    /// Lines the kernel logged.
    pub log: Vec<String>,
    /// ENOENT instead of EINVAL.
    pub enoent: bool,
    /// ERANGE instead of EINVAL ("Numerical result out of range.").
    pub erange: bool,
}

impl Refusal {
    /// EINVAL with one log line.
    pub fn einval(line: impl Into<String>) -> Refusal {
        Refusal { log: vec![line.into()], ..Refusal::default() }
    }
    /// ENOENT with these log lines (none, for a silent refusal).
    pub fn enoent(log: Vec<String>) -> Refusal {
        Refusal { log, enoent: true, ..Refusal::default() }
    }
    /// ERANGE with one log line.
    pub fn erange(line: impl Into<String>) -> Refusal {
        Refusal { log: vec![line.into()], erange: true, ..Refusal::default() }
    }
}

/// Where an extension may be used, as its kernel registration declares.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    /// Only in this table, if set.
    pub table: Option<TableName>,
    /// Allowed hooks (mask); 0x1f for all.
    pub hooks: u8,
    /// Only for this protocol (`-p` without `!`), if nonzero.
    pub proto: u8,
}

impl Scope {
    /// No restriction.
    pub const ANY: Scope = Scope { table: None, hooks: 0x1f, proto: 0 };
}

/// A match extension (`-m NAME ...`, or implicit for `-p tcp --dport`).
pub trait Match: fmt::Debug + Send + Sync {
    /// The name after `-m`.
    fn name(&self) -> &'static str;
    /// The long options this match takes.
    fn options(&self) -> &'static [Opt];
    /// Takes one option (`opt` is the canonical long name without `--`).
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], rule: &RuleInfo) -> Result<(), Error>;
    /// Checks the options as a whole after the rule is parsed (`x6_fcheck`).
    fn finish(&mut self, _rule: &RuleInfo) -> Result<(), Error> {
        Ok(())
    }
    /// The options in `iptables-save` form, each starting with a space.
    fn save(&self, out: &mut String);
    /// The `-L` description, starting with a space.
    fn list(&self, out: &mut String, numeric: bool);
    /// Where the kernel allows this match.
    fn scope(&self) -> Scope {
        Scope::ANY
    }
    /// The kernel's own checkentry beyond scope.
    fn check(&self, _ctx: &CheckCtx) -> Result<(), Refusal> {
        Ok(())
    }
    /// Whether the packet matches; sets `hotdrop` to drop it at once.
    fn matches(&mut self, pkt: &mut dyn PacketView, hotdrop: &mut bool) -> bool;
    /// A boxed copy (rulesets are cloned for atomic restore).
    fn box_clone(&self) -> Box<dyn Match>;
    /// The match as a plain test of the packet's conntrack state, when
    /// that is all it is: `matches` must then give exactly its answer,
    /// with no effect and no hotdrop (rule walks evaluate it themselves).
    fn state_test(&self) -> Option<matches::state::StateTest> {
        None
    }
    /// The match as a test of the ports, when it is a port match (tcp,
    /// udp, multiport): on a whole unfragmented header, `matches` must
    /// then fail when the ports are outside the test's ranges, and give
    /// exactly its answer when [`PortTest::only`](matches::ports::PortTest).
    fn port_test(&self) -> Option<matches::ports::PortTest> {
        None
    }
    /// Whether this is a tcp match requiring SYN (TCPMSS's checkentry asks).
    fn requires_syn(&self) -> bool {
        false
    }
    /// Lines the extension prints on stderr while the command still
    /// succeeds (iprange's reversed-range warning).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Whether loading this match turns connection accounting on (connbytes).
    fn forces_ct_acct(&self) -> bool {
        false
    }
}

/// What a target tells the traversal to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetVerdict {
    /// Go on with the next rule (LOG, MARK, ...).
    Continue,
    /// Stop this table, let the packet go on.
    Accept,
    /// Drop the packet.
    Drop,
}

/// A target extension (`-j NAME ...`), other than the standard verdicts.
pub trait Target: fmt::Debug + Send + Sync {
    /// The name after `-j`.
    fn name(&self) -> &'static str;
    /// The name in the target column of `-L` (NOTRACK lists as `CT`).
    fn list_name(&self) -> &'static str {
        self.name()
    }
    /// The long options this target takes.
    fn options(&self) -> &'static [Opt];
    /// Takes one option (`opt` is the canonical long name without `--`).
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], rule: &RuleInfo) -> Result<(), Error>;
    /// Checks the options as a whole after the rule is parsed.
    fn finish(&mut self, _rule: &RuleInfo) -> Result<(), Error> {
        Ok(())
    }
    /// The options in `iptables-save` form, each starting with a space.
    fn save(&self, out: &mut String);
    /// The `-L` description, starting with a space.
    fn list(&self, out: &mut String, numeric: bool);
    /// Where the kernel allows this target.
    fn scope(&self) -> Scope {
        Scope::ANY
    }
    /// The kernel's own checkentry beyond scope.
    fn check(&self, _ctx: &CheckCtx) -> Result<(), Refusal> {
        Ok(())
    }
    /// Lines the extension prints on stderr while the command still succeeds.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Runs the target: side effects go through `pkt.act`.
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict;
    /// A boxed copy.
    fn box_clone(&self) -> Box<dyn Target>;
}

impl Clone for Box<dyn Match> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

impl Clone for Box<dyn Target> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// Runs the kernel's generic checks (table, hooks, protocol) then the
/// extension's own, for a match. `Err` holds the kernel log lines.
pub fn check_match(m: &dyn Match, ctx: &CheckCtx) -> Result<(), Refusal> {
    check_scope(m.name(), "match", "valid", m.scope(), ctx)?;
    m.check(ctx)
}

/// The same for a target.
pub fn check_target(t: &dyn Target, ctx: &CheckCtx) -> Result<(), Refusal> {
    check_scope(t.name(), "target", "usable", t.scope(), ctx)?;
    t.check(ctx)
}

/// Mirrors `xt_check_match`/`xt_check_target`: table, then hooks, then protocol.
fn check_scope(name: &str, kind: &str, verb: &str, scope: Scope, ctx: &CheckCtx) -> Result<(), Refusal> {
    let pre = "x_tables: ip_tables:";
    if let Some(t) = scope.table
        && t != ctx.table
    {
        return Err(Refusal::einval(format!(
            "{pre} {name} {kind}: only valid in {} table, not {}",
            t.as_str(),
            ctx.table.as_str()
        )));
    }
    if ctx.hooks & !scope.hooks != 0 {
        return Err(Refusal::einval(format!(
            "{pre} {name} {kind}: used from hooks {}, but only {verb} from {}",
            hooks_text(ctx.hooks),
            hooks_text(scope.hooks)
        )));
    }
    if scope.proto != 0 && (scope.proto != ctx.rule.proto || ctx.rule.proto_inv) {
        return Err(Refusal::einval(format!("{pre} {name} {kind}: only valid for protocol {}", scope.proto)));
    }
    Ok(())
}

/// A fresh, empty match called `name`, if nfsim knows it.
pub fn new_match(name: &str) -> Option<Box<dyn Match>> {
    matches::new(name)
}

/// A fresh, empty target called `name`, if nfsim knows it.
pub fn new_target(name: &str) -> Option<Box<dyn Target>> {
    targets::new(name)
}
