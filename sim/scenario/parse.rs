//! Statements from words: the world (`seed`, `host`, `router`, `link`),
//! commands on hosts (`on HOST ...`), apps (`HOST tcp connect ...`), time
//! (`at T ...`, `run T`, `run until idle`) and checks (`expect`).
//!
//! Host names are checked as they are declared, so a typo names its
//! column. World statements must come before the first command.

use super::ast::{Action, AppSpec, Check, Cmp, PacketPattern, Statement};
use super::error::ParseError;
use super::lex::{Stmt, Word, split};
use crate::apps::flood::{FloodKind, FloodSpec};
use crate::apps::ftp::Mode as FtpMode;
use crate::apps::ftp::client::GetSpec as FtpGetSpec;
use crate::apps::ftp::server::ServerSpec as FtpServerSpec;
use crate::apps::parse_endpoint;
use crate::apps::tcp::client::ClientSpec;
use crate::apps::tcp::clients::ClientsSpec;
use crate::apps::tcp::server::ServerSpec;
use crate::apps::udp::SendSpec;
use crate::engine::Duration;
use crate::net::{IfaceSpec, Ipv4Cidr, RouteSpec};
use crate::world::LinkParams;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

mod mcast_scan;

/// A whole scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file name, for messages.
    pub file: String,
    /// Its statements.
    pub statements: Vec<Statement>,
}

struct Parser<'a> {
    /// The file being read (an included one while it is read).
    file: String,
    /// Declared hosts and their interface names.
    hosts: BTreeMap<String, Vec<String>>,
    world_done: bool,
    /// Reads `include`d files.
    load: Option<Include<'a>>,
    /// Files being included, innermost last (a file including itself is refused).
    including: Vec<String>,
}

/// Reads an `include`d file by the name the scenario gives it.
pub type Include<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// How deep `include` may nest.
const INCLUDE_DEPTH_MAX: usize = 8;

type R<T> = Result<T, ParseError>;

/// Parses a scenario that includes no files.
///
/// # Errors
/// The first problem, at its line and column, with the line quoted.
pub fn parse(text: &str, file: &str) -> R<Scenario> {
    parse_with(text, file, None)
}

/// Parses a scenario, reading files it `include`s through `load`. An
/// included file's statements take the place of the `include` line, as
/// if pasted there; its errors name its own file and line.
///
/// # Errors
/// The first problem, at its line and column, with the line quoted.
pub fn parse_with(text: &str, file: &str, load: Option<Include<'_>>) -> R<Scenario> {
    let mut p =
        Parser { file: file.to_string(), hosts: BTreeMap::new(), world_done: false, load, including: Vec::new() };
    let mut statements = Vec::new();
    p.file(text, &mut statements)?;
    Ok(Scenario { file: file.to_string(), statements })
}

