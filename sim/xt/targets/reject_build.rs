//! The packets REJECT sends, built as Linux 6.x's `nf_reject_ipv4` and
//! `icmp_send` build them; the pipeline sends the result through OUTPUT.
//!
//! **ICMP unreachable** (`nf_send_unreach` → `__icmp_send`), nothing sent for:
//! a fragment other than the first; a datagram whose checksum must be and
//! fails to be verified (`nf_reject_verify_csum`: TCP, ICMP and every other
//! protocol over the whole payload, UDP only when its checksum is non-zero;
//! never GRE, AH, ESP, SCTP or UDP-Lite; a first fragment therefore fails
//! unless it is one of those or zero-checksum UDP); a frame not addressed to
//! the box's MAC (`pkt_type` other than host); a packet whose route is
//! broadcast or multicast; an ICMP error or an ICMP type above 18, or an ICMP
//! datagram too short to hold its type. The reply comes from the rejected
//! packet's destination when that route is local, else from the address the
//! route back selects; TOS is the original's TOS bits (`& 0x1e`) with
//! precedence 0xc0; TTL the route's hop limit; no DF, so the ID comes from the
//! kernel's IP ID generator (the caller's closure). It quotes the datagram
//! (trimmed to its IP total length) from the IP header, as much as fits in
//! `min(route MTU, 576)` bytes. The caller applies `icmp_send`'s rate limits
//! (`icmp_ratelimit`, `icmp_msgs_per_sec`): type 3 is in the default ratemask.
//!
//! **TCP reset** (`nf_send_reset`), nothing sent for: a non-first fragment, a
//! non-TCP packet or a truncated TCP header, a RST, a failed TCP checksum, a
//! broadcast or multicast route. The reset goes from the original destination
//! to its source with ports swapped: if the original had ACK, `seq = its
//! ack_seq` and no ACK; else `ack = seq + SYN + FIN + payload length` with ACK.
//! TOS 0, ID 0, DF, window 0, TTL the hop limit of the original's route. The
//! caller also marks the connection closing (`nf_ct_set_closing`).
//!
//! IP options (observed on 6.18, cause not traced): nothing is sent when the
//! original carries a Record Route option with room left (both kinds) or a
//! Timestamp option, full or not (ICMP; assumed for RST); ICMP echoes a full
//! Record Route option. Source routes are not modelled and get no reply
//! (FIXME). Other options (router alert, NOP) are quoted but not echoed.

use crate::wire::checksum;
use crate::xt::Hook;
use crate::xt::targets::reject::RejectWith;
use std::net::Ipv4Addr;

/// The rejected packet's `skb->ip_summed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Csum {
    /// Nothing verified yet (frames from a wire, raw-socket packets).
    None,
    /// Verified by the device.
    Unnecessary,
    /// The device summed the packet; verified only in PREROUTING and INPUT.
    Complete,
    /// Locally generated, to be completed on output.
    Partial,
}

/// The rejected packet and what the stack knows about it.
#[derive(Clone, Copy, Debug)]
pub struct Offending<'a> {
    /// The skb's data from the IP header on (link padding may follow).
    pub ip: &'a [u8],
    /// The hook REJECT runs in.
    pub hook: Hook,
    /// Its checksum state.
    pub csum: Csum,
    /// `pkt_type == PACKET_HOST`: unicast to the box's MAC, or locally generated.
    pub to_host: bool,
    /// Its route is broadcast or multicast (`RTCF_BROADCAST | RTCF_MULTICAST`).
    pub route_bcast: bool,
    /// Its route is local (`RTCF_LOCAL`): addressed to the box.
    pub route_local: bool,
}

/// The route back to the rejected packet's source.
#[derive(Clone, Copy, Debug)]
pub struct ReplyRoute {
    /// Source address it selects (used when the rejected packet was not for the box).
    pub src: Ipv4Addr,
    /// Its MTU.
    pub mtu: u32,
    /// Its hop limit (`ip_default_ttl` unless the route sets one).
    pub ttl: u8,
}

/// Why nothing is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoReply {
    /// Not a whole IPv4 header, or a total length the data does not hold.
    Malformed,
    /// A fragment other than the first.
    Fragment,
    /// tcp-reset for a packet that is not TCP.
    NotTcp,
    /// The TCP header is cut short.
    TcpTruncated,
    /// No RST for a RST.
    ResetForReset,
    /// The checksum had to be verified and was wrong.
    BadChecksum,
    /// The packet's route is broadcast or multicast.
    Broadcast,
    /// The frame was not unicast to the box.
    NotForHost,
    /// No ICMP error about an ICMP error (or an unknown or truncated type).
    IcmpError,
    /// IP options the kernel would have to fill in or route by.
    Options,
    /// The route's MTU leaves no room for a quote.
    TinyMtu,
}

/// Builds what REJECT `with` sends for `pkt`: an IPv4 datagram, or why none.
/// `ident(src, dst)` gives the IP ID of an ICMP reply (`ip_select_ident`).
pub fn build(
    with: RejectWith,
    pkt: &Offending,
    route: &ReplyRoute,
    ident: &mut dyn FnMut(Ipv4Addr, Ipv4Addr) -> u16,
) -> Result<Vec<u8>, NoReply> {
    match with.icmp_code() {
        Some(code) => icmp_unreach(pkt, code, route, ident),
        None => tcp_reset(pkt, route.ttl),
    }
}

/// The datagram as `ip_rcv` leaves it: trimmed to its total length.
fn datagram(ip: &[u8]) -> Result<&[u8], NoReply> {
    if ip.len() < 20 || ip[0] >> 4 != 4 || ip[0] & 0x0f < 5 {
        return Err(NoReply::Malformed);
    }
    let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
    if total > ip.len() || total < ihl(ip) {
        return Err(NoReply::Malformed);
    }
    Ok(&ip[..total])
}

fn ihl(ip: &[u8]) -> usize {
    (ip[0] & 0x0f) as usize * 4
}

