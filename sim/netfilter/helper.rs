//! Helpers and sequence adjustment at the last hook (the kernel's
//! `nf_confirm` before `nf_conntrack_confirm`): the connection's helper
//! reads the packet (and, when the connection is NATed, its NAT half
//! rewrites it), then a connection whose payload lengths changed gets the
//! packet's sequence numbers shifted. Connections with neither cost one
//! look at two bytes of their entry.

use super::{HookCtx, HookVerdict, Netfilter, TraceEvent};
use crate::conntrack::expect::Expectation;
use crate::conntrack::helper::{Helper, ftp, irc, tftp};
use crate::conntrack::tuple::proto_num;
use crate::conntrack::{CtInfo, CtRef, ExpectOutcome, status};
use crate::klog::{format_log_line, log_line};
use crate::nat;
use crate::skb::{Nfct, Skb};
use crate::xt::Hook;

impl Netfilter {
    /// Runs the helper and sequence adjustment for the packet, if its
    /// connection has either.
    pub(super) fn help(&mut self, hook: Hook, skb: &mut Skb, ctx: &HookCtx<'_>) -> HookVerdict {
        let (Nfct::Tracked(r), Some(ct)) = (skb.nfct, &self.conntrack) else { return HookVerdict::Accept };
        if !ct.is_live(r) {
            return HookVerdict::Accept;
        }
        let c = ct.get(r);
        let (helper, seqadj) = (c.helper(), c.has(status::SEQ_ADJUST));
        // Helpers do not read ICMP errors about their connection.
        if (helper.is_none() && !seqadj) || r.info == CtInfo::RelatedReply {
            return HookVerdict::Accept;
        }
        if skb.data().get(9) != Some(&c.proto_num()) {
            return HookVerdict::Accept;
        }
        if let Some(h) = helper {
            let outcome = match h {
                Helper::Ftp => self.help_ftp(r, skb, ctx),
                Helper::Irc => self.help_irc(r, skb, ctx),
                Helper::Tftp => self.help_tftp(r, skb, ctx),
            };
            if let Some(note) = self.helper_note.take() {
                self.record(|| TraceEvent::Helper { hook, helper: h.name(), note });
            }
            if let Err(reason) = outcome {
                self.helper_log(h, reason, skb);
                if self.trace.is_some() {
                    self.record(|| TraceEvent::Helper { hook, helper: h.name(), note: format!("dropped: {reason}") });
                }
                return HookVerdict::Drop;
            }
        }
        if seqadj && c_is_tcp(skb) {
            let ct = self.conntrack.as_mut().expect("tracked");
            let Some(ext) = ct.seqadj(r).copied() else { return HookVerdict::Accept };
            let d = r.dir() as usize;
            let l4 = usize::from(skb.data()[0] & 0x0f) * 4;
            if !nat::seqadj::adjust(skb.data_mut(), l4, &ext.seqadj[d], &ext.seqadj[1 - d]) {
                ct.count_drop();
                return HookVerdict::Drop;
            }
        }
        HookVerdict::Accept
    }

    /// `nf_ct_helper_log`: `nf_ct_<helper>: dropping packet: <reason> `
    /// and the packet, through nf_log (no interfaces, no MAC).
    fn helper_log(&mut self, h: Helper, reason: &str, skb: &Skb) {
        let prefix = format!("nf_ct_{}: dropping packet: {reason} ", h.name());
        let mut line = String::with_capacity(200);
        let flags = log_line::TCP_SEQUENCE | log_line::TCP_OPTIONS | log_line::IP_OPTIONS | log_line::UID;
        format_log_line(&mut line, &prefix, flags, "", "", None, skb.data(), None, skb.mark);
        self.effects.logs.push((5, line));
    }

    /// Notes a placed expectation for the trace.
    fn note_expectation(&mut self, what: &str) {
        let Some(ct) = &self.conntrack else { return };
        if self.trace.is_some()
            && let Some(e) = ct.expectations().last()
        {
            let t = e.tuple;
            let note = format!("{what}expected {t}").trim_end().to_string();
            self.helper_note = Some(note);
        }
    }

