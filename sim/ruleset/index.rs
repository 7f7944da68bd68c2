//! A per-chain index of the rules a packet could match, so that traversal
//! skips the rest without changing anything observable.
//!
//! For every rule we read the cheap, pure "header predicates" the kernel
//! tests before anything with an effect: `-p`, `-s`, `-d`, `-i`, `-o` (the
//! generic part, always tested first) and the ports of a `tcp`, `udp` or
//! `multiport` match (only when every match before it is pure; see
//! [`rule_shape`]). Per chain and per field, each value class (a protocol, an
//! address prefix, an aligned block of ports, an interface name or `name+`
//! prefix) maps to the sorted list of rules that require it; rules with no
//! indexable predicate on a field (absent, `!`, a non-contiguous mask) sit in
//! the field's `wild` list. A packet looks up its classes (one probe per
//! prefix length present), and the candidates are the rules present in some
//! list of every field: a leapfrog intersection over sorted lists, visited in
//! rule order. Candidates are then evaluated in full, as before, so the index
//! may only ever over-approximate.
//!
//! Masked chains (see [`MASK_RULES`]) know two things more. The conntrack
//! state is a field too: a rule's first state test (`-m state`, `-m
//! conntrack --ctstate`) lists it under the state classes it takes
//! ([`CtDim`]). And a rule whose keys say all it asks (generic part read
//! whole, matches only port ranges and that state test) is *exact*: a
//! packet the lookup lists it for matches it, and the walk takes it without
//! evaluating anything ([`Mark::sure`]), which no one can tell apart, as
//! all it skips is pure.
//!
//! Invalidation: [`RuleIndex::invalidate`] drops everything; the model calls
//! it from every `&mut` access path (`Ruleset::table_mut`, `put_table`), and
//! a chain's index is rebuilt lazily, when a packet first gets past the
//! chain's head ([`HEAD_RULES`]). A chain whose rule count changed behind the
//! index's back is rebuilt too. Everything is deterministic: maps are only
//! looked up, never iterated; lists are sorted.

use std::cell::Cell;
use std::fmt;

use rustc_hash::FxHashMap;

use super::eval::{base_chain as find_base, dev_names};
use super::model::{Addr, Chain, Iface, Rule, Table, Verdict};
use crate::net::iface::{IFNAMSIZ, IfName};
use crate::xt::matches::ports::PortTest;
use crate::xt::matches::state::{self, StateTest};
use crate::xt::packet::{self, Ipv4Fields, PacketView};
use crate::xt::{Hook, Match};

/// Chains shorter than this are walked rule by rule: the lookups would cost
/// more than the rules they skip. (Both limits only trade speed; the tests
/// lower them so that their small chains go through the index.)
const MIN_RULES: usize = if cfg!(test) { 4 } else { 24 };

/// The first rules of an indexed chain are walked one by one too, and the
/// packet is looked up only when it gets past them: the rules that decide
/// most packets usually come first (`ESTABLISHED,RELATED -j ACCEPT`), and
/// those packets then pay nothing for the index. A built-in chain that
/// opens with a [`Head`] is looked up right after it instead.
const HEAD_RULES: usize = if cfg!(test) { 2 } else { 8 };

/// Chains of at most this many rules keep each list as a bitmask of rule
/// numbers too: a packet's candidates are then one AND per field, and the
/// next one a count of trailing zeros, where longer chains leapfrog over
/// sorted lists. A numeric field's masks are also laid out as a step
/// function of the value ([`Steps`]), found by one binary search instead of
/// a hash probe per prefix length. (The tests lower it so that both ways are
/// exercised.)
const MASK_RULES: usize = if cfg!(test) { 20 } else { 64 };

/// The fields the index knows, in the order their lists are intersected
/// (the most selective first is only a speed matter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Src,
    Dst,
    Dport,
    Sport,
    Iif,
    Oif,
    Proto,
}

const FIELDS: [Field; 7] = [Field::Src, Field::Dst, Field::Dport, Field::Sport, Field::Iif, Field::Oif, Field::Proto];

/// A list key: the probe (prefix length class) in the top byte, the packet
/// value projected on it below.
type Key = u128;

fn key(probe: u8, payload: u128) -> Key {
    (probe as u128) << 120 | payload
}

/// Interface probes: `EXACT | len` for an exact name, `len` for `name+`.
const EXACT: u8 = 0x80;

/// Up to 15 bytes of an interface name, little-endian. Packets' names
/// come ready in this form (`IfName`); this packs the rules' names at load
/// and the rare name too long to keep.
fn pack(name: &[u8]) -> u128 {
    let n = name.len().min(15);
    let mut out = [0u8; 16];
    out[..n].copy_from_slice(&name[..n]);
    u128::from_le_bytes(out)
}

/// A rule's keys per field; `None` = any value (the rule is wild there).
type RuleKeys = [Option<Vec<Key>>; 7];

/// The keys of an address selector: its prefix, if it is one.
fn addr_keys(a: &Addr) -> Option<Vec<Key>> {
    let m = u32::from(a.mask);
    let len = m.leading_ones();
    if a.inv || len == 0 || len + m.trailing_zeros() != 32 {
        return None;
    }
    let host_bits = 32 - len;
    Some(vec![key(host_bits as u8, (u64::from(u32::from(a.addr)) >> host_bits) as u128)])
}

/// The key of an interface selector: an exact name or a `name+` prefix.
fn iface_keys(i: &Iface) -> Option<Vec<Key>> {
    if i.inv || i.is_any() || i.name.len() > 15 {
        return None;
    }
    Some(vec![match i.name.strip_suffix('+') {
        Some(prefix) => key(prefix.len() as u8, pack(prefix.as_bytes())),
        None => key(EXACT | i.name.len() as u8, pack(i.name.as_bytes())),
    }])
}

/// The aligned power-of-two blocks covering each port range, as keys (the
/// same shape as address prefixes: `probe` = low bits dropped).
fn port_keys(ranges: &[(u16, u16)]) -> Vec<Key> {
    let mut out = Vec::new();
    for &(a, b) in ranges {
        let (mut lo, hi) = (a as u32, b as u32);
        // At most 32 blocks per range; `lo` grows every turn.
        while lo <= hi {
            let mut bits = lo.trailing_zeros().min(16);
            while lo + (1 << bits) - 1 > hi {
                bits -= 1;
            }
            out.push(key(bits as u8, (lo >> bits) as u128));
            lo += 1 << bits;
        }
    }
    out
}

/// Whether match `m` of a rule of protocol `proto` reads that protocol's
/// ports (a tcp match only sees TCP, and so on), with what it requires.
fn port_test(m: &dyn Match, proto: u8) -> Option<PortTest> {
    match (m.name(), proto) {
        ("tcp", 6) | ("udp", 17) | ("multiport", 6 | 17) => m.port_test(),
        _ => None,
    }
}

/// Matches that only read the packet or its conntrack facts: no state, no
/// hotdrop. Anything not listed (limit, recent, statistic...) stops the scan.
fn is_pure(name: &str) -> bool {
    matches!(name, "comment" | "state" | "conntrack" | "mark" | "iprange" | "addrtype")
}

/// What the index reads of one rule.
#[derive(Default)]
struct Shape {
    /// The keys per field.
    keys: RuleKeys,
    /// The state test of its first state match, if every match before that
    /// one is pure.
    state: Option<StateTest>,
    /// That state test is safe only on a packet whose ports the port
    /// matches before it read without hotdrop (see [`Query::ports`]).
    state_needs_ports: bool,
    /// The keys say all the rule asks: a packet they list it for matches
    /// it, with nothing evaluated (every match pure and read in full).
    exact: bool,
    /// ... but only on a packet whose ports are known, as the rule has a
    /// port match.
    exact_needs_ports: bool,
}

