//! Running a scenario: build the world from its declarations, then take
//! the statements in order. A statement with `at T` waits for the run
//! that reaches T (apps are scheduled in the world at once, to start at
//! T); `run` moves virtual time, interleaving what waits; everything else
//! happens at the current time. Every step goes into the transcript.

use super::ast::{Action, AppSpec, Check, Statement};
use super::job::{Blocked, Reply};
use super::parse::Scenario;
use super::shell::{self, Loader};
use crate::apps::App;
use crate::engine::{Duration, Instant};
use crate::net::HostConfig;
use crate::world::{Kind, LinkParams, Port, Record, World};
use std::collections::BTreeMap;

/// How to run.
#[derive(Default)]
pub struct Options<'a> {
    /// Overrides the scenario's `seed`.
    pub seed: Option<u64>,
    /// Reads files named by `< FILE`.
    pub load: Option<Loader<'a>>,
    /// Routers and bridges record every hook step, printed under each
    /// packet line (`nfsim run --trace`).
    pub trace: bool,
}

/// What a run produced.
pub struct Outcome {
    /// The transcript.
    pub records: Vec<Record>,
    /// Failed expectations: `line: text (why)`.
    pub failures: Vec<String>,
    /// Events the world processed.
    pub events: u64,
    /// Virtual time at the end.
    pub end: Instant,
    /// The seed used.
    pub seed: u64,
    /// The world, for inspection.
    pub world: World,
}

/// Builds the world a scenario declares (hosts, links by line and by
/// subnet), without running anything.
///
/// # Errors
/// A host the stack refuses (`ip`'s words), at its line.
pub fn build(s: &Scenario, seed_override: Option<u64>) -> Result<World, String> {
    let seed = seed_override
        .or_else(|| s.statements.iter().find_map(|st| if let Action::Seed(n) = st.action { Some(n) } else { None }))
        .unwrap_or(1);
    let mut world = World::new(seed);
    let mut linked = Vec::new();
    let profile = s
        .statements
        .iter()
        .find_map(|st| if let Action::Kernel(p) = st.action { Some(p) } else { None })
        .unwrap_or_default();
    for st in &s.statements {
        match &st.action {
            Action::Host { name, router, ifaces, routes, bridge } => {
                // A bridge reports its packets as a router does, but routes nothing.
                let forwards = *router && bridge.is_none();
                let config = HostConfig {
                    name: name.clone(),
                    ifaces: ifaces.clone(),
                    routes: routes.clone(),
                    sysctls: if forwards { vec!["net.ipv4.ip_forward=1".into()] } else { Vec::new() },
                    bridge: bridge.clone(),
                    profile,
                    seed,
                    ..HostConfig::default()
                };
                world.add_host(config, *router).map_err(|e| format!("{}:{}: {e}", s.file, st.line))?;
            }
            Action::Link { ends, params } => {
                let ports = ends.iter().map(|(h, i)| port(&world, h, i)).collect::<Vec<_>>();
                linked.extend(ports.iter().copied());
                world.connect(ports, *params).map_err(|e| format!("{}:{}: {e}", s.file, st.line))?;
            }
            _ => {}
        }
    }
    link_by_subnet(&mut world, &linked);
    Ok(world)
}

fn port(world: &World, host: &str, iface: &str) -> Port {
    let node = world.node_index(host).expect("the parser checked the host");
    let iface = world.nodes[node].host.iface_by_name(iface).expect("the parser checked the interface").index;
    Port { node, iface }
}

/// Joins every interface no `link` line named with the others on its prefix.
fn link_by_subnet(world: &mut World, linked: &[Port]) {
    let mut segments: BTreeMap<(u32, u8), Vec<Port>> = BTreeMap::new();
    for (n, node) in world.nodes.iter().enumerate() {
        // A bridge device has no wire of its own: its ports do.
        for i in node.host.ifaces().iter().filter(|i| !i.is_loopback() && !node.host.is_bridge_dev(i.index)) {
            let p = Port { node: n, iface: i.index };
            if linked.contains(&p) {
                continue;
            }
            if let Some(a) = i.addrs.first() {
                segments.entry((u32::from(a.network()), a.prefix_len)).or_default().push(p);
            }
        }
    }
    for (_, ports) in segments {
        if ports.len() >= 2 {
            world.connect(ports, LinkParams::default()).expect("unlinked interfaces");
        }
    }
}

