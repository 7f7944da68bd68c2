//! The per-packet algorithm (`nf_conntrack_in`) and confirmation
//! (`__nf_conntrack_confirm`), reference §3, §5 and §6.
//!
//! `in_hook`, in order: parse L3 (failure: `invalid`); ICMP outer checks
//! (failure: `error`) and, for an ICMP error, the RELATED lookup through the
//! quoted packet's inverted tuple, which never creates; the tuple (failure:
//! `invalid`); lookup, or allocation of an unconfirmed entry (an uninvertible
//! tuple: `invalid`; over `nf_conntrack_max`: early drop, else the table-full
//! drop); classification; the tracker (refusal: the new entry is freed,
//! `invalid`, and `drop` if it asked to drop; TCP's request to repeat: the
//! closed entry is deleted and the lookup runs again, creating a fresh
//! entry, as the kernel's NF_REPEAT does); refresh; SEEN_REPLY. Messages
//! for `nf_conntrack_log_invalid` travel in the verdict, accepted or not.

use super::conn::{Conn, CtDir, CtInfo, status};
use super::proto::icmp::{self, ErrorKind};
use super::proto::log::{InvalidLog, LogMsg};
use super::proto::{self, L4Verdict, PacketCtx, tcp};
use super::table::{Acct, Table};
use super::tuple::{self, L3, Tuple, proto_num};
use super::{Conntrack, CtRef, CtVerdict, Expected};
use crate::engine::Instant;
use crate::kernel::{Sysctl, Sysctls};

/// Why confirmation refused the packet (the caller drops it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmError {
    /// An entry with the same tuple is already in the table and the clash
    /// could not be resolved (`insert_failed`, `drop`).
    InsertFailed,
    /// A bucket chain is longer than this confirmation's random limit
    /// (`chaintoolong`, `insert_failed`).
    ChainTooLong,
}

/// The least chain length a confirmation refuses beyond (`MIN_CHAINLEN`).
const MIN_CHAINLEN: usize = 50;

/// How many more the random limit may add (`MAX_CHAINLEN`, exclusive).
const MAX_CHAINLEN: u32 = 30;

/// This confirmation's chain-length limit (`MIN_CHAINLEN +
/// get_random_u32_below(MAX_CHAINLEN)`), drawn after the `owed` limits of
/// the confirmations that did not need theirs.
#[cold]
fn draw_chainlen(rng: &mut crate::engine::Rng, owed: &mut u64) -> usize {
    let mut limit = MIN_CHAINLEN;
    for _ in 0..*owed {
        limit = MIN_CHAINLEN + rng.below(MAX_CHAINLEN) as usize;
    }
    *owed = 0;
    limit
}

/// How allocation of a new entry failed.
enum InitError {
    /// The tuple has no inverse (`init_conntrack` returns NULL).
    Uninvertible,
    /// Over `nf_conntrack_max` and early drop freed nothing.
    TableFull,
}

