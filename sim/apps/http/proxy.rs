//! `http proxy PORT [resolve NAME ADDR]...`: an intercepting HTTP proxy,
//! as squid with `http_port PORT intercept`. It accepts the connections
//! NAT turned to it, reads the request, finds the origin server
//! ([`super::intercept::decide`]: conntrack's original destination, else
//! the `Host` field), connects there from the box, forwards the request
//! and relays the answer back.
//!
//! It reports, per connection, where it forwards and how it learned that
//! (`proxy: 192.168.1.10:40000 -> original destination 198.51.100.80:80`),
//! and when done a line shaped as squid's access.log (`192.168.1.10
//! TCP_MISS/200 1048770 GET http://198.51.100.80/index.html
//! ORIGINAL_DST/198.51.100.80`). An origin that refuses gets the client a
//! 503, one that never answers (squid's `connect_timeout`, a minute) a 504.

use super::intercept::{Via, decide, forwarded, is_loop};
use super::message::{HeadBuf, Request, Response, reason};
use super::{Outbox, recv_all, recv_up_to};
use crate::apps::tcp::lines::v4;
use crate::apps::tcp::stack::{Sock, SockOpts, Stack, tcp_flags};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use crate::net::sockets::SockProto;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use std::net::Ipv4Addr;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySpec {
    /// The port NAT sends connections to (3128).
    pub port: u16,
    /// `resolve NAME ADDR`: names a `Host` field may carry.
    pub resolve: Vec<(String, Ipv4Addr)>,
}

/// squid's `connect_timeout`.
const CONNECT_SECS: u64 = 60;

/// Bytes read ahead of what the other side has taken (squid's
/// `read_ahead_gap`, 16 KB): past it the proxy stops reading, and TCP's
/// window holds the sender back.
const READ_AHEAD_BYTES: usize = 16384;

/// The forwarded exchange, once the destination is known.
struct Upstream {
    sock: Sock,
    connected: bool,
    got_rst: bool,
    /// Why `connect()` failed, when an ICMP error said.
    error: Option<&'static str>,
    /// `ORIGINAL_DST/ADDR` or `HIER_DIRECT/ADDR`, for the access line.
    hier: String,
    /// The request, as the access line shows it.
    what: String,
    reply: HeadBuf,
    status: Option<u16>,
}

/// One client connection (or the listener waiting for one).
struct Session {
    down: SocketHandle,
    ends: Option<((Ipv4Addr, u16), (Ipv4Addr, u16))>,
    head: HeadBuf,
    up: Option<Upstream>,
    to_up: Outbox,
    to_down: Outbox,
    /// Bytes handed to the client.
    down_bytes: u64,
    /// Nothing more comes from upstream: close once `to_down` is out.
    finishing: bool,
    logged: bool,
}

/// `http proxy`.
pub struct HttpProxy {
    spec: ProxySpec,
    stack: Option<Stack>,
    sessions: Vec<Session>,
}

impl HttpProxy {
    /// A proxy for `spec`, not started.
    pub fn new(spec: ProxySpec) -> HttpProxy {
        HttpProxy { spec, stack: None, sessions: Vec::new() }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = self.stack.take() else { return };
        stack.poll(cx);
        let mut sessions = std::mem::take(&mut self.sessions);
        for s in &mut sessions {
            self.session(s, &mut stack, cx);
        }
        sessions.retain(|s| !gone(s, &mut stack, cx));
        self.sessions = sessions;
        if !self.sessions.iter().any(|s| stack.get(s.down).state() == State::Listen) {
            self.sessions.push(listener(&mut stack, self.spec.port));
        }
        stack.poll(cx);
        self.stack = Some(stack);
    }

    /// Moves one session along.
    fn session(&self, s: &mut Session, stack: &mut Stack, cx: &mut Cx<'_>) {
        let d = stack.get(s.down);
        match d.state() {
            State::Listen => return s.ends = None,
            State::Established => d.set_timeout(None),
            _ => {}
        }
        if s.ends.is_none() {
            s.ends = d.local_endpoint().zip(d.remote_endpoint()).map(|(l, r)| (v4(l), v4(r)));
        }
        // Before a destination is known, the head is read whole (it is
        // bounded); after, only as far as the origin takes it.
        let bytes = match s.up {
            None => recv_all(d),
            Some(_) => recv_up_to(d, READ_AHEAD_BYTES.saturating_sub(s.to_up.len())),
        };
        let client_done = matches!(d.state(), State::CloseWait | State::Closed) && d.recv_queue() == 0;
        if s.up.is_none() && !s.finishing {
            match s.head.push(&bytes) {
                Ok(Some((head, rest))) => self.start(s, &head, &rest, stack, cx),
                Ok(None) if client_done => {
                    if !s.head.is_empty() {
                        let peer = s.ends.map_or_else(|| "?".into(), |(_, p)| format!("{}:{}", p.0, p.1));
                        cx.say(format!("proxy: {peer}: connection closed inside the request"));
                    }
                    s.finishing = true;
                }
                Ok(None) => {}
                Err(bad) => answer(s, bad.status, &format!("bad request ({})", bad.why), cx),
            }
        } else if s.up.is_some() {
            s.to_up.push(&bytes);
        }
        self.relay(s, stack, client_done, cx);
        let d = stack.get(s.down);
        s.to_down.flush(d);
        if s.finishing && s.to_down.is_empty() && !matches!(d.state(), State::Closed | State::Listen) {
            d.close();
        }
    }