/// Runs a parsed scenario.
///
/// # Errors
/// A world that cannot be built (a refused host configuration).
pub fn run(s: &Scenario, opts: &Options<'_>) -> Result<Outcome, String> {
    Ok(run_world(s, build(s, opts.seed)?, opts))
}

/// Runs a scenario in a world [`build`] made from it (with a capture
/// attached, say).
pub fn run_world(s: &Scenario, mut world: World, opts: &Options<'_>) -> Outcome {
    let seed = world.seed;
    world.note(Kind::Command, "", format!("seed {seed}"));
    if opts.trace {
        for n in world.nodes.iter_mut().filter(|n| n.router) {
            n.host.netfilter.trace = Some(Vec::new());
        }
    }
    if s.statements.iter().any(|st| matches!(&st.action, Action::Expect { check: Check::Saw(_), .. })) {
        for st in &s.statements {
            if let Action::Expect { host, check: Check::Saw(_), .. } = &st.action {
                let n = world.node_index(host).expect("checked");
                world.nodes[n].saw.get_or_insert_with(Vec::new);
            }
        }
    }
    let mut r =
        Runner { world, pending: Vec::new(), failures: Vec::new(), load: opts.load, last_output: BTreeMap::new() };
    for st in &s.statements {
        r.statement(st);
    }
    // Repeating statements simply stop with the scenario.
    for (at, st) in std::mem::take(&mut r.pending).into_iter().filter(|(_, st)| st.every.is_none()) {
        r.world.note(Kind::Command, "", format!("never reached (at {}): {}", crate::world::report::stamp(at), st.text));
    }
    let Runner { world, failures, .. } = r;
    Outcome { records: world.records.clone(), failures, events: world.events, end: world.now(), seed, world }
}

struct Runner<'a> {
    world: World,
    /// `at` and `every` statements waiting for their time, in time then
    /// file order.
    pending: Vec<(Instant, Statement)>,
    failures: Vec<String>,
    load: Option<Loader<'a>>,
    /// What the last command on each host printed (`expect HOST output`).
    last_output: BTreeMap<String, String>,
}

