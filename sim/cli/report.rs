//! `nfsim report pressure`: how a box's conntrack table fills under some
//! traffic, what it lost, and which settings would have held. Writes
//! DIR/index.html (self-contained), DIR/report.json (every number) and
//! DIR/plots/*.svg, *.png.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::boxargs::BoxArgs;
use crate::report::search::Search;
use crate::report::traffic::{Overrides, Traffic, run};
use crate::report::{html, model, plot};
use crate::scenario::ast::Action;

/// Reports on a box under some traffic.
#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    kind: ReportKind,
}

#[derive(Subcommand, Debug)]
enum ReportKind {
    /// Conntrack pressure: occupancy, drops, state mix, memory, and the settings that would have held.
    Pressure(PressureArgs),
}

/// Conntrack pressure of a scenario or a replayed capture.
///
/// Runs the traffic once as given (with --what-if overrides), sampling the
/// box's conntrack every --interval of virtual time; when anything was lost
/// to a full table, re-runs the same traffic to find the smallest
/// nf_conntrack_max (and buckets) and the timeouts that would have lost
/// nothing. Same inputs, same bytes.
#[derive(Args, Debug)]
// --iface is required by `nfsim replay`; here only with --replay.
#[command(mut_arg("ifaces", |a| a.required(false)))]
#[command(after_help = "Examples:\n  nfsim report pressure scenarios/examples/synflood.nfs --out report/\n  \
    nfsim report pressure --replay synflood.pcap --rules fw.rules --iface wan0=198.51.100.2/24 \\\n      \
    --iface lan0=192.168.1.1/24 --sysctl net.ipv4.ip_forward=1 --what-if nf_conntrack_max=4096 --out report/")]
