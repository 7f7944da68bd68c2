//! The iptables-restore format: `*table` blocks of `:CHAIN POLICY [p:b]`
//! lines and rule commands, each block committed atomically at `COMMIT`
//! (the kernel checks the whole table then), with iptables-restore's own
//! error texts and line numbers. A failed block changes nothing of its
//! table; blocks committed before it stay, as with the real tool.

use super::argv::{self, Op};
use super::command;
use super::error::{Error, Kind, VERSION};
use super::model::{Counters, Policy, Ruleset, Table, TableRules};
use super::shell;
use super::validate;

const HINT: &str = "Try `iptables-restore -h' or 'iptables-restore --help' for more information.";

/// How to restore.
#[derive(Clone, Copy, Debug, Default)]
pub struct RestoreOpts {
    /// `--noflush`: keep the tables' existing contents.
    pub noflush: bool,
    /// `-c`: take the counters in the file.
    pub counters: bool,
}

/// Rewrites an error from a rule line the way iptables-restore reports it.
fn at_line(mut e: Error, line: usize) -> Error {
    let text = match e.kind {
        Kind::Param => format!("{VERSION}: {}\nError occurred at line: {line}\n{HINT}\n", e.message)
            .replace("iptables v", "iptables-restore v"),
        Kind::Bare => format!("{}\nError occurred at line: {line}\n{HINT}\n", e.message),
        Kind::Iptc | Kind::Kernel => format!("iptables-restore: line {line} failed\n"),
        _ => return e,
    };
    e.tool_stderr = Some(text);
    e.line = line;
    e
}

fn restore_err(msg: String, status: u8, line: usize) -> Error {
    let mut e = Error::restore(msg.clone(), status);
    e.tool_stderr = Some(format!("{msg}\n"));
    e.line = line;
    e
}

/// `[p:b]` → counters.
fn parse_counters(s: &str) -> Option<Counters> {
    let (p, b) = s.strip_prefix('[')?.strip_suffix(']')?.split_once(':')?;
    Some(Counters { packets: p.parse().ok()?, bytes: b.parse().ok()? })
}

struct Block {
    table: TableRules,
    start: usize,
}

impl Ruleset {
    /// Loads iptables-restore text (`noflush` as `--noflush`; counters ignored
    /// as without `-c`).
    ///
    /// # Errors
    /// iptables-restore's message, located at `origin` and the line it names.
    pub fn apply_restore(&mut self, text: &str, origin: &str, noflush: bool) -> Result<(), Error> {
        self.restore_with(text, origin, RestoreOpts { noflush, counters: false })
    }

    /// Loads iptables-restore text with all options.
    pub fn restore_with(&mut self, text: &str, origin: &str, o: RestoreOpts) -> Result<(), Error> {
        self.restore_inner(text, o).map_err(|e| {
            let line = e.line;
            e.at(origin, line)
        })
    }

    fn restore_inner(&mut self, text: &str, o: RestoreOpts) -> Result<(), Error> {
        let mut block: Option<Block> = None;
        let mut last = 0;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            last = n;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('*') {
                let t = Table::from_name(name.trim()).ok_or_else(|| {
                    let mut e = Error::restore(format!("iptables-restore: unable to initialize table '{}'", name.trim()), 1);
                    e.tool_stderr = Some(format!(
                        "iptables-restore v1.8.9 (legacy): iptables-restore: unable to initialize table '{}'\nError occurred at line: {n}\n{HINT}\n",
                        name.trim()
                    ));
                    e.line = n;
                    e
                })?;
                let table = match (o.noflush, self.table(t)) {
                    (true, Some(x)) => x.clone(),
                    (false, Some(x)) => flushed(x),
                    (_, None) => TableRules::new(t),
                };
                block = Some(Block { table, start: n });
                continue;
            }
            let Some(b) = block.as_mut() else {
                return Err(restore_err(format!("iptables-restore: line {n} failed"), 1, n));
            };
            if line == "COMMIT" {
                validate::check_table(&b.table).map_err(|e| {
                    let mut x = at_line(e, n);
                    x.tool_stderr = Some(format!("iptables-restore: line {n} failed\n"));
                    x
                })?;
                let done = block.take().expect("in a block");
                self.put_table(done.table);
                continue;
            }
            if let Some(rest) = line.strip_prefix(':') {
                chain_line(&mut b.table, rest, n, o)?;
                continue;
            }
            rule_line(&mut b.table, line, n, o)?;
        }
        if let Some(b) = block {
            let _ = b.start;
            return Err(restore_err(format!("iptables-restore: COMMIT expected at line {}", last + 1), 1, last + 1));
        }
        Ok(())
    }
}