/// A rule's keys, state test and exactness. The generic part is tested
/// before any match, so its predicates are always safe to index. A port
/// or state predicate from match `k` is safe only if matches `0..k` are
/// pure: otherwise skipping the rule would skip their effects (a limit's
/// token, a hotdrop).
fn rule_shape(r: &Rule) -> Shape {
    let mut keys: RuleKeys = Default::default();
    keys[slot(Field::Src)] = addr_keys(&r.src);
    keys[slot(Field::Dst)] = addr_keys(&r.dst);
    keys[slot(Field::Iif)] = iface_keys(&r.iif);
    keys[slot(Field::Oif)] = iface_keys(&r.oif);
    if r.proto != 0 && !r.proto_inv {
        keys[slot(Field::Proto)] = Some(vec![key(0, r.proto as u128)]);
    }
    let ports_ok = !r.proto_inv && matches!(r.proto, 6 | 17);
    let mut shape = Shape { exact: generic_exact(r, &keys), ..Shape::default() };
    for m in &r.matches {
        if m.name() == "comment" {
            continue;
        }
        if let Some(test) = m.state_test() {
            if shape.state.is_none() {
                shape.state = Some(test);
                shape.state_needs_ports = shape.exact_needs_ports;
            } else {
                shape.exact = false;
            }
            continue;
        }
        if is_pure(m.name()) {
            shape.exact = false;
            continue;
        }
        let Some(test) = port_test(m.as_ref(), r.proto).filter(|_| ports_ok) else {
            shape.exact = false;
            break;
        };
        shape.exact_needs_ports = true;
        shape.exact &= test.only;
        for (field, want) in [(Field::Sport, test.sport), (Field::Dport, test.dport)] {
            match (&keys[slot(field)], want) {
                (None, Some(ranges)) => keys[slot(field)] = Some(port_keys(&ranges)),
                // A second requirement on the port: not in the keys.
                (Some(_), Some(_)) => shape.exact = false,
                _ => {}
            }
        }
        if !test.pure {
            shape.exact = false;
            break;
        }
    }
    shape.keys = keys;
    shape
}

/// Whether the generic part of `r` asks no more than its `keys` say: every
/// selector either absent or read whole into a key.
fn generic_exact(r: &Rule, keys: &RuleKeys) -> bool {
    let addr = |a: &Addr, f: Field| {
        let (addr, mask) = (u32::from(a.addr), u32::from(a.mask));
        // An address with bits outside its mask selects nothing.
        let any = mask == 0 && addr == 0 && !a.inv;
        any || (keys[slot(f)].is_some() && addr & !mask == 0)
    };
    let iface = |i: &Iface, f: Field| (i.is_any() && !i.inv) || keys[slot(f)].is_some();
    let proto = r.proto == 0 || keys[slot(Field::Proto)].is_some();
    r.frag.is_none()
        && proto
        && addr(&r.src, Field::Src)
        && addr(&r.dst, Field::Dst)
        && iface(&r.iif, Field::Iif)
        && iface(&r.oif, Field::Oif)
}

fn slot(f: Field) -> usize {
    FIELDS.iter().position(|x| *x == f).expect("listed")
}

/// One field's lists for one chain.
#[derive(Debug)]
struct Dim {
    field: Field,
    /// The probes to try, ascending.
    probes: Vec<u8>,
    /// Rules wild on this field: a range of `ChainIndex::ids`.
    wild: (u32, u32),
    /// Key → range of `ChainIndex::ids`, sorted rule numbers.
    lists: FxHashMap<Key, (u32, u32)>,
    /// In a chain of at most [`MASK_RULES`] rules: the wild rules as a mask
    /// (bit `i` for rule `i`), and each key's rules as a mask.
    wild_mask: u64,
    masks: FxHashMap<Key, u64>,
    /// In a masked chain, on a numeric field (addresses, ports, protocol):
    /// the same answer as the probes give, as a step function of the value.
    steps: Option<Steps>,
    /// In a masked chain, on an interface field of at most [`SCAN_KEYS`]
    /// keys: each name with its rules, compared in turn with the packet's
    /// (no hashing, and no key made per probe).
    few: Option<Vec<Name>>,
    /// The last name `few` was scanned for and its answer (see
    /// [`Steps::last`]; `None` before the first).
    few_last: Cell<Option<((usize, u128), u64)>>,
    /// In a masked chain, on the protocol: the steps' answer for each of
    /// the 256 values, read without a search.
    by_proto: Option<Box<[u64; 256]>>,
}

impl Dim {
    /// How dear a masked lookup of this field is, in order: a table read,
    /// a scan of a few names, a binary search, a hash probe per length.
    fn cost(&self) -> u8 {
        match (&self.by_proto, &self.few, &self.steps) {
            (Some(_), _, _) => 0,
            (_, Some(_), _) => 1,
            (_, _, Some(_)) => 2,
            _ => 3,
        }
    }
}

/// Up to this many keys, a field's keys are scanned rather than hashed.
const SCAN_KEYS: usize = 4;

/// One interface key of a masked chain, ready to compare with a packed
/// name: `-i eth0` takes names of length 4 whose bytes are `eth0`, `-i
/// eth+` names of length 3 or more whose first 3 bytes are `eth`.
#[derive(Clone, Copy, Debug)]
struct Name {
    /// The name's (or prefix's) bytes, packed.
    bytes: u128,
    /// Ones over the bytes compared.
    low: u128,
    /// How many bytes are compared.
    len: usize,
    /// An exact name (`-i eth0`), not a prefix (`-i eth+`).
    exact: bool,
    /// The rules listed under it.
    mask: u64,
}

impl Name {
    /// The entry of interface key `k` (probe in the top byte), listing `mask`.
    fn of(k: Key, mask: u64) -> Name {
        let probe = (k >> 120) as u8;
        let len = (probe & !EXACT) as usize;
        let low = (1u128 << (8 * len)) - 1;
        Name { bytes: k & low, low, len, exact: probe & EXACT != 0, mask }
    }

    /// Whether a packet's name, `len` bytes packed as `packed`, is one it takes.
    #[inline(always)]
    fn takes(&self, (len, packed): (usize, u128)) -> bool {
        let long_enough = if self.exact { len == self.len } else { len >= self.len };
        long_enough && packed & self.low == self.bytes
    }
}

/// A numeric field's candidates as a step function: every prefix or port
/// block is an interval of values, so the value space cuts into runs over
/// which the answer (wild rules plus every listed block holding the value)
/// is one mask. One binary search replaces a hash probe per prefix length.
#[derive(Debug)]
struct Steps {
    /// Where each run starts, ascending; the first is 0.
    starts: Vec<u32>,
    /// Each run's mask.
    masks: Vec<u64>,
    /// The run of the last value looked up, `[first, last]`, and its mask:
    /// the packets of a flow, the flows to one server, and the sources
    /// of one network outside every listed block come one after the other
    /// within one run, and then need no search.
    last: Cell<(u32, u32, u64)>,
}

