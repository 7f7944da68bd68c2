//! Connection tracking: the table of connections one box (one netns) keeps,
//! and what each packet does to it (Linux's `nf_conntrack`, reference
//! `conntrack.md` §1–§5).
//!
//! The hook pipeline drives it in the kernel's order:
//! 1. [`Conntrack::in_hook`] at PREROUTING or OUTPUT: take the tuple, find the
//!    entry or create an *unconfirmed* one (counted, not findable), classify
//!    the packet ([`CtInfo`]), run the protocol's tracker, refresh;
//! 2. [`Conntrack::confirm`] at the last hook (POSTROUTING or INPUT): insert
//!    the entry into the table, resolving or refusing a clash;
//!    [`Conntrack::release_unconfirmed`] instead when the packet died first;
//! 3. [`Conntrack::expire`] whenever virtual time moves: due timers only.
//!
//! Sizing: `nf_conntrack_max` and `nf_conntrack_buckets` are global in Linux
//! and fixed here by [`CtConfig`]; the owner applies later writes of those
//! sysctls with [`Conntrack::set_max`] and [`Conntrack::resize`]. Per-netns
//! sysctls (timeouts, `checksum`, `acct`) are read from the [`Sysctls`] passed
//! with each packet, as the kernel reads them at packet time.
//!
//! Files: `tuple` (keys, hash), `conn` (the entry), `table` (slab, buckets,
//! early drop), `slab` (chunked arrays), `timer` (expiry wheel), `proto/` (trackers), `track` (the
//! per-packet algorithm and confirmation), `manip` (what NAT asks of the
//! table), `stats` and `text` (what `conntrack -S`, `conntrack -L` and
//! /proc print), `filter` (the entry filters `-L`, `-D` and `-E` share),
//! `event` (the optional sink of NEW/UPDATE/DESTROY events, `conntrack -E`).

pub mod census;
mod chains;
pub mod conn;
pub mod event;
pub mod expect;
pub mod filter;
pub mod helper;
mod manip;
pub mod origdst;
pub mod proto;
mod related;
pub mod seqadj;
pub mod slab;
pub mod stats;
pub mod table;
#[cfg(test)]
pub(crate) mod testutil;
pub mod text;
pub mod timer;
mod track;
pub mod tuple;

pub use conn::{Conn, CtDir, CtInfo, HZ, status};
pub use proto::log::{InvalidLog, LogMsg};
pub use related::{ExpectOutcome, Expected};
pub use stats::Stats;
pub use track::ConfirmError;
pub use tuple::Tuple;

use crate::engine::{Instant, Rng};
use crate::kernel::{Sysctl, Sysctls, jiffies};
use crate::xt::packet::{CtFacts, CtState, CtTuple};
use table::Table;
use text::Format;

/// Sizing and seed of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtConfig {
    /// Hash buckets (`nf_conntrack_buckets`).
    pub buckets: u32,
    /// Entry limit (`nf_conntrack_max`; 0 = unlimited).
    pub max: u32,
    /// The run's seed: keys the hash and the confirm chain-length limit.
    pub seed: u64,
    /// The netns inode number the table-full message names; `None` for the
    /// initial namespace, whose message names none.
    pub netns: Option<u32>,
}

impl Default for CtConfig {
    /// Linux's defaults on the reference machine (64-bit, 24 GiB: 262144/262144).
    fn default() -> Self {
        CtConfig { buckets: 262_144, max: 262_144, seed: 0, netns: None }
    }
}

impl CtConfig {
    /// Sizing from the box's `nf_conntrack_buckets` and `nf_conntrack_max`.
    pub fn from_sysctls(s: &Sysctls, seed: u64) -> CtConfig {
        CtConfig {
            buckets: s.get(Sysctl::NfConntrackBuckets) as u32,
            max: s.get(Sysctl::NfConntrackMax) as u32,
            seed,
            netns: None,
        }
    }
}

/// A packet's reference to its entry (the kernel's `skb->_nfct`): the slot,
/// the slot's generation (so a stale reference is caught), and the ctinfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CtRef {
    slot: u32,
    generation: u32,
    /// What the packet is to the connection.
    pub info: CtInfo,
}

impl CtRef {
    /// The same entry, seen by a packet with another ctinfo (`nf_ct_attach`
    /// gives a REJECT reply the rejected packet's entry, as RELATED).
    pub fn with_info(self, info: CtInfo) -> CtRef {
        CtRef { info, ..self }
    }

    /// The packet's direction.
    pub fn dir(&self) -> CtDir {
        self.info.dir()
    }

    /// The slab slot (stable while the entry lives).
    pub fn slot(&self) -> u32 {
        self.slot
    }
}

