//! Port scans: `scan syn|connect|udp ADDR ports A-B[,C...] [rate R/s]
//! [timeout T]`, reporting each port as nmap does, then a summary.
//!
//! - `syn`: raw SYNs (window 1024, MSS 1460, as nmap's). SYN/ACK: `open`,
//!   and the scanner resets the half-open connection (the RST the kernel
//!   sends for a SYN/ACK no socket expects); RST: `closed`; ICMP
//!   unreachable codes 1, 2, 3, 9, 10, 13: `filtered`; no answer to the
//!   probe and its one retransmission: `filtered`.
//! - `connect`: `connect()` through the TCP stack: established: `open`
//!   (closed at once by RST, as nmap's zero-linger close); refused:
//!   `closed`; ICMP unreachable or no answer: `filtered`.
//! - `udp`: empty datagrams. A UDP reply: `open`; ICMP port unreachable:
//!   `closed`; other unreachables (0, 1, 2, 9, 10, 13): `filtered`; no
//!   answer after a retransmission: `open|filtered`.
//!
//! Ports are probed in a random order drawn from the app's stream (nmap
//! randomises too), at most `rate` probes per second (100 by default,
//! retransmissions included); a probe waits `timeout` (1 s) for its answer.
//! The reason each port got its state is given as nmap's `--reason` words.

use super::tcp::client::{Conn, ConnEvent};
use super::tcp::stack::{SockOpts, Stack};
use super::{App, Cx};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use crate::wire::{IpProtocol, Ipv4Packet, spec};
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;

/// Which scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanKind {
    /// Half-open TCP (`nmap -sS`).
    Syn,
    /// Full TCP connections (`nmap -sT`).
    Connect,
    /// UDP (`nmap -sU`).
    Udp,
}

impl ScanKind {
    /// Its word on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ScanKind::Syn => "syn",
            ScanKind::Connect => "connect",
            ScanKind::Udp => "udp",
        }
    }
}

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanSpec {
    /// Which scan.
    pub kind: ScanKind,
    /// The target.
    pub target: Ipv4Addr,
    /// The ports, ascending, each once.
    pub ports: Vec<u16>,
    /// Probes per second.
    pub rate: u64,
    /// How long a probe waits for its answer.
    pub timeout: Duration,
}

/// Parses `A-B[,C...]` into ascending distinct ports.
pub fn parse_ports(s: &str) -> Result<Vec<u16>, String> {
    let mut v = Vec::new();
    for part in s.split(',') {
        let num = |x: &str| x.parse::<u16>().ok().filter(|p| *p > 0).ok_or(format!("invalid port `{x}'"));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("invalid port range `{part}'"));
                }
                v.extend(a..=b);
            }
            None => v.push(num(part)?),
        }
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// What a port turned out to be, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Verdict {
    state: &'static str,
    reason: &'static str,
}

/// One port's probing.
#[derive(Default)]
struct Probe {
    tries: u8,
    verdict: Option<Verdict>,
}

/// A scan in progress.
pub struct Scan {
    spec: ScanSpec,
    src: Option<Ipv4Addr>,
    /// The raw scans' source port (claimed, so answers reach the scan).
    sport: u16,
    fresh: VecDeque<u16>,
    retry: VecDeque<u16>,
    probes: BTreeMap<u16, Probe>,
    /// Ports still without a verdict.
    undecided: usize,
    /// Probes waiting for their answer, `(deadline, port, tries)`: sent in
    /// time order with one timeout, so their deadlines come in order too.
    waiting: VecDeque<(Instant, u16, u8)>,
    next_send: Option<Instant>,
    started: Instant,
    stack: Option<Stack>,
    conns: BTreeMap<u16, Conn>,
    done: bool,
}

impl Scan {
    /// A scan for `spec`.
    pub fn new(spec: ScanSpec) -> Scan {
        Scan {
            spec,
            src: None,
            sport: 0,
            fresh: VecDeque::new(),
            retry: VecDeque::new(),
            probes: BTreeMap::new(),
            undecided: 0,
            waiting: VecDeque::new(),
            next_send: None,
            started: Instant::ZERO,
            stack: None,
            conns: BTreeMap::new(),
            done: false,
        }
    }

    fn name(&self) -> String {
        format!("scan {} {}", self.spec.kind.name(), self.spec.target)
    }

    fn interval(&self) -> Duration {
        Duration::from_nanos(1_000_000_000 / self.spec.rate.max(1))
    }