impl Steps {
    /// The runs of a field whose keys, each `(probe, value >> probe)`, map to `masks`.
    fn build(wild: u64, masks: &[(Key, u64)]) -> Steps {
        // Each key's values, [lo, hi) in u64 so a /1 or a whole port space fits.
        let mut blocks: Vec<(u64, u64, u64)> = Vec::with_capacity(masks.len());
        for &(k, m) in masks {
            let probe = (k >> 120) as u32;
            let lo = ((k & ((1u128 << 120) - 1)) as u64) << probe;
            blocks.push((lo, lo + (1u64 << probe), m));
        }
        let mut cuts: Vec<u64> = blocks.iter().flat_map(|b| [b.0, b.1]).filter(|&c| c <= u32::MAX as u64).collect();
        cuts.push(0);
        cuts.sort_unstable();
        cuts.dedup();
        // Every run lies inside or outside each block: OR the blocks holding its start.
        let masks: Vec<u64> =
            cuts.iter().map(|&c| blocks.iter().filter(|b| b.0 <= c && c < b.1).fold(wild, |m, b| m | b.2)).collect();
        let steps = Steps { starts: cuts.into_iter().map(|c| c as u32).collect(), masks, last: Cell::new((0, 0, 0)) };
        steps.last.set(steps.run(0));
        steps
    }

    /// The mask of the run holding `v`.
    #[inline]
    fn at(&self, v: u32) -> u64 {
        let (first, last, mask) = self.last.get();
        if first <= v && v <= last {
            return mask;
        }
        let run = self.run(v);
        self.last.set(run);
        run.2
    }

    /// The run holding `v`: its first and last values and its mask.
    fn run(&self, v: u32) -> (u32, u32, u64) {
        // `starts[0]` is 0, so at least one start is <= v.
        let i = self.starts.partition_point(|&s| s <= v) - 1;
        let last = self.starts.get(i + 1).map_or(u32::MAX, |&next| next - 1);
        (self.starts[i], last, self.masks[i])
    }
}

/// The index of one chain.
#[derive(Debug)]
struct ChainIndex {
    /// How many rules the chain had when built.
    rules: usize,
    /// At most [`MASK_RULES`] rules: looked up through the masks.
    small: bool,
    dims: Vec<Dim>,
    /// In a masked chain: how many of `dims` come before the port fields.
    portless: usize,
    /// Every list's rule numbers, back to back.
    ids: Vec<u32>,
    /// In a masked chain whose rules test the conntrack state: each state
    /// class's candidates (see [`CtDim`]).
    ct: Option<CtDim>,
    /// In a masked chain: the rules whose keys say all they ask (see
    /// [`Shape::exact`]), and those of them that need no ports for it.
    exact: u64,
    exact_portless: u64,
}

/// The conntrack state as a field of a masked chain: a packet's class is
/// its `--ctstate` bits ([`state::class`]), and each class maps to the
/// rules wild on it or whose state test takes it.
#[derive(Debug)]
struct CtDim {
    by_class: Box<[u64; state::CLASSES]>,
    /// Rules whose state test is safe only with the ports known: wild on a
    /// packet whose ports are not.
    needs_ports: u64,
}

impl CtDim {
    /// The dimension of a chain whose rules read as `shapes`, if some rule
    /// has a state test.
    fn build(shapes: &[Shape]) -> Option<CtDim> {
        let tests: Vec<(u64, StateTest)> =
            shapes.iter().enumerate().filter_map(|(i, s)| Some((1u64 << i, s.state?))).collect();
        if tests.is_empty() {
            return None;
        }
        let wild = shapes.iter().enumerate().filter(|(_, s)| s.state.is_none()).fold(0, |m, (i, _)| m | 1u64 << i);
        let by_class = Box::new(std::array::from_fn(|c| {
            tests.iter().filter(|(_, t)| t.takes(c as u8)).fold(wild, |m, (bit, _)| m | bit)
        }));
        let needs_ports =
            shapes.iter().enumerate().filter(|(_, s)| s.state_needs_ports).fold(0, |m, (i, _)| m | 1u64 << i);
        Some(CtDim { by_class, needs_ports })
    }
}

fn push_list(ids: &mut Vec<u32>, list: impl Iterator<Item = u32>) -> (u32, u32) {
    let start = ids.len() as u32;
    ids.extend(list);
    (start, ids.len() as u32)
}

impl ChainIndex {
    fn build(chain: &Chain) -> ChainIndex {
        let shapes: Vec<Shape> = chain.rules.iter().map(rule_shape).collect();
        let keys: Vec<&RuleKeys> = shapes.iter().map(|s| &s.keys).collect();
        let small = keys.len() <= MASK_RULES;
        let mask = |rules: &[u32]| if small { rules.iter().fold(0u64, |m, &i| m | 1 << i) } else { 0 };
        let mut ids = Vec::new();
        let mut dims = Vec::new();
        for (f, field) in FIELDS.into_iter().enumerate() {
            let mut pairs: Vec<(Key, u32)> = Vec::new();
            let mut wild = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                match &k[f] {
                    Some(ks) => pairs.extend(ks.iter().map(|&k| (k, i as u32))),
                    None => wild.push(i as u32),
                }
            }
            if wild.len() == keys.len() {
                continue;
            }
            pairs.sort_unstable();
            pairs.dedup();
            let wild_mask = mask(&wild);
            let wild = push_list(&mut ids, wild.into_iter());
            let mut lists = FxHashMap::default();
            let mut masks = FxHashMap::default();
            let mut keyed = Vec::new();
            let mut probes: Vec<u8> = pairs.iter().map(|p| (p.0 >> 120) as u8).collect();
            probes.sort_unstable();
            probes.dedup();
            for run in pairs.chunk_by(|a, b| a.0 == b.0) {
                let list = push_list(&mut ids, run.iter().map(|p| p.1));
                lists.insert(run[0].0, list);
                if small {
                    let m = mask(&ids[list.0 as usize..list.1 as usize]);
                    masks.insert(run[0].0, m);
                    keyed.push((run[0].0, m));
                }
            }
            let numeric = !matches!(field, Field::Iif | Field::Oif);
            let steps = (small && numeric).then(|| Steps::build(wild_mask, &keyed));
            let few = (small && steps.is_none() && keyed.len() <= SCAN_KEYS)
                .then(|| keyed.iter().map(|&(k, m)| Name::of(k, m)).collect());
            let by_proto = match (&steps, field) {
                (Some(st), Field::Proto) => Some(Box::new(std::array::from_fn(|v| st.at(v as u32)))),
                _ => None,
            };
            let few_last = Cell::new(None);
            dims.push(Dim { field, probes, wild, lists, wild_mask, masks, steps, few, few_last, by_proto });
        }
        if small {
            // A masked lookup may skip a field (see `lookup_mask`): the
            // cheapest fields first leave the fewest rules to the searches.
            // The port fields last, so that a packet whose ports are not
            // known stops before them.
            dims.sort_by_key(|d| (matches!(d.field, Field::Sport | Field::Dport), d.cost()));
        }
        let portless = dims.iter().take_while(|d| !matches!(d.field, Field::Sport | Field::Dport)).count();
        let (mut exact, mut exact_portless, mut ct) = (0, 0, None);
        if small {
            for (i, s) in shapes.iter().enumerate().filter(|(_, s)| s.exact) {
                exact |= 1u64 << i;
                if !s.exact_needs_ports {
                    exact_portless |= 1u64 << i;
                }
            }
            ct = CtDim::build(&shapes);
        }
        ChainIndex { rules: chain.rules.len(), small, dims, portless, ids, ct, exact, exact_portless }
    }
}

/// The packet's values for every field, computed once per traversal.
#[derive(Clone, Copy, Debug)]
struct Query {
    proto: u8,
    src: u32,
    dst: u32,
    /// Name length and first 15 bytes, packed.
    iif: (usize, u128),
    oif: (usize, u128),
    /// The ports, only when every tcp/udp/multiport match would read them
    /// without hotdrop (an unfragmented TCP/UDP packet with a whole header);
    /// otherwise the port lists are not consulted.
    ports: Option<(u16, u16)>,
    /// The conntrack state class, once a chain with a [`CtDim`] asked.
    ct: Option<u8>,
}

