//! Neighbours: which MAC the box puts on what it sends to a next hop.
//!
//! There is no ARP exchange in a replay, so the box answers from, in order:
//! entries the user made permanent (`--neigh 192.168.1.10=02:...`), MACs
//! learned from the source of frames that arrived from an on-link address,
//! and else a MAC derived from the address ([`derived_mac`]), so a capture
//! always yields complete, deterministic frames.
//!
//! In a simulated network ([`Neighbours::arp`] on) an unknown neighbour is
//! resolved by ARP instead, as `net::resolve` describes, and only ARP
//! teaches the box MACs. A resolved neighbour then ages as Linux's does
//! ([`Nud`]): REACHABLE for `reachable_time` after its last confirmation
//! (an ARP reply, or a TCP peer behind it acknowledging), then STALE; the
//! first packet sent to a STALE neighbour leaves at once and starts DELAY;
//! five seconds later, unless confirmed meanwhile, PROBE sends up to three
//! unicast requests a second apart, and silence makes it FAILED (the next
//! packet resolves it afresh, by broadcast).

use super::iface::derived_mac;
use crate::engine::{Duration, Instant, Rng};
use crate::kernel::timer::{fires_at, fires_by};
use crate::kernel::{jiffies, jiffy_start};
use crate::skb::IfIndex;
use crate::wire::EthernetAddress;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::Ipv4Addr;

/// Where a neighbour entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeighSource {
    /// `ip neigh add ... nud permanent`.
    Permanent,
    /// Seen as the source of an arriving frame.
    Learned,
}

/// A resolved neighbour's state (`NUD_*`); FAILED entries are removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nud {
    /// Confirmed within `reachable_time`.
    Reachable,
    /// Not confirmed lately; used as is until a packet is sent to it.
    Stale,
    /// A packet went to a STALE neighbour: a confirmation has until the
    /// timer to arrive before probing starts.
    Delay,
    /// Unicast requests under way; the count sent so far.
    Probe(u32),
}

/// One neighbour entry.
#[derive(Clone, Copy, Debug)]
struct Entry {
    mac: EthernetAddress,
    source: NeighSource,
    nud: Nud,
    /// Last confirmation (`neigh->confirmed`).
    confirmed: Instant,
    /// Last packet sent to it (`neigh->used`).
    used: Instant,
    /// The state timer, also a key of [`Neighbours::timers`].
    timer: Option<Instant>,
    /// The interface it was resolved on.
    oif: IfIndex,
}

impl Entry {
    /// An entry no timer ages: a permanent one, or one a replay learned.
    fn unaged(mac: EthernetAddress, source: NeighSource) -> Entry {
        Entry { mac, source, nud: Nud::Reachable, confirmed: Instant::ZERO, used: Instant::ZERO, timer: None, oif: 0 }
    }
}

/// What a due neighbour timer asks of the box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeighStep {
    /// Send a unicast request to `ip` at `mac` out of `oif`.
    Probe { ip: Ipv4Addr, mac: EthernetAddress, oif: IfIndex },
    /// Probing went unanswered: `ip` is FAILED and forgotten.
    Failed(Ipv4Addr),
}

/// The neighbour table of one box.
#[derive(Clone, Debug, Default)]
pub struct Neighbours {
    entries: FxHashMap<Ipv4Addr, Entry>,
    /// State timers in time order (a router may have many neighbours).
    timers: BTreeSet<(Instant, Ipv4Addr)>,
    /// Each interface's `reachable_time` (its own `neigh_parms`), and when
    /// it was drawn.
    reachable: BTreeMap<IfIndex, (Duration, Instant)>,
    /// Draws `reachable_time`; set by the host (absent: its midpoint).
    pub rng: Option<Rng>,
    /// Resolve by ARP (a simulated network) instead of deriving MACs (a
    /// replay, where no one would answer). See `net::resolve`.
    pub arp: bool,
    /// Neighbours being resolved (`NUD_INCOMPLETE`), by address.
    pub(super) incomplete: BTreeMap<Ipv4Addr, Incomplete>,
    /// ARP parameters (`net.ipv4.neigh.default.*`).
    pub parms: NeighParms,
    /// Neighbours that failed to resolve, with when: the simulator reports
    /// and clears them.
    pub failures: Vec<(Instant, Ipv4Addr)>,
}