impl Runner<'_> {
    fn statement(&mut self, st: &Statement) {
        match (&st.action, st.at) {
            (Action::Seed(_) | Action::Kernel(_) | Action::Host { .. } | Action::Link { .. }, _) => {}
            (Action::App { host, app }, at) => {
                let node = self.world.node_index(host).expect("checked");
                let when = at.map_or(self.world.now(), |d| (Instant::ZERO + d).max(self.world.now()));
                self.world.start_app(node, make_app(app), when);
            }
            (_, Some(d)) => self.wait(Instant::ZERO + d, st.clone()),
            (_, None) if st.every.is_some() => self.wait(self.world.now(), st.clone()),
            (Action::Run(d), None) => {
                let end = self.world.now() + *d;
                self.until(end);
                self.world.run_until(end);
            }
            (Action::RunIdle, None) => self.until_idle(),
            (_, None) => self.exec(st),
        }
    }

    /// Queues `st` to run at `at`, after what is already due then.
    fn wait(&mut self, at: Instant, st: Statement) {
        let i = self.pending.partition_point(|(t, _)| *t <= at);
        self.pending.insert(i, (at, st));
    }

    /// Runs the first waiting statement at its time (the world runs up to
    /// it first); a repeating one waits again for its next time.
    fn run_first(&mut self) {
        let (at, st) = self.pending.remove(0);
        let at = at.max(self.world.now());
        self.world.run_until(at);
        self.exec(&st);
        if let Some(period) = st.every {
            self.wait(at + period, st);
        }
    }

    /// Runs the world up to each waiting statement due by `end`, and it.
    fn until(&mut self, end: Instant) {
        while self.pending.first().is_some_and(|(at, _)| *at <= end) {
            self.run_first();
        }
    }

    /// `run until idle`: waiting statements run at their times while the
    /// world is busy; once it is idle, only those that run once keep it
    /// going (a repeating one alone would never let it stop).
    fn until_idle(&mut self) {
        let limit = self.world.now() + Duration::from_secs(86_400);
        loop {
            let next = self.pending.first().map(|(at, _)| *at);
            let idle = self.world.run_until_idle(next.unwrap_or(limit).min(limit));
            let once_left = self.pending.iter().any(|(_, st)| st.every.is_none());
            if next.is_none_or(|t| t > limit) || (idle && !once_left) {
                if !idle {
                    self.world.note(Kind::Command, "", "run until idle: still busy after 24h of virtual time".into());
                }
                return;
            }
            self.run_first();
        }
    }

    /// Lets the world run until the command's `reply` is done (see
    /// [`super::job`]); statements waiting for a time inside the wait run
    /// at that time, as another terminal's would, not after the command.
    fn finish(&mut self, reply: Reply) -> String {
        let mut reply = reply;
        loop {
            match reply {
                Reply::Done(out) => return out,
                Reply::Blocked(Blocked { ready, then }) => {
                    let limit = self.world.now() + super::job::WAIT_MAX;
                    while !ready() {
                        let next = self.world.next_event_at().filter(|t| *t <= limit);
                        let due = self.pending.first().map(|(t, _)| *t).filter(|t| *t <= limit);
                        match (next, due) {
                            (n, Some(d)) if n.is_none_or(|n| d <= n) => self.run_first(),
                            (Some(n), _) => self.world.run_until(n),
                            _ => break,
                        }
                    }
                    reply = then(&mut self.world);
                }
            }
        }
    }

    fn exec(&mut self, st: &Statement) {
        match &st.action {
            Action::Shell { host, argv, stdin } => {
                let node = self.world.node_index(host).expect("checked");
                let heredoc = if stdin.is_some() { " <<EOF" } else { "" };
                self.world.note(Kind::Command, host, format!("{}{heredoc}", shell_words(argv)));
                let before = self.world.records.len();
                // A command waiting for the network lets the world run on
                // until it is done; its output comes at that time.
                let reply = shell::start(&mut self.world, node, argv, stdin.as_deref(), self.load);
                let out = self.finish(reply);
                // What background jobs printed meanwhile follows the command's own output.
                let jobs = take_job_lines(&mut self.world.records, before);
                let now = self.world.now();
                self.last_output.insert(host.clone(), out.clone());
                for line in out.lines() {
                    self.world.records.push(Record {
                        at: now,
                        kind: Kind::Output,
                        host: host.clone(),
                        text: line.to_string(),
                    });
                }
                self.world.records.extend(jobs);
            }
            Action::Background { host, argv } => {
                let node = self.world.node_index(host).expect("checked");
                self.world.note(Kind::Command, host, format!("{} &", shell_words(argv)));
                let out = super::conntrack_cmd::start_job(&mut self.world, node, argv);
                let now = self.world.now();
                for line in out.lines() {
                    let (kind, host, text) = (Kind::Output, host.clone(), line.to_string());
                    self.world.records.push(Record { at: now, kind, host, text });
                }
            }
            Action::Expect { negate, host, check } => self.expect(st, *negate, host, check),
            _ => {}
        }
    }

    fn expect(&mut self, st: &Statement, negate: bool, host: &str, check: &Check) {
        let index = self.world.node_index(host).expect("checked");
        let node = &mut self.world.nodes[index];
        let (held, got) = match check {
            Check::ConntrackCount(cmp, n) => {
                let c = node.host.netfilter.conntrack.as_ref().map_or(0, |c| c.count()) as u64;
                (cmp.holds(c, *n), format!("count is {c}"))
            }
            Check::Log(text) => {
                (node.host.klog.records().iter().any(|r| r.text.contains(text.as_str())), "no such log line".into())
            }
            Check::App(text) => (node.app_log.iter().any(|l| l.contains(text.as_str())), "no such app event".into()),
            Check::Output(text) => {
                let blanks = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
                let out = self.last_output.get(host).map_or("", String::as_str);
                (out.lines().any(|l| blanks(l).contains(&blanks(text))), "no such line in its last output".into())
            }
            Check::Saw(p) => {
                let saw = node.saw.as_deref().unwrap_or_default();
                (saw.iter().any(|l| p.matches(l)), format!("{} packets seen, none matching", saw.len()))
            }
        };
        let what = st.text.strip_prefix("expect ").unwrap_or(&st.text).to_string();
        if held != negate {
            self.world.note(Kind::Expect, "", format!("ok: {what}"));
        } else {
            let why = if negate { "it did".to_string() } else { got };
            self.world.note(Kind::Expect, "", format!("FAILED: {what} ({why})"));
            self.failures.push(format!("line {}: expect {what} ({why})", st.line));
        }
    }
}