fn addr(ip: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(ip[at], ip[at + 1], ip[at + 2], ip[at + 3])
}

fn is_later_fragment(ip: &[u8]) -> bool {
    u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff != 0
}

/// `nf_ip_checksum` succeeds (or is skipped for this checksum state).
fn checksum_ok(pkt: &Offending, dg: &[u8]) -> bool {
    let verify = match pkt.csum {
        Csum::None => true,
        Csum::Complete => matches!(pkt.hook, Hook::PreRouting | Hook::Input),
        Csum::Unnecessary | Csum::Partial => false,
    };
    if !verify {
        return true;
    }
    let (proto, payload) = (dg[9], &dg[ihl(dg)..]);
    let mut sum = checksum::sum(payload);
    if proto == 6 || proto == 17 {
        sum += checksum::pseudo_header(addr(dg, 12), addr(dg, 16), proto, payload.len() as u16);
    }
    checksum::fold(sum) == 0xffff
}

/// `nf_reject_verify_csum`: whether the protocol's checksum covers the payload.
fn must_verify(dg: &[u8]) -> bool {
    let payload = &dg[ihl(dg)..];
    match dg[9] {
        17 => payload.len() < 8 || payload[6..8] != [0, 0],
        47 | 50 | 51 | 132 | 136 => false,
        _ => true,
    }
}

/// The options an ICMP reply echoes (`__ip_options_echo`), padded to 4 bytes,
/// or why there is no reply.
fn echo_options(dg: &[u8]) -> Result<Vec<u8>, NoReply> {
    let opts = &dg[20..ihl(dg)];
    let mut echoed = Vec::new();
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => i += 1,
            ty => {
                let len = *opts.get(i + 1).ok_or(NoReply::Options)? as usize;
                let opt = opts.get(i..i + len).filter(|_| len >= 2).ok_or(NoReply::Options)?;
                match ty {
                    // A full record route is echoed; one with room, any
                    // timestamp and the source routes get no reply (observed,
                    // except source routes: FIXME).
                    7 if len >= 3 && opt[2] as usize > len => echoed.extend_from_slice(opt),
                    7 | 68 | 0x83 | 0x89 => return Err(NoReply::Options),
                    _ => {}
                }
                i += len;
            }
        }
    }
    while echoed.len() % 4 != 0 {
        echoed.push(0);
    }
    Ok(echoed)
}

