//! The traffic a report studies, and one deterministic run of it under a
//! set of sysctl overrides: a capture replayed through a box, or a
//! scenario's world with one of its hosts watched. Every what-if is the
//! same traffic run again from scratch, so runs differ only by the
//! overrides.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use super::sample::{Counters, Sampler};
use crate::conntrack::Conntrack;
use crate::engine::{Duration, Instant};
use crate::kernel::{Sysctl, Sysctls};
use crate::net::{Host, HostConfig, Iface, Tx};
use crate::pcap::Reader;
use crate::pcap::egress::EgressCapture;
use crate::pcap::replay::{IngressRules, Replay, ReplayError};
use crate::scenario::Scenario;
use crate::scenario::ast::Action;
use crate::scenario::shell::Loader;
use crate::world::{Node, Observer};

/// Opens the capture afresh for each run.
pub type Open<'a> = &'a dyn Fn() -> io::Result<Box<dyn Read>>;

/// What traffic to run.
pub enum Traffic<'a> {
    /// A capture through one box.
    Replay {
        /// The box (boxed: it is large, and built once).
        config: Box<HostConfig>,
        /// Where packets enter.
        ingress: IngressRules,
        /// The capture, opened anew for each run.
        open: Open<'a>,
        /// The capture's name, for messages.
        name: String,
    },
    /// A scenario; `host` is the box watched.
    Scenario {
        /// The parsed scenario.
        scenario: Scenario,
        /// The host whose conntrack is sampled.
        host: String,
        /// Reads files the scenario names.
        load: Option<Loader<'a>>,
    },
}

/// Sysctl values that replace the traffic's own, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides(pub Vec<(Sysctl, i64)>);

impl Overrides {
    /// Parses `KEY=VALUE` (sysctl names as `sysctl` takes them; the
    /// `net.netfilter.` prefix may be left out), refusing what the kernel would.
    pub fn parse(items: &[String]) -> Result<Overrides, String> {
        let mut v = Overrides::default();
        for item in items {
            let (k, val) = item.split_once('=').ok_or_else(|| format!("--what-if {item}: expected KEY=VALUE"))?;
            let key = k.trim();
            let sysctl = Sysctl::from_name(key)
                .or_else(|| Sysctl::from_name(&format!("net.netfilter.{key}")))
                .ok_or_else(|| format!("--what-if {item}: unknown sysctl \"{key}\""))?;
            let value: i64 = val.trim().parse().map_err(|_| format!("--what-if {item}: \"{val}\" is not a number"))?;
            Sysctls::default().set(sysctl, value).map_err(|_| format!("--what-if {item}: value out of range"))?;
            v.set(sysctl, value);
        }
        Ok(v)
    }

    /// Sets `key` (replacing an earlier value).
    pub fn set(&mut self, key: Sysctl, value: i64) {
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value));
    }

    /// The same with `key` set.
    pub fn with(&self, key: Sysctl, value: i64) -> Overrides {
        let mut o = self.clone();
        o.set(key, value);
        o
    }

    /// The value of `key`, if overridden.
    pub fn get(&self, key: Sysctl) -> Option<i64> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// As `KEY=VALUE` lines.
    pub fn lines(&self) -> Vec<String> {
        self.0.iter().map(|(k, v)| format!("{}={v}", k.name())).collect()
    }
}

/// What one run produced.
#[derive(Debug)]
pub struct Run {
    /// The overrides it ran under.
    pub overrides: Overrides,
    /// The samples, peak and top talkers.
    pub sampler: Sampler,
    /// Counters at the end.
    pub end: Counters,
    /// `nf_conntrack_max` and buckets at the end.
    pub max: u32,
    /// Hash buckets.
    pub buckets: u32,
    /// The box's sysctls at the end (timeouts in force).
    pub sysctls: Sysctls,
    /// Packets replayed (captures) or events handled (scenarios).
    pub packets: u64,
    /// "table full" lines the kernel log printed (after rate limiting).
    pub table_full_lines: u64,
    /// nfsim's memory for the table at the end, bytes.
    pub nfsim_bytes: u64,
    /// The box had connection tracking at all.
    pub tracked: bool,
}

/// Runs `traffic` under `overrides`, sampling every `interval`; `tick` is
/// told the packets replayed now and then (a progress bar).
pub fn run(
    traffic: &Traffic<'_>,
    overrides: &Overrides,
    interval: Duration,
    tick: &mut dyn FnMut(u64),
) -> Result<Run, String> {
    match traffic {
        Traffic::Replay { config, ingress, open, name } => {
            replay(config, ingress, *open, name, overrides, interval, tick)
        }
        Traffic::Scenario { scenario, host, load } => run_scenario(scenario, host, *load, overrides, interval),
    }
}

/// Discards frames: a report keeps no egress capture.
struct Discard;

