//! Port ranges as tcp, udp and the conntrack port options take and print them.

use crate::xt::opts::{self, Error};

/// An inclusive port range with its `!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// Lowest port.
    pub min: u16,
    /// Highest port.
    pub max: u16,
    /// Inverted.
    pub inv: bool,
}

impl Default for PortRange {
    fn default() -> Self {
        PortRange { min: 0, max: 65535, inv: false }
    }
}

impl PortRange {
    /// Whether the range is everything (iptables then prints nothing).
    pub fn is_any(&self) -> bool {
        self.min == 0 && self.max == 65535
    }

    /// Whether `port` is in the range, `!` applied.
    pub fn hit(&self, port: u16) -> bool {
        (self.min <= port && port <= self.max) != self.inv
    }

    /// `min[:max]`, empty ends meaning 0 and 65535; `bad(part)` builds the
    /// error for a part that is not a port.
    pub fn parse(s: &str, proto: &str, inv: bool, bad: impl Fn(&str) -> Error) -> Result<PortRange, Error> {
        Self::parse_with(s, inv, |p| opts::parse_port(p, proto), bad)
    }

    /// The same with the x6 framework's port type (udp): numbers wrap to
    /// 16 bits instead of being refused.
    pub fn parse_x6(s: &str, inv: bool, bad: impl Fn(&str) -> Error) -> Result<PortRange, Error> {
        Self::parse_with(s, inv, opts::parse_port_x6, bad)
    }

    fn parse_with(
        s: &str,
        inv: bool,
        port: impl Fn(&str) -> Option<u16>,
        bad: impl Fn(&str) -> Error,
    ) -> Result<PortRange, Error> {
        let one = |p: &str, dflt: u16| -> Result<u16, Error> {
            if p.is_empty() { Ok(dflt) } else { port(p).ok_or_else(|| bad(p)) }
        };
        let (min, max) = match s.split_once(':') {
            Some((a, b)) => (one(a, 0)?, one(b, 65535)?),
            None => {
                let p = port(s).ok_or_else(|| bad(s))?;
                (p, p)
            }
        };
        Ok(PortRange { min, max, inv })
    }

    /// Save form: `[! ]--opt min[:max]`, nothing if the range is everything.
    pub fn save(&self, out: &mut String, opt: &str) {
        if self.is_any() {
            return;
        }
        out.push_str(if self.inv { " ! --" } else { " --" });
        out.push_str(opt);
        out.push(' ');
        out.push_str(&self.min.to_string());
        if self.min != self.max {
            out.push(':');
            out.push_str(&self.max.to_string());
        }
    }

    /// `-L` form: ` spt:X`, ` spts:X:Y`, `!` before the ports when inverted.
    pub fn list(&self, out: &mut String, label: &str, proto: &str, numeric: bool) {
        if self.is_any() && !self.inv {
            return;
        }
        let inv = if self.inv { "!" } else { "" };
        if self.min == self.max {
            let p = opts::port_text(self.min, proto, numeric);
            out.push_str(&format!(" {label}:{inv}{p}"));
        } else {
            let a = opts::port_text(self.min, proto, numeric);
            let b = opts::port_text(self.max, proto, numeric);
            out.push_str(&format!(" {label}s:{inv}{a}:{b}"));
        }
    }
}

/// A port-reading match (tcp, udp, multiport) as plain data, for rule
/// indexes: what it requires of the ports, and what else it does. Read on
/// a packet whose transport header is whole and not a fragment; on any
/// other the match is evaluated as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortTest {
    /// The source port ranges one of which it requires (`None`: no plain
    /// requirement, as for `! --sport` or none at all).
    pub sport: Option<Vec<(u16, u16)>>,
    /// The same for the destination port.
    pub dport: Option<Vec<(u16, u16)>>,
    /// Nothing but those ranges: it matches exactly when the ports are in them.
    pub only: bool,
    /// No effect and no hotdrop (a tcp option test can hotdrop).
    pub pure: bool,
}

impl PortTest {
    /// The plain requirement of `r` on one port: `None` for any port or an
    /// inverted range (a reversed range is kept: it takes no port).
    pub fn range(r: &PortRange) -> Option<Vec<(u16, u16)>> {
        (!r.inv && !r.is_any()).then(|| vec![(r.min, r.max)])
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn bad(p: &str) -> Error {
        opts::param(format!("bad {p}"))
    }

    #[test]
    fn open_ends_default_to_zero_and_max() {
        let r = PortRange::parse("1024:", "tcp", false, bad).unwrap();
        assert_eq!((r.min, r.max), (1024, 65535));
        let r = PortRange::parse(":4", "tcp", false, bad).unwrap();
        assert_eq!((r.min, r.max), (0, 4));
        assert!(PortRange::parse(":", "tcp", false, bad).unwrap().is_any());
    }

    #[test]
    fn prints_single_ports_and_ranges() {
        let mut s = String::new();
        PortRange::parse("ssh:telnet", "tcp", true, bad).unwrap().list(&mut s, "spt", "tcp", false);
        assert_eq!(s, " spts:!ssh:telnet");
        let mut s = String::new();
        PortRange::parse("4:4", "tcp", false, bad).unwrap().save(&mut s, "sport");
        assert_eq!(s, " --sport 4");
    }
}
