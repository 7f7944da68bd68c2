//! UDP and UDP-Lite (`nf_conntrack_proto_udp.c`, Linux 6.x).
//!
//! Checks, each making the packet INVALID with the message
//! `nf_conntrack_log_invalid` prints: "short packet" (no 8-byte header),
//! "truncated/malformed packet" (length field beyond the packet or below 8),
//! "bad checksum" (only in PREROUTING, only with `nf_conntrack_checksum` on,
//! only for a non-zero checksum).
//!
//! Timeouts: while the entry has not SEEN_REPLY (including the first reply
//! itself: SEEN_REPLY is set after the tracker runs) every packet refreshes to
//! `nf_conntrack_udp_timeout` (30 s). The first packet, while unconfirmed,
//! stamps a stream deadline 2 s ahead; a packet after SEEN_REPLY refreshes to
//! `nf_conntrack_udp_timeout_stream` (120 s) if the deadline has passed, else
//! to 30 s, and sets ASSURED either way (never for a NAT_CLASH entry).
//! UDP-Lite has no 2 s rule: after SEEN_REPLY, 120 s and ASSURED.
//! Both allow a clash at confirmation to be resolved.

use super::{L4Tracker, L4Verdict, PacketCtx, ports};
use crate::conntrack::conn::{HZ, status};
use crate::conntrack::tuple::Tuple;
use crate::kernel::Sysctl;
use crate::wire::checksum;

/// The UDP tracker.
pub struct Udp;

/// The UDP-Lite tracker.
pub struct UdpLite;

