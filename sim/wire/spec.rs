//! Packets as one line of text, both ways: [`craft`] builds an IPv4
//! datagram from a spec, [`describe`] writes a datagram as a spec. `nfsim
//! trace` takes them, transcripts print them, scenarios craft edge cases
//! with them; what `describe` prints, `craft` rebuilds (payload aside,
//! which is described by its length).
//!
//! ```text
//! tcp 192.168.1.10:40000 > 203.0.113.20:80 flags S seq 1000 win 64240 mss 1460 in eth0
//! udp 10.0.0.1:5353 > 224.0.0.251:5353 data "hello" ttl 1
//! icmp 10.0.0.1 > 10.0.0.2 type echo-request id 7 seq 1
//! proto 47 10.0.0.1 > 10.0.0.2 len 24
//! ```
//!
//! Words after the addresses, in any order:
//! - IP: `ttl N` (64), `tos N`, `ipid N`, `df`, `mf`, `frag N` (offset in
//!   8-byte units), `ipbadsum` (a wrong header checksum);
//! - TCP: `flags` of `SAFRPUEC` letters or `none` (default `S`), `seq N`,
//!   `ack N`, `win N` (64240), `urg N`, options `mss N`, `wscale N`,
//!   `sackok`, `ts V/E`, `sack L-R[,L-R...]`;
//! - ICMP: `type` (a number or `echo-request`, `echo-reply`,
//!   `dest-unreachable`, `time-exceeded`...), `code N`, `id N`, `seq N`;
//! - payload: `len N` (zero bytes), `data "TEXT"` or `hex HEX`;
//! - `badsum`: a wrong layer-4 checksum;
//! - placement (not part of the packet): `in IFACE`, and `fragment N`: the
//!   datagram leaves as IP fragments of N payload bytes each (a multiple
//!   of 8), the way fragroute splits a request to slip it past a filter.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::checksum;

/// A crafted packet and where it enters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crafted {
    /// The IPv4 datagram.
    pub ip: Vec<u8>,
    /// `in IFACE`, when given.
    pub iface: Option<String>,
    /// `fragment N`: payload bytes per fragment, when given.
    pub fragment: Option<usize>,
}

/// TCP flag letters in header bit order (FIN first), as the spec spells them.
const FLAG_LETTERS: [(u8, char); 8] =
    [(0x02, 'S'), (0x10, 'A'), (0x01, 'F'), (0x04, 'R'), (0x08, 'P'), (0x20, 'U'), (0x40, 'E'), (0x80, 'C')];

