//! TCP connection tracking as Linux 6.x does it (`nf_conntrack_proto_tcp.c`,
//! reference tcp.md).
//!
//! Per packet, in order: the header checks ([`segment::parse`]); for a new
//! entry, whether its first packet may start one (`new_entry`); the
//! transition table ([`state`]) with the special cases it cannot express
//! (reopening a closed connection, resyncing after an ignored SYN,
//! simultaneous open, RST acceptance); the window check ([`window`]); then
//! the new state and its timeout. Messages go to the packet's
//! [`InvalidLog`] (worded by [`msg`]), which keeps them only when the box
//! logs invalid TCP packets.
//!
//! Each entry's window data ([`TcpConn`], 56 bytes) lives beside the table,
//! in a slab of its own that only TCP entries use; the entry's protocol
//! word indexes it and its state byte holds the [`TcpState`].

pub mod msg;
pub mod segment;
pub mod state;
pub mod window;

pub use msg::TcpMsg;
pub use state::{Class, TcpState};
pub use window::TcpConn;

use super::log::{InvalidLog, LogMsg};
use super::{L4Tracker, L4Verdict, PacketCtx, ports};
use crate::conntrack::conn::{HZ, status};
use crate::conntrack::tuple::Tuple;
use crate::kernel::Sysctl;
use segment::{
    F_BE_LIBERAL, F_CHALLENGE_ACK, F_CLOSE_INIT, F_DATA_UNACKNOWLEDGED, F_MAXACK_SET, F_SACK_PERM, F_SIMULTANEOUS_OPEN,
    F_WINDOW_SCALE, Segment,
};
use state::Cell;
use window::{WindowCfg, WindowVerdict, before};

/// The TCP tracker (tuple and naming; [`packet`] does the tracking).
pub struct Tcp;

impl L4Tracker for Tcp {
    fn proto(&self) -> u8 {
        6
    }

    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool {
        ports(l4, t)
    }

    fn name(&self) -> &'static str {
        "tcp"
    }
}