/// `net.ipv4.neigh.default.*`: how hard the box tries to resolve a neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighParms {
    /// `mcast_solicit`: broadcast requests before giving up (3).
    pub mcast_solicit: u32,
    /// `ucast_solicit`: unicast requests of PROBE before FAILED (3).
    pub ucast_solicit: u32,
    /// `retrans_time_ms`: between two requests (1000).
    pub retrans: Duration,
    /// `base_reachable_time_ms` (30000): `reachable_time` is drawn from
    /// half to one and a half of it, again every 300 s.
    pub base_reachable: Duration,
    /// `delay_first_probe_time` (5 s).
    pub delay_probe: Duration,
    /// `unres_qlen_bytes`: bytes queued while resolving (212992, `SK_WMEM_MAX`).
    pub unres_qlen_bytes: usize,
}

impl Default for NeighParms {
    fn default() -> Self {
        NeighParms {
            mcast_solicit: 3,
            ucast_solicit: 3,
            retrans: Duration::from_secs(1),
            base_reachable: Duration::from_secs(30),
            delay_probe: Duration::from_secs(5),
            unres_qlen_bytes: 212_992,
        }
    }
}

/// `t` rounded down to its jiffy, as the kernel stamps `confirmed` and `used`.
fn jiffy(t: Instant) -> Instant {
    jiffy_start(jiffies(t))
}

/// `neigh_periodic_work` draws `reachable_time` again this often.
const REDRAW: Duration = Duration::from_secs(300);

/// A neighbour in `NUD_INCOMPLETE`: requests sent, packets waiting.
#[derive(Clone, Debug)]
pub struct Incomplete {
    /// The interface it is resolved on.
    pub oif: IfIndex,
    /// Requests sent so far.
    pub probes: u32,
    /// When the next request (or the verdict) is due.
    pub next_at: Instant,
    /// Packets waiting (IPv4 datagrams after POSTROUTING), oldest first.
    pub queue: VecDeque<Queued>,
    /// Their bytes, against `unres_qlen_bytes`.
    pub queued_bytes: usize,
}

/// A packet waiting for its neighbour.
#[derive(Clone, Debug)]
pub struct Queued {
    /// The IPv4 datagram.
    pub packet: Vec<u8>,
    /// The interface it came in on, if forwarded.
    pub iif: Option<IfIndex>,
}

impl Neighbours {
    /// Adds a permanent entry; it wins over anything learned.
    pub fn add_permanent(&mut self, ip: Ipv4Addr, mac: EthernetAddress) {
        self.set_timer(ip, None);
        self.entries.insert(ip, Entry::unaged(mac, NeighSource::Permanent));
    }

    /// Records that `ip` was seen sending from `mac` (a replay's frames,
    /// which do not age). Permanent entries stay.
    #[inline]
    pub fn learn(&mut self, ip: Ipv4Addr, mac: EthernetAddress) {
        match self.entries.get_mut(&ip) {
            Some(Entry { source: NeighSource::Permanent, .. }) => {}
            Some(entry) => entry.mac = mac,
            None => {
                self.entries.insert(ip, Entry::unaged(mac, NeighSource::Learned));
            }
        }
    }

    /// An ARP packet from `ip` at `mac` arrived on `oif` (`arp_process`):
    /// a reply to us confirms it (REACHABLE); a request from it makes a
    /// new or changed entry STALE and leaves a known one as it is.
    pub fn update(&mut self, ip: Ipv4Addr, mac: EthernetAddress, oif: IfIndex, reply: bool, now: Instant) {
        let prev = self.entries.get(&ip).copied();
        if prev.is_some_and(|e| e.source == NeighSource::Permanent || (!reply && e.mac == mac)) {
            return;
        }
        let e = Entry {
            mac,
            source: NeighSource::Learned,
            nud: if reply { Nud::Reachable } else { Nud::Stale },
            confirmed: if reply { now } else { prev.map_or(Instant::ZERO, |e| e.confirmed) },
            used: prev.map_or(now, |e| e.used),
            timer: None,
            oif,
        };
        self.set_timer(ip, None);
        self.entries.insert(ip, e);
        if reply {
            let at = fires_at(now, self.reachable_time(oif, now));
            self.set_timer(ip, Some(at));
        }
    }

