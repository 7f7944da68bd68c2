//! HTTP/1.1 (RFC 9112): a server of files that are only sizes
//! ([`server`]), a client that fetches one URL ([`client`]), and a
//! transparent proxy ([`proxy`]) as squid runs with `http_port 3128
//! intercept`, behind `REDIRECT` on the box or `DNAT` from another.
//!
//! Every exchange is one request per connection (`Connection: close`),
//! which HTTP/1.1 allows and keeps each side's state small. A file's bytes
//! are a function of its path and offset ([`body_byte`]), so the client
//! checks every byte it receives, through a proxy or not.

pub mod client;
pub mod intercept;
pub mod message;
pub mod proxy;
pub mod server;
#[cfg(test)]
mod tests;

pub use client::HttpClient;
pub use proxy::HttpProxy;
pub use server::HttpServer;

use smoltcp::socket::tcp;
use std::net::Ipv4Addr;

/// `http://ADDR[:PORT]/PATH`, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// The server's address (no names: there is no resolver here).
    pub addr: Ipv4Addr,
    /// The port (80 when not given).
    pub port: u16,
    /// The path, `/` at least.
    pub path: String,
}

impl Url {
    /// Parses an `http` URL whose host is an IPv4 address.
    ///
    /// # Errors
    /// Another scheme, a host name, a bad port.
    pub fn parse(s: &str) -> Result<Url, String> {
        let rest = s.strip_prefix("http://").ok_or_else(|| format!("expected http://ADDR[:PORT]/PATH, got \"{s}\""))?;
        let (auth, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        let (addr, port) = authority(auth).ok_or_else(|| {
            format!(
                "\"{auth}\" is not ADDR[:PORT] (no resolver here: use an address, and `host NAME' for the Host field)"
            )
        })?;
        Ok(Url { addr, port, path: path.to_string() })
    }

    /// The URL as written (`:80` left out).
    pub fn text(&self) -> String {
        match self.port {
            80 => format!("http://{}{}", self.addr, self.path),
            p => format!("http://{}:{p}{}", self.addr, self.path),
        }
    }
}

/// `ADDR[:PORT]` (port 80 when not given).
pub fn authority(s: &str) -> Option<(Ipv4Addr, u16)> {
    let (a, p) = match s.rsplit_once(':') {
        Some((a, p)) => (a, p.parse().ok().filter(|p| *p > 0)?),
        None => (s, 80),
    };
    Some((a.parse().ok()?, p))
}

/// A path's key for [`body_byte`] (FNV-1a).
pub fn path_key(path: &str) -> u32 {
    path.bytes().fold(0x811c_9dc5, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Byte `i` of the file at the path with key `key`: a ramp modulo 251, a
/// prime, so a lost, doubled or shifted run of bytes shows.
pub fn body_byte(key: u32, i: u64) -> u8 {
    ((i + u64::from(key)) % 251) as u8
}

/// Writes body bytes `from..end` into the socket as far as it has room;
/// how many went.
pub fn send_body(s: &mut tcp::Socket<'_>, key: u32, from: u64, end: u64) -> u64 {
    let mut sent = 0;
    while from + sent < end && s.can_send() {
        let at = from + sent;
        let r = s.send(|buf| {
            let n = (buf.len() as u64).min(end - at) as usize;
            for (k, b) in buf[..n].iter_mut().enumerate() {
                *b = body_byte(key, at + k as u64);
            }
            (n, n)
        });
        match r {
            Ok(0) | Err(_) => break,
            Ok(n) => sent += n as u64,
        }
    }
    sent
}

/// What `connect()` fails with when an ICMP destination-unreachable
/// arrives for a connection still in SYN-SENT (Linux's `tcp_v4_err` ends
/// such a connection at once, with the errno `icmp_err_convert` gives the
/// code), and the quoted segment's ports (ours, theirs) to find it by.
/// `None` for anything else.
pub fn connect_error(ip: &[u8]) -> Option<(&'static str, u16, u16)> {
    use crate::wire::{IpProtocol, Ipv4Packet};
    let p = Ipv4Packet::new_checked(ip).ok()?;
    let l4 = p.payload();
    if p.next_header() != IpProtocol::Icmp || l4.first() != Some(&3) {
        return None;
    }
    let text = match *l4.get(1)? {
        0 | 6 | 9 | 11 => "Network is unreachable",
        1 | 10 | 12 | 13 => "No route to host",
        2 => "Protocol not available",
        3 => "Connection refused",
        7 => "Host is down",
        8 => "Machine is not on the network",
        _ => return None,
    };
    let quoted = Ipv4Packet::new_quoted(l4.get(8..)?).ok()?;
    let ports = quoted.payload().get(..4)?;
    Some((text, u16::from_be_bytes([ports[0], ports[1]]), u16::from_be_bytes([ports[2], ports[3]])))
}

/// Everything the socket has for us.
pub fn recv_all(s: &mut tcp::Socket<'_>) -> Vec<u8> {
    recv_up_to(s, usize::MAX)
}

/// What the socket has for us, `max` bytes at most.
pub fn recv_up_to(s: &mut tcp::Socket<'_>, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while s.can_recv() && out.len() < max {
        let room = max - out.len();
        match s.recv(|b| {
            let n = b.len().min(room);
            (n, b[..n].to_vec())
        }) {
            Ok(chunk) if !chunk.is_empty() => out.extend_from_slice(&chunk),
            _ => break,
        }
    }
    out
}

/// Bytes waiting for room in a socket's send buffer.
#[derive(Default)]
pub struct Outbox {
    bytes: Vec<u8>,
    at: usize,
}

impl Outbox {
    /// Queues `bytes`.
    pub fn push(&mut self, bytes: &[u8]) {
        // What was sent goes, so the buffer holds only what waits.
        self.bytes.drain(..self.at);
        self.at = 0;
        self.bytes.extend_from_slice(bytes);
    }

    /// Moves what fits into the socket.
    pub fn flush(&mut self, s: &mut tcp::Socket<'_>) {
        while self.at < self.bytes.len() && s.can_send() {
            match s.send_slice(&self.bytes[self.at..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.at += n,
            }
        }
    }

    /// Bytes still waiting.
    pub fn len(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn urls_need_an_address() {
        let u = Url::parse("http://198.51.100.80/index.html").unwrap();
        assert_eq!((u.addr, u.port, u.path.as_str()), (Ipv4Addr::new(198, 51, 100, 80), 80, "/index.html"));
        assert_eq!(u.text(), "http://198.51.100.80/index.html");
        let u = Url::parse("http://10.0.0.1:8080").unwrap();
        assert_eq!((u.port, u.path.as_str(), u.text()), (8080, "/", "http://10.0.0.1:8080/".to_string()));
        assert!(Url::parse("http://www.example/").unwrap_err().contains("no resolver"));
        assert!(Url::parse("https://10.0.0.1/").is_err());
        assert!(Url::parse("http://10.0.0.1:0/").is_err());
    }

    #[test]
    fn body_bytes_depend_on_path_and_offset() {
        let (a, b) = (path_key("/a"), path_key("/b"));
        assert_ne!(a, b);
        assert_ne!(body_byte(a, 0), body_byte(b, 0));
        assert_eq!(body_byte(a, 0), body_byte(a, 251));
        assert_ne!(body_byte(a, 0), body_byte(a, 1));
    }
}
