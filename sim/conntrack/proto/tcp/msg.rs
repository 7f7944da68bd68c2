//! The TCP tracker's log messages: a small value per message (no text is
//! built unless `nf_conntrack_log_invalid` asks for the line), worded as
//! Linux 6.x words them or, under the `linux-2.4` profile, as the
//! tcp-window-tracking patch did (reference tcp.md §7).

use std::fmt::Write;

use super::state::TcpState;
use crate::kernel::Profile;

/// One message of the TCP tracker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpMsg {
    /// Data offset below 5 words or beyond the segment.
    Truncated,
    /// Checksum wrong (PREROUTING, `nf_conntrack_checksum`).
    BadChecksum,
    /// A flag combination outside the valid set.
    BadFlags,
    /// The first packet of a would-be connection cannot start one.
    InvalidNew,
    /// The table said sIG: let through, remembered.
    Ignored {
        /// Packet class number.
        index: u8,
        /// Direction (0 ORIGINAL, 1 REPLY).
        dir: u8,
        /// The state before the packet.
        state: TcpState,
    },
    /// The table said sIV.
    InvalidState {
        /// Packet class number.
        index: u8,
        /// Direction.
        dir: u8,
        /// The state before the packet.
        state: TcpState,
    },
    /// An ACK in LAST_ACK answering an ignored SYN (RFC 5961).
    ChallengeAck,
    /// A RST whose sequence is below what the peer acknowledged.
    InvalidRst,
    /// Data slightly past the receiver's window (the overshoot in bytes).
    BytesMore(u32),
    /// Data past the receiver's window (the bound).
    SeqOver(u32),
    /// An ACK of data not yet seen (the bound).
    AckOver(u32),
    /// A retransmission of acknowledged data (the bound).
    SeqUnder(u32),
    /// An ACK far behind (the bound).
    AckUnder(u32),
    /// An invalid FIN/RST answering one from the other side shortened the
    /// timeout of an assured entry (to `timeout` jiffies).
    LowerTimeout {
        /// Packet class number.
        index: u8,
        /// Direction.
        dir: u8,
        /// The other side's last class.
        last_index: u8,
        /// The new timeout, in jiffies.
        timeout: u32,
    },
}

impl TcpMsg {
    /// Appends the message as `profile`'s kernel prints it; false if that
    /// kernel had no such message (nothing is appended then).
    pub fn write(self, profile: Profile, out: &mut String) -> bool {
        match profile {
            Profile::Linux6 => {
                self.write_linux6(out);
                true
            }
            Profile::Linux24 => self.write_linux24(out),
        }
    }

    fn write_linux6(self, out: &mut String) {
        let _ = match self {
            TcpMsg::Truncated => write!(out, "truncated packet"),
            TcpMsg::BadChecksum => write!(out, "bad checksum"),
            TcpMsg::BadFlags => write!(out, "invalid tcp flag combination"),
            TcpMsg::InvalidNew => write!(out, "invalid new"),
            TcpMsg::Ignored { index, dir, state } => {
                write!(out, "packet (index {index}) in dir {dir} ignored, state {}", state.name())
            }
            TcpMsg::InvalidState { index, dir, state } => {
                write!(out, "packet (index {index}) in dir {dir} invalid, state {}", state.name())
            }
            TcpMsg::ChallengeAck => write!(out, "challenge-ack ignored"),
            TcpMsg::InvalidRst => write!(out, "invalid rst"),
            TcpMsg::BytesMore(n) => write!(out, "{n} bytes more than expected"),
            TcpMsg::SeqOver(b) => write!(out, "SEQ is over upper bound {b} (over the window of the receiver)"),
            TcpMsg::AckOver(b) => write!(out, "ACK is over upper bound {b} (ACKed data not seen yet)"),
            TcpMsg::SeqUnder(b) => write!(out, "SEQ is under lower bound {b} (already ACKed data retransmitted)"),
            TcpMsg::AckUnder(b) => write!(out, "ignored ACK under lower bound {b} (possible overly delayed)"),
            TcpMsg::LowerTimeout { index, dir, last_index, timeout } => write!(
                out,
                "packet (index {index}, dir {dir}) response for index {last_index} lower timeout to {timeout}"
            ),
        };
    }

    /// 2.4 + tcp-window-tracking: the header checks and the window
    /// failures, behind one prefix; nothing else was logged.
    fn write_linux24(self, out: &mut String) -> bool {
        let w = Profile::Linux24.tcp();
        let (Some(window), Some(header)) = (w.window, w.header) else { return false };
        let text = match self {
            TcpMsg::Truncated => header[0],
            TcpMsg::BadChecksum => header[1],
            TcpMsg::BadFlags => header[2],
            TcpMsg::SeqOver(_) | TcpMsg::SeqUnder(_) | TcpMsg::AckOver(_) | TcpMsg::AckUnder(_) => {
                let which = match self {
                    TcpMsg::SeqOver(_) => window[0],
                    TcpMsg::SeqUnder(_) => window[1],
                    TcpMsg::AckOver(_) => window[2],
                    _ => window[3],
                };
                out.push_str(w.prefix);
                out.push_str(w.window_lead);
                out.push_str(which);
                return true;
            }
            _ => return false,
        };
        out.push_str(w.prefix);
        out.push_str(text);
        true
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn text(m: TcpMsg, p: Profile) -> Option<String> {
        let mut s = String::new();
        m.write(p, &mut s).then_some(s)
    }

    #[test]
    fn linux6_words_carry_the_numbers() {
        let l6 = |m| text(m, Profile::Linux6).unwrap();
        assert_eq!(
            l6(TcpMsg::SeqOver(65242)),
            "SEQ is over upper bound 65242 (over the window of the receiver)",
            "observed on 6.18"
        );
        assert_eq!(
            l6(TcpMsg::InvalidState { index: 1, dir: 0, state: TcpState::Established }),
            "packet (index 1) in dir 0 invalid, state ESTABLISHED"
        );
        assert_eq!(
            l6(TcpMsg::LowerTimeout { index: 2, dir: 1, last_index: 4, timeout: 75000 }),
            "packet (index 2, dir 1) response for index 4 lower timeout to 75000"
        );
        assert_eq!(l6(TcpMsg::SeqUnder(4294904056)).split(' ').nth(5), Some("4294904056"));
    }

    #[test]
    fn linux24_says_out_of_window_and_knows_only_its_messages() {
        assert_eq!(
            text(TcpMsg::SeqOver(1), Profile::Linux24).unwrap(),
            "ip_conntrack_tcp: INVALID: Out of window data; SEQ is over the upper bound (over the window of the receiver)"
        );
        assert_eq!(
            text(TcpMsg::BadChecksum, Profile::Linux24).unwrap(),
            "ip_conntrack_tcp: INVALID: bad TCP checksum."
        );
        assert_eq!(text(TcpMsg::InvalidNew, Profile::Linux24), None);
        assert_eq!(text(TcpMsg::BytesMore(3), Profile::Linux24), None);
    }
}
