//! Entry lines as Linux prints them: `conntrack -L` (default and
//! `-o extended`) and `/proc/net/nf_conntrack`. Byte-exact against lines
//! captured on Linux 6.18 with conntrack-tools 1.4.7 (see the tests).
//!
//! Field order: `[ipv4     2 ]<proto %-8s> <num> <secs> [<TCP state> ]<orig>
//! [packets= bytes= ][[UNREPLIED] ]<reply>[packets= bytes= ][[ASSURED] ]mark=<m>
//! [zone=<z> ]use=<n>`. `/proc` always prints `zone=` and counts its own
//! reference in `use=` (2); conntrack prints `zone=` only when non-zero and
//! `use=1`.

use std::fmt::Write;

use super::conn::{Conn, status};
use super::proto;
use super::table::Acct;
use super::tuple::proto_num;

/// Which listing a line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `conntrack -L`.
    Conntrack,
    /// `conntrack -L -o extended`.
    Extended,
    /// `/proc/net/nf_conntrack`.
    Proc,
}

/// What a line shows beyond the entry itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extra {
    /// Entries created from this one's expectations: each holds a
    /// reference to its master, which `use=` counts.
    pub children: u32,
}

/// One entry's line (with its newline), `now` in jiffies.
pub fn line(c: &Conn, now: u32, acct: Option<&Acct>, format: Format, extra: Extra) -> String {
    line_with_secs(c, c.expires_secs(now), acct, format, extra)
}

/// [`line`] with the timer column given.
fn line_with_secs(c: &Conn, secs: u32, acct: Option<&Acct>, format: Format, extra: Extra) -> String {
    let mut s = String::with_capacity(192);
    if format != Format::Conntrack {
        s.push_str("ipv4     2 ");
    }
    let p = c.proto_num();
    let _ = write!(s, "{:<8} {} {} ", proto::name(p), p, secs);
    if p == proto_num::TCP {
        let _ = write!(s, "{} ", c.tcp_state().name());
    }
    let _ = write!(s, "{}", c.orig());
    if let Some(a) = acct {
        let _ = write!(s, "packets={} bytes={} ", a.packets[0], a.bytes[0]);
    }
    if !c.has(status::SEEN_REPLY) {
        s.push_str("[UNREPLIED] ");
    }
    let _ = write!(s, "{}", c.reply());
    if let Some(a) = acct {
        let _ = write!(s, "packets={} bytes={} ", a.packets[1], a.bytes[1]);
    }
    if c.has(status::ASSURED) {
        s.push_str("[ASSURED] ");
    }
    let _ = write!(s, "mark={} ", c.mark());
    match format {
        Format::Proc => {
            let _ = writeln!(s, "zone={} use={}", c.zone(), 2 + extra.children);
        }
        _ => {
            if c.zone() != 0 {
                let _ = write!(s, "zone={} ", c.zone());
            }
            // conntrack(8) prints the helper (CTA_HELP); /proc does not.
            if let Some(h) = c.helper() {
                let _ = write!(s, "helper={} ", h.name());
            }
            let _ = writeln!(s, "use={}", 1 + extra.children);
        }
    }
    s
}

/// What `conntrack -L` prints on stderr after the entries.
pub fn flow_entries_shown(n: usize) -> String {
    format!("conntrack v1.4.7 (conntrack-tools): {n} flow entries have been shown.\n")
}

