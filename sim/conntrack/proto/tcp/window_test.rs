//! Window tracking checks on a bare [`TcpConn`].

use super::*;

fn s(seq: u32, ack: u32, flags: u8, win: u16, len: u32) -> Segment<'static> {
    let end = seq.wrapping_add(len).wrapping_add(u32::from(flags & SYN != 0) + u32::from(flags & segment::FIN != 0));
    Segment { seq, ack, win, flags, end, options: &[] }
}

const STRICT: WindowCfg = WindowCfg { be_liberal: false, all_invalid: false, receiver_seqadj: None };

#[test]
fn sequence_comparisons_wrap() {
    assert!(before(u32::MAX, 0) && after(0, u32::MAX));
    assert!(!before(5, 5) && !after(5, 5));
    assert!(before(1, 0x8000_0000) && !before(0x8000_0000, 1), "half the space away is after");
}

#[test]
fn a_picked_up_connections_first_reply_sets_both_sides() {
    let mut t = TcpConn { end: [110, 0], maxend: [1110, 0], maxwin: [1000, 0], ..TcpConn::default() };
    t.maxwin[0] = 0; // nothing known of the original side either
    let v = t.in_window(1, Class::Ack, TcpState::Established, &s(9000, 110, ACK, 2000, 0), STRICT);
    assert_eq!(v, WindowVerdict::Accept);
    assert_eq!((t.end[1], t.maxwin[1], t.maxend[1]), (9000, 2000, 11000));
    assert_eq!(t.maxend[0], 2110, "the reply's window opens the original side");
}

#[test]
fn a_keepalive_answer_moves_the_receivers_end_by_one() {
    let mut t = TcpConn { end: [110, 0], maxend: [1110, 0], maxwin: [1000, 0], ..TcpConn::default() };
    t.in_window(1, Class::Ack, TcpState::Established, &s(9000, 111, ACK, 2000, 0), STRICT);
    assert_eq!(t.end[0], 111);
}

#[test]
fn a_reply_syn_of_a_simultaneous_open_only_starts_its_side() {
    let mut t = TcpConn { end: [101, 0], maxend: [101, 0], maxwin: [500, 0], ..TcpConn::default() };
    let v = t.in_window(1, Class::Syn, TcpState::SynSent, &s(7000, 0, SYN, 800, 0), STRICT);
    assert_eq!(v, WindowVerdict::Accept);
    assert_eq!((t.end[1], t.maxend[1], t.maxwin[1]), (7001, 7001, 800));
    assert_eq!(t.maxend[0], 101, "nothing learnt for the other side");
}

#[test]
fn a_liberal_pass_learns_nothing() {
    let mut t = TcpConn { end: [1000, 5000], maxend: [2000, 6000], maxwin: [1000, 1000], ..TcpConn::default() };
    let before_ = t;
    let liberal = WindowCfg { be_liberal: true, all_invalid: false, receiver_seqadj: None };
    let v = t.in_window(0, Class::Ack, TcpState::Established, &s(900_000, 5000, ACK, 100, 10), liberal);
    assert_eq!((v, t), (WindowVerdict::Accept, before_));
    t.flags[0] |= segment::F_BE_LIBERAL;
    let v = t.in_window(0, Class::Ack, TcpState::Established, &s(900_000, 5000, ACK, 100, 10), STRICT);
    assert_eq!(v, WindowVerdict::Accept, "the side's own flag works the same");
}

#[test]
fn a_zero_window_still_leaves_one_byte_to_probe() {
    let mut t = TcpConn { end: [1000, 5000], maxend: [2000, 6000], maxwin: [1000, 1000], ..TcpConn::default() };
    t.in_window(1, Class::Ack, TcpState::Established, &s(5000, 3000, ACK, 0, 0), STRICT);
    assert_eq!(t.maxend[0], 2000, "never shrinks");
    let mut t = TcpConn { end: [1000, 5000], maxend: [0, 6000], maxwin: [1000, 1000], ..TcpConn::default() };
    t.in_window(1, Class::Ack, TcpState::Established, &s(5000, 1000, ACK, 0, 0), STRICT);
    assert_eq!(t.maxend[0], 1001);
}

#[test]
fn a_rst_answering_a_syn_with_sequence_zero_takes_the_senders_end() {
    let mut t = TcpConn { end: [101, 0], maxend: [101, 0], maxwin: [500, 0], ..TcpConn::default() };
    let v = t.in_window(1, Class::Rst, TcpState::SynSent, &s(0, 101, RST | ACK, 0, 0), STRICT);
    assert_eq!(v, WindowVerdict::Accept);
}