    /// A TCP peer reached through `ip` acknowledged: the path works
    /// (`neigh_confirm`); no state changes until a timer looks.
    pub fn confirm(&mut self, ip: Ipv4Addr, now: Instant) {
        if let Some(e) = self.entries.get_mut(&ip) {
            e.confirmed = now;
        }
    }

    /// The MAC to put on a packet for `ip` now, as `neigh_event_send`
    /// sees it: a STALE neighbour is used and starts DELAY.
    pub fn use_entry(&mut self, ip: Ipv4Addr, now: Instant) -> Option<EthernetAddress> {
        let delay = self.parms.delay_probe;
        let e = self.entries.get_mut(&ip)?;
        e.used = now;
        let mac = e.mac;
        if e.nud == Nud::Stale && e.source == NeighSource::Learned {
            e.nud = Nud::Delay;
            self.set_timer(ip, Some(fires_at(now, delay)));
        }
        Some(mac)
    }

    /// The MAC of `ip` when known.
    #[inline]
    pub fn lookup(&self, ip: Ipv4Addr) -> Option<EthernetAddress> {
        self.entries.get(&ip).map(|e| e.mac)
    }

    /// The state of `ip`'s entry, if it has one.
    pub fn state(&self, ip: Ipv4Addr) -> Option<Nud> {
        self.entries.get(&ip).map(|e| e.nud)
    }

    /// When the next resolution or ageing step is due, if any.
    pub fn next_timer(&self) -> Option<Instant> {
        // Asked before every replayed packet, where nothing is resolving.
        if self.incomplete.is_empty() {
            return self.timers.first().map(|t| t.0);
        }
        let resolving = self.incomplete.values().map(|n| n.next_at).min();
        let ageing = self.timers.first().map(|t| t.0);
        resolving.into_iter().chain(ageing).min()
    }

    /// Runs the ageing timers due by `now` (`neigh_timer_handler`) and
    /// returns what the box must do: probes to send, failures to report.
    pub fn age(&mut self, now: Instant) -> Vec<NeighStep> {
        let mut steps = Vec::new();
        while let Some(&(at, ip)) = self.timers.first().filter(|t| t.0 <= now) {
            self.timers.remove(&(at, ip));
            let p = self.parms;
            let Some(oif) = self.entries.get(&ip).map(|e| e.oif) else { continue };
            let reachable = self.reachable_time(oif, at);
            let Some(e) = self.entries.get_mut(&ip) else { continue };
            e.timer = None;
            // The handler compares in jiffies, the deadlines included.
            let (confirmed, used) = (jiffy(e.confirmed), jiffy(e.used));
            let next = match e.nud {
                Nud::Reachable if at <= confirmed + reachable => Some(fires_by(at, confirmed + reachable)),
                Nud::Reachable if at <= used + p.delay_probe => {
                    e.nud = Nud::Delay;
                    Some(fires_at(at, p.delay_probe))
                }
                Nud::Reachable => {
                    e.nud = Nud::Stale;
                    None
                }
                Nud::Delay if at <= confirmed + p.delay_probe => {
                    e.nud = Nud::Reachable;
                    Some(fires_by(at, confirmed + reachable))
                }
                Nud::Delay | Nud::Probe(_) => {
                    let sent = if let Nud::Probe(n) = e.nud { n } else { 0 };
                    if sent >= p.ucast_solicit {
                        self.entries.remove(&ip);
                        steps.push(NeighStep::Failed(ip));
                        continue;
                    }
                    e.nud = Nud::Probe(sent + 1);
                    steps.push(NeighStep::Probe { ip, mac: e.mac, oif: e.oif });
                    Some(fires_at(at, p.retrans))
                }
                Nud::Stale => None,
            };
            self.set_timer(ip, next);
        }
        steps
    }

    /// Moves `ip`'s timer to `at` (or stops it).
    fn set_timer(&mut self, ip: Ipv4Addr, at: Option<Instant>) {
        let Some(e) = self.entries.get_mut(&ip) else { return };
        if let Some(old) = e.timer.take() {
            self.timers.remove(&(old, ip));
        }
        if let Some(at) = at {
            e.timer = Some(at);
            self.timers.insert((at, ip));
        }
    }

