//! The replay driver: a capture's packets enter a box, in capture order and
//! at capture time, and every outcome is written down.
//!
//! Which interface a packet enters by, in order: the capture's own interface
//! (a pcapng interface name, or an SLL2 interface index) through the user's
//! `--iface-map`, or a box interface of the same name; else `--in`; else the
//! interface through which the box routes the packet's source address.
//! Packets the capture marks as outbound (pcapng direction flag, SLL packet
//! type "outgoing") were sent by the capturing host, not received: they are
//! skipped, and said so. Frames of link types without an Ethernet header get
//! one, addressed to the ingress interface.
//!
//! Outputs go to any `Write`: the egress capture (pcapng, one interface block
//! per box interface, direction "outbound"), one JSON line per input packet,
//! and a summary. Nothing here allocates per packet.

use super::link::{PacketType, decap};
use super::record::Direction;
use super::{PcapNgWriter, Reader, Record};
use crate::engine::Instant;
use crate::net::iface::{Iface, derived_mac};
use crate::net::{DropReason, Fate, Host, Outcome, Reply, Tx};
use crate::skb::IfIndex;
use crate::wire::EthernetAddress;
use rustc_hash::FxHashMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::Ipv4Addr;

/// How capture interfaces map onto the box's.
#[derive(Clone, Debug, Default)]
pub struct IngressRules {
    /// `(capture interface name or index, box interface name)` pairs.
    pub iface_map: Vec<(String, String)>,
    /// The interface for packets nothing else places (`--in`).
    pub default_in: Option<String>,
}

/// Where a packet enters, or why it does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ingress {
    Iface(IfIndex),
    Skip(&'static str),
}

/// The tally a replay keeps for its summary.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Packets read from the capture.
    pub packets: u64,
    /// Delivered to the box.
    pub local: u64,
    /// Forwarded.
    pub forwarded: u64,
    /// ARP frames.
    pub arp: u64,
    /// Dropped, by reason.
    pub drops: FxHashMap<DropReason, u64>,
    /// Not replayed, by reason.
    pub skips: FxHashMap<&'static str, u64>,
    /// Replies the box sent, by kind.
    pub replies: FxHashMap<Reply, u64>,
    /// Frames emitted, by interface index.
    pub egress: FxHashMap<IfIndex, u64>,
    /// Timestamp of the first and last packet.
    pub span: Option<(Instant, Instant)>,
}

/// The egress side: a pcapng writer with one interface block per box interface.
struct Egress<'w, W: Write> {
    pcap: &'w mut PcapNgWriter<W>,
    egress: &'w mut FxHashMap<IfIndex, u64>,
    error: Option<io::Error>,
}

impl<W: Write> Tx for Egress<'_, W> {
    fn transmit(&mut self, now: Instant, iface: &Iface, frame: &[u8]) {
        *self.egress.entry(iface.index).or_default() += 1;
        // Interface blocks were written in index order, `lo` (1) first.
        let id = iface.index - 1;
        if let Err(e) = self.pcap.write_packet(id, now, frame, frame.len() as u32, Some(Direction::Outbound)) {
            self.error.get_or_insert(e);
        }
    }
}

/// Writes the pcapng header and one interface block per box interface.
pub fn egress_writer<W: Write>(host: &Host, w: W) -> io::Result<PcapNgWriter<W>> {
    let mut pcap = PcapNgWriter::new(w)?;
    for iface in host.ifaces() {
        pcap.add_interface(&iface.name, super::LinkType::Ethernet, 0)?;
    }
    Ok(pcap)
}

/// A replay of one capture through one box.
pub struct Replay<'h> {
    host: &'h mut Host,
    by_name: Vec<(String, IfIndex)>,
    by_index: Vec<(u32, IfIndex)>,
    default_in: Option<IfIndex>,
    frame: Vec<u8>,
    /// Each interface's name as a JSON string, by index (escaped once).
    json_names: Vec<Vec<u8>>,
    /// What happened so far.
    pub tally: Tally,
    /// Told the capture's byte offset now and then, for a progress bar.
    pub progress: Option<Box<dyn FnMut(u64)>>,
}