/// One packet's TCP tracking, given the entry's window data `t` and state
/// byte `state`, and the jiffies left before it expires (for timeout
/// lowering). Messages are pushed to `log`.
pub fn packet(ctx: &PacketCtx<'_>, t: &mut TcpConn, state: &mut u8, expires: u32, log: &mut InvalidLog) -> L4Verdict {
    let mut say = |m: TcpMsg| log.push(ctx.sysctls, 6, LogMsg::Tcp(m));
    let seg = match segment::parse(ctx) {
        Ok(seg) => seg,
        Err(msg) => {
            if let Some(m) = msg {
                say(m);
            }
            return L4Verdict::Invalid("");
        }
    };
    let class = Class::of(seg.flags);
    if ctx.status & status::CONFIRMED == 0 {
        if let Err(msg) = new_entry(ctx, t, &seg, class) {
            if let Some(m) = msg {
                say(m);
            }
            return L4Verdict::Invalid("");
        }
        *state = TcpState::None as u8;
        if class == Class::Syn {
            // A fresh entry's SYN: the table says SYN_SENT and the window
            // check cannot fail (it ends within the window it opened, acks
            // nothing, and the other side is unseen), so all it would learn
            // is the reply side's first bound, the SYN's raw window.
            t.maxend[1] = u32::from(seg.win).max(1);
            return accepted(ctx, t, state, &seg, class, 0, TcpState::None, TcpState::SynSent);
        }
    }
    let dir = ctx.info.dir() as usize;
    let mut old = TcpState::from_u8(*state);
    let cell = state::next(dir, class, old);
    let mut new = match cell {
        Cell::To(s) => s,
        Cell::Ignore => old,
        Cell::Invalid => {
            // SYN proxy's keep-alive exception is not modelled (no SYNPROXY).
            say(TcpMsg::InvalidState { index: class as u8, dir: dir as u8, state: old });
            return L4Verdict::Invalid("");
        }
    };
    let reopen = new == TcpState::SynSent && old >= TcpState::TimeWait;
    let closed_by_us = || {
        (t.flags[0] | t.flags[1]) & F_CLOSE_INIT != 0
            || (usize::from(t.last_dir) == dir && t.last_index == Class::Rst as u8)
    };
    if reopen && closed_by_us() {
        // A new connection on a closed (or aborted) one's tuple: the old
        // entry dies and the packet is looked up again.
        return L4Verdict::Repeat;
    }
    let mut skip_window = false;
    if cell == Cell::Ignore || reopen {
        if resynced(t, &seg, class, dir) {
            // The SYN we ignored earlier was real: the peers are in sync
            // and we follow them from the SYN/ACK.
            old = TcpState::SynSent;
            new = TcpState::SynRecv;
        } else {
            remember_ignored(t, &seg, class, dir, old);
            say(TcpMsg::Ignored { index: class as u8, dir: dir as u8, state: old });
            return L4Verdict::AcceptUnrefreshed;
        }
    }
    match new {
        TcpState::TimeWait
            if old == TcpState::LastAck
                && class == Class::Ack
                && usize::from(t.last_dir) != dir
                && t.last_index == Class::Syn as u8
                && t.last_flags & F_CHALLENGE_ACK != 0 =>
        {
            // RFC 5961: the peer answered an ignored SYN with a challenge
            // ACK; it does not acknowledge the last FIN.
            t.last_flags &= !F_CHALLENGE_ACK;
            say(TcpMsg::ChallengeAck);
            return L4Verdict::AcceptUnrefreshed;
        }
        TcpState::SynSent2 => t.last_flags |= F_SIMULTANEOUS_OPEN,
        TcpState::SynRecv if dir == 1 && class == Class::Ack && t.last_flags & F_SIMULTANEOUS_OPEN != 0 => {
            new = TcpState::Established
        }
        TcpState::Close if class == Class::Rst => match rst_check(ctx, t, &seg, dir, old) {
            RstCheck::Invalid => {
                say(TcpMsg::InvalidRst);
                return L4Verdict::Invalid("");
            }
            RstCheck::Accept => skip_window = true,
            RstCheck::KeepState => new = old,
            RstCheck::Window => {}
        },
        _ => {}
    }
    if !skip_window {
        let wording = ctx.sysctls.profile().tcp();
        let cfg = WindowCfg {
            be_liberal: ctx.sysctls.enabled(Sysctl::NfConntrackTcpBeLiberal),
            all_invalid: wording.window_failures_invalid,
            receiver_seqadj: ctx.seqadj.map(|a| a[1 - dir]),
        };
        match t.in_window(dir, class, old, &seg, cfg) {
            WindowVerdict::Accept => {}
            WindowVerdict::Ignore(m) => {
                if let Some(m) = m {
                    say(m);
                }
                return L4Verdict::AcceptUnrefreshed;
            }
            WindowVerdict::Invalid(m) => {
                if let Some(m) = m {
                    say(m);
                }
                let lowered = lower_timeout(ctx, t, class, dir, expires);
                if let Some((msg, jiffies)) = lowered {
                    say(msg);
                    return L4Verdict::InvalidExpireIn(jiffies);
                }
                return L4Verdict::Invalid("");
            }
        }
    }
    accepted(ctx, t, state, &seg, class, dir, old, new)
}

/// `tcp_new`: may this packet start an entry? Sets up the ORIGINAL side.
fn new_entry(ctx: &PacketCtx<'_>, t: &mut TcpConn, seg: &Segment<'_>, class: Class) -> Result<(), Option<TcpMsg>> {
    match state::next(0, class, TcpState::None) {
        Cell::To(TcpState::SynSent) => {
            *t = TcpConn::default();
            t.end[0] = seg.end;
            t.maxwin[0] = u32::from(seg.win).max(1);
            t.maxend[0] = seg.end;
            t.take_options(0, seg.options);
        }
        Cell::To(_) if !ctx.sysctls.enabled(Sysctl::NfConntrackTcpLoose) => return Err(None),
        Cell::To(_) => {
            // Picked up mid-stream: its history is lost, so assume SACK and
            // accept window failures from both sides (the scale is unknown).
            *t = TcpConn::default();
            t.end[0] = seg.end;
            t.maxwin[0] = u32::from(seg.win).max(1);
            t.maxend[0] = seg.end.wrapping_add(t.maxwin[0]);
            t.flags = [F_SACK_PERM | F_BE_LIBERAL; 2];
        }
        _ => return Err(Some(TcpMsg::InvalidNew)),
    }
    t.last_index = Class::None as u8;
    Ok(())
}