/// ICMP type names the spec accepts (and `describe` prints).
const ICMP_TYPES: [(u8, &str); 8] = [
    (0, "echo-reply"),
    (3, "dest-unreachable"),
    (4, "source-quench"),
    (5, "redirect"),
    (8, "echo-request"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp-request"),
];

/// What is parsed before the bytes are laid out.
struct Fields {
    proto: u8,
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    ttl: Option<u8>,
    tos: u8,
    id: u16,
    df: bool,
    mf: bool,
    frag: u16,
    ipbadsum: bool,
    badsum: bool,
    flags: Option<u8>,
    seq: u32,
    ack: u32,
    win: Option<u16>,
    urg: u16,
    options: Vec<u8>,
    icmp_type: u8,
    icmp_code: u8,
    icmp_id: u16,
    icmp_seq: u16,
    payload: Vec<u8>,
    iface: Option<String>,
}

/// Builds the packet `text` describes.
///
/// # Errors
/// What is wrong, naming the word.
pub fn craft(text: &str) -> Result<Crafted, String> {
    let words = split(text)?;
    let mut w = words.iter().map(String::as_str).peekable();
    let unspecified = (Ipv4Addr::UNSPECIFIED, 0);
    let mut f = Fields {
        proto: 0,
        src: unspecified,
        dst: unspecified,
        ttl: None,
        tos: 0,
        id: 0,
        df: false,
        mf: false,
        frag: 0,
        ipbadsum: false,
        badsum: false,
        flags: None,
        seq: 0,
        ack: 0,
        win: None,
        urg: 0,
        options: Vec::new(),
        icmp_type: 0,
        icmp_code: 0,
        icmp_id: 0,
        icmp_seq: 0,
        payload: Vec::new(),
        iface: None,
    };
    let mut fragment = None;
    let proto_word = w.next().ok_or("empty packet spec")?;
    f.proto = match proto_word {
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "proto" => number(w.next(), "proto")?,
        other => return Err(format!("unknown protocol `{other}` (tcp, udp, icmp or proto N)")),
    };
    let ported = matches!(f.proto, 6 | 17);
    f.src = endpoint(w.next(), ported, "source")?;
    match w.next() {
        Some(">") => {}
        other => return Err(format!("expected `>` after the source, found {}", shown(other))),
    }
    f.dst = endpoint(w.next(), ported, "destination")?;
    while let Some(word) = w.next() {
        let mut arg = |name: &str| w.next().ok_or_else(|| format!("`{name}` needs a value"));
        match word {
            "ttl" => f.ttl = Some(number(Some(arg(word)?), word)?),
            "tos" => f.tos = number(Some(arg(word)?), word)?,
            "ipid" => f.id = number(Some(arg(word)?), word)?,
            "df" => f.df = true,
            "mf" => f.mf = true,
            "frag" => f.frag = number(Some(arg(word)?), word)?,
            "ipbadsum" => f.ipbadsum = true,
            "badsum" => f.badsum = true,
            "in" => f.iface = Some(arg(word)?.to_string()),
            "fragment" => {
                let n: usize = number(Some(arg(word)?), word)?;
                if n == 0 || !n.is_multiple_of(8) {
                    return Err(format!("`fragment {n}`: fragments carry a positive multiple of 8 bytes"));
                }
                fragment = Some(n);
            }
            "len" => f.payload = vec![0; number::<usize>(Some(arg(word)?), word)?],
            "data" => f.payload = arg(word)?.as_bytes().to_vec(),
            "hex" => f.payload = hex(arg(word)?)?,
            "flags" if f.proto == 6 => f.flags = Some(tcp_flags(arg(word)?)?),
            "seq" if f.proto == 6 => f.seq = number(Some(arg(word)?), word)?,
            "seq" if f.proto == 1 => f.icmp_seq = number(Some(arg(word)?), word)?,
            "ack" if f.proto == 6 => f.ack = number(Some(arg(word)?), word)?,
            "win" if f.proto == 6 => f.win = Some(number(Some(arg(word)?), word)?),
            "urg" if f.proto == 6 => f.urg = number(Some(arg(word)?), word)?,
            "mss" if f.proto == 6 => {
                let v: u16 = number(Some(arg(word)?), word)?;
                f.options.extend_from_slice(&[2, 4]);
                f.options.extend_from_slice(&v.to_be_bytes());
            }
            "wscale" if f.proto == 6 => f.options.extend_from_slice(&[3, 3, number(Some(arg(word)?), word)?]),
            "sackok" if f.proto == 6 => f.options.extend_from_slice(&[4, 2]),
            "ts" if f.proto == 6 => {
                let v = arg(word)?;
                let (a, b) = v.split_once('/').ok_or_else(|| format!("`ts {v}`: expected VALUE/ECHO"))?;
                f.options.extend_from_slice(&[8, 10]);
                f.options.extend_from_slice(&number::<u32>(Some(a), word)?.to_be_bytes());
                f.options.extend_from_slice(&number::<u32>(Some(b), word)?.to_be_bytes());
            }
            "sack" if f.proto == 6 => {
                let v = arg(word)?;
                let blocks: Vec<&str> = v.split(',').collect();
                f.options.extend_from_slice(&[5, (2 + 8 * blocks.len()) as u8]);
                for b in blocks {
                    let (l, r) = b.split_once('-').ok_or_else(|| format!("`sack {v}`: expected LEFT-RIGHT"))?;
                    f.options.extend_from_slice(&number::<u32>(Some(l), word)?.to_be_bytes());
                    f.options.extend_from_slice(&number::<u32>(Some(r), word)?.to_be_bytes());
                }
            }
            "id" if f.proto == 1 => f.icmp_id = number(Some(arg(word)?), word)?,
            "type" if f.proto == 1 => {
                let v = arg(word)?;
                f.icmp_type = match ICMP_TYPES.iter().find(|(_, n)| *n == v) {
                    Some(&(t, _)) => t,
                    None => number(Some(v), word)?,
                };
            }
            "code" if f.proto == 1 => f.icmp_code = number(Some(arg(word)?), word)?,
            other => return Err(format!("unknown word `{other}` in a {proto_word} packet spec")),
        }
    }
    if f.options.len() > 40 {
        return Err("TCP options longer than 40 bytes".into());
    }
    Ok(Crafted { ip: lay_out(&f), iface: f.iface.take(), fragment })
}

impl Crafted {
    /// What goes on the wire, in order: the datagram, or its fragments.
    pub fn datagrams(&self) -> Vec<Vec<u8>> {
        match self.fragment {
            Some(size) => fragments(&self.ip, size),
            None => vec![self.ip.clone()],
        }
    }
}

/// Splits a datagram into fragments of `size` payload bytes (a multiple
/// of 8), in order, as `ip_fragment` lays them out: each a copy of the
/// header with its offset, MF on all but the last, and a fresh header
/// checksum. IP options go only into the first fragment (crafted ones
/// carry none a router must copy). A datagram that fits is sent whole.
pub fn fragments(ip: &[u8], size: usize) -> Vec<Vec<u8>> {
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let payload = &ip[ihl..];
    if payload.len() <= size {
        return vec![ip.to_vec()];
    }
    let word = u16::from_be_bytes([ip[6], ip[7]]);
    let (base, more) = (word & 0x1fff, word & 0x2000 != 0);
    let chunks: Vec<&[u8]> = payload.chunks(size).collect();
    let last = chunks.len() - 1;
    let mut at = 0;
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let head = if i == 0 { &ip[..ihl] } else { &ip[..20] };
            let mut f = Vec::with_capacity(head.len() + chunk.len());
            f.extend_from_slice(head);
            f[0] = 0x40 | (head.len() / 4) as u8;
            f.extend_from_slice(chunk);
            let total = f.len() as u16;
            f[2..4].copy_from_slice(&total.to_be_bytes());
            let mf = if i < last || more { 0x2000 } else { 0 };
            let off = (word & 0x4000) | mf | (base + (at / 8) as u16);
            f[6..8].copy_from_slice(&off.to_be_bytes());
            f[10..12].copy_from_slice(&[0, 0]);
            let sum = checksum::finish(checksum::sum(&f[..head.len()]));
            f[10..12].copy_from_slice(&sum.to_be_bytes());
            at += chunk.len();
            f
        })
        .collect()
}