impl Conntrack {
    /// Conntrack at PREROUTING (`hook_is_output` false) or OUTPUT for the
    /// IPv4 datagram `pkt` in `zone` at `now`.
    pub fn in_hook(
        &mut self,
        pkt: &[u8],
        hook_is_output: bool,
        zone: u16,
        now: Instant,
        sysctls: &Sysctls,
    ) -> CtVerdict {
        self.clock(now);
        let mut log = InvalidLog::default();
        let Ok(l3) = tuple::parse_l3(pkt) else {
            self.stats.invalid += 1;
            return CtVerdict::invalid(log);
        };
        let ip = &pkt[..l3.len];
        let l4 = &ip[l3.l4_off..];
        if l3.proto == proto_num::ICMP {
            match icmp::error_kind(ip, l4, !hook_is_output, sysctls) {
                ErrorKind::Refused(msg) => {
                    self.stats.error += 1;
                    log.push(sysctls, proto_num::ICMP, LogMsg::Text(msg));
                    return CtVerdict::invalid(log);
                }
                ErrorKind::Error => return self.icmp_error(ip, &l3, zone, sysctls),
                ErrorKind::NotError => {}
            }
        }
        let profile = sysctls.profile();
        // 2.4 left multicast alone (FAQ 3.1): no entry, INVALID to rules.
        if !profile.tracks_multicast() && std::net::Ipv4Addr::from(l3.dst).is_multicast() {
            return CtVerdict::invalid(log);
        }
        let mut t = Tuple { src: l3.src, dst: l3.dst, sport: 0, dport: 0, proto: l3.proto };
        if !proto::pkt_to_tuple(l3.proto, l4, &mut t) {
            self.stats.invalid += 1;
            return CtVerdict::invalid(log);
        }
        let mut warn = None;
        // At most two passes: a TCP SYN reopening a closed connection kills
        // its entry and is looked up again, which then creates a new one.
        for _pass in 0..2 {
            let mut expected = None;
            let full = self.max != 0 && self.table.count() >= self.max;
            // The tuple is hashed once: a miss hands its bucket on to early
            // drop and, through the new entry, to confirmation.
            let (slot, dir, created) = match self.table.find_or_bucket(&t, zone) {
                Ok((slot, dir)) => (slot, dir, false),
                Err(bucket) => match self.init(t, zone, bucket, sysctls) {
                    Ok((slot, exp)) => {
                        expected = exp;
                        if full && profile.table_full_warns_always() {
                            warn = Some(profile.table_full_message(self.max, self.netns));
                        }
                        (slot, CtDir::Original, true)
                    }
                    Err(InitError::Uninvertible) => {
                        self.stats.invalid += 1;
                        return CtVerdict::invalid(log);
                    }
                    Err(InitError::TableFull) => {
                        let drop = profile.table_full_drops();
                        self.stats.drop += u32::from(drop);
                        self.stats.invalid += u32::from(!drop);
                        let line = profile.table_full_message(self.max, self.netns);
                        return CtVerdict { drop, log: Some(line), ..CtVerdict::invalid(log) };
                    }
                },
            };
            let info = classify(self.table.conn(slot), dir);
            let status = self.table.conn(slot).status;
            let ctx = PacketCtx {
                ip,
                l4,
                info,
                status,
                prerouting: !hook_is_output,
                now: self.table.now32(),
                sysctls,
                seqadj: if status & status::SEQ_ADJUST != 0 {
                    self.table.help.get(&slot).map(|h| h.seqadj)
                } else {
                    None
                },
            };
            match self.track(slot, l3.proto, &ctx, &mut log) {
                L4Verdict::Accept { timeout_secs, set_status } => {
                    let c = self.table.conn_mut(slot);
                    c.status |= set_status;
                    if c.status & status::FIXED_TIMEOUT == 0 {
                        self.table.refresh(slot, Table::secs_to_jiffies(timeout_secs));
                    }
                    self.account(slot, dir, l3.len);
                }
                L4Verdict::AcceptUnrefreshed => {}
                L4Verdict::AcceptKill => {
                    // Expired now: the next walk or timer reaps it, while the
                    // packet itself keeps its (dying) entry, as in the kernel.
                    self.account(slot, dir, l3.len);
                    self.table.refresh(slot, 0);
                }
                L4Verdict::Repeat => {
                    self.table.delete(slot);
                    continue;
                }
                refusal => {
                    if let L4Verdict::InvalidExpireIn(jiffies) = refusal {
                        self.table.refresh(slot, jiffies);
                    }
                    if created {
                        self.table.free(slot);
                    }
                    self.stats.invalid += 1;
                    let drop = matches!(refusal, L4Verdict::Drop(_));
                    self.stats.drop += u32::from(drop);
                    return CtVerdict { drop, ..CtVerdict::invalid(log) };
                }
            }
            let c = self.table.conn_mut(slot);
            if info == CtInfo::EstablishedReply {
                c.status |= status::SEEN_REPLY;
            }
            let ct = CtRef { slot, generation: c.generation, info };
            return CtVerdict { ct: Some(ct), info, drop: false, log: warn, invalid_log: log, expected };
        }
        unreachable!("a repeated lookup creates a fresh entry, which never asks to repeat")
    }

    /// Runs the protocol's tracker on the entry in `slot`; a refusal's
    /// message goes to `log`.
    fn track(&mut self, slot: u32, l4proto: u8, ctx: &PacketCtx<'_>, log: &mut InvalidLog) -> L4Verdict {
        if l4proto == proto_num::TCP {
            let expires = self.table.conn(slot).expires_jiffies(ctx.now);
            let (c, t) = self.table.tcp_parts(slot);
            // The window data is read after the segment's checks (its
            // checksum a pass over the payload): load it meanwhile.
            super::slab::prefetch(&*t);
            let mut state = c.l4_state();
            let v = tcp::packet(ctx, t, &mut state, expires, log);
            c.set_l4_state(state);
            return v;
        }
        let mut word = self.table.conn(slot).proto;
        let v = proto::tracker(l4proto).packet(ctx, &mut word);
        match v {
            L4Verdict::Accept { .. } => self.table.conn_mut(slot).proto = word,
            L4Verdict::Invalid(m) | L4Verdict::Drop(m) if !m.is_empty() => {
                log.push(ctx.sysctls, l4proto, LogMsg::Text(m));
            }
            _ => {}
        }
        v
    }

