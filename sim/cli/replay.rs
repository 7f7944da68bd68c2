//! `nfsim replay`: a capture through a box, every outcome written down.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::boxargs::BoxArgs;
use crate::net::Host;
use crate::pcap::Reader;
use crate::pcap::egress::{self, EgressCapture};
use crate::pcap::replay::{Replay, ReplayError};

/// Replay a capture through a box.
///
/// Every packet of CAPTURE enters the box at its capture time, on the
/// interface the capture names (pcapng interface name, SLL2 index through
/// --iface-map), else --in, else the interface that routes its source.
/// Writes DIR/egress.pcapng (every frame the box sent, per interface),
/// DIR/verdicts.jsonl (one line per input packet), DIR/log.txt (the kernel
/// log, `<level>text` per line), DIR/summary.txt, and with
/// --rules DIR/counters.rules (iptables-save -c at the end), and when the
/// rules use connection tracking DIR/conntrack.txt (conntrack -L at the end)
/// and DIR/conntrack-stats.txt (conntrack -S); DIR/proc/net/ holds the
/// box's ip_tables_names, nf_conntrack and stat/nf_conntrack at the end.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  nfsim replay capture.pcapng --iface lan0=192.168.1.1/24 --iface wan0=198.51.100.2/24 \\\n      --route 'default via 198.51.100.1' --sysctl net.ipv4.ip_forward=1 --out out/"
)]
pub struct ReplayArgs {
    /// The capture to replay (pcap or pcapng; Ethernet, Linux SLL/SLL2, raw IP).
    capture: PathBuf,
    #[command(flatten)]
    pub(super) setup: BoxArgs,
    /// Egress capture format: one pcapng with every interface, or one classic pcap per interface.
    #[arg(long, value_enum, default_value_t = EgressFormat::Pcapng)]
    egress_format: EgressFormat,
    /// Also replay through this ruleset (the one deployed now) and report
    /// the packets and flows whose fate differs: DIR/diff.txt, DIR/diff.jsonl.
    #[arg(long, value_name = "OLD_RULES")]
    baseline: Option<PathBuf>,
    /// With --baseline: exit with status 1 when any packet fares differently.
    #[arg(long, requires = "baseline")]
    fail_on_diff: bool,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// How the frames the box sends are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EgressFormat {
    /// DIR/egress.pcapng, one interface block per box interface.
    Pcapng,
    /// DIR/egress-IFACE.pcap, classic pcap (ns), one file per interface.
    Pcap,
}

/// The open egress capture, whichever the format.
enum EgressFiles {
    PcapNg(crate::pcap::PcapNgWriter<BufWriter<File>>),
    PerIface(egress::PerIface<BufWriter<File>>),
}

impl EgressFiles {
    fn capture(&mut self) -> &mut dyn EgressCapture {
        match self {
            EgressFiles::PcapNg(w) => w,
            EgressFiles::PerIface(w) => w,
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            EgressFiles::PcapNg(w) => w.finish()?.flush(),
            EgressFiles::PerIface(w) => w.finish(),
        }
    }
}

