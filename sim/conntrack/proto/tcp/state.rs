//! TCP conntrack states, packet classes and the transition table
//! (`tcp_conntracks[2][6][10]` of nf_conntrack_proto_tcp.c, Linux 6.x).
//!
//! The table is data: `TRANSITIONS[dir][class][old state]` gives the next
//! state, or one of two pseudo results: [`Cell::Ignore`] (sIG: the packet may
//! be valid while we are out of sync; let it pass unchanged and remember it)
//! and [`Cell::Invalid`] (sIV). The per-packet code in `mod.rs` adds what a
//! table cannot say (reopening, simultaneous open, RST acceptance).

use crate::kernel::Sysctl;

/// TCP conntrack states, in the kernel's order (`enum tcp_conntrack`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TcpState {
    /// No packet processed yet.
    None = 0,
    /// A SYN seen.
    SynSent = 1,
    /// A SYN/ACK seen.
    SynRecv = 2,
    /// The handshake's ACK seen.
    Established = 3,
    /// A FIN seen.
    FinWait = 4,
    /// An ACK after the FIN.
    CloseWait = 5,
    /// FINs seen both ways.
    LastAck = 6,
    /// The last ACK seen.
    TimeWait = 7,
    /// A RST seen.
    Close = 8,
    /// SYNs seen both ways (simultaneous open).
    SynSent2 = 9,
}

impl TcpState {
    const ALL: [TcpState; 10] = [
        TcpState::None,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::Established,
        TcpState::FinWait,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::TimeWait,
        TcpState::Close,
        TcpState::SynSent2,
    ];

    /// The state numbered `v` (NONE for anything out of range).
    pub fn from_u8(v: u8) -> TcpState {
        TcpState::ALL.get(usize::from(v)).copied().unwrap_or(TcpState::None)
    }

    /// The name /proc, conntrack and the log print (`tcp_conntrack_names`).
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

    /// The sysctl holding this state's timeout. SYN_SENT2 has none: Linux
    /// keeps it at its built-in 120 s (see [`TcpState::timeout_secs`]).
    pub fn timeout_sysctl(self) -> Option<Sysctl> {
        use TcpState::*;
        Some(match self {
            None | SynSent => Sysctl::NfConntrackTcpTimeoutSynSent,
            SynRecv => Sysctl::NfConntrackTcpTimeoutSynRecv,
            Established => Sysctl::NfConntrackTcpTimeoutEstablished,
            FinWait => Sysctl::NfConntrackTcpTimeoutFinWait,
            CloseWait => Sysctl::NfConntrackTcpTimeoutCloseWait,
            LastAck => Sysctl::NfConntrackTcpTimeoutLastAck,
            TimeWait => Sysctl::NfConntrackTcpTimeoutTimeWait,
            Close => Sysctl::NfConntrackTcpTimeoutClose,
            SynSent2 => return Option::None,
        })
    }

    /// This state's timeout in seconds, read from `sysctls` now.
    pub fn timeout_secs(self, sysctls: &crate::kernel::Sysctls) -> i64 {
        self.timeout_sysctl().map_or(120, |s| sysctls.get(s))
    }

    /// A closing state: a RST here is accepted without window checks
    /// (`tcp_can_early_drop`'s list).
    pub fn is_closing(self) -> bool {
        use TcpState::*;
        matches!(self, FinWait | CloseWait | LastAck | TimeWait | Close)
    }
}

/// A packet's class, the table's middle index (`enum tcp_bit_set`); the
/// number is the "index" the log messages print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// SYN without ACK.
    Syn = 0,
    /// SYN with ACK.
    SynAck = 1,
    /// FIN (no SYN, no RST).
    Fin = 2,
    /// ACK alone (data segments included).
    Ack = 3,
    /// RST, whatever else is set.
    Rst = 4,
    /// None of those.
    None = 5,
}

impl Class {
    const ALL: [Class; 6] = [Class::Syn, Class::SynAck, Class::Fin, Class::Ack, Class::Rst, Class::None];