    /// Allocates an unconfirmed entry for `t` (`init_conntrack` and
    /// `__nf_conntrack_alloc`), making room by early drop (from the tuple's
    /// `bucket`) when over the limit.
    fn init(
        &mut self,
        t: Tuple,
        zone: u16,
        bucket: u32,
        sysctls: &Sysctls,
    ) -> Result<(u32, Option<Expected>), InitError> {
        // No tracker inverts differently from the tuple's own rule (the
        // trait's default): no call through the tracker table.
        let reply = t.invert().ok_or(InitError::Uninvertible)?;
        if self.max != 0 && self.table.count() + 1 > self.max {
            let drops = if sysctls.profile().early_drop_round_robin() {
                // A chain in turn, else the new entry's own chain.
                let n = self.table.buckets();
                if self.drop_next >= n {
                    self.drop_next = 0;
                }
                let next = self.drop_next;
                self.drop_next += 1;
                u32::from(self.table.early_drop_one(next) || self.table.early_drop_one(bucket))
            } else {
                // The lookup's miss has just walked (and reaped) `bucket`.
                self.table.early_drop_reaped(bucket)
            };
            if drops == 0 {
                return Err(InitError::TableFull);
            }
            self.stats.early_drop += drops;
        }
        let mut c = Conn::new(t, reply, zone, 0);
        if t.proto == proto_num::ICMP {
            c.proto = u32::from(t.icmp_type());
        }
        c.set_acct(sysctls.enabled(Sysctl::NfConntrackAcct));
        // "We've been expecting you": only when expectations exist at all.
        let expected = if self.table.expect.count() != 0 { self.take_expectation(&t, zone) } else { None };
        if let Some(x) = expected {
            c.status |= status::EXPECTED;
            c.mark = self.get(x.master).mark;
        }
        c.know_bucket(CtDir::Original, bucket);
        let slot = self.table.alloc(c);
        self.work.created += 1;
        if self.table.conn(slot).acct() {
            self.table.acct.insert(slot, Acct::default());
        }
        if let Some(x) = expected {
            self.table.masters.insert(slot, (x.master.slot(), x.master.generation));
        }
        Ok((slot, expected))
    }

    /// Adds one packet of `len` bytes to the entry's counters, if it has them.
    fn account(&mut self, slot: u32, dir: CtDir, len: usize) {
        if self.table.conn(slot).acct()
            && let Some(a) = self.table.acct.get_mut(&slot)
        {
            a.packets[dir as usize] += 1;
            a.bytes[dir as usize] += len as u64;
        }
    }

    /// An ICMP error: RELATED to the entry of the quoted packet, or INVALID
    /// (`error`); never creates, refreshes or sets SEEN_REPLY.
    fn icmp_error(&mut self, ip: &[u8], outer: &L3, zone: u16, sysctls: &Sysctls) -> CtVerdict {
        let quoted = &ip[outer.l4_off + 8..];
        let found = tuple::from_packet(quoted)
            .ok()
            .and_then(|(t, _)| proto::tracker(t.proto).invert(&t))
            .and_then(|inner| self.table.find(&inner, zone));
        let mut log = InvalidLog::default();
        let Some((slot, dir)) = found else {
            self.stats.error += 1;
            return CtVerdict::invalid(log);
        };
        let c = self.table.conn(slot);
        let ct_daddr = c.tuple(dir).dst;
        if ct_daddr != outer.dst {
            self.stats.error += 1;
            let msg = LogMsg::OuterDaddr { outer: outer.dst.to_be_bytes(), inner: ct_daddr.to_be_bytes() };
            log.push(sysctls, proto_num::ICMP, msg);
            return CtVerdict::invalid(log);
        }
        let info = if dir == CtDir::Reply { CtInfo::RelatedReply } else { CtInfo::Related };
        let ct = CtRef { slot, generation: c.generation, info };
        CtVerdict { ct: Some(ct), info, drop: false, log: None, invalid_log: log, expected: None }
    }

