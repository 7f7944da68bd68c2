//! Reverse lookups as a program linked with glibc makes them, one after
//! the other: `gethostbyaddr` (`/etc/hosts`, then a PTR query through the
//! stub resolver), then, for iptables, `getnetbyaddr` (`/etc/networks`).
//! No cache: without nscd every call asks again.
//!
//! The query loop follows glibc's `__res_context_send` and `send_dg`
//! (resolv/res_send.c), read for behaviour:
//!
//! - `attempts` rounds; in each, the nameservers in file order.
//! - The wait for nameserver number `ns` (0-based) is `timeout << ns`
//!   seconds, divided by the number of nameservers when `ns > 0`, and at
//!   least one second. With one server every wait is `timeout`; with the
//!   defaults (5 s, 2 attempts) and three servers a round waits 5 + 3 + 6
//!   seconds, so an unanswered lookup costs 28 s.
//! - Each nameserver has its own connected UDP socket (an ephemeral port
//!   of its own), kept across rounds while it merely times out, so a
//!   retry is the same conntrack entry. The query, and its id, is the
//!   same in every round.
//! - The sockets have `IP_RECVERR` on: any ICMP error about a query
//!   (port or host unreachable, administratively prohibited) ends the
//!   wait at once, closes every socket and moves to the next server. So
//!   does a send that fails (no route; OUTPUT dropped it, EPERM).
//! - An answer with another id or question is ignored and the wait goes
//!   on to its end. SERVFAIL, NOTIMP, REFUSED and a bare referral (no
//!   records, neither AA nor RA) move to the next server; anything else,
//!   NXDOMAIN included, is the answer and ends the lookup.
//! - After the lookup every socket is closed: the next one starts with
//!   new ports.
//!
//! Not modelled: TCP fallback on a truncated answer (taken as it is),
//! `options rotate`, datagrams that reach a socket other than the one
//! being waited on (dropped here; glibc would read them later).

use super::conf::{self, ResolvConf};
use super::wire::{self, Message, Rdata, rcode};
use crate::apps::{App, Cx, icmp_error_text};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use crate::wire::{IpProtocol, Ipv4Packet};
use std::cell::RefCell;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// The DNS port.
const PORT: u16 = 53;

/// What a lookup found, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// `/etc/hosts` named the address.
    Hosts(String),
    /// A nameserver's PTR answer.
    Dns(String),
    /// `/etc/networks` named it (no host name was found).
    Network(String),
    /// Nothing: the address is printed as it is.
    Nothing,
}

impl Resolved {
    /// The name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Resolved::Hosts(n) | Resolved::Dns(n) | Resolved::Network(n) => Some(n),
            Resolved::Nothing => None,
        }
    }
}

#[derive(Default)]
struct State {
    results: Vec<Resolved>,
    finished_at: Option<Instant>,
}

/// The caller's end of a [`ReverseLookups`] app: what it found so far and
/// when it finished.
#[derive(Clone, Default)]
pub struct Lookups(Rc<RefCell<State>>);

impl Lookups {
    /// True once every address was looked up.
    pub fn done(&self) -> bool {
        self.0.borrow().finished_at.is_some()
    }

    /// When the last lookup ended.
    pub fn finished_at(&self) -> Option<Instant> {
        self.0.borrow().finished_at
    }

    /// One result per address asked, in order.
    pub fn results(&self) -> Vec<Resolved> {
        self.0.borrow().results.clone()
    }
}

/// The files a lookup reads, as they were when the program started.
#[derive(Clone, Debug)]
pub struct Files {
    /// `/etc/resolv.conf`, parsed.
    pub conf: ResolvConf,
    /// `/etc/hosts` text.
    pub hosts: String,
    /// `/etc/networks` text; `None` for `gethostbyaddr` alone.
    pub networks: Option<String>,
}

impl Files {
    /// The host's files (defaults for those never written).
    pub fn of(host: &crate::net::Host) -> Files {
        let get = |p: &str| host.files.get(p).map(String::as_str);
        Files {
            conf: conf::resolv_conf(get(conf::RESOLV_CONF)),
            hosts: get(conf::HOSTS).unwrap_or(conf::DEFAULT_HOSTS).to_string(),
            networks: Some(get(conf::NETWORKS).unwrap_or(conf::DEFAULT_NETWORKS).to_string()),
        }
    }
}

