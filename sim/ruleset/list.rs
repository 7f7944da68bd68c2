//! `iptables -L` text with `-n`, `-v`, `-x` and `--line-numbers`, column for
//! column as iptables 1.8.9 prints it (widths from its printf formats).
//!
//! Without `-n`, iptables names every source and destination it prints
//! (not `anywhere`): `xtables_ipaddr_to_anyname` asks `gethostbyaddr`,
//! then `getnetbyaddr`, for the address as stored (a network's address
//! for `/24`), and appends the mask (`name/24`). Asking takes a resolver,
//! which only a host in a running world has: [`Names`] is how the caller
//! answers, once per address printed, in print order (iptables keeps no
//! cache, so a repeated address is asked again). Without one, only
//! `127.0.0.1` is named (`localhost`, from every box's `/etc/hosts`).

use std::fmt::Write;
use std::net::Ipv4Addr;

use super::argv::ListOpts;
use super::model::{Addr, Chain, Iface, Rule, Ruleset, Table, TableRules, Verdict};
use crate::xt::opts;

/// A counter as iptables prints it: exact (`%8llu`) with `-x`, else up to
/// five digits then rounded to K, M, G, T (`xtables_print_num`).
fn num(n: u64, exact: bool, out: &mut String) {
    if exact {
        let _ = write!(out, "{n:>8} ");
        return;
    }
    if n <= 99_999 {
        let _ = write!(out, "{n:>5} ");
        return;
    }
    let mut v = n;
    for suffix in ["K", "M", "G", "T"] {
        // Unsigned arithmetic as in C: 2^64-1 wraps to `0K` (observed).
        v = v.wrapping_add(500) / 1000;
        if v <= 9999 || suffix == "T" {
            let _ = write!(out, "{v:>4}{suffix} ");
            return;
        }
    }
}

/// A counter in a chain header (`%llu` / `%lluK`, no padding).
fn num_bare(n: u64, exact: bool) -> String {
    let mut s = String::new();
    num(n, exact, &mut s);
    s.trim_start().to_string()
}

fn header(c: &Chain, refs: usize, o: &ListOpts) -> String {
    match c.policy {
        Some(p) if o.verbose => format!(
            "Chain {} (policy {} {}packets, {}bytes)\n",
            c.name,
            p.as_str(),
            num_bare(c.counters.packets, o.exact),
            num_bare(c.counters.bytes, o.exact)
        ),
        Some(p) => format!("Chain {} (policy {})\n", c.name, p.as_str()),
        None => format!("Chain {} ({refs} references)\n", c.name),
    }
}

fn columns(o: &ListOpts) -> String {
    let mut s = String::new();
    if o.line_numbers {
        s.push_str("num  ");
    }
    if o.verbose {
        if o.exact {
            let _ = write!(s, "{:>8} {:>10} ", "pkts", "bytes");
        } else {
            let _ = write!(s, "{:>5} {:>5} ", "pkts", "bytes");
        }
    }
    s.push_str("target     prot opt");
    if o.verbose {
        s.push_str(" in     out    ");
    }
    let _ = writeln!(s, " {:<19}  {:<19} ", "source", "destination");
    s
}

fn iface(i: &Iface, numeric: bool) -> String {
    // `-i +` is saved as nothing but listed as `+` (observed).
    if i.name.is_empty() {
        return if numeric { "*" } else { "any" }.to_string();
    }
    format!("{}{}", if i.inv { "!" } else { "" }, i.name)
}

/// Names addresses for `-L` without `-n`: called once per address printed,
/// in print order; `None` prints the address.
pub type Names<'a> = dyn FnMut(Ipv4Addr) -> Option<String> + 'a;

/// The names every box has without asking anyone (`/etc/hosts`' loopback line).
fn localhost(a: Ipv4Addr) -> Option<String> {
    (a == Ipv4Addr::LOCALHOST).then(|| "localhost".to_string())
}

fn addr(a: &Addr, numeric: bool, names: &mut Names<'_>) -> String {
    if u32::from(a.mask) == 0 && !numeric {
        return "anywhere".into();
    }
    let host = if numeric { a.addr.to_string() } else { names(a.addr).unwrap_or_else(|| a.addr.to_string()) };
    let mask = a.mask_text();
    if mask == "/32" { host } else { format!("{host}{mask}") }
}

/// One rule's line (with newline).
pub fn rule_row(num_: usize, r: &Rule, o: &ListOpts) -> String {
    rule_row_named(num_, r, o, &mut localhost)
}

