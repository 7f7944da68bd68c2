//! Sysctls by their Linux names, with Linux's defaults and ranges.
//!
//! Users write them as `sysctl -w` lines or `KEY=VALUE`, with dots or slashes.
//! Each known key is a [`Sysctl`] variant so the hot path reads an array slot,
//! not a string map. An unknown key or a value out of range is refused with
//! the text procps' `sysctl` prints for the same mistake.

use std::fmt;

use super::Profile;

macro_rules! sysctls {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $default:expr, $min:expr, $max:expr; )*) => {
        /// A sysctl the simulator models.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Sysctl { $( $(#[$doc])* $variant, )* }

        const TABLE: &[(Sysctl, &str, i64, i64, i64)] = &[
            $( (Sysctl::$variant, $name, $default, $min, $max), )*
        ];
    };
}

sysctls! {
    /// Forward IPv4 packets between interfaces (all.forwarding is the same switch).
    IpForward = "net.ipv4.ip_forward", 0, i32::MIN as i64, i32::MAX as i64;
    /// TTL of packets the box originates (ICMP errors, replies).
    IpDefaultTtl = "net.ipv4.ip_default_ttl", 64, 1, 255;
    /// Minimum gap in ms between ICMP messages of a rate-limited type to one destination.
    IcmpRatelimit = "net.ipv4.icmp_ratelimit", 1000, 0, i32::MAX as i64;
    /// Bitmask of ICMP types subject to `icmp_ratelimit` (default: 3, 4, 11, 12).
    IcmpRatemask = "net.ipv4.icmp_ratemask", 6168, 0, i32::MAX as i64;
    /// Host-wide cap on ICMP messages sent per second.
    IcmpMsgsPerSec = "net.ipv4.icmp_msgs_per_sec", 1000, 0, i32::MAX as i64;
    /// Burst allowed above `icmp_msgs_per_sec`.
    IcmpMsgsBurst = "net.ipv4.icmp_msgs_burst", 50, 0, i32::MAX as i64;
    /// Ignore every ICMP echo request addressed to the box.
    IcmpEchoIgnoreAll = "net.ipv4.icmp_echo_ignore_all", 0, 0, 1;
    /// Ignore ICMP echo requests sent to broadcast or multicast addresses.
    IcmpEchoIgnoreBroadcasts = "net.ipv4.icmp_echo_ignore_broadcasts", 1, 0, 1;
    /// Source ICMP errors from the interface the offending packet came in on.
    IcmpErrorsUseInboundIfaddr = "net.ipv4.icmp_errors_use_inbound_ifaddr", 0, 0, 1;
    /// Accept packets whose source address is one of the box's own.
    ConfAllAcceptLocal = "net.ipv4.conf.all.accept_local", 0, i32::MIN as i64, i32::MAX as i64;
    /// Route 127.0.0.0/8 on non-loopback interfaces instead of calling it martian.
    ConfAllRouteLocalnet = "net.ipv4.conf.all.route_localnet", 0, i32::MIN as i64, i32::MAX as i64;
    /// Reverse-path filter: 0 off, 1 strict, 2 loose. (Kernel default 0; distributions often set 2.)
    ConfAllRpFilter = "net.ipv4.conf.all.rp_filter", 0, i32::MIN as i64, i32::MAX as i64;
    /// Send ICMP redirects when a packet leaves by the interface it came in on.
    ConfAllSendRedirects = "net.ipv4.conf.all.send_redirects", 1, i32::MIN as i64, i32::MAX as i64;
    /// Log packets with impossible addresses ("martian source") to the kernel log.
    ConfAllLogMartians = "net.ipv4.conf.all.log_martians", 0, i32::MIN as i64, i32::MAX as i64;
    /// br_netfilter: bridged IPv4 frames traverse the iptables hooks. Modelled
    /// as if the module were loaded (its default is then 1); 0 leaves
    /// bridged traffic to the bridge alone.
    BridgeNfCallIptables = "net.bridge.bridge-nf-call-iptables", 1, 0, 1;
    // Conntrack (observed on 6.18; timeouts are proc_dointvec_jiffies, |v| <= INT_MAX/HZ).
    /// Entry limit (global; read-only outside the initial netns; 0 = unlimited).
    NfConntrackMax = "net.netfilter.nf_conntrack_max", 262_144, 0, i32::MAX as i64;
    /// Hash buckets (global; writable only in the initial netns, which resizes the table).
    NfConntrackBuckets = "net.netfilter.nf_conntrack_buckets", 262_144, 1, 268_435_455;
    /// Expectation limit (global).
    NfConntrackExpectMax = "net.netfilter.nf_conntrack_expect_max", 4096, 1, i32::MAX as i64;
    /// Verify L4 checksums in PREROUTING.
    NfConntrackChecksum = "net.netfilter.nf_conntrack_checksum", 1, 0, 1;
    /// Log INVALID packets of this protocol (255: all, 0: none).
    NfConntrackLogInvalid = "net.netfilter.nf_conntrack_log_invalid", 0, 0, 255;
    /// Per-entry packet and byte counters.
    NfConntrackAcct = "net.netfilter.nf_conntrack_acct", 0, 0, 1;
    /// Per-entry start timestamps.
    NfConntrackTimestamp = "net.netfilter.nf_conntrack_timestamp", 0, 0, 1;
    /// Event delivery (0 off, 1 on, 2 on when a listener exists).
    NfConntrackEvents = "net.netfilter.nf_conntrack_events", 2, 0, 2;
    /// Generic protocols' timeout (s).
    NfConntrackGenericTimeout = "net.netfilter.nf_conntrack_generic_timeout", 600, -8_589_934, 8_589_934;
    /// ICMP timeout (s).
    NfConntrackIcmpTimeout = "net.netfilter.nf_conntrack_icmp_timeout", 30, -8_589_934, 8_589_934;
    /// ICMPv6 timeout (s).
    NfConntrackIcmpv6Timeout = "net.netfilter.nf_conntrack_icmpv6_timeout", 30, -8_589_934, 8_589_934;
    /// UDP timeout while unreplied or younger than 2 s (s).
    NfConntrackUdpTimeout = "net.netfilter.nf_conntrack_udp_timeout", 30, -8_589_934, 8_589_934;
    /// UDP stream timeout (s).
    NfConntrackUdpTimeoutStream = "net.netfilter.nf_conntrack_udp_timeout_stream", 120, -8_589_934, 8_589_934;
    /// GRE timeout (s).
    NfConntrackGreTimeout = "net.netfilter.nf_conntrack_gre_timeout", 30, -8_589_934, 8_589_934;
    /// GRE stream timeout (s).
    NfConntrackGreTimeoutStream = "net.netfilter.nf_conntrack_gre_timeout_stream", 180, -8_589_934, 8_589_934;
    /// TCP SYN_SENT timeout (s).
    NfConntrackTcpTimeoutSynSent = "net.netfilter.nf_conntrack_tcp_timeout_syn_sent", 120, -8_589_934, 8_589_934;
    /// TCP SYN_RECV timeout (s).
    NfConntrackTcpTimeoutSynRecv = "net.netfilter.nf_conntrack_tcp_timeout_syn_recv", 60, -8_589_934, 8_589_934;
    /// TCP ESTABLISHED timeout (s).
    NfConntrackTcpTimeoutEstablished = "net.netfilter.nf_conntrack_tcp_timeout_established", 432_000, -8_589_934, 8_589_934;
    /// TCP FIN_WAIT timeout (s).
    NfConntrackTcpTimeoutFinWait = "net.netfilter.nf_conntrack_tcp_timeout_fin_wait", 120, -8_589_934, 8_589_934;
    /// TCP CLOSE_WAIT timeout (s).
    NfConntrackTcpTimeoutCloseWait = "net.netfilter.nf_conntrack_tcp_timeout_close_wait", 60, -8_589_934, 8_589_934;
    /// TCP LAST_ACK timeout (s).
    NfConntrackTcpTimeoutLastAck = "net.netfilter.nf_conntrack_tcp_timeout_last_ack", 30, -8_589_934, 8_589_934;
    /// TCP TIME_WAIT timeout (s).
    NfConntrackTcpTimeoutTimeWait = "net.netfilter.nf_conntrack_tcp_timeout_time_wait", 120, -8_589_934, 8_589_934;
    /// TCP CLOSE timeout (s).
    NfConntrackTcpTimeoutClose = "net.netfilter.nf_conntrack_tcp_timeout_close", 10, -8_589_934, 8_589_934;
    /// TCP timeout cap (max retrans) (s).
    NfConntrackTcpTimeoutMaxRetrans = "net.netfilter.nf_conntrack_tcp_timeout_max_retrans", 300, -8_589_934, 8_589_934;
    /// TCP timeout cap (unacknowledged) (s).
    NfConntrackTcpTimeoutUnacknowledged = "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged", 300, -8_589_934, 8_589_934;
    /// Pick up TCP connections mid-stream.
    NfConntrackTcpLoose = "net.netfilter.nf_conntrack_tcp_loose", 1, 0, 1;
    /// Accept out-of-window TCP segments.
    NfConntrackTcpBeLiberal = "net.netfilter.nf_conntrack_tcp_be_liberal", 0, 0, 1;
    /// Do not mark out-of-window RSTs INVALID.
    NfConntrackTcpIgnoreInvalidRst = "net.netfilter.nf_conntrack_tcp_ignore_invalid_rst", 0, 0, 1;
    /// Identical retransmissions before the max_retrans cap applies.
    NfConntrackTcpMaxRetrans = "net.netfilter.nf_conntrack_tcp_max_retrans", 3, 0, 255;
    /// The `linux-2.4` profile's switch for the TCP tracker's "Out of window
    /// data" lines (tcp-window-tracking patch; on by default there).
    IpConntrackTcpLogOutOfWindow = "net.ipv4.netfilter.ip_conntrack_tcp_log_out_of_window", 1, 0, 1;
    /// SCTP CLOSED timeout (s).
    NfConntrackSctpTimeoutClosed = "net.netfilter.nf_conntrack_sctp_timeout_closed", 10, -8_589_934, 8_589_934;
    /// SCTP COOKIE_WAIT timeout (s).
    NfConntrackSctpTimeoutCookieWait = "net.netfilter.nf_conntrack_sctp_timeout_cookie_wait", 3, -8_589_934, 8_589_934;
    /// SCTP COOKIE_ECHOED timeout (s).
    NfConntrackSctpTimeoutCookieEchoed = "net.netfilter.nf_conntrack_sctp_timeout_cookie_echoed", 3, -8_589_934, 8_589_934;
    /// SCTP ESTABLISHED timeout (s).
    NfConntrackSctpTimeoutEstablished = "net.netfilter.nf_conntrack_sctp_timeout_established", 210, -8_589_934, 8_589_934;
    /// SCTP SHUTDOWN_SENT timeout (s).
    NfConntrackSctpTimeoutShutdownSent = "net.netfilter.nf_conntrack_sctp_timeout_shutdown_sent", 3, -8_589_934, 8_589_934;
    /// SCTP SHUTDOWN_RECD timeout (s).
    NfConntrackSctpTimeoutShutdownRecd = "net.netfilter.nf_conntrack_sctp_timeout_shutdown_recd", 3, -8_589_934, 8_589_934;
    /// SCTP SHUTDOWN_ACK_SENT timeout (s).
    NfConntrackSctpTimeoutShutdownAckSent = "net.netfilter.nf_conntrack_sctp_timeout_shutdown_ack_sent", 3, -8_589_934, 8_589_934;
    /// SCTP HEARTBEAT_SENT timeout (s).
    NfConntrackSctpTimeoutHeartbeatSent = "net.netfilter.nf_conntrack_sctp_timeout_heartbeat_sent", 30, -8_589_934, 8_589_934;
}

