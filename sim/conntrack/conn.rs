//! One connection: the compact entry the slab holds (the kernel's `nf_conn`).
//!
//! An entry is 64 bytes: both tuples (13 bytes each), the two chain links
//! (the kernel's two `tuplehash` nodes), the expiry in jiffies and the two
//! links of its expiry list, status bits, zone, mark, one word and one byte
//! of protocol state.
//! Everything a rule may ask about a connection is here or derived from
//! here; accounting counters live beside the table and exist only when
//! `nf_conntrack_acct` was on at creation, as the kernel's extension does;
//! so do TCP's window data (56 bytes, TCP entries only), which the protocol
//! word indexes.
//!
//! Timeouts are jiffies (HZ = 250) in a wrapping `u32`, compared the way the
//! kernel compares them (`(s32)(timeout - now) <= 0` means expired). While
//! the entry is unconfirmed `timeout` holds the relative timeout; confirmation
//! turns it into an absolute one (reference §3).

use super::tuple::Tuple;

/// [`crate::kernel::HZ`], in the width of the entries' jiffies stamps.
pub const HZ: u32 = crate::kernel::HZ as u32;

/// Direction of a packet relative to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CtDir {
    /// The direction of the packet that created the entry.
    Original = 0,
    /// The answering direction.
    Reply = 1,
}

impl CtDir {
    /// The other direction.
    pub fn other(self) -> CtDir {
        match self {
            CtDir::Original => CtDir::Reply,
            CtDir::Reply => CtDir::Original,
        }
    }
}

/// `enum ip_conntrack_info`: what the packet is to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CtInfo {
    /// Original direction after a reply was seen (`IP_CT_ESTABLISHED`, 0).
    Established = 0,
    /// Original direction of an expected connection, or an ICMP error about
    /// one in the original direction (`IP_CT_RELATED`, 1).
    Related = 1,
    /// Original direction, no reply yet (`IP_CT_NEW`, 2).
    New = 2,
    /// Reply direction (`IP_CT_ESTABLISHED_REPLY`, 3).
    EstablishedReply = 3,
    /// ICMP error about a connection, in its reply direction (`IP_CT_RELATED_REPLY`, 4).
    RelatedReply = 4,
    /// No entry: the packet is INVALID to `-m state`.
    Invalid = 5,
    /// `CT --notrack`/NOTRACK (`IP_CT_UNTRACKED`, 7).
    Untracked = 7,
}

impl CtInfo {
    /// The direction a tracked packet travels in.
    pub fn dir(self) -> CtDir {
        match self {
            CtInfo::EstablishedReply | CtInfo::RelatedReply => CtDir::Reply,
            _ => CtDir::Original,
        }
    }

    /// The `-m state`/`--ctstate` bit (reference §2): INVALID 1, ESTABLISHED 2,
    /// RELATED 4, NEW 8, UNTRACKED (state match) 64.
    pub fn state_bit(self) -> u32 {
        match self {
            CtInfo::Invalid => 1,
            CtInfo::Untracked => 1 << 6,
            tracked => 1 << ((tracked as u32 % 3) + 1),
        }
    }
}

/// Status bits (`enum ip_conntrack_status`), as `u16` flags.
pub mod status {
    /// Created from an expectation.
    pub const EXPECTED: u16 = 1 << 0;
    /// A packet in the reply direction was accepted.
    pub const SEEN_REPLY: u16 = 1 << 1;
    /// Protected from early drop.
    pub const ASSURED: u16 = 1 << 2;
    /// In the hash table.
    pub const CONFIRMED: u16 = 1 << 3;
    /// Source NAT applied.
    pub const SRC_NAT: u16 = 1 << 4;
    /// Destination NAT applied.
    pub const DST_NAT: u16 = 1 << 5;
    /// A NAT helper changed payload length.
    pub const SEQ_ADJUST: u16 = 1 << 6;
    /// SNAT decision taken.
    pub const SRC_NAT_DONE: u16 = 1 << 7;
    /// DNAT decision taken.
    pub const DST_NAT_DONE: u16 = 1 << 8;
    /// Being destroyed.
    pub const DYING: u16 = 1 << 9;
    /// The timeout is never refreshed.
    pub const FIXED_TIMEOUT: u16 = 1 << 10;
    /// A CT-target template.
    pub const TEMPLATE: u16 = 1 << 11;
    /// Reused by 6.x as NAT_CLASH (a clash-resolved reply-only entry).
    pub const NAT_CLASH: u16 = 1 << 12;
    /// Helper attached explicitly.
    pub const HELPER: u16 = 1 << 13;
    /// Offloaded to a flowtable.
    pub const OFFLOAD: u16 = 1 << 14;
    /// Offloaded to hardware.
    pub const HW_OFFLOAD: u16 = 1 << 15;
    /// Both NAT decisions (`IPS_NAT_DONE_MASK`).
    pub const NAT_DONE_MASK: u16 = SRC_NAT_DONE | DST_NAT_DONE;
}

