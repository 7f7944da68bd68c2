//! `-m state --state LIST`: the packet's conntrack state (a subset of
//! `-m conntrack --ctstate`, which the kernel now implements it with).

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{CtState, PacketView};
use crate::xt::{Match, RuleInfo};

/// State bits in the order iptables prints them.
pub const STATES: [(&str, u8); 5] = [("INVALID", 1), ("NEW", 2), ("RELATED", 4), ("ESTABLISHED", 8), ("UNTRACKED", 16)];

/// The bit of `state` in a state mask.
pub fn bit_of(state: CtState) -> u8 {
    match state {
        CtState::Invalid => 1,
        CtState::New => 2,
        CtState::Related => 4,
        CtState::Established => 8,
        CtState::Untracked => 16,
    }
}

/// Comma-joined names of the set bits of `v` from `table`.
pub fn names(v: u32, table: &[(&str, u32)]) -> String {
    let n: Vec<&str> = table.iter().filter(|(_, b)| v & b != 0).map(|x| x.0).collect();
    n.join(",")
}

/// A test of the packet's conntrack state alone, as plain data: what
/// `-m state` is, and `-m conntrack` when `--ctstate` is all it asks. Rule
/// walks read it from the match once per ruleset version and evaluate it
/// themselves, rather than through the match's vtable for every packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateTest {
    /// The states taken, a bit each (INVALID 1 ... UNTRACKED 16, and
    /// conntrack's SNAT 32, DNAT 64).
    pub mask: u8,
    /// `!`.
    pub inv: bool,
    /// The entry's SNAT/DNAT status bits count as states 32 and 64
    /// (`--ctstate`; `--state` knows no such states).
    pub nat: bool,
}

impl StateTest {
    /// Whether a packet whose `(state, status)` is `ct` (`None`: no entry,
    /// which is INVALID) passes.
    #[inline]
    pub fn hit(self, ct: Option<(CtState, u32)>) -> bool {
        self.takes(class(ct))
    }

    /// Whether a packet of state class `class` ([`class`]) passes.
    #[inline]
    pub fn takes(self, class: u8) -> bool {
        let bits = if self.nat { class } else { class & !(32 | 64) };
        (self.mask & bits != 0) != self.inv
    }
}

/// How many state classes there are: seven `--ctstate` bits.
pub const CLASSES: usize = 128;

/// What every state test sees of a packet whose `(state, status)` is `ct`
/// (`None`: no entry, which is INVALID): its `--ctstate` bits, of which
/// `--state` reads the states' alone.
#[inline]
pub fn class(ct: Option<(CtState, u32)>) -> u8 {
    match ct {
        None => bit_of(CtState::Invalid),
        Some((state, status)) => ctstate_bits(state, status),
    }
}

/// The entry's `IPS_SRC_NAT` and `IPS_DST_NAT` status bits.
const IPS_SRC_NAT: u32 = 1 << 4;
const IPS_DST_NAT: u32 = 1 << 5;

/// `--ctstate`'s bits for an entry in `state` with `status`: the state's,
/// and SNAT (32) and DNAT (64) as its status says (`conntrack_mt_v3`).
pub fn ctstate_bits(state: CtState, status: u32) -> u8 {
    let mut bits = bit_of(state);
    if status & IPS_SRC_NAT != 0 {
        bits |= 32;
    }
    if status & IPS_DST_NAT != 0 {
        bits |= 64;
    }
    bits
}

/// The state match.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Wanted states (bits as in [`STATES`]).
    pub mask: u8,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("state")];

/// Parses a state list; `what` is "state" or "ctstate" for the message.
pub fn parse_states(s: &str, what: &str, extra: &[(&str, u8)]) -> Result<u8, Error> {
    let mut v = 0;
    for name in s.split(',') {
        v |= STATES
            .iter()
            .chain(extra)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|x| x.1)
            .ok_or_else(|| opts::param(format!("Bad {what} \"{name}\"")))?;
    }
    Ok(v)
}

fn state_names(v: u8) -> String {
    let t: Vec<(&str, u32)> = STATES.iter().map(|&(n, b)| (n, b as u32)).collect();
    names(v as u32, &t)
}

impl Match for State {
    fn name(&self) -> &'static str {
        "state"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        self.mask = parse_states(args[0], "state", &[])?;
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.mask == 0 {
            return Err(opts::must_specify("state", "state"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!("{inv} --state {}", state_names(self.mask)));
    }
    fn list(&self, out: &mut String, _: bool) {
        let inv = if self.inv { " !" } else { "" };
        out.push_str(&format!("{inv} state {}", state_names(self.mask)));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        StateTest { mask: self.mask, inv: self.inv, nat: false }.hit(pkt.ct_state())
    }
    fn state_test(&self) -> Option<StateTest> {
        Some(StateTest { mask: self.mask, inv: self.inv, nat: false })
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::{CtFacts, TestPacket};

    #[test]
    fn prints_in_kernel_order_and_matches_ct_state() {
        let mut m = State::default();
        m.parse("state", false, &["ESTABLISHED,RELATED"], &RuleInfo::default()).unwrap();
        let mut s = String::new();
        m.save(&mut s);
        assert_eq!(s, " --state RELATED,ESTABLISHED");
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Input);
        assert!(!m.matches(&mut p, &mut false));
        p.ct = Some(CtFacts { state: CtState::Established, ..CtFacts::default() });
        assert!(m.matches(&mut p, &mut false));
    }

    #[test]
    fn bad_state_is_refused() {
        let e = State::default().parse("state", false, &["FOO"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Bad state \"FOO\"")));
    }
}