/// ICMP destination unreachable `code` about `pkt`.
pub fn icmp_unreach(
    pkt: &Offending,
    code: u8,
    route: &ReplyRoute,
    ident: &mut dyn FnMut(Ipv4Addr, Ipv4Addr) -> u16,
) -> Result<Vec<u8>, NoReply> {
    let dg = datagram(pkt.ip)?;
    if is_later_fragment(dg) {
        return Err(NoReply::Fragment);
    }
    if must_verify(dg) && !checksum_ok(pkt, dg) {
        return Err(NoReply::BadChecksum);
    }
    if !pkt.to_host {
        return Err(NoReply::NotForHost);
    }
    if pkt.route_bcast {
        return Err(NoReply::Broadcast);
    }
    if dg[9] == 1 {
        let inner = *dg.get(ihl(dg)).ok_or(NoReply::IcmpError)?;
        if inner > 18 || crate::wire::icmp::is_error(inner) {
            return Err(NoReply::IcmpError);
        }
    }
    let opts = echo_options(dg)?;
    let room = route.mtu.min(576) as i64 - 20 - opts.len() as i64 - 8;
    if room <= 20 {
        return Err(NoReply::TinyMtu);
    }
    let quote = &dg[..dg.len().min(room as usize)];
    let (src, dst) = (if pkt.route_local { addr(dg, 16) } else { route.src }, addr(dg, 12));
    let tos = (dg[1] & 0x1e) | 0xc0;
    let mut out = ipv4_header(src, dst, tos, ident(src, dst), false, route.ttl, 1, &opts);
    let icmp_at = out.len();
    out.extend_from_slice(&[3, code, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(quote);
    let c = checksum::finish(checksum::sum(&out[icmp_at..]));
    out[icmp_at + 2..icmp_at + 4].copy_from_slice(&c.to_be_bytes());
    finish_ipv4(&mut out);
    Ok(out)
}

/// The TCP reset answering `pkt`, with the hop limit `ttl`.
pub fn tcp_reset(pkt: &Offending, ttl: u8) -> Result<Vec<u8>, NoReply> {
    let dg = datagram(pkt.ip)?;
    if is_later_fragment(dg) {
        return Err(NoReply::Fragment);
    }
    if dg[9] != 6 {
        return Err(NoReply::NotTcp);
    }
    let th = dg.get(ihl(dg)..ihl(dg) + 20).ok_or(NoReply::TcpTruncated)?;
    let flags = th[13];
    if flags & 0x04 != 0 {
        return Err(NoReply::ResetForReset);
    }
    if !checksum_ok(pkt, dg) {
        return Err(NoReply::BadChecksum);
    }
    if pkt.route_bcast {
        return Err(NoReply::Broadcast);
    }
    echo_options(dg)?;
    let (src, dst) = (addr(dg, 16), addr(dg, 12));
    let mut out = ipv4_header(src, dst, 0, 0, true, ttl, 6, &[]);
    let mut tcp = [0u8; 20];
    tcp[0..2].copy_from_slice(&th[2..4]);
    tcp[2..4].copy_from_slice(&th[0..2]);
    if flags & 0x10 != 0 {
        tcp[4..8].copy_from_slice(&th[8..12]);
        tcp[13] = 0x04;
    } else {
        let seq = u32::from_be_bytes([th[4], th[5], th[6], th[7]]);
        let payload = (dg.len() as u32).wrapping_sub(ihl(dg) as u32).wrapping_sub((th[12] >> 4) as u32 * 4);
        let ack = seq.wrapping_add((flags >> 1) as u32 & 1).wrapping_add(flags as u32 & 1).wrapping_add(payload);
        tcp[8..12].copy_from_slice(&ack.to_be_bytes());
        tcp[13] = 0x14;
    }
    tcp[12] = 5 << 4;
    let c = checksum::finish(checksum::pseudo_header(src, dst, 6, 20) + checksum::sum(&tcp));
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    out.extend_from_slice(&tcp);
    finish_ipv4(&mut out);
    Ok(out)
}

/// An IPv4 header with `opts`, total length and checksum left for [`finish_ipv4`].
#[allow(clippy::too_many_arguments)] // One per header field.
fn ipv4_header(src: Ipv4Addr, dst: Ipv4Addr, tos: u8, id: u16, df: bool, ttl: u8, proto: u8, opts: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(20 + opts.len() + 8 + 576);
    h.push(0x40 | ((20 + opts.len()) / 4) as u8);
    h.push(tos);
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(if df { &[0x40, 0] } else { &[0, 0] });
    h.extend_from_slice(&[ttl, proto, 0, 0]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(opts);
    h
}

/// Fills in the total length and the header checksum.
fn finish_ipv4(p: &mut [u8]) {
    let total = p.len() as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    let hl = ihl(p);
    let c = checksum::finish(checksum::sum(&p[..hl]));
    p[10..12].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod test {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn kind(name: &str) -> RejectWith {
        match name.split('_').next().unwrap() {
            "net" => RejectWith::NetUnreachable,
            "host" => RejectWith::HostUnreachable,
            "proto" => RejectWith::ProtoUnreachable,
            "port" => RejectWith::PortUnreachable,
            "netprohib" => RejectWith::NetProhibited,
            "hostprohib" => RejectWith::HostProhibited,
            "adminprohib" => RejectWith::AdminProhibited,
            "rst" => RejectWith::TcpReset,
            k => panic!("unknown kind {k}"),
        }
    }

    /// The datagram as REJECT sees it: in FORWARD, `ip_forward` has already
    /// decremented the TTL (and updated the header checksum).
    fn at_hook(name: &str, frame: &[u8]) -> Vec<u8> {
        let mut ip = frame[14..].to_vec();
        if name.contains("_fwd_") {
            ip[8] -= 1;
            let c = checksum::update16(
                u16::from_be_bytes([ip[10], ip[11]]),
                (ip[8] as u16 + 1) << 8 | ip[9] as u16,
                (ip[8] as u16) << 8 | ip[9] as u16,
            );
            ip[10..12].copy_from_slice(&c.to_be_bytes());
        }
        ip
    }

    /// What the box knew about a captured frame: it came from a veth (nothing
    /// verified), to the box's MAC unless broadcast, routed locally in INPUT;
    /// the route back leaves `eth0` (10.77.1.1, MTU 1500, TTL 64).
    fn offending<'a>(name: &str, frame: &[u8], ip: &'a [u8]) -> Offending<'a> {
        let input = name.contains("_in_");
        Offending {
            ip,
            hook: if input { Hook::Input } else { Hook::Forward },
            csum: Csum::None,
            to_host: frame[0] & 1 == 0,
            route_bcast: frame[14 + 16..14 + 20] == [10, 77, 1, 255],
            route_local: input,
        }
    }

    const ROUTE: ReplyRoute = ReplyRoute { src: Ipv4Addr::new(10, 77, 1, 1), mtu: 1500, ttl: 64 };

    #[test]
    fn every_live_capture_is_rebuilt_byte_for_byte() {
        for (name, frame, reply) in CAPTURES {
            let frame = unhex(frame);
            let want = unhex(reply);
            // The kernel's IP ID generator is keyed randomly; take the captured ID.
            let id = if want.len() >= 6 { u16::from_be_bytes([want[4], want[5]]) } else { 0 };
            let mut ident = |src: Ipv4Addr, dst: Ipv4Addr| {
                if want.len() >= 20 {
                    assert_eq!((src, dst), (addr(&want, 12), addr(&want, 16)));
                }
                id
            };
            let ip = at_hook(name, &frame);
            let got = build(kind(name), &offending(name, &frame, &ip), &ROUTE, &mut ident);
            match got {
                Ok(p) if p[9] == 6 => {
                    // veth hands the RST over with CHECKSUM_PARTIAL, so the capture
                    // holds only the pseudo-header sum; we emit the full checksum.
                    let pseudo = checksum::fold(checksum::pseudo_header(addr(&p, 12), addr(&p, 16), 6, 20));
                    assert_eq!(want[36..38], pseudo.to_be_bytes(), "{name}");
                    assert_eq!(p[..36], want[..36], "{name}");
                    assert_eq!(p[38..], want[38..], "{name}");
                    assert_eq!(
                        checksum::fold(
                            checksum::sum(&p[20..]) + checksum::pseudo_header(addr(&p, 12), addr(&p, 16), 6, 20)
                        ),
                        0xffff
                    );
                }
                Ok(p) => assert_eq!(p, want, "{name}: we replied, the kernel did not or differently"),
                Err(why) => assert!(want.is_empty(), "{name}: kernel replied, we did not ({why:?})"),
            }
        }
        assert!(CAPTURES.len() >= 80);
    }

    fn syn(flags: u8, payload: &[u8]) -> Vec<u8> {
        let (src, dst) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(198, 51, 100, 2));
        let mut p = ipv4_header(src, dst, 0, 9, true, 64, 6, &[]);
        let mut t = vec![0x04, 0xd2, 0x00, 0x50, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
        t.extend_from_slice(payload);
        let c = checksum::finish(checksum::pseudo_header(src, dst, 6, t.len() as u16) + checksum::sum(&t));
        t[16..18].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&t);
        finish_ipv4(&mut p);
        p
    }

    fn pkt(ip: &[u8], csum: Csum, hook: Hook) -> Offending<'_> {
        Offending { ip, hook, csum, to_host: true, route_bcast: false, route_local: false }
    }

    #[test]
    fn reset_acknowledges_syn_fin_and_payload() {
        let p = syn(0x03, b"abc");
        let rst = tcp_reset(&pkt(&p, Csum::None, Hook::Forward), 17).unwrap();
        assert_eq!(rst.len(), 40);
        assert_eq!(&rst[8..10], &[17, 6]); // TTL from the route, TCP
        assert_eq!(&rst[4..8], &[0, 0, 0x40, 0]); // ID 0, DF
        assert_eq!(&rst[28..32], &[0, 0, 0x10, 5]); // ack = 0x1000 + SYN + FIN + 3
        assert_eq!(rst[33], 0x14);
    }

    #[test]
    fn checksum_state_decides_whether_a_bad_sum_matters() {
        let mut p = syn(0x02, b"");
        p[36] ^= 0xff; // break the TCP checksum
        let bad = |csum, hook| tcp_reset(&pkt(&p, csum, hook), 64);
        assert_eq!(bad(Csum::None, Hook::Forward), Err(NoReply::BadChecksum));
        assert_eq!(bad(Csum::Complete, Hook::Input), Err(NoReply::BadChecksum));
        assert!(bad(Csum::Complete, Hook::Forward).is_ok());
        assert!(bad(Csum::Partial, Hook::Output).is_ok());
        assert!(bad(Csum::Unnecessary, Hook::Input).is_ok());
    }

    #[test]
    fn small_route_mtu_shortens_the_quote_and_a_tiny_one_sends_nothing() {
        let p = syn(0x02, &[7; 600]);
        let mut id = |_, _| 0x1234;
        let route = ReplyRoute { mtu: 100, ..ROUTE };
        let icmp = icmp_unreach(&pkt(&p, Csum::None, Hook::Forward), 13, &route, &mut id).unwrap();
        assert_eq!(icmp.len(), 100);
        assert_eq!(&icmp[12..16], &[10, 77, 1, 1]); // not for the box: the route's source
        let tiny = ReplyRoute { mtu: 48, ..ROUTE };
        assert_eq!(icmp_unreach(&pkt(&p, Csum::None, Hook::Forward), 13, &tiny, &mut id), Err(NoReply::TinyMtu));
    }

    #[test]
    fn malformed_datagrams_get_nothing() {
        let mut id = |_, _| 0;
        for bad in [&[0x45u8, 0, 0, 20][..], &[0x65; 20][..], &syn(0x02, b"")[..30]] {
            let p = pkt(bad, Csum::Partial, Hook::Output);
            assert_eq!(icmp_unreach(&p, 3, &ROUTE, &mut id), Err(NoReply::Malformed));
            assert_eq!(tcp_reset(&p, 64), Err(NoReply::Malformed));
        }
    }

    /// Captured from Linux 6.18.44: each frame injected (AF_PACKET) into the
    /// box's `eth0`, rejected in filter INPUT (`_in_`) or FORWARD (`_fwd_`) by
    /// `-s 10.77.1.S -j REJECT` with the kind in the name (`rst` = tcp-reset,
    /// `port` = the default), and the box's answer captured on the LAN wire, from
    /// the IP header on ("" when nothing came). ICMP rate limits were off.
    /// Fragments appear only in FORWARD: INPUT sees datagrams reassembled.
    const CAPTURES: &[(&str, &str, &str)] = &[
        (
            "net_in_syn",
            "02000000010102000000010208004500002c006e4000400623ba0a4d010a0a4d01019c4a0050000f424a000000006002faf0a79d0000020405b4",
            "45c00048c0ff00004001a2510a4d01010a4d010a030013c3000000004500002c006e4000400623ba0a4d010a0a4d01019c4a0050000f424a000000006002faf0a79d0000020405b4",
        ),
        (
            "net_in_udp",
            "02000000010102000000010208004500002100d24000401123560a4d010a0a4d0101c35a0035000dd5b77175657279",
            "45c0003dc11200004001a2490a4d01010a4d010a030013c3000000004500002100d24000401123560a4d010a0a4d0101c35a0035000dd5b77175657279",
        ),
        (
            "net_in_echo",
            "02000000010102000000010208004500002c01364000400122f70a4d010a0a4d010108007d734242000a000102030405060708090a0b0c0d0e0f",
            "45c00048c14600004001a20a0a4d01010a4d010a0300fcff000000004500002c01364000400122f70a4d010a0a4d010108007d734242000a000102030405060708090a0b0c0d0e0f",
        ),
        (
            "net_fwd_syn",
            "02000000010102000000010208004500002c006e4000400622b90a4d010a0a4d02029c4a0050000f424a000000006002faf0a69c0000020405b4",
            "45c00048c14900004001a2070a4d01010a4d010a030014c4000000004500002c006e40003f0623b90a4d010a0a4d02029c4a0050000f424a000000006002faf0a69c0000020405b4",
        ),
        (
            "net_fwd_udp",
            "02000000010102000000010208004500002100d24000401122550a4d010a0a4d0202c35a0035000dd4b67175657279",
            "45c0003dc17000004001a1eb0a4d01010a4d010a030014c4000000004500002100d240003f1123550a4d010a0a4d0202c35a0035000dd4b67175657279",
        ),
        (
            "net_fwd_echo",
            "02000000010102000000010208004500002c01364000400121f60a4d010a0a4d020208007d734242000a000102030405060708090a0b0c0d0e0f",
            "45c00048c18900004001a1c70a4d01010a4d010a0300fcff000000004500002c013640003f0122f60a4d010a0a4d020208007d734242000a000102030405060708090a0b0c0d0e0f",
        ),
        (
            "host_in_syn",
            "02000000010102000000010208004500002c006f4000400623b80a4d010b0a4d01019c4b0050000f424b000000006002faf0a79a0000020405b4",
            "45c00048eae80000400178670a4d01010a4d010b030113c3000000004500002c006f4000400623b80a4d010b0a4d01019c4b0050000f424b000000006002faf0a79a0000020405b4",
        ),
        (
            "host_in_udp",
            "02000000010102000000010208004500002100d34000401123540a4d010b0a4d0101c35b0035000dd5b57175657279",
            "45c0003deb020000400178580a4d01010a4d010b030113c3000000004500002100d34000401123540a4d010b0a4d0101c35b0035000dd5b57175657279",
        ),
        (
            "host_in_echo",
            "02000000010102000000010208004500002c01374000400122f50a4d010b0a4d010108007d724242000b000102030405060708090a0b0c0d0e0f",
            "45c00048eb180000400178370a4d01010a4d010b0301fcfe000000004500002c01374000400122f50a4d010b0a4d010108007d724242000b000102030405060708090a0b0c0d0e0f",
        ),
        (
            "host_fwd_syn",
            "02000000010102000000010208004500002c006f4000400622b70a4d010b0a4d02029c4b0050000f424b000000006002faf0a6990000020405b4",
            "45c00048eb3000004001781f0a4d01010a4d010b030114c4000000004500002c006f40003f0623b70a4d010b0a4d02029c4b0050000f424b000000006002faf0a6990000020405b4",
        ),
        (
            "host_fwd_udp",
            "02000000010102000000010208004500002100d34000401122530a4d010b0a4d0202c35b0035000dd4b47175657279",
            "45c0003deb600000400177fa0a4d01010a4d010b030114c4000000004500002100d340003f1123530a4d010b0a4d0202c35b0035000dd4b47175657279",
        ),
        (
            "host_fwd_echo",
            "02000000010102000000010208004500002c01374000400121f40a4d010b0a4d020208007d724242000b000102030405060708090a0b0c0d0e0f",
            "45c00048eb900000400177bf0a4d01010a4d010b0301fcfe000000004500002c013740003f0122f40a4d010b0a4d020208007d724242000b000102030405060708090a0b0c0d0e0f",
        ),
        (
            "proto_in_syn",
            "02000000010102000000010208004500002c00704000400623b60a4d010c0a4d01019c4c0050000f424c000000006002faf0a7970000020405b4",
            "45c000487ea000004001e4ae0a4d01010a4d010c030213c3000000004500002c00704000400623b60a4d010c0a4d01019c4c0050000f424c000000006002faf0a7970000020405b4",
        ),
        (
            "proto_in_udp",
            "02000000010102000000010208004500002100d44000401123520a4d010c0a4d0101c35c0035000dd5b37175657279",
            "45c0003d7ed400004001e4850a4d01010a4d010c030213c3000000004500002100d44000401123520a4d010c0a4d0101c35c0035000dd5b37175657279",
        ),
        (
            "proto_in_echo",
            "02000000010102000000010208004500002c01384000400122f30a4d010c0a4d010108007d714242000c000102030405060708090a0b0c0d0e0f",
            "45c000487ee200004001e46c0a4d01010a4d010c0302fcfd000000004500002c01384000400122f30a4d010c0a4d010108007d714242000c000102030405060708090a0b0c0d0e0f",
        ),
        (
            "proto_fwd_syn",
            "02000000010102000000010208004500002c00704000400622b50a4d010c0a4d02029c4c0050000f424c000000006002faf0a6960000020405b4",
            "45c000487f1800004001e4360a4d01010a4d010c030214c4000000004500002c007040003f0623b50a4d010c0a4d02029c4c0050000f424c000000006002faf0a6960000020405b4",
        ),
        (
            "proto_fwd_udp",
            "02000000010102000000010208004500002100d44000401122510a4d010c0a4d0202c35c0035000dd4b27175657279",
            "45c0003d7f3200004001e4270a4d01010a4d010c030214c4000000004500002100d440003f1123510a4d010c0a4d0202c35c0035000dd4b27175657279",
        ),
        (
            "proto_fwd_echo",
            "02000000010102000000010208004500002c01384000400121f20a4d010c0a4d020208007d714242000c000102030405060708090a0b0c0d0e0f",
            "45c000487f6000004001e3ee0a4d01010a4d010c0302fcfd000000004500002c013840003f0122f20a4d010c0a4d020208007d714242000c000102030405060708090a0b0c0d0e0f",
        ),
        (
            "port_in_syn",
            "02000000010102000000010208004500002c00714000400623b40a4d010d0a4d01019c4d0050000f424d000000006002faf0a7940000020405b4",
            "45c000489db300004001c59a0a4d01010a4d010d030313c3000000004500002c00714000400623b40a4d010d0a4d01019c4d0050000f424d000000006002faf0a7940000020405b4",
        ),
        (
            "port_in_udp",
            "02000000010102000000010208004500002100d54000401123500a4d010d0a4d0101c35d0035000dd5b17175657279",
            "45c0003d9de400004001c5740a4d01010a4d010d030313c3000000004500002100d54000401123500a4d010d0a4d0101c35d0035000dd5b17175657279",
        ),
        (
            "port_in_echo",
            "02000000010102000000010208004500002c01394000400122f10a4d010d0a4d010108007d704242000d000102030405060708090a0b0c0d0e0f",
            "45c000489df600004001c5570a4d01010a4d010d0303fcfc000000004500002c01394000400122f10a4d010d0a4d010108007d704242000d000102030405060708090a0b0c0d0e0f",
        ),
        (
            "port_fwd_syn",
            "02000000010102000000010208004500002c00714000400622b30a4d010d0a4d02029c4d0050000f424d000000006002faf0a6930000020405b4",
            "45c000489e1800004001c5350a4d01010a4d010d030314c4000000004500002c007140003f0623b30a4d010d0a4d02029c4d0050000f424d000000006002faf0a6930000020405b4",
        ),
        (
            "port_fwd_udp",
            "02000000010102000000010208004500002100d540004011224f0a4d010d0a4d0202c35d0035000dd4b07175657279",
            "45c0003d9e2700004001c5310a4d01010a4d010d030314c4000000004500002100d540003f11234f0a4d010d0a4d0202c35d0035000dd4b07175657279",
        ),
        (
            "port_fwd_echo",
            "02000000010102000000010208004500002c01394000400121f00a4d010d0a4d020208007d704242000d000102030405060708090a0b0c0d0e0f",
            "45c000489e6500004001c4e80a4d01010a4d010d0303fcfc000000004500002c013940003f0122f00a4d010d0a4d020208007d704242000d000102030405060708090a0b0c0d0e0f",
        ),
        (
            "netprohib_in_syn",
            "02000000010102000000010208004500002c00724000400623b20a4d010e0a4d01019c4e0050000f424e000000006002faf0a7910000020405b4",
            "45c0004820bd0000400142900a4d01010a4d010e030913be000000004500002c00724000400623b20a4d010e0a4d01019c4e0050000f424e000000006002faf0a7910000020405b4",
        ),
        (
            "netprohib_in_udp",
            "02000000010102000000010208004500002100d640004011234e0a4d010e0a4d0101c35e0035000dd5af7175657279",
            "45c0003d20f50000400142630a4d01010a4d010e030913be000000004500002100d640004011234e0a4d010e0a4d0101c35e0035000dd5af7175657279",
        ),
        (
            "netprohib_in_echo",
            "02000000010102000000010208004500002c013a4000400122ef0a4d010e0a4d010108007d6f4242000e000102030405060708090a0b0c0d0e0f",
            "45c00048212b0000400142220a4d01010a4d010e0309fcf6000000004500002c013a4000400122ef0a4d010e0a4d010108007d6f4242000e000102030405060708090a0b0c0d0e0f",
        ),
        (
            "netprohib_fwd_syn",
            "02000000010102000000010208004500002c00724000400622b10a4d010e0a4d02029c4e0050000f424e000000006002faf0a6900000020405b4",
            "45c0004821660000400141e70a4d01010a4d010e030914bf000000004500002c007240003f0623b10a4d010e0a4d02029c4e0050000f424e000000006002faf0a6900000020405b4",
        ),
        (
            "netprohib_fwd_udp",
            "02000000010102000000010208004500002100d640004011224d0a4d010e0a4d0202c35e0035000dd4ae7175657279",
            "45c0003d21680000400141f00a4d01010a4d010e030914bf000000004500002100d640003f11234d0a4d010e0a4d0202c35e0035000dd4ae7175657279",
        ),
        (
            "netprohib_fwd_echo",
            "02000000010102000000010208004500002c013a4000400121ee0a4d010e0a4d020208007d6f4242000e000102030405060708090a0b0c0d0e0f",
            "45c0004821730000400141da0a4d01010a4d010e0309fcf6000000004500002c013a40003f0122ee0a4d010e0a4d020208007d6f4242000e000102030405060708090a0b0c0d0e0f",
        ),
        (
            "hostprohib_in_syn",
            "02000000010102000000010208004500002c00734000400623b00a4d010f0a4d01019c4f0050000f424f000000006002faf0a78e0000020405b4",
            "45c00048c0de00004001a26d0a4d01010a4d010f030a13be000000004500002c00734000400623b00a4d010f0a4d01019c4f0050000f424f000000006002faf0a78e0000020405b4",
        ),
        (
            "hostprohib_in_udp",
            "02000000010102000000010208004500002100d740004011234c0a4d010f0a4d0101c35f0035000dd5ad7175657279",
            "45c0003dc0e100004001a2750a4d01010a4d010f030a13be000000004500002100d740004011234c0a4d010f0a4d0101c35f0035000dd5ad7175657279",
        ),
        (
            "hostprohib_in_echo",
            "02000000010102000000010208004500002c013b4000400122ed0a4d010f0a4d010108007d6e4242000f000102030405060708090a0b0c0d0e0f",
            "45c00048c0ee00004001a25d0a4d01010a4d010f030afcf5000000004500002c013b4000400122ed0a4d010f0a4d010108007d6e4242000f000102030405060708090a0b0c0d0e0f",
        ),
        (
            "hostprohib_fwd_syn",
            "02000000010102000000010208004500002c00734000400622af0a4d010f0a4d02029c4f0050000f424f000000006002faf0a68d0000020405b4",
            "45c00048c12d00004001a21e0a4d01010a4d010f030a14bf000000004500002c007340003f0623af0a4d010f0a4d02029c4f0050000f424f000000006002faf0a68d0000020405b4",
        ),
        (
            "hostprohib_fwd_udp",
            "02000000010102000000010208004500002100d740004011224b0a4d010f0a4d0202c35f0035000dd4ac7175657279",
            "45c0003dc13900004001a21d0a4d01010a4d010f030a14bf000000004500002100d740003f11234b0a4d010f0a4d0202c35f0035000dd4ac7175657279",
        ),
        (
            "hostprohib_fwd_echo",
            "02000000010102000000010208004500002c013b4000400121ec0a4d010f0a4d020208007d6e4242000f000102030405060708090a0b0c0d0e0f",
            "45c00048c14300004001a2080a4d01010a4d010f030afcf5000000004500002c013b40003f0122ec0a4d010f0a4d020208007d6e4242000f000102030405060708090a0b0c0d0e0f",
        ),
        (
            "adminprohib_in_syn",
            "02000000010102000000010208004500002c00744000400623ae0a4d01100a4d01019c500050000f4250000000006002faf0a78b0000020405b4",
            "45c00048a8cf00004001ba7b0a4d01010a4d0110030d13bc000000004500002c00744000400623ae0a4d01100a4d01019c500050000f4250000000006002faf0a78b0000020405b4",
        ),
        (
            "adminprohib_in_udp",
            "02000000010102000000010208004500002100d840004011234a0a4d01100a4d0101c3600035000dd5ab7175657279",
            "45c0003da8da00004001ba7b0a4d01010a4d0110030d13bc000000004500002100d840004011234a0a4d01100a4d0101c3600035000dd5ab7175657279",
        ),
        (
            "adminprohib_in_echo",
            "02000000010102000000010208004500002c013c4000400122eb0a4d01100a4d010108007d6d42420010000102030405060708090a0b0c0d0e0f",
            "45c00048a8e700004001ba630a4d01010a4d0110030dfcf2000000004500002c013c4000400122eb0a4d01100a4d010108007d6d42420010000102030405060708090a0b0c0d0e0f",
        ),
        (
            "adminprohib_fwd_syn",
            "02000000010102000000010208004500002c00744000400622ad0a4d01100a4d02029c500050000f4250000000006002faf0a68a0000020405b4",
            "45c00048a92600004001ba240a4d01010a4d0110030d14bd000000004500002c007440003f0623ad0a4d01100a4d02029c500050000f4250000000006002faf0a68a0000020405b4",
        ),
        (
            "adminprohib_fwd_udp",
            "02000000010102000000010208004500002100d84000401122490a4d01100a4d0202c3600035000dd4aa7175657279",
            "45c0003da93000004001ba250a4d01010a4d0110030d14bd000000004500002100d840003f1123490a4d01100a4d0202c3600035000dd4aa7175657279",
        ),
        (
            "adminprohib_fwd_echo",
            "02000000010102000000010208004500002c013c4000400121ea0a4d01100a4d020208007d6d42420010000102030405060708090a0b0c0d0e0f",
            "45c00048a96700004001b9e30a4d01010a4d0110030dfcf2000000004500002c013c40003f0122ea0a4d01100a4d020208007d6d42420010000102030405060708090a0b0c0d0e0f",
        ),
        (
            "rst_in_syn",
            "02000000010102000000010208004500002c00754000400623ac0a4d01110a4d01019c510050000f4251000000006002faf0a7880000020405b4",
            "4500002800004000400624250a4d01010a4d011100509c5100000000000f42525014000016c60000",
        ),
        (
            "rst_fwd_syn",
            "02000000010102000000010208004500002c00754000400622ab0a4d01110a4d02029c510050000f4251000000006002faf0a6870000020405b4",
            "4500002800004000400623240a4d02020a4d011100509c5100000000000f42525014000017c70000",
        ),
        (
            "rst_in_ackdata",
            "02000000010102000000010208004500003812344000400611e10a4d01110a4d0101a028005000001388000023285018faf0f5610000474554202f20485454502f312e300d0a",
            "4500002800004000400624250a4d01010a4d01110050a02800002328000000005004000016c60000",
        ),
        (
            "rst_in_synfin_data",
            "02000000010102000000010208004500004212344000400611d70a4d01110a4d0101a0280050fffffff0000000005003faf06f2600006162636465666768696a6b6c6d6e6f707172737475767778797a",
            "4500002800004000400624250a4d01010a4d01110050a028000000000000000c5014000016c60000",
        ),
        (
            "rst_in_rst",
            "02000000010102000000010208004500002812344000400611f10a4d01110a4d0101a028005000000005000000005004faf0fdc60000",
            "",
        ),
        (
            "rst_in_rstack",
            "02000000010102000000010208004500002812344000400611f10a4d01110a4d0101a028005000000005000000065014faf0fdb00000",
            "",
        ),
        (
            "rst_in_fin",
            "02000000010102000000010208004500002812344000400611f10a4d01110a4d0101a02800500000004d000000005001faf0fd810000",
            "4500002800004000400624250a4d01010a4d01110050a028000000000000004e5014000016c60000",
        ),
        (
            "rst_in_badsum",
            "02000000010102000000010208004500002812344000400611f10a4d01110a4d0101a0280050000003e8000000005002faf0acb00000",
            "",
        ),
        (
            "rst_in_bcast",
            "02000000010102000000010208004500002812344000400610f30a4d01110a4d01ff00010050000003e8000000005002faf0990f0000",
            "",
        ),
        (
            "rst_in_l2bcast",
            "ffffffffffff02000000010208004500002812344000400611f10a4d01110a4d010100020050000003e8000000005002faf09a0c0000",
            "4500002800004000400624250a4d01010a4d01110050000200000000000003e95014000016c60000",
        ),
        (
            "rst_in_tos_opts",
            "020000000101020000000102080046b9002c123440000306b92f0a4d01110a4d01019404000000030050000003e8000000005002faf09a0b0000",
            "4500002800004000400624250a4d01010a4d01110050000300000000000003e95014000016c60000",
        ),
        (
            "port_in_tcp_badsum",
            "02000000010102000000010208004500002812344000400611f50a4d010d0a4d010100050050000003e8000000005002faf0cf580000",
            "",
        ),
        (
            "port_in_udp_zero",
            "02000000010102000000010208004500001e12344000401111f40a4d010d0a4d010100050035000a00007a7a",
            "45c0003aa4c300004001be980a4d01010a4d010d0303823e000000004500001e12344000401111f40a4d010d0a4d010100050035000a00007a7a",
        ),
        (
            "port_in_udp_badsum",
            "02000000010102000000010208004500001e12344000401111f40a4d010d0a4d010100060035000a3b287a7a",
            "",
        ),
        (
            "port_in_echo_badsum",
            "02000000010102000000010208004500001c12344000400112060a4d010d0a4d01010800a2a800010001",
            "",
        ),
        (
            "port_in_icmp_error",
            "02000000010102000000010208004500003812344000400111ea0a4d010d0a4d0101030313be000000004500001c12344000401111f60a4d01010a4d010d000100020008e933",
            "",
        ),
        (
            "port_in_icmp_unknown",
            "02000000010102000000010208004500001c12344000400112060a4d010d0a4d01012a00d5ff00000000",
            "",
        ),
        (
            "port_in_icmp_tstamp",
            "02000000010102000000010208004500002812344000400111fa0a4d010d0a4d01010d00f2fc00010002000000000000000000000000",
            "45c00044a52d00004001be240a4d01010a4d010d0303fcfc000000004500002812344000400111fa0a4d010d0a4d01010d00f2fc00010002000000000000000000000000",
        ),
        (
            "port_in_icmp_short",
            "020000000101020000000102080045000018123440004001120a0a4d010d0a4d01010800f7ff",
            "45c00034a54700004001be1a0a4d01010a4d010d0303fcfc0000000045000018123440004001120a0a4d010d0a4d01010800f7ff",
        ),
        (
            "port_in_gre",
            "02000000010102000000010208004500002c12344000402f11c80a4d010d0a4d0101000008000000000000000000000000000000000000000000",
            "45c00048a57900004001bdd40a4d01010a4d010d0303f4fc000000004500002c12344000402f11c80a4d010d0a4d0101000008000000000000000000000000000000000000000000",
        ),
        ("port_in_bcast", "02000000010102000000010208004500001d12344000401110f70a4d010d0a4d01ff000100020009703378", ""),
        (
            "port_in_l2bcast",
            "ffffffffffff02000000010208004500001d12344000401111f50a4d010d0a4d0101000100020009713178",
            "",
        ),
        (
            "port_in_big",
            "0200000001010200000001020800450005941234400040110c7e0a4d010d0a4d0101000900090580de340000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "45c00240a60100004001bb540a4d01010a4d010d0303193600000000450005941234400040110c7e0a4d010d0a4d0101000900090580de3400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "port_in_tos_ttl",
            "020000000101020000000102080045b9001d1234000002118f3c0a4d010d0a4d0101000900090009712278",
            "45d80039a61400004001bd300a4d01010a4d010d030313bf0000000045b9001d1234000002118f3c0a4d010d0a4d0101000900090009712278",
        ),
        (
            "port_in_ipopt_ra",
            "0200000001010200000001020800460000211234400040117cec0a4d010d0a4d010194040000000900090009712278",
            "45c0003da61500004001bd430a4d01010a4d010d030313bf00000000460000211234400040117cec0a4d010d0a4d010194040000000900090009712278",
        ),
        (
            "port_in_ipopt_rr",
            "02000000010102000000010208004800002912344000401103de0a4d010d0a4d0101070b04000000000000000000000900090009712278",
            "",
        ),
        (
            "port_fwd_ipopt_rr",
            "02000000010102000000010208004800002912344000401102dd0a4d010d0a4d0202070b04000000000000000000000900090009702178",
            "",
        ),
        (
            "port_in_udplite",
            "02000000010102000000010208004500001d123440004088117e0a4d010d0a4d010100090009000970ab78",
            "45c00039a6c600004001bc960a4d01010a4d010d03031436000000004500001d123440004088117e0a4d010d0a4d010100090009000970ab78",
        ),
        (
            "port_in_padded",
            "02000000010102000000010208004500001d12344000401111f50a4d010d0a4d01010009000900097122780000000000000000000000000000000000",
            "45c00039a6e100004001bc7b0a4d01010a4d010d030313bf000000004500001d12344000401111f50a4d010d0a4d0101000900090009712278",
        ),
        (
            "port_in_ipopt_ts",
            "020000000101020000000102080048000029123440004011c5db0a4d010d0a4d0101440c05010000000000000000000900090009712278",
            "",
        ),
        (
            "port_in_ipopt_rr_full",
            "02000000010102000000010208004700002512344000401100e60a4d010d0a4d01010707080000000000000900090009712278",
            "47c00049a70200004001ab430a4d01010a4d010d0707080000000000030313bf000000004700002512344000401100e60a4d010d0a4d01010707080000000000000900090009712278",
        ),
        (
            "port_in_ipopt_nop",
            "0200000001010200000001020800460000211234400040110ef00a4d010d0a4d010101010100000900090009712278",
            "45c0003da72700004001bc310a4d01010a4d010d030313bf00000000460000211234400040110ef00a4d010d0a4d010101010100000900090009712278",
        ),
        (
            "port_fwd_frag_first_sum",
            "02000000010102000000010208004500002412342000401130ed0a4d010d0a4d0202000700080064e76e0000000000000000",
            "",
        ),
        (
            "port_fwd_frag_first_zero",
            "02000000010102000000010208004500002412342000401130ed0a4d010d0a4d020200070008006400000000000000000000",
            "45c00040a75400004001bc010a4d01010a4d010d0303fc890000000045000024123420003f1131ed0a4d010d0a4d020200070008006400000000000000000000",
        ),
        (
            "port_fwd_frag_first_gre",
            "02000000010102000000010208004500002412342000402f30cf0a4d010d0a4d020200000000000000000000000000000000",
            "45c00040a76200004001bbf30a4d01010a4d010d0303fcfc0000000045000024123420003f2f31cf0a4d010d0a4d020200000000000000000000000000000000",
        ),
        (
            "port_fwd_frag_next",
            "020000000101020000000102080045000024123400b9401150340a4d010d0a4d020200000000000000000000000000000000",
            "",
        ),
        (
            "rst_fwd_frag_first",
            "02000000010102000000010208004500002c12342000400630ec0a4d01110a4d020200040050000003e8000000005002faf098f9000000000000",
            "",
        ),
        (
            "rst_fwd_frag_next",
            "02000000010102000000010208004500002c12340003400650e90a4d01110a4d0202000000000000000000000000000000000000000000000000",
            "",
        ),
        (
            "rst_in_ipopt_rr",
            "02000000010102000000010208004800003412344000400603da0a4d01110a4d0101070b0400000000000000000000030050000003e8000000005002faf09a0b0000",
            "",
        ),
        ("proto_in_253_badsum", "0200000001010200000001020800450000171234400040fd11100a4d010c0a4d010178797a", ""),
        (
            "proto_in_253_goodsum",
            "0200000001010200000001020800450000181234400040fd110f0a4d010c0a4d010187867879",
            "45c000343f0800004001245b0a4d01010a4d010c0302fcfd00000000450000181234400040fd110f0a4d010c0a4d010187867879",
        ),
        (
            "proto_in_ts_full",
            "0200000001010200000001020800470000201234400040fdc1fd0a4d010c0a4d0101440809010000000087867879",
            "",
        ),
    ];
}