/// A link in a bucket chain: `slot << 1 | dir`, or [`NIL`].
pub type Node = u32;

/// The end of a chain.
pub const NIL: Node = u32::MAX;

/// One connection entry.
///
/// Aligned to its size, so an entry is one cache line: a chain walk or an
/// expiry-list unlink that meets a cold entry pays one miss, not two (a
/// chunk's heap block starts 16 bytes into a line, which left every entry
/// straddling two).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(align(64))]
pub struct Conn {
    /// ORIGINAL and REPLY tuples.
    pub(crate) tuple: [Tuple; 2],
    /// Next node in the chain of each direction's bucket; for a free slot,
    /// `next[0]` links the free list; for an unconfirmed entry (in no
    /// chain) each direction's bucket once worked out, else [`NIL`] (see
    /// [`Conn::known_bucket`]).
    pub(crate) next: [Node; 2],
    /// Expiry in jiffies (absolute once confirmed, relative before).
    pub(crate) timeout: u32,
    /// Links in the expiry wheel's list (`prev`, `next`; see
    /// [`super::timer`]): a confirmed entry is in exactly one list.
    pub(crate) timer: [u32; 2],
    /// Bumped each time the slot is allocated and each time it is freed:
    /// odd exactly while the slot holds a live entry. So a reference's
    /// generation (odd: taken from a live entry) matches the slot's only
    /// while that same entry lives, and one compare says both.
    pub(crate) generation: u32,
    /// Connection mark.
    pub(crate) mark: u32,
    /// Protocol state: UDP's stream deadline (jiffies), ICMP's original
    /// type, TCP's index into the table's window data.
    pub(crate) proto: u32,
    /// Status bits ([`status`]).
    pub(crate) status: u16,
    /// Conntrack zone.
    pub(crate) zone: u16,
    /// The TCP state (`TcpState` number, low 5 bits), and the [`ACCT`] and
    /// [`LIVE`] flags: one byte, so the entry packs into 64.
    bits: u8,
    /// The helper attached ([`super::helper::Helper`] as a byte; 0: none).
    /// Its data lives beside the table, for these entries only.
    pub(crate) helper: u8,
}

/// [`Conn`]'s flag: accounting counters exist for this entry
/// (`nf_conntrack_acct` at creation).
const ACCT: u8 = 1 << 6;
/// [`Conn`]'s flag: the slot holds a live entry.
const LIVE: u8 = 1 << 7;
/// [`Conn`]'s bits holding the TCP state.
const L4_STATE: u8 = 0x1f;

/// A free slot: no entry (what the slab fills new room with).
impl Default for Conn {
    fn default() -> Conn {
        let mut c = Conn::new(Tuple::default(), Tuple::default(), 0, 0);
        c.bits = 0;
        c
    }
}

impl Conn {
    /// A fresh, unconfirmed entry.
    pub(crate) fn new(orig: Tuple, reply: Tuple, zone: u16, generation: u32) -> Conn {
        Conn {
            tuple: [orig, reply],
            next: [NIL, NIL],
            timeout: 0,
            timer: [NIL, NIL],
            generation,
            mark: 0,
            proto: 0,
            status: 0,
            zone,
            bits: LIVE,
            helper: 0,
        }
    }

    /// The slot holds a live entry.
    #[inline]
    pub(crate) fn live(&self) -> bool {
        self.bits & LIVE != 0
    }

    /// Marks the slot free (and drops the accounting flag with it).
    pub(crate) fn set_dead(&mut self) {
        self.bits &= !(LIVE | ACCT);
    }

    /// Accounting counters exist for this entry.
    #[inline]
    pub(crate) fn acct(&self) -> bool {
        self.bits & ACCT != 0
    }

    /// Says whether accounting counters exist for this entry.
    pub(crate) fn set_acct(&mut self, on: bool) {
        self.bits = if on { self.bits | ACCT } else { self.bits & !ACCT };
    }

    /// The protocol state byte: the TCP state (`TcpState` number).
    #[inline]
    pub(crate) fn l4_state(&self) -> u8 {
        self.bits & L4_STATE
    }

    /// Sets the protocol state byte (at most 31).
    pub(crate) fn set_l4_state(&mut self, state: u8) {
        debug_assert!(state <= L4_STATE, "TCP state {state} does not fit");
        self.bits = (self.bits & !L4_STATE) | (state & L4_STATE);
    }

    /// The tuple of direction `dir`.
    pub fn tuple(&self, dir: CtDir) -> &Tuple {
        &self.tuple[dir as usize]
    }

