//! The event loop: pop the earliest event, let the host or app act, put
//! what it sent on the links, report, and schedule what comes of it.

use super::link::Carry;
use super::{Event, Kind, Outbox, Record, World};
use crate::apps::Cx;
use crate::engine::Instant;
use crate::net::iface::LOOPBACK;
use crate::net::{Fate, Host, Outcome};
use crate::skb::IfIndex;
use crate::wire::{EtherType, spec};

impl World {
    /// Runs every event due at or before `end`, then sets the clock to `end`.
    pub fn run_until(&mut self, end: Instant) {
        while let Some((at, e)) = self.queue.pop_until(end) {
            self.observe(at);
            self.dispatch(at, e);
        }
        self.observe(end);
        // Advance the clock by an event that does nothing.
        if self.now() < end {
            self.queue.schedule(end, Event::HostTimer { node: usize::MAX });
            self.queue.pop();
        }
    }

    /// When the next event is due, if any: a caller waiting for something
    /// the world will do (a shell command blocked on the network) runs it
    /// event by event, checking after each.
    pub fn next_event_at(&self) -> Option<Instant> {
        self.queue.peek_time()
    }

    /// Runs until nothing but host timers (conntrack expiry) is pending, or
    /// until `limit`. Returns false when the limit stopped it.
    pub fn run_until_idle(&mut self, limit: Instant) -> bool {
        while self.busy > 0 || self.waking > 0 {
            let Some(at) = self.queue.peek_time() else { break };
            if at > limit {
                self.run_until(limit);
                return false;
            }
            let (at, e) = self.queue.pop().expect("peeked");
            self.observe(at);
            self.dispatch(at, e);
        }
        true
    }

    fn dispatch(&mut self, at: Instant, e: Event) {
        self.events += 1;
        if matches!(e, Event::Deliver { .. } | Event::AppStart { .. }) {
            self.busy -= 1;
        }
        match e {
            Event::Deliver { node, iface, frame } => self.deliver(at, node, iface, &frame),
            Event::HostTimer { node } => {
                if node == usize::MAX || self.nodes[node].timer_at != Some(at) {
                    return; // superseded
                }
                self.nodes[node].timer_at = None;
                let mut out = Outbox::default();
                self.nodes[node].host.advance(at, &mut out);
                self.settle(at, node, out);
            }
            Event::AppStart { node, app } => {
                self.nodes[node].apps[app].started = true;
                self.with_app(at, node, app, |a, cx| a.start(cx));
            }
            Event::AppWake { node, app } => {
                if self.nodes[node].apps[app].wake_at != Some(at) {
                    return;
                }
                self.nodes[node].apps[app].wake_at = None;
                self.waking -= 1;
                self.with_app(at, node, app, |a, cx| a.timer(cx));
            }
        }
    }

