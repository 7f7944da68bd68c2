//! The TCP tracker driven through conntrack's in_hook, one behaviour per
//! test, with the kernel's numbers (reference tcp.md).

use super::*;
use crate::conntrack::testutil::secs;
use crate::conntrack::{Conntrack, CtConfig, CtInfo, CtRef, CtVerdict};
use crate::engine::Instant;
use crate::kernel::{Profile, Sysctls};
use crate::wire::checksum;
use segment::{ACK, FIN, PSH, RST, SYN};

const C: [u8; 4] = [10, 99, 1, 2];
const S: [u8; 4] = [10, 99, 2, 2];
const CISN: u32 = 1000;
const SISN: u32 = 5000;

/// A segment from the client (`from_client`) or the server with a correct
/// checksum.
fn seg(from_client: bool, seq: u32, ack: u32, flags: u8, win: u16, opts: &[u8], data: usize) -> Vec<u8> {
    seg_port(40000, from_client, seq, ack, flags, win, opts, data)
}

/// [`seg`] for the client port `port`.
#[allow(clippy::too_many_arguments)] // a segment's fields, one each
fn seg_port(
    port: u16,
    from_client: bool,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    opts: &[u8],
    data: usize,
) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client { (C, S, port, 80u16) } else { (S, C, 80, port) };
    let hl = 20 + opts.len();
    let mut t = vec![0u8; hl + data];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&ack.to_be_bytes());
    t[12] = ((hl / 4) as u8) << 4;
    t[13] = flags;
    t[14..16].copy_from_slice(&win.to_be_bytes());
    t[20..hl].copy_from_slice(opts);
    let c = checksum::finish(checksum::sum(&t) + checksum::pseudo_header(src.into(), dst.into(), 6, t.len() as u16));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    crate::xt::TestPacket::ipv4(src, dst, 6, &t)
}

/// A conntrack table and the clock for one conversation.
struct Box {
    ct: Conntrack,
    s: Sysctls,
    now: Instant,
}

impl Box {
    fn new() -> Box {
        let mut s = Sysctls::default();
        s.set(Sysctl::NfConntrackLogInvalid, 6).unwrap();
        Box { ct: Conntrack::new(CtConfig { buckets: 64, max: 0, seed: 3, netns: None }), s, now: secs(1) }
    }

    /// Runs a packet through PREROUTING conntrack and confirmation.
    fn send(&mut self, pkt: &[u8]) -> CtVerdict {
        let v = self.ct.in_hook(pkt, false, 0, self.now, &self.s);
        if let Some(r) = v.ct {
            self.ct.confirm(r, self.now).expect("confirms");
        }
        v
    }

    fn at(&mut self, t: Instant) -> &mut Box {
        self.now = t;
        self
    }

    /// The state, seconds left and the ASSURED bit of `r`'s entry.
    fn entry(&self, r: CtRef) -> (TcpState, u32, bool) {
        let c = self.ct.get(r);
        (c.tcp_state(), self.ct.timeout_secs(r, self.now), c.has(status::ASSURED))
    }

    /// SYN, SYN/ACK, ACK with windows 64240 and MSS only.
    fn handshake(&mut self) -> CtRef {
        let r = self.send(&seg(true, CISN, 0, SYN, 64240, &[2, 4, 5, 0xb4], 0)).ct.unwrap();
        self.send(&seg(false, SISN, CISN + 1, SYN | ACK, 64240, &[2, 4, 5, 0xb4], 0));
        self.send(&seg(true, CISN + 1, SISN + 1, ACK, 64240, &[], 0));
        r
    }
}

/// The first message a verdict logs, in 6.x words.
fn said(v: &CtVerdict) -> Option<String> {
    v.invalid_log.messages().next().map(|m| m.text())
}