    /// The ORIGINAL tuple.
    pub fn orig(&self) -> &Tuple {
        &self.tuple[0]
    }

    /// The REPLY tuple.
    pub fn reply(&self) -> &Tuple {
        &self.tuple[1]
    }

    /// Layer-4 protocol number.
    pub fn proto_num(&self) -> u8 {
        self.tuple[0].proto
    }

    /// Status bits ([`status`]).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// True if every bit of `bits` is set.
    pub fn has(&self, bits: u16) -> bool {
        self.status & bits == bits
    }

    /// Connection mark.
    pub fn mark(&self) -> u32 {
        self.mark
    }

    /// Conntrack zone.
    pub fn zone(&self) -> u16 {
        self.zone
    }

    /// In the hash table (findable by other packets).
    pub fn is_confirmed(&self) -> bool {
        self.has(status::CONFIRMED)
    }

    /// The bucket of the `dir` tuple of an unconfirmed entry, if its lookup
    /// or NAT's check already hashed that tuple: confirmation links into
    /// it without hashing again. Such an entry is in no chain, so its
    /// links are free to hold these; whoever changes a tuple or the bucket
    /// count forgets them.
    #[inline]
    pub(crate) fn known_bucket(&self, dir: CtDir) -> Option<u32> {
        let b = self.next[dir as usize];
        (!self.is_confirmed() && b != NIL).then_some(b)
    }

    /// Records the bucket of the `dir` tuple of an unconfirmed entry.
    #[inline]
    pub(crate) fn know_bucket(&mut self, dir: CtDir, bucket: u32) {
        debug_assert!(!self.is_confirmed(), "a confirmed entry's links are its chains");
        self.next[dir as usize] = bucket;
    }

    /// The helper attached, if any.
    pub fn helper(&self) -> Option<super::helper::Helper> {
        super::helper::Helper::from_u8(self.helper)
    }

    /// The TCP state (TCP entries only).
    pub fn tcp_state(&self) -> super::proto::tcp::TcpState {
        super::proto::tcp::TcpState::from_u8(self.l4_state())
    }

    /// The expiry has passed at `now` (jiffies): `(s32)(timeout - now) <= 0`.
    /// An unconfirmed entry never expires (its timer has not started).
    pub fn is_expired(&self, now: u32) -> bool {
        self.is_confirmed() && (self.timeout.wrapping_sub(now) as i32) <= 0
    }

    /// Jiffies left before expiry (`nf_ct_expires`): zero when expired, and
    /// zero for an unconfirmed entry, whose timeout is still relative.
    pub fn expires_jiffies(&self, now: u32) -> u32 {
        if !self.is_confirmed() {
            return 0;
        }
        (self.timeout.wrapping_sub(now) as i32).max(0) as u32
    }

    /// Whole seconds left, as /proc and conntrack print them.
    pub fn expires_secs(&self, now: u32) -> u32 {
        self.expires_jiffies(now) / HZ
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn state_bits_match_xt_state() {
        assert_eq!(CtInfo::Invalid.state_bit(), 1);
        assert_eq!(CtInfo::Established.state_bit(), 2);
        assert_eq!(CtInfo::EstablishedReply.state_bit(), 2);
        assert_eq!(CtInfo::Related.state_bit(), 4);
        assert_eq!(CtInfo::RelatedReply.state_bit(), 4);
        assert_eq!(CtInfo::New.state_bit(), 8);
        assert_eq!(CtInfo::Untracked.state_bit(), 64);
    }

    #[test]
    fn reply_infos_travel_in_the_reply_direction() {
        assert_eq!(CtInfo::EstablishedReply.dir(), CtDir::Reply);
        assert_eq!(CtInfo::RelatedReply.dir(), CtDir::Reply);
        assert_eq!(CtInfo::New.dir(), CtDir::Original);
        assert_eq!(CtDir::Reply.other(), CtDir::Original);
    }

    #[test]
    fn entry_is_small() {
        assert_eq!(std::mem::size_of::<Conn>(), 64, "packed tuples, flags in the state byte");
    }

    #[test]
    fn expiry_compares_with_wraparound_like_the_kernel() {
        let t = Tuple::default();
        let mut c = Conn::new(t, t, 0, 0);
        c.timeout = 10;
        assert!(!c.is_expired(5), "unconfirmed entries never expire");
        c.status |= status::CONFIRMED;
        assert!(!c.is_expired(9));
        assert!(c.is_expired(10), "expiry at exactly now counts as expired");
        c.timeout = 5; // wrapped past u32::MAX
        assert!(!c.is_expired(u32::MAX - 3));
        assert_eq!(c.expires_jiffies(u32::MAX - 3), 9);
        assert_eq!(c.expires_jiffies(7), 0);
    }
}