    /// The class of a segment with TCP flags byte `flags`
    /// (`get_conntrack_index`): RST wins, then SYN, then FIN, then ACK.
    pub fn of(flags: u8) -> Class {
        if flags & super::segment::RST != 0 {
            Class::Rst
        } else if flags & super::segment::SYN != 0 {
            if flags & super::segment::ACK != 0 { Class::SynAck } else { Class::Syn }
        } else if flags & super::segment::FIN != 0 {
            Class::Fin
        } else if flags & super::segment::ACK != 0 {
            Class::Ack
        } else {
            Class::None
        }
    }

    /// The class numbered `v` (as the entry stores `last_index`).
    pub fn from_u8(v: u8) -> Class {
        Class::ALL.get(usize::from(v)).copied().unwrap_or(Class::None)
    }
}

/// One cell of the transition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Move to this state (possibly the same one).
    To(TcpState),
    /// sIG: let the packet through untouched and remember it.
    Ignore,
    /// sIV: the packet is invalid.
    Invalid,
}

const SS: Cell = Cell::To(TcpState::SynSent);
const SR: Cell = Cell::To(TcpState::SynRecv);
const ES: Cell = Cell::To(TcpState::Established);
const FW: Cell = Cell::To(TcpState::FinWait);
const CW: Cell = Cell::To(TcpState::CloseWait);
const LA: Cell = Cell::To(TcpState::LastAck);
const TW: Cell = Cell::To(TcpState::TimeWait);
const CL: Cell = Cell::To(TcpState::Close);
const S2: Cell = Cell::To(TcpState::SynSent2);
const IG: Cell = Cell::Ignore;
const IV: Cell = Cell::Invalid;