    /// Records `port`'s verdict unless it already has one.
    fn decide(&mut self, port: u16, state: &'static str, reason: &'static str) {
        if let Some(p) = self.probes.get_mut(&port)
            && p.verdict.is_none()
        {
            p.verdict = Some(Verdict { state, reason });
            self.undecided -= 1;
        }
    }

    /// Sends the probe for `port`.
    fn probe(&mut self, cx: &mut Cx<'_>, port: u16) {
        let (src, dst) = (self.src.expect("started"), self.spec.target);
        let wait = match self.spec.kind {
            ScanKind::Syn => {
                let (seq, id) = (cx.rng.next_u32(), cx.rng.below(65536));
                let text =
                    format!("tcp {src}:{} > {dst}:{port} flags S seq {seq} win 1024 mss 1460 ipid {id}", self.sport);
                cx.send(&spec::craft(&text).expect("a well-formed spec").ip);
                self.spec.timeout
            }
            ScanKind::Udp => {
                let id = cx.rng.below(65536);
                let text = format!("udp {src}:{} > {dst}:{port} len 0 ipid {id}", self.sport);
                cx.send(&spec::craft(&text).expect("a well-formed spec").ip);
                self.spec.timeout
            }
            ScanKind::Connect => {
                let stack = self.stack.get_or_insert_with(|| Stack::new(cx.rng.next_u64(), cx.now));
                let Some(lport) = cx.ephemeral_port(SockProto::Tcp) else {
                    self.decide(port, "filtered", "no-local-port");
                    return;
                };
                match Conn::open(stack, cx, (src, lport), (dst, port), 0, false, SockOpts::default()) {
                    Ok(c) => {
                        self.conns.insert(port, c);
                        stack.poll(cx);
                    }
                    Err(_) => self.decide(port, "filtered", "no-local-port"),
                }
                self.spec.timeout
            }
        };
        // connect() retransmits its SYN itself: the scan does not.
        let tries = if self.spec.kind == ScanKind::Connect { 2 } else { 1 };
        if let Some(p) = self.probes.get_mut(&port) {
            p.tries += tries;
            if p.verdict.is_none() {
                self.waiting.push_back((cx.now + wait, port, p.tries));
            }
        }
    }

    /// Ports whose wait is over: a retransmission, or no answer at all.
    fn expire(&mut self, cx: &mut Cx<'_>) {
        let silent = if self.spec.kind == ScanKind::Udp { "open|filtered" } else { "filtered" };
        while let Some(&(at, port, tries)) = self.waiting.front() {
            if at > cx.now {
                break;
            }
            self.waiting.pop_front();
            // Answered meanwhile, or probed again since: nothing to do.
            if self.probes.get(&port).is_none_or(|p| p.verdict.is_some() || p.tries != tries) {
                continue;
            }
            if tries < 2 {
                self.retry.push_back(port);
            } else {
                self.decide(port, silent, "no-response");
                self.give_up(cx, port);
            }
        }
        if !self.retry.is_empty() && self.next_send.is_none() {
            self.next_send = Some(cx.now);
        }
    }

    /// Closes the connect scan's socket for `port` while its SYN is
    /// unanswered (or answered by an ICMP error): Linux sends nothing for a
    /// socket closed in SYN_SENT (`tcp_need_reset`).
    fn give_up(&mut self, cx: &mut Cx<'_>, port: u16) {
        let (Some(stack), Some(c)) = (&mut self.stack, self.conns.get(&port)) else { return };
        if stack.get(c.handle).state() != smoltcp::socket::tcp::State::SynSent {
            return;
        }
        let c = self.conns.remove(&port).expect("found");
        stack.sockets.remove(c.handle);
        cx.host.sockets.release(SockProto::Tcp, c.local.1, Some(c.remote));
    }

    /// Moves the connect scan's sockets along.
    fn connect_step(&mut self, cx: &mut Cx<'_>) {
        let Some(stack) = &mut self.stack else { return };
        stack.poll(cx);
        let mut found = Vec::new();
        for (port, c) in &mut self.conns {
            for e in c.step(stack, cx) {
                match e {
                    ConnEvent::Connected => {
                        found.push((*port, "open", "syn-ack"));
                        stack.get(c.handle).abort();
                    }
                    ConnEvent::Ended(how) if how == "connection refused" => {
                        found.push((*port, "closed", "conn-refused"))
                    }
                    ConnEvent::Ended(_) => {}
                }
            }
        }
        stack.poll(cx);
        for (port, state, reason) in found {
            self.decide(port, state, reason);
        }
        self.conns.retain(|_, c| !c.done);
    }