    /// `oif`'s `reachable_time` at `now`: drawn from [base/2, 3*base/2)
    /// at first and again once 300 s have passed (`neigh_rand_reach_time`).
    fn reachable_time(&mut self, oif: IfIndex, now: Instant) -> Duration {
        let base = self.parms.base_reachable;
        match self.reachable.get(&oif) {
            Some(&(t, drawn)) if now < drawn + REDRAW => t,
            _ => {
                let ms = base.as_nanos() / 1_000_000;
                let drawn = self.rng.as_mut().map_or(ms / 2, |r| u64::from(r.below(ms as u32)));
                let t = Duration::from_millis(ms / 2 + drawn);
                self.reachable.insert(oif, (t, now));
                t
            }
        }
    }

    /// The MAC to send to `ip`.
    #[inline]
    pub fn resolve(&self, ip: Ipv4Addr) -> EthernetAddress {
        self.entries.get(&ip).map_or_else(|| derived_mac(ip), |e| e.mac)
    }

    /// Every entry, sorted by address (for listings).
    pub fn entries(&self) -> Vec<(Ipv4Addr, EthernetAddress, NeighSource)> {
        let mut v: Vec<_> = self.entries.iter().map(|(ip, e)| (*ip, e.mac, e.source)).collect();
        v.sort_by_key(|e| e.0);
        v
    }
}

/// Parses `IP=MAC` as given to `--neigh`.
pub fn parse_neigh(s: &str) -> Result<(Ipv4Addr, EthernetAddress), String> {
    let (ip, mac) = s.split_once('=').ok_or_else(|| format!("expected IP=MAC, got \"{s}\""))?;
    let ip = ip.trim().parse().map_err(|_| format!("invalid IPv4 address \"{ip}\""))?;
    let mac = mac.trim().parse().map_err(|_| format!("invalid MAC address \"{mac}\""))?;
    Ok((ip, mac))
}

#[cfg(test)]
mod test {

    fn at(s: f64) -> Instant {
        Instant::from_nanos((s * 1e9).round() as u64)
    }

    /// A table in ARP mode with `reachable_time` at its midpoint (30 s).
    fn resolving() -> Neighbours {
        Neighbours { arp: true, ..Neighbours::default() }
    }

    const IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

    /// Runs the table to its next timer; returns that time and the steps.
    fn next(n: &mut Neighbours) -> (Instant, Vec<NeighStep>) {
        let t = n.next_timer().expect("a timer is pending");
        (t, n.age(t))
    }

    #[test]
    fn a_confirmed_neighbour_goes_stale_then_delay_then_probes_and_fails() {
        let mut n = resolving();
        n.update(IP, MAC, 1, true, at(0.0));
        assert_eq!(n.state(IP), Some(Nud::Reachable));
        // 30 s is 7500 jiffies: the wheel's level of 512-jiffy units.
        assert_eq!(next(&mut n), (at(30.72), vec![]));
        assert_eq!(n.state(IP), Some(Nud::Stale), "unused for reachable_time");
        assert_eq!(n.next_timer(), None, "STALE has no timer");
        // A packet goes out at once, with the MAC it has; DELAY for 5 s
        // (1250 jiffies, in 64-jiffy units).
        assert_eq!(n.use_entry(IP, at(100.0)), Some(MAC));
        let delay_ends = fires_at(at(100.0), Duration::from_secs(5));
        assert_eq!(delay_ends, at(105.216), "26250 jiffies, rounded up to 64");
        assert_eq!((n.state(IP), n.next_timer()), (Some(Nud::Delay), Some(delay_ends)));
        let probe = NeighStep::Probe { ip: IP, mac: MAC, oif: 1 };
        let mut times = Vec::new();
        for _ in 0..3 {
            let (t, steps) = next(&mut n);
            assert_eq!(steps, vec![probe]);
            times.push(t);
        }
        let second = fires_at(times[0], Duration::from_secs(1));
        assert_eq!(times, [delay_ends, second, fires_at(second, Duration::from_secs(1))], "a probe every ~1.024 s");
        assert_eq!(n.state(IP), Some(Nud::Probe(3)));
        assert_eq!(next(&mut n), (fires_at(times[2], Duration::from_secs(1)), vec![NeighStep::Failed(IP)]));
        assert_eq!((n.state(IP), n.lookup(IP)), (None, None), "FAILED is forgotten");
    }