impl Parser<'_> {
    /// Every statement of `text` (the file `self.file`), includes expanded.
    fn file(&mut self, text: &str, out: &mut Vec<Statement>) -> R<()> {
        let stmts = split(text, &self.file).map_err(|e| e.with_source(text))?;
        for s in &stmts {
            if s.words[0].text == "include" {
                self.include(s, out).map_err(|e| e.with_source(text))?;
                continue;
            }
            out.push(self.statement(s).map_err(|e| e.with_source(text))?);
        }
        Ok(())
    }

    /// `include FILE`.
    fn include(&mut self, s: &Stmt, out: &mut Vec<Statement>) -> R<()> {
        let w = &s.words;
        if w.len() != 2 {
            return self.err(w.get(2).unwrap_or(&self.after(w)), "expected `include FILE'");
        }
        let name = &w[1].text;
        if self.including.len() >= INCLUDE_DEPTH_MAX || self.including.contains(name) || *name == self.file {
            return self.err(&w[1], &format!("`{name}' includes itself"));
        }
        let Some(load) = self.load else { return self.err(&w[1], "cannot read included files here") };
        let text = load(name).or_else(|e| self.err(&w[1], &format!("{name}: {e}")))?;
        let outer = std::mem::replace(&mut self.file, name.clone());
        self.including.push(name.clone());
        let got = self.file(&text, out);
        self.including.pop();
        self.file = outer;
        got
    }

    fn err<T>(&self, w: &Word, msg: &str) -> R<T> {
        Err(ParseError::at(&self.file, w.line, w.col, msg))
    }

    /// The end of a statement, for "missing ..." errors.
    fn after(&self, words: &[Word]) -> Word {
        let last = words.last().expect("statements have words");
        Word { text: String::new(), line: last.line, col: last.col + last.text.chars().count() + 1 }
    }

    fn statement(&mut self, s: &Stmt) -> R<Statement> {
        let text = s.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
        let (at, words) = if s.words[0].text == "at" {
            let Some(t) = s.words.get(1) else { return self.err(&self.after(&s.words), "`at' needs a time") };
            if s.words.len() < 3 {
                return self.err(&self.after(&s.words), "`at T' needs a statement after the time");
            }
            (Some(self.duration(t)?), &s.words[2..])
        } else {
            (None, &s.words[..])
        };
        let (every, words) = if words[0].text == "every" {
            let Some(t) = words.get(1) else { return self.err(&self.after(words), "`every' needs a time") };
            let period = self.duration(t)?;
            if period == Duration::ZERO {
                return self.err(t, "`every' needs a time above zero");
            }
            match words.get(2).map(|w| w.text.as_str()) {
                Some("on" | "expect") => {}
                Some(_) => return self.err(&words[2], "`every T' repeats `on HOST COMMAND' or `expect'"),
                None => return self.err(&self.after(words), "`every T' needs a statement after the time"),
            }
            (Some(period), &words[2..])
        } else {
            (None, words)
        };
        let action = self.action(words, s.stdin.clone(), at.is_some() || every.is_some())?;
        if every.is_some() && matches!(action, Action::App { .. }) {
            return self.err(&words[0], "`every T' repeats `on HOST COMMAND' or `expect'");
        }
        Ok(Statement { at, every, action, line: s.line, text })
    }

    fn action(&mut self, w: &[Word], stdin: Option<String>, timed: bool) -> R<Action> {
        let head = w[0].text.as_str();
        let world = matches!(head, "seed" | "kernel" | "host" | "router" | "bridge" | "link");
        if world && (self.world_done || timed) {
            return self
                .err(&w[0], "declare the world (seed, kernel, host, router, bridge, link) before the first command");
        }
        if !world {
            self.world_done = true;
        }
        match head {
            "seed" => {
                let n = w.get(1).ok_or(()).or_else(|_| self.err(&self.after(w), "`seed' needs a number"))?;
                Ok(Action::Seed(self.number(n)?))
            }
            "kernel" => {
                let name = w.get(1).ok_or(()).or_else(|_| self.err(&self.after(w), "`kernel' needs a name"))?;
                match crate::kernel::Profile::from_name(&name.text) {
                    Some(p) if w.len() == 2 => Ok(Action::Kernel(p)),
                    Some(_) => self.err(&w[2], "expected `kernel linux-6' or `kernel linux-2.4'"),
                    None => self.err(name, &format!("unknown kernel `{}' (linux-6, linux-2.4)", name.text)),
                }
            }
            "host" | "router" => self.host(w, head == "router"),
            "bridge" => self.bridge(w),
            "link" => self.link(w),
            "on" => {
                let host = self.host_word(w.get(1), w)?;
                if w.len() < 3 {
                    return self.err(&self.after(w), "`on HOST' needs a command");
                }
                if is_app(&w[2].text) {
                    return Ok(Action::App { host, app: self.app(&w[2..])? });
                }
                let mut argv: Vec<String> = w[2..].iter().map(|x| x.text.clone()).collect();
                if argv.last().is_some_and(|a| a == "&") {
                    argv.pop();
                    if argv.is_empty() {
                        return self.err(&w[2], "`&' needs a command before it");
                    }
                    return Ok(Action::Background { host, argv });
                }
                Ok(Action::Shell { host, argv, stdin })
            }
            "run" => match w.get(1).map(|x| x.text.as_str()) {
                Some("until") if w.get(2).is_some_and(|x| x.text == "idle") && w.len() == 3 => Ok(Action::RunIdle),
                Some(_) if w.len() == 2 => Ok(Action::Run(self.duration(&w[1])?)),
                Some(_) => self.err(&w[1], "expected `run T' or `run until idle'"),
                None => self.err(&self.after(w), "`run' needs a time or `until idle'"),
            },
            "expect" => self.expect(w),
            _ if self.hosts.contains_key(head) => {
                let host = head.to_string();
                match w.get(1) {
                    Some(a) if is_app(&a.text) => Ok(Action::App { host, app: self.app(&w[1..])? }),
                    Some(a) => self.err(
                        a,
                        &format!(
                            "unknown app `{}' (tcp, udp, ping, send, syn-flood, udp-flood, ftp, irc, http, dns, mcast, scan)",
                            a.text
                        ),
                    ),
                    None => self.err(&self.after(w), "expected an app after the host name"),
                }
            }
            _ => self.err(&w[0], &format!("unknown statement `{head}'")),
        }
    }

    fn host(&mut self, w: &[Word], router: bool) -> R<Action> {
        let name = w.get(1).ok_or(()).or_else(|_| self.err(&self.after(w), "missing host name"))?;
        if self.hosts.contains_key(&name.text) {
            return self.err(name, &format!("host `{}' declared twice", name.text));
        }
        let mut ifaces: Vec<IfaceSpec> = Vec::new();
        let mut routes = Vec::new();
        let mut i = 2;
        while i < w.len() {
            let word = &w[i];
            let arg = w.get(i + 1);
            match word.text.as_str() {
                "via" => {
                    let gw = arg.ok_or(()).or_else(|_| self.err(&self.after(w), "`via' needs a gateway"))?;
                    let spec = format!("default via {}", gw.text);
                    routes.push(spec.parse::<RouteSpec>().or_else(|e| self.err(gw, &e))?);
                }
                "route" => {
                    let r = arg.ok_or(()).or_else(|_| self.err(&self.after(w), "`route' needs a quoted route"))?;
                    routes.push(r.text.parse::<RouteSpec>().or_else(|e| self.err(r, &e))?);
                }
                "mtu" => {
                    let m = arg.ok_or(()).or_else(|_| self.err(&self.after(w), "`mtu' needs a number"))?;
                    let last = ifaces.last_mut().ok_or(()).or_else(|_| self.err(word, "`mtu' follows an interface"))?;
                    last.mtu = Some(
                        m.text.parse().ok().filter(|v| *v >= 68).ok_or(()).or_else(|_| self.err(m, "invalid MTU"))?,
                    );
                }
                _ => {
                    let addr = arg
                        .ok_or(())
                        .or_else(|_| self.err(&self.after(w), &format!("interface `{}' needs ADDR/LEN", word.text)))?;
                    let spec = format!("{}={}", word.text, addr.text);
                    let mut s: IfaceSpec = spec.parse().or_else(|e: String| self.err(word, &e))?;
                    if ifaces.iter().any(|x| x.name == s.name) {
                        return self.err(word, &format!("interface `{}' given twice", s.name));
                    }
                    s.addrs.retain(|_| true);
                    ifaces.push(s);
                }
            }
            i += 2;
        }
        if ifaces.is_empty() {
            return self.err(&self.after(w), "a host needs at least one interface: IFACE ADDR/LEN");
        }
        self.hosts.insert(name.text.clone(), ifaces.iter().map(|x| x.name.clone()).collect());
        Ok(Action::Host { name: name.text.clone(), router, ifaces, routes, bridge: None })
    }

    /// `bridge NAME PORT... [ADDR/LEN] [via GW]`: a box whose ports are
    /// enslaved to `br0`, which holds the address if one is given.
    fn bridge(&mut self, w: &[Word]) -> R<Action> {
        let name = w.get(1).ok_or(()).or_else(|_| self.err(&self.after(w), "missing bridge name"))?;
        if self.hosts.contains_key(&name.text) {
            return self.err(name, &format!("host `{}' declared twice", name.text));
        }
        let mut ports: Vec<IfaceSpec> = Vec::new();
        let mut dev = IfaceSpec { name: "br0".into(), addrs: Vec::new(), mac: None, mtu: None };
        let mut routes = Vec::new();
        let mut i = 2;
        while i < w.len() {
            let word = &w[i];
            if word.text == "via" {
                let gw = w.get(i + 1).ok_or(()).or_else(|_| self.err(&self.after(w), "`via' needs a gateway"))?;
                let spec = format!("default via {}", gw.text);
                routes.push(spec.parse::<RouteSpec>().or_else(|e| self.err(gw, &e))?);
                i += 2;
                continue;
            }
            if word.text.contains('/') {
                dev.addrs.push(word.text.parse::<Ipv4Cidr>().or_else(|e| self.err(word, &e))?);
            } else {
                let port: IfaceSpec = word.text.parse().or_else(|e: String| self.err(word, &e))?;
                if port.name == dev.name || ports.iter().any(|p| p.name == port.name) {
                    return self.err(word, &format!("port `{}' given twice", port.name));
                }
                ports.push(port);
            }
            i += 1;
        }
        if ports.is_empty() {
            return self.err(&self.after(w), "a bridge needs at least one port: bridge NAME PORT... [ADDR/LEN]");
        }
        let spec =
            crate::net::BridgeSpec { dev: dev.name.clone(), ports: ports.iter().map(|p| p.name.clone()).collect() };
        ports.push(dev);
        self.hosts.insert(name.text.clone(), ports.iter().map(|x| x.name.clone()).collect());
        Ok(Action::Host { name: name.text.clone(), router: true, ifaces: ports, routes, bridge: Some(spec) })
    }

    fn link(&mut self, w: &[Word]) -> R<Action> {
        let mut ends = Vec::new();
        let mut params = LinkParams::default();
        let mut i = 1;
        while i < w.len() && w[i].text.contains(':') {
            let (h, f) = w[i].text.split_once(':').expect("contains ':'");
            let ifaces = self.hosts.get(h).ok_or(()).or_else(|_| self.err(&w[i], &format!("unknown host `{h}'")))?;
            if !ifaces.iter().any(|x| x == f) {
                return self.err(&w[i], &format!("host `{h}' has no interface `{f}'"));
            }
            ends.push((h.to_string(), f.to_string()));
            i += 1;
        }
        if ends.len() < 2 {
            return self.err(w.get(i).unwrap_or(&self.after(w)), "a link joins at least two HOST:IFACE ends");
        }
        while i < w.len() {
            let key = &w[i];
            let v = w
                .get(i + 1)
                .ok_or(())
                .or_else(|_| self.err(&self.after(w), &format!("`{}' needs a value", key.text)))?;
            match key.text.as_str() {
                "delay" => params.delay = self.duration(v)?,
                "rate" => params.rate_bps = Some(self.rate(v)?),
                "loss" => params.loss_ppm = self.percent(v)?,
                "dup" | "duplicate" => params.dup_ppm = self.percent(v)?,
                "reorder" => params.reorder_ppm = self.percent(v)?,
                "reorder-delay" => params.reorder_delay = self.duration(v)?,
                _ => {
                    return self.err(
                        key,
                        &format!(
                            "unknown link parameter `{}' (delay, rate, loss, dup, reorder, reorder-delay)",
                            key.text
                        ),
                    );
                }
            }
            i += 2;
        }
        Ok(Action::Link { ends, params })
    }

    fn host_word(&self, w: Option<&Word>, all: &[Word]) -> R<String> {
        let Some(w) = w else { return self.err(&self.after(all), "missing host name") };
        if !self.hosts.contains_key(&w.text) {
            return self.err(w, &format!("unknown host `{}'", w.text));
        }
        Ok(w.text.clone())
    }

    fn expect(&self, w: &[Word]) -> R<Action> {
        let mut i = 1;
        let negate = w.get(1).is_some_and(|x| x.text == "!");
        if negate {
            i += 1;
        }
        let host = self.host_word(w.get(i), w)?;
        let what = w
            .get(i + 1)
            .ok_or(())
            .or_else(|_| self.err(&self.after(w), "expected conntrack, log, app, saw or output"))?;
        let rest = &w[i + 2..];
        let joined = rest.iter().map(|x| x.text.as_str()).collect::<Vec<_>>().join(" ");
        let check = match what.text.as_str() {
            "conntrack" => {
                if rest.len() != 3 || rest[0].text != "count" {
                    return self.err(rest.first().unwrap_or(what), "expected `conntrack count OP N'");
                }
                let cmp = match rest[1].text.as_str() {
                    "==" | "=" => Cmp::Eq,
                    "!=" => Cmp::Ne,
                    "<" => Cmp::Lt,
                    "<=" => Cmp::Le,
                    ">" => Cmp::Gt,
                    ">=" => Cmp::Ge,
                    _ => return self.err(&rest[1], "expected one of == != < <= > >="),
                };
                Check::ConntrackCount(cmp, self.number(&rest[2])?)
            }
            "log" if !rest.is_empty() => Check::Log(joined),
            "app" if !rest.is_empty() => Check::App(joined),
            "saw" => Check::Saw(self.pattern(rest)?),
            "output" if !rest.is_empty() => Check::Output(joined),
            "log" | "app" | "output" => return self.err(&self.after(w), "expected the text to look for"),
            _ => return self.err(what, "expected conntrack, log, app, saw or output"),
        };
        Ok(Action::Expect { negate, host, check })
    }

    fn pattern(&self, w: &[Word]) -> R<PacketPattern> {
        let mut p = PacketPattern::default();
        let mut i = 0;
        while i < w.len() {
            let t = w[i].text.as_str();
            if matches!(t, "tcp" | "udp" | "icmp") {
                p.proto = Some(t.to_string());
                i += 1;
                continue;
            }
            let v = w.get(i + 1).ok_or(()).or_else(|_| self.err(&w[i], &format!("`{t}' needs a value")))?;
            match t {
                "from" => p.from = Some(self.addr_port(v)?),
                "to" => p.to = Some(self.addr_port(v)?),
                "flags" => p.flags = Some(v.text.clone()),
                "on" => p.on = Some(v.text.clone()),
                _ => return self.err(&w[i], "expected tcp, udp, icmp, from, to, flags or on"),
            }
            i += 2;
        }
        Ok(p)
    }

    fn addr_port(&self, w: &Word) -> R<(Ipv4Addr, Option<u16>)> {
        let (a, p) = match w.text.rsplit_once(':') {
            Some((a, p)) => (a, Some(p.parse::<u16>().ok().ok_or(()).or_else(|_| self.err(w, "invalid port"))?)),
            None => (w.text.as_str(), None),
        };
        Ok((a.parse().ok().ok_or(()).or_else(|_| self.err(w, "invalid IPv4 address"))?, p))
    }

    fn number(&self, w: &Word) -> R<u64> {
        w.text.parse().ok().ok_or(()).or_else(|_| self.err(w, &format!("expected a number, got `{}'", w.text)))
    }

    /// `250ms`, `1.5s`, `100us`, `2m`, `1h`, `0`.
    fn duration(&self, w: &Word) -> R<Duration> {
        parse_duration(&w.text)
            .ok_or(())
            .or_else(|_| self.err(w, &format!("expected a time like 10ms or 1.5s, got `{}'", w.text)))
    }

    /// `10mbit`, `1gbit`, `64kbit`, `1000000` (bits per second).
    fn rate(&self, w: &Word) -> R<u64> {
        let t = w.text.to_ascii_lowercase();
        let (num, mul) = [("gbit", 1_000_000_000u64), ("mbit", 1_000_000), ("kbit", 1_000), ("bit", 1)]
            .iter()
            .find_map(|(s, m)| t.strip_suffix(s).map(|n| (n.to_string(), *m)))
            .unwrap_or((t.clone(), 1));
        num.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| n * mul)
            .ok_or(())
            .or_else(|_| self.err(w, "expected a rate like 10mbit"))
    }

    /// `1%`, `0.5%` → parts per million.
    fn percent(&self, w: &Word) -> R<u32> {
        let t = w.text.strip_suffix('%').unwrap_or(&w.text);
        let ppm = parse_fixed(t, 4).filter(|v| *v <= 1_000_000);
        ppm.map(|v| v as u32).ok_or(()).or_else(|_| self.err(w, "expected a percentage like 1% or 0.5%"))
    }

    fn app(&self, w: &[Word]) -> R<AppSpec> {
        let opts = |from: usize| Opts { p: self, w, i: from };
        match (w[0].text.as_str(), w.get(1).map(|x| x.text.as_str())) {
            ("tcp", Some("connect")) => {
                let remote = self.endpoint(w.get(2), w)?;
                let mut spec = ClientSpec { remote, from_port: None, send: 0, keep_open: false };
                let mut o = opts(3);
                while let Some(k) = o.next_key()? {
                    match k.as_str() {
                        "from-port" => spec.from_port = Some(o.value_num()? as u16),
                        "send" => spec.send = o.value_num()?,
                        "keep-open" => spec.keep_open = true,
                        _ => return o.unknown("from-port, send, keep-open"),
                    }
                }
                Ok(AppSpec::TcpConnect(spec))
            }
            ("tcp", Some("listen")) => {
                let port = self.port(w.get(2), w)?;
                let mut spec = ServerSpec { port, backlog: 128, echo: false, buffer: 65536 };
                let mut o = opts(3);
                while let Some(k) = o.next_key()? {
                    match k.as_str() {
                        "backlog" => spec.backlog = o.value_num()?.max(1) as usize,
                        "echo" => spec.echo = true,
                        "buffer" => spec.buffer = o.value_num()?.max(64) as usize,
                        _ => return o.unknown("backlog, echo, buffer"),
                    }
                }
                Ok(AppSpec::TcpListen(spec))
            }
            ("tcp", Some("clients")) => {
                let count =
                    self.number(w.get(2).ok_or(()).or_else(|_| self.err(&self.after(w), "how many clients?"))?)?;
                if w.get(3).is_none_or(|x| x.text != "to") {
                    return self.err(w.get(3).unwrap_or(&self.after(w)), "expected `to ADDR:PORT'");
                }
                let remote = self.endpoint(w.get(4), w)?;
                let mut spec = ClientsSpec { count, remote, rate: 100, send: 0, buffer: 8192 };
                let mut o = opts(5);
                while let Some(k) = o.next_key()? {
                    match k.as_str() {
                        "rate" => spec.rate = o.value_num()?.max(1),
                        "send" => spec.send = o.value_num()?,
                        "buffer" => spec.buffer = o.value_num()?.max(64) as usize,
                        _ => return o.unknown("rate, send, buffer"),
                    }
                }
                Ok(AppSpec::TcpClients(spec))
            }
            ("udp", Some("listen")) => {
                let port = self.port(w.get(2), w)?;
                let echo = match w.get(3) {
                    Some(x) if x.text == "echo" && w.len() == 4 => true,
                    Some(x) => return self.err(x, "expected `echo' or nothing"),
                    None => false,
                };
                Ok(AppSpec::UdpListen { port, echo })
            }
            ("udp", Some("send")) => {
                let remote = self.endpoint(w.get(2), w)?;
                let mut spec = SendSpec { remote, from_port: None, len: 0, count: 1, interval: Duration::from_secs(1) };
                let mut o = opts(3);
                while let Some(k) = o.next_key()? {
                    match k.as_str() {
                        "from-port" => spec.from_port = Some(o.value_num()? as u16),
                        "len" => spec.len = o.value_num()?.min(65507) as usize,
                        "count" => spec.count = o.value_num()?,
                        "interval" => spec.interval = o.value_time()?,
                        _ => return o.unknown("from-port, len, count, interval"),
                    }
                }
                Ok(AppSpec::UdpSend(spec))
            }
            ("ping", _) => {
                let a = w.get(1).ok_or(()).or_else(|_| self.err(&self.after(w), "ping whom?"))?;
                let dst = a.text.parse().ok().ok_or(()).or_else(|_| self.err(a, "invalid IPv4 address"))?;
                let (mut count, mut interval) = (1, Duration::from_secs(1));
                let mut o = opts(2);
                while let Some(k) = o.next_key()? {
                    match k.as_str() {
                        "count" => count = o.value_num()?,
                        "interval" => interval = o.value_time()?,
                        _ => return o.unknown("count, interval"),
                    }
                }
                Ok(AppSpec::Ping { dst, count, interval })
            }
            ("syn-flood" | "udp-flood", _) => {
                let kind = if w[0].text == "syn-flood" { FloodKind::Syn } else { FloodKind::Udp };
                let dst = self.endpoint(w.get(1), w)?;
                let mut spec = FloodSpec { kind, dst, rate: 1000, count: 1000, len: 0, from: None };
                let mut o = opts(2);
                while let Some(k) = o.next_key()? {
                    match k.as_str() {
                        "rate" => spec.rate = o.value_num()?.max(1),
                        "count" => spec.count = o.value_num()?,
                        "len" => spec.len = o.value_num()?.min(65507) as usize,
                        "from" => {
                            let v = o.value()?;
                            spec.from = Some(v.text.parse::<Ipv4Cidr>().or_else(|e| self.err(v, &e))?);
                        }
                        _ => return o.unknown("rate, count, len, from"),
                    }
                }
                Ok(AppSpec::Flood(spec))
            }
            ("send", _) => {
                let spec = w[1..].iter().map(|x| x.text.as_str()).collect::<Vec<_>>().join(" ");
                let c = crate::wire::spec::craft(&spec).or_else(|e| self.err(w.get(1).unwrap_or(&w[0]), &e))?;
                Ok(AppSpec::Send(c.datagrams()))
            }
            ("ftp", Some("server")) => self.ftp_server(w),
            ("ftp", Some("get")) => self.ftp_get(w),
            ("irc", Some("server")) => {
                let port = if w.len() > 2 { self.port(w.get(2), w)? } else { 6667 };
                Ok(AppSpec::IrcServer(port))
            }
            ("irc", Some("client")) => self.irc_client(w),
            ("mcast", Some("join")) => self.mcast_join(w),
            ("mcast", Some("send")) => self.mcast_send(w),
            ("scan", Some(_)) => self.scan(w),
            ("http", Some("server" | "get" | "proxy")) => self.http(w),
            ("dns", Some("server")) => self.dns_server(w),
            (_, Some(_)) => self.err(&w[1], "unknown app command"),
            _ => self.err(&self.after(w), "incomplete app command"),
        }
    }

    /// `ftp server [PORT] [file NAME SIZE]...`.
    fn ftp_server(&self, w: &[Word]) -> R<AppSpec> {
        let mut spec = FtpServerSpec { port: 21, files: Vec::new() };
        let mut i = 2;
        if w.get(2).is_some_and(|x| x.text.starts_with(|c: char| c.is_ascii_digit())) {
            spec.port = self.port(w.get(2), w)?;
            i = 3;
        }
        while let Some(k) = w.get(i) {
            if k.text != "file" {
                return self.err(k, "expected `file NAME SIZE'");
            }
            let name = w.get(i + 1).ok_or(()).or_else(|_| self.err(&self.after(w), "`file' needs a name"))?;
            let size = w.get(i + 2).ok_or(()).or_else(|_| self.err(&self.after(w), "`file' needs a size"))?;
            spec.files.push((name.text.clone(), self.number(size)?));
            i += 3;
        }
        Ok(AppSpec::FtpServer(spec))
    }

    /// `ftp get ADDR[:PORT] NAME [active|passive|epsv] [think T]`.
    fn ftp_get(&self, w: &[Word]) -> R<AppSpec> {
        let a = w.get(2).ok_or(()).or_else(|_| self.err(&self.after(w), "expected the server's address"))?;
        let server = match a.text.parse::<Ipv4Addr>() {
            Ok(addr) => (addr, 21),
            Err(_) => parse_endpoint(&a.text).or_else(|e| self.err(a, &e))?,
        };
        let name = w.get(3).ok_or(()).or_else(|_| self.err(&self.after(w), "expected a file name"))?.text.clone();
        let mut spec = FtpGetSpec { server, name, mode: FtpMode::Passive, think: Duration::ZERO };
        let mut o = Opts { p: self, w, i: 4 };
        while let Some(k) = o.next_key()? {
            match FtpMode::from_name(&k) {
                Some(m) => spec.mode = m,
                None if k == "think" => spec.think = o.value_time()?,
                None => return o.unknown("active, passive, epsv, think"),
            }
        }
        Ok(AppSpec::FtpGet(spec))
    }

    /// `irc client ADDR[:PORT] NICK [dcc send NAME SIZE to PEER | dcc chat
    /// to PEER] [dcc resume NAME OFFSET] [think T]`.
    fn irc_client(&self, w: &[Word]) -> R<AppSpec> {
        use crate::apps::irc::client::{ClientSpec, Offer};
        let a = w.get(2).ok_or(()).or_else(|_| self.err(&self.after(w), "expected the server's address"))?;
        let server = match a.text.parse::<Ipv4Addr>() {
            Ok(addr) => (addr, 6667),
            Err(_) => parse_endpoint(&a.text).or_else(|e| self.err(a, &e))?,
        };
        let nick = w.get(3).ok_or(()).or_else(|_| self.err(&self.after(w), "expected a nick"))?.text.clone();
        let mut spec = ClientSpec { server, nick, offer: None, have: None, think: Duration::ZERO };
        let mut i = 4;
        let word = |i: usize, what: &str| w.get(i).ok_or(()).or_else(|_| self.err(&self.after(w), what));
        let to = |i: usize| match w.get(i) {
            Some(x) if x.text == "to" => Ok(word(i + 1, "`to' needs a nick")?.text.clone()),
            Some(x) => self.err(x, "expected `to NICK'"),
            None => self.err(&self.after(w), "expected `to NICK'"),
        };
        while let Some(k) = w.get(i) {
            match (k.text.as_str(), w.get(i + 1).map(|x| x.text.as_str())) {
                ("dcc", Some("send")) => {
                    let name = word(i + 2, "expected a file name")?.text.clone();
                    let size = self.number(word(i + 3, "expected a size")?)?;
                    spec.offer = Some(Offer::Send { name, size, to: to(i + 4)? });
                    i += 6;
                }
                ("dcc", Some("chat")) => {
                    spec.offer = Some(Offer::Chat { to: to(i + 2)? });
                    i += 4;
                }
                ("dcc", Some("resume")) => {
                    let name = word(i + 2, "expected a file name")?.text.clone();
                    spec.have = Some((name, self.number(word(i + 3, "expected an offset")?)?));
                    i += 4;
                }
                ("think", _) => {
                    spec.think = self.duration(word(i + 1, "`think' needs a time")?)?;
                    i += 2;
                }
                _ => return self.err(k, "expected `dcc send', `dcc chat', `dcc resume' or `think'"),
            }
        }
        Ok(AppSpec::IrcClient(spec))
    }

    /// `http server [PORT] [file PATH SIZE]...`, `http get URL [host
    /// NAME]`, `http proxy PORT [resolve NAME ADDR]...`.
    fn http(&self, w: &[Word]) -> R<AppSpec> {
        use crate::apps::http::{Url, client::GetSpec, proxy::ProxySpec, server::ServerSpec};
        let word = |i: usize, what: &str| w.get(i).ok_or(()).or_else(|_| self.err(&self.after(w), what));
        let expect = |i: usize, key: &str| match w.get(i) {
            Some(k) if k.text == key => Ok(()),
            Some(k) => self.err(k, &format!("expected `{key}'")),
            None => Ok(()),
        };
        match w[1].text.as_str() {
            "server" => {
                let mut spec = ServerSpec { port: 80, files: Vec::new() };
                let mut i = 2;
                if w.get(2).is_some_and(|x| x.text.starts_with(|c: char| c.is_ascii_digit())) {
                    spec.port = self.port(w.get(2), w)?;
                    i = 3;
                }
                while i < w.len() {
                    expect(i, "file")?;
                    let path = word(i + 1, "`file' needs a path")?;
                    if !path.text.starts_with('/') {
                        return self.err(path, "a path starts with `/'");
                    }
                    spec.files.push((path.text.clone(), self.number(word(i + 2, "`file' needs a size")?)?));
                    i += 3;
                }
                Ok(AppSpec::HttpServer(spec))
            }
            "get" => {
                let u = word(2, "expected a URL (http://ADDR[:PORT]/PATH)")?;
                let url = Url::parse(&u.text).or_else(|e| self.err(u, &e))?;
                let mut spec = GetSpec { url, host: None };
                if w.len() > 3 {
                    expect(3, "host")?;
                    spec.host = Some(word(4, "`host' needs a name")?.text.clone());
                    if let Some(x) = w.get(5) {
                        return self.err(x, "nothing may follow `host NAME'");
                    }
                }
                Ok(AppSpec::HttpGet(spec))
            }
            _ => {
                let mut spec = ProxySpec { port: self.port(w.get(2), w)?, resolve: Vec::new() };
                let mut i = 3;
                while i < w.len() {
                    expect(i, "resolve")?;
                    let name = word(i + 1, "`resolve' needs a name")?.text.clone();
                    let a = word(i + 2, "`resolve' needs an address")?;
                    let addr = a.text.parse().ok().ok_or(()).or_else(|_| self.err(a, "invalid IPv4 address"))?;
                    spec.resolve.push((name, addr));
                    i += 3;
                }
                Ok(AppSpec::HttpProxy(spec))
            }
        }
    }

    /// `dns server [port N] [delay T] [ptr ADDR|NAME NAME]... [a NAME ADDR]...`.
    fn dns_server(&self, w: &[Word]) -> R<AppSpec> {
        use crate::apps::dns::wire::Rdata;
        let mut zone = crate::apps::dns::ZoneSpec { port: 53, delay: Duration::ZERO, records: Vec::new() };
        let word = |i: usize, what: &str| w.get(i).ok_or(()).or_else(|_| self.err(&self.after(w), what));
        let mut i = 2;
        while let Some(k) = w.get(i) {
            match k.text.as_str() {
                "port" => zone.port = self.port(w.get(i + 1), w)?,
                "delay" => zone.delay = self.duration(word(i + 1, "`delay' needs a time")?)?,
                "ptr" => {
                    let owner = word(i + 1, "`ptr' needs an address (or name) and a name")?;
                    let target = word(i + 2, "`ptr' needs a name after the address")?;
                    zone.add_ptr(&owner.text, &target.text);
                    i += 1;
                }
                "a" => {
                    let name = word(i + 1, "`a' needs a name and an address")?;
                    let a = word(i + 2, "`a' needs an address after the name")?;
                    let addr = a.text.parse().ok().ok_or(()).or_else(|_| self.err(a, "invalid IPv4 address"))?;
                    zone.records.push((name.text.trim_end_matches('.').to_string(), Rdata::A(addr)));
                    i += 1;
                }
                _ => return self.err(k, "expected `ptr ADDR NAME', `a NAME ADDR', `port N' or `delay T'"),
            }
            i += 2;
        }
        Ok(AppSpec::DnsServer(zone))
    }

    fn endpoint(&self, w: Option<&Word>, all: &[Word]) -> R<(Ipv4Addr, u16)> {
        let w = w.ok_or(()).or_else(|_| self.err(&self.after(all), "expected ADDR:PORT"))?;
        parse_endpoint(&w.text).or_else(|e| self.err(w, &e))
    }

    fn port(&self, w: Option<&Word>, all: &[Word]) -> R<u16> {
        let w = w.ok_or(()).or_else(|_| self.err(&self.after(all), "expected a port"))?;
        w.text.parse().ok().filter(|p| *p > 0).ok_or(()).or_else(|_| self.err(w, "invalid port"))
    }
}