    /// Lets app `app` of `node` act, then settles what it sent.
    fn with_app(
        &mut self,
        at: Instant,
        node: usize,
        app: usize,
        f: impl FnOnce(&mut dyn crate::apps::App, &mut Cx<'_>),
    ) {
        let mut out = Outbox::default();
        let mut said = Vec::new();
        {
            let n = &mut self.nodes[node];
            let slot = &mut n.apps[app];
            let mut cx =
                Cx { now: at, host: &mut n.host, owner: app as u32, tx: &mut out, rng: &mut slot.rng, said: &mut said };
            f(slot.app.as_mut(), &mut cx);
        }
        self.app_said(at, node, said);
        self.settle(at, node, out);
        self.wake_app(at, node, app);
    }

    fn app_said(&mut self, at: Instant, node: usize, said: Vec<String>) {
        let host = self.nodes[node].host.name.clone();
        for text in said {
            self.nodes[node].app_log.push(text.clone());
            self.records.push(Record { at, kind: Kind::App, host: host.clone(), text });
        }
    }

    fn wake_app(&mut self, now: Instant, node: usize, app: usize) {
        let slot = &mut self.nodes[node].apps[app];
        if !slot.started {
            return;
        }
        let want = slot.app.poll_at(now).map(|t| t.max(now));
        if want == slot.wake_at {
            return;
        }
        match (slot.wake_at.is_some(), want.is_some()) {
            (false, true) => self.waking += 1,
            (true, false) => self.waking -= 1,
            _ => {}
        }
        slot.wake_at = want;
        if let Some(t) = want {
            self.schedule(t, Event::AppWake { node, app });
        }
    }

    /// A frame arrives at `node`'s interface `iface`.
    fn deliver(&mut self, at: Instant, node: usize, iface: IfIndex, frame: &[u8]) {
        if let Some(c) = &mut self.capture {
            c.frame(node, at, iface, false, frame);
        }
        let mut out = Outbox::default();
        let n = &mut self.nodes[node];
        n.host.advance(at, &mut out);
        let traced = n.router
            || n.saw.is_some()
            || n.host.netfilter.conntrack.is_some()
            || !n.host.netfilter.ruleset.tables.is_empty();
        let outcome = n.host.receive(at, iface, frame, &mut out);
        if traced {
            self.packet_line(at, node, iface, frame, &outcome);
        }
        self.settle(at, node, out);
    }

    /// The line for a packet `node` received: on routers every IPv4
    /// packet, elsewhere those netfilter dropped.
    fn packet_line(&mut self, at: Instant, node: usize, iface: IfIndex, frame: &[u8], o: &Outcome) {
        let Ok(l2) = crate::wire::parse_l2(frame) else { return };
        if l2.ethertype != EtherType::Ipv4 {
            return;
        }
        let n = &mut self.nodes[node];
        let host = &n.host;
        let mut what = spec::describe(&frame[l2.payload_offset..]);
        if !host.reassembled.is_empty() {
            // The hooks saw the datagram this fragment completed.
            what = format!("{what} completing {}", spec::describe(&host.reassembled));
        }
        let name = |i: IfIndex| host.iface(i).map_or("?", |f| f.name.as_str()).to_string();
        if let Some(saw) = &mut n.saw {
            saw.push(format!("{} {what}", name(iface)));
        }
        let nf_drop = matches!(o.fate, Fate::Dropped(crate::net::DropReason::Netfilter(_)));
        if !n.router && !nf_drop {
            return;
        }
        let path = match o.fate {
            Fate::Forwarded { oif } => format!("{}>{}", name(iface), name(oif)),
            Fate::Bridged { .. } => {
                let out: Vec<String> = o.fate.bridge_ports().map(name).collect();
                format!("{}>{}", name(iface), out.join(","))
            }
            Fate::Local => format!("{}>local", name(iface)),
            Fate::Queued => format!("{} held for reassembly", name(iface)),
            Fate::Arp => return,
            Fate::Dropped(r) => format!("{} dropped ({r})", name(iface)),
        };
        let mut text = format!("{path} {what}");
        let nf = &host.netfilter;
        if let Some(d) = &nf.decided {
            let verdict = if d.verdict == crate::netfilter::HookVerdict::Accept { "ACCEPT" } else { "DROP" };
            text.push_str(&format!(": {verdict} "));
            nf.describe(d, &mut text);
        }
        if let Some(s) = nf.ct_state {
            text.push_str(&format!(" ct {}", format!("{s:?}").to_uppercase()));
        }
        // A NATed connection's packet: its addresses as it left.
        if matches!(o.fate, Fate::Forwarded { .. } | Fate::Local | Fate::Bridged { .. }) {
            let mut nat = String::new();
            if nf.nat_after(&mut nat) {
                text.push_str(" nat ");
                text.push_str(&nat);
            }
        }
        if let Some(r) = o.reply {
            text.push_str(&format!(" reply {r}"));
        }
        let host = host.name.clone();
        self.records.push(Record { at, kind: Kind::Packet, host: host.clone(), text });
        self.trace_lines(at, node, &host);
    }

    /// The trace events `node` recorded since the last call, as lines.
    fn trace_lines(&mut self, at: Instant, node: usize, host: &str) {
        let nf = &mut self.nodes[node].host.netfilter;
        let Some(events) = nf.trace.as_mut().map(std::mem::take) else { return };
        for e in &events {
            let mut text = String::new();
            nf.write_trace(e, &mut text);
            self.records.push(Record { at, kind: Kind::Trace, host: host.to_string(), text });
        }
    }

    /// After a host acted: its frames go out, what it delivered goes to its
    /// apps, its log lines are reported, its timers rescheduled.
    pub(super) fn settle(&mut self, at: Instant, node: usize, out: Outbox) {
        let mut out = out;
        // Apps may answer what they receive at once; bounded, as a guard.
        for _ in 0..1000 {
            for (t, iface, frame) in std::mem::take(&mut out.frames) {
                self.transmit(t, node, iface, frame);
            }
            let delivered = std::mem::take(&mut self.nodes[node].host.sockets.delivered);
            if delivered.is_empty() {
                break;
            }
            for (owner, ip) in delivered {
                let app = owner as usize;
                if app < self.nodes[node].apps.len() {
                    self.with_app(at, node, app, |a, cx| a.datagram(cx, &ip));
                }
            }
        }
        self.report_host(node);
        if !self.nodes[node].jobs.is_empty() {
            self.job_events(at, node);
        }
        let n = &mut self.nodes[node];
        if let Some(t) = n.host.next_timer()
            && n.timer_at.is_none_or(|s| t < s || s < at)
        {
            n.timer_at = Some(t);
            self.schedule(t, Event::HostTimer { node });
        }
    }

    /// New kernel log lines and neighbour failures of `node`.
    fn report_host(&mut self, node: usize) {
        let n = &mut self.nodes[node];
        let name = n.host.name.clone();
        let records = n.host.klog.records();
        for r in &records[n.klog_seen..] {
            self.records.push(Record { at: r.at, kind: Kind::Kernel, host: name.clone(), text: r.text.clone() });
        }
        n.klog_seen = records.len();
        for (at, ip) in std::mem::take(&mut n.host.neigh.failures) {
            let text = format!("neighbour {ip} FAILED (no ARP reply)");
            self.records.push(Record { at, kind: Kind::Neigh, host: name.clone(), text });
        }
    }

    /// A frame leaves `node` by `iface` at `t`.
    fn transmit(&mut self, t: Instant, node: usize, iface: IfIndex, frame: Vec<u8>) {
        if let Some(c) = &mut self.capture {
            c.frame(node, t, iface, true, &frame);
        }
        if iface == LOOPBACK {
            return self.schedule(t, Event::Deliver { node, iface, frame });
        }
        let host: &Host = &self.nodes[node].host;
        if !host.iface(iface).is_some_and(|i| i.up) {
            return;
        }
        let Some(Some((link_id, from))) = self.nodes[node].ports.get(iface as usize).copied() else { return };
        let dst = crate::wire::EthernetAddress([frame[0], frame[1], frame[2], frame[3], frame[4], frame[5]]);
        let link = &mut self.links[link_id];
        let times = match link.carry(from, t, frame.len()) {
            Carry::Lost => {
                let what = describe_frame(&frame);
                let name = link.name.clone();
                self.records.push(Record { at: t, kind: Kind::Link, host: name, text: format!("lost {what}") });
                return;
            }
            Carry::Arrives(times) => times,
        };
        let targets: Vec<(usize, IfIndex)> = link
            .ports
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != from)
            .map(|(_, p)| (p.node, p.iface))
            .filter(|(n, i)| {
                let two = link.ports.len() == 2;
                two || dst.is_broadcast()
                    || dst.is_multicast()
                    || self.nodes[*n].host.iface(*i).is_some_and(|f| f.mac == dst)
            })
            .collect();
        for (n, i) in targets {
            for at in &times {
                self.schedule(*at, Event::Deliver { node: n, iface: i, frame: frame.clone() });
            }
        }
    }

    /// Hands the host a command's effects: frames it sent, new timers.
    pub fn touched(&mut self, node: usize) {
        let now = self.now();
        self.settle(now, node, Outbox::default());
    }

    /// Runs `f` on host `node` at the current time with a transmit side,
    /// then settles what it sent.
    pub fn with_host<R>(&mut self, node: usize, f: impl FnOnce(&mut Host, Instant, &mut dyn crate::net::Tx) -> R) -> R {
        let now = self.now();
        let mut out = Outbox::default();
        self.nodes[node].host.advance(now, &mut out);
        let r = f(&mut self.nodes[node].host, now, &mut out);
        self.settle(now, node, out);
        r
    }
}

/// A frame as a packet spec, or what it is.
pub fn describe_frame(frame: &[u8]) -> String {
    match crate::wire::parse_l2(frame) {
        Ok(l2) if l2.ethertype == EtherType::Ipv4 => spec::describe(&frame[l2.payload_offset..]),
        Ok(l2) if l2.ethertype == EtherType::Arp => "arp".into(),
        Ok(_) => "a non-IPv4 frame".into(),
        Err(_) => "a runt frame".into(),
    }
}