#[test]
fn handshake_data_and_close_walk_the_kernels_states_and_timeouts() {
    let mut b = Box::new();
    let r = b.send(&seg(true, CISN, 0, SYN, 64240, &[], 0)).ct.unwrap();
    assert_eq!(b.entry(r), (TcpState::SynSent, 120, false));
    b.send(&seg(false, SISN, CISN + 1, SYN | ACK, 64240, &[], 0));
    assert_eq!(b.entry(r), (TcpState::SynRecv, 60, false));
    b.send(&seg(true, CISN + 1, SISN + 1, ACK, 64240, &[], 0));
    assert_eq!(b.entry(r), (TcpState::Established, 432_000, true), "ASSURED by the handshake's ACK");
    let v = b.send(&seg(true, CISN + 1, SISN + 1, ACK | PSH, 64240, &[], 100));
    assert_eq!(v.info, CtInfo::Established);
    assert_eq!(b.entry(r).1, 300, "unacknowledged data caps the timeout");
    b.send(&seg(false, SISN + 1, CISN + 101, ACK | PSH, 64240, &[], 50));
    b.send(&seg(true, CISN + 101, SISN + 51, ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).1, 432_000, "all acknowledged");
    b.send(&seg(true, CISN + 101, SISN + 51, FIN | ACK, 64240, &[], 0));
    assert_eq!(b.entry(r), (TcpState::FinWait, 120, true));
    b.send(&seg(false, SISN + 51, CISN + 102, FIN | ACK, 64240, &[], 0));
    assert_eq!(b.entry(r), (TcpState::LastAck, 30, true));
    let v = b.send(&seg(true, CISN + 102, SISN + 52, ACK, 64240, &[], 0));
    assert!(v.invalid_log.is_empty());
    assert_eq!(b.entry(r), (TcpState::TimeWait, 120, true));
}

#[test]
fn a_fin_answered_by_an_ack_is_close_wait() {
    let mut b = Box::new();
    let r = b.handshake();
    b.send(&seg(false, SISN + 1, CISN + 1, FIN | ACK, 64240, &[], 0));
    b.send(&seg(true, CISN + 1, SISN + 2, ACK, 64240, &[], 0));
    assert_eq!(b.entry(r), (TcpState::CloseWait, 60, true));
}

#[test]
fn a_retransmitted_syn_does_not_restart_the_timer() {
    let mut b = Box::new();
    let r = b.send(&seg(true, CISN, 0, SYN, 64240, &[], 0)).ct.unwrap();
    b.at(secs(31));
    let v = b.send(&seg(true, CISN, 0, SYN, 64240, &[], 0));
    assert_eq!(v.info, CtInfo::New);
    assert_eq!(b.entry(r), (TcpState::SynSent, 90, false));
}

#[test]
fn simultaneous_open_goes_through_syn_sent2() {
    let mut b = Box::new();
    let r = b.send(&seg(true, CISN, 0, SYN, 64240, &[], 0)).ct.unwrap();
    b.send(&seg(false, SISN, 0, SYN, 64240, &[], 0));
    assert_eq!(b.entry(r), (TcpState::SynSent2, 120, false));
    b.send(&seg(true, CISN, SISN + 1, SYN | ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).0, TcpState::SynRecv);
    b.send(&seg(false, SISN, CISN + 1, SYN | ACK, 64240, &[], 0));
    b.send(&seg(false, SISN + 1, CISN + 1, ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).0, TcpState::Established, "the reply's ACK completes a simultaneous open");
}

#[test]
fn a_syn_ack_cannot_start_an_entry() {
    let mut b = Box::new();
    let v = b.send(&seg(false, SISN, CISN + 1, SYN | ACK, 64240, &[], 0));
    assert_eq!((v.info, b.ct.count(), said(&v).as_deref()), (CtInfo::Invalid, 0, Some("invalid new")));
}

#[test]
fn an_original_syn_ack_in_established_is_invalid_with_the_kernels_words() {
    let mut b = Box::new();
    b.handshake();
    let v = b.send(&seg(true, CISN + 1, SISN + 1, SYN | ACK, 64240, &[], 0));
    assert_eq!(v.info, CtInfo::Invalid);
    assert_eq!(said(&v).as_deref(), Some("packet (index 1) in dir 0 invalid, state ESTABLISHED"));
}

#[test]
fn data_over_the_receivers_window_is_invalid() {
    let mut b = Box::new();
    let r = b.handshake();
    let v = b.send(&seg(true, CISN + 1 + 200_000, SISN + 1, ACK, 64240, &[], 10));
    assert_eq!(v.info, CtInfo::Invalid);
    let bound = CISN + 1 + 64240 + 1;
    assert_eq!(said(&v), Some(format!("SEQ is over upper bound {bound} (over the window of the receiver)")));
    assert_eq!(b.entry(r).0, TcpState::Established);
}