/// `TRANSITIONS[dir][class][old]`: the next state. Columns, old state:
/// NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK,
/// TIME_WAIT, CLOSE, SYN_SENT2.
#[rustfmt::skip]
pub const TRANSITIONS: [[[Cell; 10]; 6]; 2] = [
    // ORIGINAL direction (the side that sent the first packet).
    [
        //         NO  SS  SR  ES  FW  CW  LA  TW  CL  S2
        // SYN: opens from nothing; a repeat keeps SYN_SENT; after the
        // handshake it may be a peer out of our sight (ignore, the server's
        // answer tells); in TIME_WAIT/CLOSE it reopens (RFC 1122).
        /* SYN    */ [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
        // SYN/ACK from the opener: only as the second half of a
        // simultaneous open (and its retransmission in SYN_RECV).
        /* SYNACK */ [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
        // FIN: needs an answered SYN first; starts the close, a second FIN
        // (from either side) leads to LAST_ACK.
        /* FIN    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        // ACK: picks up a connection from nothing (loose); completes the
        // handshake; acknowledges a FIN (CLOSE_WAIT) or the last FIN (TIME_WAIT).
        /* ACK    */ [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
        // RST closes anything that exists.
        /* RST    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        // No SYN, FIN, ACK or RST: never valid.
        /* NONE   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ],
    // REPLY direction.
    [
        //         NO  SS  SR  ES  FW  CW  LA  TW  CL  S2
        // SYN: the peer's own SYN in SYN_SENT is a simultaneous open; in
        // TIME_WAIT the server reopens with the roles swapped.
        /* SYN    */ [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
        // SYN/ACK: the normal answer; later ones are retransmissions or
        // answers to an ignored SYN (ignore).
        /* SYNACK */ [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
        // FIN: as in the original direction.
        /* FIN    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        // ACK: while only a SYN was seen it may answer a connection we do
        // not know (half-open: ignore); otherwise as the original direction,
        // except that SYN_RECV stays until the opener's ACK.
        /* ACK    */ [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
        // RST closes anything that exists.
        /* RST    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        // Never valid.
        /* NONE   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ],
];

/// The table's cell for a packet of `class` in direction `dir` (0 ORIGINAL,
/// 1 REPLY) seen in state `old`.
#[inline]
pub fn next(dir: usize, class: Class, old: TcpState) -> Cell {
    TRANSITIONS[dir][class as usize][old as usize]
}

#[cfg(test)]
mod test {
    use super::*;

    /// The kernel's table written out independently, one line per (dir,
    /// class), from reading `tcp_conntracks` in Linux 6.12's
    /// nf_conntrack_proto_tcp.c: "dir class: cells", `--` for sIV.
    const KERNEL: &[&str] = &[
        "0 syn:    sSS sSS sIG sIG sIG sIG sIG sSS sSS sS2",
        "0 synack: --  --  sSR --  --  --  --  --  --  sSR",
        "0 fin:    --  --  sFW sFW sLA sLA sLA sTW sCL --",
        "0 ack:    sES --  sES sES sCW sCW sTW sTW sCL --",
        "0 rst:    --  sCL sCL sCL sCL sCL sCL sCL sCL sCL",
        "0 none:   --  --  --  --  --  --  --  --  --  --",
        "1 syn:    --  sS2 --  --  --  --  --  sSS --  sS2",
        "1 synack: --  sSR sIG sIG sIG sIG sIG sIG sIG sSR",
        "1 fin:    --  --  sFW sFW sLA sLA sLA sTW sCL --",
        "1 ack:    --  sIG sSR sES sCW sCW sTW sTW sCL sIG",
        "1 rst:    --  sCL sCL sCL sCL sCL sCL sCL sCL sCL",
        "1 none:   --  --  --  --  --  --  --  --  --  --",
    ];

    fn parse(word: &str) -> Cell {
        let names = ["sNO", "sSS", "sSR", "sES", "sFW", "sCW", "sLA", "sTW", "sCL", "sS2"];
        match word {
            "--" => Cell::Invalid,
            "sIG" => Cell::Ignore,
            w => Cell::To(TcpState::from_u8(names.iter().position(|n| *n == w).expect("a state") as u8)),
        }
    }

    #[test]
    fn every_cell_matches_the_kernels_table() {
        let classes = ["syn:", "synack:", "fin:", "ack:", "rst:", "none:"];
        let mut checked = 0;
        for line in KERNEL {
            let mut words = line.split_whitespace();
            let dir: usize = words.next().unwrap().parse().unwrap();
            let name = words.next();
            let class = classes.iter().position(|c| Some(*c) == name).unwrap();
            for (old, w) in words.enumerate() {
                let cell = next(dir, Class::from_u8(class as u8), TcpState::from_u8(old as u8));
                assert_eq!(cell, parse(w), "dir {dir} class {class} old {old}");
                checked += 1;
            }
        }
        assert_eq!(checked, 2 * 6 * 10);
    }

    #[test]
    fn classes_follow_flag_precedence() {
        use super::super::segment::{ACK, FIN, PSH, RST, SYN, URG};
        assert_eq!(Class::of(SYN), Class::Syn);
        assert_eq!(Class::of(SYN | ACK), Class::SynAck);
        assert_eq!(Class::of(RST | SYN | ACK), Class::Rst);
        assert_eq!(Class::of(FIN | ACK | PSH), Class::Fin);
        assert_eq!(Class::of(ACK | URG), Class::Ack);
        assert_eq!(Class::of(PSH), Class::None);
        assert_eq!(Class::from_u8(9), Class::None);
    }

    #[test]
    fn names_and_timeouts_are_the_kernels() {
        let s = crate::kernel::Sysctls::default();
        assert_eq!(TcpState::from_u8(9).name(), "SYN_SENT2");
        assert_eq!(TcpState::from_u8(200), TcpState::None);
        assert_eq!(TcpState::SynSent2.timeout_secs(&s), 120);
        assert_eq!(TcpState::Established.timeout_secs(&s), 432_000);
        assert!(TcpState::TimeWait.is_closing() && !TcpState::Established.is_closing());
    }
}
