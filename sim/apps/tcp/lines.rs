//! Text protocols over one smoltcp socket (FTP control, IRC): lines end
//! in CRLF on the wire; a line may arrive split over segments or several
//! to a segment, so bytes wait here until their line is complete.

use smoltcp::socket::tcp;

/// A line longer than this is cut (FTP and IRC both bound theirs; IRC at
/// 512 bytes, and no server here sends more).
const LINE_BYTES_MAX: usize = 4096;

/// Bytes of an unfinished line, per connection.
#[derive(Default)]
pub struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    /// The complete lines the socket has for us, without their line ends.
    pub fn read(&mut self, s: &mut tcp::Socket<'_>) -> Vec<String> {
        let mut buf = [0u8; 2048];
        while s.can_recv() {
            match s.recv_slice(&mut buf) {
                Ok(n) if n > 0 => self.partial.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        let mut out = Vec::new();
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line);
            out.push(text.trim_end_matches(['\r', '\n']).to_string());
        }
        if self.partial.len() > LINE_BYTES_MAX {
            out.push(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
        }
        out
    }
}

/// Queues `line` and its CRLF. The buffers are far larger than any
/// command, so a line is never cut; false if the socket cannot send.
pub fn write(s: &mut tcp::Socket<'_>, line: &str) -> bool {
    let wire = format!("{line}\r\n");
    s.may_send() && s.send_slice(wire.as_bytes()).is_ok_and(|n| n == wire.len())
}

/// Writes up to `left` bytes of filler into the socket; how many went.
pub fn fill(s: &mut tcp::Socket<'_>, left: u64) -> u64 {
    static ZEROS: [u8; 4096] = [0; 4096];
    let mut sent = 0;
    while sent < left && s.can_send() {
        let n = ((left - sent) as usize).min(ZEROS.len());
        match s.send_slice(&ZEROS[..n]) {
            Ok(0) | Err(_) => break,
            Ok(k) => sent += k as u64,
        }
    }
    sent
}

/// Reads and discards what the socket has; how many bytes.
pub fn drain(s: &mut tcp::Socket<'_>) -> u64 {
    let mut n = 0;
    while s.can_recv() {
        match s.recv(|b| (b.len(), b.len())) {
            Ok(k) if k > 0 => n += k as u64,
            _ => break,
        }
    }
    n
}

/// The IPv4 address and port of a smoltcp endpoint.
pub fn v4(e: smoltcp::wire::IpEndpoint) -> (std::net::Ipv4Addr, u16) {
    let smoltcp::wire::IpAddress::Ipv4(a) = e.addr;
    (a, e.port)
}