    /// The last hook (`nf_conntrack_confirm`): inserts an unconfirmed entry
    /// into the table. A reference in the reply direction (a REJECT reply
    /// attached as RELATED) or to a confirmed entry passes untouched. On a
    /// clash UDP entries merge into the winner (`clash_resolve`), whose
    /// reference is returned; otherwise the entry is freed and the packet
    /// must be dropped.
    ///
    /// FIXME: the "harder" resolution (a NATed loser inserted by its reply
    /// tuple only, NAT_CLASH, 1 s fixed timeout) is not modelled: such a
    /// clash drops (`insert_failed`, `drop`).
    pub fn confirm(&mut self, ct: CtRef, now: Instant) -> Result<CtRef, ConfirmError> {
        self.clock(now);
        let c = self.get(ct);
        if ct.dir() == CtDir::Reply || c.is_confirmed() {
            if self.table.events.is_some() {
                self.deliver_events(ct.slot, false);
            }
            return Ok(ct);
        }
        // Each tuple is hashed once (by the lookup and NAT's checks, which
        // left their buckets in the entry): the buckets walked here are
        // the ones linked into. The entry is read once, its tuples kept.
        let (zone, tuples) = (c.zone, c.tuple);
        let bucket = |dir: CtDir| c.known_bucket(dir).unwrap_or_else(|| self.table.bucket(&tuples[dir as usize], zone));
        let buckets = [bucket(CtDir::Original), bucket(CtDir::Reply)];
        self.chainlen_owed += 1;
        let mut max_chainlen = None;
        let mut clash = None;
        for dir in [CtDir::Original, CtDir::Reply] {
            let (passed, found) = self.table.scan(buckets[dir as usize], &tuples[dir as usize], zone);
            // The kernel's walk checks the length at each node it passes
            // (`chainlen++ > max_chainlen`, the limit drawn when first
            // needed): the last node passed decides.
            if passed as usize > MIN_CHAINLEN + 1
                && passed as usize - 1
                    > *max_chainlen.get_or_insert_with(|| draw_chainlen(&mut self.rng, &mut self.chainlen_owed))
            {
                self.stats.chaintoolong += 1;
                self.stats.insert_failed += 1;
                self.table.free(ct.slot);
                return Err(ConfirmError::ChainTooLong);
            }
            if found.is_some() {
                clash = found;
                break;
            }
        }
        if let Some(winner) = clash {
            return self.resolve_clash(ct, winner);
        }
        let now32 = self.table.now32();
        let c = self.table.conn_mut(ct.slot);
        c.timeout = now32.wrapping_add(c.timeout);
        c.status |= status::CONFIRMED;
        self.table.link_at(ct.slot, buckets);
        self.work.confirmed += 1;
        if self.table.events.is_some() {
            self.deliver_events(ct.slot, true);
        }
        Ok(ct)
    }

    /// `nf_ct_resolve_clash`: merge the loser into `winner` when the
    /// protocol allows it and the winner is un-NATed or identical.
    fn resolve_clash(&mut self, ct: CtRef, winner: u32) -> Result<CtRef, ConfirmError> {
        let loser = self.get(ct);
        let w = self.table.conn(winner);
        let mergeable = proto::tracker(loser.proto_num()).allow_clash()
            && w.status & status::DYING == 0
            && (w.status & status::NAT_DONE_MASK == 0 || (w.tuple == loser.tuple && w.zone == loser.zone));
        if !mergeable {
            self.stats.drop += 1;
            self.stats.insert_failed += 1;
            self.table.free(ct.slot);
            return Err(ConfirmError::InsertFailed);
        }
        let dir = ct.dir() as usize;
        let loser_bytes = self.table.acct.get(&ct.slot).map(|a| a.bytes[dir]);
        if let (Some(bytes), true) = (loser_bytes, w.acct())
            && let Some(a) = self.table.acct.get_mut(&winner)
        {
            a.packets[dir] += 1;
            a.bytes[dir] += bytes;
        }
        self.table.free(ct.slot);
        self.stats.clash_resolve += 1;
        Ok(CtRef { slot: winner, generation: self.table.conn(winner).generation, info: ct.info })
    }

    /// The packet died before the last hook: free its unconfirmed entry.
    /// A confirmed entry (or a stale reference) is left alone.
    pub fn release_unconfirmed(&mut self, ct: CtRef) {
        if self.is_live(ct) && !self.get(ct).is_confirmed() {
            self.table.free(ct.slot);
        }
    }
}

/// The ctinfo of a packet that found (or created) `c` by its `dir` tuple.
fn classify(c: &Conn, dir: CtDir) -> CtInfo {
    if dir == CtDir::Reply {
        CtInfo::EstablishedReply
    } else if c.has(status::SEEN_REPLY) {
        CtInfo::Established
    } else if c.has(status::EXPECTED) {
        CtInfo::Related
    } else {
        CtInfo::New
    }
}

#[cfg(test)]
mod test {
    use super::super::testutil::{icmp, icmp_error, ms, secs, tcp, udp};
    use super::super::{CtConfig, text};
    use super::*;

    const C: [u8; 4] = [10, 99, 1, 2];
    const S: [u8; 4] = [10, 99, 2, 2];

    fn ct() -> Conntrack {
        Conntrack::new(CtConfig { buckets: 1024, max: 1024, seed: 7, netns: None })
    }

