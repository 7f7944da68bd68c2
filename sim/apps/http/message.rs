//! HTTP/1.1 message heads (RFC 9112): the request line or status line and
//! the header fields, read from bytes that arrive in pieces.
//!
//! A head ends at the first empty line. Bytes are collected in a
//! [`HeadBuf`] until it is complete (a head may be split over any number of
//! segments, or share one with the body), then parsed in one go. Every
//! failure is a [`Bad`] with the reason a server puts in its 400 (or 501,
//! 505) answer; nothing here panics on any input.
//!
//! What is refused, as RFC 9112 lets or tells a server refuse: a head
//! larger than [`HEAD_BYTES_MAX`], a request line that is not three parts
//! split by single spaces, a version that is not `HTTP/d.d`, a field name
//! with white space before its colon (§5.1), an obsolete folded line
//! (§5.2), an HTTP/1.1 request without exactly one `Host` (§3.2), an
//! unparsable or contradictory `Content-Length` (§6.3), and any
//! `Transfer-Encoding` in a request (we read no chunked bodies: 501).
//! A lone LF is accepted as a line end, as §2.2 allows.

/// The largest head accepted (Apache's and nginx's default is 8 KiB).
pub const HEAD_BYTES_MAX: usize = 8192;

/// Why a message was refused, and the status that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bad {
    /// 400, 501 or 505.
    pub status: u16,
    /// What was wrong, for the transcript.
    pub why: String,
}

fn bad(why: &str) -> Bad {
    Bad { status: 400, why: why.into() }
}

/// A complete head and the bytes that followed it.
pub type Split = (Vec<u8>, Vec<u8>);

/// A field given twice with different values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict;

/// Bytes of a head being received.
#[derive(Clone, Debug, Default)]
pub struct HeadBuf {
    buf: Vec<u8>,
}

impl HeadBuf {
    /// Adds `bytes`. Once the head is complete, returns it (the bytes up to
    /// and including the empty line) and what followed it in `bytes`.
    ///
    /// # Errors
    /// The head grew past [`HEAD_BYTES_MAX`] without ending.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<Split>, Bad> {
        let from = self.buf.len().saturating_sub(3);
        self.buf.extend_from_slice(bytes);
        match head_end(&self.buf, from) {
            Some(end) if end <= HEAD_BYTES_MAX => {
                let rest = self.buf.split_off(end);
                Ok(Some((std::mem::take(&mut self.buf), rest)))
            }
            Some(_) => Err(bad("head too large")),
            None if self.buf.len() > HEAD_BYTES_MAX => Err(bad("head too large")),
            None => Ok(None),
        }
    }

    /// True when nothing has arrived yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Where the head ends (just after its empty line), searching from `from`.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    (from..buf.len()).find_map(|i| {
        if buf[i] != b'\n' {
            return None;
        }
        let after = i + 1;
        match buf.get(after) {
            Some(b'\n') => Some(after + 1),
            Some(b'\r') if buf.get(after + 1) == Some(&b'\n') => Some(after + 2),
            _ => None,
        }
    })
}

/// A request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target as sent: `/path` or `http://host/path`.
    pub target: String,
    /// `(1, 1)` for `HTTP/1.1`.
    pub version: (u8, u8),
    /// Fields in order, names as sent.
    pub fields: Vec<(String, String)>,
}

/// A response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// `(1, 1)` for `HTTP/1.1`.
    pub version: (u8, u8),
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Fields in order.
    pub fields: Vec<(String, String)>,
}

/// The value of the one field called `name` (any case); `Err` when it
/// appears more than once with different values.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Conflict> {
    let mut found: Option<&str> = None;
    for (_, v) in fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
        match found {
            Some(f) if f != v => return Err(Conflict),
            _ => found = Some(v),
        }
    }
    Ok(found)
}

/// The body length `Content-Length` announces (`None`: no such field).
///
/// # Errors
/// Not a decimal number, or several different values.
pub fn content_length(fields: &[(String, String)]) -> Result<Option<u64>, Bad> {
    let Ok(v) = field(fields, "content-length") else { return Err(bad("conflicting Content-Length")) };
    match v {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().map(Some).map_err(|_| bad("Content-Length too large"))
        }
        Some(_) => Err(bad("invalid Content-Length")),
    }
}

