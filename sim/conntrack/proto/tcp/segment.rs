//! What the TCP tracker reads from a segment: the header fields, the
//! sequence space it occupies, its options (window scale, SACK-permitted,
//! SACK blocks), and the sanity checks every segment passes first
//! (`tcp_error`).

use super::msg::TcpMsg;
use crate::conntrack::proto::PacketCtx;
use crate::kernel::Sysctl;

/// FIN flag.
pub const FIN: u8 = 0x01;
/// SYN flag.
pub const SYN: u8 = 0x02;
/// RST flag.
pub const RST: u8 = 0x04;
/// PSH flag.
pub const PSH: u8 = 0x08;
/// ACK flag.
pub const ACK: u8 = 0x10;
/// URG flag.
pub const URG: u8 = 0x20;
/// ECE flag.
pub const ECE: u8 = 0x40;
/// CWR flag.
pub const CWR: u8 = 0x80;

/// Per-direction flag: the side sent the window-scale option.
pub const F_WINDOW_SCALE: u8 = 0x01;
/// Per-direction flag: the side sent SACK-permitted.
pub const F_SACK_PERM: u8 = 0x02;
/// Per-direction flag: the side sent the first FIN.
pub const F_CLOSE_INIT: u8 = 0x04;
/// Per-direction flag: window failures of this side are let through.
pub const F_BE_LIBERAL: u8 = 0x08;
/// Per-direction flag: the side has sent data the other has not acknowledged.
pub const F_DATA_UNACKNOWLEDGED: u8 = 0x10;
/// Per-direction flag: `maxack` holds an ACK this side sent.
pub const F_MAXACK_SET: u8 = 0x20;
/// `last_flags` only: an ignored SYN in LAST_ACK may draw a challenge ACK.
pub const F_CHALLENGE_ACK: u8 = 0x40;
/// `last_flags` only: SYNs were seen both ways.
pub const F_SIMULTANEOUS_OPEN: u8 = 0x80;

/// Largest window-scale shift (RFC 7323).
const MAX_WSCALE: u8 = 14;

/// The fields of one segment the tracker works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Raw (unscaled) window.
    pub win: u16,
    /// Flags byte (CWR ... FIN).
    pub flags: u8,
    /// `seq` + payload + 1 for SYN + 1 for FIN (`segment_seq_plus_len`).
    pub end: u32,
    /// The option bytes (header beyond 20 bytes).
    pub options: &'a [u8],
}

impl Segment<'_> {
    /// True if every flag in `f` is set.
    #[inline]
    pub fn has(&self, f: u8) -> bool {
        self.flags & f == f
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The flag combinations a segment may carry once PSH, ECE and CWR are set
/// aside (`tcp_valid_flags`): SYN, SYN+URG, SYN+ACK, RST, RST+ACK, FIN+ACK,
/// FIN+ACK+URG, ACK, ACK+URG.
fn valid_flags(flags: u8) -> bool {
    // With ECE, CWR and PSH cleared a flags byte is below 64: one bit each.
    const OK: u64 = 1 << SYN
        | 1 << (SYN | URG)
        | 1 << (SYN | ACK)
        | 1 << RST
        | 1 << (RST | ACK)
        | 1 << (FIN | ACK)
        | 1 << (FIN | ACK | URG)
        | 1 << ACK
        | 1 << (ACK | URG);
    let f = flags & !(ECE | CWR | PSH);
    OK >> f & 1 != 0
}

/// Reads the segment and runs the kernel's checks in its order (fixed
/// header present, data offset sane, checksum in PREROUTING when
/// `nf_conntrack_checksum` is on, flag combination). `Err(None)`: invalid
/// without a message (fewer than 20 bytes); `Err(Some(m))`: invalid with `m`.
pub fn parse<'a>(ctx: &PacketCtx<'a>) -> Result<Segment<'a>, Option<TcpMsg>> {
    let l4 = ctx.l4;
    if l4.len() < 20 {
        return Err(None);
    }
    let doff = usize::from(l4[12] >> 4) * 4;
    if doff < 20 || l4.len() < doff {
        return Err(Some(TcpMsg::Truncated));
    }
    if ctx.prerouting
        && ctx.sysctls.enabled(Sysctl::NfConntrackChecksum)
        && !crate::conntrack::proto::udp::l4_checksum_ok(ctx.ip, l4, 6)
    {
        return Err(Some(TcpMsg::BadChecksum));
    }
    let flags = l4[13];
    if !valid_flags(flags) {
        return Err(Some(TcpMsg::BadFlags));
    }
    let seq = be32(l4, 4);
    let payload = (l4.len() - doff) as u32;
    let end = seq.wrapping_add(payload).wrapping_add(u32::from(flags & SYN != 0) + u32::from(flags & FIN != 0));
    Ok(Segment { seq, ack: be32(l4, 8), win: u16::from_be_bytes([l4[14], l4[15]]), flags, end, options: &l4[20..doff] })
}

/// Walks the options in `opts` as `tcp_parse_options` does: EOL ends, NOP
/// is one byte, any other kind has a length byte; a length below 2 or past
/// the end stops the walk. Calls `f(kind, body)` for each whole option;
/// `f` returns false to stop.
fn walk(opts: &[u8], mut f: impl FnMut(u8, &[u8]) -> bool) {
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => return,
            1 => i += 1,
            kind => {
                let Some(&size) = opts.get(i + 1) else { return };
                let size = usize::from(size);
                if size < 2 || size > opts.len() - i {
                    return;
                }
                if !f(kind, &opts[i + 2..i + size]) {
                    return;
                }
                i += size;
            }
        }
    }
}