    /// Default sysctls with every protocol's invalid packets logged.
    fn logging() -> Sysctls {
        let mut s = Sysctls::default();
        s.set(Sysctl::NfConntrackLogInvalid, 255).unwrap();
        s
    }

    /// The first message the verdict logs.
    fn reason(v: &CtVerdict) -> Option<String> {
        v.invalid_log.messages().next().map(|m| m.text())
    }

    /// Runs a packet through in_hook and, if it got an entry, confirm.
    fn pass(t: &mut Conntrack, pkt: &[u8], now: Instant, s: &Sysctls) -> CtVerdict {
        let v = t.in_hook(pkt, false, 0, now, s);
        if let Some(r) = v.ct {
            t.confirm(r, now).expect("confirms");
        }
        v
    }

    #[test]
    fn first_packet_is_new_and_invisible_until_confirmed() {
        let (mut t, s) = (ct(), Sysctls::default());
        let v = t.in_hook(&udp(C, S, 5000, 53), false, 0, secs(1), &s);
        assert_eq!(v.info, CtInfo::New);
        assert_eq!(t.count(), 1, "unconfirmed entries count");
        assert_eq!(t.list(secs(1)), "");
        assert!(!t.get(v.ct.unwrap()).is_confirmed());
        t.confirm(v.ct.unwrap(), secs(1)).unwrap();
        assert_eq!(
            t.list(secs(1)),
            "udp      17 30 src=10.99.1.2 dst=10.99.2.2 sport=5000 dport=53 [UNREPLIED] \
             src=10.99.2.2 dst=10.99.1.2 sport=53 dport=5000 mark=0 use=1\n"
        );
        assert_eq!(t.stats().insert, 0, "ordinary confirmation does not count insert (observed)");
    }

    #[test]
    fn ctinfo_follows_direction_and_seen_reply() {
        let (mut t, s) = (ct(), Sysctls::default());
        assert_eq!(pass(&mut t, &udp(C, S, 5000, 53), secs(1), &s).info, CtInfo::New);
        assert_eq!(pass(&mut t, &udp(C, S, 5000, 53), secs(1), &s).info, CtInfo::New, "retransmits stay NEW");
        let v = pass(&mut t, &udp(S, C, 53, 5000), secs(1), &s);
        assert_eq!(v.info, CtInfo::EstablishedReply);
        assert!(t.get(v.ct.unwrap()).has(status::SEEN_REPLY));
        assert_eq!(pass(&mut t, &udp(C, S, 5000, 53), secs(1), &s).info, CtInfo::Established);
        assert_eq!(t.count(), 1);
    }

    #[test]
    fn a_packet_that_dies_before_the_last_hook_leaves_no_entry() {
        let (mut t, s) = (ct(), Sysctls::default());
        let v = t.in_hook(&udp(C, S, 5000, 53), false, 0, secs(1), &s);
        t.release_unconfirmed(v.ct.unwrap());
        assert_eq!(t.count(), 0);
        assert!(!t.is_live(v.ct.unwrap()));
        // A confirmed entry is not released by a later packet's death.
        let v = pass(&mut t, &udp(C, S, 5000, 53), secs(1), &s);
        t.release_unconfirmed(v.ct.unwrap());
        assert_eq!(t.count(), 1);
    }

    #[test]
    fn udp_becomes_a_stream_after_two_seconds_with_a_reply() {
        let (mut t, s) = (ct(), Sysctls::default());
        let r = pass(&mut t, &udp(C, S, 6000, 7000), ms(0), &s).ct.unwrap();
        pass(&mut t, &udp(S, C, 7000, 6000), ms(10), &s);
        pass(&mut t, &udp(C, S, 6000, 7000), ms(1000), &s);
        assert_eq!(t.timeout_secs(r, ms(1000)), 30, "replied but younger than 2 s");
        assert!(!t.get(r).has(status::ASSURED), "not yet a stream: no ASSURED within 2 s (observed on 6.18)");
        pass(&mut t, &udp(C, S, 6000, 7000), ms(2500), &s);
        assert_eq!(t.timeout_secs(r, ms(2500)), 120);
        assert!(t.list(ms(2500)).contains(" [ASSURED] mark=0"));
    }

    #[test]
    fn timeouts_are_read_from_the_sysctls_at_packet_time() {
        let (mut t, mut s) = (ct(), Sysctls::default());
        let r = pass(&mut t, &udp(C, S, 1, 2), secs(0), &s).ct.unwrap();
        s.set(Sysctl::NfConntrackUdpTimeout, 7).unwrap();
        pass(&mut t, &udp(C, S, 1, 2), secs(1), &s);
        assert_eq!(t.timeout_secs(r, secs(1)), 7);
        assert_eq!(t.expire(secs(7)), 0);
        assert_eq!(t.expire(secs(8)), 1);
    }