#[test]
fn data_slightly_over_the_window_is_let_through_and_learnt() {
    let mut b = Box::new();
    let r = b.handshake();
    // The window ends at CISN+1+64240; a segment starting just past it.
    let v = b.send(&seg(true, CISN + 1 + 64240 + 1, SISN + 1, ACK, 64240, &[], 10));
    assert_eq!(v.info, CtInfo::Established, "ignored, not INVALID");
    assert_eq!(said(&v).as_deref(), Some("12 bytes more than expected"), "end - maxend + 1");
    // Its acknowledgement is valid now.
    let v = b.send(&seg(false, SISN + 1, CISN + 1 + 64240 + 11, ACK, 64240, &[], 0));
    assert!(v.invalid_log.is_empty(), "{:?}", said(&v));
    assert_eq!(b.entry(r).0, TcpState::Established);
}

#[test]
fn an_ack_of_unseen_data_is_invalid() {
    let mut b = Box::new();
    b.handshake();
    let v = b.send(&seg(false, SISN + 1, CISN + 500, ACK, 64240, &[], 0));
    assert_eq!(v.info, CtInfo::Invalid);
    assert_eq!(said(&v), Some(format!("ACK is over upper bound {} (ACKed data not seen yet)", CISN + 2)));
}

#[test]
fn an_old_retransmission_passes_untouched_and_is_logged() {
    let mut b = Box::new();
    let r = b.handshake();
    b.send(&seg(true, CISN + 1, SISN + 1, ACK, 64240, &[], 1000));
    b.send(&seg(false, SISN + 1, CISN + 1001, ACK, 64240, &[], 0));
    let before = b.entry(r);
    b.at(secs(10));
    let v = b.send(&seg(true, (CISN + 1).wrapping_sub(300_000), SISN + 1, ACK, 64240, &[], 10));
    assert_eq!(v.info, CtInfo::Established, "accepted");
    assert!(said(&v).unwrap().starts_with("SEQ is under lower bound"), "{:?}", said(&v));
    assert_eq!(b.entry(r).1 + 9, before.1, "timer not refreshed");
}

#[test]
fn be_liberal_lets_window_failures_pass_silently() {
    let mut b = Box::new();
    b.s.set(Sysctl::NfConntrackTcpBeLiberal, 1).unwrap();
    let r = b.handshake();
    let v = b.send(&seg(true, CISN + 1 + 200_000, SISN + 1, ACK, 64240, &[], 10));
    assert_eq!((v.info, v.invalid_log.is_empty()), (CtInfo::Established, true));
    assert_eq!(b.entry(r).0, TcpState::Established);
}

#[test]
fn window_scaling_widens_the_window_when_both_sides_offer_it() {
    let scaled = [1, 3, 3, 7];
    for (client_opts, server_opts, passes) in [(&scaled[..], &scaled[..], true), (&scaled[..], &[][..], false)] {
        let mut b = Box::new();
        b.send(&seg(true, CISN, 0, SYN, 64240, client_opts, 0));
        b.send(&seg(false, SISN, CISN + 1, SYN | ACK, 64240, server_opts, 0));
        b.send(&seg(true, CISN + 1, SISN + 1, ACK, 502, &[], 0));
        // The server's ACK advertises 1000 << 7 = 128000 bytes when scaled.
        b.send(&seg(false, SISN + 1, CISN + 1, ACK, 1000, &[], 0));
        let v = b.send(&seg(true, CISN + 1 + 120_000, SISN + 1, ACK, 502, &[], 100));
        assert_eq!(v.invalid_log.is_empty(), passes, "{:?}", said(&v));
    }
}