impl super::Conntrack {
    /// One entry's `conntrack -L` line (with its newline), even while it is
    /// unconfirmed (which conntrack -L would not show); an unconfirmed
    /// entry's timer column is the timeout it will start with.
    pub fn entry_line(&self, ct: super::CtRef, now: crate::engine::Instant) -> String {
        let c = self.get(ct);
        let acct = if c.acct() { self.table.acct.get(&ct.slot()) } else { None };
        let now32 = (super::jiffies(now)) as u32;
        // Until confirmation the entry holds its timeout relative to now.
        let secs = if c.is_confirmed() { c.expires_secs(now32) } else { c.timeout / super::HZ };
        let extra = Extra { children: self.children(ct.slot(), c.generation) };
        line_with_secs(c, secs, acct, Format::Conntrack, extra)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::conn::HZ;
    use crate::conntrack::tuple::Tuple;
    use std::net::Ipv4Addr;

    fn a(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    /// An entry confirmed with `secs` (and a fraction) left at jiffy 1000.
    fn conn(orig: Tuple, reply: Tuple, st: u16, secs: u32) -> Conn {
        let mut c = Conn::new(orig, reply, 0, 0);
        c.status = st | status::CONFIRMED;
        c.timeout = 1000 + secs * HZ + HZ / 2;
        c
    }

    fn udp(sport: u16, dport: u16) -> (Tuple, Tuple) {
        let t = Tuple::new(a("10.77.0.1"), a("10.77.0.2"), 17, sport, dport);
        (t, t.invert().unwrap())
    }

    // Lines captured on Linux 6.18, conntrack-tools 1.4.7 (namespace test, 2025).
    const LIVE_ICMP: &str = "icmp     1 29 src=10.77.0.1 dst=10.77.0.2 type=8 code=0 id=4242 src=10.77.0.2 \
                             dst=10.77.0.1 type=0 code=0 id=4242 mark=0 use=1\n";
    const LIVE_UDP: &str = "udp      17 28 src=10.77.0.1 dst=10.77.0.2 sport=5000 dport=53 [UNREPLIED] \
                            src=10.77.0.2 dst=10.77.0.1 sport=53 dport=5000 mark=0 use=1\n";
    const LIVE_UDP_ASSURED: &str = "udp      17 119 src=10.77.0.1 dst=10.77.0.2 sport=6000 dport=7000 src=10.77.0.2 \
                                    dst=10.77.0.1 sport=7000 dport=6000 [ASSURED] mark=0 use=1\n";
    const LIVE_PROC_UDP: &str = "ipv4     2 udp      17 28 src=10.77.0.1 dst=10.77.0.2 sport=5000 dport=53 \
                                 [UNREPLIED] src=10.77.0.2 dst=10.77.0.1 sport=53 dport=5000 mark=0 zone=0 use=2\n";
    const LIVE_EXT_ZONE_ACCT: &str = "ipv4     2 udp      17 29 src=10.77.0.1 dst=10.77.0.2 sport=5002 dport=6666 \
                                      packets=1 bytes=33 [UNREPLIED] src=10.77.0.2 dst=10.77.0.1 sport=6666 \
                                      dport=5002 packets=0 bytes=0 mark=0 zone=5 use=1\n";
    const LIVE_TCP_PROC: &str = "ipv4     2 tcp      6 431998 ESTABLISHED src=10.99.1.2 dst=10.99.2.2 sport=50728 \
                                 dport=5000 src=10.99.2.2 dst=10.99.1.2 sport=5000 dport=50728 [ASSURED] mark=0 \
                                 zone=0 use=2\n";

    #[test]
    fn conntrack_l_lines_are_byte_exact() {
        let o = Tuple::icmp(a("10.77.0.1"), a("10.77.0.2"), 8, 0, 4242);
        let c = conn(o, o.invert().unwrap(), status::SEEN_REPLY, 29);
        assert_eq!(line(&c, 1000, None, Format::Conntrack, Extra::default()), LIVE_ICMP);
        let (o, r) = udp(5000, 53);
        assert_eq!(line(&conn(o, r, 0, 28), 1000, None, Format::Conntrack, Extra::default()), LIVE_UDP);
        let (o, r) = udp(6000, 7000);
        let c = conn(o, r, status::SEEN_REPLY | status::ASSURED, 119);
        assert_eq!(line(&c, 1000, None, Format::Conntrack, Extra::default()), LIVE_UDP_ASSURED);
    }

    #[test]
    fn proc_lines_are_byte_exact() {
        let (o, r) = udp(5000, 53);
        assert_eq!(line(&conn(o, r, 0, 28), 1000, None, Format::Proc, Extra::default()), LIVE_PROC_UDP);
        let o = Tuple::new(a("10.99.1.2"), a("10.99.2.2"), 6, 50728, 5000);
        let mut c = conn(o, o.invert().unwrap(), status::SEEN_REPLY | status::ASSURED, 431998);
        c.set_l4_state(3); // ESTABLISHED
        assert_eq!(line(&c, 1000, None, Format::Proc, Extra::default()), LIVE_TCP_PROC);
    }

    #[test]
    fn extended_lines_show_zone_and_accounting() {
        let (o, r) = udp(5002, 6666);
        let mut c = conn(o, r, 0, 29);
        c.zone = 5;
        let acct = Acct { packets: [1, 0], bytes: [33, 0] };
        assert_eq!(line(&c, 1000, Some(&acct), Format::Extended, Extra::default()), LIVE_EXT_ZONE_ACCT);
    }

    #[test]
    fn summary_goes_to_stderr_in_conntrack_tools_words() {
        assert_eq!(flow_entries_shown(2), "conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n");
    }
}