/// The lines of a head, without line ends, the empty last one dropped.
fn lines(head: &[u8]) -> Result<Vec<&str>, Bad> {
    let text = std::str::from_utf8(head).map_err(|_| bad("head is not text"))?;
    let mut out: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    Ok(out)
}

/// `HTTP/d.d`.
fn version(v: &str) -> Result<(u8, u8), Bad> {
    let b = v.as_bytes();
    match b {
        [b'H', b'T', b'T', b'P', b'/', maj, b'.', min] if maj.is_ascii_digit() && min.is_ascii_digit() => {
            Ok((maj - b'0', min - b'0'))
        }
        _ => Err(bad("invalid HTTP version")),
    }
}

/// `token` characters (RFC 9110 §5.6.2).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The field lines after the start line.
fn fields(lines: &[&str]) -> Result<Vec<(String, String)>, Bad> {
    let mut out = Vec::new();
    for l in lines {
        if l.starts_with([' ', '\t']) {
            return Err(bad("obsolete line folding"));
        }
        let (name, value) = l.split_once(':').ok_or_else(|| bad("field without a colon"))?;
        if !is_token(name) {
            return Err(bad("invalid field name"));
        }
        out.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
    }
    Ok(out)
}

impl Request {
    /// Parses a complete request head.
    ///
    /// # Errors
    /// What RFC 9112 has a server refuse (module documentation).
    pub fn parse(head: &[u8]) -> Result<Request, Bad> {
        let lines = lines(head)?;
        // A server ignores empty lines before the request line (§2.2).
        let start = lines.iter().position(|l| !l.is_empty()).ok_or_else(|| bad("empty request"))?;
        let parts: Vec<&str> = lines[start].split(' ').collect();
        let [method, target, v] = parts[..] else { return Err(bad("malformed request line")) };
        if !is_token(method) || target.is_empty() {
            return Err(bad("malformed request line"));
        }
        let version = version(v)?;
        if version.0 != 1 {
            return Err(Bad { status: 505, why: format!("version {v} not supported") });
        }
        let fields = fields(&lines[start + 1..])?;
        let req = Request { method: method.into(), target: target.into(), version, fields };
        match field(&req.fields, "host") {
            Err(Conflict) => return Err(bad("more than one Host")),
            Ok(None) if version >= (1, 1) => return Err(bad("no Host")),
            _ => {}
        }
        if req.fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case("host")).count() > 1 {
            return Err(bad("more than one Host"));
        }
        if req.fields.iter().any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding")) {
            return Err(Bad { status: 501, why: "Transfer-Encoding not implemented".into() });
        }
        content_length(&req.fields)?;
        Ok(req)
    }

    /// The `Host` field, if any.
    pub fn host(&self) -> Option<&str> {
        field(&self.fields, "host").ok().flatten()
    }

    /// The path: the target itself in origin form, the part after the
    /// authority in absolute form (`http://a/b` gives `/b`).
    pub fn path(&self) -> &str {
        match absolute(&self.target) {
            Some((_, path)) => path,
            None => &self.target,
        }
    }

    /// The authority of an absolute-form target (`http://AUTH/...`).
    pub fn authority(&self) -> Option<&str> {
        absolute(&self.target).map(|(a, _)| a)
    }
}

/// Splits `http://AUTH/PATH` into `AUTH` and `/PATH` (`/` when empty).
fn absolute(target: &str) -> Option<(&str, &str)> {
    let scheme = target.get(..7).filter(|s| s.eq_ignore_ascii_case("http://"))?;
    let rest = &target[scheme.len()..];
    Some(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    })
}

impl Response {
    /// Parses a complete response head.
    ///
    /// # Errors
    /// A status line that is not `HTTP/d.d NNN reason`, or bad fields.
    pub fn parse(head: &[u8]) -> Result<Response, Bad> {
        let lines = lines(head)?;
        let first = lines.first().ok_or_else(|| bad("empty response"))?;
        let mut parts = first.splitn(3, ' ');
        let version = version(parts.next().unwrap_or(""))?;
        let code = parts.next().unwrap_or("");
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("invalid status code"));
        }
        let status = code.parse().map_err(|_| bad("invalid status code"))?;
        let reason = parts.next().unwrap_or("").to_string();
        let fields = fields(&lines[1..])?;
        Ok(Response { version, status, reason, fields })
    }

    /// The body's length: `Content-Length`, or `None` for a body that ends
    /// when the connection does.
    pub fn body_length(&self) -> Result<Option<u64>, Bad> {
        content_length(&self.fields)
    }
}