/// What conntrack decided at PREROUTING/OUTPUT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtVerdict {
    /// The entry the packet belongs to; `None` for an INVALID packet.
    pub ct: Option<CtRef>,
    /// The ctinfo (`Invalid` when `ct` is `None`).
    pub info: CtInfo,
    /// Conntrack drops the packet (table full, or a tracker's DROP).
    pub drop: bool,
    /// A kernel log line to print (KERN_WARNING, through `net_ratelimit`,
    /// which the caller applies: the limit is shared by all its users).
    pub log: Option<String>,
    /// What `nf_conntrack_log_invalid` makes the kernel log about the
    /// packet (empty unless the sysctl selects its protocol). An accepted
    /// packet may log too (TCP's ignored segments).
    pub invalid_log: InvalidLog,
    /// The packet's new entry fulfilled an expectation: its master, and
    /// the NAT it must follow.
    pub expected: Option<Expected>,
}

impl CtVerdict {
    fn invalid(log: InvalidLog) -> CtVerdict {
        CtVerdict { ct: None, info: CtInfo::Invalid, drop: false, log: None, invalid_log: log, expected: None }
    }
}

/// One netns's connection tracking.
#[derive(Clone, Debug)]
pub struct Conntrack {
    table: Table,
    max: u32,
    netns: Option<u32>,
    stats: Stats,
    /// Draws the confirm chain-length limit (50..79), as `get_random_u32_below`.
    rng: Rng,
    /// Limits owed to `rng`: every confirmation draws one, but only a chain
    /// longer than the least limit needs its value, so draws are made when
    /// one is needed, the owed ones first (the stream stays the same).
    chainlen_owed: u64,
    /// Entries allocated and entries confirmed so far (benchmarks' figures;
    /// the kernel prints neither).
    work: Work,
    /// 2.4's `drop_next`: the chain its early drop tries first.
    drop_next: u32,
}

/// How many entries a table has made: allocated (a NEW packet's unconfirmed
/// entry) and confirmed (inserted into the hash).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Unconfirmed entries allocated.
    pub created: u64,
    /// Entries confirmed into the table.
    pub confirmed: u64,
}

impl Conntrack {
    /// An empty table.
    pub fn new(config: CtConfig) -> Conntrack {
        Conntrack {
            table: Table::new(config.buckets, tuple::HashKey::from_seed(config.seed)),
            max: config.max,
            netns: config.netns,
            stats: Stats::default(),
            rng: Rng::new(config.seed).fork("conntrack/chainlen"),
            chainlen_owed: 0,
            work: Work::default(),
            drop_next: 0,
        }
    }

    /// Moves the clock to `now` (never backwards).
    fn clock(&mut self, now: Instant) {
        self.table.now_abs = self.table.now_abs.max(jiffies(now));
    }

    /// Runs the timers due at `now`; returns how many entries expired
    /// (expectations that expired are not counted).
    #[inline]
    pub fn expire(&mut self, now: Instant) -> u32 {
        let n = self.table.expire(jiffies(now));
        if self.table.expect.count() != 0 {
            self.expire_expectations();
        }
        n
    }