impl Sysctl {
    /// The dotted name, e.g. `net.ipv4.ip_forward`.
    pub fn name(self) -> &'static str {
        TABLE[self as usize].1
    }

    /// Linux's default value.
    pub fn default_value(self) -> i64 {
        TABLE[self as usize].2
    }

    /// Looks a key up by its dotted or slashed name (`net/ipv4/ip_forward`)
    /// as today's kernel names it. `net.ipv4.conf.all.forwarding` is an
    /// alias of `net.ipv4.ip_forward`, as in Linux.
    pub fn from_name(key: &str) -> Option<Sysctl> {
        Sysctl::lookup(key, Profile::Linux6)
    }

    /// Looks a key up as a box of `profile` names it: a 2.4 box also knows
    /// its own names (`net.ipv4.ip_conntrack_max`), which today's kernel
    /// no longer has (`cannot stat`), as scripts of the FAQ's era find.
    pub fn lookup(key: &str, profile: Profile) -> Option<Sysctl> {
        let key = key.trim().trim_start_matches("/proc/sys/");
        let dotted: String = key.chars().map(|c| if c == '/' { '.' } else { c }).collect();
        let old_name = || super::linux24::SYSCTL_NAMES.iter().find(|(old, _)| *old == dotted).map(|(_, new)| *new);
        let dotted = match dotted.as_str() {
            "net.ipv4.conf.all.forwarding" | "net.ipv4.conf.default.forwarding" => "net.ipv4.ip_forward",
            // The init-netns alias Linux keeps from the ip_conntrack days.
            "net.nf_conntrack_max" => "net.netfilter.nf_conntrack_max",
            d => match profile {
                Profile::Linux24 => old_name().unwrap_or(d),
                Profile::Linux6 => d,
            },
        };
        TABLE.iter().find(|row| row.1 == dotted).map(|row| row.0)
    }

    /// Every modelled sysctl, in table order.
    pub fn all() -> impl Iterator<Item = Sysctl> {
        TABLE.iter().map(|row| row.0)
    }
}