/// The datagram's bytes.
fn lay_out(f: &Fields) -> Vec<u8> {
    let l4 = match f.proto {
        6 => {
            let opts = f.options.len().div_ceil(4) * 4;
            let mut h = vec![0u8; 20 + opts];
            h[0..2].copy_from_slice(&f.src.1.to_be_bytes());
            h[2..4].copy_from_slice(&f.dst.1.to_be_bytes());
            h[4..8].copy_from_slice(&f.seq.to_be_bytes());
            h[8..12].copy_from_slice(&f.ack.to_be_bytes());
            h[12] = (((20 + opts) / 4) << 4) as u8;
            h[13] = f.flags.unwrap_or(0x02);
            h[14..16].copy_from_slice(&f.win.unwrap_or(64240).to_be_bytes());
            h[18..20].copy_from_slice(&f.urg.to_be_bytes());
            h[20..20 + f.options.len()].copy_from_slice(&f.options);
            h.extend_from_slice(&f.payload);
            h
        }
        17 => {
            let mut h = vec![0u8; 8];
            h[0..2].copy_from_slice(&f.src.1.to_be_bytes());
            h[2..4].copy_from_slice(&f.dst.1.to_be_bytes());
            h[4..6].copy_from_slice(&((8 + f.payload.len()) as u16).to_be_bytes());
            h.extend_from_slice(&f.payload);
            h
        }
        1 => {
            let mut h = vec![f.icmp_type, f.icmp_code, 0, 0];
            h.extend_from_slice(&f.icmp_id.to_be_bytes());
            h.extend_from_slice(&f.icmp_seq.to_be_bytes());
            h.extend_from_slice(&f.payload);
            h
        }
        _ => f.payload.clone(),
    };
    let total = 20 + l4.len();
    let mut ip = vec![0u8; 20];
    ip[0] = 0x45;
    ip[1] = f.tos;
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip[4..6].copy_from_slice(&f.id.to_be_bytes());
    let frag = f.frag & 0x1fff | if f.df { 0x4000 } else { 0 } | if f.mf { 0x2000 } else { 0 };
    ip[6..8].copy_from_slice(&frag.to_be_bytes());
    ip[8] = f.ttl.unwrap_or(64);
    ip[9] = f.proto;
    ip[12..16].copy_from_slice(&f.src.0.octets());
    ip[16..20].copy_from_slice(&f.dst.0.octets());
    let sum = checksum::finish(checksum::sum(&ip)) ^ if f.ipbadsum { 0x5a5a } else { 0 };
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut l4 = l4;
    let at = match f.proto {
        6 => Some(16),
        17 => Some(6),
        1 => Some(2),
        _ => None,
    };
    if let Some(at) = at {
        let pseudo = match f.proto {
            1 => 0,
            p => checksum::pseudo_header(f.src.0, f.dst.0, p, l4.len() as u16),
        };
        let mut sum = checksum::finish(pseudo + checksum::sum(&l4));
        if f.proto == 17 && sum == 0 {
            sum = 0xffff;
        }
        if f.badsum {
            sum ^= 0x5a5a;
        }
        l4[at..at + 2].copy_from_slice(&sum.to_be_bytes());
    }
    ip.extend_from_slice(&l4);
    ip
}