    #[test]
    fn icmp_echo_creates_and_its_reply_answers() {
        let (mut t, s) = (ct(), Sysctls::default());
        assert_eq!(pass(&mut t, &icmp(C, S, 8, 0, 22103, b"x"), secs(1), &s).info, CtInfo::New);
        assert_eq!(pass(&mut t, &icmp(S, C, 0, 0, 22103, b"x"), secs(1), &s).info, CtInfo::EstablishedReply);
        assert_eq!(
            t.list(secs(2)),
            "icmp     1 29 src=10.99.1.2 dst=10.99.2.2 type=8 code=0 id=22103 \
             src=10.99.2.2 dst=10.99.1.2 type=0 code=0 id=22103 mark=0 use=1\n"
        );
    }

    #[test]
    fn a_stray_echo_reply_is_invalid_and_leaves_nothing() {
        let (mut t, s) = (ct(), logging());
        let v = t.in_hook(&icmp(S, C, 0, 0, 4343, b""), false, 0, secs(1), &s);
        assert_eq!((v.ct, v.info, v.drop, reason(&v)), (None, CtInfo::Invalid, false, None));
        assert_eq!((t.count(), t.stats().invalid, t.stats().error), (0, 1, 0));
    }

    #[test]
    fn an_uninvertible_icmp_type_creates_nothing() {
        let (mut t, s) = (ct(), Sysctls::default());
        let v = t.in_hook(&icmp(S, C, 9, 0, 0, b""), false, 0, secs(1), &s);
        assert_eq!(v.info, CtInfo::Invalid);
        assert_eq!((t.count(), t.stats().invalid), (0, 1));
    }

    #[test]
    fn icmp_errors_are_related_through_the_quoted_packet() {
        let (mut t, s) = (ct(), Sysctls::default());
        let out = udp(C, S, 5000, 53);
        let r = pass(&mut t, &out, secs(0), &s).ct.unwrap();
        let unreach = icmp_error(S, C, 3, 3, &out);
        let v = t.in_hook(&unreach, false, 0, secs(5), &s);
        assert_eq!(v.info, CtInfo::RelatedReply);
        assert_eq!(v.ct.map(|c| c.slot()), Some(r.slot()));
        assert!(!t.get(r).has(status::SEEN_REPLY), "stays [UNREPLIED] (observed)");
        assert_eq!(t.timeout_secs(r, secs(5)), 25, "no refresh");
        // An error about the original direction, from a router on the way.
        let ttl = icmp_error([10, 99, 9, 9], S, 11, 0, &udp(S, C, 53, 5000));
        assert_eq!(t.in_hook(&ttl, false, 0, secs(5), &s).info, CtInfo::Related);
        assert_eq!(t.stats().error, 0);
    }

    #[test]
    fn icmp_errors_about_nothing_or_to_the_wrong_host_count_error() {
        let (mut t, s) = (ct(), logging());
        let out = udp(C, S, 5000, 53);
        pass(&mut t, &out, secs(0), &s);
        let stray = icmp_error(S, C, 3, 3, &udp(C, S, 7777, 8888));
        assert_eq!(t.in_hook(&stray, false, 0, secs(1), &s).info, CtInfo::Invalid);
        let wrong = icmp_error(S, [10, 99, 1, 3], 3, 3, &out);
        let v = t.in_hook(&wrong, false, 0, secs(1), &s);
        assert_eq!(reason(&v).as_deref(), Some("outer daddr 10.99.1.3 != inner 10.99.1.2"));
        assert_eq!((t.stats().error, t.stats().invalid, t.count()), (2, 0, 1));
        let bogus = icmp(C, S, 19, 0, 0, b"");
        assert_eq!(reason(&t.in_hook(&bogus, false, 0, secs(1), &s)).as_deref(), Some("invalid icmp type"));
        assert_eq!(t.stats().error, 3);
    }

    #[test]
    fn zones_separate_identical_tuples() {
        let (mut t, s) = (ct(), Sysctls::default());
        let p = udp(C, S, 1, 2);
        for zone in [0, 5] {
            let v = t.in_hook(&p, false, zone, secs(0), &s);
            assert_eq!(v.info, CtInfo::New);
            t.confirm(v.ct.unwrap(), secs(0)).unwrap();
        }
        assert_eq!(t.count(), 2);
        assert!(t.list_extended(secs(0)).contains("mark=0 zone=5 use=1\n"));
    }

