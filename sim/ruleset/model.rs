//! The ruleset model: tables of chains of rules, as the kernel holds them.
//!
//! Invariants: a table's chains are its built-in chains in hook order, then
//! its user chains sorted by byte order (`strcmp`, as iptables-save lists
//! them); rule addresses have their host bits cleared; tables are kept
//! newest-first, the order `/proc/net/ip_tables_names` (and so
//! `iptables-save`) shows them.

use std::net::Ipv4Addr;

use crate::xt::{Hook, Match, Target};

pub use crate::xt::TableName as Table;

impl Table {
    /// Every table, in the order iptables documents them.
    pub const ALL: [Table; 5] = [Table::Filter, Table::Nat, Table::Mangle, Table::Raw, Table::Security];

    /// The table called `name`.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The hooks of this table's built-in chains, in kernel order.
    pub fn hooks(self) -> &'static [Hook] {
        use Hook::*;
        match self {
            Table::Filter | Table::Security => &[Input, Forward, Output],
            Table::Nat => &[PreRouting, Input, Output, PostRouting],
            Table::Mangle => &[PreRouting, Input, Forward, Output, PostRouting],
            Table::Raw => &[PreRouting, Output],
        }
    }
}

/// Packet and byte counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes (IP total length).
    pub bytes: u64,
}

impl Counters {
    /// Counts one packet of `len` bytes.
    #[inline]
    pub fn count(&mut self, len: u64) {
        self.packets += 1;
        self.bytes += len;
    }
}

/// A source or destination selector: `[!] addr/mask`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    /// Address with host bits cleared.
    pub addr: Ipv4Addr,
    /// Mask (need not be contiguous).
    pub mask: Ipv4Addr,
    /// `!`.
    pub inv: bool,
}

impl Default for Addr {
    fn default() -> Self {
        Addr { addr: Ipv4Addr::UNSPECIFIED, mask: Ipv4Addr::UNSPECIFIED, inv: false }
    }
}

impl Addr {
    /// Whether `a` is selected (`!` applied).
    pub fn hit(&self, a: Ipv4Addr) -> bool {
        let m = u32::from(self.mask);
        ((u32::from(a) & m) == u32::from(self.addr)) != self.inv
    }
    /// The mask as `/len`, or dotted if not contiguous.
    pub fn mask_text(&self) -> String {
        let m = u32::from(self.mask);
        if m.leading_ones() + m.trailing_zeros() == 32 {
            format!("/{}", m.leading_ones())
        } else {
            format!("/{}", self.mask)
        }
    }
}

/// An interface selector: `[!] name[+]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Iface {
    /// The name as given (with a trailing `+` for a prefix); empty = any.
    pub name: String,
    /// `!`.
    pub inv: bool,
}

impl Iface {
    /// Whether the selector is "any interface" (printed as nothing).
    pub fn is_any(&self) -> bool {
        self.name.is_empty() || (self.name == "+" && !self.inv)
    }
    /// Whether device `dev` is selected; a missing device is the empty name.
    pub fn hit(&self, dev: &str) -> bool {
        if self.name.is_empty() {
            return true;
        }
        let m = match self.name.strip_suffix('+') {
            Some(prefix) => dev.starts_with(prefix),
            None => dev == self.name,
        };
        m != self.inv
    }
}

/// Where a rule sends a matching packet.
#[derive(Clone, Debug, Default)]
pub enum Verdict {
    /// No `-j`: the rule only counts.
    #[default]
    None,
    /// `-j ACCEPT`.
    Accept,
    /// `-j DROP`.
    Drop,
    /// `-j RETURN`.
    Return,
    /// `-j CHAIN`: call a user chain.
    Jump(String),
    /// `-g CHAIN`: continue in a user chain without a return point.
    Goto(String),
    /// An extension target (LOG, REJECT, DNAT, ...).
    Ext(Box<dyn Target>),
}

impl Verdict {
    /// The chain this verdict transfers to, if any.
    pub fn chain(&self) -> Option<&str> {
        match self {
            Verdict::Jump(c) | Verdict::Goto(c) => Some(c),
            _ => None,
        }
    }
    /// The target's name as `-j` takes it ("" for none).
    pub fn name(&self) -> &str {
        match self {
            Verdict::None => "",
            Verdict::Accept => "ACCEPT",
            Verdict::Drop => "DROP",
            Verdict::Return => "RETURN",
            Verdict::Jump(c) | Verdict::Goto(c) => c,
            Verdict::Ext(t) => t.name(),
        }
    }
}

/// One rule: the generic selectors, matches in order, a target, counters.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    /// `-s`.
    pub src: Addr,
    /// `-d`.
    pub dst: Addr,
    /// `-i`.
    pub iif: Iface,
    /// `-o`.
    pub oif: Iface,
    /// `-p` (0 = all).
    pub proto: u8,
    /// `! -p`.
    pub proto_inv: bool,
    /// `-f` (Some(true)) or `! -f` (Some(false)).
    pub frag: Option<bool>,
    /// `-m ...` in order.
    pub matches: Vec<Box<dyn Match>>,
    /// `-j`/`-g`.
    pub verdict: Verdict,
    /// Packets and bytes that matched.
    pub counters: Counters,
}