#[test]
fn sack_blocks_count_in_the_ack_bound_when_permitted() {
    let sack_perm = [1, 1, 4, 2];
    let mut b = Box::new();
    b.send(&seg(true, CISN, 0, SYN, 64240, &sack_perm, 0));
    b.send(&seg(false, SISN, CISN + 1, SYN | ACK, 64240, &sack_perm, 0));
    b.send(&seg(true, CISN + 1, SISN + 1, ACK, 64240, &[], 0));
    b.send(&seg(true, CISN + 1, SISN + 1, ACK, 64240, &[], 100));
    let block = |l: u32, r: u32| {
        let mut o = vec![1, 1, 5, 10];
        o.extend_from_slice(&l.to_be_bytes());
        o.extend_from_slice(&r.to_be_bytes());
        o
    };
    let v = b.send(&seg(false, SISN + 1, CISN + 1, ACK, 64240, &block(CISN + 50, CISN + 101), 0));
    assert!(v.invalid_log.is_empty(), "a SACK of seen data");
    let v = b.send(&seg(false, SISN + 1, CISN + 1, ACK, 64240, &block(CISN + 50, CISN + 900), 0));
    assert_eq!(v.info, CtInfo::Invalid, "a SACK of unseen data");
    assert!(said(&v).unwrap().starts_with("ACK is over upper bound"));
}

#[test]
fn repeated_identical_acks_cap_the_timeout_at_max_retrans() {
    let mut b = Box::new();
    let r = b.handshake();
    let data = seg(true, CISN + 1, SISN + 1, ACK | PSH, 64240, &[], 10);
    b.send(&seg(false, SISN + 1, CISN + 1, ACK, 64240, &[], 0));
    for _ in 0..3 {
        b.send(&data);
    }
    b.send(&seg(false, SISN + 1, CISN + 11, ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).1, 432_000, "acked: no cap");
    let dup = seg(false, SISN + 1, CISN + 11, ACK, 64240, &[], 0);
    for n in 1..=3 {
        b.send(&dup);
        assert_eq!(b.entry(r).1, if n < 3 { 432_000 } else { 300 }, "after {n} repeats");
    }
}

#[test]
fn a_rst_in_window_closes_and_one_below_the_acked_sequence_is_invalid() {
    let mut b = Box::new();
    let r = b.handshake();
    b.send(&seg(true, CISN + 1, SISN + 1, ACK | PSH, 64240, &[], 100));
    b.send(&seg(false, SISN + 1, CISN + 101, ACK, 64240, &[], 0));
    let v = b.send(&seg(true, CISN + 50, 0, RST, 0, &[], 0));
    assert_eq!((v.info, said(&v).as_deref()), (CtInfo::Invalid, Some("invalid rst")));
    b.s.set(Sysctl::NfConntrackTcpIgnoreInvalidRst, 1).unwrap();
    let v = b.send(&seg(true, CISN + 50, 0, RST, 0, &[], 0));
    assert_eq!(v.info, CtInfo::Established, "ignore_invalid_rst lets it reach the window check");
    assert_eq!(b.entry(r), (TcpState::Established, 10, true), "inexact seq: state kept, 10 s");
    let v = b.send(&seg(true, CISN + 101, 0, RST, 0, &[], 0));
    assert_eq!(v.info, CtInfo::Established);
    assert_eq!(b.entry(r), (TcpState::Close, 10, true));
}

#[test]
fn a_rst_right_after_our_data_closes() {
    let mut b = Box::new();
    let r = b.handshake();
    b.send(&seg(false, SISN + 1, CISN + 1, ACK, 64240, &[], 0));
    b.send(&seg(true, CISN + 1, SISN + 1, ACK | PSH, 64240, &[], 19));
    b.send(&seg(true, CISN + 20, SISN + 1, RST | ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).0, TcpState::Close);
}

#[test]
fn a_rst_as_the_only_answer_deletes_the_entry() {
    let mut b = Box::new();
    b.send(&seg(true, CISN, 0, SYN, 64240, &[], 0));
    let v = b.send(&seg(false, 0, CISN + 1, RST | ACK, 0, &[], 0));
    assert_eq!(v.info, CtInfo::EstablishedReply, "the RST itself passes with its entry");
    assert_eq!(b.ct.list(b.now), "", "and the entry is gone");
    assert_eq!(b.ct.count(), 0);
}