/// Window scale and SACK-permitted of a SYN's options: `None` when the
/// header has no option bytes at all (the kernel then leaves the side's
/// previous values alone), else `(scale, flags)` with flags among
/// [`F_WINDOW_SCALE`] and [`F_SACK_PERM`] (`tcp_options`).
pub fn handshake_options(opts: &[u8]) -> Option<(u8, u8)> {
    if opts.is_empty() {
        return None;
    }
    let (mut scale, mut flags) = (0, 0);
    walk(opts, |kind, body| {
        match (kind, body.len()) {
            (4, 0) => flags |= F_SACK_PERM,
            (3, 1) => {
                scale = body[0].min(MAX_WSCALE);
                flags |= F_WINDOW_SCALE;
            }
            _ => {}
        }
        true
    });
    Some((scale, flags))
}

/// The highest right edge among the first SACK option's blocks if beyond
/// `ack`, else `ack` (`tcp_sack`; a header holding only an aligned
/// timestamp is skipped without a walk).
pub fn highest_sack(opts: &[u8], ack: u32) -> u32 {
    const ALIGNED_TIMESTAMP: [u8; 4] = [1, 1, 8, 10];
    if opts.len() == 12 && opts[..4] == ALIGNED_TIMESTAMP {
        return ack;
    }
    let mut sack = ack;
    walk(opts, |kind, body| {
        if kind == 5 && body.len() >= 8 && body.len() % 8 == 0 {
            for block in body.chunks_exact(8) {
                let right = be32(block, 4);
                if super::window::after(right, sack) {
                    sack = right;
                }
            }
            return false;
        }
        true
    });
    sack
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::conn::CtInfo;
    use crate::kernel::Sysctls;

    fn ctx<'a>(ip: &'a [u8], s: &'a Sysctls) -> PacketCtx<'a> {
        PacketCtx {
            ip,
            l4: &ip[20..],
            info: CtInfo::New,
            status: 0,
            prerouting: false,
            now: 0,
            sysctls: s,
            seqadj: None,
        }
    }

    #[test]
    fn flag_combinations_are_the_kernels() {
        for ok in [SYN, SYN | URG, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN | ACK | URG, ACK, ACK | URG] {
            assert!(valid_flags(ok), "{ok:#x}");
            assert!(valid_flags(ok | PSH | ECE | CWR), "{ok:#x} with PSH/ECE/CWR");
        }
        for bad in [0, FIN, SYN | FIN, SYN | RST, SYN | ACK | URG, RST | FIN, FIN | ACK | RST, URG, PSH] {
            assert!(!valid_flags(bad), "{bad:#x}");
        }
    }

    #[test]
    fn short_and_truncated_headers_are_refused_in_order() {
        let s = Sysctls::default();
        let mut ip = crate::xt::TestPacket::tcp([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, ACK);
        assert!(parse(&ctx(&ip, &s)).is_ok());
        ip[32] = 6 << 4; // data offset 24 bytes, only 20 present
        assert_eq!(parse(&ctx(&ip, &s)), Err(Some(TcpMsg::Truncated)));
        ip[32] = 4 << 4;
        assert_eq!(parse(&ctx(&ip, &s)), Err(Some(TcpMsg::Truncated)));
        assert_eq!(parse(&ctx(&ip[..39], &s)), Err(None));
        let mut bad = crate::xt::TestPacket::tcp([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, SYN | FIN);
        assert_eq!(parse(&ctx(&bad, &s)), Err(Some(TcpMsg::BadFlags)));
        // In PREROUTING the (zero, hence wrong) checksum is seen first.
        bad[33] = ACK;
        let pre = PacketCtx { prerouting: true, ..ctx(&bad, &s) };
        assert_eq!(parse(&pre), Err(Some(TcpMsg::BadChecksum)));
    }

    #[test]
    fn end_counts_payload_syn_and_fin() {
        let s = Sysctls::default();
        let mut l4 = vec![0u8; 25];
        l4[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        l4[12] = 5 << 4;
        l4[13] = FIN | ACK;
        let ip = crate::xt::TestPacket::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 6, &l4);
        let seg = parse(&ctx(&ip, &s)).unwrap();
        assert_eq!(seg.end, 5, "wraps: 2^32-1 + 5 bytes + FIN");
    }

    #[test]
    fn handshake_options_take_scale_and_sack_permitted() {
        // MSS, SACK-permitted, timestamp, NOP, window scale 7.
        let o = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
        assert_eq!(handshake_options(&o), Some((7, F_WINDOW_SCALE | F_SACK_PERM)));
        assert_eq!(handshake_options(&[3, 3, 20]), Some((14, F_WINDOW_SCALE)), "capped at 14");
        assert_eq!(handshake_options(&[]), None);
        assert_eq!(handshake_options(&[0, 3, 3, 7]), Some((0, 0)), "EOL ends the walk");
        assert_eq!(handshake_options(&[3, 1, 3, 3, 7]), Some((0, 0)), "silly length stops");
        assert_eq!(handshake_options(&[1, 3, 3]), Some((0, 0)), "partial option ignored");
    }

    #[test]
    fn sack_takes_the_highest_right_edge_beyond_ack() {
        let mut o = vec![1, 1, 5, 18];
        for (l, r) in [(100u32, 200u32), (300, 400)] {
            o.extend_from_slice(&l.to_be_bytes());
            o.extend_from_slice(&r.to_be_bytes());
        }
        assert_eq!(highest_sack(&o, 50), 400);
        assert_eq!(highest_sack(&o, 500), 500);
        let ts = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
        assert_eq!(highest_sack(&ts, 7), 7);
        o[3] = 17; // not a whole number of blocks
        assert_eq!(highest_sack(&o, 50), 50);
    }
}
