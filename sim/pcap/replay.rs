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

use super::egress::EgressCapture;
use super::link::{PacketType, decap};
use super::record::Direction;
use super::rule_names::RuleNames;
use super::verdict::{VerdictLine, push_str};
use super::{Reader, Record};
use crate::engine::Instant;
use crate::net::iface::{Iface, derived_mac};
use crate::net::{DropReason, Fate, Host, Outcome, Reply, Tx};
use crate::skb::IfIndex;
use crate::wire::EthernetAddress;
use rustc_hash::FxHashMap;
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
pub enum Ingress {
    /// By this interface.
    Iface(IfIndex),
    /// Not at all, for this reason.
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
    /// Fragments held for reassembly.
    pub queued: u64,
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

/// Adapts an egress capture to the box's transmit side, counting frames.
struct Egress<'w> {
    capture: &'w mut dyn EgressCapture,
    egress: &'w mut Vec<u64>,
    error: Option<io::Error>,
}

impl Tx for Egress<'_> {
    fn transmit(&mut self, now: Instant, iface: &Iface, frame: &[u8]) {
        let i = iface.index as usize;
        if i >= self.egress.len() {
            self.egress.resize(i + 1, 0);
        }
        self.egress[i] += 1;
        if let Err(e) = self.capture.write(now, iface, frame) {
            self.error.get_or_insert(e);
        }
    }
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
    /// Stop [`Replay::run`] once this many packets were replayed (the rest
    /// stays unread in the reader).
    pub stop_after: Option<u64>,
    /// The verdict line, reused.
    line: VerdictLine,
    /// The deciding rules' names, kept while they repeat.
    rules: RuleNames,
    /// Counts not yet added to `tally` (a map update per packet costs more
    /// than the rest of the bookkeeping): frames by interface index, and
    /// the latest drop reason and reply with their runs.
    pending: Pending,
}

/// Tally counts held back until the end of [`Replay::run`].
#[derive(Debug, Default)]
struct Pending {
    egress: Vec<u64>,
    drop: Option<(DropReason, u64)>,
    reply: Option<(Reply, u64)>,
}

impl Pending {
    /// Moves every held count into `t`.
    fn flush(&mut self, t: &mut Tally) {
        for (i, n) in self.egress.iter_mut().enumerate() {
            if *n != 0 {
                *t.egress.entry(i as IfIndex).or_default() += std::mem::take(n);
            }
        }
        if let Some((r, n)) = self.drop.take() {
            *t.drops.entry(r).or_default() += n;
        }
        if let Some((r, n)) = self.reply.take() {
            *t.replies.entry(r).or_default() += n;
        }
    }
}

