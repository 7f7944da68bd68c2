//! Window tracking (`tcp_in_window`): per direction, how far the sender has
//! sent (`end`), how far the receiver allowed it to send (`maxend`), the
//! largest window seen (`maxwin`) and the highest ACK it sent (`maxack`);
//! a segment must fall inside those bounds.
//!
//! The four checks, for a segment from "sender" to "receiver" with
//! `sack` = the highest acknowledged byte (SACK blocks included):
//! I.   `seq` not beyond sender.maxend            (else INVALID, or let through
//!      as "bytes more than expected" when only slightly over);
//! III. `sack` not beyond receiver.end            (else INVALID);
//! II.  `end` not before sender.end - receiver.maxwin (else let through: an
//!      old retransmission);
//! IV.  `sack` not before receiver.end - max(maxwin, 66000) (else let through).
//! A side flagged BE_LIBERAL, or `nf_conntrack_tcp_be_liberal`, turns every
//! failure into acceptance without a word and without learning from it.

use super::msg::TcpMsg;
use super::segment::{self, ACK, F_BE_LIBERAL, F_DATA_UNACKNOWLEDGED, F_MAXACK_SET, RST, SYN, Segment};
use super::state::{Class, TcpState};

/// Sequence number `a` comes before `b` (modulo 2^32).
#[inline]
pub fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Sequence number `a` comes after `b` (modulo 2^32).
#[inline]
pub fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

/// The least ACK window the lower ACK bound allows (`MAXACKWINCONST`).
const MAX_ACK_WINDOW: u32 = 66_000;

/// The TCP part of one connection (`struct ip_ct_tcp`), both directions'
/// window data laid out as pairs (index 0 ORIGINAL, 1 REPLY) so the entry
/// packs into 56 bytes. The state itself lives in the entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpConn {
    /// Highest `seq + len` sent (`td_end`).
    pub end: [u32; 2],
    /// Highest `ack + window` the other side allowed (`td_maxend`).
    pub maxend: [u32; 2],
    /// Largest (scaled) window advertised, at least 1 (`td_maxwin`).
    pub maxwin: [u32; 2],
    /// Highest ACK sent (`td_maxack`, valid with MAXACK_SET).
    pub maxack: [u32; 2],
    /// Window-scale shift from the side's SYN (`td_scale`).
    pub scale: [u8; 2],
    /// `F_*` flags of each side.
    pub flags: [u8; 2],
    /// The last packet let through or ignored: direction, class.
    pub last_dir: u8,
    /// Its class ([`Class`] number; NONE after creation).
    pub last_index: u8,
    /// Window scale of an ignored SYN.
    pub last_wscale: u8,
    /// Flags of an ignored SYN, CHALLENGE_ACK, SIMULTANEOUS_OPEN.
    pub last_flags: u8,
    /// Identical ACK-class segments in a row.
    pub retrans: u8,
    /// Raw window of the last recorded segment.
    pub last_win: u16,
    /// Sequence number of the last recorded segment.
    pub last_seq: u32,
    /// Acknowledgement of the last recorded segment.
    pub last_ack: u32,
    /// End of the last recorded segment.
    pub last_end: u32,
}

/// What the window check decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowVerdict {
    /// In window: the state machine goes on.
    Accept,
    /// Outside, but let through unchanged (`NFCT_TCP_IGNORE`).
    Ignore(Option<TcpMsg>),
    /// Outside: the packet is INVALID.
    Invalid(Option<TcpMsg>),
}

/// The switches the check reads.
#[derive(Clone, Copy, Debug)]
pub struct WindowCfg {
    /// `nf_conntrack_tcp_be_liberal`.
    pub be_liberal: bool,
    /// Every failure is INVALID (the `linux-2.4` profile).
    pub all_invalid: bool,
    /// The receiving direction's sequence adjustment, if a NAT helper
    /// changed payload lengths: the sender acknowledges shifted numbers.
    pub receiver_seqadj: Option<crate::conntrack::seqadj::SeqAdjDir>,
}

