//! The iptables command layer: what each option means, as iptables 1.8.9
//! takes it. `getopt` hands over the options one at a time; this file
//! dispatches them (commands, the generic `-s -d -i -o -p -f`, `-j`/`-g`,
//! `-m` and the loaded extensions' options, with `!`, "can only be used
//! once" and the implicit loading of the protocol's match on an unknown
//! option), then runs iptables' own checks on the whole. The result is a
//! [`Command`]; `command.rs` carries it out.

use super::error::Error;
use super::getopt::{self, Scanner, Token};
use super::model::{Counters, Rule, Verdict};
use super::spec::{self, Generic};
use crate::xt::{self, Match, RuleInfo, Target};

/// What the command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `-A`.
    Append,
    /// `-I chain [n]` (1-based).
    Insert(u32),
    /// `-D chain rule`.
    Delete,
    /// `-D chain n`.
    DeleteNum(u32),
    /// `-R chain n rule`.
    Replace(u32),
    /// `-C chain rule`.
    Check,
    /// `-L [chain [n]]`.
    List,
    /// `-S [chain [n]]`.
    ListRules,
    /// `-F [chain]`.
    Flush,
    /// `-Z [chain [n]]`.
    Zero,
    /// `-N chain`.
    NewChain,
    /// `-X [chain]`.
    DeleteChain,
    /// `-P chain policy`.
    Policy(String),
    /// `-E old new`.
    Rename(String),
    /// `-h`/`--help`: iptables prints its help and exits 0 at once.
    Help,
    /// `-V`/`--version`: the version line, exit 0 at once.
    Version,
}

/// `-L` display options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListOpts {
    /// `-n`: numeric addresses, ports, protocols.
    pub numeric: bool,
    /// `-v`: counters and interfaces.
    pub verbose: bool,
    /// `-x`: exact counters.
    pub exact: bool,
    /// `--line-numbers`.
    pub line_numbers: bool,
}

/// One parsed iptables invocation.
#[derive(Clone, Debug)]
pub struct Command {
    /// The operation.
    pub op: Op,
    /// `-t` (default "filter").
    pub table: String,
    /// The chain named after the command, if any.
    pub chain: Option<String>,
    /// `-L/-S/-Z chain n`.
    pub rulenum: Option<u32>,
    /// The rule(s) for -A/-I/-D/-R/-C, one per source × destination address.
    pub rules: Vec<Rule>,
    /// Display options.
    pub list: ListOpts,
    /// `-c` given.
    pub counters: Option<Counters>,
    /// `-L` with `-Z`: list, then zero the counters.
    pub zero: bool,
}

/// A command letter with its long name, and whether it takes rule options.
const COMMANDS: &[(char, &str)] = &[
    ('A', "append"),
    ('C', "check"),
    ('D', "delete"),
    ('I', "insert"),
    ('R', "replace"),
    ('L', "list"),
    ('S', "list-rules"),
    ('F', "flush"),
    ('Z', "zero"),
    ('N', "new-chain"),
    ('X', "delete-chain"),
    ('E', "rename-chain"),
    ('P', "policy"),
];

/// Where a resolved long option belongs.
enum Owner {
    Generic(char),
    Match(usize, xt::Opt),
    Target(xt::Opt),
}

