//! `replay --baseline`: one capture through two boxes that differ only in
//! their rules, in lockstep, and the packets whose fate differs, grouped
//! by flow.
//!
//! Each box keeps its own state (conntrack, limits, counters), so a rule
//! change that lets a SYN through shows on every later packet of its flow.
//! A packet's fate is what a user would call different: accepted or
//! dropped and where it went, the rule that decided, the frames the box
//! sent for it (so a different NAT shows), byte for byte. Memory grows
//! with the differing flows, not with the capture.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::Ipv4Addr;

use super::Reader;
use super::egress::EgressCapture;
use super::replay::{Replay, ReplayError};
use crate::engine::Instant;
use crate::net::{Host, Iface, Outcome};

/// What one box did with one packet, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// `forwarded out wan0`, `dropped (netfilter FORWARD)`, ...
    pub fate: String,
    /// The deciding rule (`filter/FORWARD/3`), if any.
    pub rule: Option<String>,
    /// Each frame the box sent for it: `IFACE packet-spec`.
    pub sent: Vec<String>,
}

/// One flow whose packets fared differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowDiff {
    /// `tcp 192.168.1.10:40000 <> 198.51.100.7:443` (endpoints in order).
    pub flow: String,
    /// Packets of the flow that differed.
    pub packets: u64,
    /// The first differing packet: its 1-based index in the capture.
    pub first: u64,
    /// Its capture time.
    pub time: Instant,
    /// What the baseline box did with it.
    pub old: Side,
    /// What the box under test did with it.
    pub new: Side,
}

/// The comparison of a whole capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Packets replayed.
    pub packets: u64,
    /// Packets whose fate differed.
    pub differing: u64,
    /// Differing flows, in the order of their flow text.
    pub flows: Vec<FlowDiff>,
}

/// Frames one box sent while one packet was handled, kept for comparison.
struct Sent<'a> {
    inner: &'a mut dyn EgressCapture,
    frames: Vec<(String, Vec<u8>)>,
}

impl EgressCapture for Sent<'_> {
    fn write(&mut self, now: Instant, iface: &Iface, frame: &[u8]) -> io::Result<()> {
        self.frames.push((iface.name.clone(), frame.to_vec()));
        self.inner.write(now, iface, frame)
    }
}

/// Replays `new_reader` through `new` (writing its outputs as a plain
/// replay would) and the same capture from `old_reader` through `old`
/// (outputs discarded), comparing packet by packet.
///
/// # Errors
/// A damaged capture (after every packet before the damage was compared)
/// or an output that could not be written.
pub fn compare<R: Read, V: Write>(
    new: &mut Replay<'_>,
    old: &mut Replay<'_>,
    new_reader: &mut Reader<R>,
    old_reader: &mut Reader<R>,
    egress: &mut dyn EgressCapture,
    verdicts: &mut V,
    log: &mut dyn Write,
) -> Result<Diff, ReplayError> {
    let mut flows: BTreeMap<String, FlowDiff> = BTreeMap::new();
    let mut diff = Diff::default();
    let (mut discard, mut discard_log) = (io::sink(), io::sink());
    let mut no_egress = Discard;
    while let Some((record, name)) = new_reader.next_with_interface().map_err(ReplayError::Capture)? {
        let name = name.and_then(|i| i.name.clone());
        let mut sent_new = Sent { inner: egress, frames: Vec::new() };
        let out_new = new.step(&record, name.as_deref(), &mut sent_new, verdicts, log)?;
        let new_side = side(new.host_ref(), out_new, new.last_rule(), &sent_new.frames);
        let (index, ts, flow) = (record.index + 1, record.ts, flow_of(&record));
        let Some((record, name)) = old_reader.next_with_interface().map_err(ReplayError::Capture)? else { break };
        let name = name.and_then(|i| i.name.clone());
        let mut sent_old = Sent { inner: &mut no_egress, frames: Vec::new() };
        let out_old = old.step(&record, name.as_deref(), &mut sent_old, &mut discard, &mut discard_log)?;
        let old_side = side(old.host_ref(), out_old, old.last_rule(), &sent_old.frames);
        diff.packets += 1;
        if new_side == old_side {
            continue;
        }
        diff.differing += 1;
        flows.entry(flow.clone()).and_modify(|f| f.packets += 1).or_insert(FlowDiff {
            flow,
            packets: 1,
            first: index,
            time: ts,
            old: old_side,
            new: new_side,
        });
    }
    new.flush_tally();
    old.flush_tally();
    diff.flows = flows.into_values().collect();
    Ok(diff)
}