    /// A complete request: decide, connect, forward.
    fn start(&self, s: &mut Session, head: &[u8], rest: &[u8], stack: &mut Stack, cx: &mut Cx<'_>) {
        let Some((local, peer)) = s.ends else { return };
        let req = match Request::parse(head) {
            Ok(r) => r,
            Err(bad) => return answer(s, bad.status, &format!("bad request ({})", bad.why), cx),
        };
        let me = cx.host.name.clone();
        if is_loop(&req, &me) {
            return answer(s, 403, "forwarding loop (the request already passed this proxy)", cx);
        }
        let ct = cx.host.netfilter.conntrack.as_mut();
        let d = match decide(ct, local, peer, &req, &self.spec.resolve, cx.now) {
            Ok(d) => d,
            Err(why) => return answer(s, 400, &why, cx),
        };
        let (dst, peer_text) = (d.dst, format!("{}:{}", peer.0, peer.1));
        let (how, hier) = match &d.via {
            Via::OriginalDst => ("original destination".to_string(), "ORIGINAL_DST"),
            Via::HostField(why) => (format!("Host field (SO_ORIGINAL_DST: {why})"), "HIER_DIRECT"),
        };
        let dst_text = format!("{}:{}", dst.0, dst.1);
        cx.say(format!("proxy: {peer_text} -> {how} {dst_text}"));
        let sock = match connect(stack, cx, dst) {
            Ok(sock) => sock,
            Err(e) => return answer(s, 503, &format!("connect to {dst_text}: {e}"), cx),
        };
        let host = req.host().map_or_else(|| dst_text.clone(), str::to_string);
        let what = format!("{} http://{host}{}", req.method, req.path());
        let hier = format!("{hier}/{}", dst.0);
        s.to_up.push(forwarded(&req, dst, peer.0, &me).as_bytes());
        s.to_up.push(rest);
        s.up = Some(Upstream {
            sock,
            connected: false,
            got_rst: false,
            error: None,
            hier,
            what,
            reply: HeadBuf::default(),
            status: None,
        });
    }

    /// Upstream's side: bytes both ways, its end, and the access line.
    fn relay(&self, s: &mut Session, stack: &mut Stack, client_done: bool, cx: &mut Cx<'_>) {
        let Some(up) = &mut s.up else { return };
        let u = stack.get(up.sock.handle);
        if u.state() == State::Established && !up.connected {
            up.connected = true;
            u.set_timeout(None);
        }
        s.to_up.flush(u);
        let bytes = recv_up_to(u, READ_AHEAD_BYTES.saturating_sub(s.to_down.len()));
        if up.status.is_none()
            && let Ok(Some((head, _))) = up.reply.push(&bytes)
        {
            up.status = Response::parse(&head).ok().map(|r| r.status);
        }
        s.to_down.push(&bytes);
        s.down_bytes += bytes.len() as u64;
        if client_done && s.to_up.is_empty() && u.state() == State::Established {
            // The client half-closed: so does the proxy, towards the origin.
            u.close();
        }
        let ended = matches!(u.state(), State::CloseWait | State::Closed | State::TimeWait | State::LastAck)
            && u.recv_queue() == 0;
        if !ended || s.finishing {
            return;
        }
        if u.state() == State::CloseWait {
            u.close();
        }
        s.finishing = true;
        if !up.connected {
            let (status, what) = match (up.error, up.got_rst) {
                (Some(why), _) => (503, why),
                (None, true) => (503, "Connection refused"),
                (None, false) => (504, "Connection timed out"),
            };
            let hier = std::mem::take(&mut up.hier);
            let line = format!("origin {}: {what}", hier.split('/').nth(1).unwrap_or(""));
            up.status = Some(status);
            error_page(s, status);
            cx.say(format!("proxy: {line}"));
        }
        log_access(s, cx);
    }
}