/// The reason phrase of the statuses the apps send.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn pieces(parts: &[&[u8]]) -> Result<Option<Split>, Bad> {
        let mut h = HeadBuf::default();
        let mut last = Ok(None);
        for p in parts {
            last = h.push(p);
            if !matches!(last, Ok(None)) {
                break;
            }
        }
        last
    }

    #[test]
    fn a_head_split_anywhere_is_found_whole() {
        let req = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nBODY";
        for cut1 in 0..req.len() {
            for cut2 in cut1..req.len() {
                let got = pieces(&[&req[..cut1], &req[cut1..cut2], &req[cut2..]]).unwrap();
                let (head, rest) = got.unwrap_or_else(|| panic!("cuts {cut1} {cut2}"));
                assert_eq!(head, &req[..req.len() - 4]);
                // What came after the head in the pieces pushed so far.
                assert!(b"BODY".starts_with(&rest), "cuts {cut1} {cut2}: {rest:?}");
            }
        }
    }

    #[test]
    fn a_request_parses_with_its_host() {
        let r = Request::parse(b"GET /index.html HTTP/1.1\r\nHost: 198.51.100.80\r\nUser-Agent: t\r\n\r\n").unwrap();
        assert_eq!((r.method.as_str(), r.path(), r.version), ("GET", "/index.html", (1, 1)));
        assert_eq!(r.host(), Some("198.51.100.80"));
        assert_eq!(r.authority(), None);
        let r = Request::parse(b"GET http://a.example:8080 HTTP/1.0\n\n").unwrap();
        assert_eq!((r.authority(), r.path(), r.host()), (Some("a.example:8080"), "/", None));
    }

    #[test]
    fn bad_requests_are_400_and_others_501_or_505() {
        let status = |h: &[u8]| Request::parse(h).map(|_| 200).unwrap_or_else(|b| b.status);
        assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), 400, "no Host");
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400, "space before the colon");
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
        assert_eq!(status(b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "two spaces");
        assert_eq!(status(b"GET /\r\n\r\n"), 400, "HTTP/0.9");
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
        assert_eq!(status(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
        assert_eq!(status(b"\xff\xfe / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200, "a leading empty line is ignored");
    }

    #[test]
    fn an_endless_head_is_refused() {
        let mut h = HeadBuf::default();
        let line = [b'a'; 1000];
        let mut got = Ok(None);
        for _ in 0..10 {
            got = h.push(&line);
            if got.is_err() {
                break;
            }
        }
        assert_eq!(got.unwrap_err().why, "head too large");
    }

    #[test]
    fn a_response_gives_its_status_and_length() {
        let r = Response::parse(b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n").unwrap();
        assert_eq!((r.status, r.reason.as_str(), r.body_length()), (404, "Not Found", Ok(Some(10))));
        let r = Response::parse(b"HTTP/1.0 200\r\n\r\n").unwrap();
        assert_eq!((r.status, r.reason.as_str(), r.body_length()), (200, "", Ok(None)));
        assert!(Response::parse(b"HTTP/1.1 20 OK\r\n\r\n").is_err());
        assert!(Response::parse(b"ICY 200 OK\r\n\r\n").is_err());
    }

    #[test]
    fn garbage_never_panics() {
        // Every prefix and every single-byte change of a valid head.
        let base = b"GET http://a/b HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".to_vec();
        for n in 0..=base.len() {
            let _ = Request::parse(&base[..n]);
            let _ = Response::parse(&base[..n]);
        }
        for i in 0..base.len() {
            for b in [0u8, b' ', b'\r', b'\n', b':', 0xff] {
                let mut m = base.clone();
                m[i] = b;
                let _ = Request::parse(&m);
                let _ = Response::parse(&m);
                let _ = HeadBuf::default().push(&m);
            }
        }
    }
}
