//! `nfsim run FILE`: runs a scenario and prints its transcript (text, or
//! JSON lines with `--json`); `--pcap DIR` writes a pcapng per host;
//! `--trace` explains every router packet hook by hook.
//! Exit 1 when an `expect` failed, 2 for a bad scenario.

use anyhow::{Context, Result};
use clap::Args;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::engine::Instant;
use crate::pcap::{Direction, LinkType, PcapNgWriter};
use crate::scenario::{self, Options};
use crate::skb::IfIndex;
use crate::world::{Capture, report};

/// Run a scenario and print its transcript.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (.nfs).
    file: PathBuf,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
    /// Write DIR/HOST.pcapng for every host: every interface, both directions.
    #[arg(long, value_name = "DIR")]
    pcap: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Under each packet line of a router or bridge, every step of its way
    /// through the hooks: tables walked rule by rule, conntrack, NAT.
    #[arg(long)]
    trace: bool,
}

/// Reads and parses a scenario, with files it names read beside it.
pub(super) fn load(path: &Path) -> Result<(scenario::Scenario, String), LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io(format!("{name}: {e}")))?;
    let read = loader(path.parent().map(Path::to_path_buf).unwrap_or_default());
    let s = scenario::parse_with(&text, &name, Some(&read)).map_err(|e| LoadError::Parse(e.to_string()))?;
    Ok((s, text))
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub(super) enum LoadError {
    /// Unreadable.
    Io(String),
    /// Malformed, with position and caret.
    Parse(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(s) | LoadError::Parse(s) => f.write_str(s),
        }
    }
}

/// Reads `< FILE` relative to the scenario's directory.
pub(super) fn loader(dir: PathBuf) -> impl Fn(&str) -> Result<String, String> {
    move |p: &str| std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string())
}

/// One pcapng per host.
struct Pcaps {
    writers: Vec<PcapNgWriter<BufWriter<File>>>,
}

impl Capture for Pcaps {
    fn frame(&mut self, node: usize, at: Instant, iface: IfIndex, out: bool, frame: &[u8]) {
        let dir = if out { Direction::Outbound } else { Direction::Inbound };
        let _ = self.writers[node].write_packet(iface - 1, at, frame, frame.len() as u32, Some(dir));
    }
}

/// Runs `nfsim run`.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let (s, _) = match load(&args.file) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let dir = args.file.parent().map(Path::to_path_buf).unwrap_or_default();
    let read = loader(dir);
    let opts = Options { seed: args.seed, load: Some(&read), trace: args.trace };
    let outcome = if let Some(pcap_dir) = &args.pcap {
        std::fs::create_dir_all(pcap_dir).with_context(|| pcap_dir.display().to_string())?;
        let mut world = scenario::run::build(&s, args.seed).map_err(anyhow::Error::msg)?;
        let mut writers = Vec::new();
        for n in &world.nodes {
            let path = pcap_dir.join(format!("{}.pcapng", n.host.name));
            let file = File::create(&path).with_context(|| path.display().to_string())?;
            let mut w = PcapNgWriter::new(BufWriter::new(file))?;
            for i in n.host.ifaces() {
                w.add_interface(&i.name, LinkType::Ethernet, 0)?;
            }
            writers.push(w);
        }
        world.capture = Some(Box::new(Pcaps { writers }));
        let mut out = scenario::run::run_world(&s, world, &opts);
        // Dropping the writers flushes them.
        out.world.capture = None;
        out
    } else {
        scenario::run(&s, &opts).map_err(anyhow::Error::msg)?
    };
    let text = if args.json { report::render_json(&outcome.records) } else { report::render_text(&outcome.records) };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if !outcome.failures.is_empty() {
        for f in &outcome.failures {
            eprintln!("{}: {f}", args.file.display());
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