    #[test]
    fn used_when_reachable_time_ends_it_delays_and_a_reply_makes_it_reachable() {
        let mut n = resolving();
        n.update(IP, MAC, 1, true, at(0.0));
        n.use_entry(IP, at(28.0));
        let (t, steps) = next(&mut n);
        assert!(steps.is_empty());
        assert_eq!(t, at(30.72));
        assert_eq!(n.state(IP), Some(Nud::Delay), "used in the last 5 s");
        // A TCP peer's acknowledgement in DELAY: back to REACHABLE, no probe.
        n.confirm(IP, at(33.0));
        let (t, steps) = next(&mut n);
        assert!(steps.is_empty() && t > at(35.0) && t < at(36.0), "{t:?}");
        assert_eq!(n.state(IP), Some(Nud::Reachable));
        let deadline = n.next_timer().unwrap();
        assert!(deadline > at(63.0) && deadline <= at(65.048), "confirmed + 30 s, rounded up: {deadline:?}");
        // While probing, the unicast request's reply ends it.
        n.use_entry(IP, deadline);
        let _ = next(&mut n);
        assert_eq!(n.state(IP), Some(Nud::Delay));
        assert_eq!(next(&mut n).1.len(), 1);
        n.update(IP, MAC, 1, true, at(80.0));
        assert_eq!(n.state(IP), Some(Nud::Reachable));
        assert_eq!(n.next_timer(), Some(fires_at(at(80.0), Duration::from_secs(30))));
    }

    #[test]
    fn a_request_from_a_neighbour_teaches_it_stale_and_leaves_a_known_one_alone() {
        let mut n = resolving();
        n.update(IP, MAC, 1, false, at(0.0));
        assert_eq!(n.state(IP), Some(Nud::Stale));
        n.update(IP, MAC, 1, true, at(1.0));
        n.update(IP, MAC, 1, false, at(2.0));
        assert_eq!(n.state(IP), Some(Nud::Reachable), "same MAC: unchanged");
        let other = EthernetAddress([2, 0, 0, 0, 0, 9]);
        n.update(IP, other, 1, false, at(3.0));
        assert_eq!((n.state(IP), n.lookup(IP)), (Some(Nud::Stale), Some(other)), "a new MAC is taken, STALE");
    }

    #[test]
    fn reachable_time_is_drawn_per_interface_between_half_and_one_and_a_half_base() {
        let mut n = resolving();
        n.rng = Some(Rng::new(7));
        let a = n.reachable_time(1, at(0.0));
        assert_eq!(n.reachable_time(1, at(299.0)), a, "kept for 300 s");
        for oif in 2..50 {
            let t = n.reachable_time(oif, at(0.0));
            assert!(t >= Duration::from_secs(15) && t < Duration::from_secs(45), "{t:?}");
        }
    }
    use super::*;

    #[test]
    fn permanent_beats_learned_beats_derived() {
        let mut n = Neighbours::default();
        let ip = Ipv4Addr::new(192, 168, 1, 10);
        assert_eq!(n.resolve(ip), EthernetAddress([2, 0, 192, 168, 1, 10]));
        n.learn(ip, EthernetAddress([2, 1, 1, 1, 1, 1]));
        assert_eq!(n.resolve(ip), EthernetAddress([2, 1, 1, 1, 1, 1]));
        n.add_permanent(ip, EthernetAddress([2, 9, 9, 9, 9, 9]));
        n.learn(ip, EthernetAddress([2, 1, 1, 1, 1, 1]));
        assert_eq!(n.resolve(ip), EthernetAddress([2, 9, 9, 9, 9, 9]));
    }

    #[test]
    fn neigh_spec() {
        assert_eq!(parse_neigh("10.0.0.1=02:00:00:00:00:01").unwrap().1, EthernetAddress([2, 0, 0, 0, 0, 1]));
        assert!(parse_neigh("10.0.0.1").is_err());
        assert!(parse_neigh("10.0.0.1=zz").is_err());
    }
}