/// Queues an error page for the client, to be closed after it.
fn error_page(s: &mut Session, status: u16) {
    let body = format!("{}\n", reason(status));
    let head = format!(
        "HTTP/1.1 {status} {}\r\nServer: nfsim\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    s.to_down.push(head.as_bytes());
    s.to_down.push(body.as_bytes());
    s.down_bytes += (head.len() + body.len()) as u64;
    s.finishing = true;
}

/// Answers the client itself (nothing forwarded) and reports why.
fn answer(s: &mut Session, status: u16, why: &str, cx: &mut Cx<'_>) {
    let peer = s.ends.map_or_else(|| "?".into(), |(_, p)| format!("{}:{}", p.0, p.1));
    cx.say(format!("proxy: {peer}: {why}: {status} {}", reason(status)));
    error_page(s, status);
}

/// squid's access.log line, once per forwarded request.
fn log_access(s: &mut Session, cx: &mut Cx<'_>) {
    let (Some(up), Some((_, peer))) = (&s.up, s.ends) else { return };
    if s.logged {
        return;
    }
    s.logged = true;
    let code = up.status.map_or_else(|| "000".to_string(), |c| c.to_string());
    let hier = if up.hier.is_empty() { "HIER_NONE/-" } else { &up.hier };
    cx.say(format!("proxy: {} TCP_MISS/{code} {} {} {hier}", peer.0, s.down_bytes, up.what));
}

/// Opens the forwarded connection from the box's address towards `dst`.
fn connect(stack: &mut Stack, cx: &mut Cx<'_>, dst: (Ipv4Addr, u16)) -> Result<Sock, String> {
    let src = cx.source_for(dst.0).ok_or("Network is unreachable")?;
    let port = cx.ephemeral_port(SockProto::Tcp).ok_or("no free local port")?;
    if !cx.bind(SockProto::Tcp, port, Some(dst)) {
        return Err("Address already in use".into());
    }
    let h = stack.socket(SockOpts::default());
    stack.get(h).set_timeout(Some(smoltcp::time::Duration::from_secs(CONNECT_SECS)));
    if let Err(e) = stack.connect(h, dst, (src, port)) {
        stack.sockets.remove(h);
        cx.host.sockets.release(SockProto::Tcp, port, Some(dst));
        return Err(e);
    }
    Ok(Sock { handle: h, port, remote: Some(dst) })
}

/// True (and the sockets freed) when both sides of a session are closed.
fn gone(s: &Session, stack: &mut Stack, cx: &mut Cx<'_>) -> bool {
    if s.ends.is_none() || stack.get(s.down).state() != State::Closed {
        return false;
    }
    if let Some(up) = &s.up {
        let u = stack.get(up.sock.handle);
        if u.state() != State::Closed {
            // The client went away first: the origin's connection goes too.
            if !s.finishing {
                u.abort();
            }
            return false;
        }
        stack.sockets.remove(up.sock.handle);
        cx.host.sockets.release(SockProto::Tcp, up.sock.port, up.sock.remote);
    }
    stack.sockets.remove(s.down);
    true
}

fn listener(stack: &mut Stack, port: u16) -> Session {
    let h = stack.socket(SockOpts::default());
    let s = stack.get(h);
    // tcp_synack_retries 5: a half-open connection is given up after about a minute.
    s.set_timeout(Some(smoltcp::time::Duration::from_secs(63)));
    s.listen(port).expect("a fresh socket listens");
    Session {
        down: h,
        ends: None,
        head: HeadBuf::default(),
        up: None,
        to_up: Outbox::default(),
        to_down: Outbox::default(),
        down_bytes: 0,
        finishing: false,
        logged: false,
    }
}

impl App for HttpProxy {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = crate::apps::tcp::stack::listen(cx, self.spec.port, "http proxy") else { return };
        self.sessions.push(listener(&mut stack, self.spec.port));
        self.stack = Some(stack);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if crate::apps::icmp_error_text(ip).is_some() {
            if let Some((why, ours, theirs)) = super::connect_error(ip) {
                fail_connect(&mut self.sessions, stack, why, ours, theirs);
                self.pump(cx);
            }
            return;
        }
        if tcp_flags(ip).is_some_and(|f| f & 0x04 != 0) {
            mark_reset(&mut self.sessions, ip);
        }
        stack.input(ip);
        self.pump(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        self.stack.as_mut()?.poll_at(now)
    }
}

/// An ICMP error ends a forwarded connection still in SYN-SENT, as
/// `connect()` fails on Linux (the socket is aborted quietly: the peer
/// never answered, so no RST is owed).
fn fail_connect(sessions: &mut [Session], stack: &mut Stack, why: &'static str, ours: u16, theirs: u16) {
    for up in sessions.iter_mut().filter_map(|s| s.up.as_mut()) {
        if !up.connected && up.sock.port == ours && up.sock.remote.is_some_and(|r| r.1 == theirs) {
            up.error = Some(why);
            stack.get(up.sock.handle).abort();
        }
    }
}

/// Notes a reset from an origin server (smoltcp does not say why a
/// connection attempt ended): a refusal, not a timeout.
fn mark_reset(sessions: &mut [Session], ip: &[u8]) {
    let p = crate::wire::Ipv4Packet::new_unchecked(ip);
    let l4 = p.payload();
    let Some(sport) = l4.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else { return };
    let Some(dport) = l4.get(2..4).map(|b| u16::from_be_bytes([b[0], b[1]])) else { return };
    for up in sessions.iter_mut().filter_map(|s| s.up.as_mut()) {
        if up.sock.port == dport && up.sock.remote == Some((p.src_addr(), sport)) {
            up.got_rst = true;
        }
    }
}
