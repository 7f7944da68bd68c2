//! Carrying out one parsed iptables command on a table, with libiptc's
//! checks and messages; the kernel's checks run on the result before it
//! replaces the table, so a refused command changes nothing.

use super::argv::{self, Command, Op};
use super::error::{Error, VERSION};
use super::list;
use super::model::{Policy, Rule, Ruleset, Table, TableRules, Verdict};
use super::save::rule_line;
use super::validate;
use crate::xt;

/// What a successful command prints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output text (listings, `-v` echoes).
    pub stdout: String,
    /// Warnings printed on standard error although the command succeeded.
    pub stderr: String,
    /// Lines the kernel logged while accepting the change.
    pub kernel_log: Vec<String>,
}

fn no_chain() -> Error {
    Error::iptc("No chain/target/match by that name.")
}

fn same_rule(a: &Rule, b: &Rule) -> bool {
    rule_line("", a, None) == rule_line("", b, None)
}

/// Resolves `-j NAME`/`-g NAME` to a chain: it must exist now. iptables tries
/// `-j NAME` as an extension first, then as a chain, and reports the
/// extension failure; `-g` must name a chain. A built-in chain passes
/// userspace and the kernel refuses it with EINVAL and no log line (observed).
fn check_jumps(t: &TableRules, rules: &[Rule]) -> Result<(), Error> {
    for r in rules {
        let goto = matches!(r.verdict, Verdict::Goto(_));
        let Some(name) = r.verdict.chain() else { continue };
        match t.chain(name) {
            Some(c) if c.is_builtin() => return Err(Error::kernel(Vec::new())),
            Some(_) => {}
            None if goto => return Err(Error::param(format!("goto '{name}' is not a chain"))),
            None => return Err(Error::param(format!("Couldn't load target `{name}':No such file or directory\n"))),
        }
    }
    Ok(())
}

/// Applies a rule-changing or chain-changing command to `t`.
pub fn run_on_table(t: &mut TableRules, cmd: &Command) -> Result<(), Error> {
    let chain = cmd.chain.as_deref();
    let need = |t: &TableRules| -> Result<usize, Error> {
        let name = chain.unwrap_or_default();
        t.chains.iter().position(|c| c.name == name).ok_or_else(no_chain)
    };
    match &cmd.op {
        Op::Append | Op::Insert(_) | Op::Replace(_) => {
            let ci = need(t)?;
            check_jumps(t, &cmd.rules)?;
            let rules = &mut t.chains[ci].rules;
            match cmd.op {
                Op::Append => rules.extend(cmd.rules.iter().cloned()),
                Op::Insert(n) => {
                    let at = n as usize - 1;
                    if at > rules.len() {
                        return Err(Error::iptc("Index of insertion too big."));
                    }
                    // Each expansion is inserted at the same position in
                    // turn, so `-s a,b` ends up as b, a (observed).
                    for r in &cmd.rules {
                        rules.insert(at, r.clone());
                    }
                }
                Op::Replace(n) => {
                    let at = n as usize - 1;
                    if at >= rules.len() {
                        return Err(Error::iptc("Index of replacement too big."));
                    }
                    rules[at] = cmd.rules[0].clone();
                }
                _ => unreachable!("matched above"),
            }
        }
        Op::Delete | Op::Check => {
            let ci = need(t)?;
            for r in &cmd.rules {
                let rules = &mut t.chains[ci].rules;
                let pos = rules
                    .iter()
                    .position(|x| same_rule(x, r))
                    .ok_or_else(|| Error::iptc("Bad rule (does a matching rule exist in that chain?)."))?;
                if cmd.op == Op::Delete {
                    rules.remove(pos);
                }
            }
        }
        Op::DeleteNum(n) => {
            let ci = need(t)?;
            let rules = &mut t.chains[ci].rules;
            if *n as usize > rules.len() {
                return Err(Error::iptc("Index of deletion too big."));
            }
            rules.remove(*n as usize - 1);
        }
        Op::Flush | Op::Zero => {
            if chain.is_some() {
                need(t)?;
            }
            for c in t.chains.iter_mut().filter(|c| chain.is_none_or(|n| n == c.name)) {
                if cmd.op == Op::Flush {
                    c.rules.clear();
                } else {
                    c.counters = Default::default();
                    for (i, r) in c.rules.iter_mut().enumerate() {
                        if cmd.rulenum.is_none_or(|n| n as usize == i + 1) {
                            r.counters = Default::default();
                        }
                    }
                }
            }
        }
        Op::NewChain => {
            let name = chain.unwrap_or_default();
            if t.chain(name).is_some() {
                return Err(Error::iptc("Chain already exists."));
            }
            t.add_user_chain(name);
        }
        Op::DeleteChain => delete_chains(t, chain)?,
        Op::Policy(p) => {
            let ci = t
                .chains
                .iter()
                .position(|c| Some(c.name.as_str()) == chain && c.is_builtin())
                .ok_or_else(|| Error::iptc("Bad built-in chain name."))?;
            let pol = match p.as_str() {
                "ACCEPT" => Policy::Accept,
                "DROP" => Policy::Drop,
                _ => {
                    return Err(Error::iptc("Bad policy name. Run `dmesg' for more information."));
                }
            };
            t.chains[ci].policy = Some(pol);
            if let Some(c) = cmd.counters {
                t.chains[ci].counters = c;
            }
        }
        Op::Rename(new) => {
            let old = chain.unwrap_or_default();
            // libiptc counts the standard verdicts as existing chains.
            if t.chain(new).is_some() || matches!(new.as_str(), "ACCEPT" | "DROP" | "QUEUE" | "RETURN") {
                return Err(Error::iptc("File exists."));
            }
            // A built-in chain is not found among the user chains.
            let c = t.chain(old).filter(|c| !c.is_builtin()).ok_or_else(no_chain)?;
            let mut c = c.clone();
            t.chains.retain(|x| x.name != old);
            c.name = new.clone();
            for r in t.chains.iter_mut().flat_map(|c| c.rules.iter_mut()) {
                match &mut r.verdict {
                    Verdict::Jump(n) | Verdict::Goto(n) if n == old => *n = new.clone(),
                    _ => {}
                }
            }
            t.add_user_chain(new);
            *t.chain_mut(new).expect("just added") = c;
        }
        Op::List | Op::ListRules | Op::Help | Op::Version => {}
    }
    Ok(())
}

