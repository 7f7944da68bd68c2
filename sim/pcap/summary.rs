//! `summary.txt`: what a replay did, for a person to read.

use super::replay::Tally;
use crate::net::Host;
use std::fmt::Write as _;

impl Tally {
    /// summary.txt: what was replayed and what became of it, in a fixed
    /// order (sorted by name, never by hash order).
    pub fn render(&self, host: &Host, capture: &str, error: Option<&str>) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "capture      {capture}");
        match self.span {
            Some((a, b)) => {
                let _ = writeln!(s, "time         {a} .. {b} ({:.3} s)", (b - a).as_nanos() as f64 / 1e9);
            }
            None => s.push_str("time         (no packets)\n"),
        }
        let _ = writeln!(s, "box          {}", host_line(host));
        let _ = writeln!(s, "\npackets      {}", self.packets);
        let dropped: u64 = self.drops.values().sum();
        let skipped: u64 = self.skips.values().sum();
        for (label, n) in [
            ("forwarded", self.forwarded),
            ("local", self.local),
            ("arp", self.arp),
            ("queued", self.queued),
            ("dropped", dropped),
            ("skipped", skipped),
        ] {
            let _ = writeln!(s, "  {label:<11}{n}");
        }
        section(&mut s, "drops by reason", self.drops.iter().map(|(r, n)| (r.to_string(), *n)));
        section(&mut s, "skipped", self.skips.iter().map(|(r, n)| (r.to_string(), *n)));
        section(&mut s, "replies sent", self.replies.iter().map(|(r, n)| (r.to_string(), *n)));
        section(
            &mut s,
            "egress frames",
            self.egress.iter().map(|(i, n)| (host.iface(*i).map_or("?".into(), |x| x.name.clone()), *n)),
        );
        let counters = host.stats.render();
        if !counters.is_empty() {
            let _ = write!(s, "\ncounters\n{}", indent(&counters));
        }
        if let Some(e) = error {
            let _ = writeln!(s, "\ncapture error: {e}");
        }
        s
    }
}

fn host_line(host: &Host) -> String {
    let mut parts = Vec::new();
    for i in host.ifaces().iter().filter(|i| !i.is_loopback()) {
        let addrs: Vec<String> = i.addrs.iter().map(|a| a.to_string()).collect();
        parts.push(format!("{} {} {}", i.name, i.mac, addrs.join(",")));
    }
    parts.join("; ")
}

fn section(s: &mut String, title: &str, rows: impl Iterator<Item = (String, u64)>) {
    let mut rows: Vec<(String, u64)> = rows.collect();
    if rows.is_empty() {
        return;
    }
    rows.sort();
    let _ = writeln!(s, "\n{title}");
    for (name, n) in rows {
        let _ = writeln!(s, "  {name:<40} {n}");
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