/// Walks `KEY [VALUE]` options of an app command.
struct Opts<'p, 'a> {
    p: &'p Parser<'a>,
    w: &'p [Word],
    i: usize,
}

impl Opts<'_, '_> {
    fn next_key(&mut self) -> R<Option<String>> {
        let k = self.w.get(self.i).map(|x| x.text.clone());
        self.i += 1;
        Ok(k)
    }
    fn value(&mut self) -> R<&Word> {
        let v = self.w.get(self.i);
        self.i += 1;
        v.ok_or(())
            .or_else(|_| self.p.err(&self.p.after(self.w), &format!("`{}' needs a value", self.w[self.i - 2].text)))
    }
    fn value_num(&mut self) -> R<u64> {
        let v = self.value()?.clone();
        self.p.number(&v)
    }
    fn value_time(&mut self) -> R<Duration> {
        let v = self.value()?.clone();
        self.p.duration(&v)
    }
    fn unknown<T>(&self, known: &str) -> R<T> {
        let w = &self.w[self.i - 1];
        self.p.err(w, &format!("unknown option `{}' (known: {known})", w.text))
    }
}

fn is_app(word: &str) -> bool {
    matches!(
        word,
        "tcp" | "udp" | "ping" | "send" | "syn-flood" | "udp-flood" | "ftp" | "irc" | "http" | "dns" | "mcast" | "scan"
    )
}

