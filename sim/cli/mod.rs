//! The command line: the only layer that touches files, the terminal, the
//! environment or the wall clock. One file per subcommand; each turns its raw
//! arguments into validated configuration, runs the library, writes outputs.
//!
//! Exit codes: 0 ok, 1 a test or expectation failed, 2 bad input or usage.

mod boxargs;
mod check;
mod replay;
mod report;
mod run;
mod test;
mod trace;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A deterministic simulator of Linux netfilter.
///
/// nfsim models Linux boxes (the IPv4 stack, the netfilter hooks, connection
/// tracking, NAT, helpers) in user space: replay captures through a box, trace
/// one packet, compare two rulesets, run scenarios of hosts, routers and links
/// in virtual time, and size the conntrack table. Same inputs and seed,
/// byte-identical outputs. No root needed.
#[derive(Parser, Debug)]
#[command(name = "nfsim", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Replay a capture (pcap or pcapng) through a box and record what it does.
    Replay(replay::ReplayArgs),
    /// Follow one packet through the box: every hook, table and rule, and why.
    Trace(trace::TraceArgs),
    /// Run a scenario (.nfs) and print its transcript.
    Run(run::RunArgs),
    /// Run every scenario under DIR and compare with its golden transcript.
    Test(test::TestArgs),
    /// Reports: `nfsim report pressure` sizes conntrack for some traffic.
    Report(report::ReportArgs),
    /// Validate a ruleset (iptables-save file or iptables lines) and print it as iptables would.
    Check(check::CheckArgs),
}

/// Runs the `nfsim` command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args),
        Command::Test(args) => test::run(args),
        Command::Report(args) => report::run_report(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nfsim: {e:#}");
            ExitCode::from(2)
        }
    }
}