/// Words of a spec; `"..."` groups words (no escapes).
fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').ok_or("unterminated quote in packet spec")?;
            words.push(q[..end].to_string());
            rest = q[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            words.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    Ok(words)
}

fn shown(w: Option<&str>) -> String {
    w.map_or_else(|| "the end".to_string(), |w| format!("`{w}`"))
}

fn number<T: std::str::FromStr>(w: Option<&str>, what: &str) -> Result<T, String> {
    let w = w.ok_or_else(|| format!("`{what}` needs a value"))?;
    let parsed = match w.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok().and_then(|v| v.to_string().parse().ok()),
        None => w.parse().ok(),
    };
    parsed.ok_or_else(|| format!("`{what} {w}`: not a number in range"))
}

fn endpoint(w: Option<&str>, ported: bool, what: &str) -> Result<(Ipv4Addr, u16), String> {
    let w = w.ok_or_else(|| format!("missing {what} address"))?;
    let (addr, port) = match (w.rsplit_once(':'), ported) {
        (Some((a, p)), true) => (a, number(Some(p), &format!("{what} port"))?),
        (None, true) => return Err(format!("{what} `{w}` needs a port (ADDR:PORT)")),
        (Some(_), false) => return Err(format!("{what} `{w}`: this protocol has no ports")),
        (None, false) => (w, 0),
    };
    let addr = addr.parse().map_err(|_| format!("{what} `{addr}` is not an IPv4 address"))?;
    Ok((addr, port))
}

fn tcp_flags(w: &str) -> Result<u8, String> {
    if w == "none" {
        return Ok(0);
    }
    w.chars().try_fold(0u8, |acc, c| {
        let bit = FLAG_LETTERS.iter().find(|(_, l)| *l == c.to_ascii_uppercase()).map(|(b, _)| *b);
        bit.map(|b| acc | b).ok_or_else(|| format!("`flags {w}`: unknown flag `{c}` (letters of SAFRPUEC)"))
    })
}