    /// When the next timer (of an entry or an expectation) is due, if any.
    pub fn next_expiry(&self) -> Option<Instant> {
        let j = match (self.table.timers.next_due(), self.table.expect.next_due()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(crate::kernel::jiffy_start(j))
    }

    /// The entry `ct` refers to.
    ///
    /// # Panics
    /// If the entry was freed since `ct` was handed out (a pipeline bug).
    pub fn get(&self, ct: CtRef) -> &Conn {
        let c = self.table.conn(ct.slot);
        assert!(c.generation == ct.generation, "stale conntrack reference {ct:?}");
        debug_assert!(c.live());
        c
    }

    /// True if `ct` still refers to a live entry (the generation alone
    /// says it: see [`Conn`]'s).
    pub fn is_live(&self, ct: CtRef) -> bool {
        let c = self.table.conn(ct.slot);
        debug_assert!(c.generation != ct.generation || c.live());
        c.generation == ct.generation
    }

    fn get_mut(&mut self, ct: CtRef) -> &mut Conn {
        let c = self.table.conn_mut(ct.slot);
        assert!(c.generation == ct.generation, "stale conntrack reference {ct:?}");
        debug_assert!(c.live());
        c
    }

    /// Sets the connection mark (`CONNMARK --set-mark`).
    pub fn set_mark(&mut self, ct: CtRef, mark: u32) {
        self.get_mut(ct).mark = mark;
    }

    /// ORs status bits in (NAT marks SRC_NAT/DST_NAT and the *_DONE bits).
    pub fn set_status(&mut self, ct: CtRef, bits: u16) {
        self.get_mut(ct).status |= bits;
    }

    /// Whole seconds before the entry expires (0 while unconfirmed).
    pub fn timeout_secs(&self, ct: CtRef, now: Instant) -> u32 {
        self.get(ct).expires_secs(jiffies(now) as u32)
    }

    /// Live entries, unconfirmed included (`nf_conntrack_count`).
    pub fn count(&self) -> u32 {
        self.table.count()
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Entries allocated and confirmed since the table was made.
    pub fn work(&self) -> Work {
        self.work
    }

    /// The entry limit.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// Applies a write of `nf_conntrack_max`.
    pub fn set_max(&mut self, max: u32) {
        self.max = max;
    }

    /// Hash buckets.
    pub fn buckets(&self) -> u32 {
        self.table.buckets()
    }

    /// Applies a write of `nf_conntrack_buckets`: every entry is re-hashed.
    pub fn resize(&mut self, buckets: u32) {
        self.table.resize(buckets);
    }

    /// The reference an ICMP error or RST generated *about* the packet of
    /// `ct` gets (`nf_conntrack_attach`): RELATED in the opposite direction.
    pub fn attach_related(&self, ct: CtRef) -> CtRef {
        let info = if ct.dir() == CtDir::Original { CtInfo::RelatedReply } else { CtInfo::Related };
        CtRef { info, ..ct }
    }

    /// Finds a confirmed entry by tuple (reaping expired ones met), as NAT
    /// and ctnetlink do; the reference carries ESTABLISHED(_REPLY).
    pub fn find(&mut self, t: &Tuple, zone: u16, now: Instant) -> Option<CtRef> {
        self.clock(now);
        let (slot, dir) = self.table.find(t, zone)?;
        let info = if dir == CtDir::Reply { CtInfo::EstablishedReply } else { CtInfo::Established };
        Some(CtRef { slot, generation: self.table.conn(slot).generation, info })
    }

    /// What `-m state`, `-m conntrack`, `-m connmark` ... see of the packet.
    pub fn facts(&self, ct: CtRef, now: Instant) -> CtFacts {
        let c = self.get(ct);
        let acct = if c.acct() { self.table.acct.get(&ct.slot).copied() } else { None };
        let tuple = |t: &Tuple| CtTuple { src: t.src_addr(), dst: t.dst_addr(), sport: t.sport, dport: t.dport };
        CtFacts {
            state: match ct.info {
                CtInfo::New => CtState::New,
                CtInfo::Established | CtInfo::EstablishedReply => CtState::Established,
                CtInfo::Related | CtInfo::RelatedReply => CtState::Related,
                CtInfo::Invalid => CtState::Invalid,
                CtInfo::Untracked => CtState::Untracked,
            },
            proto: c.proto_num(),
            orig: tuple(c.orig()),
            reply: tuple(c.reply()),
            status: u32::from(c.status()),
            expires_secs: c.expires_secs(jiffies(now) as u32),
            reply_dir: ct.dir() == CtDir::Reply,
            mark: c.mark(),
            helper: c.helper().map(|h| h.name()),
            master_helper: if c.has(status::EXPECTED) {
                self.master_of(ct).and_then(|m| self.get(m).helper()).map(|h| h.name())
            } else {
                None
            },
            packets: acct.map_or([0; 2], |a| a.packets),
            bytes: acct.map_or([0; 2], |a| a.bytes),
            ..CtFacts::default()
        }
    }

    /// Lines of every confirmed entry, walking buckets 0..N−1, each entry
    /// once (by its ORIGINAL node); expired entries are reaped first.
    fn lines(&mut self, now: Instant, format: Format) -> String {
        self.expire(now);
        let now32 = self.table.now32();
        let mut out = String::new();
        for b in 0..self.table.buckets() {
            for (slot, dir) in self.table.chain(b) {
                if dir == CtDir::Original {
                    let c = self.table.conn(slot);
                    let acct = if c.acct() { self.table.acct.get(&slot) } else { None };
                    let extra = text::Extra { children: self.children(slot, c.generation) };
                    out.push_str(&text::line(c, now32, acct, format, extra));
                }
            }
        }
        out
    }

    /// `conntrack -L` (stdout; stderr is [`text::flow_entries_shown`]).
    pub fn list(&mut self, now: Instant) -> String {
        self.lines(now, Format::Conntrack)
    }

    /// `conntrack -L -o extended`.
    pub fn list_extended(&mut self, now: Instant) -> String {
        self.lines(now, Format::Extended)
    }

    /// `/proc/net/nf_conntrack`.
    pub fn proc(&mut self, now: Instant) -> String {
        self.lines(now, Format::Proc)
    }

    /// `conntrack -S`.
    pub fn stats_text(&self) -> String {
        self.stats.conntrack_s()
    }

    /// `/proc/net/stat/nf_conntrack`.
    pub fn proc_stat(&self) -> String {
        self.stats.proc_stat(self.count())
    }

    /// Bytes of memory held: slab, bucket index, timers, accounting.
    pub fn memory_bytes(&self) -> usize {
        self.table.bytes()
    }

    /// Entries the expiry clock has met so far (expired, re-linked after a
    /// later refresh, or cascaded to a finer list): the work expiry has done.
    pub fn timer_pops(&self) -> u64 {
        self.table.timers.visits
    }
}