impl<'h> Replay<'h> {
    /// Resolves `rules` against the box's interfaces.
    pub fn new(host: &'h mut Host, rules: &IngressRules) -> Result<Replay<'h>, String> {
        let find = |name: &str| {
            host.iface_by_name(name).map(|i| i.index).ok_or_else(|| format!("no interface \"{name}\" on the box"))
        };
        let mut by_name = Vec::new();
        let mut by_index = Vec::new();
        for (key, target) in &rules.iface_map {
            let index = find(target)?;
            match key.parse::<u32>() {
                Ok(n) => by_index.push((n, index)),
                Err(_) => by_name.push((key.clone(), index)),
            }
        }
        let default_in = rules.default_in.as_deref().map(find).transpose()?;
        let json_names = host
            .ifaces()
            .iter()
            .map(|i| {
                let mut v = Vec::new();
                push_str(&mut v, &i.name);
                v
            })
            .collect();
        Ok(Replay {
            json_names,
            host,
            by_name,
            by_index,
            default_in,
            frame: Vec::with_capacity(2048),
            tally: Tally::default(),
            progress: None,
        })
    }

    /// Replays every packet of `reader`, writing egress frames to `egress` and
    /// one JSON line per packet to `verdicts`. A damaged capture ends the
    /// replay with its error after every packet before the damage was replayed.
    pub fn run<R: Read, W: Write, V: Write>(
        &mut self,
        reader: &mut Reader<R>,
        egress: &mut PcapNgWriter<W>,
        verdicts: &mut V,
    ) -> Result<(), ReplayError> {
        let mut line = Vec::with_capacity(256);
        let mut text = String::with_capacity(64);
        loop {
            let offset = reader.offset();
            let (record, capture_name) = match reader.next_with_interface() {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(()),
                Err(e) => return Err(ReplayError::Capture(e)),
            };
            let capture_name = capture_name.and_then(|i| i.name.as_deref());
            let (ingress, outcome) = self.one(&record, capture_name, egress).map_err(ReplayError::Output)?;
            line.clear();
            write_verdict(&mut line, &mut text, &record, &self.json_names, ingress, outcome);
            verdicts.write_all(&line).map_err(ReplayError::Output)?;
            if self.tally.packets.is_multiple_of(65536)
                && let Some(progress) = &mut self.progress
            {
                progress(offset);
            }
        }
    }

    fn one<W: Write>(
        &mut self,
        record: &Record<'_>,
        capture_name: Option<&str>,
        egress: &mut PcapNgWriter<W>,
    ) -> io::Result<(Ingress, Option<Outcome>)> {
        let t = &mut self.tally;
        t.packets += 1;
        t.span = Some(t.span.map_or((record.ts, record.ts), |(a, _)| (a, record.ts)));
        let ingress = match decap(record.link, record.data) {
            Err(e) => {
                let reason = match e {
                    super::link::DecapError::Unsupported(_) => "unsupported link type",
                    _ => "truncated link-layer header",
                };
                (Ingress::Skip(reason), None)
            }
            Ok(d) if record.direction == Some(Direction::Outbound) || d.pkttype == Some(PacketType::Outgoing) => {
                (Ingress::Skip("outbound in capture"), None)
            }
            Ok(d) => (self.ingress(capture_name, d.ifindex, d.ethertype, d.l3), Some(d)),
        };
        let (ingress, decap) = ingress;
        let iif = match ingress {
            Ingress::Iface(i) => i,
            Ingress::Skip(why) => {
                *self.tally.skips.entry(why).or_default() += 1;
                return Ok((ingress, None));
            }
        };
        let decap = decap.expect("an ingress interface implies a decapsulated frame");
        let frame: &[u8] = if record.link == super::LinkType::Ethernet {
            record.data
        } else {
            let iface = self.host.iface(iif).expect("ingress interfaces exist");
            build_ethernet(&mut self.frame, iface.mac, &decap);
            &self.frame
        };
        let mut tx = Egress { pcap: egress, egress: &mut self.tally.egress, error: None };
        let outcome = self.host.receive(record.ts, iif, frame, &mut tx);
        if let Some(e) = tx.error {
            return Err(e);
        }
        let t = &mut self.tally;
        match outcome.fate {
            Fate::Local => t.local += 1,
            Fate::Forwarded { .. } => t.forwarded += 1,
            Fate::Arp => t.arp += 1,
            Fate::Dropped(reason) => *t.drops.entry(reason).or_default() += 1,
        }
        if let Some(reply) = outcome.reply {
            *t.replies.entry(reply).or_default() += 1;
        }
        Ok((ingress, Some(outcome)))
    }

    fn ingress(&self, capture_name: Option<&str>, ifindex: Option<u32>, ethertype: u16, l3: &[u8]) -> Ingress {
        if let Some(name) = capture_name {
            if let Some((_, i)) = self.by_name.iter().find(|(n, _)| n == name) {
                return Ingress::Iface(*i);
            }
            if let Some(iface) = self.host.iface_by_name(name) {
                return Ingress::Iface(iface.index);
            }
        }
        if let Some(n) = ifindex
            && let Some((_, i)) = self.by_index.iter().find(|(k, _)| *k == n)
        {
            return Ingress::Iface(*i);
        }
        if let Some(i) = self.default_in {
            return Ingress::Iface(i);
        }
        match source_address(ethertype, l3).and_then(|src| self.host.routes().lookup(src)).and_then(|r| r.dev) {
            Some(i) => Ingress::Iface(i),
            None => Ingress::Skip("no ingress interface (give --in or --iface-map)"),
        }
    }
}

/// The sender's IPv4 address: the IP source, or ARP's sender protocol address.
fn source_address(ethertype: u16, l3: &[u8]) -> Option<Ipv4Addr> {
    match ethertype {
        0x0800 if l3.len() >= 20 => Some(Ipv4Addr::new(l3[12], l3[13], l3[14], l3[15])),
        0x0806 if l3.len() >= 18 => Some(Ipv4Addr::new(l3[14], l3[15], l3[16], l3[17])),
        _ => None,
    }
}

/// Puts an Ethernet header on a frame captured without one (SLL, raw IP).
fn build_ethernet(buf: &mut Vec<u8>, iface_mac: EthernetAddress, d: &super::link::Decap<'_>) {
    let dst = match d.pkttype {
        Some(PacketType::Broadcast) => EthernetAddress::BROADCAST,
        Some(PacketType::Multicast) if d.ethertype == 0x0800 && d.l3.len() >= 20 => {
            // RFC 1112: 01:00:5e and the group's low 23 bits.
            let g = &d.l3[16..20];
            EthernetAddress([0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]])
        }
        Some(PacketType::OtherHost) => d.dst_mac.map_or(EthernetAddress([0x02, 0, 0, 0, 0, 0xfe]), EthernetAddress),
        _ => iface_mac,
    };
    let src = d.src_mac.map(EthernetAddress).unwrap_or_else(|| {
        source_address(d.ethertype, d.l3).map_or(EthernetAddress([0x02, 0, 0, 0, 0, 0xff]), derived_mac)
    });
    buf.clear();
    buf.extend_from_slice(&dst.0);
    buf.extend_from_slice(&src.0);
    buf.extend_from_slice(&d.ethertype.to_be_bytes());
    buf.extend_from_slice(d.l3);
}

