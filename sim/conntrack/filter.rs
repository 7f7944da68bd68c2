//! The entry filters of conntrack(8) that `-L`, `-D` and `-E` share:
//! `-p`, `-s`/`-d` (original direction), `-r`/`-q` (reply direction),
//! `--sport`/`--dport` and their reply twins, `--state` (TCP), `-u`
//! (status), `-m` (mark[/mask]), and for `-E` the event mask `-e`.
//!
//! As in conntrack-tools, port and state options exist only once `-p`
//! named a protocol that has them (`--sport` before or without `-p tcp`
//! is an "unknown option"), and every option must match for an entry to
//! be listed, deleted or reported. Errors carry conntrack's own words;
//! the caller adds the `Try ...` line and exit status 2.

use super::conn::{Conn, status};
use super::proto::tcp::TcpState;
use super::tuple::proto_num;
use std::net::Ipv4Addr;

/// Event types `-e` selects (`NEW`, `UPDATE`, `DESTROY`), as bits.
pub mod event_mask {
    /// `[NEW]`.
    pub const NEW: u8 = 1;
    /// `[UPDATE]`.
    pub const UPDATE: u8 = 2;
    /// `[DESTROY]`.
    pub const DESTROY: u8 = 4;
    /// All of them (the default).
    pub const ALL: u8 = NEW | UPDATE | DESTROY;
}

/// What the options ask of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// `-p`: layer-4 protocol.
    pub proto: Option<u8>,
    /// `-s`, `-d`: original source and destination.
    pub orig_src: Option<Ipv4Addr>,
    /// See [`Filter::orig_src`].
    pub orig_dst: Option<Ipv4Addr>,
    /// `-r`, `-q`: reply source and destination.
    pub reply_src: Option<Ipv4Addr>,
    /// See [`Filter::reply_src`].
    pub reply_dst: Option<Ipv4Addr>,
    /// `--sport`, `--dport` (original direction).
    pub sport: Option<u16>,
    /// See [`Filter::sport`].
    pub dport: Option<u16>,
    /// `--reply-port-src`, `--reply-port-dst`.
    pub reply_sport: Option<u16>,
    /// See [`Filter::reply_sport`].
    pub reply_dport: Option<u16>,
    /// `--state`: TCP states, any of.
    pub states: Vec<TcpState>,
    /// `-u`: status bits that must be set; `UNSET` asks for none.
    pub status: Option<u16>,
    /// `-m MARK[/MASK]`.
    pub mark: Option<(u32, u32)>,
    /// `-e`: which events `-E` reports.
    pub events: u8,
    /// `-o extended`.
    pub extended: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            proto: None,
            orig_src: None,
            orig_dst: None,
            reply_src: None,
            reply_dst: None,
            sport: None,
            dport: None,
            reply_sport: None,
            reply_dport: None,
            states: Vec::new(),
            status: None,
            mark: None,
            events: event_mask::ALL,
            extended: false,
        }
    }
}

/// The protocols `-p` knows, by name or number.
fn proto_by_name(s: &str) -> Option<u8> {
    match s {
        "tcp" | "6" => Some(proto_num::TCP),
        "udp" | "17" => Some(proto_num::UDP),
        "icmp" | "1" => Some(proto_num::ICMP),
        "udplite" | "136" => Some(proto_num::UDPLITE),
        "sctp" | "132" => Some(proto_num::SCTP),
        "dccp" | "33" => Some(proto_num::DCCP),
        "gre" | "47" => Some(proto_num::GRE),
        _ => None,
    }
}

/// True when `proto` has ports for `--sport` and its kin.
fn has_ports(proto: Option<u8>) -> bool {
    matches!(proto, Some(proto_num::TCP | proto_num::UDP | proto_num::UDPLITE | proto_num::SCTP | proto_num::DCCP))
}

/// conntrack-tools' `Try ...` line, after every usage error.
pub const TRY_HELP: &str = "Try `conntrack -h' or 'conntrack --help' for more information.\n";

