//! `-m conntrack`: every field of the packet's conntrack entry: state,
//! protocol, both tuples' addresses and ports, status bits, remaining
//! lifetime, direction. Each option may be inverted except `--ctdir`.
//!
//! Kernel semantics (xt_conntrack, revision 3): a packet without an entry
//! is INVALID (or UNTRACKED) and can then only match on `--ctstate`.

use std::net::Ipv4Addr;

use super::state::{self, StateTest, names, parse_states};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{CtState, PacketView};
use crate::xt::{Match, RuleInfo};

const STATUS: [(&str, u32); 4] = [("EXPECTED", 1), ("SEEN_REPLY", 2), ("ASSURED", 4), ("CONFIRMED", 8)];
const EXTRA_STATES: [(&str, u8); 2] = [("SNAT", 32), ("DNAT", 64)];

/// An inverted-or-not value of an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inv<T> {
    /// The value.
    pub v: T,
    /// `!`.
    pub inv: bool,
}

/// The conntrack match; each field is `Some` if its option was given.
#[derive(Clone, Debug, Default)]
pub struct Conntrack {
    /// `--ctstate` bits (INVALID 1 ... UNTRACKED 16, SNAT 32, DNAT 64).
    pub state: Option<Inv<u8>>,
    /// `--ctproto`.
    pub proto: Option<Inv<u8>>,
    /// `--ctorigsrc`, `--ctorigdst`, `--ctreplsrc`, `--ctrepldst` (addr, prefix length).
    pub addrs: [Option<Inv<(Ipv4Addr, u8)>>; 4],
    /// `--ctorigsrcport` ... `--ctrepldstport` ranges.
    pub ports: [Option<Inv<(u16, u16)>>; 4],
    /// `--ctstatus` bits.
    pub status: Option<Inv<u32>>,
    /// `--ctexpire` range in seconds.
    pub expire: Option<Inv<(u32, u32)>>,
    /// `--ctdir`: Some(true) = REPLY.
    pub dir_reply: Option<bool>,
    /// The match as a plain state test, when `--ctstate` is all it asks
    /// (most rules): worked out as the options are parsed, so that a
    /// packet is not tested against each absent option in turn.
    quick: Option<StateTest>,
}

const ADDR_OPTS: [&str; 4] = ["ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst"];
const PORT_OPTS: [&str; 4] = ["ctorigsrcport", "ctorigdstport", "ctreplsrcport", "ctrepldstport"];

const OPTS: &[Opt] = &[
    Opt::inv("ctstate"),
    Opt::inv("ctproto"),
    Opt::inv("ctorigsrc"),
    Opt::inv("ctorigdst"),
    Opt::inv("ctreplsrc"),
    Opt::inv("ctrepldst"),
    Opt::inv("ctorigsrcport"),
    Opt::inv("ctorigdstport"),
    Opt::inv("ctreplsrcport"),
    Opt::inv("ctrepldstport"),
    Opt::inv("ctstatus"),
    Opt::inv("ctexpire"),
    Opt::arg("ctdir"),
];

fn parse_range(s: &str, opt: &str, max: u64) -> Result<(u64, u64), Error> {
    let bad = || opts::bad_value_near("conntrack", opt, s, max);
    let one = |p: &str, d: u64| {
        if p.is_empty() { Some(d) } else { opts::parse_uint(p, max) }
    };
    match s.split_once(':') {
        Some((a, b)) => Ok((one(a, 0).ok_or_else(bad)?, one(b, max).ok_or_else(bad)?)),
        None => {
            let v = opts::parse_uint(s, max).ok_or_else(bad)?;
            Ok((v, v))
        }
    }
}

/// `port[:port]` of the x6 port-range type: empty ends are 0 and 65535,
/// numbers wrap to 16 bits, a reversed range is kept (observed).
fn parse_ports(s: &str) -> Result<(u16, u16), Error> {
    let one = |p: &str, d: u16| {
        if p.is_empty() {
            return Ok(d);
        }
        opts::parse_port_x6(p).ok_or_else(|| opts::param(format!("Port \"{p}\" does not resolve to anything.\n")))
    };
    match s.split_once(':') {
        Some((a, b)) => Ok((one(a, 0)?, one(b, 65535)?)),
        None => {
            let v = one(s, 0)?;
            Ok((v, v))
        }
    }
}

fn range_text<T: PartialEq + std::fmt::Display>(a: T, b: T) -> String {
    if a == b { a.to_string() } else { format!("{a}:{b}") }
}