/// A table as iptables-restore leaves it before a block without --noflush:
/// rules and user chains gone, policies and their counters kept.
fn flushed(t: &TableRules) -> TableRules {
    let mut f = TableRules::new(t.table);
    for (new, old) in f.chains.iter_mut().zip(t.chains.iter().filter(|c| c.is_builtin())) {
        new.policy = old.policy;
        new.counters = old.counters;
    }
    f
}

fn chain_line(t: &mut TableRules, rest: &str, n: usize, o: RestoreOpts) -> Result<(), Error> {
    let mut parts = rest.split_whitespace();
    let name = parts.next().unwrap_or_default();
    let policy = parts.next().unwrap_or("-");
    let counters = parts.next().and_then(parse_counters);
    let param = |m: String, status: u8| {
        let mut e = Error::restore(m.clone(), status);
        e.tool_stderr = Some(format!("iptables-restore v1.8.9 (legacy): {m}\n"));
        e.line = n;
        e
    };
    match t.chain_mut(name) {
        Some(c) if c.is_builtin() => {
            c.policy = Some(match policy {
                "ACCEPT" => Policy::Accept,
                "DROP" => Policy::Drop,
                _ => {
                    return Err(param(format!("Can't set policy `{policy}' on `{name}' line {n}: Bad policy name"), 1));
                }
            });
            if o.counters
                && let Some(k) = counters
            {
                c.counters = k;
            }
        }
        Some(c) if o.noflush => c.rules.clear(),
        Some(_) => {
            let mut e = param(format!("error creating chain '{name}':File exists"), 2);
            e.tool_stderr = Some(format!(
                "iptables-restore v1.8.9 (legacy): error creating chain '{name}':File exists\nError occurred at line: {n}\n{HINT}\n"
            ));
            return Err(e);
        }
        None => {
            argv::check_new_chain_name(name).map_err(|e| at_line(e, n))?;
            t.add_user_chain(name);
        }
    }
    Ok(())
}

fn rule_line(t: &mut TableRules, line: &str, n: usize, o: RestoreOpts) -> Result<(), Error> {
    let mut words = shell::split_restore(line);
    let mut counters = None;
    if words.first().is_some_and(|w| w.starts_with('[')) {
        counters = parse_counters(&words.remove(0));
    }
    if words.iter().any(|w| w == "-t" || w == "--table") {
        return Err(at_line(Error::param("The -t option cannot be used in iptables-restore.\n"), n));
    }
    let mut cmd = argv::parse(&words).map_err(|e| at_line(e, n))?;
    cmd.table = t.table.as_str().to_string();
    if matches!(cmd.op, Op::NewChain)
        && let Some(c) = &cmd.chain
        && t.chain(c).is_some()
        && t.chain(c).is_some_and(|x| !x.is_builtin())
    {
        return Err(at_line(Error::iptc("Chain already exists."), n));
    }
    if o.counters
        && let Some(k) = counters
    {
        for r in &mut cmd.rules {
            r.counters = k;
        }
    } else if !o.counters {
        for r in &mut cmd.rules {
            r.counters = Counters::default();
        }
    }
    if matches!(cmd.op, Op::List | Op::ListRules) {
        return Ok(());
    }
    command::run_on_table(t, &cmd).map_err(|e| at_line(e, n))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn counters_parse_bracketed_pairs() {
        assert_eq!(parse_counters("[3:180]"), Some(Counters { packets: 3, bytes: 180 }));
        assert_eq!(parse_counters("[x:1]"), None);
    }
}