/// A SYN/ACK answering a SYN we ignored (its ACK is that SYN's end): take
/// the SYN's recorded values as its side's start and start this side anew.
fn resynced(t: &mut TcpConn, seg: &Segment<'_>, class: Class, dir: usize) -> bool {
    if !(class == Class::SynAck
        && t.last_index == Class::Syn as u8
        && usize::from(t.last_dir) != dir
        && seg.ack == t.last_end)
    {
        return false;
    }
    let l = usize::from(t.last_dir);
    t.end[l] = t.last_end;
    t.maxend[l] = t.last_end;
    t.maxwin[l] = u32::from(t.last_win).max(1);
    t.scale[l] = t.last_wscale;
    t.last_flags &= !F_CHALLENGE_ACK;
    t.flags[l] = t.last_flags;
    t.reset_side(dir);
    true
}

/// Notes an ignored packet so a later answer can be recognised: a SYN's
/// options (and, in LAST_ACK, that a challenge ACK may follow), a reply
/// ACK's acknowledgement while only a SYN was seen.
fn remember_ignored(t: &mut TcpConn, seg: &Segment<'_>, class: Class, dir: usize, old: TcpState) {
    t.last_index = class as u8;
    t.last_dir = dir as u8;
    t.last_seq = seg.seq;
    t.last_end = seg.end;
    t.last_win = seg.win;
    if class == Class::Syn && dir == 0 {
        t.last_flags = 0;
        t.last_wscale = 0;
        if let Some((scale, flags)) = segment::handshake_options(seg.options) {
            if flags & F_WINDOW_SCALE != 0 {
                t.last_flags |= F_WINDOW_SCALE;
                t.last_wscale = scale;
            }
            t.last_flags |= flags & F_SACK_PERM;
        }
        if old == TcpState::LastAck {
            t.last_flags |= F_CHALLENGE_ACK;
        }
    }
    if old == TcpState::SynSent && class == Class::Ack && dir == 1 {
        t.last_ack = seg.ack;
    }
}

/// How a RST that would close the connection is treated.
enum RstCheck {
    /// Below what the peer acknowledged: INVALID.
    Invalid,
    /// Accepted without window checks.
    Accept,
    /// Window-checked, state kept (awaiting a challenge ACK).
    KeepState,
    /// Window-checked, then CLOSE.
    Window,
}

/// The RST acceptance rules (reference tcp.md §4.1).
fn rst_check(ctx: &PacketCtx<'_>, t: &TcpConn, seg: &Segment<'_>, dir: usize, old: TcpState) -> RstCheck {
    if old.is_closing() {
        // The tuple may be in use by a new connection already: our data is stale.
        return RstCheck::Accept;
    }
    let r = 1 - dir;
    let established = old == TcpState::Established && ctx.status & status::ASSURED != 0;
    if t.flags[r] & F_MAXACK_SET != 0 && t.last_index != Class::Syn as u8 {
        let seq = seg.seq;
        if seq == 0 && !established {
            return RstCheck::Window;
        }
        if before(seq, t.maxack[r]) && !ctx.sysctls.enabled(Sysctl::NfConntrackTcpIgnoreInvalidRst) {
            return RstCheck::Invalid;
        }
        if !established || seq == t.maxack[r] {
            return RstCheck::Window;
        }
        // A RST right after our own data segment ends where it did.
        if !(t.last_index == Class::Ack as u8 && usize::from(t.last_dir) == dir && seq == t.last_end) {
            return RstCheck::KeepState;
        }
        return RstCheck::Window;
    }
    let answers_let_through = (ctx.status & status::SEEN_REPLY != 0 && t.last_index == Class::Syn as u8)
        || (ctx.status & status::ASSURED == 0 && t.last_index == Class::Ack as u8);
    if answers_let_through && seg.ack == t.last_end {
        // The RST answers a SYN or ACK we let through unchecked.
        return RstCheck::Accept;
    }
    if old == TcpState::SynSent && t.last_index == Class::Ack as u8 && t.last_dir == 1 && seg.seq == t.last_ack {
        // The RST answers a challenge ACK we let through.
        return RstCheck::Accept;
    }
    RstCheck::Window
}

