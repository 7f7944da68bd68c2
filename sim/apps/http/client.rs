//! `http get http://ADDR[:PORT]/PATH [host NAME]`: one `GET`, as curl
//! sends it (`Host` is the URL's authority unless `host NAME` says
//! otherwise), reporting one line: `200 OK, N bytes` when the body came
//! whole and every byte was the file's, or how it failed (connection
//! refused, timed out, reset, a bad response, a short or wrong body).
//! ICMP errors that arrive meanwhile are reported as they come.

use super::message::{HeadBuf, Response};
use super::{Url, body_byte, path_key, recv_all};
use crate::apps::tcp::stack::{Sock, Stack, dial, tcp_flags};
use crate::apps::{App, Cx};
use crate::engine::Instant;
use crate::net::sockets::SockProto;
use smoltcp::socket::tcp::State;

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetSpec {
    /// What to fetch.
    pub url: Url,
    /// `host NAME`: the `Host` field (else the URL's authority).
    pub host: Option<String>,
}

/// The response being read.
struct Reading {
    status: u16,
    reason: String,
    /// Body bytes announced (`None`: until the connection closes).
    length: Option<u64>,
    got: u64,
    /// Check the bytes against the file's (a 200 to a GET).
    check: bool,
    /// The first byte that was not the file's.
    wrong_at: Option<u64>,
}

/// `http get`.
pub struct HttpClient {
    spec: GetSpec,
    stack: Option<Stack>,
    sock: Option<Sock>,
    sent: bool,
    head: HeadBuf,
    reading: Option<Reading>,
    connected: bool,
    got_rst: bool,
    /// The outcome is reported; the socket only has to go.
    done: bool,
}

impl HttpClient {
    /// A client for `spec`, not started.
    pub fn new(spec: GetSpec) -> HttpClient {
        HttpClient {
            spec,
            stack: None,
            sock: None,
            sent: false,
            head: HeadBuf::default(),
            reading: None,
            connected: false,
            got_rst: false,
            done: false,
        }
    }