impl Query {
    /// The values of `pkt`, whose IPv4 header is `ip` and interface names
    /// `devs` (the walk's copies, which spare asking the packet again).
    fn new(ip: &Ipv4Fields, devs: &(IfName, IfName), pkt: &dyn PacketView) -> Query {
        let datagram = pkt.ip();
        // A kept name's first 15 bytes are what `pack` keeps; a name too
        // long to keep is packed from the packet's own.
        let packed = |d: &IfName, full: fn(&dyn PacketView) -> &str| match d.len {
            n if n <= IFNAMSIZ => (n, u128::from_le_bytes(d.bytes) & ((1u128 << 120) - 1)),
            n => (n, pack(full(pkt).as_bytes())),
        };
        let whole = match ip.proto {
            6 => 20,
            17 => 8,
            _ => usize::MAX,
        };
        let l4 = datagram.get(ip.ihl..).unwrap_or_default();
        let ports = (ip.frag_off == 0 && l4.len() >= whole).then(|| packet::ports(l4)).flatten();
        Query {
            proto: ip.proto,
            src: ip.src.into(),
            dst: ip.dst.into(),
            iif: packed(&devs.0, |p| p.in_iface()),
            oif: packed(&devs.1, |p| p.out_iface()),
            ports,
            ct: None,
        }
    }

    /// The packet's value of numeric `field` (not an interface; ports known).
    #[inline]
    fn value(&self, field: Field) -> u32 {
        let (sport, dport) = self.ports.unwrap_or_default();
        match field {
            Field::Proto => self.proto as u32,
            Field::Src => self.src,
            Field::Dst => self.dst,
            Field::Sport => sport as u32,
            Field::Dport => dport as u32,
            Field::Iif | Field::Oif => unreachable!("interfaces have no steps"),
        }
    }

    /// The key of the packet's class for `probe` on `field`, if it can have one.
    fn key(&self, field: Field, probe: u8) -> Option<Key> {
        let prefix = |v: u32| key(probe, (u64::from(v) >> probe) as u128);
        let iface = |(len, packed): (usize, u128)| {
            let n = (probe & !EXACT) as usize;
            if probe & EXACT != 0 {
                (n == len).then(|| key(probe, packed))
            } else {
                (n <= len).then(|| key(probe, packed & ((1u128 << (8 * n)) - 1)))
            }
        };
        match field {
            Field::Proto => Some(key(0, self.proto as u128)),
            Field::Src => Some(prefix(self.src)),
            Field::Dst => Some(prefix(self.dst)),
            Field::Sport => self.ports.map(|p| prefix(p.0 as u32)),
            Field::Dport => self.ports.map(|p| prefix(p.1 as u32)),
            Field::Iif => iface(self.iif),
            Field::Oif => iface(self.oif),
        }
    }
}

/// Where one chain's lookup results sit in [`Scratch`]: while the chain runs
/// they are the top of it (a called chain's are removed when it returns).
/// The lookup is made when the walk first passes [`HEAD_RULES`].
#[derive(Clone, Copy, Debug)]
pub(super) struct Mark {
    chain: u32,
    slices: u32,
    groups: u32,
    looked_up: bool,
    /// How many rules of the chain are walked one by one before the lookup.
    linear: u32,
    /// A masked chain's candidates (bit `i` for rule `i`), once looked up.
    mask: u64,
    /// Those of them the packet matches for sure (see [`Shape::exact`]).
    sure: u64,
}

impl Mark {
    /// The chain's opening rule is a [`Head`] the walk has answered: the
    /// lookup comes at once, as what follows a head rarely decides.
    pub(super) fn past_head(&mut self) {
        self.linear = 1;
    }

    /// Whether the packet matches rule `ri` for sure: its keys say all it
    /// asks, and the lookup listed it (`ri` must come from the lookup).
    #[inline(always)]
    pub(super) fn sure(&self, ri: usize) -> bool {
        ri < 64 && self.sure >> ri & 1 != 0
    }
}

/// The lookups of the chains on the call stack: per chain, one group per
/// field, each a few slices of the chain's `ids` whose starts advance as
/// the walk goes down the chain.
#[derive(Clone, Debug, Default)]
struct Scratch {
    slices: Vec<(u32, u32)>,
    groups: Vec<(u32, u32)>,
    /// The traversal's packet's values, once a lookup needed them (kept
    /// here, not in the cursor, so that the cursor stays two pointers).
    query: Option<Query>,
}

/// One table's chain indexes, by chain position.
#[derive(Debug, Default)]
struct TableIndex {
    chains: Vec<Slot>,
    /// Each hook's built-in chain and its head, once found.
    entries: [Option<Entry>; 5],
}

impl TableIndex {
    /// Starts over if the table's chain count changed behind the index's back.
    #[inline]
    fn fit(&mut self, chains: &[Chain]) {
        if self.chains.len() != chains.len() {
            self.refit(chains);
        }
    }

    /// [`TableIndex::fit`]'s starting over: once per ruleset version.
    #[cold]
    #[inline(never)]
    fn refit(&mut self, chains: &[Chain]) {
        self.chains.clear();
        self.chains.resize_with(chains.len(), Slot::default);
        self.entries = [None; 5];
    }
}

/// Where a hook's walk of a table starts, found once per ruleset version.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// The built-in chain's position (`None`: the table has no chain for the hook).
    base: Option<u32>,
    /// Its head, if it opens with one.
    head: Option<Head>,
    /// Its rule count then: a rule added behind the model's back makes
    /// the head be read again.
    rules: usize,
}

impl Entry {
    /// `hook`'s entry into `table`, whose chains are `chains`.
    #[cold]
    #[inline(never)]
    fn find(table: Table, hook: Hook, chains: &[Chain]) -> Entry {
        let base = find_base(chains, table, hook);
        let head = base.and_then(|b| Head::of(&chains[b]));
        Entry { base: base.map(|b| b as u32), head, rules: base.map_or(0, |b| chains[b].rules.len()) }
    }
}

/// A built-in chain that opens with a plain state test deciding the
/// packet (`-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, the
/// first rule of nearly every stateful ruleset, which decides most
/// packets): the walk answers it before setting up for the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Head {
    /// The rule's one match.
    pub(super) test: StateTest,
    /// ACCEPT (else DROP).
    pub(super) accept: bool,
}

impl Head {
    /// `chain`'s head, if its first rule is one: a generic part that takes
    /// every packet, one match that is a state test, ACCEPT or DROP.
    fn of(chain: &Chain) -> Option<Head> {
        let r = chain.rules.first()?;
        let any = |a: &Addr| u32::from(a.mask) == 0 && u32::from(a.addr) == 0 && !a.inv;
        let generic_any = any(&r.src) && any(&r.dst) && r.iif.name.is_empty() && r.oif.name.is_empty() && r.proto == 0;
        let [m] = &r.matches[..] else { return None };
        let accept = match r.verdict {
            Verdict::Accept => true,
            Verdict::Drop => false,
            _ => return None,
        };
        if !generic_any || r.frag.is_some() {
            return None;
        }
        Some(Head { test: m.state_test()?, accept })
    }
}

#[derive(Debug, Default)]
enum Slot {
    #[default]
    Unbuilt,
    /// Too short to index.
    Linear(usize),
    Built(ChainIndex),
}