/// A decimal with up to `frac` fraction digits, scaled by 10^frac.
fn parse_fixed(t: &str, frac: u32) -> Option<u64> {
    let (int, fr) = t.split_once('.').unwrap_or((t, ""));
    if fr.len() > frac as usize || (int.is_empty() && fr.is_empty()) {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let fr_val: u64 = if fr.is_empty() { 0 } else { fr.parse().ok()? };
    let scale = 10u64.pow(frac);
    int.checked_mul(scale)?.checked_add(fr_val * 10u64.pow(frac - fr.len() as u32))
}

/// `250ms`, `1.5s`, `100us`, `10ns`, `2m`, `1h`, `0`.
pub fn parse_duration(t: &str) -> Option<Duration> {
    if t == "0" {
        return Some(Duration::ZERO);
    }
    let units: [(&str, u64); 6] = [
        ("ns", 1),
        ("us", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    for (suffix, ns) in units {
        if let Some(num) = t.strip_suffix(suffix)
            && !num.ends_with(['m', 'u', 'n'])
        {
            let v = u128::from(parse_fixed(num, 9)?) * u128::from(ns) / 1_000_000_000;
            return u64::try_from(v).ok().map(Duration::from_nanos);
        }
    }
    None
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("100us"), Some(Duration::from_micros(100)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("ms"), None);
    }

    fn err(text: &str) -> String {
        parse(text, "t.nfs").unwrap_err().to_string()
    }

    #[test]
    fn ftp_and_irc_commands_name_their_bad_word() {
        let e = err("host a eth0 10.0.0.1/24\na ftp get 10.0.0.2 f.bin sideways\n");
        assert!(e.starts_with("t.nfs:2:26: unknown option `sideways'"), "{e}");
        let e = err("host a eth0 10.0.0.1/24\na irc client 10.0.0.2 bob dcc send f 10 for carol\n");
        assert!(e.starts_with("t.nfs:2:41: expected `to NICK'"), "{e}");
        let ok =
            parse("host a eth0 10.0.0.1/24\na ftp server file x 5\na ftp get 10.0.0.2:2121 x epsv think 1s\n", "t");
        assert!(ok.is_ok());
    }

    #[test]
    fn http_commands_name_their_bad_word() {
        let e = err("host a eth0 10.0.0.1/24\na http get http://www.example/\n");
        assert!(e.starts_with("t.nfs:2:12: \"www.example\" is not ADDR[:PORT]"), "{e}");
        let e = err("host a eth0 10.0.0.1/24\na http server 8080 file index.html 5\n");
        assert!(e.starts_with("t.nfs:2:25: a path starts with `/'"), "{e}");
        let e = err("host a eth0 10.0.0.1/24\na http proxy 3128 resolve www\n");
        assert!(e.contains("`resolve' needs an address"), "{e}");
        let e = err("host a eth0 10.0.0.1/24\na http get http://10.0.0.2/ hots x\n");
        assert!(e.starts_with("t.nfs:2:29: expected `host'"), "{e}");
        let ok = parse(
            "host a eth0 10.0.0.1/24\na http server file /x 5\na http proxy 3128 resolve www 10.0.0.2\n\
             a http get http://10.0.0.2:8080/x host www\n",
            "t",
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn errors_name_line_column_and_show_a_caret() {
        let e = err("host a eth0 10.0.0.1/24\non b iptables -L\n");
        assert_eq!(e, "t.nfs:2:4: unknown host `b'\n  |\n2 | on b iptables -L\n  |    ^");
        assert!(
            err("host a eth0 10.0.0.1/24\nrun 1s\nhost b eth0 10.0.0.2/24\n")
                .starts_with("t.nfs:3:1: declare the world")
        );
        assert!(err("host a eth0 10.0.0.1/24\nrun soon\n").starts_with("t.nfs:2:5: expected a time"));
        assert!(err("host a eth0 10.0.0.1/24\na tcp connect 10.0.0.2\n").starts_with("t.nfs:2:15: expected ADDR:PORT"));
        assert!(
            err("host a eth0 10.0.0.1/24\nlink a:eth0 a:eth9\n").starts_with("t.nfs:2:13: host `a' has no interface")
        );
        assert!(
            err("host a eth0 10.0.0.1/24\nexpect a conntrack count ~ 2\n").starts_with("t.nfs:2:26: expected one of")
        );
    }

    #[test]
    fn bridges_take_ports_an_address_and_a_gateway() {
        let s = parse("bridge fw eth0 eth1 10.0.0.2/24 via 10.0.0.1\n", "t.nfs").unwrap();
        let Action::Host { ifaces, routes, bridge: Some(b), router: true, .. } = &s.statements[0].action else {
            panic!("a bridge")
        };
        assert_eq!(b.ports, ["eth0", "eth1"]);
        assert_eq!(ifaces.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["eth0", "eth1", "br0"]);
        assert_eq!(ifaces[2].addrs.len(), 1);
        assert_eq!(routes.len(), 1);
        assert!(err("bridge fw\n").starts_with("t.nfs:1:11: a bridge needs at least one port"));
        assert!(err("bridge fw eth0 eth0\n").starts_with("t.nfs:1:16: port `eth0' given twice"));
        assert!(err("bridge fw eth0 10.0.0.300/24\n").starts_with("t.nfs:1:16: "));
        assert!(err("bridge fw eth0 br0\n").starts_with("t.nfs:1:16: port `br0' given twice"));
    }

    #[test]
    fn every_kernel_and_include_are_checked_where_written() {
        let s = parse("kernel linux-2.4\nhost a eth0 10.0.0.1/24\nevery 10s on a conntrack -C\n", "t.nfs").unwrap();
        assert!(matches!(s.statements[0].action, Action::Kernel(crate::kernel::Profile::Linux24)));
        assert_eq!(s.statements[2].every, Some(Duration::from_secs(10)));
        assert!(err("kernel linux-3\n").starts_with("t.nfs:1:8: unknown kernel `linux-3' (linux-6, linux-2.4)"));
        assert!(err("host a eth0 10.0.0.1/24\nrun 1s\nkernel linux-6\n").starts_with("t.nfs:3:1: declare the world"));
        let host = "host a eth0 10.0.0.1/24\n";
        assert!(err(&format!("{host}every 0 on a dmesg\n")).starts_with("t.nfs:2:7: `every' needs a time above zero"));
        assert!(err(&format!("{host}every 1s a ping 10.0.0.2\n")).starts_with("t.nfs:2:10: `every T' repeats"));
        assert!(err(&format!("{host}every 1s\n")).starts_with("t.nfs:2:10: `every T' needs a statement"));
        assert!(err("include\n").starts_with("t.nfs:1:9: expected `include FILE'"));
        assert!(err("include x.nfs\n").starts_with("t.nfs:1:9: cannot read included files here"));
        // An included file's error names that file, line and column.
        let load = |name: &str| match name {
            "lan.inc" => Ok("host a eth0 10.0.0.1/24\nhost b eth0 10.0.0.300/24\n".to_string()),
            "loop.inc" => Ok("include loop.inc\n".to_string()),
            _ => Err("No such file or directory".to_string()),
        };
        let e = parse_with("seed 1\ninclude lan.inc\n", "t.nfs", Some(&load)).unwrap_err().to_string();
        assert!(e.starts_with("lan.inc:2:8: invalid IPv4 address"), "{e}");
        assert!(e.contains("2 | host b eth0 10.0.0.300/24"), "{e}");
        let e = parse_with("include loop.inc\n", "t.nfs", Some(&load)).unwrap_err().to_string();
        assert!(e.starts_with("loop.inc:1:9: `loop.inc' includes itself"), "{e}");
        let e = parse_with("include gone.inc\n", "t.nfs", Some(&load)).unwrap_err().to_string();
        assert!(e.starts_with("t.nfs:1:9: gone.inc: No such file or directory"), "{e}");
        let ok = parse_with("include lan.inc\n", "t.nfs", Some(&|_: &str| Ok("host a eth0 10.0.0.1/24\n".into())));
        assert_eq!(ok.unwrap().statements.len(), 1);
    }

    #[test]
    fn a_whole_scenario_parses() {
        let s = parse(
            "seed 7\nhost lan1 eth0 192.168.1.10/24 via 192.168.1.1\nrouter fw eth0 192.168.1.1/24 eth1 203.0.113.1/24\n\
             host web eth0 203.0.113.20/24\nlink lan1:eth0 fw:eth0 delay 5ms loss 1%\n\
             on fw iptables -A FORWARD -j ACCEPT\nat 0ms lan1 tcp connect 203.0.113.20:80 from-port 1234 send 1000\n\
             at 0 web tcp listen 80\nrun 1s\nexpect fw conntrack count == 1\nexpect ! web saw tcp from 192.168.1.10:1234\n",
            "t.nfs",
        )
        .unwrap();
        assert_eq!(s.statements.len(), 11);
        assert!(matches!(s.statements[4].action, Action::Link { ref params, .. } if params.loss_ppm == 10_000));
    }
}
