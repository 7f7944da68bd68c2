//! Connection tracking events, as ctnetlink sends them to `conntrack -E`:
//! `[NEW]` when an entry is confirmed, `[UPDATE]` when what a listener
//! sees of it changed (a reply seen, ASSURED, the TCP state, the mark),
//! `[DESTROY]` when it leaves the table (expiry, early drop, a TCP reopen,
//! `conntrack -D`, `-F`).
//!
//! The sink is optional and off by default: without it the only cost on
//! the packet path is one `Option` check at confirmation and at deletion.
//! What the kernel does and we follow (observed on Linux 6.18 with
//! conntrack-tools 1.4.7):
//!
//! - with `nf_conntrack_events=2` (the default) only entries created while
//!   a listener exists carry the event extension: an entry made before
//!   `conntrack -E` started never reports, not even its destruction;
//! - changes are cached on the entry and delivered when a packet of it
//!   passes confirmation (`nf_ct_deliver_cached_events` in the last hook),
//!   one message per packet: we compare what a listener saw last with the
//!   entry at that point, which gives the same one line per packet;
//! - a refresh of the timer alone is no event;
//! - DESTROY carries the seconds left only when some are (an entry that
//!   expired has none), and a deletion from user space adds
//!   `[USERSPACE] portid=N`, the deleting socket's netlink port.
//!
//! FIXME: `nf_conntrack_events=1` (every entry, listener or not) is treated
//! as 2; helper, sequence-adjustment and label events are not modelled.

use super::conn::{Conn, status};
use super::filter::{Filter, event_mask};
use super::proto;
use super::table::Table;
use super::tuple::proto_num;
use rustc_hash::FxHashMap;
use std::fmt::Write as _;

/// The kind of an event, as conntrack prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// `[NEW]`.
    New,
    /// `[UPDATE]`.
    Update,
    /// `[DESTROY]`.
    Destroy,
}

impl EventType {
    /// The `-e` bit that selects it.
    pub fn mask(self) -> u8 {
        match self {
            EventType::New => event_mask::NEW,
            EventType::Update => event_mask::UPDATE,
            EventType::Destroy => event_mask::DESTROY,
        }
    }
}

/// One event: the entry as it was when the event was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventType,
    /// The entry then.
    pub conn: Conn,
    /// Whole seconds left, when the message carries them.
    pub secs: Option<u32>,
    /// The netlink port of the user-space socket that caused it.
    pub portid: Option<u32>,
}

impl Event {
    /// The line `conntrack -E` prints (without newline): the type right-
    /// aligned in nine columns, then the entry as `-L` shows it, minus
    /// `use=`, with `mark=` only when set.
    pub fn line(&self) -> String {
        let c = &self.conn;
        let tag = match self.kind {
            EventType::New => "[NEW]",
            EventType::Update => "[UPDATE]",
            EventType::Destroy => "[DESTROY]",
        };
        let p = c.proto_num();
        let mut s = format!("{tag:>9} {:<8} {p} ", proto::name(p));
        if let Some(secs) = self.secs {
            let _ = write!(s, "{secs} ");
        }
        if p == proto_num::TCP {
            let _ = write!(s, "{} ", c.tcp_state().name());
        }
        let _ = write!(s, "{}", c.orig());
        if !c.has(status::SEEN_REPLY) {
            s.push_str("[UNREPLIED] ");
        }
        let _ = write!(s, "{}", c.reply());
        if c.has(status::ASSURED) {
            s.push_str("[ASSURED] ");
        }
        if c.mark() != 0 {
            let _ = write!(s, "mark={} ", c.mark());
        }
        if c.zone() != 0 {
            let _ = write!(s, "zone={} ", c.zone());
        }
        if let Some(id) = self.portid {
            let _ = write!(s, "[USERSPACE] portid={id} ");
        }
        s.truncate(s.trim_end().len());
        s
    }

    /// True when `-e` and the entry filters of `f` let it through.
    pub fn passes(&self, f: &Filter) -> bool {
        f.events & self.kind.mask() != 0 && f.matches(&self.conn)
    }
}

/// The event sink of one table.
#[derive(Clone, Debug, Default)]
pub struct Events {
    /// A listener exists: entries confirmed now get the event extension.
    pub listening: bool,
    /// Entries with the extension: slot → (generation, what was last sent).
    reported: FxHashMap<u32, (u32, u64)>,
    /// Events not yet taken by the listener, oldest first.
    pending: Vec<Event>,
    /// Set while user space deletes: its netlink port.
    pub(crate) portid: Option<u32>,
}

/// What a listener sees change: the reply and assured bits, the TCP
/// state, the mark.
fn fingerprint(c: &Conn) -> u64 {
    u64::from(c.status() & (status::SEEN_REPLY | status::ASSURED))
        | u64::from(c.l4_state()) << 16
        | u64::from(c.mark()) << 32
}