/// The indexes of a ruleset's tables; lives in the [`Ruleset`] it indexes.
///
/// [`Ruleset`]: super::model::Ruleset
#[derive(Default)]
pub(crate) struct RuleIndex {
    tables: [TableIndex; 5],
    scratch: Scratch,
    /// The set of existing tables and how many there were, once asked
    /// ([`super::Ruleset::present`]).
    pub(super) present: Option<(u8, usize)>,
}

impl fmt::Debug for RuleIndex {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("RuleIndex")
    }
}

impl Clone for RuleIndex {
    /// A copy starts empty: indexes are rebuilt on demand.
    fn clone(&self) -> Self {
        RuleIndex::default()
    }
}

impl RuleIndex {
    /// Forgets every chain's index (the ruleset is about to change).
    pub(crate) fn invalidate(&mut self) {
        self.present = None;
        for t in &mut self.tables {
            t.chains.clear();
            t.entries = [None; 5];
        }
    }

    /// The position of `hook`'s built-in chain in `table`'s `chains` (found
    /// once per ruleset version rather than by name on every packet), its
    /// [`Head`] if it opens with one, and a walker over `table`, whose
    /// chains are `chains`. In its one caller's line: the rare work is out of it.
    #[inline(always)]
    pub(super) fn start(
        &mut self,
        table: Table,
        hook: Hook,
        chains: &[Chain],
    ) -> (Option<usize>, Option<Head>, Cursor<'_>) {
        let t = &mut self.tables[table as usize];
        t.fit(chains);
        let slot = &mut t.entries[hook as usize];
        let e = match *slot {
            Some(e) if e.base.is_none_or(|b| chains.get(b as usize).is_some_and(|c| c.rules.len() == e.rules)) => e,
            _ => *slot.insert(Entry::find(table, hook, chains)),
        };
        let (base, head) = (e.base.map(|b| b as usize), e.head);
        let scratch = &mut self.scratch;
        scratch.slices.clear();
        scratch.groups.clear();
        scratch.query = None;
        (base, head, Cursor { ix: Some(Indexed { t, scratch }) })
    }
}

/// Finds the next rule of the current chain that may match: with an index,
/// the next candidate; without (`Cursor::LINEAR`), simply the next rule.
pub(super) struct Cursor<'a> {
    ix: Option<Indexed<'a>>,
}

struct Indexed<'a> {
    t: &'a mut TableIndex,
    /// Its query is made at the first lookup: most packets are decided before one.
    scratch: &'a mut Scratch,
}

impl Cursor<'_> {
    /// Every rule in turn: the reference walk.
    pub(super) const LINEAR: Cursor<'static> = Cursor { ix: None };

    /// Enters chain `ci`. The mark is the chain's handle until it is left.
    pub(super) fn enter(&mut self, ci: usize) -> Mark {
        let (slices, groups) = match &self.ix {
            Some(Indexed { scratch, .. }) => (scratch.slices.len() as u32, scratch.groups.len() as u32),
            None => (0, 0),
        };
        Mark { chain: ci as u32, slices, groups, looked_up: false, linear: HEAD_RULES as u32, mask: 0, sure: 0 }
    }

    /// Leaves the chain entered with `mark` (return, or before a goto).
    pub(super) fn leave(&mut self, mark: Mark) {
        if let Some(Indexed { scratch, .. }) = &mut self.ix {
            scratch.slices.truncate(mark.slices as usize);
            scratch.groups.truncate(mark.groups as usize);
        }
    }

    /// The first rule at or after `from` in the chain of `mark` that may
    /// match; the chain's length or more if there is none. `from` must not
    /// decrease between calls for the same entry.
    #[inline(always)]
    pub(super) fn next(
        &mut self,
        mark: &mut Mark,
        from: usize,
        chain: &Chain,
        ip: &Ipv4Fields,
        devs: &mut Option<(IfName, IfName)>,
        pkt: &dyn PacketView,
    ) -> usize {
        if from < mark.linear as usize || from >= chain.rules.len() || self.ix.is_none() {
            return from;
        }
        self.lookup_next(mark, from, chain, ip, devs, pkt)
    }

    /// [`Cursor::next`] past the chain's head, with an index: out of line,
    /// so that the head's rules pay only the test above.
    #[inline(never)]
    fn lookup_next(
        &mut self,
        mark: &mut Mark,
        from: usize,
        chain: &Chain,
        ip: &Ipv4Fields,
        devs: &mut Option<(IfName, IfName)>,
        pkt: &dyn PacketView,
    ) -> usize {
        let Some(Indexed { t, scratch }) = &mut self.ix else {
            return from;
        };
        let Scratch { slices, groups, query } = &mut **scratch;
        let slot = &mut t.chains[mark.chain as usize];
        if !mark.looked_up {
            refresh(slot, chain);
            if let Slot::Built(c) = slot {
                // The chain's callees have returned: the top of `scratch` is ours.
                debug_assert_eq!(groups.len(), mark.groups as usize);
                let q = query.get_or_insert_with(|| Query::new(ip, dev_names(devs, pkt), pkt));
                if c.small {
                    if c.ct.is_some() && q.ct.is_none() {
                        q.ct = Some(state::class(pkt.ct_state()));
                    }
                    mark.mask = lookup_mask(c, q, from);
                    mark.sure = mark.mask & if q.ports.is_some() { c.exact } else { c.exact_portless };
                } else {
                    lookup(c, q, slices, groups);
                }
            }
            mark.looked_up = true;
        }
        let Slot::Built(c) = slot else {
            return from;
        };
        if c.small {
            let rest = if from < 64 { mark.mask & (u64::MAX << from) } else { 0 };
            return if rest == 0 { usize::MAX } else { rest.trailing_zeros() as usize };
        }
        let groups = &groups[mark.groups as usize..];
        leapfrog(&c.ids, groups, slices, from as u32).map_or(usize::MAX, |i| i as usize)
    }
}

/// Builds the chain's index if it has none, or one made for a different
/// rule count (a change that bypassed [`RuleIndex::invalidate`]).
#[inline]
fn refresh(slot: &mut Slot, chain: &Chain) {
    let n = chain.rules.len();
    let fresh = match slot {
        Slot::Unbuilt => false,
        Slot::Linear(m) => *m == n,
        Slot::Built(c) => c.rules == n,
    };
    if !fresh {
        rebuild(slot, chain);
    }
}

/// [`refresh`]'s building, once per ruleset version: out of the lookup's
/// line, whose frame it would otherwise size for every packet.
#[cold]
#[inline(never)]
fn rebuild(slot: &mut Slot, chain: &Chain) {
    let n = chain.rules.len();
    *slot = if n < MIN_RULES { Slot::Linear(n) } else { Slot::Built(ChainIndex::build(chain)) };
}

/// Pushes the packet's lists of `c`, one group per field.
fn lookup(c: &ChainIndex, q: &Query, slices: &mut Vec<(u32, u32)>, groups: &mut Vec<(u32, u32)>) {
    for d in &c.dims {
        if matches!(d.field, Field::Sport | Field::Dport) && q.ports.is_none() {
            // Unknown ports: no port predicate was trusted for this packet.
            continue;
        }
        let first = slices.len() as u32;
        if d.wild.0 < d.wild.1 {
            slices.push(d.wild);
        }
        for &p in &d.probes {
            if let Some(list) = q.key(d.field, p).and_then(|k| d.lists.get(&k)) {
                slices.push(*list);
            }
        }
        groups.push((first, slices.len() as u32));
    }
}

