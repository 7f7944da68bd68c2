//! The lines `nf_conntrack_log_invalid` makes the kernel print, one
//! mechanism for every tracker.
//!
//! A tracker names what went wrong with a [`LogMsg`], a small `Copy` value;
//! conntrack keeps it in the verdict's [`InvalidLog`] only when the sysctl
//! selects the packet's protocol (its value is a protocol number, 255 for
//! all, 0 for none: `nf_l4proto_log_invalid`), so the common case costs
//! nothing. Whoever knows the hook's devices turns it into text with
//! [`InvalidLog::lines`]: on 6.x `nf_ct_proto_<proto>: <message> ` followed
//! by the packet dump the LOG target prints (nf_log's default logger: level
//! 5, sequence numbers, TCP and IP options), without a rate limit.
//!
//! Messages are logged whatever the verdict: an ignored TCP segment is
//! accepted yet logged. A packet makes at most two lines (TCP: a window
//! failure, then the timeout lowering it caused).

use std::fmt::Write;

use super::tcp::TcpMsg;
use crate::kernel::{Profile, Sysctl, Sysctls};
use crate::klog::{LinkInfo, format_log_line, log_line};

/// What conntrack found wrong with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogMsg {
    /// A fixed text (UDP, ICMP, GRE ... checks).
    Text(&'static str),
    /// An ICMP error sent to another host than the connection's
    /// (`outer daddr A != inner B`).
    OuterDaddr {
        /// The ICMP packet's destination.
        outer: [u8; 4],
        /// The destination the entry expects.
        inner: [u8; 4],
    },
    /// A TCP tracker message.
    Tcp(TcpMsg),
}

impl LogMsg {
    /// Appends the message in `profile`'s words; false if that kernel
    /// printed nothing for it.
    fn write(self, profile: Profile, out: &mut String) -> bool {
        match (self, profile) {
            (LogMsg::Tcp(m), p) => m.write(p, out),
            // Only the TCP window-tracking patch logged in 2.4.
            (_, Profile::Linux24) => false,
            (LogMsg::Text(t), Profile::Linux6) => {
                out.push_str(t);
                true
            }
            (LogMsg::OuterDaddr { outer, inner }, Profile::Linux6) => {
                let [a, b, c, d] = outer;
                let [e, f, g, h] = inner;
                let _ = write!(out, "outer daddr {a}.{b}.{c}.{d} != inner {e}.{f}.{g}.{h}");
                true
            }
        }
    }

    /// The message as Linux 6.x words it.
    pub fn text(self) -> String {
        let mut s = String::new();
        self.write(Profile::Linux6, &mut s);
        s
    }
}

/// The messages one packet logs (at most two), with its protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvalidLog {
    proto: u8,
    profile: Profile,
    msgs: [Option<LogMsg>; 2],
}

impl InvalidLog {
    /// Keeps `msg` about a packet of `proto` if the box logs it: on 6.x when
    /// `nf_conntrack_log_invalid` is `proto` or 255; under `linux-2.4` when
    /// `ip_conntrack_tcp_log_out_of_window` is on (TCP only).
    #[inline]
    pub fn push(&mut self, sysctls: &Sysctls, proto: u8, msg: LogMsg) {
        let profile = sysctls.profile();
        let wanted = match profile {
            Profile::Linux6 => {
                let sel = sysctls.get(Sysctl::NfConntrackLogInvalid);
                sel != 0 && (sel == i64::from(proto) || sel == 255)
            }
            Profile::Linux24 => proto == 6 && sysctls.enabled(Sysctl::IpConntrackTcpLogOutOfWindow),
        };
        if !wanted {
            return;
        }
        if let Some(slot) = self.msgs.iter_mut().find(|m| m.is_none()) {
            *slot = Some(msg);
            self.proto = proto;
            self.profile = profile;
        }
    }