impl Table {
    /// The entry in `slot` leaves the table (called by [`Table::delete`]).
    pub(crate) fn note_destroy(&mut self, slot: u32) {
        let now32 = self.now32();
        let Some(ev) = self.events.as_deref_mut() else { return };
        let c = &self.slab[slot as usize];
        if ev.reported.get(&slot).is_none_or(|(g, _)| *g != c.generation) {
            return;
        }
        ev.reported.remove(&slot);
        let secs = Some(c.expires_secs(now32)).filter(|s| *s > 0);
        ev.pending.push(Event { kind: EventType::Destroy, conn: c.clone(), secs, portid: ev.portid });
    }
}

impl super::Conntrack {
    /// A packet of the entry in `slot` passed confirmation (`confirmed`:
    /// this packet confirmed it): deliver what changed.
    pub(crate) fn deliver_events(&mut self, slot: u32, confirmed: bool) {
        let now32 = self.table.now32();
        let Some(ev) = self.table.events.as_deref_mut() else { return };
        let c = &self.table.slab[slot as usize];
        if !c.live() || !c.is_confirmed() {
            return;
        }
        let fp = fingerprint(c);
        let kind = match ev.reported.get_mut(&slot) {
            Some((g, last)) if *g == c.generation => {
                if *last == fp {
                    return;
                }
                *last = fp;
                EventType::Update
            }
            _ if confirmed && ev.listening => {
                ev.reported.insert(slot, (c.generation, fp));
                EventType::New
            }
            _ => return,
        };
        let secs = Some(c.expires_secs(now32));
        ev.pending.push(Event { kind, conn: c.clone(), secs, portid: None });
    }

    /// A packet of `ct`'s entry passed the last hook: send what it changed
    /// (`nf_ct_deliver_cached_events`). Nothing without a sink.
    pub fn deliver_cached_events(&mut self, ct: super::CtRef) {
        if self.table.events.is_some() && self.is_live(ct) {
            self.deliver_events(ct.slot(), false);
        }
    }

    /// Starts or stops listening. The sink, once made, stays: entries that
    /// got the extension keep reporting to a later listener.
    pub fn listen(&mut self, on: bool) {
        if on || self.table.events.is_some() {
            self.table.events.get_or_insert_with(Default::default).listening = on;
        }
    }

    /// True when a listener exists.
    pub fn listening(&self) -> bool {
        self.table.events.as_ref().is_some_and(|e| e.listening)
    }

    /// The events sent since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.table.events.as_deref_mut().map_or_else(Vec::new, |e| std::mem::take(&mut e.pending))
    }

    /// Hands the sink over (to the table that replaces this one).
    pub fn take_event_sink(&mut self) -> Option<Box<Events>> {
        self.table.events.take()
    }

    /// Installs a sink taken from another table (its entries are gone).
    pub fn set_event_sink(&mut self, sink: Option<Box<Events>>) {
        self.table.events = sink.map(|mut s| {
            s.reported.clear();
            s
        });
    }

    /// `conntrack -D`: deletes every confirmed entry `f` matches, in the
    /// order `-L` lists them, by a socket with netlink port `portid`.
    /// Returns each deleted entry's `-L` line.
    pub fn delete_matching(&mut self, f: &Filter, now: crate::engine::Instant, portid: u32) -> Vec<String> {
        self.expire(now);
        let mut victims = Vec::new();
        for b in 0..self.table.buckets() {
            for (slot, dir) in self.table.chain(b) {
                if dir == super::CtDir::Original && f.matches(self.table.conn(slot)) {
                    victims.push(slot);
                }
            }
        }
        let mut lines = Vec::with_capacity(victims.len());
        if let Some(e) = self.table.events.as_deref_mut() {
            e.portid = Some(portid);
        }
        for slot in victims {
            let c = self.table.conn(slot);
            let r = super::CtRef { slot, generation: c.generation, info: super::CtInfo::Established };
            lines.push(self.entry_line(r, now));
            self.table.delete(slot);
        }
        if let Some(e) = self.table.events.as_deref_mut() {
            e.portid = None;
        }
        lines
    }
}

/// What `conntrack -D` prints on stderr after the entries.
pub fn flow_entries_deleted(n: usize) -> String {
    format!("conntrack v1.4.7 (conntrack-tools): {n} flow entries have been deleted.\n")
}

/// What `conntrack -E` prints on stderr when it is stopped.
pub fn flow_events_shown(n: u64) -> String {
    format!("conntrack v1.4.7 (conntrack-tools): {n} flow events have been shown.\n")
}