struct Parser<'a> {
    sc: Scanner<'a>,
    invert: bool,
    cmd: Option<(char, Option<String>)>,
    /// `-Z` given along with `-L` (the one pair of commands iptables allows).
    zero_too: bool,
    /// `-h` or `-V` seen: parsing stops there.
    early: Option<Op>,
    op_extra: Vec<String>,
    rulenum: Option<u32>,
    table: Option<String>,
    list: ListOpts,
    counters: Option<Counters>,
    spec: Generic,
    matches: Vec<(Box<dyn Match>, Vec<&'static str>)>,
    target: Option<(Box<dyn Target>, Vec<&'static str>)>,
    jump: Option<(String, bool)>,
    seen_generic: Vec<char>,
}

/// Parses argv (without the leading `iptables`).
///
/// # Errors
/// iptables' own message and status for anything it refuses before talking
/// to the kernel.
pub fn parse(argv: &[String]) -> Result<Command, Error> {
    let mut p = Parser {
        sc: Scanner::new(argv),
        invert: false,
        cmd: None,
        zero_too: false,
        early: None,
        op_extra: Vec::new(),
        rulenum: None,
        table: None,
        list: ListOpts::default(),
        counters: None,
        spec: Generic::default(),
        matches: Vec::new(),
        target: None,
        jump: None,
        seen_generic: Vec::new(),
    };
    while !p.sc.at_end() {
        for tok in p.sc.next_tokens()? {
            p.token(tok)?;
            if let Some(op) = p.early.take() {
                let table = p.table.unwrap_or_else(|| "filter".into());
                let list = ListOpts::default();
                return Ok(Command {
                    op,
                    table,
                    chain: None,
                    rulenum: None,
                    rules: Vec::new(),
                    list,
                    counters: None,
                    zero: false,
                });
            }
        }
    }
    p.finish()
}

impl<'a> Parser<'a> {
    fn token(&mut self, tok: Token<'a>) -> Result<(), Error> {
        match tok {
            Token::Bang => {
                if self.invert {
                    return Err(Error::param("multiple consecutive ! not allowed"));
                }
                self.invert = true;
                Ok(())
            }
            Token::Short(c, val) => self.generic(c, val),
            Token::Long { tok, name, attached } => self.long(tok, name, attached),
            Token::UnknownShort(tok) => Err(Error::param(format!("unknown option \"{tok}\""))),
        }
    }

    /// Long option candidates: the generic ones, then the loaded matches'
    /// (newest first: `-m tcp -m tcp --dport 22` gives it to the second,
    /// observed), then the target's.
    fn resolve(&self, name: &str) -> Result<Option<Owner>, Error> {
        let mut cands: Vec<(&'static str, Owner)> = Vec::new();
        for (n, c) in getopt::LONG {
            cands.push((n, Owner::Generic(*c)));
        }
        for (i, (m, _)) in self.matches.iter().enumerate().rev() {
            for o in m.options() {
                cands.push((o.name, Owner::Match(i, *o)));
            }
        }
        if let Some((t, _)) = &self.target {
            for o in t.options() {
                cands.push((o.name, Owner::Target(*o)));
            }
        }
        getopt::resolve(name, cands)
    }

    fn long(&mut self, tok: &'a str, name: &'a str, attached: Option<&'a str>) -> Result<(), Error> {
        let mut owner = self.resolve(name)?;
        if owner.is_none() && self.load_proto_match()? {
            owner = self.resolve(name)?;
        }
        let Some(owner) = owner else {
            return Err(Error::param(format!("unknown option \"{tok}\"")));
        };
        match owner {
            Owner::Generic('\0') => {
                self.list.line_numbers = true;
                Ok(())
            }
            Owner::Generic(c) => {
                let val = self.sc.generic_value(c, tok, attached)?;
                self.generic(c, val)
            }
            Owner::Match(i, opt) => {
                let args = self.sc.ext_args(tok, &opt, attached)?;
                let inv = std::mem::take(&mut self.invert);
                let info = self.spec.info();
                let (m, seen) = &mut self.matches[i];
                check_once(m.name(), &opt, inv, seen)?;
                m.parse(opt.name, inv, &args, &info).map_err(Error::from)
            }
            Owner::Target(opt) => {
                let args = self.sc.ext_args(tok, &opt, attached)?;
                let inv = std::mem::take(&mut self.invert);
                let info = self.spec.info();
                let (t, seen) = self.target.as_mut().expect("resolved to target");
                check_once(t.name(), &opt, inv, seen)?;
                t.parse(opt.name, inv, &args, &info).map_err(Error::from)
            }
        }
    }

    /// On an unknown option with `-p NAME` given, iptables loads NAME's match.
    fn load_proto_match(&mut self) -> Result<bool, Error> {
        let Some(name) = self.spec.proto_name.clone() else {
            return Ok(false);
        };
        if self.spec.proto_inv || self.matches.iter().any(|(m, _)| m.name() == name) {
            return Ok(false);
        }
        match xt::new_match(&name) {
            Some(m) => {
                self.matches.push((m, Vec::new()));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn set_cmd(&mut self, c: char, val: Option<&'a str>) -> Result<(), Error> {
        if self.invert {
            return Err(Error::param(format!("unexpected ! flag before -{c}")));
        }
        if let Some((old, _)) = &self.cmd {
            let old = *old;
            if matches!((old, c), ('L', 'Z') | ('Z', 'L')) && !self.zero_too {
                // `-L -Z` and `-Z -L` list, then zero; the chain is shared.
                self.zero_too = true;
                let mut chain = self.cmd.as_ref().and_then(|x| x.1.clone()).or(val.map(str::to_string));
                if chain.is_none() {
                    chain = self.sc.peek_word().map(str::to_string);
                }
                self.cmd = Some(('L', chain));
                return Ok(());
            }
            return Err(Error::param(format!("Cannot use -{c} with -{old}")));
        }
        self.cmd = Some((c, val.map(str::to_string)));
        match c {
            'L' | 'S' | 'Z' | 'F' | 'X' => {
                if self.cmd.as_ref().is_some_and(|x| x.1.is_none())
                    && let Some(ch) = self.sc.peek_word()
                {
                    self.cmd = Some((c, Some(ch.to_string())));
                }
                if matches!(c, 'L' | 'S' | 'Z')
                    && self.cmd.as_ref().is_some_and(|x| x.1.is_some())
                    && let Some(n) = self.sc.peek_word()
                {
                    self.rulenum = Some(parse_rulenum(n)?);
                }
            }
            'D' | 'I' => {
                if let Some(n) = self.sc.peek_word() {
                    self.rulenum = Some(parse_rulenum(n)?);
                }
            }
            'R' => {
                let n = self.sc.peek_word().ok_or_else(|| Error::param("-R requires a rule number"))?;
                self.rulenum = Some(parse_rulenum(n)?);
            }
            'P' => {
                let p = self.sc.peek_word().ok_or_else(|| Error::param("-P requires a chain and a policy"))?;
                self.op_extra.push(p.to_string());
            }
            'E' => {
                let p =
                    self.sc.peek_word().ok_or_else(|| Error::param("-E requires old-chain-name and new-chain-name"))?;
                self.op_extra.push(p.to_string());
            }
            _ => {}
        }
        Ok(())
    }

    fn generic(&mut self, c: char, val: Option<&'a str>) -> Result<(), Error> {
        if COMMANDS.iter().any(|(k, _)| *k == c) {
            return self.set_cmd(c, val);
        }
        let inv = std::mem::take(&mut self.invert);
        if "spdiofjgm".contains(c) || c == 'c' {
            if inv && !"spdiof".contains(c) {
                return Err(Error::param(format!("cannot have ! before -{c}")));
            }
            if c != 'm' {
                if self.seen_generic.contains(&c) {
                    return Err(Error::param(format!("multiple -{c} flags not allowed")));
                }
                self.seen_generic.push(c);
            }
        }
        let v = val.unwrap_or_default();
        match c {
            's' | 'd' | 'i' | 'o' | 'p' | 'f' => self.spec.set(c, v, inv)?,
            'j' | 'g' => self.set_jump(v, c == 'g')?,
            'm' => {
                let m = xt::new_match(v)
                    .ok_or_else(|| Error::param(format!("Couldn't load match `{v}':No such file or directory\n")))?;
                self.matches.push((m, Vec::new()));
            }
            't' => {
                if self.table.is_some() {
                    return Err(Error::param("The -t option cannot be used more than once"));
                }
                self.table = Some(v.to_string());
            }
            'c' => self.set_counters(v)?,
            'n' => self.list.numeric = true,
            'v' => self.list.verbose = true,
            'x' => self.list.exact = true,
            'w' | 'W' | 'M' | '4' => {}
            'h' => self.early = Some(Op::Help),
            'V' => self.early = Some(Op::Version),
            // iptables-legacy exits at once with only the usage hint (observed).
            '6' => return Err(Error::bare("")),
            _ => return Err(Error::param(format!("unknown option \"-{c}\""))),
        }
        Ok(())
    }

    fn set_jump(&mut self, name: &str, goto: bool) -> Result<(), Error> {
        // -j and -g set the same option: a second one of either is refused.
        if self.jump.is_some() {
            return Err(Error::param("multiple -j flags not allowed"));
        }
        if name.len() > 28 {
            return Err(Error::param(format!("Invalid target name `{name}' (28 chars max)")));
        }
        if !goto && let Some(t) = xt::new_target(name) {
            self.target = Some((t, Vec::new()));
        }
        self.jump = Some((name.to_string(), goto));
        Ok(())
    }

    fn set_counters(&mut self, pkts: &str) -> Result<(), Error> {
        let bytes = self.sc.peek_word().ok_or_else(|| Error::param("-c requires packet and byte counter"))?;
        let p = pkts.parse().map_err(|_| Error::param("-c packet counter not numeric"))?;
        let b = bytes.parse().map_err(|_| Error::param("-c byte counter not numeric"))?;
        self.counters = Some(Counters { packets: p, bytes: b });
        Ok(())
    }

    fn finish(mut self) -> Result<Command, Error> {
        if self.invert {
            return Err(Error::param("nothing appropriate following !"));
        }
        let info = self.spec.info();
        for (m, _) in &mut self.matches {
            m.finish(&info)?;
        }
        if let Some((t, _)) = &mut self.target {
            t.finish(&info)?;
        }
        let Some((c, chain)) = self.cmd.take() else {
            return Err(Error::param("no command specified"));
        };
        self.spec.resolve_addrs()?;
        if c == 'R' && self.spec.addr_count() != (1, 1) {
            return Err(Error::param("Replacement rule does not specify a unique address"));
        }
        let table = self.table.clone().unwrap_or_else(|| "filter".into());
        let rule_cmd = "ACDIR".contains(c);
        if (!rule_cmd || (c == 'D' && self.rulenum.is_some()))
            && let Some(o) = self.seen_generic.first()
        {
            return Err(Error::param(format!("Illegal option `-{o}' with this command")));
        }
        if c != 'L' && (self.list.numeric || self.list.line_numbers || self.list.exact) {
            // iptables names --line-numbers by its internal letter '0'.
            let o = if self.list.numeric {
                'n'
            } else if self.list.exact {
                'x'
            } else {
                '0'
            };
            return Err(Error::param(format!("Illegal option `-{o}' with this command")));
        }
        let chain_name = chain.clone().unwrap_or_default();
        if rule_cmd {
            self.spec.check_chain_ifaces(&chain_name)?;
        }
        let jump = self.jump.as_ref().map(|(j, _)| j.as_str());
        let policy = self.op_extra.first().map(String::as_str);
        if table == "nat" && (jump == Some("DROP") || (c == 'P' && policy == Some("DROP"))) {
            return Err(Error::param(
                "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n",
            ));
        }
        if matches!(c, 'N' | 'E') {
            check_chain_name_length(&chain_name)?;
        }
        if c == 'N' {
            check_new_chain_name(&chain_name)?;
        }
        if c == 'E' {
            // libiptc keeps the first 29 bytes of the new name (observed:
            // a 30-character name is stored cut; 29 is accepted as is).
            let new = &mut self.op_extra[0];
            let mut end = new.len().min(29);
            while !new.is_char_boundary(end) {
                end -= 1;
            }
            new.truncate(end);
        }
        let op = match c {
            'A' => Op::Append,
            'I' => Op::Insert(self.rulenum.take().unwrap_or(1)),
            'D' => match self.rulenum.take() {
                Some(n) => Op::DeleteNum(n),
                None => Op::Delete,
            },
            'R' => Op::Replace(self.rulenum.take().unwrap_or(1)),
            'C' => Op::Check,
            'L' => Op::List,
            'S' => Op::ListRules,
            'F' => Op::Flush,
            'Z' => Op::Zero,
            'N' => Op::NewChain,
            'X' => Op::DeleteChain,
            'P' => Op::Policy(self.op_extra.remove(0)),
            _ => Op::Rename(self.op_extra.remove(0)),
        };
        let rules = if rule_cmd { self.build_rules() } else { Vec::new() };
        Ok(Command {
            op,
            table,
            chain,
            rulenum: self.rulenum,
            rules,
            list: self.list,
            counters: self.counters,
            zero: self.zero_too,
        })
    }

    fn build_rules(&mut self) -> Vec<Rule> {
        let matches: Vec<Box<dyn Match>> = self.matches.drain(..).map(|(m, _)| m).collect();
        let verdict = match self.jump.take() {
            None => Verdict::None,
            Some((_, false)) if self.target.is_some() => Verdict::Ext(self.target.take().expect("checked").0),
            Some((name, goto)) => spec::standard_verdict(&name, goto),
        };
        let template = Rule { matches, verdict, counters: self.counters.unwrap_or_default(), ..Rule::default() };
        self.spec.expand(&template)
    }
}

fn check_once(ext: &str, opt: &xt::Opt, inv: bool, seen: &mut Vec<&'static str>) -> Result<(), Error> {
    if inv && !opt.invert {
        return Err(Error::param(format!("{ext}: option \"--{}\" cannot be inverted.\n", opt.name)));
    }
    if !opt.multi && seen.contains(&opt.name) {
        return Err(Error::param(format!("{ext}: option \"--{}\" can only be used once.\n", opt.name)));
    }
    seen.push(opt.name);
    Ok(())
}

fn parse_rulenum(s: &str) -> Result<u32, Error> {
    match s.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::param(format!("Invalid rule number `{s}'"))),
    }
}

/// iptables' length limit on the chain a command names (`-N`, and `-E`'s
/// old name; the new name of `-E` is not checked, only cut).
pub fn check_chain_name_length(name: &str) -> Result<(), Error> {
    if name.len() >= 29 {
        return Err(Error::param(format!("chain name `{name}' too long (must be under 29 chars)")));
    }
    Ok(())
}

/// iptables' checks on a new chain name (`-N`).
pub fn check_new_chain_name(name: &str) -> Result<(), Error> {
    check_chain_name_length(name)?;
    if name.starts_with('-') || name.starts_with('!') {
        return Err(Error::param(format!("chain name not allowed to start with `{}'", &name[..1])));
    }
    if xt::new_target(name).is_some() || matches!(name, "ACCEPT" | "DROP" | "RETURN" | "QUEUE") {
        return Err(Error::param("chain name may not clash with target name"));
    }
    if name.chars().any(|c| c.is_ascii_whitespace()) {
        return Err(Error::param(format!("Invalid chain name `{name}'")));
    }
    Ok(())
}

/// The info extensions see about the rule (used by the restore parser too).
pub fn rule_info(r: &Rule) -> RuleInfo {
    RuleInfo { proto: r.proto, proto_inv: r.proto_inv }
}