    /// The answer `ip` gives about one of our probes, if it is one.
    fn answer(&self, ip: &[u8]) -> Option<(u16, &'static str, &'static str)> {
        let p = Ipv4Packet::new_checked(ip).ok()?;
        let l4 = p.payload();
        match p.next_header() {
            IpProtocol::Tcp if self.spec.kind == ScanKind::Syn && l4.len() >= 14 => {
                let port = u16::from_be_bytes([l4[0], l4[1]]);
                match l4[13] & 0x16 {
                    0x12 => Some((port, "open", "syn-ack")),
                    f if f & 0x04 != 0 => Some((port, "closed", "reset")),
                    _ => None,
                }
            }
            IpProtocol::Udp if self.spec.kind == ScanKind::Udp && l4.len() >= 8 => {
                Some((u16::from_be_bytes([l4[0], l4[1]]), "open", "udp-response"))
            }
            IpProtocol::Icmp if l4.len() >= 8 + 20 + 4 && l4[0] == 3 => {
                let inner = Ipv4Packet::new_checked(&l4[8..]).ok()?;
                let q = l4.get(8 + inner.header_len()..8 + inner.header_len() + 4)?;
                let port = u16::from_be_bytes([q[2], q[3]]);
                let (state, reason) = match (self.spec.kind, l4[1]) {
                    (ScanKind::Udp, 3) => ("closed", "port-unreach"),
                    (ScanKind::Udp, 0) => ("filtered", "net-unreach"),
                    (_, 1) => ("filtered", "host-unreach"),
                    (_, 2) => ("filtered", "proto-unreach"),
                    (_, 3) => ("filtered", "port-unreach"),
                    (_, 9 | 10 | 13) => ("filtered", "admin-prohibited"),
                    _ => return None,
                };
                Some((port, state, reason))
            }
            _ => None,
        }
    }

    /// Every port has its verdict: one line each, ascending, then the summary.
    fn report(&mut self, cx: &mut Cx<'_>) {
        self.done = true;
        let (name, proto) = (self.name(), if self.spec.kind == ScanKind::Udp { "udp" } else { "tcp" });
        for (port, p) in &self.probes {
            let v = p.verdict.expect("every port decided");
            cx.say(format!("{name}: {port}/{proto} {} ({})", v.state, v.reason));
        }
        let took = cx.now.as_nanos().saturating_sub(self.started.as_nanos());
        let count = |s: &str| self.probes.values().filter(|p| p.verdict.is_some_and(|v| v.state == s)).count();
        let states: Vec<String> = ["open", "closed", "filtered", "open|filtered"]
            .iter()
            .filter(|s| count(s) > 0)
            .map(|s| format!("{} {s}", count(s)))
            .collect();
        let secs = format!("{}.{:03}s", took / 1_000_000_000, took % 1_000_000_000 / 1_000_000);
        cx.say(format!("{name}: {} ports scanned in {secs}: {}", self.probes.len(), states.join(", ")));
    }
}