fn addr_hit(want: &Inv<(Ipv4Addr, u8)>, a: Ipv4Addr) -> bool {
    let mask = if want.v.1 == 0 { 0 } else { u32::MAX << (32 - want.v.1) };
    ((u32::from(a) & mask) == (u32::from(want.v.0) & mask)) != want.inv
}

impl Conntrack {
    /// Whether an option reads more of the entry than its state and status.
    fn reads_entry(&self) -> bool {
        self.proto.is_some()
            || self.expire.is_some()
            || self.dir_reply.is_some()
            || self.addrs.iter().any(Option::is_some)
            || self.ports.iter().any(Option::is_some)
    }

    /// Each given option as (name, inverted, value text), in iptables' order.
    fn parts(&self) -> Vec<(&'static str, bool, String)> {
        let mut v = Vec::new();
        if let Some(s) = self.state {
            let t: Vec<(&str, u32)> = state::STATES.iter().chain(&EXTRA_STATES).map(|&(n, b)| (n, b as u32)).collect();
            v.push(("ctstate", s.inv, names(s.v as u32, &t)));
        }
        if let Some(p) = self.proto {
            v.push(("ctproto", p.inv, p.v.to_string()));
        }
        for (i, a) in self.addrs.iter().enumerate() {
            if let Some(a) = a {
                let text = if a.v.1 == 32 { a.v.0.to_string() } else { format!("{}/{}", a.v.0, a.v.1) };
                v.push((ADDR_OPTS[i], a.inv, text));
            }
        }
        for (i, p) in self.ports.iter().enumerate() {
            if let Some(p) = p {
                v.push((PORT_OPTS[i], p.inv, range_text(p.v.0, p.v.1)));
            }
        }
        if let Some(s) = self.status {
            let text = if s.v == 0 { "NONE".to_string() } else { names(s.v, &STATUS) };
            v.push(("ctstatus", s.inv, text));
        }
        if let Some(e) = self.expire {
            v.push(("ctexpire", e.inv, range_text(e.v.0, e.v.1)));
        }
        if let Some(r) = self.dir_reply {
            v.push(("ctdir", false, if r { "REPLY" } else { "ORIGINAL" }.into()));
        }
        v
    }

    /// Takes one option: [`Match::parse`] without the bookkeeping.
    fn take(&mut self, opt: &str, inv: bool, args: &[&str]) -> Result<(), Error> {
        let s = args[0];
        match opt {
            "ctstate" => self.state = Some(Inv { v: parse_states(s, "ctstate", &EXTRA_STATES)?, inv }),
            "ctproto" => {
                let p =
                    opts::parse_proto(s).ok_or_else(|| opts::param(format!("unknown protocol \"{s}\" specified")))?;
                self.proto = Some(Inv { v: p, inv });
            }
            "ctstatus" => {
                let mut v = 0;
                for n in s.split(',') {
                    if n.eq_ignore_ascii_case("NONE") {
                        continue;
                    }
                    v |= STATUS
                        .iter()
                        .find(|(x, _)| x.eq_ignore_ascii_case(n))
                        .map(|x| x.1)
                        .ok_or_else(|| opts::param(format!("Bad ctstatus \"{n}\"")))?;
                }
                self.status = Some(Inv { v, inv });
            }
            "ctexpire" => {
                let (a, b) = parse_range(s, opt, u32::MAX as u64)?;
                self.expire = Some(Inv { v: (a as u32, b as u32), inv });
            }
            "ctdir" => {
                self.dir_reply = Some(match s.to_ascii_uppercase().as_str() {
                    "ORIGINAL" => false,
                    "REPLY" => true,
                    _ => {
                        return Err(opts::param(format!("conntrack: Bad value for \"--ctdir\" option: \"{s}\"")));
                    }
                })
            }
            _ if opt.ends_with("port") => {
                let i = PORT_OPTS.iter().position(|x| *x == opt).expect("declared");
                self.ports[i] = Some(Inv { v: parse_ports(s)?, inv });
            }
            _ => {
                let i = ADDR_OPTS.iter().position(|x| *x == opt).expect("declared");
                let (h, m) = match s.split_once('/') {
                    Some((h, m)) => (h, Some(m)),
                    None => (s, None),
                };
                let (a, len) = opts::parse_hostmask(h, m, "conntrack", opt)?;
                self.addrs[i] = Some(Inv { v: (a, len), inv });
            }
        }
        Ok(())
    }
}