#[test]
fn a_new_syn_after_the_close_reopens_a_fresh_entry() {
    let mut b = Box::new();
    let r = b.handshake();
    b.send(&seg(true, CISN + 1, SISN + 1, FIN | ACK, 64240, &[], 0));
    b.send(&seg(false, SISN + 1, CISN + 2, FIN | ACK, 64240, &[], 0));
    b.send(&seg(true, CISN + 2, SISN + 2, ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).0, TcpState::TimeWait);
    let v = b.send(&seg(true, CISN + 100_000, 0, SYN, 64240, &[], 0));
    assert_eq!(v.info, CtInfo::New);
    let n = v.ct.unwrap();
    assert_eq!(b.entry(n), (TcpState::SynSent, 120, false));
    assert!(!b.ct.is_live(r) || r.slot() == n.slot());
    assert_eq!(b.ct.count(), 1);
    assert!(b.ct.list(b.now).contains("SYN_SENT") && b.ct.list(b.now).contains("[UNREPLIED]"));
}

#[test]
fn a_syn_in_established_is_ignored_and_its_answer_resyncs() {
    let mut b = Box::new();
    let r = b.handshake();
    // The client restarted: a new SYN the server will accept.
    let v = b.send(&seg(true, 90_000, 0, SYN, 29200, &[], 0));
    assert_eq!(v.info, CtInfo::Established, "let through");
    assert_eq!(said(&v).as_deref(), Some("packet (index 0) in dir 0 ignored, state ESTABLISHED"));
    let v = b.send(&seg(false, 70_000, 90_001, SYN | ACK, 29200, &[], 0));
    assert!(v.invalid_log.is_empty(), "{:?}", said(&v));
    assert_eq!(b.entry(r).0, TcpState::SynRecv);
    b.send(&seg(true, 90_001, 70_001, ACK, 29200, &[], 0));
    assert_eq!(b.entry(r).0, TcpState::Established);
}

#[test]
fn a_challenge_ack_in_last_ack_is_not_the_last_ack() {
    let mut b = Box::new();
    let r = b.handshake();
    b.send(&seg(false, SISN + 1, CISN + 1, FIN | ACK, 64240, &[], 0));
    b.send(&seg(true, CISN + 1, SISN + 2, FIN | ACK, 64240, &[], 0));
    assert_eq!(b.entry(r).0, TcpState::LastAck);
    b.send(&seg(true, 777_777, 0, SYN, 64240, &[], 0));
    let v = b.send(&seg(false, SISN + 2, CISN + 2, ACK, 64240, &[], 0));
    assert_eq!(said(&v).as_deref(), Some("challenge-ack ignored"));
    assert_eq!(b.entry(r).0, TcpState::LastAck);
}

#[test]
fn loose_picks_up_mid_stream_and_assures_after_both_ways() {
    let mut b = Box::new();
    let r = b.send(&seg(true, 7000, 9000, ACK, 1000, &[], 10)).ct.unwrap();
    assert_eq!(b.entry(r), (TcpState::Established, 300, false));
    let v = b.send(&seg(false, 9000, 7010, ACK, 1000, &[], 0));
    assert_eq!(v.info, CtInfo::EstablishedReply);
    assert!(!b.entry(r).2);
    b.send(&seg(true, 7010, 9000, ACK, 1000, &[], 0));
    assert_eq!(b.entry(r), (TcpState::Established, 432_000, true));
}

#[test]
fn without_loose_a_mid_stream_ack_gets_nothing_and_no_message() {
    let mut b = Box::new();
    b.s.set(Sysctl::NfConntrackTcpLoose, 0).unwrap();
    let v = b.send(&seg(true, 7000, 9000, ACK, 1000, &[], 10));
    assert_eq!((v.info, v.invalid_log.is_empty(), b.ct.count()), (CtInfo::Invalid, true, 0));
}

