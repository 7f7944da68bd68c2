//! What NAT asks of the table (the kernel's `nf_conntrack_alter_reply`,
//! `nf_conntrack_tuple_taken`, `nf_ct_kill` and the lookups NAT makes).
//! Additive: nothing here changes how conntrack itself tracks packets.

use super::conn::{Conn, CtDir, CtInfo, status};
use super::tuple::Tuple;
use super::{Conntrack, CtRef};

impl Conntrack {
    /// Replaces the REPLY tuple of an unconfirmed entry (NAT chose a
    /// mapping; replies will look like `reply`). An unconfirmed entry is in
    /// no chain, so nothing needs re-linking.
    ///
    /// # Panics
    /// If the entry is confirmed (a pipeline bug: NAT decides only on the
    /// first packet).
    pub fn alter_reply(&mut self, ct: CtRef, reply: Tuple) {
        let c = self.get_mut(ct);
        assert!(!c.is_confirmed(), "NAT altered a confirmed entry");
        c.tuple[CtDir::Reply as usize] = reply;
        c.next[CtDir::Reply as usize] = super::conn::NIL;
    }

    /// Hashes the REPLY tuple of an unconfirmed entry and starts loading
    /// its chain, which NAT's source check and confirmation walk once the
    /// packet has been routed and filtered: what a DNAT binding calls
    /// (a SNAT binding is made just before confirmation: too late to help).
    pub fn warm_reply(&mut self, ct: CtRef) {
        let b = self.table.bucket_of(ct.slot, CtDir::Reply);
        self.table.conn_mut(ct.slot).know_bucket(CtDir::Reply, b);
        self.table.prefetch_chain(b);
    }

    /// `nf_conntrack_tuple_taken`: is `t` the tuple (either direction) of a
    /// confirmed entry other than `ignored`? An entry whose ORIGINAL tuple is
    /// `ignored`'s own is the same flow seen twice and does not count (the
    /// clash is left to confirmation). A taken tuple counts `found`.
    pub fn tuple_taken(&mut self, t: &Tuple, ignored: CtRef) -> bool {
        let (zone, orig, known) = {
            let c = self.get(ignored);
            (c.zone, *c.orig(), c.known_bucket(CtDir::Reply).filter(|_| c.reply().same(t)))
        };
        // After a DNAT, NAT's source check asks about the entry's own
        // (warmed) reply tuple: its bucket is known.
        let b = known.unwrap_or_else(|| self.table.bucket(t, zone));
        let now = self.table.now32();
        let holds = |table: &super::table::Table, s: u32, d: CtDir| {
            let c = table.conn(s);
            s != ignored.slot && c.zone == zone && c.tuple(d) == t && c.orig() != &orig
        };
        // One walk when the chain holds nothing expired (the common case);
        // else reap first, as the kernel's walk does, and look again.
        let mut expired = false;
        let mut taken = false;
        for (s, d) in self.table.chain(b) {
            if self.table.conn(s).is_expired(now) {
                expired = true;
                break;
            }
            taken = taken || holds(&self.table, s, d);
        }
        if expired {
            self.table.reap_bucket(b);
            taken = self.table.chain(b).any(|(s, d)| holds(&self.table, s, d));
        }
        if taken {
            self.stats.found += 1;
        }
        taken
    }

    /// The confirmed entry holding tuple `t` in `zone`, and in which
    /// direction (`nf_conntrack_find_get`).
    pub fn lookup(&mut self, t: &Tuple, zone: u16) -> Option<(CtRef, CtDir)> {
        let (slot, dir) = self.table.find(t, zone)?;
        let info = if dir == CtDir::Reply { CtInfo::EstablishedReply } else { CtInfo::Established };
        Some((CtRef { slot, generation: self.table.conn(slot).generation, info }, dir))
    }

    /// The live entry in `slot` if it still has `generation`.
    pub fn at(&self, slot: u32, generation: u32) -> Option<CtRef> {
        let c = self.table.slab.get(slot as usize)?;
        (c.live() && c.generation == generation).then_some(CtRef { slot, generation, info: CtInfo::Established })
    }

    /// The entry `ct` refers to's generation (NAT keys its extension by slot
    /// and generation, so a reused slot is recognised).
    pub fn generation(&self, ct: CtRef) -> u32 {
        ct.generation
    }

    /// Removes a confirmed entry now (`nf_ct_kill`): MASQUERADE's interface
    /// changed or went down. An unconfirmed one is left to its packet.
    pub fn kill(&mut self, ct: CtRef) -> bool {
        if !self.is_live(ct) || !self.get(ct).is_confirmed() || self.get(ct).has(status::DYING) {
            return false;
        }
        self.table.delete(ct.slot);
        true
    }

    /// The entry in `ct`, for NAT's reads.
    pub fn conn(&self, ct: CtRef) -> &Conn {
        self.get(ct)
    }
}

#[cfg(test)]
mod test {
    use super::super::testutil::{secs, udp};
    use super::super::{CtConfig, Sysctls};
    use super::*;

    #[test]
    fn taken_sees_both_directions_but_not_the_same_flow() {
        let mut t = Conntrack::new(CtConfig { buckets: 64, max: 0, seed: 1, netns: None });
        let s = Sysctls::default();
        let a = t.in_hook(&udp([10, 0, 0, 1], [10, 0, 0, 2], 1000, 53), false, 0, secs(0), &s).ct.unwrap();
        t.confirm(a, secs(0)).unwrap();
        let b = t.in_hook(&udp([10, 0, 0, 3], [10, 0, 0, 2], 1000, 53), false, 0, secs(0), &s).ct.unwrap();
        let a_reply = *t.conn(a).reply();
        assert!(t.tuple_taken(&a_reply, b));
        let a_orig = *t.conn(a).orig();
        assert!(t.tuple_taken(&a_orig, b));
        let free = Tuple { sport: 999, ..a_reply };
        assert!(!t.tuple_taken(&free, b));
        assert_eq!(t.stats().found, 2);
        // The same flow (identical ORIGINAL) twice: not taken.
        let c = t.in_hook(&udp([10, 0, 0, 1], [10, 0, 0, 2], 1000, 53), false, 0, secs(0), &s).ct.unwrap();
        assert!(!t.tuple_taken(&a_reply, c));
        t.alter_reply(b, free);
        assert_eq!(t.conn(b).reply(), &free);
    }
}