fn hex(w: &str) -> Result<Vec<u8>, String> {
    if !w.len().is_multiple_of(2) {
        return Err(format!("`hex {w}`: odd number of digits"));
    }
    (0..w.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&w[i..i + 2], 16).map_err(|_| format!("`hex {w}`: not hex")))
        .collect()
}

/// The spec of an IPv4 datagram (payload by its length); `"?"`-marked
/// when the datagram is too short to read.
pub fn describe(ip: &[u8]) -> String {
    let mut s = String::new();
    if ip.len() < 20 || ip[0] >> 4 != 4 {
        return format!("? {} bytes, not an IPv4 datagram", ip.len());
    }
    let ihl = usize::from(ip[0] & 0xf) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).clamp(ihl.min(ip.len()), ip.len());
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    let proto = ip[9];
    let frag = u16::from_be_bytes([ip[6], ip[7]]);
    let first = frag & 0x1fff == 0;
    let l4 = ip.get(ihl..total).unwrap_or(&[]);
    let payload = match proto {
        6 if first && l4.len() >= 20 => {
            let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
            let _ = write!(s, "tcp {src}:{} > {dst}:{} flags ", port(0), port(2));
            let flags = l4[13];
            if flags == 0 {
                s.push_str("none");
            }
            for (bit, letter) in FLAG_LETTERS {
                if flags & bit != 0 {
                    s.push(letter);
                }
            }
            let word = |at: usize| u32::from_be_bytes([l4[at], l4[at + 1], l4[at + 2], l4[at + 3]]);
            for (name, v) in [("seq", word(4)), ("ack", word(8))] {
                if v != 0 {
                    let _ = write!(s, " {name} {v}");
                }
            }
            if port(14) != 64240 {
                let _ = write!(s, " win {}", port(14));
            }
            if port(18) != 0 {
                let _ = write!(s, " urg {}", port(18));
            }
            let doff = (usize::from(l4[12] >> 4) * 4).clamp(20, l4.len());
            describe_options(&l4[20..doff], &mut s);
            &l4[doff..]
        }
        17 if first && l4.len() >= 8 => {
            let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
            let _ = write!(s, "udp {src}:{} > {dst}:{}", port(0), port(2));
            &l4[8..]
        }
        1 if first && l4.len() >= 8 => {
            let _ = write!(s, "icmp {src} > {dst} type ");
            match ICMP_TYPES.iter().find(|(t, _)| *t == l4[0]) {
                Some((_, name)) => s.push_str(name),
                None => {
                    let _ = write!(s, "{}", l4[0]);
                }
            }
            if l4[1] != 0 {
                let _ = write!(s, " code {}", l4[1]);
            }
            let id = u16::from_be_bytes([l4[4], l4[5]]);
            let seq = u16::from_be_bytes([l4[6], l4[7]]);
            if id != 0 {
                let _ = write!(s, " id {id}");
            }
            if seq != 0 {
                let _ = write!(s, " seq {seq}");
            }
            &l4[8..]
        }
        p => {
            let _ = write!(s, "proto {p} {src} > {dst}");
            l4
        }
    };
    if !payload.is_empty() {
        let _ = write!(s, " len {}", payload.len());
    }
    if ip[8] != 64 {
        let _ = write!(s, " ttl {}", ip[8]);
    }
    if ip[1] != 0 {
        let _ = write!(s, " tos {}", ip[1]);
    }
    let id = u16::from_be_bytes([ip[4], ip[5]]);
    if id != 0 {
        let _ = write!(s, " ipid {id}");
    }
    for (bit, name) in [(0x4000, " df"), (0x2000, " mf")] {
        if frag & bit != 0 {
            s.push_str(name);
        }
    }
    if frag & 0x1fff != 0 {
        let _ = write!(s, " frag {}", frag & 0x1fff);
    }
    s
}