impl App for Scan {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Some(src) = cx.source_for(self.spec.target) else {
            return cx.say(format!("{}: Network is unreachable", self.name()));
        };
        self.src = Some(src);
        self.started = cx.now;
        // A random order, drawn from the app's stream (Fisher-Yates).
        let mut order = self.spec.ports.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, cx.rng.below(i as u32 + 1) as usize);
        }
        self.fresh = order.into();
        self.probes = self.spec.ports.iter().map(|p| (*p, Probe::default())).collect();
        self.undecided = self.probes.len();
        if self.spec.kind != ScanKind::Connect {
            let proto = if self.spec.kind == ScanKind::Syn { SockProto::Tcp } else { SockProto::Udp };
            match cx.ephemeral_port(proto) {
                Some(p) if cx.bind(proto, p, None) => self.sport = p,
                _ => return cx.say(format!("{}: no free local port", self.name())),
            }
        }
        self.next_send = Some(cx.now);
        self.timer(cx);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        if self.done {
            return;
        }
        if let Some((port, state, reason)) = self.answer(ip) {
            let fresh = self.probes.get(&port).is_some_and(|p| p.verdict.is_none());
            self.decide(port, state, reason);
            // A SYN/ACK to a raw scan: the stack resets it (no socket asked).
            if fresh && self.spec.kind == ScanKind::Syn && reason == "syn-ack" {
                let p = Ipv4Packet::new_unchecked(ip);
                let ack = u32::from_be_bytes(p.payload()[8..12].try_into().expect("checked length"));
                let (src, dst) = (self.src.expect("started"), self.spec.target);
                let text = format!("tcp {src}:{} > {dst}:{port} flags R seq {ack} win 0 df", self.sport);
                cx.send(&spec::craft(&text).expect("a well-formed spec").ip);
            }
            self.give_up(cx, port);
        }
        if let Some(stack) = &mut self.stack {
            for c in self.conns.values_mut() {
                c.saw(ip);
            }
            stack.input(ip);
        }
        self.timer(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        if self.done || self.src.is_none() {
            return;
        }
        self.connect_step(cx);
        self.expire(cx);
        while self.next_send.is_some_and(|t| t <= cx.now) {
            let Some(port) = self.retry.pop_front().or_else(|| self.fresh.pop_front()) else {
                self.next_send = None;
                break;
            };
            self.probe(cx, port);
            self.next_send = Some(self.next_send.expect("checked") + self.interval());
        }
        self.connect_step(cx);
        if self.undecided == 0 && self.conns.is_empty() {
            self.report(cx);
        }
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        if self.done {
            return None;
        }
        // Skip what no longer waits, so the wake-up is a real one.
        while let Some(&(_, port, tries)) = self.waiting.front() {
            if self.probes.get(&port).is_some_and(|p| p.verdict.is_none() && p.tries == tries) {
                break;
            }
            self.waiting.pop_front();
        }
        let deadline = self.waiting.front().map(|w| w.0);
        let stack = self.stack.as_mut().and_then(|s| s.poll_at(now));
        [self.next_send, deadline, stack].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn port_lists_and_ranges() {
        assert_eq!(parse_ports("22,80-82,22").unwrap(), [22, 80, 81, 82]);
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("90-80").is_err());
        assert!(parse_ports("http").is_err());
    }
}

#[cfg(test)]
mod scenario_test {
    use crate::scenario::{Options, parse, run};

    fn scan_log(rules: &str, scan: &str, seed: u64) -> Vec<String> {
        let text = format!(
            "host s eth0 10.0.0.1/24\nhost t eth0 10.0.0.2/24\n{rules}at 0 t tcp listen 22\nat 1ms s {scan}\nrun 10s\n"
        );
        let s = parse::parse(&text, "t.nfs").expect("parses");
        let out = run::run(&s, &Options { seed: Some(seed), ..Options::default() }).expect("runs");
        out.world.nodes[0].app_log.clone()
    }

    #[test]
    fn syn_scan_reads_answers_as_nmap_does() {
        let rules = "on t iptables -A INPUT -p tcp --dport 23 -j DROP\n\
                     on t iptables -A INPUT -p tcp --dport 24 -j REJECT --reject-with icmp-host-prohibited\n";
        let log = scan_log(rules, "scan syn 10.0.0.2 ports 21-24", 1);
        assert_eq!(
            log,
            [
                "scan syn 10.0.0.2: 21/tcp closed (reset)",
                "scan syn 10.0.0.2: 22/tcp open (syn-ack)",
                "scan syn 10.0.0.2: 23/tcp filtered (no-response)",
                "scan syn 10.0.0.2: 24/tcp filtered (admin-prohibited)",
                "scan syn 10.0.0.2: 4 ports scanned in 2.020s: 1 open, 1 closed, 2 filtered",
            ]
        );
    }

    #[test]
    fn the_probe_order_is_random_but_seeded() {
        let order = |seed| {
            let text = "host s eth0 10.0.0.1/24\nhost t eth0 10.0.0.2/24\n\
                        at 0 s scan udp 10.0.0.2 ports 1-20 rate 1000/s\nrun 5s\nexpect t saw udp\n";
            let s = parse::parse(text, "t.nfs").unwrap();
            let out = run::run(&s, &Options { seed: Some(seed), ..Options::default() }).unwrap();
            out.world.nodes[1].saw.clone().unwrap().into_iter().take(20).collect::<Vec<_>>()
        };
        let a = order(1);
        assert_eq!(a.len(), 20);
        assert_eq!(a, order(1));
        assert_ne!(a, order(2));
        assert!(!a[0].contains(":1 len") || !a[1].contains(":2 len"), "not in ascending order: {a:?}");
    }
}