/// Removes the job lines recorded since `from`, in order.
fn take_job_lines(records: &mut Vec<Record>, from: usize) -> Vec<Record> {
    if !records[from..].iter().any(|r| r.kind == Kind::Job) {
        return Vec::new();
    }
    let tail = records.split_off(from);
    let (jobs, rest): (Vec<Record>, Vec<Record>) = tail.into_iter().partition(|r| r.kind == Kind::Job);
    records.extend(rest);
    jobs
}

/// Words as a shell would need them quoted.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|w| if w.is_empty() || w.contains([' ', '"', '\'', '#']) { format!("'{w}'") } else { w.clone() })
        .collect::<Vec<_>>()
        .join(" ")
}

fn make_app(spec: &AppSpec) -> Box<dyn App> {
    use crate::apps::{craft, flood, ftp, irc, ping, tcp, udp};
    match spec {
        AppSpec::TcpConnect(s) => Box::new(tcp::TcpClient::new(s.clone())),
        AppSpec::TcpListen(s) => Box::new(tcp::TcpServer::new(s.clone())),
        AppSpec::TcpClients(s) => Box::new(tcp::TcpClients::new(s.clone())),
        AppSpec::UdpListen { port, echo } => Box::new(udp::UdpListen::new(*port, *echo)),
        AppSpec::UdpSend(s) => Box::new(udp::UdpSend::new(s.clone())),
        AppSpec::Ping { dst, count, interval } => Box::new(ping::Ping::new(*dst, *count, *interval)),
        AppSpec::Flood(s) => Box::new(flood::Flood::new(s.clone())),
        AppSpec::Send(ip) => Box::new(craft::Craft::new(ip.clone())),
        AppSpec::FtpServer(s) => Box::new(ftp::FtpServer::new(s.clone())),
        AppSpec::FtpGet(s) => Box::new(ftp::FtpClient::new(s.clone())),
        AppSpec::IrcServer(port) => Box::new(irc::IrcServer::new(*port)),
        AppSpec::IrcClient(s) => Box::new(irc::IrcClient::new(s.clone())),
        AppSpec::McastJoin(s) => Box::new(crate::apps::mcast::McastJoin::new(s.clone())),
        AppSpec::McastSend(s) => Box::new(crate::apps::mcast::McastSend::new(s.clone())),
        AppSpec::Scan(s) => Box::new(crate::apps::scan::Scan::new(s.clone())),
        AppSpec::HttpServer(s) => Box::new(crate::apps::http::HttpServer::new(s.clone())),
        AppSpec::HttpGet(s) => Box::new(crate::apps::http::HttpClient::new(s.clone())),
        AppSpec::HttpProxy(s) => Box::new(crate::apps::http::HttpProxy::new(s.clone())),
        AppSpec::DnsServer(z) => Box::new(crate::apps::dns::DnsServer::new(z.clone())),
    }
}