/// An Ethernet frame as a packet spec (its IPv4 datagram), or what it is
/// when it is not IPv4 (`arp`, `ethertype Ipv6`).
pub fn describe_frame(frame: &[u8]) -> String {
    use super::EtherType;
    match super::parse_l2(frame) {
        Ok(l2) if l2.ethertype == EtherType::Ipv4 => describe(&frame[l2.payload_offset..]),
        Ok(l2) if l2.ethertype == EtherType::Arp => "arp".to_string(),
        Ok(l2) => format!("ethertype {:?}", l2.ethertype),
        Err(_) => format!("{} bytes, not Ethernet", frame.len()),
    }
}

/// TCP options in spec words (unknown ones are left out).
fn describe_options(mut o: &[u8], s: &mut String) {
    while let Some(&kind) = o.first() {
        if kind == 0 {
            break;
        }
        if kind == 1 {
            o = &o[1..];
            continue;
        }
        let len = usize::from(*o.get(1).unwrap_or(&0));
        if len < 2 || len > o.len() {
            break;
        }
        let body = &o[2..len];
        let word = |at: usize| u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        match (kind, body.len()) {
            (2, 2) => {
                let _ = write!(s, " mss {}", u16::from_be_bytes([body[0], body[1]]));
            }
            (3, 1) => {
                let _ = write!(s, " wscale {}", body[0]);
            }
            (4, 0) => s.push_str(" sackok"),
            (8, 8) => {
                let _ = write!(s, " ts {}/{}", word(0), word(4));
            }
            (5, n) if n % 8 == 0 && n > 0 => {
                s.push_str(" sack ");
                for (i, at) in (0..n).step_by(8).enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "{}-{}", word(at), word(at + 4));
                }
            }
            _ => {}
        }
        o = &o[len..];
    }
}

#[cfg(test)]
mod test {

