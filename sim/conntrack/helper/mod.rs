//! Conntrack helpers (`nf_conntrack_helper`): parsers that read a master
//! connection's payload and ask for expectations of the connections it
//! announces (FTP's data connections, IRC's DCC, TFTP's transfers).
//!
//! A connection gets a helper when its entry is created: from a raw-table
//! `CT --helper NAME` rule (a template), or under the `linux-2.4` profile
//! by its server port, as old kernels chose. The helper then runs at the
//! last hook on every packet of the connection (netfilter's confirm step),
//! before sequence adjustment; the parsers here only say what they found,
//! and the caller (netfilter) makes the expectation, or lets NAT rewrite
//! the text first.
//!
//! Per-connection data lives in [`HelpExt`], kept beside the table only for
//! entries that have a helper or sequence adjustment, so other connections
//! carry nothing but one byte of their entry.

pub mod ftp;
pub mod irc;
pub mod tftp;

use super::seqadj::SeqAdjDir;
use super::tuple::proto_num;

/// The helpers nfsim models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Helper {
    /// `ftp`: PORT, EPRT, 227, 229.
    Ftp = 1,
    /// `irc`: DCC CHAT, SEND, MOVE, TSEND, SCHAT.
    Irc = 2,
    /// `tftp`: read and write requests.
    Tftp = 3,
}

/// A helper's expectation policy (`nf_conntrack_expect_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Expectations one master may have pending per class (0: no limit).
    pub max_expected: u32,
    /// Seconds an expectation lives.
    pub timeout_secs: u32,
}

impl Helper {
    /// Every helper, in registration order.
    pub const ALL: [Helper; 3] = [Helper::Ftp, Helper::Irc, Helper::Tftp];

    /// The helper's name, as `conntrack -L` and the CT target give it.
    pub fn name(self) -> &'static str {
        match self {
            Helper::Ftp => "ftp",
            Helper::Irc => "irc",
            Helper::Tftp => "tftp",
        }
    }

    /// The layer-4 protocol it is registered for.
    pub fn proto(self) -> u8 {
        match self {
            Helper::Tftp => proto_num::UDP,
            _ => proto_num::TCP,
        }
    }

    /// The server port it was registered with (module parameter `ports`).
    pub fn port(self) -> u16 {
        match self {
            Helper::Ftp => 21,
            Helper::Irc => 6667,
            Helper::Tftp => 69,
        }
    }

    /// Its expectation policy: FTP and TFTP allow one pending expectation
    /// per master, IRC `max_dcc_channels` (8); all live 300 s.
    pub fn policy(self) -> Policy {
        match self {
            Helper::Irc => Policy { max_expected: 8, timeout_secs: 300 },
            _ => Policy { max_expected: 1, timeout_secs: 300 },
        }
    }

    /// The helper named `name` for protocol `proto` (`nf_conntrack_helper_try_module_get`).
    pub fn by_name(name: &str, proto: u8) -> Option<Helper> {
        Helper::ALL.into_iter().find(|h| h.name() == name && h.proto() == proto)
    }

    /// The helper old kernels chose for a connection to `port` over
    /// `proto` (the lookup by the reply tuple's source port).
    pub fn by_port(proto: u8, port: u16) -> Option<Helper> {
        Helper::ALL.into_iter().find(|h| h.proto() == proto && h.port() == port)
    }

    /// From the byte an entry stores (0: none).
    pub fn from_u8(b: u8) -> Option<Helper> {
        Helper::ALL.into_iter().find(|h| *h as u8 == b)
    }
}

/// What a helper keeps per connection (`nf_conn_help` and the seqadj
/// extension).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HelpExt {
    /// FTP's line tracking.
    pub ftp: ftp::Lines,
    /// Expectations pending for this master (class 0; the modelled helpers
    /// have one class).
    pub expecting: u32,
    /// Sequence adjustment, ORIGINAL then REPLY.
    pub seqadj: [SeqAdjDir; 2],
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn helpers_are_found_by_name_and_protocol_or_by_port() {
        assert_eq!(Helper::by_name("ftp", 6), Some(Helper::Ftp));
        assert_eq!(Helper::by_name("ftp", 17), None, "the protocol must be the helper's");
        assert_eq!(Helper::by_name("tftp", 17), Some(Helper::Tftp));
        assert_eq!(Helper::by_port(6, 6667), Some(Helper::Irc));
        assert_eq!(Helper::by_port(17, 21), None);
        assert_eq!(Helper::from_u8(Helper::Irc as u8), Some(Helper::Irc));
        assert_eq!(Helper::from_u8(0), None);
        assert_eq!(Helper::Ftp.policy(), Policy { max_expected: 1, timeout_secs: 300 });
    }
}
