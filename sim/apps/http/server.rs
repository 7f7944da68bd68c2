//! `http server [PORT] [file PATH SIZE]...`: answers `GET` and `HEAD` of
//! the files named (their bytes are [`super::body_byte`]s), 404 for any
//! other path, 400 for a request it cannot read, 501 for other methods,
//! one request per connection. It reports each request with the peer it
//! came from and the `Host` and `Via` fields, so a transcript shows who
//! really connected (the client, or a proxy) and for whom.
//!
//! As the plain TCP server, one smoltcp stack holds every connection and
//! a spare listener is opened as each is taken.

use super::message::{Bad, HeadBuf, Request, reason};
use super::{Outbox, path_key, recv_all, send_body};
use crate::apps::tcp::stack::{SockOpts, Stack};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// The port (80).
    pub port: u16,
    /// `file PATH SIZE`: what can be fetched.
    pub files: Vec<(String, u64)>,
}

/// The body still to send: the path's key, the next offset, the end.
struct Body {
    key: u32,
    at: u64,
    end: u64,
}

/// One connection (or the listener waiting for one).
struct Conn {
    handle: SocketHandle,
    peer: Option<String>,
    head: HeadBuf,
    out: Outbox,
    body: Option<Body>,
    /// The answer is queued: what arrives now is read and dropped.
    answered: bool,
    closing: bool,
}

/// `http server`.
pub struct HttpServer {
    spec: ServerSpec,
    stack: Option<Stack>,
    conns: Vec<Conn>,
}

impl HttpServer {
    /// A server for `spec`, not started.
    pub fn new(spec: ServerSpec) -> HttpServer {
        HttpServer { spec, stack: None, conns: Vec::new() }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = self.stack.take() else { return };
        stack.poll(cx);
        let mut conns = std::mem::take(&mut self.conns);
        for c in &mut conns {
            self.serve(c, &mut stack, cx);
        }
        conns.retain(|c| {
            let gone = c.peer.is_some() && stack.get(c.handle).state() == State::Closed;
            if gone {
                stack.sockets.remove(c.handle);
            }
            !gone
        });
        self.conns = conns;
        if !self.conns.iter().any(|c| stack.get(c.handle).state() == State::Listen) {
            self.conns.push(listener(&mut stack, self.spec.port));
        }
        stack.poll(cx);
        self.stack = Some(stack);
    }

    /// Reads the request, queues the answer, moves the body, closes.
    fn serve(&self, c: &mut Conn, stack: &mut Stack, cx: &mut Cx<'_>) {
        let s = stack.get(c.handle);
        match s.state() {
            // Still listening, or back to it after a reset handshake.
            State::Listen => return c.peer = None,
            // The handshake's deadline is met; an open connection waits.
            State::Established => s.set_timeout(None),
            _ => {}
        }
        if c.peer.is_none() {
            c.peer = Some(s.remote_endpoint().map_or_else(|| "?".into(), |r| r.to_string()));
        }
        let peer = c.peer.clone().unwrap_or_default();
        let bytes = recv_all(s);
        if !c.answered {
            match c.head.push(&bytes) {
                Ok(Some((head, _))) => {
                    c.answered = true;
                    let line = self.answer(c, &head);
                    cx.say(format!("http {peer} {line}"));
                }
                Ok(None) if s.state() == State::CloseWait => {
                    if !c.head.is_empty() {
                        cx.say(format!("http {peer}: connection closed inside the request"));
                    }
                    c.answered = true;
                    c.closing = true;
                    s.close();
                }
                Ok(None) => {}
                Err(bad) => {
                    c.answered = true;
                    let line = refuse(c, &bad);
                    cx.say(format!("http {peer}: {line}"));
                }
            }
        }
        let s = stack.get(c.handle);
        c.out.flush(s);
        if let Some(b) = &mut c.body
            && c.out.is_empty()
        {
            b.at += send_body(s, b.key, b.at, b.end);
        }
        let done = c.out.is_empty() && c.body.as_ref().is_none_or(|b| b.at == b.end);
        if c.answered && done && !c.closing {
            // close(2) after the last write: the FIN follows the last byte.
            c.closing = true;
            s.close();
        }
    }

    /// Queues the answer to a complete head; the report line.
    fn answer(&self, c: &mut Conn, head: &[u8]) -> String {
        let req = match Request::parse(head) {
            Ok(r) => r,
            Err(bad) => return format!(": {}", refuse(c, &bad)),
        };
        let mut seen = Vec::new();
        if let Some(h) = req.host() {
            seen.push(format!("Host {h}"));
        }
        if let Some(v) = super::message::field(&req.fields, "via").ok().flatten() {
            seen.push(format!("Via {v}"));
        }
        let seen = if seen.is_empty() { String::new() } else { format!(" ({})", seen.join(", ")) };
        let asked = format!("{} {}{seen}", req.method, req.target);
        let path = req.path().split('?').next().unwrap_or("");
        let file = self.spec.files.iter().find(|(p, _)| p == path);
        let (status, len) = match (req.method.as_str(), file) {
            ("GET" | "HEAD", Some((_, size))) => (200, *size),
            ("GET" | "HEAD", None) => (404, 0),
            _ => (501, 0),
        };
        if status != 200 {
            let text = format!("{}\n", reason(status));
            queue_head(c, status, text.len() as u64, "text/plain");
            if req.method != "HEAD" {
                c.out.push(text.as_bytes());
            }
            return format!("{asked}: {status} {}", reason(status));
        }
        queue_head(c, 200, len, "application/octet-stream");
        if req.method == "GET" {
            c.body = Some(Body { key: path_key(path), at: 0, end: len });
        }
        format!("{asked}: 200 OK, {len} bytes")
    }
}

/// Queues the status line and fields.
fn queue_head(c: &mut Conn, status: u16, len: u64, kind: &str) {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nServer: nfsim\r\nContent-Type: {kind}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
        reason(status)
    );
    c.out.push(head.as_bytes());
}

/// Queues the refusal of an unreadable request; the report text.
fn refuse(c: &mut Conn, bad: &Bad) -> String {
    let text = format!("{}\n", reason(bad.status));
    queue_head(c, bad.status, text.len() as u64, "text/plain");
    c.out.push(text.as_bytes());
    format!("bad request ({}): {} {}", bad.why, bad.status, reason(bad.status))
}

fn listener(stack: &mut Stack, port: u16) -> Conn {
    let h = stack.socket(SockOpts::default());
    let s = stack.get(h);
    // tcp_synack_retries 5: a half-open connection is given up after about a minute.
    s.set_timeout(Some(smoltcp::time::Duration::from_secs(63)));
    s.listen(port).expect("a fresh socket listens");
    Conn {
        handle: h,
        peer: None,
        head: HeadBuf::default(),
        out: Outbox::default(),
        body: None,
        answered: false,
        closing: false,
    }
}

impl App for HttpServer {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Some(mut stack) = crate::apps::tcp::stack::listen(cx, self.spec.port, "http server") else { return };
        self.conns.push(listener(&mut stack, self.spec.port));
        self.stack = Some(stack);
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if crate::apps::icmp_error_text(ip).is_some() {
            return;
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