fn delete_chains(t: &mut TableRules, chain: Option<&str>) -> Result<(), Error> {
    let names: Vec<String> = match chain {
        Some(n) => {
            let c = t.chain(n).ok_or_else(no_chain)?;
            if c.is_builtin() {
                return Err(Error::kernel(Vec::new()));
            }
            vec![n.to_string()]
        }
        None => t.chains.iter().filter(|c| !c.is_builtin()).map(|c| c.name.clone()).collect(),
    };
    for n in &names {
        if t.references(n) > 0 {
            return Err(Error::iptc("Too many links."));
        }
        if !t.chain(n).expect("listed").rules.is_empty() {
            return Err(Error::iptc("Directory not empty."));
        }
        t.chains.retain(|c| &c.name != n);
    }
    Ok(())
}

impl Ruleset {
    /// Runs one iptables command (argv without the leading `iptables`).
    ///
    /// # Errors
    /// iptables' message and status; the ruleset is unchanged on error.
    pub fn apply_argv(&mut self, argv: &[String]) -> Result<Output, Error> {
        let cmd = argv::parse(argv)?;
        self.apply_command(&cmd)
    }

    /// Runs a parsed command.
    ///
    /// # Errors
    /// iptables' message and status; the ruleset is unchanged on error.
    pub fn apply_command(&mut self, cmd: &Command) -> Result<Output, Error> {
        match cmd.op {
            // nfsim does not carry iptables' help text (nor the extensions').
            Op::Help => return Ok(Output { stdout: HELP.into(), ..Output::default() }),
            Op::Version => return Ok(Output { stdout: format!("{VERSION}\n"), ..Output::default() }),
            _ => {}
        }
        let table = Table::from_name(&cmd.table).ok_or_else(|| Error::table(&cmd.table))?;
        let chain = cmd.chain.as_deref();
        let mut out = Output { stderr: warnings(cmd), ..Output::default() };
        if cmd.list.verbose && matches!(cmd.op, Op::Append | Op::Insert(_) | Op::Delete | Op::Replace(_) | Op::Check) {
            for r in &cmd.rules {
                out.stdout.push_str(&list::rule_echo(r));
            }
        }
        match cmd.op {
            Op::List | Op::ListRules => {
                let t = self.table_mut(table);
                if let Some(c) = chain
                    && t.chain(c).is_none()
                {
                    return Err(no_chain());
                }
                out.stdout.push_str(&if cmd.op == Op::List {
                    self.list_rule(table, chain, cmd.rulenum, cmd.list)
                } else {
                    self.list_rules_opts(table, chain, cmd.rulenum, cmd.list.verbose)
                });
                if !cmd.zero {
                    return Ok(out);
                }
            }
            Op::Check => {
                let mut t = self.table_mut(table).clone();
                run_on_table(&mut t, cmd)?;
                return Ok(out);
            }
            _ => {}
        }
        let mut t = self.table_mut(table).clone();
        if cmd.zero {
            run_on_table(&mut t, &Command { op: Op::Zero, ..cmd.clone() })?;
        } else {
            run_on_table(&mut t, cmd)?;
        }
        if cmd.list.verbose {
            out.stdout.push_str(&chain_messages(&self.table_mut(table).clone(), cmd));
        }
        validate::check_table(&t)?;
        self.put_table(t);
        if matches!(cmd.op, Op::Append | Op::Insert(_) | Op::Replace(_)) {
            self.note_accounting(cmd, &mut out);
        }
        Ok(out)
    }
}