/// One `res_send` in progress.
struct Query {
    /// The address being looked up.
    addr: Ipv4Addr,
    /// The query's bytes (the same in every round).
    bytes: Vec<u8>,
    id: u16,
    name: String,
    /// Round number.
    round: i32,
    /// Index of the nameserver being tried.
    ns: usize,
    /// Open sockets: the local port per nameserver.
    socks: [Option<u16>; conf::NAMESERVERS_MAX],
    /// While waiting on `ns`: when the wait ends.
    deadline: Option<Instant>,
}

/// Looks up a list of addresses, one after the other, and reports through
/// a [`Lookups`].
pub struct ReverseLookups {
    addrs: Vec<Ipv4Addr>,
    files: Files,
    out: Lookups,
    query: Option<Query>,
}

impl ReverseLookups {
    /// An app looking up `addrs` with `files`, reporting to the returned
    /// handle.
    pub fn new(addrs: Vec<Ipv4Addr>, files: Files) -> (ReverseLookups, Lookups) {
        let out = Lookups::default();
        (ReverseLookups { addrs, files, out: out.clone(), query: None }, out)
    }

    /// The wait for nameserver `ns` (see the module comment).
    fn wait_for(&self, ns: usize) -> Duration {
        let count = self.files.conf.nameservers.len() as i64;
        let mut s = i64::from(self.files.conf.timeout_s) << ns;
        if ns > 0 {
            s /= count;
        }
        Duration::from_secs(s.max(1) as u64)
    }

    /// Takes lookups as far as they go without waiting.
    fn advance(&mut self, cx: &mut Cx<'_>) {
        // Bounded: each pass settles one address or one send.
        for _ in 0..(self.addrs.len() + 1) * (conf::NAMESERVERS_MAX * 8 + 2) {
            let done = self.out.0.borrow().results.len();
            match &self.query {
                None => {
                    let Some(&addr) = self.addrs.get(done) else {
                        self.out.0.borrow_mut().finished_at.get_or_insert(cx.now);
                        return;
                    };
                    match conf::host_by_addr(&self.files.hosts, addr) {
                        Some(n) => self.out.0.borrow_mut().results.push(Resolved::Hosts(n)),
                        None => self.query = Some(self.new_query(cx, addr)),
                    }
                }
                Some(q) if q.deadline.is_some() => return,
                Some(q) if q.round >= self.files.conf.attempts => self.finish(cx, None),
                Some(_) => self.send(cx),
            }
        }
    }

    fn new_query(&self, cx: &mut Cx<'_>, addr: Ipv4Addr) -> Query {
        let id = cx.rng.next_u32() as u16;
        let name = wire::reverse_name(addr);
        let bytes = Message::query(id, &name, wire::TYPE_PTR).emit().expect("an in-addr.arpa name fits");
        Query { addr, bytes, id, name, round: 0, ns: 0, socks: [None; conf::NAMESERVERS_MAX], deadline: None }
    }

    /// Sends the query to the current nameserver, opening its socket if
    /// needed; on failure moves on to the next one.
    fn send(&mut self, cx: &mut Cx<'_>) {
        let server = self.files.conf.nameservers[self.query.as_ref().expect("sending").ns];
        let wait = self.wait_for(self.query.as_ref().expect("sending").ns);
        let q = self.query.as_mut().expect("sending");
        // connect(): a route picks the source address, the port is drawn at random.
        let port = match (q.socks[q.ns], cx.source_for(server)) {
            (Some(p), _) => Some(p),
            (None, Some(_)) => {
                cx.ephemeral_port(SockProto::Udp).filter(|p| cx.bind(SockProto::Udp, *p, Some((server, PORT))))
            }
            (None, None) => None,
        };
        let Some(port) = port else {
            self.next_server(cx, true);
            return;
        };
        q.socks[q.ns] = Some(port);
        let src = cx.source_for(server).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let sent = super::udp_datagram((src, port), (server, PORT), &q.bytes).is_some_and(|d| cx.send(&d));
        if sent {
            q.deadline = Some(cx.now + wait);
        } else {
            self.next_server(cx, true);
        }
    }

