//! Kernel profiles: which Linux the box behaves like, as data.
//!
//! `linux-6` (the default) is today's kernel. `linux-2.4` reproduces the
//! netfilter FAQ's era where the two differ. So far only the TCP tracker's
//! invalid-packet messages depend on it: 2.4 with the tcp-window-tracking
//! patch (Jozsef Kadlecsik's, shipped in patch-o-matic; FAQ 3.16) printed
//! `ip_conntrack_tcp: INVALID: Out of window data; <which bound>` for every
//! failed window check, each of them making the packet INVALID, and its
//! logging was switched by `ip_conntrack_tcp_log_out_of_window` (on by
//! default) instead of `nf_conntrack_log_invalid`. The rest of 2.4's data
//! (table sizing, entry size, hash, the table-full and NAT words) lives in
//! [`super::linux24`]; the questions below are what the code asks.

/// The kernel generation a box reproduces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Linux 6.x, the reference kernel.
    #[default]
    Linux6,
    /// Linux 2.4 with the tcp-window-tracking patch, as the FAQ describes it.
    Linux24,
}

/// How the TCP tracker words and treats an invalid packet under a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpWording {
    /// Put before every message (6.x: the core adds `nf_ct_proto_6: `).
    pub prefix: &'static str,
    /// Put between the prefix and a window failure's text.
    pub window_lead: &'static str,
    /// The four window failures in check order: data over the receiver's
    /// window, data under it, ACK of unseen data, ACK far behind. `None`
    /// keeps the profile's own (6.x: formatted with the bound).
    pub window: Option<[&'static str; 4]>,
    /// Every failed window check makes the packet INVALID (2.4), rather
    /// than only the upper bounds (6.x; the others are let through).
    pub window_failures_invalid: bool,
    /// The header checks' texts: truncated, bad checksum, flag combination.
    pub header: Option<[&'static str; 3]>,
    /// The messages 6.x added (state-table refusals, ignored packets, RST
    /// and challenge-ACK checks, timeout lowering) exist in this profile.
    pub state_messages: bool,
}

/// Linux 6.x: texts are built by the tracker (they carry numbers).
const LINUX6_TCP: TcpWording = TcpWording {
    prefix: "",
    window_lead: "",
    window: None,
    window_failures_invalid: false,
    header: None,
    state_messages: true,
};

/// Linux 2.4 + tcp-window-tracking (ip_conntrack_proto_tcp.c of the patch).
const LINUX24_TCP: TcpWording = TcpWording {
    prefix: "ip_conntrack_tcp: INVALID: ",
    window_lead: "Out of window data; ",
    window: Some([
        "SEQ is over the upper bound (over the window of the receiver)",
        "SEQ is under the lower bound (retransmitted already ACKed data)",
        "ACK is over the upper bound (ACKed data has never seen yet)",
        "ACK is under the lower bound (possibly overly delayed ACK)",
    ]),
    window_failures_invalid: true,
    header: Some(["truncated packet.", "bad TCP checksum.", "invalid TCP flag combination."]),
    state_messages: false,
};

impl Profile {
    /// The name users give (`linux-6`, `linux-2.4`).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Linux6 => "linux-6",
            Profile::Linux24 => "linux-2.4",
        }
    }

    /// The profile named `name`, if any.
    pub fn from_name(name: &str) -> Option<Profile> {
        [Profile::Linux6, Profile::Linux24].into_iter().find(|p| p.name() == name)
    }

    /// The warning for a new connection meeting a full table.
    pub fn table_full_message(self, max: u32, netns: Option<u32>) -> String {
        match (self, netns) {
            (Profile::Linux24, _) => super::linux24::table_full(max),
            // The module prefix doubles the "nf_conntrack: " (observed on 6.18).
            (Profile::Linux6, None) => "nf_conntrack: nf_conntrack: table full, dropping packet".to_string(),
            (Profile::Linux6, Some(inum)) => {
                format!("nf_conntrack: nf_conntrack: table full in netns {inum}, dropping packet")
            }
        }
    }

    /// A full table that early drop could not relieve drops the packet
    /// (6.x, later 2.4); 2.4.0 left it untracked instead, and went on.
    pub fn table_full_drops(self) -> bool {
        self == Profile::Linux6
    }

    /// 2.4 warned on every new connection over the limit, even when it then
    /// evicted an entry to make room; 6.x warns only when it drops.
    pub fn table_full_warns_always(self) -> bool {
        self == Profile::Linux24
    }

    /// Early drop over the limit takes one unreplied entry from a chain in
    /// round-robin turn, else from the new entry's chain (2.4: a static
    /// `drop_next`), rather than every unassured entry of the first of
    /// eight chains from the new entry's (6.x).
    pub fn early_drop_round_robin(self) -> bool {
        self == Profile::Linux24
    }

    /// Conntrack tracks packets to multicast addresses (2.4 did not: FAQ 3.1).
    pub fn tracks_multicast(self) -> bool {
        self == Profile::Linux6
    }

    /// The nat hook drops (and logs) a packet without conntrack information
    /// instead of letting it pass untouched (2.4: FAQ 3.1, 3.2).
    pub fn nat_drops_untracked(self) -> bool {
        self == Profile::Linux24
    }

    /// The /proc file of tracked connections.
    pub fn proc_conntrack(self) -> &'static str {
        match self {
            Profile::Linux6 => "/proc/net/nf_conntrack",
            Profile::Linux24 => super::linux24::PROC_CONNTRACK,
        }
    }

    /// The TCP tracker's wording and window verdicts.
    pub fn tcp(self) -> &'static TcpWording {
        match self {
            Profile::Linux6 => &LINUX6_TCP,
            Profile::Linux24 => &LINUX24_TCP,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [Profile::Linux6, Profile::Linux24] {
            assert_eq!(Profile::from_name(p.name()), Some(p));
        }
        assert_eq!(Profile::default(), Profile::Linux6);
        assert_eq!(Profile::from_name("linux-3"), None);
    }

    #[test]
    fn only_the_old_kernel_calls_every_window_failure_invalid() {
        assert!(!Profile::Linux6.tcp().window_failures_invalid);
        assert!(Profile::Linux24.tcp().window_failures_invalid);
        assert!(Profile::Linux24.tcp().window.unwrap()[0].starts_with("SEQ is over the upper bound"));
    }
}