    #[test]
    fn fragments_split_the_payload_in_order_and_keep_the_datagram() {
        let c = craft("tcp 192.168.1.10:40000 > 203.0.113.20:80 flags AP seq 1 ack 1 ipid 9 data \"/default.ida?NNNN\" fragment 24").unwrap();
        let f = c.datagrams();
        // 20 TCP + 17 data bytes: 24 in the first fragment, 13 in the second.
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].len(), f[1].len()), (44, 33));
        assert_eq!(u16::from_be_bytes([f[0][6], f[0][7]]), 0x2000, "MF, offset 0");
        assert_eq!(u16::from_be_bytes([f[1][6], f[1][7]]), 3, "offset 3 units, last");
        for x in &f {
            assert_eq!(checksum::data(&x[..20]), 0xffff, "header checksum");
            assert_eq!((x[4], x[5]), (0, 9), "same IP ID");
        }
        let mut joined = f[0][20..].to_vec();
        joined.extend_from_slice(&f[1][20..]);
        assert_eq!(joined, c.ip[20..]);
        assert!(craft("udp 1.1.1.1:1 > 2.2.2.2:2 fragment 12").is_err());
        assert_eq!(craft("udp 1.1.1.1:1 > 2.2.2.2:2 fragment 8").unwrap().datagrams().len(), 1);
    }
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_syn_has_valid_checksums_and_reads_back() {
        let c = craft("tcp 192.168.1.10:40000 > 203.0.113.20:80 flags S seq 7 mss 1460 in eth0").unwrap();
        assert_eq!(c.iface.as_deref(), Some("eth0"));
        let ip = &c.ip;
        assert_eq!(checksum::data(&ip[..20]), 0xffff, "ip header checksum");
        let pseudo = checksum::pseudo_header([192, 168, 1, 10].into(), [203, 0, 113, 20].into(), 6, 24);
        assert_eq!(checksum::fold(pseudo + checksum::sum(&ip[20..])), 0xffff, "tcp checksum");
        assert_eq!(describe(ip), "tcp 192.168.1.10:40000 > 203.0.113.20:80 flags S seq 7 mss 1460");
    }

    #[test]
    fn icmp_and_udp_and_other_protocols() {
        let e = craft("icmp 10.0.0.1 > 10.0.0.2 type echo-request id 7 seq 1 data \"ping\"").unwrap();
        assert_eq!(describe(&e.ip), "icmp 10.0.0.1 > 10.0.0.2 type echo-request id 7 seq 1 len 4");
        assert_eq!(checksum::data(&e.ip[20..]), 0xffff);
        let u = craft("udp 10.0.0.1:5353 > 224.0.0.251:5353 len 3 ttl 1 df").unwrap();
        assert_eq!(describe(&u.ip), "udp 10.0.0.1:5353 > 224.0.0.251:5353 len 3 ttl 1 df");
        let g = craft("proto 47 10.0.0.1 > 10.0.0.2 hex 0000").unwrap();
        assert_eq!(describe(&g.ip), "proto 47 10.0.0.1 > 10.0.0.2 len 2");
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let err = |s: &str| craft(s).unwrap_err();
        assert_eq!(err(""), "empty packet spec");
        assert_eq!(err("sctp 1.2.3.4:1 > 1.2.3.5:2"), "unknown protocol `sctp` (tcp, udp, icmp or proto N)");
        assert_eq!(err("tcp 1.2.3.4 > 1.2.3.5:2"), "source `1.2.3.4` needs a port (ADDR:PORT)");
        assert_eq!(err("tcp 1.2.3.4:1 1.2.3.5:2"), "expected `>` after the source, found `1.2.3.5:2`");
        assert_eq!(err("tcp 1.2.3.4:1 > 1.2.3.5:2 flags SX"), "`flags SX`: unknown flag `X` (letters of SAFRPUEC)");
        assert_eq!(err("tcp 1.2.3.4:1 > 1.2.3.5:2 ttl 300"), "`ttl 300`: not a number in range");
        assert_eq!(err("udp 1.2.3.4:1 > 1.2.3.5:2 flags S"), "unknown word `flags` in a udp packet spec");
        assert_eq!(err("icmp 1.2.3.4 > 1.2.3.999"), "destination `1.2.3.999` is not an IPv4 address");
        assert_eq!(err("tcp 1.2.3.4:1 > 1.2.3.5:2 seq"), "`seq` needs a value");
    }

    proptest! {
        /// What `describe` prints, `craft` builds again byte for byte.
        #[test]
        fn describe_then_craft_is_the_identity(
            proto in prop::sample::select(vec![1u8, 6, 17, 47]),
            sport in any::<u16>(), dport in any::<u16>(),
            flags in any::<u8>(), seq in any::<u32>(), ack in any::<u32>(), win in any::<u16>(),
            mss in prop::option::of(any::<u16>()), ttl in any::<u8>(), tos in any::<u8>(), id in any::<u16>(),
            df in any::<bool>(), len in 0usize..40, ty in any::<u8>(),
        ) {
            let spec = match proto {
                6 => {
                    let mut s = format!("tcp 10.1.2.3:{sport} > 10.4.5.6:{dport} seq {seq} ack {ack} win {win} len {len}");
                    s.push_str(" flags ");
                    s.push_str(&FLAG_LETTERS.iter().filter(|(b, _)| flags & b != 0).map(|(_, l)| *l).collect::<String>());
                    if flags == 0 { s.push_str("none"); }
                    if let Some(m) = mss { s.push_str(&format!(" mss {m}")); }
                    s
                }
                17 => format!("udp 10.1.2.3:{sport} > 10.4.5.6:{dport} len {len}"),
                1 => format!("icmp 10.1.2.3 > 10.4.5.6 type {ty} id {sport} seq {dport} len {len}"),
                _ => format!("proto 47 10.1.2.3 > 10.4.5.6 len {len}"),
            };
            let spec = format!("{spec} ttl {ttl} tos {tos}{}", if df { " df" } else { "" });
            let spec = format!("{spec} ipid {id}");
            let first = craft(&spec).unwrap().ip;
            let again = craft(&describe(&first)).unwrap().ip;
            prop_assert_eq!(first, again);
        }
    }
}