    /// On to the next nameserver (the next round after the last);
    /// `close`: every socket is closed first (`__res_iclose`).
    fn next_server(&mut self, cx: &mut Cx<'_>, close: bool) {
        if close {
            self.close(cx);
        }
        let count = self.files.conf.nameservers.len();
        let Some(q) = &mut self.query else { return };
        q.deadline = None;
        q.ns += 1;
        if q.ns >= count {
            q.ns = 0;
            q.round += 1;
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        let Some(q) = &mut self.query else { return };
        for (i, s) in q.socks.iter_mut().enumerate() {
            if let Some(port) = s.take() {
                cx.host.sockets.release(SockProto::Udp, port, Some((self.files.conf.nameservers[i], PORT)));
            }
        }
    }

    /// The query ended with `name` (or none): the result, after
    /// `/etc/networks` when DNS found nothing.
    fn finish(&mut self, cx: &mut Cx<'_>, name: Option<String>) {
        self.close(cx);
        let Some(q) = self.query.take() else { return };
        let found = match name {
            Some(n) => Resolved::Dns(n),
            None => match self.files.networks.as_deref().and_then(|n| conf::net_by_addr(n, q.addr)) {
                Some(n) => Resolved::Network(n),
                None => Resolved::Nothing,
            },
        };
        self.out.0.borrow_mut().results.push(found);
    }

    /// A datagram for the socket being waited on: an answer or an ICMP error.
    fn received(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(q) = &self.query else { return };
        let (Some(port), Some(_)) = (q.socks[q.ns], q.deadline) else { return };
        let server = self.files.conf.nameservers[q.ns];
        if icmp_error_text(ip).is_some() {
            if quoted_source_port(ip) == Some(port) {
                self.next_server(cx, true);
            }
            return;
        }
        let Ok(p) = Ipv4Packet::new_checked(ip) else { return };
        let l4 = p.payload();
        if p.next_header() != IpProtocol::Udp || p.src_addr() != server || l4.len() < 8 {
            return;
        }
        if u16::from_be_bytes([l4[0], l4[1]]) != PORT || u16::from_be_bytes([l4[2], l4[3]]) != port {
            return;
        }
        let payload = &l4[8..];
        if payload.len() < wire::HEADER_LEN {
            return self.next_server(cx, true); // undersized: EMSGSIZE
        }
        let Ok(m) = wire::parse(payload) else { return };
        let matches = m.id == q.id
            && m.questions.len() == 1
            && wire::same_name(&m.questions[0].name, &q.name)
            && m.questions[0].qtype == wire::TYPE_PTR;
        if !matches {
            return; // spurious: keep waiting until the deadline
        }
        let referral = m.rcode == rcode::NOERROR
            && m.answers.is_empty()
            && !m.authoritative
            && !m.recursion_available
            && m.additional_count == 0;
        if matches!(m.rcode, rcode::SERVFAIL | rcode::NOTIMP | rcode::REFUSED) || referral {
            return self.next_server(cx, true);
        }
        let name = m.answers.iter().find_map(|r| match &r.data {
            Rdata::Ptr(n) if m.rcode == rcode::NOERROR => Some(n.clone()),
            _ => None,
        });
        self.finish(cx, name);
    }
}

/// The source port of the UDP datagram an ICMP error quotes.
fn quoted_source_port(ip: &[u8]) -> Option<u16> {
    let p = Ipv4Packet::new_checked(ip).ok()?;
    let quoted = p.payload().get(8..)?;
    let inner = Ipv4Packet::new_checked(quoted).ok()?;
    let b = quoted.get(inner.header_len()..inner.header_len() + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

impl App for ReverseLookups {
    fn start(&mut self, cx: &mut Cx<'_>) {
        self.advance(cx);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        self.received(cx, ip);
        self.advance(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        if self.query.as_ref().and_then(|q| q.deadline).is_some_and(|t| t <= cx.now) {
            self.next_server(cx, false);
        }
        self.advance(cx);
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.query.as_ref().and_then(|q| q.deadline)
    }
}