/// Why a replay stopped early.
#[derive(Debug)]
pub enum ReplayError {
    /// The capture is damaged (offset and packet index inside).
    Capture(super::Error),
    /// An output could not be written.
    Output(io::Error),
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::Capture(e) => write!(f, "{e}"),
            ReplayError::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

/// One line of verdicts.jsonl. Hand-written: it runs once per packet and all
/// its strings are ours (interface names are checked device names).
fn write_verdict(
    out: &mut Vec<u8>,
    text: &mut String,
    record: &Record<'_>,
    names: &[Vec<u8>],
    ingress: Ingress,
    outcome: Option<Outcome>,
) {
    let name = |i: IfIndex| names.get(i as usize - 1).map_or(&b"\"?\""[..], |n| n.as_slice());
    let (secs, nanos) = record.ts.secs_nanos();
    out.extend_from_slice(b"{\"index\":");
    push_u64(out, record.index);
    out.extend_from_slice(b",\"time\":\"");
    push_u64(out, secs);
    out.push(b'.');
    push_padded9(out, nanos);
    out.extend_from_slice(b"\",\"ingress\":");
    match ingress {
        Ingress::Iface(i) => out.extend_from_slice(name(i)),
        Ingress::Skip(_) => out.extend_from_slice(b"null"),
    }
    let (verdict, fate, egress, reason): (&str, &str, Option<IfIndex>, Option<DropReason>) =
        match (ingress, outcome.map(|o| o.fate)) {
            (Ingress::Skip(_), _) | (_, None) => ("skip", "skip", None, None),
            (_, Some(Fate::Local)) => ("accept", "local", None, None),
            (_, Some(Fate::Forwarded { oif })) => ("accept", "forward", Some(oif), None),
            (_, Some(Fate::Arp)) => ("accept", "arp", None, None),
            (_, Some(Fate::Dropped(r))) => ("drop", "drop", None, Some(r)),
        };
    out.extend_from_slice(b",\"verdict\":\"");
    out.extend_from_slice(verdict.as_bytes());
    out.extend_from_slice(b"\",\"fate\":\"");
    out.extend_from_slice(fate.as_bytes());
    out.extend_from_slice(b"\",\"egress\":");
    match egress {
        Some(i) => out.extend_from_slice(name(i)),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reason\":");
    match (ingress, reason) {
        (Ingress::Skip(why), _) => push_ours(out, why),
        (_, Some(r)) => {
            text.clear();
            let _ = write!(text, "{r}");
            push_ours(out, text);
        }
        _ => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reply\":");
    match outcome.and_then(|o| o.reply) {
        Some(reply) => {
            text.clear();
            let _ = write!(text, "{reply}");
            push_ours(out, text);
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}\n");
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_padded9(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [b'0'; 9];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits);
}

/// A JSON string made of nfsim's own words, which never need escaping.
fn push_ours(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20), "{s:?} needs escaping");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// A JSON string; escapes what JSON requires.
fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[(b >> 4) as usize]);
                out.push(b"0123456789abcdef"[(b & 15) as usize]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

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