    #[test]
    fn udp_clash_at_confirmation_merges_into_the_winner() {
        let (mut t, s) = (ct(), Sysctls::default());
        let p = udp(C, S, 5000, 53);
        let a = t.in_hook(&p, true, 0, secs(0), &s).ct.unwrap();
        let b = t.in_hook(&p, true, 0, secs(0), &s).ct.unwrap();
        assert_eq!(t.count(), 2, "two unconfirmed entries: neither can find the other");
        assert_eq!(t.confirm(a, secs(0)), Ok(a));
        assert_eq!(t.confirm(b, secs(0)), Ok(a), "the loser's packet continues with the winner");
        assert_eq!((t.count(), t.stats().clash_resolve, t.stats().insert_failed), (1, 1, 0));
    }

    #[test]
    fn tcp_clash_at_confirmation_drops() {
        let (mut t, s) = (ct(), Sysctls::default());
        let p = tcp(C, S, 40000, 80, 0x02);
        let a = t.in_hook(&p, true, 0, secs(0), &s).ct.unwrap();
        let b = t.in_hook(&p, true, 0, secs(0), &s).ct.unwrap();
        t.confirm(a, secs(0)).unwrap();
        assert_eq!(t.confirm(b, secs(0)), Err(ConfirmError::InsertFailed));
        assert_eq!((t.count(), t.stats().insert_failed, t.stats().drop), (1, 1, 1));
    }

    #[test]
    fn reply_direction_references_do_not_confirm() {
        let (mut t, s) = (ct(), Sysctls::default());
        let v = t.in_hook(&udp(C, S, 1, 2), false, 0, secs(0), &s);
        let rst = t.attach_related(v.ct.unwrap());
        assert_eq!(rst.info, CtInfo::RelatedReply);
        assert_eq!(t.confirm(rst, secs(0)), Ok(rst));
        assert!(!t.get(rst).is_confirmed());
    }

    #[test]
    fn a_long_chain_refuses_confirmation() {
        let mut t = Conntrack::new(CtConfig { buckets: 1, max: 0, seed: 1, netns: None });
        let s = Sysctls::default();
        let mut refused = None;
        for port in 1..100u16 {
            let v = t.in_hook(&udp(C, S, port, 9), false, 0, secs(0), &s);
            if let Err(e) = t.confirm(v.ct.unwrap(), secs(0)) {
                refused = Some((port, e));
                break;
            }
        }
        let (port, e) = refused.expect("some confirmation fails");
        assert_eq!(e, ConfirmError::ChainTooLong);
        // Each entry puts two nodes in the one bucket; the limit is 50..79,
        // and a walk fails once it passes limit + 1 nodes.
        assert!((26..=41).contains(&port), "{port}");
        assert_eq!((t.stats().chaintoolong, t.stats().insert_failed, t.stats().drop), (1, 1, 0));
    }

    #[test]
    fn a_full_table_of_assured_entries_drops_with_the_kernels_message() {
        let mut t = Conntrack::new(CtConfig { buckets: 1, max: 2, seed: 1, netns: None });
        let s = Sysctls::default();
        for port in [1, 2] {
            pass(&mut t, &udp(C, S, port, 9), secs(0), &s);
            pass(&mut t, &udp(S, C, 9, port), secs(0), &s);
        }
        // Still going more than 2 s later: streams, ASSURED.
        for port in [1, 2] {
            pass(&mut t, &udp(C, S, port, 9), secs(3), &s);
        }
        let v = t.in_hook(&udp(C, S, 3, 9), false, 0, secs(3), &s);
        assert!(v.drop);
        assert_eq!(v.log.as_deref(), Some("nf_conntrack: nf_conntrack: table full, dropping packet"));
        assert_eq!((t.stats().drop, t.stats().early_drop, t.count()), (1, 0, 2));
        let mut t = Conntrack::new(CtConfig { buckets: 1, max: 1, seed: 1, netns: Some(4026532246) });
        t.in_hook(&udp(C, S, 1, 9), false, 0, secs(0), &s);
        let v = t.in_hook(&udp(C, S, 2, 9), false, 0, secs(0), &s);
        assert_eq!(
            v.log.as_deref(),
            Some("nf_conntrack: nf_conntrack: table full in netns 4026532246, dropping packet"),
            "unconfirmed entries count but cannot be early-dropped (observed wording on 6.18)"
        );
    }

    #[test]
    fn early_drop_evicts_every_unassured_entry_of_the_bucket() {
        let mut t = Conntrack::new(CtConfig { buckets: 1, max: 3, seed: 1, netns: None });
        let s = Sysctls::default();
        for port in 1..=3 {
            pass(&mut t, &udp(C, S, port, 9), secs(0), &s);
        }
        let v = pass(&mut t, &udp(C, S, 4, 9), secs(0), &s);
        assert_eq!((v.info, v.drop), (CtInfo::New, false));
        assert_eq!((t.stats().early_drop, t.count()), (3, 1));
    }

