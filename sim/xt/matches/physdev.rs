//! `-m physdev`: the bridge ports of a bridged packet (br_netfilter):
//! `[!] --physdev-in NAME[+]`, `[!] --physdev-out NAME[+]`,
//! `[!] --physdev-is-in`, `[!] --physdev-is-out`, `[!] --physdev-is-bridged`.
//! Evaluated through [`PacketView::bridge_ports`]; a packet that did not
//! cross a bridge matches only inverted tests.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{CheckCtx, Hook, Match, Refusal, RuleInfo};

/// XT_PHYSDEV_OP_* bits of `bitmask` and `invert`.
const IN: u8 = 1;
const OUT: u8 = 2;
const IS_IN: u8 = 4;
const IS_OUT: u8 = 8;
const BRIDGED: u8 = 16;

/// The physdev match, in the kernel's bitmask form.
#[derive(Clone, Debug, Default)]
pub struct Physdev {
    /// Tests present.
    pub bits: u8,
    /// Tests inverted.
    pub invert: u8,
    /// `--physdev-in` name (a trailing `+` matches a prefix).
    pub phys_in: String,
    /// `--physdev-out` name.
    pub phys_out: String,
}

const OPTS: &[Opt] = &[
    Opt::inv("physdev-in"),
    Opt::inv("physdev-out"),
    Opt::flag("physdev-is-in").invertible(),
    Opt::flag("physdev-is-out").invertible(),
    Opt::flag("physdev-is-bridged").invertible(),
];

/// Whether interface `name` fits `pattern` as the kernel compares names:
/// `eth+` any name starting `eth`, `""` any name, else the exact name.
fn iface_fits(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('+') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern.is_empty() || pattern == name,
    }
}

