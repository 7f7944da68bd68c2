//! `-j CT`: set up the packet's conntrack entry before conntrack sees it
//! (no tracking, a helper, a zone, event masks, a timeout policy). raw only.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{CheckCtx, Refusal, RuleInfo, Scope, TableName, Target, TargetVerdict};

/// Helpers the kernel knows, with the protocol each needs.
const HELPERS: [(&str, u8); 11] = [
    ("ftp", 6),
    ("irc", 6),
    ("tftp", 17),
    ("sip", 17),
    ("amanda", 17),
    ("pptp", 6),
    ("sane", 6),
    ("snmp", 17),
    ("netbios-ns", 17),
    ("RAS", 17),
    ("Q.931", 6),
];

/// The CT target (revision 2).
#[derive(Clone, Debug, Default)]
pub struct Ct {
    /// `--notrack`.
    pub notrack: bool,
    /// `--helper`.
    pub helper: Option<String>,
    /// `--ctevents` as given names.
    pub ctevents: Option<String>,
    /// `--expevents`.
    pub expevents: Option<String>,
    /// `--zone`, `--zone-orig`, `--zone-reply` (which, id).
    pub zone: Option<(&'static str, u16)>,
    /// `--timeout` policy name.
    pub timeout: Option<String>,
}

const OPTS: &[Opt] = &[
    Opt::flag("notrack"),
    Opt::arg("helper"),
    Opt::arg("ctevents"),
    Opt::arg("expevents"),
    Opt::arg("zone"),
    Opt::arg("zone-orig"),
    Opt::arg("zone-reply"),
    Opt::arg("timeout"),
];

const CT_EVENTS: [&str; 8] = ["new", "related", "destroy", "reply", "assured", "protoinfo", "helper", "mark"];

impl Target for Ct {
    fn name(&self) -> &'static str {
        "CT"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = || args[0].to_string();
        match opt {
            "notrack" => self.notrack = true,
            "helper" => self.helper = Some(s()),
            "ctevents" | "expevents" => {
                let known: &[&str] = if opt == "ctevents" { &CT_EVENTS } else { &["new"] };
                if let Some(bad) = args[0].split(',').find(|e| !known.contains(e)) {
                    return Err(opts::param(format!("CT: unknown event \"{bad}\"")));
                }
                if opt == "ctevents" { self.ctevents = Some(s()) } else { self.expevents = Some(s()) }
            }
            "timeout" => self.timeout = Some(s()),
            _ => {
                let id = opts::parse_uint(args[0], 65535)
                    .ok_or_else(|| opts::param(format!("Cannot parse {} as a zone ID", args[0])))?;
                let which = match opt {
                    "zone-orig" => "zone-orig",
                    "zone-reply" => "zone-reply",
                    _ => "zone",
                };
                self.zone = Some((which, id as u16));
            }
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        for (k, v) in self.parts() {
            out.push_str(&format!(" --{k}"));
            if !v.is_empty() {
                out.push_str(&format!(" {v}"));
            }
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(" CT");
        for (k, v) in self.parts() {
            out.push_str(&format!(" {k}"));
            if !v.is_empty() {
                out.push_str(&format!(" {v}"));
            }
        }
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Raw), ..Scope::ANY }
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), Refusal> {
        if self.timeout.is_some() {
            // nfsim has no `nfct timeout` policies, so every name is unknown:
            // ENOENT without a log line (observed).
            return Err(Refusal::enoent(Vec::new()));
        }
        let Some(h) = &self.helper else {
            return Ok(());
        };
        if ctx.rule.proto == 0 || ctx.rule.proto_inv {
            return Err(Refusal::enoent(vec![
                "xt_CT: You must specify a L4 protocol and not use inversions on it".into(),
            ]));
        }
        if !HELPERS.iter().any(|(n, p)| n == h && *p == ctx.rule.proto) {
            return Err(Refusal::enoent(vec![format!("xt_CT: No such helper \"{h}\"")]));
        }
        Ok(())
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        if self.notrack {
            pkt.act(Action::Untrack);
        } else {
            if let Some((_, zone)) = self.zone {
                pkt.act(Action::SetZone(zone));
            }
            // Helpers nfsim does not model (sip, h323 ...) attach nothing.
            let modelled = crate::conntrack::helper::Helper::ALL.into_iter();
            if let Some(h) = self.helper.as_deref().and_then(|n| modelled.clone().find(|h| h.name() == n)) {
                pkt.act(Action::SetHelper(h));
            }
            pkt.act(Action::Target(self));
        }
        TargetVerdict::Continue
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

impl Ct {
    /// The given options in save order, as (name, value).
    fn parts(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if self.notrack {
            v.push(("notrack", String::new()));
        }
        if let Some(h) = &self.helper {
            v.push(("helper", h.clone()));
        }
        if let Some(e) = &self.ctevents {
            v.push(("ctevents", e.clone()));
        }
        if let Some(e) = &self.expevents {
            v.push(("expevents", e.clone()));
        }
        if let Some((k, z)) = self.zone {
            v.push((k, z.to_string()));
        }
        if let Some(t) = &self.timeout {
            v.push(("timeout", t.clone()));
        }
        v
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn lists_and_saves_options_in_order() {
        let mut t = Ct::default();
        t.parse("zone", false, &["5"], &RuleInfo::default()).unwrap();
        t.parse("helper", false, &["ftp"], &RuleInfo::default()).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&mut s);
        t.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --helper ftp --zone 5", " CT helper ftp zone 5"));
    }

    #[test]
    fn zone_out_of_range_and_helper_without_proto() {
        let e = Ct::default().parse("zone", false, &["65536"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Cannot parse 65536 as a zone ID")));
        let t = Ct { helper: Some("ftp".into()), ..Ct::default() };
        let ctx = CheckCtx { table: TableName::Raw, hooks: 1, rule: RuleInfo::default(), matches: &[] };
        assert!(t.check(&ctx).unwrap_err().enoent);
    }
}