/// Runs `nfsim replay`.
pub fn run(args: &ReplayArgs) -> Result<ExitCode> {
    let config = args.setup.host_config()?;
    let mut host = Host::new(&config).map_err(anyhow::Error::msg).context("box configuration")?;
    let rules = args.setup.ingress_rules()?;
    let capture_name = args.capture.display().to_string();
    let file = File::open(&args.capture).with_context(|| capture_name.clone())?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader =
        Reader::new(std::io::BufReader::with_capacity(0, file)).map_err(|e| anyhow::anyhow!("{capture_name}: {e}"))?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let create = |name: &str| -> Result<BufWriter<File>> {
        let path = args.out.join(name);
        Ok(BufWriter::with_capacity(1 << 20, File::create(&path).with_context(|| path.display().to_string())?))
    };
    let mut egress = match args.egress_format {
        EgressFormat::Pcapng => EgressFiles::PcapNg(egress::pcapng(&host, create("egress.pcapng")?)?),
        EgressFormat::Pcap => EgressFiles::PerIface(egress::PerIface::new(&host, |name| {
            create(&format!("egress-{name}.pcap")).map_err(|e| std::io::Error::other(format!("{e:#}")))
        })?),
    };
    let mut verdicts = create("verdicts.jsonl")?;
    let mut log = create("log.txt")?;

    let progress = std::io::stderr().is_terminal().then(|| progress_bar(size));
    let mut replay = Replay::new(&mut host, &rules).map_err(anyhow::Error::msg)?;
    if let Some(bar) = &progress {
        let bar = bar.clone();
        replay.progress = Some(Box::new(move |offset| bar.set_position(offset)));
    }
    let mut old_host = match &args.baseline {
        Some(path) => Some(
            Host::new(&args.setup.host_config_with(Some(path))?)
                .map_err(anyhow::Error::msg)
                .context("box configuration")?,
        ),
        None => None,
    };
    let mut diff = None;
    let result = match &mut old_host {
        None => replay.run(&mut reader, egress.capture(), &mut verdicts, &mut log),
        Some(old_host) => {
            let mut old = Replay::new(old_host, &rules).map_err(anyhow::Error::msg)?;
            let file = File::open(&args.capture).with_context(|| capture_name.clone())?;
            let mut old_reader = Reader::new(std::io::BufReader::with_capacity(0, file))
                .map_err(|e| anyhow::anyhow!("{capture_name}: {e}"))?;
            let got = crate::pcap::baseline::compare(
                &mut replay,
                &mut old,
                &mut reader,
                &mut old_reader,
                egress.capture(),
                &mut verdicts,
                &mut log,
            );
            got.map(|d| diff = Some(d))
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let tally = std::mem::take(&mut replay.tally);
    drop(replay);
    let capture_error = match result {
        Ok(()) => None,
        Err(ReplayError::Capture(e)) => Some(format!("{capture_name}: {e}")),
        Err(ReplayError::Output(e)) => bail!("writing to {}: {e}", args.out.display()),
    };
    egress.finish()?;
    verdicts.flush()?;
    log.flush()?;
    if args.setup.rules.is_some() {
        std::fs::write(args.out.join("counters.rules"), host.netfilter.ruleset.save(true))?;
        write_proc(&args.out, "ip_tables_names", &host.netfilter.ruleset.ip_tables_names())?;
    }
    if let Some(ct) = &mut host.netfilter.conntrack {
        let end = tally.span.map_or(crate::engine::Instant::ZERO, |(_, b)| b);
        std::fs::write(args.out.join("conntrack.txt"), ct.list(end))?;
        std::fs::write(args.out.join("conntrack-stats.txt"), ct.stats_text())?;
        write_proc(&args.out, "nf_conntrack", &ct.proc(end))?;
        write_proc(&args.out, "stat/nf_conntrack", &ct.proc_stat())?;
    }
    let summary = tally.render(&host, &format!("{capture_name} (seed {})", args.setup.seed), capture_error.as_deref());
    std::fs::write(args.out.join("summary.txt"), &summary)?;
    print!("{summary}");
    let differs = match (&diff, &args.baseline, &args.setup.rules) {
        (Some(d), Some(old), new) => {
            let new = new.as_ref().map_or("no rules".to_string(), |p| p.display().to_string());
            let text = d.text(&old.display().to_string(), &new);
            std::fs::write(args.out.join("diff.txt"), &text)?;
            std::fs::write(args.out.join("diff.jsonl"), d.jsonl())?;
            print!("{}", text.lines().next().map(|l| format!("{l}\n")).unwrap_or_default());
            d.differing > 0
        }
        _ => false,
    };
    if let Some(e) = capture_error {
        eprintln!("nfsim: {e}");
        return Ok(ExitCode::from(2));
    }
    if differs && args.fail_on_diff {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `DIR/proc/net/NAME`: the box's /proc file at the end of the replay.
fn write_proc(out: &std::path::Path, name: &str, text: &str) -> Result<()> {
    let path = out.join("proc/net").join(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(&path, text).with_context(|| path.display().to_string())
}

fn progress_bar(size: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}
