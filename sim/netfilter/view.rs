//! The packet as matches and targets see it: an [`Skb`] in one hook, with
//! the names of its interfaces, the time, the box's address classes and the
//! connection's facts. Targets' side effects land here: the mark and header
//! rewrites apply at once (later rules see them, as in the kernel), a LOG
//! line goes to the box's log, a REJECT is remembered for the box to send
//! once the hook has dropped the packet.

use crate::conntrack::{Conntrack, CtInfo, CtRef};
use crate::engine::{Instant, Rng};
use crate::klog::{LinkInfo, format_log_line};
use crate::net::iface::IfName;
use crate::net::route::LocalTable;
use crate::skb::Skb;
use crate::wire::{Ipv4Packet, checksum};
use crate::xt::packet::BridgePorts;
use crate::xt::targets::reject::RejectWith;
use crate::xt::{Action, CtFacts, CtState, Hook, PacketView};
use std::cell::OnceCell;
use std::net::Ipv4Addr;

/// The link-layer header `skb` arrived with (`None` for one the box sends),
/// as LOG's MAC= prints it. Built where a rule asks for it, not per walk:
/// most walks never look.
pub(super) fn link_header(skb: &Skb) -> Option<[u8; 14]> {
    if skb.pkt_type == crate::skb::PktType::Outgoing {
        return None;
    }
    let mut h = [0u8; 14];
    h[..6].copy_from_slice(&skb.dst_mac.0);
    h[6..12].copy_from_slice(&skb.src_mac.0);
    h[12..].copy_from_slice(&[0x08, 0x00]);
    Some(h)
}

/// What the targets of one traversal asked for beyond the verdict.
#[derive(Debug, Default)]
pub struct Effects {
    /// LOG lines (syslog level, text), formatted when the rule fired.
    pub logs: Vec<(u8, String)>,
    /// The REJECT reply to send, if the packet was rejected.
    pub reject: Option<RejectWith>,
    /// `CT --notrack`/NOTRACK fired.
    pub untrack: bool,
    /// `CT --zone` fired.
    pub zone: Option<u16>,
    /// A new connection mark (CONNMARK).
    pub ct_mark: Option<u32>,
    /// A kernel line conntrack asks to print through `net_ratelimit`.
    pub ct_log: Option<String>,
    /// The binding a NAT target asked for.
    pub nat: Option<crate::nat::Request>,
    /// The helper `CT --helper` attaches to the connection being created.
    pub helper: Option<crate::conntrack::helper::Helper>,
    /// One of `untrack`, `zone`, `ct_mark`, `helper` was set: conntrack
    /// has something to apply after the traversal (most never do).
    pub ct_changes: bool,
}

/// Where a traversal's connection facts come from.
pub enum CtSource<'a> {
    /// No connection (conntrack never saw the packet, or found it INVALID).
    None,
    /// Facts given outright (an untracked packet's).
    Facts(&'a CtFacts),
    /// The packet's entry, read at the first question. Conntrack does not
    /// change during a traversal (targets' requests apply after it), so the
    /// facts are those of the traversal's start.
    Lazy {
        /// The table.
        table: &'a Conntrack,
        /// The packet's entry.
        ct: CtRef,
        /// Its status bits, read with its liveness before the traversal:
        /// what state matches ask, however many rules ask it.
        status: u16,
        /// The facts, once asked for (kept by the caller: the view stays small).
        facts: &'a OnceCell<CtFacts>,
    },
}

/// An [`Skb`] seen from one hook.
pub struct SkbView<'a> {
    /// The packet.
    pub skb: &'a mut Skb,
    /// The hook being traversed.
    pub hook: Hook,
    /// Ingress interface name, "" when none.
    pub in_name: &'a str,
    /// Egress interface name, "" when none.
    pub out_name: &'a str,
    /// The same names in the form rule walks compare against.
    pub in_dev: &'a IfName,
    pub out_dev: &'a IfName,
    /// The virtual time.
    pub now: Instant,
    /// The box's addresses, for `-m addrtype`.
    pub local: &'a LocalTable,
    /// The stream `-m statistic --mode random` draws from.
    pub rng: &'a mut Rng,
    /// The connection's facts, if conntrack saw the packet: computed when a
    /// match first asks (most traversals never do).
    pub ct: CtSource<'a>,
    /// The link-layer header the packet arrived with (14 bytes), if any,
    /// once a rule asked for it.
    pub link: OnceCell<Option<[u8; 14]>>,
    /// Side effects gathered during the traversal.
    pub effects: &'a mut Effects,
}

