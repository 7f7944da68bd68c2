//! TCP — a PLACEHOLDER with TCP's states and timeouts and a simple guess at
//! transitions. The real tracker (`tcp_conntracks[2][6][10]`, window
//! tracking, `nf_conntrack_tcp_loose`, `be_liberal`, retransmission caps,
//! reopen by SYN with NF_REPEAT) replaces this file in the next issue.
//!
//! The guess, per packet:
//! - new entry: SYN (without ACK) → SYN_SENT; a mid-stream ACK → ESTABLISHED
//!   (pickup, as with `tcp_loose`=1); anything else → INVALID;
//! - SYN+ACK in the reply direction while SYN_SENT → SYN_RECV;
//! - ACK in the original direction while SYN_RECV → ESTABLISHED, ASSURED;
//! - RST → CLOSE; FIN while ESTABLISHED → FIN_WAIT (the closer's direction
//!   remembered); FIN from the other side → LAST_ACK; ACK of that FIN by the
//!   first closer → TIME_WAIT; ACK from the other side in FIN_WAIT → CLOSE_WAIT.
//!
//! Each state refreshes to its `nf_conntrack_tcp_timeout_*` sysctl.

use super::{L4Tracker, L4Verdict, PacketCtx, ports};
use crate::conntrack::conn::{CtDir, status};
use crate::conntrack::tuple::Tuple;
use crate::kernel::Sysctl;

/// The placeholder TCP tracker.
pub struct Tcp;

/// TCP conntrack states, in the kernel's order (`enum tcp_conntrack`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpState {
    /// No state yet.
    None = 0,
    /// SYN seen.
    SynSent = 1,
    /// SYN+ACK seen.
    SynRecv = 2,
    /// Handshake complete.
    Established = 3,
    /// One side sent FIN.
    FinWait = 4,
    /// The other side acknowledged the FIN.
    CloseWait = 5,
    /// Both sides sent FIN.
    LastAck = 6,
    /// Closed, waiting for stray segments.
    TimeWait = 7,
    /// Reset.
    Close = 8,
    /// Simultaneous open.
    SynSent2 = 9,
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// Bit of the protocol word remembering that the REPLY side closed first.
const REPLY_CLOSED_FIRST: u32 = 1 << 8;

impl TcpState {
    /// The state stored in the low byte of an entry's protocol word.
    pub fn from_u8(v: u8) -> TcpState {
        use TcpState::*;
        [None, SynSent, SynRecv, Established, FinWait, CloseWait, LastAck, TimeWait, Close, SynSent2]
            .get(usize::from(v))
            .copied()
            .unwrap_or(None)
    }

    /// The name /proc and conntrack print.
    pub fn name(self) -> &'static str {
        use TcpState::*;
        match self {
            None => "NONE",
            SynSent => "SYN_SENT",
            SynRecv => "SYN_RECV",
            Established => "ESTABLISHED",
            FinWait => "FIN_WAIT",
            CloseWait => "CLOSE_WAIT",
            LastAck => "LAST_ACK",
            TimeWait => "TIME_WAIT",
            Close => "CLOSE",
            SynSent2 => "SYN_SENT2",
        }
    }

    /// The sysctl holding this state's timeout.
    pub fn timeout_sysctl(self) -> Sysctl {
        use TcpState::*;
        match self {
            None | SynSent | SynSent2 => Sysctl::NfConntrackTcpTimeoutSynSent,
            SynRecv => Sysctl::NfConntrackTcpTimeoutSynRecv,
            Established => Sysctl::NfConntrackTcpTimeoutEstablished,
            FinWait => Sysctl::NfConntrackTcpTimeoutFinWait,
            CloseWait => Sysctl::NfConntrackTcpTimeoutCloseWait,
            LastAck => Sysctl::NfConntrackTcpTimeoutLastAck,
            TimeWait => Sysctl::NfConntrackTcpTimeoutTimeWait,
            Close => Sysctl::NfConntrackTcpTimeoutClose,
        }
    }
}

/// The placeholder's transition: `None` when the packet is refused.
fn next_state(old: TcpState, flags: u8, dir: CtDir, reply_closed_first: bool) -> Option<TcpState> {
    use TcpState::*;
    let closer = if reply_closed_first { CtDir::Reply } else { CtDir::Original };
    if flags & RST != 0 {
        return (old != None).then_some(Close);
    }
    let st = match old {
        None if flags & (SYN | ACK) == SYN => SynSent,
        None if flags & (SYN | FIN) == 0 && flags & ACK != 0 => Established,
        None => return Option::None,
        SynSent if dir == CtDir::Reply && flags & (SYN | ACK) == SYN | ACK => SynRecv,
        SynRecv if dir == CtDir::Original && flags & (SYN | ACK) == ACK => Established,
        Established if flags & FIN != 0 => FinWait,
        FinWait | CloseWait if flags & FIN != 0 && dir != closer => LastAck,
        FinWait if flags & ACK != 0 && dir != closer => CloseWait,
        LastAck if flags & ACK != 0 && dir == closer => TimeWait,
        s => s,
    };
    Some(st)
}