/// The packet's candidates at or after rule `from` in a masked chain: per
/// field, the rules wild there or listed under one of the packet's keys;
/// across fields, those in all. The rules before `from` were walked
/// already (the walk only goes on down the chain), so they are left out
/// from the start, and a field on which every rule left is wild, whose
/// answer could only keep them all, is not looked up.
fn lookup_mask(c: &ChainIndex, q: &Query, from: usize) -> u64 {
    let rules = if c.rules >= 64 { u64::MAX } else { (1u64 << c.rules) - 1 };
    let mut all = if from < 64 { rules & (u64::MAX << from) } else { 0 };
    if let (Some(ct), Some(class)) = (&c.ct, q.ct) {
        let unsafe_here = if q.ports.is_none() { ct.needs_ports } else { 0 };
        all &= ct.by_class[class as usize % state::CLASSES] | unsafe_here;
    }
    // Unknown ports: no port predicate was trusted for this packet.
    let dims = if q.ports.is_some() { &c.dims[..] } else { &c.dims[..c.portless] };
    for d in dims {
        if all & !d.wild_mask == 0 {
            continue;
        }
        if let Some(by_proto) = &d.by_proto {
            all &= by_proto[q.proto as usize];
            continue;
        }
        all &= match &d.steps {
            Some(steps) => steps.at(q.value(d.field)),
            None => match &d.few {
                Some(few) => scan_mask(d, few, q),
                None => probe_mask(d, q),
            },
        };
        if all == 0 {
            // No rule left: the other fields cannot add one.
            break;
        }
    }
    all
}

/// [`probe_mask`] for an interface field of few keys: each name compared
/// with the packet's.
#[inline]
fn scan_mask(d: &Dim, few: &[Name], q: &Query) -> u64 {
    let dev = if d.field == Field::Iif { q.iif } else { q.oif };
    if let Some((last, mask)) = d.few_last.get()
        && last == dev
    {
        return mask;
    }
    let mask = few.iter().fold(d.wild_mask, |m, n| if n.takes(dev) { m | n.mask } else { m });
    d.few_last.set(Some((dev, mask)));
    mask
}

/// One field's candidates in a masked chain, a hash probe per prefix length.
fn probe_mask(d: &Dim, q: &Query) -> u64 {
    let mut m = d.wild_mask;
    for &p in &d.probes {
        if let Some(mask) = q.key(d.field, p).and_then(|k| d.masks.get(&k)) {
            m |= mask;
        }
    }
    m
}

/// The least rule number `>= i` present in one slice of every group, or
/// `None`. Slices' starts move past numbers below `i` (galloping), so a
/// chain's whole walk costs about its candidates times the lists touched.
fn leapfrog(ids: &[u32], groups: &[(u32, u32)], slices: &mut [(u32, u32)], mut i: u32) -> Option<u32> {
    // Each turn either returns or raises `i` to a rule number in some list:
    // at most as many turns as there are rules.
    loop {
        let mut settled = true;
        for &(g0, g1) in groups {
            let mut best = u32::MAX;
            for s in &mut slices[g0 as usize..g1 as usize] {
                s.0 = seek(ids, *s, i);
                if s.0 < s.1 {
                    best = best.min(ids[s.0 as usize]);
                }
            }
            if best == u32::MAX {
                return None;
            }
            if best != i {
                (i, settled) = (best, false);
            }
        }
        if settled {
            return Some(i);
        }
    }
}

/// The first position in `ids[start..end]` holding a number `>= i`.
#[inline]
fn seek(ids: &[u32], (start, end): (u32, u32), i: u32) -> u32 {
    let (mut lo, end) = (start as usize, end as usize);
    if lo >= end || ids[lo] >= i {
        return lo as u32;
    }
    // Gallop: ids[lo] < i; double the step until passing i, then bisect.
    let mut step = 1;
    while lo + step < end && ids[lo + step] < i {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step + 1).min(end);
    (lo + ids[lo..hi].partition_point(|&x| x < i)) as u32
}

#[cfg(test)]
mod test {
    use proptest::prelude::*;

    use super::*;
    use crate::engine::Instant;
    use crate::ruleset::{Decision, Ruleset, load};
    use crate::xt::{CtFacts, CtState, Hook, TestPacket};

    const ADDRS: [&str; 8] = [
        "",
        "10.0.0.0/8",
        "10.1.0.0/16",
        "10.1.2.0/24",
        "10.1.2.3",
        "192.168.0.0/16",
        "0.0.0.0/0",
        "10.0.2.0/255.0.255.0",
    ];
    const IFACES: [&str; 7] = ["", "eth0", "eth1", "eth+", "ppp+", "eth10", "eth1+"];
    const PORTS: [&str; 7] = ["22", "80", "443", "1000:2000", "0:1023", "1024:", "4:5"];
    const MULTI: [&str; 4] = ["80,443", "22,1000:2000", "5,7,9", "0:79,81:65535"];
    /// Matches with no index predicate, some with state or side effects.
    const EXTRAS: [&str; 9] = [
        "-m limit --limit 2/min --limit-burst 2",
        "-m mark --mark 0x1",
        "-m comment --comment x",
        "-m state --state NEW",
        "-m conntrack --ctstate DNAT",
        "-m conntrack ! --ctstate INVALID,RELATED",
        "-m state --state ESTABLISHED -m conntrack --ctstate SNAT",
        "-f",
        "! -f",
    ];

    /// One rule as indexes into the tables above; rendered by [`render`].
    #[derive(Clone, Debug)]
    struct Spec {
        proto: u8,
        src: (usize, bool),
        dst: (usize, bool),
        iif: (usize, bool),
        oif: (usize, bool),
        ports: Vec<(bool, usize, bool)>,
        multi: Option<(u8, usize, bool)>,
        flags: u8,
        extra: Option<(usize, bool)>,
        target: u8,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        // Mostly absent, so that packets often get past the generic part.
        let sel = |n: usize| {
            prop::option::weighted(0.35, (1..n, prop::bool::weighted(0.2))).prop_map(|o| o.unwrap_or((0, false)))
        };
        (
            0u8..6,
            (sel(ADDRS.len()), sel(ADDRS.len())),
            (sel(IFACES.len()), sel(IFACES.len())),
            prop::collection::vec((any::<bool>(), 0..PORTS.len(), prop::bool::weighted(0.2)), 0..3),
            prop::option::weighted(0.3, (0u8..3, 0..MULTI.len(), prop::bool::weighted(0.2))),
            0u8..4,
            prop::option::weighted(0.4, (0..EXTRAS.len(), any::<bool>())),
            0u8..12,
        )
            .prop_map(|(proto, (src, dst), (iif, oif), ports, multi, flags, extra, target)| Spec {
                proto,
                src,
                dst,
                iif,
                oif,
                ports,
                multi,
                flags,
                extra,
                target,
            })
    }