impl PacketView for SkbView<'_> {
    fn ip(&self) -> &[u8] {
        self.skb.data()
    }
    fn hook(&self) -> Hook {
        self.hook
    }
    fn in_iface(&self) -> &str {
        self.in_name
    }
    fn out_iface(&self) -> &str {
        self.out_name
    }
    fn devs(&self) -> (IfName, IfName) {
        (*self.in_dev, *self.out_dev)
    }
    fn mark(&self) -> u32 {
        self.skb.mark
    }
    fn set_mark(&mut self, mark: u32) {
        self.skb.mark = mark;
    }
    fn now(&self) -> Instant {
        self.now
    }
    fn ct(&self) -> Option<&CtFacts> {
        match &self.ct {
            CtSource::None => None,
            CtSource::Facts(f) => Some(f),
            CtSource::Lazy { table, ct, facts, .. } => Some(facts.get_or_init(|| table.facts(*ct, self.now))),
        }
    }
    fn ct_state(&self) -> Option<(CtState, u32)> {
        match &self.ct {
            CtSource::None => None,
            CtSource::Facts(f) => Some((f.state, f.status)),
            // What `facts` would hold, as the entry does not change
            // during the traversal.
            CtSource::Lazy { ct, status, .. } => Some((state_of(ct.info), u32::from(*status))),
        }
    }
    fn link_header(&self) -> Option<&[u8]> {
        self.link.get_or_init(|| link_header(self.skb)).as_ref().map(|h| &h[..])
    }
    fn bridge_ports(&self) -> Option<BridgePorts<'_>> {
        self.skb
            .nf_bridge
            .as_ref()
            .map(|b| BridgePorts { phys_in: Some(b.physin.as_str()), phys_out: b.physout.as_ref().map(|n| n.as_str()) })
    }
    fn addr_type(&self, addr: Ipv4Addr, dev: Option<&str>) -> u8 {
        self.local.addr_type(addr, dev)
    }
    fn random_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }
    fn act(&mut self, action: Action) {
        match action {
            Action::Log(l) => {
                let link = self.link.get_or_init(|| link_header(self.skb)).map(|h| LinkInfo {
                    dst_mac: h[..6].try_into().expect("6 bytes"),
                    src_mac: h[6..12].try_into().expect("6 bytes"),
                    ethertype: u16::from_be_bytes([h[12], h[13]]),
                });
                let mut line = String::with_capacity(160);
                let (skb, mark) = (&*self.skb, self.skb.mark);
                let out_dev = with_physdevs(self.out_name, skb);
                format_log_line(&mut line, &l.prefix, l.flags, self.in_name, &out_dev, link, skb.data(), None, mark);
                self.effects.logs.push((l.level, line));
            }
            Action::Reject(with) => self.effects.reject = Some(with),
            Action::SetTtl(ttl) => rewrite_word(self.skb, 8, |w| (w & 0x00ff) | (ttl as u16) << 8),
            Action::SetTos(tos) => rewrite_word(self.skb, 0, |w| (w & 0xff00) | tos as u16),
            Action::Untrack => (self.effects.untrack, self.effects.ct_changes) = (true, true),
            Action::SetZone(zone) => (self.effects.zone, self.effects.ct_changes) = (Some(zone), true),
            Action::SetCtMark(mark) => (self.effects.ct_mark, self.effects.ct_changes) = (Some(mark), true),
            Action::Nat(req) => self.effects.nat = Some(req),
            Action::SetHelper(h) => (self.effects.helper, self.effects.ct_changes) = (Some(h), true),
            // NFLOG, priority and NAT arrive with the layers that own them.
            Action::Nflog(_) | Action::SetPriority(_) | Action::Target(_) => {}
        }
    }
}

/// What `-m state` calls a packet of conntrack info `info`.
pub(super) fn state_of(info: CtInfo) -> CtState {
    match info {
        CtInfo::New => CtState::New,
        CtInfo::Established | CtInfo::EstablishedReply => CtState::Established,
        CtInfo::Related | CtInfo::RelatedReply => CtState::Related,
        CtInfo::Untracked => CtState::Untracked,
        CtInfo::Invalid => CtState::Invalid,
    }
}

/// The `OUT=` field's device, followed for a bridged packet by its ports:
/// nf_log_dump_packet_common prints `PHYSIN=` and `PHYSOUT=` right after
/// `IN=... OUT=... ` (each only when it differs from the logical device).
fn with_physdevs<'a>(out_name: &'a str, skb: &Skb) -> std::borrow::Cow<'a, str> {
    let Some(b) = &skb.nf_bridge else { return out_name.into() };
    let mut s = out_name.to_string();
    s.push_str(" PHYSIN=");
    s.push_str(b.physin.as_str());
    if let Some(o) = &b.physout {
        s.push_str(" PHYSOUT=");
        s.push_str(o.as_str());
    }
    s.into()
}

/// Rewrites the 16-bit header word at `at`, patching the checksum (RFC 1624).
fn rewrite_word(skb: &mut Skb, at: usize, f: impl Fn(u16) -> u16) {
    let data = skb.data_mut();
    let old = u16::from_be_bytes([data[at], data[at + 1]]);
    let new = f(old);
    data[at..at + 2].copy_from_slice(&new.to_be_bytes());
    let mut ip = Ipv4Packet::new_unchecked(data);
    let csum = checksum::update16(ip.checksum(), old, new);
    ip.set_checksum(csum);
}