#[cfg(test)]
mod test {
    use super::super::testutil::{secs, udp};
    use super::super::{Conntrack, CtConfig};
    use super::*;
    use crate::kernel::Sysctls;

    const C: [u8; 4] = [10, 99, 0, 2];
    const S: [u8; 4] = [10, 99, 0, 1];

    fn ct() -> Conntrack {
        Conntrack::new(CtConfig { buckets: 64, max: 0, seed: 3, netns: None })
    }

    fn pass(t: &mut Conntrack, pkt: &[u8], at: crate::engine::Instant) {
        let v = t.in_hook(pkt, false, 0, at, &Sysctls::default());
        if let Some(r) = v.ct {
            t.confirm(r, at).expect("confirms");
        }
    }

    /// A TCP segment with a correct checksum and a window.
    fn tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8, seq: u32, ack: u32) -> Vec<u8> {
        use crate::wire::checksum;
        let mut t = vec![0u8; 20];
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[4..8].copy_from_slice(&seq.to_be_bytes());
        t[8..12].copy_from_slice(&ack.to_be_bytes());
        t[12] = 5 << 4;
        t[13] = flags;
        t[14..16].copy_from_slice(&64240u16.to_be_bytes());
        let c = checksum::finish(checksum::sum(&t) + checksum::pseudo_header(src.into(), dst.into(), 6, 20));
        t[16..18].copy_from_slice(&c.to_be_bytes());
        crate::xt::TestPacket::ipv4(src, dst, 6, &t)
    }

    fn lines(t: &mut Conntrack) -> Vec<String> {
        t.take_events().iter().map(Event::line).collect()
    }

    #[test]
    fn udp_new_then_reply_then_delete_read_as_conntrack_prints_them() {
        let mut t = ct();
        t.listen(true);
        pass(&mut t, &udp(C, S, 4444, 53), secs(0));
        pass(&mut t, &udp(S, C, 53, 4444), secs(0));
        pass(&mut t, &udp(C, S, 4444, 53), secs(0));
        let f = Filter::parse(&["-p".into(), "udp".into()]).unwrap();
        let deleted = t.delete_matching(&f, secs(1), 4198444622);
        assert_eq!(deleted.len(), 1);
        // Lines captured on Linux 6.18, conntrack-tools 1.4.7 (namespaces, 2026).
        assert_eq!(
            lines(&mut t),
            [
                "    [NEW] udp      17 30 src=10.99.0.2 dst=10.99.0.1 sport=4444 dport=53 [UNREPLIED] \
                 src=10.99.0.1 dst=10.99.0.2 sport=53 dport=4444",
                " [UPDATE] udp      17 30 src=10.99.0.2 dst=10.99.0.1 sport=4444 dport=53 src=10.99.0.1 \
                 dst=10.99.0.2 sport=53 dport=4444",
                "[DESTROY] udp      17 29 src=10.99.0.2 dst=10.99.0.1 sport=4444 dport=53 src=10.99.0.1 \
                 dst=10.99.0.2 sport=53 dport=4444 [USERSPACE] portid=4198444622",
            ]
        );
    }

    #[test]
    fn tcp_state_changes_are_updates_and_expiry_has_no_seconds() {
        let mut t = ct();
        t.listen(true);
        pass(&mut t, &tcp(C, S, 45868, 80, 0x02, 1000, 0), secs(0));
        pass(&mut t, &tcp(S, C, 80, 45868, 0x12, 5000, 1001), secs(0));
        let got = lines(&mut t);
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("    [NEW] tcp      6 120 SYN_SENT src=10.99.0.2"), "{}", got[0]);
        assert!(got[1].starts_with(" [UPDATE] tcp      6 60 SYN_RECV src="), "{}", got[1]);
        t.expire(secs(61));
        let got = lines(&mut t);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("[DESTROY] tcp      6 SYN_RECV src="), "{}", got[0]);
    }

    #[test]
    fn entries_made_before_the_listener_never_report() {
        let mut t = ct();
        pass(&mut t, &udp(C, S, 1, 2), secs(0));
        t.listen(true);
        pass(&mut t, &udp(S, C, 2, 1), secs(0));
        t.expire(secs(60));
        assert!(t.take_events().is_empty());
        // Without a sink, nothing is recorded at all.
        let mut quiet = ct();
        pass(&mut quiet, &udp(C, S, 1, 2), secs(0));
        assert!(quiet.take_event_sink().is_none());
    }

    #[test]
    fn a_refresh_alone_is_no_event() {
        let mut t = ct();
        t.listen(true);
        pass(&mut t, &udp(C, S, 1, 2), secs(0));
        pass(&mut t, &udp(C, S, 1, 2), secs(5));
        assert_eq!(t.take_events().len(), 1);
    }
}
