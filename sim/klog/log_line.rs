//! The text of a `-j LOG` line for an IPv4 packet, byte for byte as Linux 6.x's
//! `nf_log_syslog` builds it (`nf_log_ip_packet` → `dump_mac_header` →
//! `dump_ipv4_packet`), after the printk level.
//!
//! Every field is followed by one space, so a line ends with a space. The
//! packet is read the way the kernel reads an `sk_buff`: `ip` is the skb's data
//! from the IP header on and its length is `skb->len` (on input that is the IP
//! total length; `ip_rcv` has trimmed link padding). A header that does not fit
//! in `ip` prints `INCOMPLETE [N bytes]` (or `TRUNCATED`), and where the kernel
//! returns early (TCP and UDP headers, TCP options) the UID and MARK fields are
//! not printed either. An ICMP error's quoted datagram is dumped once, inside
//! `[` … `]`, with the same flags but without UID and MARK.

use std::fmt::Write;

/// `--log-tcp-sequence` (`NF_LOG_TCPSEQ`).
pub const TCP_SEQUENCE: u8 = 0x01;
/// `--log-tcp-options` (`NF_LOG_TCPOPT`).
pub const TCP_OPTIONS: u8 = 0x02;
/// `--log-ip-options` (`NF_LOG_IPOPT`).
pub const IP_OPTIONS: u8 = 0x04;
/// `--log-uid` (`NF_LOG_UID`).
pub const UID: u8 = 0x08;
/// `--log-macdecode` (`NF_LOG_MACDECODE`).
pub const MAC_DECODE: u8 = 0x20;

/// The Ethernet header the packet arrived with (what `skb_mac_header` points at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    /// Destination MAC address.
    pub dst_mac: [u8; 6],
    /// Source MAC address.
    pub src_mac: [u8; 6],
    /// EtherType (0x0800 for IPv4).
    pub ethertype: u16,
}

/// ICMP types (0..=18) whose fixed part must be present before their fields
/// are printed: `required_len[]` in `dump_ipv4_packet`.
const ICMP_REQUIRED_LEN: [u32; 19] = [4, 0, 0, 28, 28, 28, 0, 0, 4, 0, 0, 28, 28, 20, 20, 0, 0, 12, 12];

/// Appends the LOG line for the IPv4 datagram `ip` to `out`, without the
/// printk level and without a newline.
///
/// `prefix` is the rule's `--log-prefix`; `flags` its flag bits
/// ([`TCP_SEQUENCE`] …); `in_dev`/`out_dev` are the hook's devices (empty when
/// absent; the MAC field is printed only with an input device); `link` is the
/// received link header (`None` prints `MAC=` alone); `uid` the socket's
/// fsuid/fsgid, printed with [`UID`] when a full local socket owns the packet;
/// `mark` the skb mark, printed when non-zero.
#[allow(clippy::too_many_arguments)] // The kernel's inputs, one each; a struct would only rename them.
pub fn format_log_line(
    out: &mut String,
    prefix: &str,
    flags: u8,
    in_dev: &str,
    out_dev: &str,
    link: Option<LinkInfo>,
    ip: &[u8],
    uid: Option<(u32, u32)>,
    mark: u32,
) {
    let _ = write!(out, "{prefix}IN={in_dev} OUT={out_dev} ");
    if !in_dev.is_empty() {
        dump_mac(out, flags, link);
    }
    let outer = Outer { uid: if flags & UID != 0 { uid } else { None }, mark };
    dump_ipv4(out, flags, ip, 0, &outer);
}

/// What only the outer packet prints.
struct Outer {
    uid: Option<(u32, u32)>,
    mark: u32,
}