impl EgressCapture for Discard {
    fn write(&mut self, _: Instant, _: &Iface, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

impl Tx for Discard {
    fn transmit(&mut self, _: Instant, _: &Iface, _: &[u8]) {}
}

/// Counts kernel log lines saying the table is full.
#[derive(Default)]
struct FullLines(u64);

impl Write for FullLines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.windows(10).filter(|w| w == b"table full").count() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn replay(
    config: &HostConfig,
    ingress: &IngressRules,
    open: Open<'_>,
    name: &str,
    overrides: &Overrides,
    interval: Duration,
    tick: &mut dyn FnMut(u64),
) -> Result<Run, String> {
    let mut config = config.clone();
    config.sysctls.extend(overrides.lines());
    let mut host = Host::new(&config)?;
    let mut sampler = Sampler::new(interval, host.sysctl.profile());
    let file = open().map_err(|e| format!("{name}: {e}"))?;
    let mut reader = Reader::new(file).map_err(|e| format!("{name}: {e}"))?;
    let mut replay = Replay::new(&mut host, ingress)?;
    let mut log = FullLines::default();
    let mut last = Instant::ZERO;
    loop {
        let (record, iface) = match reader.next_with_interface() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(format!("{name}: {e}")),
        };
        let iface = iface.and_then(|i| i.name.as_deref());
        sampler.start(record.ts);
        if let Some(at) = sampler.due(record.ts) {
            // Expiry up to the boundary, as the next packet would run it.
            replay.host().advance(at, &mut Discard);
            if let Some(ct) = &replay.host_ref().netfilter.conntrack {
                sampler.catch_up(record.ts, ct);
            }
        }
        last = last.max(record.ts);
        match replay.step(&record, iface, &mut Discard, &mut io::sink(), &mut log) {
            Ok(_) => {}
            Err(ReplayError::Output(e)) => return Err(e.to_string()),
            Err(ReplayError::Capture(e)) => return Err(format!("{name}: {e}")),
        }
        if replay.tally.packets.is_multiple_of(4096) {
            tick(replay.tally.packets);
        }
    }
    let packets = replay.tally.packets;
    drop(replay);
    // One last sample at the end of the traffic.
    host.advance(last, &mut Discard);
    let ct = host.netfilter.conntrack.as_ref();
    if let Some(ct) = ct {
        sampler.finish(last, ct);
    }
    Ok(finish(overrides, sampler, ct, &host.sysctl, packets, log.0))
}

fn finish(
    overrides: &Overrides,
    sampler: Sampler,
    ct: Option<&Conntrack>,
    sysctls: &Sysctls,
    packets: u64,
    full: u64,
) -> Run {
    Run {
        overrides: overrides.clone(),
        sampler,
        end: ct.map(Counters::of).unwrap_or_default(),
        max: ct.map_or(sysctls.get(Sysctl::NfConntrackMax) as u32, Conntrack::max),
        buckets: ct.map_or(sysctls.get(Sysctl::NfConntrackBuckets) as u32, Conntrack::buckets),
        sysctls: sysctls.clone(),
        packets,
        table_full_lines: full,
        nfsim_bytes: ct.map_or(0, |c| c.memory_bytes() as u64),
        tracked: ct.is_some(),
    }
}

/// Samples one node of a world.
struct Watch {
    node: usize,
    sampler: Rc<RefCell<Sampler>>,
}

impl Observer for Watch {
    fn observe(&mut self, now: Instant, nodes: &[Node]) {
        if let Some(ct) = &nodes[self.node].host.netfilter.conntrack {
            self.sampler.borrow_mut().catch_up(now, ct);
        }
    }
}

fn run_scenario(
    scenario: &Scenario,
    host: &str,
    load: Option<Loader<'_>>,
    overrides: &Overrides,
    interval: Duration,
) -> Result<Run, String> {
    let scenario = with_overrides(scenario, overrides);
    let mut world = crate::scenario::run::build(&scenario, None)?;
    let node = world.node_index(host).ok_or_else(|| format!("{}: no host \"{host}\"", scenario.file))?;
    for n in &mut world.nodes {
        for line in overrides.lines() {
            n.host.sysctl.apply(&line).map_err(|e| e.to_string())?;
        }
    }
    let profile = world.nodes[node].host.sysctl.profile();
    let sampler = Rc::new(RefCell::new(Sampler::new(interval, profile)));
    sampler.borrow_mut().start(Instant::ZERO);
    world.observer = Some(Box::new(Watch { node, sampler: sampler.clone() }));
    let opts = crate::scenario::Options { seed: None, load, trace: false };
    let mut out = crate::scenario::run::run_world(&scenario, world, &opts);
    out.world.observer = None;
    let full = out.records.iter().filter(|r| r.host == host && r.text.contains("table full")).count() as u64;
    let mut sampler = Rc::try_unwrap(sampler).map_err(|_| "sampler still shared".to_string())?.into_inner();
    let h = &out.world.nodes[node].host;
    if let Some(ct) = &h.netfilter.conntrack {
        sampler.finish(out.end, ct);
    }
    Ok(finish(overrides, sampler, h.netfilter.conntrack.as_ref(), &h.sysctl, out.events, full))
}

/// The scenario with every sysctl it sets to an overridden key set to the
/// override instead, so a what-if holds however the scenario configures
/// the box (`sysctl -w K=V`, `echo V > /proc/sys/...`).
fn with_overrides(s: &Scenario, overrides: &Overrides) -> Scenario {
    let mut s = Scenario { file: s.file.clone(), statements: s.statements.clone() };
    for st in &mut s.statements {
        let Action::Shell { argv, .. } = &mut st.action else { continue };
        match argv.first().map(String::as_str) {
            Some("sysctl") => {
                for a in argv.iter_mut().skip(1) {
                    if let Some((k, _)) = a.split_once('=')
                        && let Some(v) = Sysctl::from_name(k.trim()).and_then(|key| overrides.get(key))
                    {
                        *a = format!("{}={v}", k.trim());
                    }
                }
            }
            Some("echo") => {
                if let Some(gt) = argv.iter().position(|a| a == ">")
                    && gt == 2
                    && let Some(path) = argv.get(3).and_then(|p| p.strip_prefix("/proc/sys/"))
                    && let Some(v) = Sysctl::from_name(&path.replace('/', ".")).and_then(|k| overrides.get(k))
                {
                    argv[1] = v.to_string();
                }
            }
            _ => {}
        }
    }
    s
}