impl Match for Physdev {
    fn name(&self) -> &'static str {
        "physdev"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let bit = match opt {
            "physdev-in" | "physdev-out" => {
                if args[0].len() > 15 {
                    return Err(opts::param(format!(
                        "interface name `{}' must be shorter than IFNAMSIZ (15)",
                        args[0]
                    )));
                }
                if opt == "physdev-in" {
                    self.phys_in = args[0].to_string();
                    IN
                } else {
                    self.phys_out = args[0].to_string();
                    OUT
                }
            }
            "physdev-is-in" => IS_IN,
            "physdev-is-out" => IS_OUT,
            _ => BRIDGED,
        };
        self.bits |= bit;
        if inv {
            self.invert |= bit;
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.bits == 0 {
            return Err(opts::param("PHYSDEV: no physdev option specified"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        let tests = [
            (IS_IN, "--physdev-is-in", None),
            (IN, "--physdev-in", Some(&self.phys_in)),
            (IS_OUT, "--physdev-is-out", None),
            (OUT, "--physdev-out", Some(&self.phys_out)),
            (BRIDGED, "--physdev-is-bridged", None),
        ];
        for (bit, opt, name) in tests {
            if self.bits & bit == 0 {
                continue;
            }
            out.push_str(if self.invert & bit != 0 { " ! " } else { " " });
            out.push_str(opt);
            if let Some(n) = name {
                out.push_str(&format!(" {n}"));
            }
        }
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(" PHYSDEV match");
        self.save(out);
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), Refusal> {
        // The output port is not known in OUTPUT unless the rule asks for
        // bridged packets only.
        let wants_out = self.bits & (OUT | IS_OUT) != 0;
        let bridged_only = self.bits & BRIDGED != 0 && self.invert & BRIDGED == 0;
        if wants_out && !bridged_only && ctx.hooks & Hook::Output.bit() != 0 {
            return Err(Refusal::einval(
                "xt_physdev: --physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING \
                 chains with bridged traffic",
            ));
        }
        Ok(())
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let test = |bit: u8| self.bits & bit != 0;
        let inv = |bit: u8| self.invert & bit != 0;
        let Some(ports) = pkt.bridge_ports() else {
            // Not bridged: every test present must be inverted.
            return self.bits & !self.invert == 0;
        };
        let (indev, outdev) = (ports.phys_in, ports.phys_out);
        if test(BRIDGED) && outdev.is_some() == inv(BRIDGED) {
            return false;
        }
        if (test(IS_IN) && indev.is_some() == inv(IS_IN)) || (test(IS_OUT) && outdev.is_some() == inv(IS_OUT)) {
            return false;
        }
        if test(IN)
            && let Some(dev) = indev
            && iface_fits(&self.phys_in, dev) == inv(IN)
        {
            return false;
        }
        if !test(OUT) {
            return true;
        }
        outdev.is_some_and(|dev| iface_fits(&self.phys_out, dev) != inv(OUT))
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Instant;
    use crate::xt::TableName;
    use crate::xt::packet::{Action, BridgePorts, TestPacket};

    /// A TestPacket that crossed a bridge through the given ports.
    struct Bridged(TestPacket, Option<(Option<&'static str>, Option<&'static str>)>);

    impl PacketView for Bridged {
        fn ip(&self) -> &[u8] {
            self.0.ip()
        }
        fn hook(&self) -> Hook {
            self.0.hook()
        }
        fn in_iface(&self) -> &str {
            self.0.in_iface()
        }
        fn out_iface(&self) -> &str {
            self.0.out_iface()
        }
        fn mark(&self) -> u32 {
            self.0.mark()
        }
        fn set_mark(&mut self, mark: u32) {
            self.0.set_mark(mark)
        }
        fn now(&self) -> Instant {
            self.0.now()
        }
        fn random_u32(&mut self) -> u32 {
            self.0.random_u32()
        }
        fn act(&mut self, action: Action) {
            self.0.act(action)
        }
        fn bridge_ports(&self) -> Option<BridgePorts<'_>> {
            self.1.map(|(phys_in, phys_out)| BridgePorts { phys_in, phys_out })
        }
    }

    fn physdev(opts: &[(&str, bool, &str)]) -> Physdev {
        let mut m = Physdev::default();
        for (o, inv, a) in opts {
            m.parse(o, *inv, &[a], &RuleInfo::default()).unwrap();
        }
        m.finish(&RuleInfo::default()).unwrap();
        m
    }

    fn bridged(ports: Option<(Option<&'static str>, Option<&'static str>)>) -> Bridged {
        Bridged(TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Forward), ports)
    }

    #[test]
    fn prints_in_kernel_bit_order() {
        let m = physdev(&[
            ("physdev-is-bridged", true, ""),
            ("physdev-out", true, "b"),
            ("physdev-is-out", true, ""),
            ("physdev-in", true, "a"),
            ("physdev-is-in", true, ""),
        ]);
        let mut l = String::new();
        m.list(&mut l, true);
        let want = " PHYSDEV match ! --physdev-is-in ! --physdev-in a ! --physdev-is-out ! --physdev-out b \
                    ! --physdev-is-bridged";
        assert_eq!(l, want);
    }

    #[test]
    fn output_port_tests_need_bridged_in_output() {
        let ctx = |hooks| CheckCtx { table: TableName::Filter, hooks, rule: RuleInfo::default(), matches: &[] };
        let out = physdev(&[("physdev-out", false, "eth1")]);
        assert!(out.check(&ctx(Hook::Output.bit())).is_err());
        assert!(out.check(&ctx(Hook::Forward.bit())).is_ok());
        let out = physdev(&[("physdev-out", false, "eth1"), ("physdev-is-bridged", false, "")]);
        assert!(out.check(&ctx(Hook::Output.bit())).is_ok());
        let mut m = Physdev::default();
        assert_eq!(m.finish(&RuleInfo::default()), Err(opts::param("PHYSDEV: no physdev option specified")));
        let long = m.parse("physdev-in", false, &["0123456789abcdef"], &RuleInfo::default());
        assert!(long.is_err());
    }

    #[test]
    fn ports_match_with_wildcards_and_unbridged_only_inverted() {
        let mut p = bridged(Some((Some("veth3"), Some("eth1"))));
        assert!(physdev(&[("physdev-in", false, "veth+")]).matches(&mut p, &mut false));
        assert!(
            physdev(&[("physdev-out", false, "eth1"), ("physdev-is-bridged", false, "")]).matches(&mut p, &mut false)
        );
        assert!(!physdev(&[("physdev-out", true, "eth1")]).matches(&mut p, &mut false));
        let mut local = bridged(Some((Some("veth3"), None)));
        assert!(!physdev(&[("physdev-is-bridged", false, "")]).matches(&mut local, &mut false));
        assert!(!physdev(&[("physdev-out", true, "eth1")]).matches(&mut local, &mut false));
        let mut plain = bridged(None);
        assert!(!physdev(&[("physdev-in", false, "eth0")]).matches(&mut plain, &mut false));
        assert!(
            physdev(&[("physdev-in", true, "eth0"), ("physdev-is-bridged", true, "")]).matches(&mut plain, &mut false)
        );
    }
}