    #[test]
    fn early_drop_under_2_4_evicts_one_entry_the_newest_of_its_chain() {
        let mut t = Conntrack::new(CtConfig { buckets: 1, max: 3, seed: 1, netns: None });
        let mut s = Sysctls::default();
        s.set_profile(crate::kernel::Profile::Linux24);
        let first = pass(&mut t, &udp(C, S, 1, 9), secs(0), &s).ct.unwrap();
        for port in 2..=3 {
            pass(&mut t, &udp(C, S, port, 9), secs(0), &s);
        }
        let v = pass(&mut t, &udp(C, S, 4, 9), secs(0), &s);
        assert_eq!((v.info, v.drop), (CtInfo::New, false));
        assert_eq!((t.stats().early_drop, t.count()), (1, 3), "the table stays full");
        assert!(
            v.log.is_some_and(|l| l.contains("maximum limit of 3 entries exceeded")),
            "2.4 warns even when it made room"
        );
        // The chain is walked from its head: port 3's entry went, the oldest stays.
        let again = pass(&mut t, &udp(C, S, 1, 9), secs(0), &s);
        let same = |c: Option<CtRef>| c.map(|c| (c.slot, c.generation));
        assert_eq!(same(again.ct), same(Some(first)), "port 1's entry is still there");
        assert_eq!(pass(&mut t, &udp(C, S, 3, 9), secs(0), &s).info, CtInfo::New, "port 3's was dropped");
    }

    #[test]
    fn a_lookup_reaps_the_expired_entry_it_meets() {
        let (mut t, s) = (ct(), Sysctls::default());
        let old = pass(&mut t, &udp(C, S, 1, 2), secs(0), &s).ct.unwrap();
        let v = pass(&mut t, &udp(C, S, 1, 2), secs(31), &s);
        assert_eq!(v.info, CtInfo::New, "the old entry expired at 30 s");
        assert!(!t.is_live(old) || v.ct.unwrap().slot() == old.slot());
        assert_eq!(t.count(), 1);
    }

    #[test]
    fn listing_order_is_the_bucket_walk_and_fixed_by_the_seed() {
        let s = Sysctls::default();
        let fill = |seed| {
            let mut t = Conntrack::new(CtConfig { buckets: 64, max: 0, seed, netns: None });
            for port in 1..40 {
                pass(&mut t, &udp(C, S, port, 9), secs(0), &s);
            }
            t.list(secs(0))
        };
        assert_eq!(fill(1), fill(1));
        assert_ne!(fill(1), fill(2));
        assert_eq!(fill(1).lines().count(), 39);
        assert_eq!(
            text::flow_entries_shown(39),
            "conntrack v1.4.7 (conntrack-tools): 39 flow entries have been shown.\n"
        );
    }

    #[test]
    fn facts_carry_what_the_matches_read() {
        let (mut t, mut s) = (ct(), Sysctls::default());
        s.set(Sysctl::NfConntrackAcct, 1).unwrap();
        pass(&mut t, &udp(C, S, 5000, 53), secs(0), &s);
        let v = pass(&mut t, &udp(S, C, 53, 5000), secs(0), &s);
        let r = v.ct.unwrap();
        t.set_mark(r, 0x31);
        let f = t.facts(r, secs(10));
        assert_eq!(f.state, crate::xt::CtState::Established);
        assert!(f.reply_dir);
        assert_eq!((f.proto, f.mark, f.expires_secs), (17, 0x31, 20));
        assert_eq!((f.orig.sport, f.reply.sport), (5000, 53));
        assert_eq!(f.status, u32::from(status::CONFIRMED | status::SEEN_REPLY));
        assert_eq!((f.packets, f.bytes), ([1, 1], [28, 28]));
        assert!(t.proc(secs(10)).contains("packets=1 bytes=28 src=10.99.2.2"));
    }

    #[test]
    fn malformed_l3_is_invalid() {
        let (mut t, s) = (ct(), logging());
        assert_eq!(t.in_hook(&[0x45, 0, 0], false, 0, secs(0), &s).info, CtInfo::Invalid);
        assert_eq!(t.stats().invalid, 1);
        let short = crate::xt::TestPacket::ipv4(C, S, 1, &[8, 0, 0]);
        assert_eq!(reason(&t.in_hook(&short, false, 0, secs(0), &s)).as_deref(), Some("short packet"));
        assert_eq!(t.stats().error, 1);
    }
}
