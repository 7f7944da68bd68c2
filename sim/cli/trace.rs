//! `nfsim trace`: one packet through the box, hook by hook and rule by
//! rule, with why each rule did or did not take it.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::boxargs::BoxArgs;
use crate::engine::{Duration, Instant};
use crate::net::{Host, Iface, Outcome};
use crate::netfilter::TraceEvent;
use crate::pcap::egress::EgressCapture;
use crate::pcap::replay::{Ingress, Replay};
use crate::pcap::{LinkType, Reader, Record};
use crate::wire::spec;

/// Follow one packet through the box.
///
/// The packet is a spec (one argument, quoted: `>` is the shell's) or
/// packet N of a capture, replayed after the packets before it. State can
/// be set up first: --after replays a whole capture, --before sends spec
/// packets (1 ms apart, after the --after capture's last packet); the traced
/// packet follows 1 ms after the last of them.
///
/// Prints the conntrack decision, every table each hook ran with every rule
/// tested (matched, or which part did not match), the deciding rule and
/// verdict, what became of the packet, the frames the box sent and the
/// kernel log lines it printed.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  nfsim trace 'tcp 192.168.1.10:40000 > 203.0.113.20:80 flags S in lan0' --rules fw.rules \\\n      --iface lan0=192.168.1.1/24 --iface wan0=203.0.113.1/24 --route 'default via 203.0.113.254' \\\n      --sysctl net.ipv4.ip_forward=1"
)]
pub struct TraceArgs {
    /// The packet: 'tcp SRC:PORT > DST:PORT flags S ... in IFACE' (see the README for every word).
    #[arg(value_name = "PACKET", required_unless_present = "packet", conflicts_with = "packet")]
    spec: Option<String>,
    /// Trace packet N (1-based) of --capture, after replaying the packets before it.
    #[arg(long, value_name = "N", requires = "capture")]
    packet: Option<u64>,
    /// The capture --packet is taken from.
    #[arg(long, value_name = "CAPTURE")]
    capture: Option<PathBuf>,
    /// Replay this capture through the box first.
    #[arg(long, value_name = "CAPTURE")]
    after: Option<PathBuf>,
    /// A packet spec sent before the traced one. Repeatable, in order.
    #[arg(long = "before", value_name = "PACKET")]
    before: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    setup: BoxArgs,
}

/// Frames the box sent while the traced packet was handled.
#[derive(Default)]
struct Sent {
    frames: Vec<(String, Vec<u8>)>,
    on: bool,
}

impl EgressCapture for Sent {
    fn write(&mut self, _now: Instant, iface: &Iface, frame: &[u8]) -> io::Result<()> {
        if self.on {
            self.frames.push((iface.name.clone(), frame.to_vec()));
        }
        Ok(())
    }
}

