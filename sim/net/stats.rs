//! Counters with the kernel's SNMP names (`nstat`, `/proc/net/snmp`), so a
//! replay's summary reads like the box's own statistics.

use std::fmt::Write as _;

macro_rules! counters {
    ($(#[$doc:meta])* $name:ident { $( $field:ident = $label:literal, )* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name { $( #[doc = $label] pub $field: u64, )* }

        impl $name {
            /// `(name, value)` of every counter, in the kernel's order.
            pub fn fields(&self) -> Vec<(&'static str, u64)> {
                vec![$( ($label, self.$field), )*]
            }
        }
    };
}

counters! {
    /// IPv4 counters (`Ip:` in /proc/net/snmp, plus `IpExt:`).
    IpStats {
        in_receives = "IpInReceives",
        in_hdr_errors = "IpInHdrErrors",
        in_addr_errors = "IpInAddrErrors",
        forw_datagrams = "IpForwDatagrams",
        in_unknown_protos = "IpInUnknownProtos",
        in_discards = "IpInDiscards",
        in_delivers = "IpInDelivers",
        out_requests = "IpOutRequests",
        out_discards = "IpOutDiscards",
        out_no_routes = "IpOutNoRoutes",
        reasm_timeout = "IpReasmTimeout",
        reasm_reqds = "IpReasmReqds",
        reasm_oks = "IpReasmOKs",
        reasm_fails = "IpReasmFails",
        frag_oks = "IpFragOKs",
        frag_fails = "IpFragFails",
        frag_creates = "IpFragCreates",
        in_no_routes = "IpExtInNoRoutes",
        in_truncated_pkts = "IpExtInTruncatedPkts",
        in_csum_errors = "IpExtInCsumErrors",
        reasm_overlaps = "IpExtReasmOverlaps",
    }
}

counters! {
    /// ICMP counters sent and received (`Icmp:` in /proc/net/snmp).
    IcmpStats {
        in_msgs = "IcmpInMsgs",
        in_csum_errors = "IcmpInCsumErrors",
        in_echos = "IcmpInEchos",
        out_msgs = "IcmpOutMsgs",
        out_dest_unreachs = "IcmpOutDestUnreachs",
        out_time_excds = "IcmpOutTimeExcds",
        out_redirects = "IcmpOutRedirects",
        out_echo_reps = "IcmpOutEchoReps",
        ratelimit_global = "IcmpOutRateLimitGlobal",
        ratelimit_host = "IcmpOutRateLimitHost",
    }
}

counters! {
    /// Link-layer and transport events nfsim counts beside the SNMP ones.
    LinkStats {
        arp_in = "ArpIn",
        arp_replies = "ArpReplies",
        arp_requests = "ArpRequests",
        neigh_failures = "NeighResFailed",
        neigh_queue_drops = "NeighUnresolvedDiscards",
        non_ipv4 = "NonIpv4Frames",
        other_host = "OtherHostFrames",
        tcp_resets_sent = "TcpOutRsts",
        udp_no_ports = "UdpNoPorts",
    }
}

/// Every counter of one box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// IPv4.
    pub ip: IpStats,
    /// ICMP.
    pub icmp: IcmpStats,
    /// Link layer and transports.
    pub link: LinkStats,
}

impl Stats {
    /// `nstat`-style lines of the non-zero counters, in a fixed order.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, value) in self.ip.fields().into_iter().chain(self.icmp.fields()).chain(self.link.fields()) {
            if value != 0 {
                let _ = writeln!(out, "{name:<32}{value}");
            }
        }
        out
    }
}