    fn neg(inv: bool) -> &'static str {
        if inv { "! " } else { "" }
    }

    /// `-A chain ...` for `s` in user chain `me` (-1: FORWARD) of `users`;
    /// jumps only go to later chains, so no loop is possible.
    fn render(s: &Spec, me: i32, users: i32) -> String {
        let chain = if me < 0 { "FORWARD".to_string() } else { format!("c{me}") };
        let mut r = format!("-A {chain}");
        let mut sel = |opt: &str, table: &[&str], (i, inv): (usize, bool)| {
            if !table[i].is_empty() {
                r.push_str(&format!(" {}{opt} {}", neg(inv), table[i]));
            }
        };
        sel("-s", &ADDRS, s.src);
        sel("-d", &ADDRS, s.dst);
        sel("-i", &IFACES, s.iif);
        sel("-o", &IFACES, s.oif);
        let proto = ["", "tcp", "udp", "icmp", "tcp", "udp"][s.proto as usize];
        if s.proto == 3 && s.flags == 3 {
            r.push_str(" ! -p tcp");
        } else if !proto.is_empty() {
            r.push_str(&format!(" -p {proto}"));
        }
        let mut matches = Vec::new();
        if matches!(proto, "tcp" | "udp") && !(s.proto == 3 && s.flags == 3) {
            let mut one = format!("-m {proto}");
            let (mut sport, mut dport) = (false, false);
            for &(dst, p, inv) in &s.ports {
                let seen = if dst { &mut dport } else { &mut sport };
                if !*seen {
                    *seen = true;
                    let opt = if dst { "--dport" } else { "--sport" };
                    // tcp refuses a reversed range; udp keeps it (never matches).
                    let v = if proto == "udp" && PORTS[p] == "4:5" { "5:4" } else { PORTS[p] };
                    one.push_str(&format!(" {}{opt} {v}", neg(inv)));
                }
            }
            if proto == "tcp" {
                one.push_str(["", " --syn", " --tcp-option 2", " ! --tcp-flags SYN,ACK ACK"][s.flags as usize]);
            }
            matches.push(one);
            if let Some((which, p, inv)) = s.multi {
                let opt = ["--sports", "--dports", "--ports"][which as usize];
                matches.push(format!("-m multiport {}{opt} {}", neg(inv), MULTI[p]));
            }
        }
        if s.proto == 3 && s.flags < 2 {
            matches.push("-m icmp --icmp-type echo-request".into());
        }
        if let Some((e, first)) = s.extra {
            if EXTRAS[e].ends_with("-f") {
                r.push_str(&format!(" {}", EXTRAS[e]));
            } else {
                matches.insert(if first { 0 } else { matches.len() }, EXTRAS[e].to_string());
            }
        }
        for m in matches {
            r.push_str(&format!(" {m}"));
        }
        let later = (me + 1..users).collect::<Vec<_>>();
        let target = match s.target {
            0 | 1 => " -j ACCEPT".to_string(),
            2 | 3 => " -j DROP".to_string(),
            4 => " -j RETURN".to_string(),
            5 => format!(" -j LOG --log-prefix r{}", s.src.0),
            6 => " -j MARK --set-mark 0x1".to_string(),
            7 => " -j REJECT".to_string(),
            8 | 9 if !later.is_empty() => format!(" -j c{}", later[s.src.0 % later.len()]),
            10 if !later.is_empty() => format!(" -g c{}", later[s.dst.0 % later.len()]),
            _ => String::new(),
        };
        r + &target + "\n"
    }

    fn ruleset(policy_drop: bool, chains: &[Vec<Spec>]) -> String {
        let users = chains.len() as i32 - 1;
        let mut text = format!(
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD {} [0:0]\n:OUTPUT ACCEPT [0:0]\n",
            if policy_drop { "DROP" } else { "ACCEPT" }
        );
        for u in 0..users {
            text.push_str(&format!(":c{u} - [0:0]\n"));
        }
        for (i, rules) in chains.iter().enumerate() {
            for s in rules {
                text.push_str(&render(s, i as i32 - 1, users));
            }
        }
        text + "COMMIT\n"
    }

    const HOSTS: [[u8; 4]; 5] = [[10, 1, 2, 3], [10, 1, 9, 9], [10, 200, 2, 1], [192, 168, 5, 5], [8, 8, 8, 8]];
    const PKT_PORTS: [u16; 9] = [22, 80, 443, 1500, 5, 4, 65535, 1023, 1024];
    const DEVS: [&str; 7] = ["eth0", "eth1", "eth10", "ppp0", "lo", "", "eth"];
    /// Conntrack facts: none, and states with SNAT (16) and DNAT (32) status bits.
    const CTS: [Option<(CtState, u32)>; 6] = [
        None,
        Some((CtState::New, 0)),
        Some((CtState::New, 32)),
        Some((CtState::Established, 16)),
        Some((CtState::Related, 48)),
        Some((CtState::Invalid, 0)),
    ];

    fn packet() -> impl Strategy<Value = TestPacket> {
        (
            (0..HOSTS.len(), 0..HOSTS.len(), 0..PKT_PORTS.len(), 0..PKT_PORTS.len()),
            (0u8..9, 0..DEVS.len(), 0..DEVS.len(), 0u32..2, 0..CTS.len()),
        )
            .prop_map(|((s, d, sp, dp), (kind, i, o, mark, ct))| {
                let (s, d, sp, dp) = (HOSTS[s], HOSTS[d], PKT_PORTS[sp], PKT_PORTS[dp]);
                let mut b = match kind {
                    0 | 5 | 6 | 8 => TestPacket::tcp(s, d, sp, dp, 0x02),
                    1 => TestPacket::tcp(s, d, sp, dp, 0x10),
                    2 | 7 => TestPacket::udp(s, d, sp, dp),
                    3 => TestPacket::icmp(s, d, 8, 0),
                    _ => TestPacket::ipv4(s, d, 47, &[0; 8]),
                };
                match kind {
                    // Fragments: offset 1 (tcp hotdrops) and a later one.
                    5 => b[7] = 1,
                    6 => b[7] = 100,
                    // A udp header cut short: udp and multiport hotdrop.
                    7 => b.truncate(24),
                    // Options announced but missing: --tcp-option hotdrops.
                    8 => b[32] = 15 << 4,
                    _ => {}
                }
                let mut p = TestPacket::new(b, Hook::Forward);
                (p.iif, p.oif, p.mark) = (DEVS[i].into(), DEVS[o].into(), mark);
                p.ct = CTS[ct].map(|(state, status)| CtFacts { state, status, ..CtFacts::default() });
                p
            })
    }

    /// Runs the packets through both walks, comparing each outcome, then the counters.
    fn same_everywhere(text: &str, packets: &[TestPacket]) -> Result<(), TestCaseError> {
        let mut indexed = load(text, "prop").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut linear = indexed.clone();
        for (n, p) in packets.iter().enumerate() {
            let (mut a, mut b) = (p.clone(), p.clone());
            a.now = Instant::from_nanos(n as u64 * 100_000_000);
            b.now = a.now;
            let got = indexed.traverse(Table::Filter, Hook::Forward, &mut a);
            let want = linear.traverse_linear(Table::Filter, Hook::Forward, &mut b);
            prop_assert_eq!(&got, &want, "packet {}", n);
            prop_assert_eq!(&a.actions, &b.actions, "packet {}", n);
            prop_assert_eq!(a.mark, b.mark, "packet {}", n);
        }
        prop_assert_eq!(indexed.save(true), linear.save(true));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn indexed_walk_is_the_linear_walk(
            policy_drop in any::<bool>(),
            chains in prop::collection::vec(prop::collection::vec(spec(), 0..40), 1..4),
            packets in prop::collection::vec(packet(), 1..40),
        ) {
            same_everywhere(&ruleset(policy_drop, &chains), &packets)?;
        }
    }

    #[test]
    fn steps_give_what_the_probes_give() {
        let text = "*filter\n:FORWARD DROP [0:0]\n\
            -A FORWARD -s 10.0.0.0/8 -p tcp --dport 1000:2000 -j ACCEPT\n\
            -A FORWARD -s 10.1.0.0/16 -d 192.168.1.0/26 -p udp --dport 53 -j ACCEPT\n\
            -A FORWARD -s 0.0.0.0/1 -p tcp -m multiport --dports 0:79,81:65535 -j ACCEPT\n\
            -A FORWARD -d 255.255.255.255 -p tcp --sport 65535 -j ACCEPT\n\
            -A FORWARD -s 128.0.0.0/1 -p icmp -j ACCEPT\n\
            -A FORWARD -s 10.1.2.3 -p udp --dport 0 -j ACCEPT\n\
            COMMIT\n";
        let rs = load(text, "t").unwrap();
        let chains = &rs.table(Table::Filter).unwrap().chains;
        let c = ChainIndex::build(chains.iter().find(|c| c.name == "FORWARD").unwrap());
        assert!(c.small);
        let mut rng = crate::engine::Rng::new(7);
        let edges = [0u32, 1, 52, 53, 54, 79, 80, 81, 999, 1000, 2000, 2001, 65535, 0x7fff_ffff, 0x8000_0000];
        for d in c.dims.iter().filter(|d| d.steps.is_some()) {
            for i in 0..3000u32 {
                let v = match i as usize {
                    i if i < edges.len() => edges[i],
                    _ => rng.next_u32() >> (rng.next_u32() % 32),
                };
                let v = if matches!(d.field, Field::Sport | Field::Dport) { v & 0xffff } else { v };
                let q = Query {
                    proto: v as u8,
                    src: v,
                    dst: v,
                    iif: (0, 0),
                    oif: (0, 0),
                    ports: Some((v as u16, v as u16)),
                    ct: None,
                };
                assert_eq!(d.steps.as_ref().unwrap().at(q.value(d.field)), probe_mask(d, &q), "{:?} {v:#x}", d.field);
            }
        }
    }

    #[test]
    fn port_blocks_cover_exactly_the_range() {
        for (a, b) in [(0u16, 65535u16), (1000, 2000), (80, 80), (1, 65534)] {
            let keys = port_keys(&[(a, b)]);
            for p in [0u16, 1, 79, 80, 81, 999, 1000, 1500, 2000, 2001, 65534, 65535] {
                let hit = (0..=16u8).any(|bits| keys.contains(&key(bits, (p as u32 >> bits) as u128)));
                assert_eq!(hit, a <= p && p <= b, "{a}:{b} port {p}");
            }
        }
    }

    #[test]
    fn rules_that_only_look_exact_are_evaluated() {
        // Each rule's keys say less than it asks, or say it only for some
        // packets; each is alone in a chain of rules that take nothing,
        // so the walk takes it or the policy decides.
        let rules = [
            "-p tcp -m tcp ! --dport 0:65535",
            "-p udp -m udp --dport 5:4",
            "-p tcp -m tcp --dport 80 -m multiport --dports 443,8080",
            "-p tcp -m tcp --dport 80 --tcp-flags SYN,ACK SYN",
            "-p tcp -m tcp --dport 80 --tcp-option 2",
            "-m conntrack --ctstate NEW -m state --state ESTABLISHED",
            "-p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT",
            "-p tcp -m mark --mark 0x1 -m tcp --dport 80",
            "! -i + -p tcp",
            "! -p tcp",
            "-f -p tcp",
            "-i eth0 -o eth1+ -p tcp -m tcp --sport 1234",
        ];
        let mut packets = Vec::new();
        for (n, ct) in [None, Some((CtState::New, 0)), Some((CtState::New, 32)), Some((CtState::Established, 0))]
            .into_iter()
            .enumerate()
        {
            for kind in 0..5 {
                let mut b = match kind {
                    3 => TestPacket::udp([10, 0, 0, 1], [10, 0, 0, 2], 1234, 5),
                    _ => TestPacket::tcp([10, 0, 0, 1], [10, 0, 0, 2], 1234, 80, 0x02),
                };
                match kind {
                    // A fragment, a header cut short, options missing.
                    1 => b[7] = 100,
                    2 => b.truncate(30),
                    4 => b[32] = 15 << 4,
                    _ => {}
                }
                let mut p = TestPacket::new(b, Hook::Forward);
                (p.iif, p.oif, p.mark) = ("eth0".into(), "eth10".into(), n as u32 % 2);
                p.ct = ct.map(|(state, status)| CtFacts { state, status, ..CtFacts::default() });
                packets.push(p);
            }
        }
        for rule in rules {
            // Past the rules walked before any lookup ([`HEAD_RULES`]).
            let filler = |i: usize| format!("-A FORWARD -s 192.0.2.{i} -j ACCEPT\n");
            let mut text = String::from("*filter\n:FORWARD DROP [0:0]\n");
            (0..HEAD_RULES).for_each(|i| text.push_str(&filler(i)));
            text.push_str(&format!("-A FORWARD {rule} -j ACCEPT\n"));
            (HEAD_RULES..MIN_RULES + 2).for_each(|i| text.push_str(&filler(i)));
            same_everywhere(&(text + "COMMIT\n"), &packets).map_err(|e| format!("{rule}: {e}")).unwrap();
        }
    }

    #[test]
    fn limit_before_the_port_match_keeps_the_rule_a_candidate() {
        let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for i in 0..20 {
            text.push_str(&format!("-A FORWARD -p tcp -m tcp --dport {}\n", 100 + i));
        }
        text.push_str("-A FORWARD -p tcp -m limit --limit 1/hour --limit-burst 1 -m tcp --dport 9\n");
        text.push_str("-A FORWARD -p tcp -m limit --limit 1/hour --limit-burst 1 -m tcp --dport 80 -j DROP\nCOMMIT\n");
        let mut rs = load(&text, "t").unwrap();
        let mut p = TestPacket::new(TestPacket::tcp([1; 4], [2; 4], 1, 80, 2), Hook::Forward);
        // The first limit spends its one token on this packet even though
        // its rule's port does not match; the second rule then still drops.
        assert_eq!(rs.traverse(Table::Filter, Hook::Forward, &mut p).0, Decision::Drop);
        p.bytes = TestPacket::tcp([1; 4], [2; 4], 1, 9, 2);
        assert_eq!(rs.traverse(Table::Filter, Hook::Forward, &mut p).0, Decision::Accept);
        let c = &rs.table(Table::Filter).unwrap().chain("FORWARD").unwrap().rules;
        assert_eq!((c[20].counters.packets, c[21].counters.packets), (0, 1));
    }

    #[test]
    fn a_change_through_the_model_is_seen_by_the_next_packet() {
        let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for i in 0..20 {
            text.push_str(&format!("-A FORWARD -s 10.0.{i}.0/24 -j DROP\n"));
        }
        let mut rs: Ruleset = load(&(text + "COMMIT\n"), "t").unwrap();
        let mut p = TestPacket::new(TestPacket::tcp([10, 0, 99, 1], [2; 4], 1, 80, 2), Hook::Forward);
        assert_eq!(rs.traverse(Table::Filter, Hook::Forward, &mut p).0, Decision::Accept);
        let argv: Vec<String> = "-R FORWARD 3 -s 10.0.99.0/24 -j DROP".split(' ').map(String::from).collect();
        rs.apply_argv(&argv).unwrap();
        // FORWARD is the table's second chain (index 1).
        assert_eq!(rs.traverse(Table::Filter, Hook::Forward, &mut p), (Decision::Drop, Some((1, 3))));
        // A rule pushed behind the model's back changes the count: rebuilt too.
        let mut r = rs.table(Table::Filter).unwrap().chain("FORWARD").unwrap().rules[2].clone();
        r.src.addr = "10.0.77.0".parse().unwrap();
        rs.tables[0].chains[1].rules.push(r);
        p.bytes = TestPacket::tcp([10, 0, 77, 1], [2; 4], 1, 80, 2);
        assert_eq!(rs.traverse(Table::Filter, Hook::Forward, &mut p), (Decision::Drop, Some((1, 21))));
    }
}