/// A refused sysctl setting, worded as procps' `sysctl -w` words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysctlError {
    /// Not `KEY=VALUE`.
    Syntax(String),
    /// No such key (or one nfsim does not model).
    UnknownKey(String),
    /// The kernel refuses the value (EINVAL).
    InvalidValue(String),
}

impl fmt::Display for SysctlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // procps-ng 4 reports a missing `=` this way, whatever the key.
            SysctlError::Syntax(_) => write!(f, "sysctl: command line(0): invalid syntax, continuing..."),
            SysctlError::UnknownKey(k) => {
                let path = k.replace('.', "/");
                write!(f, "sysctl: cannot stat /proc/sys/{path}: No such file or directory")
            }
            SysctlError::InvalidValue(k) => write!(f, "sysctl: setting key \"{k}\": Invalid argument"),
        }
    }
}

impl std::error::Error for SysctlError {}

/// The current value of every modelled sysctl, and the kernel profile
/// they are read under (packet-time code reaches both through here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sysctls {
    values: Vec<i64>,
    profile: Profile,
}

impl Default for Sysctls {
    fn default() -> Self {
        Sysctls { values: TABLE.iter().map(|row| row.2).collect(), profile: Profile::default() }
    }
}

impl Sysctls {
    /// The kernel profile the box reproduces.
    #[inline]
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Switches the kernel profile. 2.4 sized its table from the box's
    /// memory ([`super::linux24::sizing`]), unless it was already set.
    pub fn set_profile(&mut self, profile: Profile) {
        self.profile = profile;
        let untouched = |s: &Self, k: Sysctl| s.get(k) == k.default_value();
        if profile == Profile::Linux24
            && untouched(self, Sysctl::NfConntrackMax)
            && untouched(self, Sysctl::NfConntrackBuckets)
        {
            let (buckets, max) = super::linux24::sizing(super::linux24::RAM_BYTES, None);
            self.values[Sysctl::NfConntrackBuckets as usize] = i64::from(buckets);
            self.values[Sysctl::NfConntrackMax as usize] = i64::from(max);
        }
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: Sysctl) -> i64 {
        self.values[key as usize]
    }