#[test]
fn an_out_of_window_fin_answering_a_fin_shortens_an_assured_entry() {
    let mut b = Box::new();
    b.s.set(Sysctl::NfConntrackLogInvalid, 255).unwrap();
    let r = b.handshake();
    // Out-of-window FINs (acking unseen data) from each side in turn.
    let v = b.send(&seg(true, CISN + 1, SISN + 900, FIN | ACK, 64240, &[], 0));
    assert_eq!(v.info, CtInfo::Invalid);
    assert_eq!(b.entry(r).1, 432_000, "first one only remembered");
    let v = b.send(&seg(false, SISN + 1, CISN + 900, FIN | ACK, 64240, &[], 0));
    let texts: Vec<String> = v.invalid_log.messages().map(|m| m.text()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[1], "packet (index 2, dir 1) response for index 2 lower timeout to 75000");
    assert_eq!(b.entry(r).1, 300);
}

#[test]
fn header_checks_come_first_and_say_why() {
    let mut b = Box::new();
    let mut bad = seg(true, CISN, 0, SYN, 64240, &[], 0);
    bad[36] ^= 0xff; // checksum
    assert_eq!(said(&b.send(&bad)).as_deref(), Some("bad checksum"));
    let v = b.ct.in_hook(&bad, true, 0, b.now, &b.s);
    assert_eq!(v.info, CtInfo::New, "not verified at OUTPUT");
    let flags = seg(true, CISN, 0, SYN | FIN, 64240, &[], 0);
    assert_eq!(said(&b.send(&flags)).as_deref(), Some("invalid tcp flag combination"));
    assert_eq!(b.ct.stats().invalid, 2);
}

#[test]
fn the_old_profile_calls_any_window_failure_out_of_window_data() {
    let mut b = Box::new();
    b.s.set_profile(Profile::Linux24);
    b.handshake();
    let v = b.send(&seg(true, (CISN + 1).wrapping_sub(300_000), SISN + 1, ACK, 64240, &[], 10));
    assert_eq!(v.info, CtInfo::Invalid, "2.4 refused old retransmissions too");
    let mut lines = Vec::new();
    v.invalid_log.lines(&mut lines, &[], "", "", None, 0);
    assert_eq!(
        lines[0].1,
        "ip_conntrack_tcp: INVALID: Out of window data; SEQ is under the lower bound (retransmitted already ACKed data)"
    );
    b.s.set(Sysctl::IpConntrackTcpLogOutOfWindow, 0).unwrap();
    let v = b.send(&seg(true, (CISN + 1).wrapping_sub(300_000), SISN + 1, ACK, 64240, &[], 10));
    assert!(v.invalid_log.is_empty());
}