/// `dump_mac_header` for an Ethernet device.
fn dump_mac(out: &mut String, flags: u8, link: Option<LinkInfo>) {
    match link {
        Some(l) if flags & MAC_DECODE != 0 => {
            out.push_str("MACSRC=");
            push_mac(out, &l.src_mac);
            out.push_str(" MACDST=");
            push_mac(out, &l.dst_mac);
            let _ = write!(out, " MACPROTO={:04x} ", l.ethertype);
        }
        Some(l) => {
            out.push_str("MAC=");
            push_mac(out, &l.dst_mac);
            out.push(':');
            push_mac(out, &l.src_mac);
            let _ = write!(out, ":{:02x}:{:02x} ", l.ethertype >> 8, l.ethertype & 0xff);
        }
        None => out.push_str("MAC= "),
    }
}

fn push_mac(out: &mut String, mac: &[u8; 6]) {
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
}

fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
}

/// `skb_header_pointer`: `len` bytes at `off`, if the skb holds them.
fn hdr(skb: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    skb.get(off..off.checked_add(len)?)
}

/// `skb->len - offset` as the kernel's `unsigned int` arithmetic gives it.
fn rest(skb: &[u8], off: usize) -> u32 {
    (skb.len() as u32).wrapping_sub(off as u32)
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Why a dump stopped before the UID and MARK fields.
struct Stop;

/// `dump_ipv4_packet`: the IP header at `iphoff` in `skb`, then its payload.
/// `iphoff` is 0 for the packet itself and non-zero inside an ICMP error.
fn dump_ipv4(out: &mut String, flags: u8, skb: &[u8], iphoff: usize, outer: &Outer) {
    let Some(ih) = hdr(skb, iphoff, 20) else {
        out.push_str("TRUNCATED");
        return;
    };
    let _ =
        write!(out, "SRC={}.{}.{}.{} DST={}.{}.{}.{} ", ih[12], ih[13], ih[14], ih[15], ih[16], ih[17], ih[18], ih[19]);
    let (tos, frag_off) = (ih[1], be16(ih, 6));
    let _ = write!(
        out,
        "LEN={} TOS=0x{:02X} PREC=0x{:02X} TTL={} ID={} ",
        be16(ih, 2),
        tos & 0x1e,
        tos & 0xe0,
        ih[8],
        be16(ih, 4)
    );
    for (bit, name) in [(0x8000, "CE "), (0x4000, "DF "), (0x2000, "MF ")] {
        if frag_off & bit != 0 {
            out.push_str(name);
        }
    }
    let fragment = frag_off & 0x1fff;
    if fragment != 0 {
        let _ = write!(out, "FRAG:{fragment} ");
    }
    let ihl = (ih[0] & 0x0f) as usize * 4;
    if flags & IP_OPTIONS != 0 && ihl > 20 {
        let Some(opt) = hdr(skb, iphoff + 20, ihl - 20) else {
            out.push_str("TRUNCATED");
            return;
        };
        out.push_str("OPT (");
        push_hex_upper(out, opt);
        out.push_str(") ");
    }
    let (proto, off) = (ih[9], iphoff + ihl);
    let dumped = match proto {
        6 => dump_tcp(out, flags, skb, fragment != 0, off),
        17 | 136 => dump_udp(out, skb, proto, fragment != 0, off),
        1 => {
            dump_icmp(out, flags, skb, fragment != 0, iphoff, off, outer);
            Ok(())
        }
        51 => {
            if fragment == 0 {
                out.push_str("PROTO=AH ");
                dump_spi(out, skb, off, 12, 4);
            }
            Ok(())
        }
        50 => {
            out.push_str("PROTO=ESP ");
            if fragment == 0 {
                dump_spi(out, skb, off, 8, 0);
            }
            Ok(())
        }
        _ => {
            let _ = write!(out, "PROTO={proto} ");
            Ok(())
        }
    };
    if dumped.is_err() || iphoff != 0 {
        return;
    }
    if let Some((uid, gid)) = outer.uid {
        let _ = write!(out, "UID={uid} GID={gid} ");
    }
    if outer.mark != 0 {
        let _ = write!(out, "MARK=0x{:x} ", outer.mark);
    }
}

/// AH and ESP: the SPI at `spi_at` of a header of `len` bytes.
fn dump_spi(out: &mut String, skb: &[u8], off: usize, len: usize, spi_at: usize) {
    match hdr(skb, off, len) {
        Some(h) => {
            let _ = write!(out, "SPI=0x{:x} ", be32(h, spi_at));
        }
        None => {
            let _ = write!(out, "INCOMPLETE [{} bytes] ", rest(skb, off));
        }
    }
}

/// `nf_log_dump_tcp_header`.
fn dump_tcp(out: &mut String, flags: u8, skb: &[u8], fragment: bool, off: usize) -> Result<(), Stop> {
    out.push_str("PROTO=TCP ");
    if fragment {
        return Ok(());
    }
    let Some(th) = hdr(skb, off, 20) else {
        let _ = write!(out, "INCOMPLETE [{} bytes] ", rest(skb, off));
        return Err(Stop);
    };
    let _ = write!(out, "SPT={} DPT={} ", be16(th, 0), be16(th, 2));
    if flags & TCP_SEQUENCE != 0 {
        let _ = write!(out, "SEQ={} ACK={} ", be32(th, 4), be32(th, 8));
    }
    // RES: the three reserved bits left beside AE (TCP_RESERVED_BITS >> 22).
    let _ = write!(out, "WINDOW={} RES=0x{:02x} ", be16(th, 14), (th[12] & 0x0e) << 2);
    if th[12] & 0x01 != 0 {
        out.push_str("AE ");
    }
    const NAMES: [(u8, &str); 8] = [
        (0x80, "CWR "),
        (0x40, "ECE "),
        (0x20, "URG "),
        (0x10, "ACK "),
        (0x08, "PSH "),
        (0x04, "RST "),
        (0x02, "SYN "),
        (0x01, "FIN "),
    ];
    for (bit, name) in NAMES {
        if th[13] & bit != 0 {
            out.push_str(name);
        }
    }
    let _ = write!(out, "URGP={} ", be16(th, 18));
    let doff = (th[12] >> 4) as usize * 4;
    if flags & TCP_OPTIONS != 0 && doff > 20 {
        let Some(opt) = hdr(skb, off + 20, doff - 20) else {
            out.push_str("OPT (TRUNCATED)");
            return Err(Stop);
        };
        out.push_str("OPT (");
        push_hex_upper(out, opt);
        out.push_str(") ");
    }
    Ok(())
}

/// `nf_log_dump_udp_header`, for UDP and UDP-Lite.
fn dump_udp(out: &mut String, skb: &[u8], proto: u8, fragment: bool, off: usize) -> Result<(), Stop> {
    out.push_str(if proto == 17 { "PROTO=UDP " } else { "PROTO=UDPLITE " });
    if fragment {
        return Ok(());
    }
    let Some(uh) = hdr(skb, off, 8) else {
        let _ = write!(out, "INCOMPLETE [{} bytes] ", rest(skb, off));
        return Err(Stop);
    };
    let _ = write!(out, "SPT={} DPT={} LEN={} ", be16(uh, 0), be16(uh, 2), be16(uh, 4));
    Ok(())
}

/// The ICMP case of `dump_ipv4_packet`; never stops the UID/MARK fields.
fn dump_icmp(out: &mut String, flags: u8, skb: &[u8], fragment: bool, iphoff: usize, off: usize, outer: &Outer) {
    out.push_str("PROTO=ICMP ");
    if fragment {
        return;
    }
    let Some(ich) = hdr(skb, off, 8) else {
        let _ = write!(out, "INCOMPLETE [{} bytes] ", rest(skb, off));
        return;
    };
    let (ty, code) = (ich[0], ich[1]);
    let _ = write!(out, "TYPE={ty} CODE={code} ");
    if let Some(&need) = ICMP_REQUIRED_LEN.get(ty as usize)
        && need != 0
        && rest(skb, off) < need
    {
        let _ = write!(out, "INCOMPLETE [{} bytes] ", rest(skb, off));
        return;
    }
    match ty {
        0 | 8 => {
            let _ = write!(out, "ID={} SEQ={} ", be16(ich, 4), be16(ich, 6));
        }
        12 => {
            let _ = write!(out, "PARAMETER={} ", ich[4]);
        }
        3 | 4 | 5 | 11 => {
            if ty == 5 {
                let _ = write!(out, "GATEWAY={}.{}.{}.{} ", ich[4], ich[5], ich[6], ich[7]);
            }
            if iphoff == 0 {
                out.push('[');
                dump_ipv4(out, flags, skb, off + 8, outer);
                out.push_str("] ");
            }
            if ty == 3 && code == 4 {
                let _ = write!(out, "MTU={} ", be16(ich, 6));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod test {
    use super::super::log_line_fixtures::FIXTURES;
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn link_of(frame: &[u8]) -> LinkInfo {
        LinkInfo {
            dst_mac: frame[0..6].try_into().unwrap(),
            src_mac: frame[6..12].try_into().unwrap(),
            ethertype: u16::from_be_bytes([frame[12], frame[13]]),
        }
    }

    /// Formats what one fixture line's rule would print for `frame`.
    fn render(rule: &str, frame: &[u8]) -> String {
        let mut ip = frame[14..].to_vec();
        let (flags, out_dev, mark) = match rule {
            "nfA " => (0, "", 0),
            "nfB " => (TCP_SEQUENCE | TCP_OPTIONS | IP_OPTIONS, "", 0),
            "nfC " => (MAC_DECODE, "", 0),
            "nfM " => (0, "", 0x2a),
            "nfF " => {
                ip[8] -= 1; // forwarded: ip_forward has decremented the TTL
                (0, "eth1", 0)
            }
            _ => panic!("unknown rule {rule}"),
        };
        let mut s = String::new();
        format_log_line(&mut s, rule, flags, "eth0", out_dev, Some(link_of(frame)), &ip, None, mark);
        s
    }

    #[test]
    fn every_live_capture_is_reproduced_byte_for_byte() {
        let mut checked = 0;
        for f in FIXTURES {
            let frame = unhex(f.frame);
            for (_, line) in f.lines {
                assert_eq!(render(&line[..4], &frame), *line, "fixture {}", f.name);
                checked += 1;
            }
        }
        assert!(checked >= 140, "only {checked} lines");
    }

    #[test]
    fn uid_and_gid_of_a_local_socket() {
        // Observed: a UDP datagram sent by uid 65534 from the box, logged in OUTPUT.
        let ip = unhex("4500001eb297400040116f9b0a4d02010a4d0202c79615b4000aa1896869");
        let ip = &ip[..];
        let mut s = String::new();
        format_log_line(&mut s, "nfU ", UID, "", "eth1", None, ip, Some((65534, 65534)), 0);
        assert_eq!(
            s,
            "nfU IN= OUT=eth1 SRC=10.77.2.1 DST=10.77.2.2 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=45719 DF \
             PROTO=UDP SPT=51094 DPT=5556 LEN=10 UID=65534 GID=65534 "
        );
        // Without --log-uid the socket's ids are not printed.
        let mut t = String::new();
        format_log_line(&mut t, "", 0, "", "eth1", None, ip, Some((0, 0)), 0);
        assert!(!t.contains("UID"));
    }

    #[test]
    fn no_link_header_prints_mac_alone_and_early_stops_skip_mark() {
        let mut s = String::new();
        // A TCP header cut short: INCOMPLETE, and MARK is not reached.
        let ip = unhex("4500001e12344000400600000a4d01020a4d01010001000200000000");
        format_log_line(&mut s, "", 0, "tun0", "", None, &ip[..28], None, 7);
        assert_eq!(
            s,
            "IN=tun0 OUT= MAC= SRC=10.77.1.2 DST=10.77.1.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF \
             PROTO=TCP INCOMPLETE [8 bytes] "
        );
        let mut t = String::new();
        format_log_line(&mut t, "", 0, "", "", None, &[0x45, 0], None, 0);
        assert_eq!(t, "IN= OUT= TRUNCATED");
    }
}