/// One rule's line, its addresses named by `names` unless `-n`.
pub fn rule_row_named(num_: usize, r: &Rule, o: &ListOpts, names: &mut Names<'_>) -> String {
    let mut s = String::new();
    if o.line_numbers {
        let _ = write!(s, "{num_:<4} ");
    }
    if o.verbose {
        num(r.counters.packets, o.exact, &mut s);
        num(r.counters.bytes, o.exact, &mut s);
    }
    let target = match &r.verdict {
        Verdict::Ext(t) => t.list_name(),
        v => v.name(),
    };
    let _ = write!(s, "{target:<9} ");
    s.push(if r.proto_inv { '!' } else { ' ' });
    let pname = if o.numeric { None } else { opts::proto_name(r.proto) };
    match pname {
        Some(n) => {
            let _ = write!(s, "{n:<5}");
        }
        None => {
            let _ = write!(s, "{:<5}", r.proto);
        }
    }
    s.push_str(match r.frag {
        None => "-- ",
        Some(true) => "-f ",
        Some(false) => "!f ",
    });
    if o.verbose {
        let _ = write!(s, " {:<6} ", iface(&r.iif, o.numeric));
        let _ = write!(s, "{:<6} ", iface(&r.oif, o.numeric));
    }
    for a in [&r.src, &r.dst] {
        s.push(if a.inv { '!' } else { ' ' });
        let _ = write!(s, "{:<19} ", addr(a, o.numeric, names));
    }
    if matches!(r.verdict, Verdict::Goto(_)) {
        s.push_str("[goto] ");
    }
    for m in &r.matches {
        m.list(&mut s, o.numeric);
    }
    if let Verdict::Ext(t) = &r.verdict {
        t.list(&mut s, o.numeric);
    }
    s.push('\n');
    s
}

/// The line `iptables -v` echoes for each rule it adds, deletes, replaces or
/// checks: target, protocol, fragment flag, interfaces, `src -> dst`, then
/// the matches' and target's `-L -n` descriptions (layout observed on 1.8.9).
pub fn rule_echo(r: &Rule) -> String {
    let mut s = String::new();
    let target = match &r.verdict {
        Verdict::Ext(t) => t.list_name(),
        v => v.name(),
    };
    let inv = |b: bool| if b { '!' } else { ' ' };
    let proto = opts::proto_name(r.proto).map_or_else(|| r.proto.to_string(), str::to_string);
    let frag = match r.frag {
        None => "--",
        Some(true) => "-f",
        Some(false) => "!f",
    };
    let name = |i: &Iface| {
        if i.name.is_empty() { "*".to_string() } else { format!("{}{}", if i.inv { "!" } else { "" }, i.name) }
    };
    let _ = write!(s, "{target} {}{proto} opt {frag} in {} out {} ", inv(r.proto_inv), name(&r.iif), name(&r.oif));
    let _ = write!(
        s,
        "{}{} {}-> {}  ",
        inv(r.src.inv),
        addr(&r.src, true, &mut localhost),
        inv(r.dst.inv),
        addr(&r.dst, true, &mut localhost)
    );
    if matches!(r.verdict, Verdict::Goto(_)) {
        s.push_str("[goto] ");
    }
    for m in &r.matches {
        m.list(&mut s, true);
    }
    if let Verdict::Ext(t) = &r.verdict {
        t.list(&mut s, true);
    }
    s.push('\n');
    s
}

fn list_chain(t: &TableRules, c: &Chain, rulenum: Option<u32>, o: &ListOpts, names: &mut Names<'_>) -> String {
    if let Some(n) = rulenum {
        // `-L CHAIN N` prints the rule's row alone, or nothing (observed).
        return c.rules.get(n as usize - 1).map(|r| rule_row_named(n as usize, r, o, names)).unwrap_or_default();
    }
    let mut s = header(c, t.references(&c.name), o);
    s.push_str(&columns(o));
    for (i, r) in c.rules.iter().enumerate() {
        s.push_str(&rule_row_named(i + 1, r, o, names));
    }
    s
}

impl Ruleset {
    /// `iptables -t TABLE -L [CHAIN]` with the given display options.
    pub fn list(&self, table: Table, chain: Option<&str>, opts: ListOpts) -> String {
        self.list_rule(table, chain, None, opts)
    }

    /// `-L CHAIN N`: one rule of one chain.
    pub fn list_rule(&self, table: Table, chain: Option<&str>, rulenum: Option<u32>, opts: ListOpts) -> String {
        self.list_rule_named(table, chain, rulenum, opts, &mut localhost)
    }

    /// `-L [CHAIN [N]]` with addresses named by `names` (unless `-n`).
    pub fn list_rule_named(
        &self,
        table: Table,
        chain: Option<&str>,
        rulenum: Option<u32>,
        opts: ListOpts,
        names: &mut Names<'_>,
    ) -> String {
        let fresh;
        let t = match self.table(table) {
            Some(t) => t,
            None => {
                fresh = TableRules::new(table);
                &fresh
            }
        };
        let parts: Vec<String> = t
            .chains
            .iter()
            .filter(|c| chain.is_none_or(|n| n == c.name))
            .map(|c| list_chain(t, c, rulenum, &opts, names))
            .filter(|p| !p.is_empty())
            .collect();
        parts.join("\n")
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn counters_round_to_k_above_99999() {
        let mut s = String::new();
        num(99_999, false, &mut s);
        num(100_499, false, &mut s);
        num(12, true, &mut s);
        assert_eq!(s, "99999  100K       12 ");
    }

    #[test]
    fn column_header_matches_iptables_widths() {
        let o = ListOpts { verbose: true, ..ListOpts::default() };
        assert_eq!(
            columns(&o),
            " pkts bytes target     prot opt in     out     source               destination         \n"
        );
    }
}