    fn request(&self) -> String {
        let u = &self.spec.url;
        let host = self
            .spec
            .host
            .clone()
            .unwrap_or_else(|| if u.port == 80 { u.addr.to_string() } else { format!("{}:{}", u.addr, u.port) });
        format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: nfsim\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            u.path
        )
    }

    fn finish(&mut self, cx: &mut Cx<'_>, what: String) {
        if !self.done {
            self.done = true;
            cx.say(format!("http get {}: {what}", self.spec.url.text()));
        }
    }

    fn pump(&mut self, cx: &mut Cx<'_>) {
        let (Some(mut stack), Some(h)) = (self.stack.take(), self.sock.as_ref().map(|s| s.handle)) else { return };
        stack.poll(cx);
        let s = stack.get(h);
        if s.state() == State::Established && !self.connected {
            self.connected = true;
            // The SYN's deadline is met; a slow answer is waited for.
            s.set_timeout(None);
        }
        if self.connected && !self.sent && s.may_send() {
            self.sent = true;
            let req = self.request();
            let _ = s.send_slice(req.as_bytes());
        }
        let bytes = recv_all(s);
        let eof = matches!(s.state(), State::CloseWait | State::Closed | State::LastAck | State::TimeWait);
        if !self.done {
            self.take(&bytes, cx);
        }
        if !self.done && eof {
            let what = self.ending();
            self.finish(cx, what);
        }
        let s = stack.get(h);
        if self.done
            && !matches!(
                s.state(),
                State::Closed | State::TimeWait | State::FinWait1 | State::FinWait2 | State::Closing | State::LastAck
            )
        {
            s.close();
        }
        if s.state() == State::Closed {
            stack.sockets.remove(h);
            if let Some(sock) = self.sock.take() {
                cx.host.sockets.release(SockProto::Tcp, sock.port, sock.remote);
            }
        }
        stack.poll(cx);
        self.stack = Some(stack);
    }

    /// Takes response bytes: the head, then the body.
    fn take(&mut self, bytes: &[u8], cx: &mut Cx<'_>) {
        if self.reading.is_some() {
            return self.body(bytes, cx);
        }
        if bytes.is_empty() {
            return;
        }
        let parsed = match self.head.push(bytes) {
            Ok(None) => return,
            Ok(Some((head, after))) => {
                Response::parse(&head).and_then(|r| Ok((r.body_length()?, r))).map(|(l, r)| (l, r, after))
            }
            Err(bad) => Err(bad),
        };
        match parsed {
            Ok((length, r, after)) => {
                let check = r.status == 200;
                self.reading =
                    Some(Reading { status: r.status, reason: r.reason, length, got: 0, check, wrong_at: None });
                if length == Some(0) {
                    let what = self.outcome();
                    return self.finish(cx, what);
                }
                self.body(&after, cx);
            }
            Err(bad) => self.finish(cx, format!("bad response ({})", bad.why)),
        }
    }

    /// Takes body bytes, checking them against the file's.
    fn body(&mut self, bytes: &[u8], cx: &mut Cx<'_>) {
        let Some(r) = &mut self.reading else { return };
        let key = path_key(&self.spec.url.path);
        let take = r.length.map_or(bytes.len() as u64, |l| (l - r.got).min(bytes.len() as u64)) as usize;
        if r.check && r.wrong_at.is_none() {
            r.wrong_at = (0..take).find(|&i| bytes[i] != body_byte(key, r.got + i as u64)).map(|i| r.got + i as u64);
        }
        r.got += take as u64;
        if r.length == Some(r.got) && take > 0 {
            let what = self.outcome();
            self.finish(cx, what);
        }
    }

    /// The report of a complete response.
    fn outcome(&self) -> String {
        let Some(r) = &self.reading else { return "no response".into() };
        match r.wrong_at {
            Some(at) => format!("{} {}, {} bytes, body differs from the file at byte {at}", r.status, r.reason, r.got),
            None => format!("{} {}, {} bytes", r.status, r.reason, r.got),
        }
    }

    /// The report when the connection ended first.
    fn ending(&self) -> String {
        match (&self.reading, self.connected, self.got_rst) {
            (_, false, true) => "connection refused".into(),
            (_, false, false) => "timed out".into(),
            (None, true, true) => "connection reset before the response".into(),
            (None, true, false) if self.head.is_empty() => "connection closed before the response".into(),
            (None, true, false) => "connection closed inside the response head".into(),
            (Some(r), _, rst) => match r.length {
                None if !rst => self.outcome(),
                Some(l) => format!("{} {}, connection {} after {} of {l} bytes", r.status, r.reason, cut(rst), r.got),
                None => format!("{} {}, connection reset after {} bytes", r.status, r.reason, r.got),
            },
        }
    }
}

fn cut(rst: bool) -> &'static str {
    if rst { "reset" } else { "closed" }
}

impl App for HttpClient {
    fn start(&mut self, cx: &mut Cx<'_>) {
        let u = &self.spec.url;
        match dial(cx, (u.addr, u.port)) {
            Ok((stack, sock)) => {
                self.stack = Some(stack);
                self.sock = Some(sock);
                self.pump(cx);
            }
            Err(e) => self.finish(cx, e),
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        let Some(stack) = self.stack.as_mut() else { return };
        if let Some(err) = crate::apps::icmp_error_text(ip) {
            cx.say(format!("http get {}: {err}", self.spec.url.text()));
            if let (false, Some((why, _, _)), Some(sock)) = (self.connected, super::connect_error(ip), &self.sock) {
                // connect() fails at once: the socket goes, no RST is sent.
                stack.sockets.remove(sock.handle);
                cx.host.sockets.release(SockProto::Tcp, sock.port, sock.remote);
                self.sock = None;
                self.finish(cx, why.to_string());
            }
            return;
        }
        if tcp_flags(ip).is_some_and(|f| f & 0x04 != 0) {
            self.got_rst = true;
        }
        stack.input(ip);
        self.pump(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        self.pump(cx);
    }

    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        self.sock.as_ref()?;
        self.stack.as_mut()?.poll_at(now)
    }
}