#[test]
fn unassured_tcp_entries_are_early_dropped_and_assured_ones_kept() {
    let mut b = Box::new();
    b.ct = Conntrack::new(CtConfig { buckets: 1, max: 2, seed: 3, netns: None });
    let assured = b.handshake();
    let half = b.send(&seg_port(40001, true, 1, 0, SYN, 100, &[], 0)).ct.unwrap();
    // A third connection needs room: the unassured SYN_SENT entry goes.
    let v = b.send(&seg_port(40002, true, 5, 0, SYN, 100, &[], 0));
    assert_eq!(v.info, CtInfo::New);
    assert!(b.ct.is_live(assured) && !b.ct.is_live(half));
    assert_eq!(b.ct.stats().early_drop, 1);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    /// One step of a well-behaved conversation: who sends how many bytes.
    fn steps() -> impl Strategy<Value = Vec<(bool, u16)>> {
        prop::collection::vec((any::<bool>(), 0u16..1400), 0..40)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Two endpoints that respect each other's windows, acknowledge
        /// everything they received and close with FINs are never INVALID
        /// and never logged, whatever their ISNs and options.
        #[test]
        fn well_formed_conversations_are_never_invalid(
            cisn in any::<u32>(), sisn in any::<u32>(), scale in prop::option::of(0u8..15),
            sack in any::<bool>(), steps in steps(), client_closes in any::<bool>(),
        ) {
            let mut b = Box::new();
            b.s.set(Sysctl::NfConntrackLogInvalid, 255).unwrap();
            let mut opts = vec![2, 4, 5, 0xb4];
            if sack { opts.extend_from_slice(&[1, 1, 4, 2]); }
            if let Some(sc) = scale { opts.extend_from_slice(&[1, 3, 3, sc]); }
            let win = 60000u16;
            let mut next = [cisn.wrapping_add(1), sisn.wrapping_add(1)];
            let check = |b: &mut Box, p: Vec<u8>| {
                let v = b.send(&p);
                prop_assert_ne!(v.info, CtInfo::Invalid);
                prop_assert!(v.invalid_log.is_empty(), "{:?}", said(&v));
                Ok(())
            };
            check(&mut b, seg(true, cisn, 0, SYN, win, &opts, 0))?;
            check(&mut b, seg(false, sisn, next[0], SYN | ACK, win, &opts, 0))?;
            check(&mut b, seg(true, next[0], next[1], ACK, win >> scale.unwrap_or(0).min(8), &[], 0))?;
            for (from_client, len) in steps {
                let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
                let p = seg(from_client, next[me], next[peer], ACK | PSH, win >> scale.unwrap_or(0).min(8), &[], usize::from(len));
                check(&mut b, p)?;
                next[me] = next[me].wrapping_add(u32::from(len));
            }
            let (a, z) = if client_closes { (0, 1) } else { (1, 0) };
            let w = win >> scale.unwrap_or(0).min(8);
            check(&mut b, seg(a == 0, next[a], next[z], FIN | ACK, w, &[], 0))?;
            next[a] = next[a].wrapping_add(1);
            check(&mut b, seg(z == 0, next[z], next[a], FIN | ACK, w, &[], 0))?;
            next[z] = next[z].wrapping_add(1);
            check(&mut b, seg(a == 0, next[a], next[z], ACK, w, &[], 0))?;
            let r = b.ct.find(&crate::conntrack::Tuple::new(C.into(), S.into(), 6, 40000, 80), 0, b.now).unwrap();
            prop_assert_eq!(b.entry(r).0, TcpState::TimeWait);
        }

        /// Any header bytes, in any state, never make the tracker panic.
        #[test]
        fn arbitrary_segments_never_panic(
            segs in prop::collection::vec((any::<bool>(), prop::collection::vec(any::<u8>(), 20..60)), 1..20),
        ) {
            let mut b = Box::new();
            b.s.set(Sysctl::NfConntrackChecksum, 0).unwrap();
            b.s.set(Sysctl::NfConntrackLogInvalid, 255).unwrap();
            b.handshake();
            for (from_client, mut l4) in segs {
                let (src, dst, sport, dport) = if from_client { (C, S, 40000u16, 80u16) } else { (S, C, 80, 40000) };
                l4[0..2].copy_from_slice(&sport.to_be_bytes());
                l4[2..4].copy_from_slice(&dport.to_be_bytes());
                let v = b.send(&crate::xt::TestPacket::ipv4(src, dst, 6, &l4));
                let mut lines = Vec::new();
                v.invalid_log.lines(&mut lines, &[], "", "", None, 0);
            }
        }
    }
}

#[test]
fn a_fresh_syns_shortcut_learns_what_the_window_check_would() {
    let s = Sysctls::default();
    let opts: [&[u8]; 3] = [&[], &[2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7], &[1, 1, 4, 2]];
    for (win, opts, data, flags) in [(0, opts[0], 0, SYN), (1, opts[1], 0, SYN), (65535, opts[2], 300, SYN | PSH)] {
        let pkt = seg(true, u32::MAX - 5, 77, flags, win, opts, data);
        let ip = &pkt[..];
        let ctx = PacketCtx::first(ip, &s);
        let seg = segment::parse(&ctx).unwrap();
        let (mut full, mut state) = (TcpConn { maxack: [9, 9], ..TcpConn::default() }, 0);
        new_entry(&ctx, &mut full, &seg, Class::Syn).unwrap();
        let strict = WindowCfg { be_liberal: false, all_invalid: true, receiver_seqadj: None };
        assert_eq!(full.in_window(0, Class::Syn, TcpState::None, &seg, strict), WindowVerdict::Accept);
        let mut short = TcpConn { last_seq: 3, ..TcpConn::default() };
        let v = packet(&ctx, &mut short, &mut state, 0, &mut InvalidLog::default());
        assert!(matches!(v, L4Verdict::Accept { .. }));
        assert_eq!(state, TcpState::SynSent as u8);
        let mut expect = full;
        expect.last_index = Class::Syn as u8;
        expect.last_dir = 0;
        assert_eq!(short, expect, "window {win}");
    }
}