impl Ruleset {
    /// xt_connbytes needs per-connection counters: its checkentry switches
    /// `nf_conntrack_acct` on for the namespace, saying so the first time.
    fn note_accounting(&mut self, cmd: &Command, out: &mut Output) {
        let needs = cmd.rules.iter().flat_map(|r| &r.matches).any(|m| m.forces_ct_acct());
        if needs && !self.ct_acct {
            out.kernel_log.push("xt_connbytes: Forcing CT accounting to be enabled".into());
            self.ct_acct = true;
        }
    }
}

/// What nfsim prints for `iptables -h`.
pub const HELP: &str = "nfsim does not reproduce iptables' help text; see iptables(8) and iptables-extensions(8).\n";

/// What `-v` prints for `-F`, `-X` and `-Z` (also `-L -Z`): one line per
/// chain, from the table before the command.
fn chain_messages(t: &TableRules, cmd: &Command) -> String {
    let verb = match cmd.op {
        _ if cmd.zero => "Zeroing",
        Op::Flush => "Flushing",
        Op::Zero => "Zeroing",
        Op::DeleteChain => "Deleting",
        _ => return String::new(),
    };
    let user_only = cmd.op == Op::DeleteChain;
    t.chains
        .iter()
        .filter(|c| cmd.chain.as_deref().is_none_or(|n| n == c.name) && !(user_only && c.is_builtin()))
        .map(|c| format!("{verb} chain `{}'\n", c.name))
        .collect()
}

/// Warnings the rule's extensions print while parsing (iptables goes on).
fn warnings(cmd: &Command) -> String {
    let mut s = String::new();
    // One rule per address: the warning is printed once per command.
    if let Some(r) = cmd.rules.first() {
        let target = match &r.verdict {
            crate::ruleset::model::Verdict::Ext(t) => t.warnings(),
            _ => Vec::new(),
        };
        for w in r.matches.iter().flat_map(|m| m.warnings()).chain(target) {
            s.push_str(&w);
            s.push('\n');
        }
    }
    s
}

/// Whether `name` could be the target of `-j` in `t` (an extension, a
/// standard verdict or an existing user chain).
pub fn is_known_target(t: &TableRules, name: &str) -> bool {
    matches!(name, "ACCEPT" | "DROP" | "RETURN")
        || xt::new_target(name).is_some()
        || t.chain(name).is_some_and(|c| !c.is_builtin())
}

#[cfg(test)]
mod test {
    use super::*;

    fn run(rs: &mut Ruleset, line: &str) -> Result<Output, Error> {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        rs.apply_argv(&words)
    }

    #[test]
    fn verbose_append_echoes_each_rule_as_iptables_does() {
        let mut rs = Ruleset::new();
        run(&mut rs, "-N C").unwrap();
        // Layouts observed from iptables-legacy 1.8.9.
        let o = run(&mut rs, "-A FORWARD -v ! -s 1.2.3.0/24 ! -d 5.6.7.8 ! -p udp ! -f -g C").unwrap();
        assert_eq!(o.stdout, "C !udp opt !f in * out * !1.2.3.0/24 !-> 5.6.7.8  [goto] \n");
        let o = run(&mut rs, "-I FORWARD -v -i eth0 ! -o lo+ -f -s 1.1.1.1,2.2.2.2 -j DROP").unwrap();
        assert_eq!(
            o.stdout,
            "DROP  all opt -f in eth0 out !lo+  1.1.1.1  -> 0.0.0.0/0  \nDROP  all opt -f in eth0 out !lo+  2.2.2.2  -> 0.0.0.0/0  \n"
        );
        let o = run(&mut rs, "-A FORWARD -v -p tcp --dport 22").unwrap();
        assert_eq!(o.stdout, "  tcp opt -- in * out *  0.0.0.0/0  -> 0.0.0.0/0   tcp dpt:22\n");
    }

    #[test]
    fn verbose_flush_names_each_chain() {
        let mut rs = Ruleset::new();
        assert_eq!(
            run(&mut rs, "-v -F").unwrap().stdout,
            "Flushing chain `INPUT'\nFlushing chain `FORWARD'\nFlushing chain `OUTPUT'\n"
        );
    }

    #[test]
    fn help_is_not_reproduced_and_version_is() {
        let mut rs = Ruleset::new();
        assert_eq!(run(&mut rs, "-A INPUT -h").unwrap().stdout, HELP);
        assert_eq!(run(&mut rs, "--help").unwrap().stdout, HELP);
        assert_eq!(run(&mut rs, "-V").unwrap().stdout, "iptables v1.8.9 (legacy)\n");
        assert!(!rs.save(false).contains("-A INPUT"), "-h stops before the command runs");
    }

    #[test]
    fn list_then_zero() {
        let mut rs = Ruleset::new();
        run(&mut rs, "-A INPUT -c 5 500 -j ACCEPT").unwrap();
        let o = run(&mut rs, "-Z -L INPUT -n -v").unwrap();
        assert!(o.stdout.contains("    5   500 ACCEPT"));
        assert!(o.stdout.ends_with("Zeroing chain `INPUT'\n"));
        assert!(run(&mut rs, "-S INPUT -v").unwrap().stdout.contains("-A INPUT -c 0 0 -j ACCEPT"));
    }
}