pub struct PressureArgs {
    /// A scenario (.nfs) to run (or give --replay).
    #[arg(value_name = "SCENARIO", required_unless_present = "replay", conflicts_with = "replay")]
    scenario: Option<PathBuf>,
    /// Replay this capture through a box described by the `nfsim replay` options.
    #[arg(long, value_name = "CAPTURE")]
    replay: Option<PathBuf>,
    #[command(flatten)]
    setup: Option<BoxArgs>,
    /// With a scenario: the host whose conntrack is watched (default: the first router).
    #[arg(long, value_name = "NAME", conflicts_with = "replay")]
    host: Option<String>,
    /// A sysctl to set for every run, over the traffic's own: KEY=VALUE (net.netfilter. may be left out). Repeatable.
    #[arg(long = "what-if", value_name = "KEY=VALUE")]
    what_if: Vec<String>,
    /// Virtual time between samples: 10ms, 1s, 5m ...
    #[arg(long, value_name = "T", default_value = "1s")]
    interval: String,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs `nfsim report`.
pub fn run_report(args: &ReportArgs) -> Result<ExitCode> {
    match &args.kind {
        ReportKind::Pressure(p) => pressure(p),
    }
}

fn pressure(args: &PressureArgs) -> Result<ExitCode> {
    let interval =
        crate::scenario::parse::parse_duration(&args.interval).filter(|d| d.as_nanos() >= 1_000_000).with_context(
            || format!("--interval {}: expected a duration of at least 1ms, like 100ms or 1s", args.interval),
        )?;
    let overrides = Overrides::parse(&args.what_if).map_err(anyhow::Error::msg)?;
    let capture = args.replay.clone();
    let open = move || -> std::io::Result<Box<dyn std::io::Read>> {
        let path = capture.as_deref().unwrap_or(Path::new(""));
        Ok(Box::new(std::io::BufReader::new(std::fs::File::open(path)?)))
    };
    let scenario_text;
    let loader;
    let (traffic, name) = match (&args.scenario, &args.replay) {
        (None, Some(capture)) => {
            let Some(setup) = &args.setup else { bail!("--replay needs the box: at least one --iface NAME=ADDR/LEN") };
            let traffic = Traffic::Replay {
                config: Box::new(setup.host_config()?),
                ingress: setup.ingress_rules()?,
                open: &open,
                name: capture.display().to_string(),
            };
            (traffic, format!("replay {}", capture.display()))
        }
        (Some(file), None) => {
            if args.setup.is_some() {
                bail!("box options (--iface, --rules ...) go with --replay; a scenario declares its hosts");
            }
            let (s, _) = super::run::load(file).map_err(|e| anyhow::anyhow!("{e}"))?;
            scenario_text = s;
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            loader = super::run::loader(dir);
            let host = match &args.host {
                Some(h) => h.clone(),
                None => default_host(&scenario_text).context("the scenario declares no host")?,
            };
            let traffic =
                Traffic::Scenario { scenario: scenario_text.clone(), host: host.clone(), load: Some(&loader) };
            (traffic, format!("{} (host {host})", file.display()))
        }
        _ => bail!("give a SCENARIO or --replay CAPTURE, not both"),
    };
    let bar = std::io::stderr().is_terminal().then(progress_bar);
    let mut tick = |label: &str, n: u64| {
        if let Some(b) = &bar {
            b.set_message(if label.is_empty() { "as given".to_string() } else { label.to_string() });
            b.set_position(n);
        }
    };
    tick("", 0);
    let base = run(&traffic, &overrides, interval, &mut |n| tick("", n)).map_err(anyhow::Error::msg)?;
    if !base.tracked {
        eprintln!("nfsim: note: the box never tracked connections (no rule needs conntrack): the report is empty");
    }
    let findings = Search::new(&traffic, &overrides, interval, &mut tick).run(&base).map_err(anyhow::Error::msg)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let interval_s = interval.as_nanos() as f64 / 1e9;
    let report = model::build(name, interval_s, overrides.lines(), base, findings);
    write(&args.out, &report)?;
    print!("{}", summary_text(&report, &args.out));
    Ok(ExitCode::SUCCESS)
}

/// The first router the scenario declares, else its first host.
fn default_host(s: &crate::scenario::Scenario) -> Option<String> {
    let hosts = s.statements.iter().filter_map(|st| match &st.action {
        Action::Host { name, router, .. } => Some((name.clone(), *router)),
        _ => None,
    });
    let all: Vec<(String, bool)> = hosts.collect();
    all.iter().find(|h| h.1).or(all.first()).map(|h| h.0.clone())
}

fn write(out: &Path, report: &model::Report) -> Result<()> {
    let plots = out.join("plots");
    std::fs::create_dir_all(&plots).with_context(|| plots.display().to_string())?;
    let mut svgs = Vec::new();
    for chart in plot::charts(report) {
        let svg = chart.svg().map_err(anyhow::Error::msg)?;
        let png = chart.png().map_err(anyhow::Error::msg)?;
        let path = plots.join(format!("{}.svg", chart.name));
        std::fs::write(&path, &svg).with_context(|| path.display().to_string())?;
        let path = plots.join(format!("{}.png", chart.name));
        std::fs::write(&path, &png).with_context(|| path.display().to_string())?;
        svgs.push((chart.name, svg));
    }
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    let path = out.join("report.json");
    std::fs::write(&path, json).with_context(|| path.display().to_string())?;
    let path = out.join("index.html");
    std::fs::write(&path, html::page(report, &svgs)).with_context(|| path.display().to_string())?;
    Ok(())
}

/// What the terminal shows at the end.
fn summary_text(r: &model::Report, out: &Path) -> String {
    let s = &r.summary;
    let mut t = format!(
        "{}: peak {} entries ({}% of nf_conntrack_max {}), drop {}, early_drop {}\n",
        r.traffic,
        s.peak_entries,
        s.peak_pct_of_max,
        r.settings.nf_conntrack_max,
        s.counters.drop,
        s.counters.early_drop
    );
    if let Some(m) = &r.recommendations.max {
        t.push_str(&format!(
            "smallest limit with no loss: nf_conntrack_max={} nf_conntrack_buckets={} ({} in the kernel when full)\n",
            m.max,
            m.buckets,
            html::bytes(m.kernel_bytes_full)
        ));
    }
    for x in &r.recommendations.timeouts {
        match x.value {
            Some(v) => t.push_str(&format!("or {}={v} (now {})\n", x.sysctl, x.current)),
            None => t.push_str(&format!("lowering {} alone would not do\n", x.sysctl)),
        }
    }
    t.push_str(&format!("wrote {}\n", out.join("index.html").display()));
    t
}

fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} run {msg}: {pos} packets") {
        bar.set_style(style);
    }
    bar
}