impl Filter {
    /// Reads the options after the command (`-L`, `-D`, `-E` itself
    /// excluded). Errors are conntrack's message without its prefix.
    ///
    /// # Errors
    /// An unknown option, a missing or bad argument.
    pub fn parse(args: &[String]) -> Result<Filter, String> {
        let mut f = Filter::default();
        let mut i = 0;
        while i < args.len() {
            let opt = args[i].as_str();
            // Options without an argument first.
            if opt == "ipv4" || opt == "conntrack" {
                i += 1;
                continue;
            }
            let takes = matches!(
                opt,
                "-p" | "--proto"
                    | "-s"
                    | "--src"
                    | "--orig-src"
                    | "-d"
                    | "--dst"
                    | "--orig-dst"
                    | "-r"
                    | "--reply-src"
                    | "-q"
                    | "--reply-dst"
                    | "--sport"
                    | "--orig-port-src"
                    | "--dport"
                    | "--orig-port-dst"
                    | "--reply-port-src"
                    | "--reply-port-dst"
                    | "--state"
                    | "-u"
                    | "--status"
                    | "-m"
                    | "--mark"
                    | "-e"
                    | "--event-mask"
                    | "-o"
                    | "--output"
                    | "-f"
                    | "--family"
            );
            if !takes || (!has_ports(f.proto) && is_port_option(opt)) || (f.proto != Some(6) && opt == "--state") {
                return Err(format!("unknown option `{opt}'"));
            }
            let Some(v) = args.get(i + 1).map(String::as_str) else {
                return Err(format!("option `{opt}' requires an argument"));
            };
            f.set(opt, v)?;
            i += 2;
        }
        Ok(f)
    }

    fn set(&mut self, opt: &str, v: &str) -> Result<(), String> {
        let addr = |v: &str| v.parse::<Ipv4Addr>().map_err(|_| format!("Invalid IP address `{v}'"));
        let port = |v: &str| v.parse::<u16>().map_err(|_| format!("Bad parameter `{v}'"));
        match opt {
            "-p" | "--proto" => self.proto = Some(proto_by_name(v).ok_or(format!("`{v}' unsupported protocol"))?),
            "-s" | "--src" | "--orig-src" => self.orig_src = Some(addr(v)?),
            "-d" | "--dst" | "--orig-dst" => self.orig_dst = Some(addr(v)?),
            "-r" | "--reply-src" => self.reply_src = Some(addr(v)?),
            "-q" | "--reply-dst" => self.reply_dst = Some(addr(v)?),
            "--sport" | "--orig-port-src" => self.sport = Some(port(v)?),
            "--dport" | "--orig-port-dst" => self.dport = Some(port(v)?),
            "--reply-port-src" => self.reply_sport = Some(port(v)?),
            "--reply-port-dst" => self.reply_dport = Some(port(v)?),
            "--state" => {
                for name in v.split(',') {
                    let s = (0..10).map(TcpState::from_u8).find(|s| s.name() == name);
                    self.states.push(s.ok_or(format!("unknown TCP state `{name}'"))?);
                }
            }
            "-u" | "--status" => {
                let mut bits = 0;
                for name in v.split(',') {
                    bits |= match name {
                        "ASSURED" => status::ASSURED,
                        "SEEN_REPLY" => status::SEEN_REPLY,
                        "EXPECTED" => status::EXPECTED,
                        "FIXED_TIMEOUT" => status::FIXED_TIMEOUT,
                        "UNSET" => 0,
                        _ => return Err(format!("Bad parameter `{name}'")),
                    };
                }
                self.status = Some(bits);
            }
            "-m" | "--mark" => {
                let (m, mask) = v.split_once('/').unwrap_or((v, "0xffffffff"));
                let num = |s: &str| match s.strip_prefix("0x") {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => s.parse().ok(),
                };
                let (Some(m), Some(mask)) = (num(m), num(mask)) else { return Err(format!("Bad parameter `{v}'")) };
                self.mark = Some((m, mask));
            }
            "-e" | "--event-mask" => {
                let mut bits = 0;
                for name in v.split(',') {
                    bits |= match name {
                        "NEW" => event_mask::NEW,
                        "UPDATE" => event_mask::UPDATE,
                        "DESTROY" => event_mask::DESTROY,
                        "ALL" => event_mask::ALL,
                        _ => return Err(format!("Bad parameter `{name}'")),
                    };
                }
                self.events = bits;
            }
            "-o" | "--output" => self.extended |= v.split(',').any(|o| o == "extended"),
            "-f" | "--family" if v == "ipv4" => {}
            "-f" | "--family" => return Err(format!("`{v}' unsupported family")),
            _ => unreachable!("checked by parse"),
        }
        Ok(())
    }