impl Match for Conntrack {
    fn name(&self) -> &'static str {
        "conntrack"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.take(opt, inv, args)?;
        self.quick = self.state_test();
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.parts().is_empty() {
            return Err(opts::param("conntrack: At least one option is required"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        for (name, inv, text) in self.parts() {
            out.push_str(&format!("{} --{name} {text}", if inv { " !" } else { "" }));
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        for (name, inv, text) in self.parts() {
            out.push_str(&format!("{} {name} {text}", if inv { " !" } else { "" }));
        }
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        if let Some(test) = self.quick {
            return test.hit(pkt.ct_state());
        }
        // State and status first, without the entry's other facts: most
        // rules (`--ctstate ESTABLISHED,RELATED`) ask nothing else.
        let Some((st, status)) = pkt.ct_state() else {
            // No entry: only a state test can say anything (INVALID).
            let only_state = !self.reads_entry() && self.status.is_none();
            return only_state && self.state.is_some_and(|s| (s.v & state::bit_of(CtState::Invalid) != 0) != s.inv);
        };
        if let Some(s) = self.state
            && (s.v & state::ctstate_bits(st, status) != 0) == s.inv
        {
            return false;
        }
        if let Some(s) = self.status {
            let hit = if s.v == 0 { status & 0xf == 0 } else { status & s.v != 0 };
            if hit == s.inv {
                return false;
            }
        }
        if !self.reads_entry() {
            return true;
        }
        let Some(ct) = pkt.ct() else { return false };
        if let Some(p) = self.proto
            && (ct.proto == p.v) == p.inv
        {
            return false;
        }
        let tuple_addrs = [ct.orig.src, ct.orig.dst, ct.reply.src, ct.reply.dst];
        let tuple_ports = [ct.orig.sport, ct.orig.dport, ct.reply.sport, ct.reply.dport];
        for i in 0..4 {
            if let Some(a) = &self.addrs[i]
                && !addr_hit(a, tuple_addrs[i])
            {
                return false;
            }
            if let Some(p) = &self.ports[i]
                && ((p.v.0 <= tuple_ports[i] && tuple_ports[i] <= p.v.1) == p.inv)
            {
                return false;
            }
        }
        if let Some(e) = self.expire
            && ((e.v.0 <= ct.expires_secs && ct.expires_secs <= e.v.1) == e.inv)
        {
            return false;
        }
        self.dir_reply.is_none_or(|r| r == ct.reply_dir)
    }
    fn state_test(&self) -> Option<StateTest> {
        // With nothing asked but the state, `matches` is exactly this test:
        // no entry passes as INVALID, else the state with the NAT bits.
        match self.state {
            Some(s) if self.status.is_none() && !self.reads_entry() => {
                Some(StateTest { mask: s.v, inv: s.inv, nat: true })
            }
            _ => None,
        }
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::{CtFacts, CtState, TestPacket};

    fn ct(args: &[(&str, bool, &str)]) -> Conntrack {
        let mut m = Conntrack::default();
        for (o, i, a) in args {
            m.parse(o, *i, &[a], &RuleInfo::default()).unwrap();
        }
        m
    }

    #[test]
    fn saves_in_iptables_order_without_clearing_host_bits() {
        let m = ct(&[
            ("ctdir", false, "REPLY"),
            ("ctrepldst", false, "2.2.2.2/24"),
            ("ctproto", true, "udp"),
            ("ctstate", false, "NEW,SNAT"),
        ]);
        let mut s = String::new();
        m.save(&mut s);
        assert_eq!(s, " --ctstate NEW,SNAT ! --ctproto 17 --ctrepldst 2.2.2.2/24 --ctdir REPLY");
    }

    #[test]
    fn port_and_expire_ranges_collapse_when_equal() {
        let m = ct(&[("ctorigsrcport", false, "4:4"), ("ctexpire", false, "3:3"), ("ctreplsrcport", false, ":")]);
        let mut s = String::new();
        m.save(&mut s);
        assert_eq!(s, " --ctorigsrcport 4 --ctreplsrcport 0:65535 --ctexpire 3");
    }

    #[test]
    fn untracked_packet_only_matches_state() {
        let mut m = ct(&[("ctstate", false, "INVALID")]);
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(m.matches(&mut p, &mut false));
        let mut m2 = ct(&[("ctstate", false, "INVALID"), ("ctproto", false, "udp")]);
        assert!(!m2.matches(&mut p, &mut false));
        p.ct = Some(CtFacts { state: CtState::New, proto: 17, status: 16, ..CtFacts::default() });
        let mut m3 = ct(&[("ctstate", false, "SNAT"), ("ctproto", false, "udp")]);
        assert!(m3.matches(&mut p, &mut false));
    }

    #[test]
    fn expire_out_of_range_uses_x6_message() {
        let e = Conntrack::default().parse("ctexpire", false, &["-1"], &RuleInfo::default());
        assert_eq!(e, Err(opts::bad_value_near("conntrack", "ctexpire", "-1", 4294967295)));
    }
}