/// The UDP header checks (`udp_error`); `Some(message)` if the packet is invalid.
fn udp_error(ctx: &PacketCtx<'_>) -> Option<&'static str> {
    let l4 = ctx.l4;
    if l4.len() < 8 {
        return Some("short packet");
    }
    let len = usize::from(u16::from_be_bytes([l4[4], l4[5]]));
    if len > l4.len() || len < 8 {
        return Some("truncated/malformed packet");
    }
    let csum = u16::from_be_bytes([l4[6], l4[7]]);
    if csum == 0 {
        return None;
    }
    if ctx.prerouting && ctx.sysctls.enabled(Sysctl::NfConntrackChecksum) && !l4_checksum_ok(ctx.ip, l4, 17) {
        return Some("bad checksum");
    }
    None
}

/// Verifies a TCP/UDP/ICMP-style checksum over `l4` (with the IPv4
/// pseudo-header unless `proto` is ICMP).
pub(crate) fn l4_checksum_ok(ip: &[u8], l4: &[u8], proto: u8) -> bool {
    if proto == 1 {
        return checksum::sums_to_ones(l4, 0);
    }
    // The pseudo-header, as the little-endian words the sum reads: the
    // addresses lie side by side in the IP header, two 32-bit halves
    // (2^16 ≡ 1 mod 0xffff, so a half is congruent to its two 16-bit
    // words); then the words zero-and-protocol and length, bytes swapped.
    let Some(addrs) = ip.get(12..).and_then(<[u8]>::first_chunk::<8>) else {
        return false;
    };
    let both = u64::from_le_bytes(*addrs);
    let le = (both >> 32) + (both & 0xffff_ffff) + (u64::from(proto) << 8) + u64::from((l4.len() as u16).swap_bytes());
    checksum::sums_to_ones(l4, le)
}

/// `time_after(a, b)` on wrapping jiffies.
fn time_after(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

impl L4Tracker for Udp {
    fn proto(&self) -> u8 {
        17
    }

    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool {
        ports(l4, t)
    }

    fn packet(&self, ctx: &PacketCtx<'_>, stream_ts: &mut u32) -> L4Verdict {
        if let Some(msg) = udp_error(ctx) {
            return L4Verdict::Invalid(msg);
        }
        let unreplied = ctx.sysctls.get(Sysctl::NfConntrackUdpTimeout);
        if ctx.status & status::CONFIRMED == 0 {
            *stream_ts = ctx.now.wrapping_add(2 * HZ);
        }
        if ctx.status & status::SEEN_REPLY == 0 {
            return L4Verdict::Accept { timeout_secs: unreplied, set_status: 0 };
        }
        // Still active two seconds after creation: a stream, worth keeping
        // (ASSURED) and timed out on the longer clock. Earlier packets,
        // even after the reply, are neither (nf_conntrack_udp_packet).
        let stream = time_after(ctx.now, *stream_ts);
        let timeout_secs = if stream { ctx.sysctls.get(Sysctl::NfConntrackUdpTimeoutStream) } else { unreplied };
        let set_status = if stream && ctx.status & status::NAT_CLASH == 0 { status::ASSURED } else { 0 };
        L4Verdict::Accept { timeout_secs, set_status }
    }

    fn allow_clash(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "udp"
    }
}

impl L4Tracker for UdpLite {
    fn proto(&self) -> u8 {
        136
    }

    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool {
        ports(l4, t)
    }

    fn packet(&self, ctx: &PacketCtx<'_>, _state: &mut u32) -> L4Verdict {
        let l4 = ctx.l4;
        if l4.len() < 8 {
            return L4Verdict::Invalid("short packet");
        }
        let cscov = usize::from(u16::from_be_bytes([l4[4], l4[5]]));
        if cscov != 0 && (cscov < 8 || cscov > l4.len()) {
            return L4Verdict::Invalid("invalid checksum coverage");
        }
        if l4[6] == 0 && l4[7] == 0 {
            return L4Verdict::Invalid("checksum missing");
        }
        if ctx.status & status::SEEN_REPLY == 0 {
            return L4Verdict::Accept { timeout_secs: ctx.sysctls.get(Sysctl::NfConntrackUdpTimeout), set_status: 0 };
        }
        let set_status = if ctx.status & status::NAT_CLASH != 0 { 0 } else { status::ASSURED };
        L4Verdict::Accept { timeout_secs: ctx.sysctls.get(Sysctl::NfConntrackUdpTimeoutStream), set_status }
    }

    fn allow_clash(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "udplite"
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::kernel::Sysctls;

    fn ctx<'a>(ip: &'a [u8], s: &'a Sysctls, status: u16, now: u32) -> PacketCtx<'a> {
        PacketCtx { status, now, ..PacketCtx::first(ip, s) }
    }

    fn dgram(csum: u16) -> Vec<u8> {
        let mut ip = crate::xt::TestPacket::udp([10, 0, 0, 1], [10, 0, 0, 2], 5000, 53);
        ip[26..28].copy_from_slice(&csum.to_be_bytes());
        ip
    }

    #[test]
    fn unreplied_packets_get_30s_and_stamp_the_stream_deadline() {
        let s = Sysctls::default();
        let ip = dgram(0);
        let mut ts = 0;
        assert_eq!(Udp.packet(&ctx(&ip, &s, 0, 1000), &mut ts), L4Verdict::Accept { timeout_secs: 30, set_status: 0 });
        assert_eq!(ts, 1000 + 2 * HZ);
    }

    #[test]
    fn replied_within_two_seconds_stays_at_30s_and_unassured() {
        let s = Sysctls::default();
        let ip = dgram(0);
        let mut ts = 1000 + 2 * HZ;
        let st = status::CONFIRMED | status::SEEN_REPLY;
        let v = Udp.packet(&ctx(&ip, &s, st, 1000 + 2 * HZ), &mut ts);
        // Observed on 6.18 (kernel_diff ct-udp-third-packet-within-2s-not-assured).
        assert_eq!(v, L4Verdict::Accept { timeout_secs: 30, set_status: 0 });
        let v = Udp.packet(&ctx(&ip, &s, st, 1000 + 2 * HZ + 1), &mut ts);
        assert_eq!(v, L4Verdict::Accept { timeout_secs: 120, set_status: status::ASSURED });
    }

    #[test]
    fn nat_clash_entries_never_become_assured() {
        let s = Sysctls::default();
        let ip = dgram(0);
        let st = status::CONFIRMED | status::SEEN_REPLY | status::NAT_CLASH;
        let v = Udp.packet(&ctx(&ip, &s, st, 5000), &mut 0);
        assert_eq!(v, L4Verdict::Accept { timeout_secs: 120, set_status: 0 });
    }

    #[test]
    fn malformed_headers_are_invalid_with_the_kernels_words() {
        let s = Sysctls::default();
        let short = crate::xt::TestPacket::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 17, &[0, 1, 0, 2]);
        assert_eq!(Udp.packet(&ctx(&short, &s, 0, 0), &mut 0), L4Verdict::Invalid("short packet"));
        let mut long = dgram(0);
        long[25] = 9;
        assert_eq!(Udp.packet(&ctx(&long, &s, 0, 0), &mut 0), L4Verdict::Invalid("truncated/malformed packet"));
    }

    #[test]
    fn bad_checksums_count_only_in_prerouting_and_when_enabled() {
        let mut s = Sysctls::default();
        let ip = dgram(0x1234);
        assert_eq!(Udp.packet(&ctx(&ip, &s, 0, 0), &mut 0), L4Verdict::Invalid("bad checksum"));
        let out = PacketCtx { prerouting: false, ..ctx(&ip, &s, 0, 0) };
        assert!(matches!(Udp.packet(&out, &mut 0), L4Verdict::Accept { .. }));
        s.set(Sysctl::NfConntrackChecksum, 0).unwrap();
        assert!(matches!(Udp.packet(&ctx(&ip, &s, 0, 0), &mut 0), L4Verdict::Accept { .. }));
        // A correct checksum passes.
        let mut good = dgram(0);
        let c = checksum::finish(
            checksum::sum(&good[20..]) + checksum::pseudo_header([10, 0, 0, 1].into(), [10, 0, 0, 2].into(), 17, 8),
        );
        good[26..28].copy_from_slice(&c.to_be_bytes());
        let s = Sysctls::default();
        assert!(matches!(Udp.packet(&ctx(&good, &s, 0, 0), &mut 0), L4Verdict::Accept { .. }));
    }

    proptest::proptest! {
        #[test]
        fn the_checksum_check_agrees_with_the_big_endian_sum(
            l4 in proptest::collection::vec(proptest::prelude::any::<u8>(), 2..400),
            addrs in proptest::prelude::any::<[u8; 8]>(),
            proto in proptest::prelude::any::<u8>(),
            fix in proptest::prelude::any::<bool>(),
        ) {
            let mut ip = vec![0u8; 20];
            ip[12..20].copy_from_slice(&addrs);
            let mut l4 = l4;
            let ph = if proto == 1 {
                0
            } else {
                let a = |i: usize| std::net::Ipv4Addr::from(<[u8; 4]>::try_from(&addrs[i..i + 4]).unwrap());
                checksum::pseudo_header(a(0), a(4), proto, l4.len() as u16)
            };
            if fix {
                // Make the first word the checksum that verifies.
                l4[..2].fill(0);
                let c = checksum::finish(ph + checksum::sum(&l4));
                l4[..2].copy_from_slice(&c.to_be_bytes());
            }
            let want = checksum::fold(ph + checksum::sum(&l4)) == 0xffff;
            proptest::prop_assert_eq!(l4_checksum_ok(&ip, &l4, proto), want);
            proptest::prop_assert!(want || !fix);
        }
    }

    #[test]
    fn udplite_is_assured_on_the_first_packet_after_a_reply() {
        let s = Sysctls::default();
        let ip = dgram(0x1111);
        let st = status::CONFIRMED | status::SEEN_REPLY;
        assert_eq!(
            UdpLite.packet(&ctx(&ip, &s, st, 0), &mut 0),
            L4Verdict::Accept { timeout_secs: 120, set_status: status::ASSURED }
        );
        assert_eq!(UdpLite.packet(&ctx(&dgram(0), &s, st, 0), &mut 0), L4Verdict::Invalid("checksum missing"));
    }
}