/// Adds one to the run of `key` in `slot`, moving a different key's run into `map`.
fn bump<K: Copy + Eq + std::hash::Hash>(slot: &mut Option<(K, u64)>, key: K, map: &mut FxHashMap<K, u64>) {
    match slot {
        Some((k, n)) if *k == key => *n += 1,
        _ => {
            if let Some((k, n)) = slot.replace((key, 1)) {
                *map.entry(k).or_default() += n;
            }
        }
    }
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
            stop_after: None,
            line: VerdictLine::default(),
            rules: RuleNames::default(),
            pending: Pending::default(),
        })
    }

    /// Replays every packet of `reader`, writing egress frames to `egress` and
    /// one JSON line per packet to `verdicts`. A damaged capture ends the
    /// replay with its error after every packet before the damage was replayed.
    /// Kernel log lines go to `log` as syslog lines (`<4>text`).
    pub fn run<R: Read, V: Write>(
        &mut self,
        reader: &mut Reader<R>,
        egress: &mut dyn EgressCapture,
        verdicts: &mut V,
        log: &mut dyn Write,
    ) -> Result<(), ReplayError> {
        let result = self.run_all(reader, egress, verdicts, log);
        self.pending.flush(&mut self.tally);
        result
    }

    fn run_all<R: Read, V: Write>(
        &mut self,
        reader: &mut Reader<R>,
        egress: &mut dyn EgressCapture,
        verdicts: &mut V,
        log: &mut dyn Write,
    ) -> Result<(), ReplayError> {
        loop {
            if self.stop_after.is_some_and(|n| self.tally.packets >= n) {
                return Ok(());
            }
            let offset = reader.offset();
            let (record, capture_name) = match reader.next_with_interface() {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(()),
                Err(e) => return Err(ReplayError::Capture(e)),
            };
            let capture_name = capture_name.and_then(|i| i.name.as_deref());
            self.step(&record, capture_name, egress, verdicts, log)?;
            if self.tally.packets.is_multiple_of(65536)
                && let Some(progress) = &mut self.progress
            {
                progress(offset);
            }
        }
    }

    /// Replays one packet of a capture as [`Replay::run`] does: its verdict
    /// line to `verdicts`, the kernel log lines it caused to `log`. The
    /// deciding rule is [`Replay::last_rule`] until the next packet.
    ///
    /// # Errors
    /// Writing an output failed.
    #[inline]
    pub fn step<V: Write>(
        &mut self,
        record: &Record<'_>,
        capture_name: Option<&str>,
        egress: &mut dyn EgressCapture,
        verdicts: &mut V,
        log: &mut dyn Write,
    ) -> Result<Option<Outcome>, ReplayError> {
        let (ingress, outcome) = self.one(record, capture_name, egress).map_err(ReplayError::Output)?;
        self.rules.set(&self.host.netfilter, self.host.netfilter.decided);
        let rule = self.rules.name();
        let ct = self.host.netfilter.ct_state;
        let left = matches!(outcome.map(|o| o.fate), Some(Fate::Forwarded { .. } | Fate::Local));
        let nat = if left { self.host.netfilter.nat_endpoints() } else { None };
        let nf = super::verdict::Netfilter { rule, ct, nat };
        let bytes = self.line.render(record, &self.json_names, ingress, outcome, nf);
        verdicts.write_all(bytes).map_err(ReplayError::Output)?;
        if !self.host.klog.records().is_empty() {
            // Streamed out as it comes: the log never grows with the capture.
            let mut text = String::new();
            crate::klog::Klog::write_syslog(&mut text, &self.host.klog.drain());
            log.write_all(text.as_bytes()).map_err(ReplayError::Output)?;
        }
        Ok(outcome)
    }

    /// The rule that decided the last packet (`table/CHAIN/N`, or
    /// `filter/CHAIN/policy`), if one did.
    pub fn last_rule(&self) -> Option<&str> {
        self.rules.text()
    }

    /// The box.
    pub fn host(&mut self) -> &mut Host {
        self.rules.forget();
        self.host
    }

    /// Moves counts held back during [`Replay::step`]s into [`Replay::tally`].
    pub fn flush_tally(&mut self) {
        self.pending.flush(&mut self.tally);
    }

    /// The box, to read.
    pub fn host_ref(&self) -> &Host {
        self.host
    }

    /// Replays one packet outside [`Replay::run`]: `iface` (a box interface
    /// or a capture interface name) places it; else the replay's rules do.
    ///
    /// # Errors
    /// Writing an egress frame failed.
    pub fn feed(
        &mut self,
        record: &Record<'_>,
        iface: Option<&str>,
        egress: &mut dyn EgressCapture,
    ) -> io::Result<(Ingress, Option<Outcome>)> {
        let got = self.one(record, iface, egress);
        self.pending.flush(&mut self.tally);
        got
    }

    fn one(
        &mut self,
        record: &Record<'_>,
        capture_name: Option<&str>,
        egress: &mut dyn EgressCapture,
    ) -> io::Result<(Ingress, Option<Outcome>)> {
        let t = &mut self.tally;
        t.packets += 1;
        t.span = Some(t.span.map_or((record.ts, record.ts), |(a, _)| (a, record.ts)));
        let ingress = if record.link == super::LinkType::Ethernet
            && record.data.len() >= 14
            && record.direction != Some(Direction::Outbound)
        {
            // Nearly every capture: the box parses the Ethernet header
            // itself; placing the frame needs only what it carries.
            let ethertype = u16::from_be_bytes([record.data[12], record.data[13]]);
            self.ingress(capture_name, None, ethertype, &record.data[14..])
        } else {
            self.place_other(record, capture_name)
        };
        let iif = match ingress {
            Ingress::Iface(i) => i,
            Ingress::Skip(why) => {
                // What the box said of the packet before is not said of this
                // one (a packet it receives starts afresh in `Host::receive`).
                self.host.netfilter.begin_packet();
                *self.tally.skips.entry(why).or_default() += 1;
                return Ok((ingress, None));
            }
        };
        // `place_other` gave a frame without an Ethernet header one.
        let frame: &[u8] = if record.link == super::LinkType::Ethernet { record.data } else { &self.frame };
        let mut tx = Egress { capture: egress, egress: &mut self.pending.egress, error: None };
        self.host.advance(record.ts, &mut tx);
        let outcome = self.host.receive(record.ts, iif, frame, &mut tx);
        if let Some(e) = tx.error {
            return Err(e);
        }
        let t = &mut self.tally;
        match outcome.fate {
            Fate::Local => t.local += 1,
            Fate::Forwarded { .. } | Fate::Bridged { .. } => t.forwarded += 1,
            Fate::Arp => t.arp += 1,
            Fate::Queued => t.queued += 1,
            Fate::Dropped(reason) => bump(&mut self.pending.drop, reason, &mut t.drops),
        }
        if let Some(reply) = outcome.reply {
            bump(&mut self.pending.reply, reply, &mut t.replies);
        }
        Ok((ingress, Some(outcome)))
    }

    /// Where a frame other than a plain inbound Ethernet one enters (or why
    /// it does not), through its link header; a frame placed without an
    /// Ethernet header gets one in `self.frame`.
    #[inline(never)]
    fn place_other(&mut self, record: &Record<'_>, capture_name: Option<&str>) -> Ingress {
        let d = match decap(record.link, record.data) {
            Err(super::link::DecapError::Unsupported(_)) => return Ingress::Skip("unsupported link type"),
            Err(_) => return Ingress::Skip("truncated link-layer header"),
            Ok(d) => d,
        };
        if record.direction == Some(Direction::Outbound) || d.pkttype == Some(PacketType::Outgoing) {
            return Ingress::Skip("outbound in capture");
        }
        let ingress = self.ingress(capture_name, d.ifindex, d.ethertype, d.l3);
        if let Ingress::Iface(iif) = ingress
            && record.link != super::LinkType::Ethernet
        {
            let iface = self.host.iface(iif).expect("ingress interfaces exist");
            build_ethernet(&mut self.frame, iface.mac, &d);
        }
        ingress
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