/// A built-in chain's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// ACCEPT.
    Accept,
    /// DROP.
    Drop,
}

impl Policy {
    /// The policy's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
        }
    }
}

/// A chain: built-in (with a policy and its counters) or user-defined.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Name.
    pub name: String,
    /// The policy, for built-in chains only.
    pub policy: Option<Policy>,
    /// Policy counters (built-in chains).
    pub counters: Counters,
    /// Rules in order.
    pub rules: Vec<Rule>,
}

impl Chain {
    /// Whether this is a built-in chain.
    pub fn is_builtin(&self) -> bool {
        self.policy.is_some()
    }
}

/// One table of one box.
#[derive(Clone, Debug)]
pub struct TableRules {
    /// Which table.
    pub table: Table,
    /// Built-in chains in hook order, then user chains sorted.
    pub chains: Vec<Chain>,
}

impl TableRules {
    /// A fresh table: built-in chains with ACCEPT policies, no rules.
    pub fn new(table: Table) -> TableRules {
        let chains = table
            .hooks()
            .iter()
            .map(|h| Chain {
                name: h.chain_name().to_string(),
                policy: Some(Policy::Accept),
                counters: Counters::default(),
                rules: Vec::new(),
            })
            .collect();
        TableRules { table, chains }
    }

    /// The chain called `name`.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// The chain called `name`, mutably.
    pub fn chain_mut(&mut self, name: &str) -> Option<&mut Chain> {
        self.chains.iter_mut().find(|c| c.name == name)
    }

    /// Adds an empty user chain, keeping user chains sorted.
    pub fn add_user_chain(&mut self, name: &str) {
        let first_user = self.table.hooks().len();
        let pos = self.chains[first_user..]
            .iter()
            .position(|c| c.name.as_str() > name)
            .map_or(self.chains.len(), |p| p + first_user);
        self.chains.insert(
            pos,
            Chain { name: name.to_string(), policy: None, counters: Counters::default(), rules: Vec::new() },
        );
    }

    /// How many rules jump or go to `name`.
    pub fn references(&self, name: &str) -> usize {
        self.chains.iter().flat_map(|c| &c.rules).filter(|r| r.verdict.chain() == Some(name)).count()
    }
}

/// All tables of one box, newest first.
#[derive(Clone, Debug, Default)]
pub struct Ruleset {
    /// Tables in `/proc/net/ip_tables_names` order (newest first). Change
    /// them through [`Ruleset::table_mut`] or [`Ruleset::put_table`], which
    /// tell traversal's index.
    pub tables: Vec<TableRules>,
    /// Traversal's per-chain indexes, rebuilt lazily after any `&mut` access.
    pub(super) index: super::index::RuleIndex,
    /// `net.netfilter.nf_conntrack_acct`, which `-m connbytes` switches on.
    pub ct_acct: bool,
    /// Traversal's jump stack, kept so a packet allocates nothing.
    pub(super) stack: Vec<super::eval::Frame>,
}

impl Ruleset {
    /// An empty ruleset: no table exists until first used.
    pub fn new() -> Ruleset {
        Ruleset::default()
    }

    /// The table, if it has been created.
    pub fn table(&self, t: Table) -> Option<&TableRules> {
        self.tables.iter().find(|x| x.table == t)
    }

    /// The table, created (as the kernel does on first use) if missing.
    pub fn table_mut(&mut self, t: Table) -> &mut TableRules {
        self.index.invalidate();
        let i = match self.tables.iter().position(|x| x.table == t) {
            Some(i) => i,
            None => {
                self.tables.insert(0, TableRules::new(t));
                0
            }
        };
        &mut self.tables[i]
    }

    /// Replaces (or creates) a table's contents, keeping its age.
    pub fn put_table(&mut self, rules: TableRules) {
        let t = rules.table;
        *self.table_mut(t) = rules;
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn tables_are_listed_newest_first() {
        let mut rs = Ruleset::new();
        rs.table_mut(Table::Filter);
        rs.table_mut(Table::Nat);
        rs.table_mut(Table::Filter);
        let names: Vec<_> = rs.tables.iter().map(|t| t.table).collect();
        assert_eq!(names, [Table::Nat, Table::Filter]);
    }

    #[test]
    fn user_chains_sort_by_bytes_after_builtins() {
        let mut t = TableRules::new(Table::Filter);
        t.add_user_chain("foo");
        t.add_user_chain("Bar");
        t.add_user_chain("LOGDROP");
        let names: Vec<_> = t.chains.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["INPUT", "FORWARD", "OUTPUT", "Bar", "LOGDROP", "foo"]);
    }

    #[test]
    fn interface_plus_is_a_prefix_and_bang_inverts() {
        let i = Iface { name: "eth+".into(), inv: false };
        assert!(i.hit("eth0") && !i.hit("lo"));
        let i = Iface { name: "lo".into(), inv: true };
        assert!(!i.hit("lo") && i.hit(""));
    }

    #[test]
    fn address_mask_text_is_length_or_dotted() {
        let a = Addr { addr: "10.0.12.0".parse().unwrap(), mask: "255.0.255.0".parse().unwrap(), inv: false };
        assert_eq!(a.mask_text(), "/255.0.255.0");
        assert!(a.hit("10.9.12.1".parse().unwrap()));
    }
}