/// `nf_tcp_handle_invalid`: an out-of-window FIN or RST answering a FIN or
/// RST from the other side means the peers and we disagree; an assured
/// entry then lives at most `timeout_unacknowledged` more. Returns the
/// message and the new timeout in jiffies, or records the packet.
fn lower_timeout(
    ctx: &PacketCtx<'_>,
    t: &mut TcpConn,
    class: Class,
    dir: usize,
    expires: u32,
) -> Option<(TcpMsg, u32)> {
    if ctx.status & status::ASSURED == 0 || ctx.status & status::FIXED_TIMEOUT != 0 {
        return None;
    }
    if !matches!(class, Class::Fin | Class::Rst) {
        return None;
    }
    let last = Class::from_u8(t.last_index);
    if usize::from(t.last_dir) != dir && matches!(last, Class::Fin | Class::Rst) {
        if expires < 120 * HZ {
            return None;
        }
        let unack = secs_to_jiffies(ctx.sysctls.get(Sysctl::NfConntrackTcpTimeoutUnacknowledged));
        if expires > unack {
            let msg =
                TcpMsg::LowerTimeout { index: class as u8, dir: dir as u8, last_index: last as u8, timeout: unack };
            return Some((msg, unack));
        }
        None
    } else {
        t.last_index = class as u8;
        t.last_dir = dir as u8;
        None
    }
}

/// Seconds (a sysctl) as the kernel's jiffies timeouts.
fn secs_to_jiffies(secs: i64) -> u32 {
    (secs.max(0) as u64 * u64::from(HZ)).min(u64::from(u32::MAX)) as u32
}

/// The packet is in: record it, move the state, choose the timeout.
/// Inlined at both callers: every packet passes through it once.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // the kernel's locals at this point, one each
fn accepted(
    ctx: &PacketCtx<'_>,
    t: &mut TcpConn,
    state: &mut u8,
    seg: &Segment<'_>,
    class: Class,
    dir: usize,
    old: TcpState,
    new: TcpState,
) -> L4Verdict {
    t.last_index = class as u8;
    t.last_dir = dir as u8;
    *state = new as u8;
    if old != new && new == TcpState::FinWait {
        t.flags[dir] |= F_CLOSE_INIT;
    }
    let s = ctx.sysctls;
    let max_retrans = s.get(Sysctl::NfConntrackTcpTimeoutMaxRetrans);
    let unack = s.get(Sysctl::NfConntrackTcpTimeoutUnacknowledged);
    let base = new.timeout_secs(s);
    let mut timeout = if i64::from(t.retrans) >= s.get(Sysctl::NfConntrackTcpMaxRetrans) && base > max_retrans {
        max_retrans
    } else if class == Class::Rst {
        s.get(Sysctl::NfConntrackTcpTimeoutClose)
    } else if (t.flags[0] | t.flags[1]) & F_DATA_UNACKNOWLEDGED != 0 && base > unack {
        unack
    } else if t.last_win == 0 && base > max_retrans {
        max_retrans
    } else {
        base
    };
    let mut set_status = 0;
    if ctx.status & status::SEEN_REPLY == 0 {
        if seg.has(segment::RST) {
            // A RST as the only answer: no connection to keep.
            return L4Verdict::AcceptKill;
        }
        if class == Class::Syn && old == TcpState::SynSent {
            // A retransmitted SYN must not keep a reused port's entry alive.
            return L4Verdict::AcceptUnrefreshed;
        }
        if new == TcpState::Established && timeout > unack {
            // Picked up mid-stream and not answered yet.
            timeout = unack;
        }
    } else if ctx.status & status::ASSURED == 0
        && matches!(old, TcpState::SynRecv | TcpState::Established)
        && new == TcpState::Established
    {
        set_status = status::ASSURED;
    }
    L4Verdict::Accept { timeout_secs: timeout, set_status }
}

#[cfg(test)]
#[path = "tcp_test.rs"]
mod test;