impl TcpConn {
    /// (Re)starts a side from its SYN or SYN/ACK (`tcp_init_sender`): its
    /// window data and options; scaling is dropped on both sides unless both
    /// SYNs offered it, decided when the REPLY side's SYN is seen.
    pub fn init_sender(&mut self, s: usize, seg: &Segment<'_>) {
        self.end[s] = seg.end;
        self.maxend[s] = seg.end;
        self.maxwin[s] = u32::from(seg.win).max(1);
        self.take_options(s, seg.options);
        let both = (self.flags[0] & self.flags[1] & segment::F_WINDOW_SCALE) != 0;
        if s == 1 && !both {
            self.scale = [0, 0];
        }
    }

    /// Records a SYN's window scale and SACK-permitted for side `s`.
    pub fn take_options(&mut self, s: usize, opts: &[u8]) {
        if let Some((scale, flags)) = segment::handshake_options(opts) {
            self.scale[s] = scale;
            self.flags[s] = (self.flags[s] & F_BE_LIBERAL) | flags;
        }
    }

    /// Forgets side `s`'s window data, keeping only BE_LIBERAL.
    pub fn reset_side(&mut self, s: usize) {
        self.end[s] = 0;
        self.maxend[s] = 0;
        self.maxwin[s] = 0;
        self.maxack[s] = 0;
        self.scale[s] = 0;
        self.flags[s] &= F_BE_LIBERAL;
    }

    /// Checks segment `seg` of class `class` from side `s` in `state`
    /// against the windows, learning from it when it passes.
    ///
    /// The ACK and SACK are first brought back into the receiver's own
    /// sequence space when a NAT helper shifted it (the offset chosen at
    /// `ack - 1`, as the kernel chooses it).
    pub fn in_window(
        &mut self,
        s: usize,
        class: Class,
        state: TcpState,
        seg: &Segment<'_>,
        cfg: WindowCfg,
    ) -> WindowVerdict {
        let r = 1 - s;
        let (mut seq, mut end) = (seg.seq, seg.end);
        let mut ack = seg.ack;
        let mut sack =
            if self.flags[r] & segment::F_SACK_PERM != 0 { segment::highest_sack(seg.options, ack) } else { ack };
        if let Some(adj) = cfg.receiver_seqadj {
            let off = adj.offset(ack.wrapping_sub(1)) as u32;
            ack = ack.wrapping_sub(off);
            sack = sack.wrapping_sub(off);
        }
        if self.maxwin[s] == 0 {
            if seg.has(SYN) {
                // The answering SYN/ACK, or the peer's SYN of a simultaneous open.
                self.init_sender(s, seg);
                if !seg.has(ACK) {
                    return WindowVerdict::Accept;
                }
            } else {
                // The first packet from this side of a picked-up connection.
                self.end[s] = end;
                let win = u32::from(seg.win) << self.scale[s];
                self.maxwin[s] = win.max(1);
                self.maxend[s] = end.wrapping_add(self.maxwin[s]);
                if self.maxwin[r] == 0 {
                    // Nothing seen the other way: let checks III and IV pass.
                    self.end[r] = sack;
                    self.maxend[r] = sack;
                } else if sack == self.end[r].wrapping_add(1) {
                    // Answer to a keep-alive probe.
                    self.end[r] = self.end[r].wrapping_add(1);
                }
            }
        } else if seg.has(SYN) && after(end, self.end[s]) && matches!(state, TcpState::SynSent | TcpState::SynRecv) {
            // A new SYN with a higher sequence (RFC 793 reinitialisation).
            self.init_sender(s, seg);
            if s == 1 && !seg.has(ACK) {
                return WindowVerdict::Accept;
            }
        }
        if !seg.has(ACK) || (seg.has(ACK | RST) && ack == 0) {
            // No ACK (or a broken stack's RST+ACK with ack 0): take it as acking all.
            ack = self.end[r];
            sack = ack;
        }
        if seg.has(RST) && seq == 0 && state == TcpState::SynSent {
            // A RST answering our SYN.
            seq = self.end[s];
            end = seq;
        }
        self.check(s, class, Seen { seq, ack, sack, end, win: seg.win, syn: seg.has(SYN), has_ack: seg.has(ACK) }, cfg)
    }

