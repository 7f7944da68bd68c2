//! `-j NETMAP --to ADDR[/MASK]`: 1:1 mapping of a network, keeping host bits.
//! Any nat hook.

use std::net::Ipv4Addr;

use crate::nat::range::flags;
use crate::nat::{Range, Request};
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{Action, PacketView};
use crate::xt::{RuleInfo, Scope, TableName, Target, TargetVerdict};

/// The NETMAP target.
#[derive(Clone, Debug, Default)]
pub struct Netmap {
    /// Network and prefix length.
    pub to: Option<(Ipv4Addr, u8)>,
}

const OPTS: &[Opt] = &[Opt::arg("to")];

impl Netmap {
    /// The prefix as a range: network to broadcast (the kernel derives the
    /// mask back from `min ^ max`).
    fn finish_range(&self) -> Range {
        let (a, len) = self.to.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        Range { flags: flags::MAP_IPS, min_addr: u32::from(a), max_addr: u32::from(a) | !mask, ..Range::default() }
    }
}

impl Target for Netmap {
    fn name(&self) -> &'static str {
        "NETMAP"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let s = args[0];
        let (a, m) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let (addr, len) = opts::parse_hostmask(a, m, "NETMAP", "to")?;
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        self.to = Some((Ipv4Addr::from(u32::from(addr) & mask), len));
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.to.map(|_| ()).ok_or_else(|| opts::must_specify("NETMAP", "to"))
    }
    fn save(&self, out: &mut String) {
        let (a, l) = self.to.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
        out.push_str(&format!(" --to {a}/{l}"));
    }
    fn list(&self, out: &mut String, _: bool) {
        let (a, l) = self.to.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
        out.push_str(&format!(" to:{a}/{l}"));
    }
    fn scope(&self) -> Scope {
        Scope { table: Some(TableName::Nat), hooks: 0x1b, proto: 0 }
    }
    fn fire(&mut self, pkt: &mut dyn PacketView) -> TargetVerdict {
        pkt.act(Action::Nat(Request::Netmap(self.finish_range())));
        TargetVerdict::Accept
    }
    fn box_clone(&self) -> Box<dyn Target> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn host_address_prints_with_32() {
        let mut t = Netmap::default();
        t.parse("to", false, &["1.2.3.4"], &RuleInfo::default()).unwrap();
        let mut s = String::new();
        t.save(&mut s);
        assert_eq!(s, " --to 1.2.3.4/32");
    }
}