    /// True when entry `c` passes every option given.
    pub fn matches(&self, c: &Conn) -> bool {
        let (o, r) = (c.orig(), c.reply());
        let eq_addr = |want: Option<Ipv4Addr>, got: u32| want.is_none_or(|a| u32::from(a) == got);
        let eq_port = |want: Option<u16>, got: u16| want.is_none_or(|p| p == got);
        self.proto.is_none_or(|p| p == c.proto_num())
            && eq_addr(self.orig_src, o.src)
            && eq_addr(self.orig_dst, o.dst)
            && eq_addr(self.reply_src, r.src)
            && eq_addr(self.reply_dst, r.dst)
            && eq_port(self.sport, o.sport)
            && eq_port(self.dport, o.dport)
            && eq_port(self.reply_sport, r.sport)
            && eq_port(self.reply_dport, r.dport)
            && (self.states.is_empty() || self.states.contains(&c.tcp_state()))
            && self.status.is_none_or(|bits| if bits == 0 { c.status() & OPTIONAL == 0 } else { c.has(bits) })
            && self.mark.is_none_or(|(m, mask)| c.mark() & mask == m)
    }
}

impl super::Conntrack {
    /// `conntrack -L` with filters: the lines of the confirmed entries `f`
    /// matches, in the order of the bucket walk (expired ones reaped first).
    pub fn list_matching(&mut self, f: &Filter, now: crate::engine::Instant) -> String {
        use super::text::{Extra, Format, line};
        self.expire(now);
        let now32 = self.table.now32();
        let format = if f.extended { Format::Extended } else { Format::Conntrack };
        let mut out = String::new();
        for b in 0..self.table.buckets() {
            for (slot, dir) in self.table.chain(b) {
                let c = self.table.conn(slot);
                if dir == super::CtDir::Original && f.matches(c) {
                    let acct = if c.acct() { self.table.acct.get(&slot) } else { None };
                    let extra = Extra { children: self.children(slot, c.generation) };
                    out.push_str(&line(c, now32, acct, format, extra));
                }
            }
        }
        out
    }
}

/// The bits `-u UNSET` asks to be clear (those `-u` can name).
const OPTIONAL: u16 = status::ASSURED | status::SEEN_REPLY | status::EXPECTED | status::FIXED_TIMEOUT;

fn is_port_option(opt: &str) -> bool {
    matches!(
        opt,
        "--sport" | "--orig-port-src" | "--dport" | "--orig-port-dst" | "--reply-port-src" | "--reply-port-dst"
    )
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::tuple::Tuple;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn udp_conn(sport: u16, dport: u16) -> Conn {
        let t = Tuple::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), 17, sport, dport);
        let mut c = Conn::new(t, t.invert().unwrap(), 0, 0);
        c.status = status::CONFIRMED;
        c
    }

    #[test]
    fn options_select_entries() {
        let c = udp_conn(4000, 53);
        assert!(Filter::parse(&[]).unwrap().matches(&c));
        assert!(Filter::parse(&args("-p udp --dport 53 -s 10.0.0.1 -q 10.0.0.1")).unwrap().matches(&c));
        assert!(!Filter::parse(&args("-p udp --sport 53")).unwrap().matches(&c));
        assert!(!Filter::parse(&args("-p tcp")).unwrap().matches(&c));
        assert!(Filter::parse(&args("-u UNSET")).unwrap().matches(&c));
        assert!(!Filter::parse(&args("-u SEEN_REPLY")).unwrap().matches(&c));
        assert!(Filter::parse(&args("-m 0/0xff")).unwrap().matches(&c));
        assert_eq!(Filter::parse(&args("-e NEW,DESTROY")).unwrap().events, event_mask::NEW | event_mask::DESTROY);
    }

    #[test]
    fn errors_are_conntrack_tools_words() {
        // Observed with conntrack-tools 1.4.7.
        assert_eq!(Filter::parse(&args("--sport 80")).unwrap_err(), "unknown option `--sport'");
        assert_eq!(Filter::parse(&args("-p icmp --sport 3")).unwrap_err(), "unknown option `--sport'");
        assert_eq!(Filter::parse(&args("-p xyz")).unwrap_err(), "`xyz' unsupported protocol");
        assert_eq!(Filter::parse(&args("-s foo")).unwrap_err(), "Invalid IP address `foo'");
        assert_eq!(Filter::parse(&args("-s")).unwrap_err(), "option `-s' requires an argument");
        assert_eq!(Filter::parse(&args("-e BOGUS")).unwrap_err(), "Bad parameter `BOGUS'");
        assert_eq!(Filter::parse(&args("-p tcp --state FOO")).unwrap_err(), "unknown TCP state `FOO'");
        assert_eq!(Filter::parse(&args("--foo")).unwrap_err(), "unknown option `--foo'");
    }
}
