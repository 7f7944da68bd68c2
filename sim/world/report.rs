//! What a simulation reports, in order: commands and their output, packet
//! decisions, kernel log lines, app events, link and neighbour events. One
//! [`Record`] per line, rendered as stable text or as JSON lines.

use crate::engine::Instant;
use serde_json::json;
use std::fmt::Write as _;

/// What kind of line a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A command run on a host (`fw# iptables -L`), or a world statement.
    Command,
    /// A line a command printed.
    Output,
    /// A packet a host received, and what became of it.
    Packet,
    /// A kernel log line.
    Kernel,
    /// An application event.
    App,
    /// A link lost a frame.
    Link,
    /// A neighbour failed to resolve.
    Neigh,
    /// An `expect` line's result.
    Expect,
    /// A step of a packet's way through a router's hooks (`nfsim run --trace`).
    Trace,
    /// A line a background job printed (`conntrack -E &`), `%N: ` first.
    Job,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Output => "output",
            Kind::Packet => "packet",
            Kind::Kernel => "kernel",
            Kind::App => "app",
            Kind::Link => "link",
            Kind::Neigh => "neigh",
            Kind::Expect => "expect",
            Kind::Trace => "trace",
            Kind::Job => "job",
        }
    }
}

/// One line of the transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Virtual time.
    pub at: Instant,
    /// What it is.
    pub kind: Kind,
    /// The host (or link) it is about; empty for world lines.
    pub host: String,
    /// The text.
    pub text: String,
}

/// `[seconds.micros]`, the transcript's time stamp.
pub fn stamp(t: Instant) -> String {
    let ns = t.as_nanos();
    format!("[{}.{:06}]", ns / 1_000_000_000, ns % 1_000_000_000 / 1000)
}

/// The transcript as text: one line per record, output lines bare.
pub fn render_text(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let t = stamp(r.at);
        let _ = match r.kind {
            Kind::Output => writeln!(out, "{}", r.text),
            Kind::Command if r.host.is_empty() => writeln!(out, "{t} {}", r.text),
            Kind::Command => writeln!(out, "{t} {}# {}", r.host, r.text),
            Kind::Kernel => writeln!(out, "{t} {} kernel: {}", r.host, r.text),
            Kind::Link => writeln!(out, "{t} link {}: {}", r.host, r.text),
            Kind::Expect => writeln!(out, "{t} expect {}", r.text),
            Kind::Job => writeln!(out, "{t} {} {}", r.host, r.text),
            // Under the packet line they explain, indented.
            Kind::Trace => writeln!(out, "{t} {}:   {}", r.host, r.text.replace('\n', "\n    ")),
            _ => writeln!(out, "{t} {}: {}", r.host, r.text),
        };
    }
    out
}

/// The transcript as JSON lines: `{"t":"0.000120","kind":"packet","host":"fw","text":"..."}`.
pub fn render_json(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let ns = r.at.as_nanos();
        let v = json!({
            "t": format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000),
            "kind": r.kind.as_str(),
            "host": r.host,
            "text": r.text,
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}