    /// The four bounds in the kernel's order, then the update. A failure
    /// returns at once: a liberal pass learns nothing from the segment.
    fn check(&mut self, s: usize, class: Class, p: Seen, cfg: WindowCfg) -> WindowVerdict {
        let r = 1 - s;
        let liberal = cfg.be_liberal || self.flags[s] & F_BE_LIBERAL != 0;
        let fail = |hard: bool, msg: TcpMsg| -> WindowVerdict {
            if liberal {
                WindowVerdict::Accept
            } else if hard || cfg.all_invalid {
                WindowVerdict::Invalid(Some(msg))
            } else {
                WindowVerdict::Ignore(Some(msg))
            }
        };
        let ack_floor = self.end[r].wrapping_sub(self.maxwin[s].max(MAX_ACK_WINDOW)).wrapping_sub(1);
        let seq_floor = self.end[s].wrapping_sub(self.maxwin[r]).wrapping_sub(1);
        if !before(p.seq, self.maxend[s].wrapping_add(1)) {
            let overshot = p.end.wrapping_sub(self.maxend[s]).wrapping_add(1);
            let in_recv_win = self.maxwin[r] != 0 && after(p.end, seq_floor);
            if in_recv_win
                && after(p.sack, ack_floor)
                && overshot <= self.maxwin[r]
                && before(p.sack, self.end[r].wrapping_add(1))
                && !cfg.all_invalid
            {
                // A sender that overran the receiver's window a little:
                // learn the data's end so the peer's ACK of it stays valid.
                self.end[s] = p.end;
                self.flags[s] |= F_DATA_UNACKNOWLEDGED;
                return fail(false, TcpMsg::BytesMore(overshot));
            }
            return fail(true, TcpMsg::SeqOver(self.maxend[s].wrapping_add(1)));
        }
        if !before(p.sack, self.end[r].wrapping_add(1)) {
            return fail(true, TcpMsg::AckOver(self.end[r].wrapping_add(1)));
        }
        if self.maxwin[r] != 0 && !after(p.end, seq_floor) {
            return fail(false, TcpMsg::SeqUnder(seq_floor));
        }
        if !after(p.sack, ack_floor) {
            return fail(false, TcpMsg::AckUnder(ack_floor));
        }
        self.learn(s, class, p)
    }

    /// A segment inside the window: widen what each side may send, record
    /// the highest ACK, and count identical ACK segments (retransmissions).
    fn learn(&mut self, s: usize, class: Class, p: Seen) -> WindowVerdict {
        let r = 1 - s;
        let win = if p.syn { u32::from(p.win) } else { u32::from(p.win) << self.scale[s] };
        let swin = win.wrapping_add(p.sack.wrapping_sub(p.ack));
        self.maxwin[s] = self.maxwin[s].max(swin);
        if after(p.end, self.end[s]) {
            self.end[s] = p.end;
            self.flags[s] |= F_DATA_UNACKNOWLEDGED;
        }
        if p.has_ack {
            if self.flags[s] & F_MAXACK_SET == 0 {
                self.maxack[s] = p.ack;
                self.flags[s] |= F_MAXACK_SET;
            } else if after(p.ack, self.maxack[s]) {
                self.maxack[s] = p.ack;
            }
        }
        if self.maxwin[r] != 0 && after(p.end, self.maxend[s]) {
            self.maxwin[r] = self.maxwin[r].wrapping_add(p.end.wrapping_sub(self.maxend[s]));
        }
        if after(p.sack.wrapping_add(win), self.maxend[r].wrapping_sub(1)) {
            self.maxend[r] = p.sack.wrapping_add(win).wrapping_add(u32::from(win == 0));
        }
        if p.ack == self.end[r] {
            self.flags[r] &= !F_DATA_UNACKNOWLEDGED;
        }
        if class == Class::Ack {
            let same = usize::from(self.last_dir) == s
                && self.last_seq == p.seq
                && self.last_ack == p.ack
                && self.last_end == p.end
                && self.last_win == p.win;
            if same {
                self.retrans = self.retrans.wrapping_add(1);
            } else {
                self.last_dir = s as u8;
                self.last_seq = p.seq;
                self.last_ack = p.ack;
                self.last_end = p.end;
                self.last_win = p.win;
                self.retrans = 0;
            }
        }
        WindowVerdict::Accept
    }
}

/// A segment's numbers as the checks see them (after the substitutions
/// for segments without ACK and RSTs answering a SYN).
#[derive(Clone, Copy, Debug)]
struct Seen {
    seq: u32,
    ack: u32,
    sack: u32,
    end: u32,
    win: u16,
    syn: bool,
    has_ack: bool,
}

#[cfg(test)]
#[path = "window_test.rs"]
mod test;