    /// True when `key` is non-zero.
    #[inline]
    pub fn enabled(&self, key: Sysctl) -> bool {
        self.get(key) != 0
    }

    /// Sets `key`, refusing values outside the kernel's range.
    pub fn set(&mut self, key: Sysctl, value: i64) -> Result<(), SysctlError> {
        let (_, name, _, min, max) = TABLE[key as usize];
        if value < min || value > max {
            return Err(SysctlError::InvalidValue(name.to_string()));
        }
        self.values[key as usize] = value;
        Ok(())
    }

    /// Applies one `KEY=VALUE` (or `sysctl -w KEY=VALUE`, or `KEY = VALUE`) line.
    pub fn apply(&mut self, line: &str) -> Result<Sysctl, SysctlError> {
        let line = line.trim();
        let line = line.strip_prefix("sysctl").map_or(line, |rest| {
            let rest = rest.trim_start();
            rest.strip_prefix("-w").unwrap_or(rest).trim_start()
        });
        let (key, value) = line.split_once('=').ok_or_else(|| SysctlError::Syntax(line.to_string()))?;
        let (key, value) = (key.trim(), value.trim());
        let sysctl = Sysctl::lookup(key, self.profile).ok_or_else(|| SysctlError::UnknownKey(key.to_string()))?;
        let value: i64 = value.parse().map_err(|_| SysctlError::InvalidValue(sysctl.name().to_string()))?;
        self.set(sysctl, value)?;
        Ok(sysctl)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_of_2_4_exist_only_on_a_2_4_box() {
        let old = "net/ipv4/ip_conntrack_max";
        assert_eq!(Sysctl::lookup(old, Profile::Linux24), Some(Sysctl::NfConntrackMax));
        assert_eq!(Sysctl::lookup(old, Profile::Linux6), None);
        let mut today = Sysctls::default();
        assert_eq!(
            today.apply("net.ipv4.ip_conntrack_max=9").unwrap_err().to_string(),
            "sysctl: cannot stat /proc/sys/net/ipv4/ip_conntrack_max: No such file or directory"
        );
        let mut old_box = Sysctls::default();
        old_box.set_profile(Profile::Linux24);
        assert_eq!(old_box.apply("net.ipv4.ip_conntrack_max=9"), Ok(Sysctl::NfConntrackMax));
        assert_eq!(old_box.get(Sysctl::NfConntrackMax), 9);
    }

    #[test]
    fn defaults_are_linuxs() {
        let s = Sysctls::default();
        assert_eq!(s.get(Sysctl::IpForward), 0);
        assert_eq!(s.get(Sysctl::IpDefaultTtl), 64);
        assert_eq!(s.get(Sysctl::IcmpRatemask), 6168);
    }

    #[test]
    fn every_spelling_users_write_is_accepted() {
        let mut s = Sysctls::default();
        for line in [
            "net.ipv4.ip_forward=1",
            "sysctl -w net.ipv4.ip_forward=1",
            "net/ipv4/ip_forward = 1",
            "net.ipv4.conf.all.forwarding=1",
        ] {
            s = Sysctls::default();
            assert_eq!(s.apply(line), Ok(Sysctl::IpForward), "{line}");
            assert!(s.enabled(Sysctl::IpForward));
        }
        assert_eq!(s.get(Sysctl::IpDefaultTtl), 64);
    }

    #[test]
    fn refusals_use_procps_words() {
        let mut s = Sysctls::default();
        assert_eq!(
            s.apply("net.ipv4.ip_forwrd=1").unwrap_err().to_string(),
            "sysctl: cannot stat /proc/sys/net/ipv4/ip_forwrd: No such file or directory"
        );
        assert_eq!(
            s.apply("net.ipv4.ip_default_ttl=0").unwrap_err().to_string(),
            "sysctl: setting key \"net.ipv4.ip_default_ttl\": Invalid argument"
        );
        assert_eq!(
            s.apply("net.ipv4.ip_forward").unwrap_err().to_string(),
            "sysctl: command line(0): invalid syntax, continuing..."
        );
        // Device switches are plain ints in Linux: any value is taken.
        assert!(s.apply("net.ipv4.ip_forward=256").is_ok());
        assert!(s.apply("net.ipv4.icmp_echo_ignore_all=2").is_err());
    }

    #[test]
    fn conntrack_defaults_and_ranges_are_linuxs() {
        let mut s = Sysctls::default();
        assert_eq!(s.get(Sysctl::NfConntrackMax), 262_144);
        assert_eq!(s.get(Sysctl::NfConntrackBuckets), 262_144);
        assert_eq!(s.get(Sysctl::NfConntrackTcpTimeoutEstablished), 432_000);
        assert_eq!(s.get(Sysctl::NfConntrackUdpTimeoutStream), 120);
        assert_eq!(s.get(Sysctl::NfConntrackEvents), 2);
        // Observed limits on 6.18: jiffies timeouts take |v| <= 8589934, negatives included.
        assert!(s.apply("net.netfilter.nf_conntrack_udp_timeout=-8589934").is_ok());
        assert!(s.apply("net.netfilter.nf_conntrack_udp_timeout=8589935").is_err());
        assert!(s.apply("net.netfilter.nf_conntrack_tcp_loose=2").is_err());
        assert!(s.apply("net.netfilter.nf_conntrack_log_invalid=255").is_ok());
        assert!(s.apply("net.netfilter.nf_conntrack_log_invalid=256").is_err());
        assert!(s.apply("net.netfilter.nf_conntrack_events=3").is_err());
        assert!(s.apply("net.netfilter.nf_conntrack_max=-1").is_err());
        assert!(s.apply("net.netfilter.nf_conntrack_expect_max=0").is_err());
        assert_eq!(s.apply("net.nf_conntrack_max=5"), Ok(Sysctl::NfConntrackMax));
        assert_eq!(s.get(Sysctl::NfConntrackMax), 5);
    }

    #[test]
    fn table_order_matches_the_enum() {
        for (i, s) in Sysctl::all().enumerate() {
            assert_eq!(s as usize, i);
            assert_eq!(Sysctl::from_name(s.name()), Some(s));
        }
    }
}