    /// Places `exp` directly (an un-NATed master).
    fn expect_plain(&mut self, r: CtRef, exp: Expectation, ctx: &HookCtx<'_>) -> Result<(), &'static str> {
        let ct = self.conntrack.as_mut().expect("tracked");
        let ExpectOutcome { result, log } = ct.expect_related(r, exp, ctx.sysctls);
        if log.is_some() {
            self.effects.ct_log = log;
        }
        result.map_err(|_| "cannot add expectation")?;
        self.note_expectation("");
        Ok(())
    }

    fn help_ftp(&mut self, r: CtRef, skb: &mut Skb, ctx: &HookCtx<'_>) -> Result<(), &'static str> {
        let ct = self.conntrack.as_mut().expect("tracked");
        let dir = r.dir();
        let (sender, peer) = {
            let c = ct.get(r);
            (c.tuple(dir).src, *c.tuple(dir.other()))
        };
        let established = matches!(r.info, CtInfo::Established | CtInfo::EstablishedReply);
        let (seq, payload) = tcp_payload(skb.data());
        let Some(ext) = ct.help_mut(r) else { return Ok(()) };
        let cmd = match ftp::help(&mut ext.ftp, dir, established, seq, payload, sender) {
            ftp::Outcome::Ignore => return Ok(()),
            ftp::Outcome::Partial(p) => {
                return Err(match p {
                    "PORT" => "partial matching of `PORT'",
                    "EPRT" => "partial matching of `EPRT'",
                    "227 " => "partial matching of `227 '",
                    _ => "partial matching of `229 '",
                });
            }
            ftp::Outcome::Found(cmd) => cmd,
        };
        // Only the sender's own address is believed (module parameter
        // `loose` off, its default).
        if cmd.addr != sender {
            return Ok(());
        }
        let exp = Expectation::new(proto_num::TCP, Some(peer.src), peer.dst, cmd.port, Helper::Ftp);
        if ct.get(r).status() & (status::SRC_NAT | status::DST_NAT) == 0 {
            return self.expect_plain(r, exp, ctx);
        }
        let mut log = None;
        let done = nat::ftp::rewrite(&mut self.nat, ct, r, skb, &cmd, exp, ctx.sysctls, &mut log);
        if log.is_some() {
            self.effects.ct_log = log;
        }
        done?;
        self.note_expectation("text rewritten by NAT; ");
        Ok(())
    }

    fn help_irc(&mut self, r: CtRef, skb: &mut Skb, ctx: &HookCtx<'_>) -> Result<(), &'static str> {
        if r.info != CtInfo::Established {
            return Ok(());
        }
        let ct = self.conntrack.as_mut().expect("tracked");
        let (client, client_nat) = (ct.get(r).orig().src, ct.get(r).reply().dst);
        let (_, payload) = tcp_payload(skb.data());
        let mut forged = None;
        let found = irc::find(payload, client, client_nat, |a, p| {
            forged.get_or_insert((a, p));
        });
        if let Some((a, p)) = forged {
            let from = std::net::Ipv4Addr::from(client);
            let line = format!("nf_conntrack_irc: Forged DCC command from {from}: {}:{p}", std::net::Ipv4Addr::from(a));
            self.effects.ct_log = Some(line);
        }
        let Some(dcc) = found else { return Ok(()) };
        let exp = Expectation::new(proto_num::TCP, None, client_nat, dcc.port, Helper::Irc);
        if ct.get(r).status() & (status::SRC_NAT | status::DST_NAT) == 0 {
            return self.expect_plain(r, exp, ctx);
        }
        let mut log = None;
        let done = nat::irc::rewrite(&mut self.nat, ct, r, skb, &dcc, exp, ctx.sysctls, &mut log);
        if log.is_some() {
            self.effects.ct_log = log;
        }
        done?;
        self.note_expectation("offer rewritten by NAT; ");
        Ok(())
    }

    fn help_tftp(&mut self, r: CtRef, skb: &mut Skb, ctx: &HookCtx<'_>) -> Result<(), &'static str> {
        let ip = skb.data();
        let l4 = usize::from(ip[0] & 0x0f) * 4;
        if !tftp::is_request(ip.get(l4 + 8..).unwrap_or(&[])) {
            return Ok(());
        }
        let ct = self.conntrack.as_mut().expect("tracked");
        let t = *ct.get(r).reply();
        let exp = Expectation::new(proto_num::UDP, Some(t.src), t.dst, t.dport, Helper::Tftp);
        if ct.get(r).status() & (status::SRC_NAT | status::DST_NAT) == 0 {
            return self.expect_plain(r, exp, ctx);
        }
        let ExpectOutcome { result, log } = nat::tftp::expect(ct, r, exp, ctx.sysctls);
        if log.is_some() {
            self.effects.ct_log = log;
        }
        result.map_err(|_| "cannot add expectation")?;
        self.note_expectation("");
        Ok(())
    }
}

/// True if the datagram carries TCP.
fn c_is_tcp(skb: &Skb) -> bool {
    skb.data().get(9) == Some(&proto_num::TCP)
}

/// A TCP segment's sequence number and payload (empty when truncated).
fn tcp_payload(ip: &[u8]) -> (u32, &[u8]) {
    let l4 = usize::from(ip[0] & 0x0f) * 4;
    let Some(h) = ip.get(l4..l4 + 20) else { return (0, &[]) };
    let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let off = l4 + usize::from(h[12] >> 4) * 4;
    (seq, ip.get(off..).unwrap_or(&[]))
}

impl Netfilter {
    /// What a new entry gets when it is created: the template's helper (or,
    /// under `linux-2.4`, the one registered for its server port), or, when
    /// it fulfils an expectation, its master and the NAT that follows it.
    pub(super) fn attach(&mut self, hook: Hook, r: CtRef, v: &crate::conntrack::CtVerdict, ctx: &HookCtx<'_>) {
        let pending = self.pending_helper.take();
        let Some(ct) = &mut self.conntrack else { return };
        if r.info != CtInfo::New && v.expected.is_none() {
            return;
        }
        let c = ct.get(r);
        if c.is_confirmed() {
            return;
        }
        if let Some(x) = v.expected {
            let master = ct.entry_line(x.master, ctx.now);
            let bindings = x.follow.map(|f| self.nat.follow_master(ct, r, x.master, f));
            if self.trace.is_some() {
                let master = master.trim_end().to_string();
                self.record(|| TraceEvent::Expected { hook, helper: x.helper.name(), master });
                for b in bindings.into_iter().flatten().flatten() {
                    self.record(|| TraceEvent::Nat { hook, binding: b });
                }
            }
            return;
        }
        let (proto, dport) = (c.proto_num(), c.orig().dport);
        let by_port = || {
            (ctx.sysctls.profile() == crate::kernel::Profile::Linux24).then(|| Helper::by_port(proto, dport)).flatten()
        };
        if let Some(h) = pending.or_else(by_port).filter(|h| h.proto() == proto) {
            ct.set_helper(r, h);
            self.record(|| TraceEvent::Helper { hook, helper: h.name(), note: "attached".into() });
        }
    }
}