/// An egress capture that keeps nothing.
struct Discard;

impl EgressCapture for Discard {
    fn write(&mut self, _: Instant, _: &Iface, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

fn side(host: &Host, outcome: Option<Outcome>, rule: Option<&str>, frames: &[(String, Vec<u8>)]) -> Side {
    let fate = match outcome {
        None => "not replayed".to_string(),
        Some(o) => {
            let mut s = host.fate_text(o.fate);
            if let Some(reply) = o.reply {
                let _ = write!(s, ", answered {reply}");
            }
            s
        }
    };
    let sent = frames.iter().map(|(iface, f)| format!("{iface} {}", crate::wire::spec::describe_frame(f))).collect();
    Side { fate, rule: rule.map(str::to_string), sent }
}

/// The flow a captured frame belongs to, the same text for both directions.
fn flow_of(record: &super::Record<'_>) -> String {
    let Ok(d) = super::link::decap(record.link, record.data) else { return "(undecodable)".to_string() };
    let ip = d.l3;
    if d.ethertype != 0x0800 || ip.len() < 20 {
        return format!("ethertype 0x{:04x}", d.ethertype);
    }
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    let ihl = usize::from(ip[0] & 0xf) * 4;
    let first_fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff == 0;
    let l4 = ip.get(ihl..).unwrap_or(&[]);
    let proto = ip[9];
    let ported = matches!(proto, 6 | 17 | 132 | 33) && first_fragment && l4.len() >= 4;
    let ends = if ported {
        let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
        [(src, Some(port(0))), (dst, Some(port(2)))]
    } else {
        [(src, None), (dst, None)]
    };
    let mut ends = ends;
    ends.sort();
    let end = |(a, p): (Ipv4Addr, Option<u16>)| p.map_or(a.to_string(), |p| format!("{a}:{p}"));
    let name = crate::conntrack::proto::name(proto);
    let name = if name == "unknown" { format!("proto {proto}") } else { name.to_string() };
    format!("{name} {} <> {}", end(ends[0]), end(ends[1]))
}

impl Diff {
    /// `diff.txt`: a summary line, then per flow its count, first packet
    /// and both sides.
    pub fn text(&self, old_name: &str, new_name: &str) -> String {
        let mut s = format!(
            "{} of {} packets fare differently under {new_name} than under {old_name}, in {} flow{}\n",
            self.differing,
            self.packets,
            self.flows.len(),
            if self.flows.len() == 1 { "" } else { "s" }
        );
        for f in &self.flows {
            let ns = f.time.as_nanos();
            let _ = writeln!(
                s,
                "\n{}: {} packets differ, first #{} at {}.{:09}",
                f.flow,
                f.packets,
                f.first,
                ns / 1_000_000_000,
                ns % 1_000_000_000
            );
            for (label, side) in [("old", &f.old), ("new", &f.new)] {
                let _ = write!(s, "  {label}: {}", side.fate);
                if let Some(r) = &side.rule {
                    let _ = write!(s, " by {r}");
                }
                s.push('\n');
                for sent in &side.sent {
                    let _ = writeln!(s, "    sent {sent}");
                }
            }
        }
        s
    }

    /// `diff.jsonl`: one JSON object per differing flow.
    pub fn jsonl(&self) -> String {
        let side = |s: &Side| serde_json::json!({"fate": s.fate, "rule": s.rule, "sent": s.sent});
        let mut out = String::new();
        for f in &self.flows {
            let ns = f.time.as_nanos();
            let v = serde_json::json!({
                "flow": f.flow,
                "packets": f.packets,
                "first": f.first,
                "time": format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000),
                "old": side(&f.old),
                "new": side(&f.new),
            });
            out.push_str(&v.to_string());
            out.push('\n');
        }
        out
    }
}