impl L4Tracker for Tcp {
    fn proto(&self) -> u8 {
        6
    }

    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool {
        ports(l4, t)
    }

    fn packet(&self, ctx: &PacketCtx<'_>, state: &mut u32) -> L4Verdict {
        if ctx.l4.len() < 20 {
            return L4Verdict::Invalid("truncated packet");
        }
        let flags = ctx.l4[13];
        let old = TcpState::from_u8(*state as u8);
        let reply_first = *state & REPLY_CLOSED_FIRST != 0;
        let dir = ctx.info.dir();
        let Some(new) = next_state(old, flags, dir, reply_first) else {
            return L4Verdict::Invalid("invalid new");
        };
        let mut word = new as u32 | (*state & REPLY_CLOSED_FIRST);
        if old == TcpState::Established && new == TcpState::FinWait && dir == CtDir::Reply {
            word |= REPLY_CLOSED_FIRST;
        }
        *state = word;
        let set_status = if old == TcpState::SynRecv && new == TcpState::Established { status::ASSURED } else { 0 };
        L4Verdict::Accept { timeout_secs: ctx.sysctls.get(new.timeout_sysctl()), set_status }
    }

    fn name(&self) -> &'static str {
        "tcp"
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::conn::CtInfo;
    use crate::kernel::Sysctls;

    fn run(state: &mut u32, flags: u8, info: CtInfo) -> L4Verdict {
        let s = Sysctls::default();
        let ip = crate::xt::TestPacket::tcp([1, 1, 1, 1], [2, 2, 2, 2], 1000, 80, flags);
        let ctx = PacketCtx { ip: &ip, l4: &ip[20..], info, status: 0, prerouting: true, now: 0, sysctls: &s };
        Tcp.packet(&ctx, state)
    }

    #[test]
    fn handshake_walks_syn_sent_syn_recv_established() {
        let mut st = 0;
        assert_eq!(run(&mut st, SYN, CtInfo::New), L4Verdict::Accept { timeout_secs: 120, set_status: 0 });
        assert_eq!(TcpState::from_u8(st as u8), TcpState::SynSent);
        assert_eq!(
            run(&mut st, SYN | ACK, CtInfo::EstablishedReply),
            L4Verdict::Accept { timeout_secs: 60, set_status: 0 }
        );
        let v = run(&mut st, ACK, CtInfo::Established);
        assert_eq!(v, L4Verdict::Accept { timeout_secs: 432000, set_status: status::ASSURED });
        assert_eq!(TcpState::from_u8(st as u8), TcpState::Established);
    }

    #[test]
    fn close_walks_fin_wait_last_ack_time_wait() {
        let mut st = TcpState::Established as u32;
        assert_eq!(
            run(&mut st, FIN | ACK, CtInfo::Established),
            L4Verdict::Accept { timeout_secs: 120, set_status: 0 }
        );
        assert_eq!(
            run(&mut st, FIN | ACK, CtInfo::EstablishedReply),
            L4Verdict::Accept { timeout_secs: 30, set_status: 0 }
        );
        assert_eq!(run(&mut st, ACK, CtInfo::Established), L4Verdict::Accept { timeout_secs: 120, set_status: 0 });
        assert_eq!(TcpState::from_u8(st as u8), TcpState::TimeWait);
    }

    #[test]
    fn rst_closes_and_stray_segments_cannot_start_an_entry() {
        let mut st = TcpState::Established as u32;
        assert_eq!(run(&mut st, RST, CtInfo::EstablishedReply), L4Verdict::Accept { timeout_secs: 10, set_status: 0 });
        let mut fresh = 0;
        assert_eq!(run(&mut fresh, RST, CtInfo::New), L4Verdict::Invalid("invalid new"));
        assert_eq!(run(&mut fresh, FIN, CtInfo::New), L4Verdict::Invalid("invalid new"));
    }

    #[test]
    fn names_are_the_kernels() {
        assert_eq!(TcpState::from_u8(9).name(), "SYN_SENT2");
        assert_eq!(TcpState::from_u8(200), TcpState::None);
    }
}