/// Runs `nfsim trace`.
pub fn run(args: &TraceArgs) -> Result<ExitCode> {
    let config = args.setup.host_config()?;
    let mut host = Host::new(&config).map_err(anyhow::Error::msg).context("box configuration")?;
    let rules = args.setup.ingress_rules()?;
    let mut replay = Replay::new(&mut host, &rules).map_err(anyhow::Error::msg)?;
    let mut sent = Sent::default();
    let mut now = Instant::ZERO;
    if let Some(path) = &args.after {
        now = replay_capture(&mut replay, path, None, &mut sent)?.0;
    }
    for (i, text) in args.before.iter().enumerate() {
        let c = spec::craft(text).map_err(|e| anyhow::anyhow!("--before #{}: {e}", i + 1))?;
        for (j, ip) in c.datagrams().iter().enumerate() {
            now = step(now, i > 0 || j > 0 || args.after.is_some());
            feed(&mut replay, ip, c.iface.as_deref(), now, &mut sent)?;
        }
    }
    // The traced packet: its bytes (for the header line) and the outcome.
    let traced = match (&args.spec, args.packet, &args.capture) {
        (Some(text), _, _) => {
            let c = spec::craft(text).map_err(|e| anyhow::anyhow!("packet: {e}"))?;
            if c.fragment.is_some() {
                anyhow::bail!(
                    "packet: `fragment` splits packets sent --before the traced one; trace one fragment with `mf` and `frag`"
                );
            }
            now = step(now, !args.before.is_empty() || args.after.is_some());
            start_trace(&mut replay, &mut sent);
            let (ingress, outcome) = feed(&mut replay, &c.ip, c.iface.as_deref(), now, &mut sent)?;
            (now, spec::describe(&c.ip), ingress, outcome)
        }
        (None, Some(n), Some(path)) => {
            if n == 0 {
                bail!("--packet counts from 1");
            }
            start_trace(&mut replay, &mut sent);
            let (at, what, ingress, outcome) = replay_capture(&mut replay, path, Some(n), &mut sent)?
                .1
                .ok_or_else(|| anyhow::anyhow!("{}: has fewer than {n} packets", path.display()))?;
            (at, what, ingress, outcome)
        }
        _ => bail!("give a packet spec or --packet N --capture FILE"),
    };
    let events = replay.host().netfilter.trace.take().unwrap_or_default();
    let log = replay.host().klog.drain();
    let (at, what, ingress, outcome) = traced;
    let host = replay.host();
    let iface = |i: Ingress| match i {
        Ingress::Iface(i) => host.iface(i).map_or("?".to_string(), |f| f.name.clone()),
        Ingress::Skip(why) => format!("(not replayed: {why})"),
    };
    let fate = outcome.map_or_else(|| "skipped".to_string(), |o| host.fate_text(o.fate));
    let mut text_log = String::new();
    crate::klog::Klog::write_syslog(&mut text_log, &log);
    if args.json {
        let events: Vec<Value> = events.iter().map(|e| event_json(host, e)).collect();
        let egress: Vec<Value> =
            sent.frames.iter().map(|(i, f)| json!({"iface": i, "packet": spec::describe_frame(f)})).collect();
        let out = json!({
            "time": time_text(at),
            "packet": what,
            "in": iface(ingress),
            "events": events,
            "fate": fate,
            "reply": outcome.and_then(|o| o.reply).map(|r| r.to_string()),
            "egress": egress,
            "log": text_log.lines().collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let mut out = format!("packet: {what} in {} at {}\n", iface(ingress), time_text(at));
        for e in &events {
            host.netfilter.write_trace(e, &mut out);
            out.push('\n');
        }
        out.push_str(&format!("fate: {fate}\n"));
        if let Some(reply) = outcome.and_then(|o| o.reply) {
            out.push_str(&format!("reply: {reply}\n"));
        }
        for (i, f) in &sent.frames {
            out.push_str(&format!("sent {i}: {}\n", spec::describe_frame(f)));
        }
        for l in text_log.lines() {
            out.push_str(&format!("log: {l}\n"));
        }
        print!("{out}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The next packet's time: 1 ms after `now` unless it is the first.
fn step(now: Instant, after_something: bool) -> Instant {
    if after_something { now + Duration::from_millis(1) } else { now }
}

/// Switches tracing on for the next packet only.
fn start_trace(replay: &mut Replay<'_>, sent: &mut Sent) {
    replay.host().netfilter.trace = Some(Vec::new());
    replay.host().klog.drain();
    sent.on = true;
}

/// Feeds one IP datagram as a raw-IP record.
fn feed(
    replay: &mut Replay<'_>,
    ip: &[u8],
    iface: Option<&str>,
    at: Instant,
    sent: &mut Sent,
) -> Result<(Ingress, Option<Outcome>)> {
    if let Some(name) = iface
        && replay.host().iface_by_name(name).is_none()
    {
        bail!("no interface \"{name}\" on the box");
    }
    let record = Record {
        index: 0,
        ts: at,
        orig_len: ip.len() as u32,
        data: ip,
        link: LinkType::Raw,
        interface: None,
        direction: None,
    };
    Ok(replay.feed(&record, iface, sent)?)
}

/// What a traced capture packet was.
type Traced = (Instant, String, Ingress, Option<Outcome>);

/// Replays `path`; with `traced = Some(n)`, only up to packet n, which is
/// fed alone and returned. Returns the last packet's time.
fn replay_capture(
    replay: &mut Replay<'_>,
    path: &Path,
    traced: Option<u64>,
    sent: &mut Sent,
) -> Result<(Instant, Option<Traced>)> {
    let name = path.display().to_string();
    let file = File::open(path).with_context(|| name.clone())?;
    let mut reader = Reader::new(io::BufReader::new(file)).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let tracing = sent.on;
    sent.on = false;
    let before = replay.tally.packets;
    replay.stop_after = traced.map(|n| before + n - 1);
    let mut log = io::sink();
    replay.run(&mut reader, sent, &mut io::sink(), &mut log).map_err(|e| anyhow::anyhow!("{name}: {e:?}"))?;
    replay.stop_after = None;
    let mut last = replay.tally.span.map_or(Instant::ZERO, |(_, b)| b);
    let Some(_) = traced else { return Ok((last, None)) };
    sent.on = tracing;
    if tracing {
        replay.host().netfilter.trace = Some(Vec::new());
        replay.host().klog.drain();
    }
    let Some((record, iface)) = reader.next_with_interface().map_err(|e| anyhow::anyhow!("{name}: {e}"))? else {
        return Ok((last, None));
    };
    let iface = iface.and_then(|i| i.name.clone());
    let what = match crate::pcap::link::decap(record.link, record.data) {
        Ok(d) if d.ethertype == 0x0800 => spec::describe(d.l3),
        Ok(d) => format!("ethertype 0x{:04x}", d.ethertype),
        Err(_) => "an undecodable frame".to_string(),
    };
    last = record.ts;
    let (ingress, outcome) = replay.feed(&record, iface.as_deref(), sent)?;
    Ok((last, Some((last, what, ingress, outcome))))
}

fn time_text(t: Instant) -> String {
    let ns = t.as_nanos();
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

fn event_json(host: &Host, e: &TraceEvent) -> Value {
    let nf = &host.netfilter;
    match e {
        TraceEvent::Walk { hook, table, packet, steps } => {
            let steps: Vec<Value> = steps
                .iter()
                .map(|s| {
                    let t = nf.ruleset.step_text(*table, s);
                    json!({"chain": t.chain, "rule": t.rule, "spec": t.spec, "result": t.result, "detail": t.detail})
                })
                .collect();
            json!({"event": "walk", "hook": hook.to_string(), "table": table.as_str(), "packet": packet, "steps": steps})
        }
        TraceEvent::Table(d) => {
            let mut by = String::new();
            nf.describe(d, &mut by);
            let verdict = if d.verdict == crate::netfilter::HookVerdict::Accept { "ACCEPT" } else { "DROP" };
            json!({"event": "verdict", "hook": d.hook.to_string(), "table": d.table.as_str(), "by": by, "verdict": verdict})
        }
        TraceEvent::Conntrack { hook, state, entry } => json!({
            "event": "conntrack",
            "hook": hook.to_string(),
            "state": format!("{state:?}").to_uppercase(),
            "entry": entry,
        }),
        TraceEvent::Nat { hook, binding: b } => json!({
            "event": "nat",
            "hook": hook.to_string(),
            "manip": b.manip.as_str(),
            "null": b.null,
            "from": b.from.to_string().trim_end(),
            "to": b.to.to_string().trim_end(),
        }),
        TraceEvent::Helper { hook, helper, note } => {
            json!({"event": "helper", "hook": hook.to_string(), "helper": helper, "note": note})
        }
        TraceEvent::Expected { hook, helper, master } => {
            json!({"event": "expected", "hook": hook.to_string(), "helper": helper, "master": master})
        }
        TraceEvent::Dropped { hook, .. } => {
            let mut s = String::new();
            nf.write_trace(e, &mut s);
            json!({"event": "dropped", "hook": hook.to_string(), "text": s})
        }
    }
}