    /// Nothing to log.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.msgs[0].is_none()
    }

    /// The messages kept, oldest first.
    pub fn messages(&self) -> impl Iterator<Item = LogMsg> + '_ {
        self.msgs.iter().flatten().copied()
    }

    /// Appends the kernel log lines, `(printk level, text)`, for the packet
    /// `ip` seen at a hook with devices `in_dev`/`out_dev`, received with
    /// link header `link` and carrying skb mark `mark`.
    pub fn lines(
        &self,
        out: &mut Vec<(u8, String)>,
        ip: &[u8],
        in_dev: &str,
        out_dev: &str,
        link: Option<[u8; 14]>,
        mark: u32,
    ) {
        for msg in self.messages() {
            let mut text = String::with_capacity(200);
            match self.profile {
                Profile::Linux6 => {
                    let _ = write!(text, "nf_ct_proto_{}: ", self.proto);
                    msg.write(Profile::Linux6, &mut text);
                    text.push(' ');
                    let prefix = std::mem::take(&mut text);
                    let link = link.map(|h| LinkInfo {
                        dst_mac: h[..6].try_into().expect("6 bytes"),
                        src_mac: h[6..12].try_into().expect("6 bytes"),
                        ethertype: u16::from_be_bytes([h[12], h[13]]),
                    });
                    let flags = log_line::TCP_SEQUENCE | log_line::TCP_OPTIONS | log_line::IP_OPTIONS | log_line::UID;
                    format_log_line(&mut text, &prefix, flags, in_dev, out_dev, link, ip, None, mark);
                    out.push((5, text));
                }
                // FIXME: the patch printed the packet (SRC= ... without
                // IN/OUT) on a line of its own after this one, rate-limited
                // by net_ratelimit; only the message line is reproduced.
                Profile::Linux24 => {
                    if msg.write(Profile::Linux24, &mut text) {
                        out.push((4, text));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_sysctl_selects_a_protocol_or_all() {
        let mut s = Sysctls::default();
        let mut log = InvalidLog::default();
        log.push(&s, 6, LogMsg::Text("x"));
        assert!(log.is_empty(), "off by default");
        s.set(Sysctl::NfConntrackLogInvalid, 17).unwrap();
        log.push(&s, 6, LogMsg::Text("x"));
        assert!(log.is_empty(), "another protocol");
        log.push(&s, 17, LogMsg::Text("short packet"));
        s.set(Sysctl::NfConntrackLogInvalid, 255).unwrap();
        log.push(&s, 17, LogMsg::Text("second"));
        log.push(&s, 17, LogMsg::Text("third is dropped"));
        assert_eq!(log.messages().map(LogMsg::text).collect::<Vec<_>>(), ["short packet", "second"]);
    }

    #[test]
    fn a_line_is_the_message_then_the_log_targets_dump() {
        let mut s = Sysctls::default();
        s.set(Sysctl::NfConntrackLogInvalid, 1).unwrap();
        let mut log = InvalidLog::default();
        log.push(&s, 1, LogMsg::OuterDaddr { outer: [10, 99, 1, 3], inner: [10, 99, 1, 2] });
        let ip = crate::xt::TestPacket::icmp([10, 99, 2, 2], [10, 99, 1, 3], 3, 3);
        let mut out = Vec::new();
        log.lines(&mut out, &ip, "eth0", "", None, 0);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, 5, "nf_log's default level: notice");
        assert!(
            out[0]
                .1
                .starts_with("nf_ct_proto_1: outer daddr 10.99.1.3 != inner 10.99.1.2 IN=eth0 OUT= MAC= SRC=10.99.2.2"),
            "{}",
            out[0].1
        );
    }

    #[test]
    fn the_old_profile_logs_tcp_window_failures_by_its_own_switch() {
        let mut s = Sysctls::default();
        s.set_profile(Profile::Linux24);
        let mut log = InvalidLog::default();
        log.push(&s, 17, LogMsg::Text("short packet"));
        assert!(log.is_empty());
        log.push(&s, 6, LogMsg::Tcp(TcpMsg::AckOver(5)));
        let mut out = Vec::new();
        log.lines(&mut out, &[], "", "", None, 0);
        assert_eq!(
            out,
            [(4, "ip_conntrack_tcp: INVALID: Out of window data; ACK is over the upper bound (ACKed data has never seen yet)".to_string())]
        );
        s.set(Sysctl::IpConntrackTcpLogOutOfWindow, 0).unwrap();
        let mut off = InvalidLog::default();
        off.push(&s, 6, LogMsg::Tcp(TcpMsg::AckOver(5)));
        assert!(off.is_empty(), "switched off as FAQ 3.16 tells");
    }
}
