//! `-m owner [!] --uid-owner U[-U] [!] --gid-owner G[-G] [--suppl-groups]
//! [!] --socket-exists`: the local socket that sent the packet (OUTPUT and
//! POSTROUTING only). Evaluated through [`PacketView::sock_owner`].
//!
//! User and group names resolve through a fixed table, Debian's
//! base-passwd entries, so that output does not depend on the host.

use super::cnum;
use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{CheckCtx, Hook, Match, Refusal, RuleInfo, Scope};

/// Debian base-passwd users (`/etc/passwd`), for names on input and `-L`.
const USERS: &[(&str, u32)] = &[
    ("root", 0),
    ("daemon", 1),
    ("bin", 2),
    ("sys", 3),
    ("sync", 4),
    ("games", 5),
    ("man", 6),
    ("lp", 7),
    ("mail", 8),
    ("news", 9),
    ("uucp", 10),
    ("proxy", 13),
    ("www-data", 33),
    ("backup", 34),
    ("list", 38),
    ("irc", 39),
    ("_apt", 42),
    ("nobody", 65534),
];

/// Debian base-passwd groups (`/etc/group`).
const GROUPS: &[(&str, u32)] = &[
    ("root", 0),
    ("daemon", 1),
    ("bin", 2),
    ("sys", 3),
    ("adm", 4),
    ("tty", 5),
    ("disk", 6),
    ("lp", 7),
    ("mail", 8),
    ("news", 9),
    ("uucp", 10),
    ("man", 12),
    ("proxy", 13),
    ("kmem", 15),
    ("dialout", 20),
    ("fax", 21),
    ("voice", 22),
    ("cdrom", 24),
    ("floppy", 25),
    ("tape", 26),
    ("sudo", 27),
    ("audio", 29),
    ("dip", 30),
    ("www-data", 33),
    ("backup", 34),
    ("operator", 37),
    ("list", 38),
    ("irc", 39),
    ("src", 40),
    ("shadow", 42),
    ("utmp", 43),
    ("video", 44),
    ("sasl", 45),
    ("plugdev", 46),
    ("staff", 50),
    ("games", 60),
    ("users", 100),
    ("nogroup", 65534),
];

/// XT_OWNER_* bits of `match` and `invert`.
const UID: u8 = 1;
const GID: u8 = 2;
const SOCKET: u8 = 4;
const SUPPL: u8 = 8;

/// The owner match (revision 1), in the kernel's bitmask form.
#[derive(Clone, Debug, Default)]
pub struct Owner {
    /// Tests present (UID 1, GID 2, SOCKET 4, SUPPL_GROUPS 8).
    pub what: u8,
    /// Tests inverted.
    pub invert: u8,
    /// `--uid-owner` range.
    pub uid: (u32, u32),
    /// `--gid-owner` range.
    pub gid: (u32, u32),
}

const OPTS: &[Opt] =
    &[Opt::inv("uid-owner"), Opt::inv("gid-owner"), Opt::flag("socket-exists").invertible(), Opt::flag("suppl-groups")];

fn bad_value(opt: &str, v: &str) -> Error {
    opts::param(format!("owner: Bad value for \"--{opt}\" option: \"{v}\""))
}

/// A name from `table`, else `N`, `N-M` or `N:M` (at most 2^32-2, since
/// -1 means "no id").
fn parse_ids(s: &str, table: &[(&str, u32)], opt: &str) -> Result<(u32, u32), Error> {
    if let Some((_, id)) = table.iter().find(|(n, _)| *n == s) {
        return Ok((*id, *id));
    }
    let max = u32::MAX as u64 - 1;
    let (lo, rest) = cnum::strtoul_prefix(s, 0, max).ok_or_else(|| bad_value(opt, s))?;
    let (hi, rest) = match rest.strip_prefix(['-', ':']) {
        Some(r) => cnum::strtoul_prefix(r, 0, max).ok_or_else(|| bad_value(opt, s))?,
        None => (lo, rest),
    };
    if !rest.is_empty() {
        return Err(bad_value(opt, s));
    }
    Ok((lo as u32, hi as u32))
}

fn ids_text(r: (u32, u32), table: &[(&str, u32)], numeric: bool) -> String {
    if r.0 != r.1 {
        return format!("{}-{}", r.0, r.1);
    }
    match table.iter().find(|(_, id)| *id == r.0).filter(|_| !numeric) {
        Some((name, _)) => name.to_string(),
        None => r.0.to_string(),
    }
}

impl Owner {
    /// Prints the tests in iptables' order with `labels` (save or -L).
    fn print(&self, out: &mut String, labels: [&str; 4], numeric: bool) {
        for (bit, label) in [SOCKET, UID, GID, SUPPL].into_iter().zip(labels) {
            if self.what & bit == 0 {
                continue;
            }
            if self.invert & bit != 0 {
                out.push_str(" !");
            }
            out.push_str(&format!(" {label}"));
            match bit {
                UID => out.push_str(&format!(" {}", ids_text(self.uid, USERS, numeric))),
                GID => out.push_str(&format!(" {}", ids_text(self.gid, GROUPS, numeric))),
                _ => {}
            }
        }
    }
}

impl Match for Owner {
    fn name(&self) -> &'static str {
        "owner"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, opt: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let bit = match opt {
            "uid-owner" => {
                self.uid = parse_ids(args[0], USERS, opt)?;
                UID
            }
            "gid-owner" => {
                self.gid = parse_ids(args[0], GROUPS, opt)?;
                GID
            }
            "socket-exists" => SOCKET,
            _ => {
                if self.what & GID == 0 {
                    return Err(bad_value("suppl-groups", "you need to use --gid-owner first"));
                }
                SUPPL
            }
        };
        self.what |= bit;
        if inv {
            self.invert |= bit;
        }
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.what == 0 {
            return Err(opts::param("owner: At least one of --uid-owner, --gid-owner or --socket-exists is required"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        self.print(out, ["--socket-exists", "--uid-owner", "--gid-owner", "--suppl-groups"], true);
    }
    fn list(&self, out: &mut String, numeric: bool) {
        self.print(out, ["owner socket exists", "owner UID match", "owner GID match", "incl. suppl. groups"], numeric);
    }
    fn scope(&self) -> Scope {
        Scope { hooks: Hook::Output.bit() | Hook::PostRouting.bit(), ..Scope::ANY }
    }
    fn check(&self, _: &CheckCtx) -> Result<(), Refusal> {
        // xt_owner refuses reversed ranges without a log line.
        let reversed = |on: bool, r: (u32, u32)| on && r.0 > r.1;
        if reversed(self.what & UID != 0, self.uid) || reversed(self.what & GID != 0, self.gid) {
            return Err(Refusal::default());
        }
        Ok(())
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        // Mirrors owner_mt: without a socket only all-inverted tests match.
        let Some(sock) = pkt.sock_owner() else {
            return self.what ^ self.invert == 0;
        };
        if self.what & self.invert & SOCKET != 0 {
            return false;
        }
        let Some(cred) = sock.cred else {
            return (self.what ^ self.invert) & (UID | GID) == 0;
        };
        let within = |id: u32, r: (u32, u32)| r.0 <= id && id <= r.1;
        if self.what & UID != 0 && within(cred.uid, self.uid) == (self.invert & UID != 0) {
            return false;
        }
        if self.what & GID != 0 {
            let hit = within(cred.gid, self.gid)
                || (self.what & SUPPL != 0 && cred.groups.iter().any(|g| within(*g, self.gid)));
            if hit == (self.invert & GID != 0) {
                return false;
            }
        }
        true
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::Instant;
    use crate::xt::packet::{Action, SockCred, SockOwner, TestPacket};

    /// A TestPacket sent from a socket with the given credentials.
    struct Sent(TestPacket, Option<SockOwner>);

    impl PacketView for Sent {
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
        fn sock_owner(&self) -> Option<SockOwner> {
            self.1.clone()
        }
    }

    fn owner(opts: &[(&str, bool, &str)]) -> Result<Owner, Error> {
        let mut m = Owner::default();
        for (o, inv, a) in opts {
            m.parse(o, *inv, &[a], &RuleInfo::default())?;
        }
        m.finish(&RuleInfo::default())?;
        Ok(m)
    }

    fn sent(cred: Option<SockCred>) -> Sent {
        let p = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Output);
        Sent(p, Some(SockOwner { cred }))
    }

    #[test]
    fn names_resolve_and_list_back_unless_numeric() {
        let m =
            owner(&[("gid-owner", false, "nogroup"), ("uid-owner", false, "www-data"), ("socket-exists", true, "")]);
        let m = m.unwrap();
        let (mut s, mut l, mut n) = (String::new(), String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, false);
        m.list(&mut n, true);
        assert_eq!(s, " ! --socket-exists --uid-owner 33 --gid-owner 65534");
        assert_eq!(l, " ! owner socket exists owner UID match www-data owner GID match nogroup");
        assert_eq!(n, " ! owner socket exists owner UID match 33 owner GID match 65534");
    }

    #[test]
    fn bad_values_and_order_of_suppl_groups() {
        assert_eq!(owner(&[("uid-owner", false, "nosuchuser")]).unwrap_err(), bad_value("uid-owner", "nosuchuser"));
        assert_eq!(owner(&[("uid-owner", false, "4294967295")]).unwrap_err(), bad_value("uid-owner", "4294967295"));
        assert_eq!(owner(&[("uid-owner", false, "1-")]).unwrap_err(), bad_value("uid-owner", "1-"));
        let e = owner(&[("suppl-groups", false, ""), ("gid-owner", false, "1")]).unwrap_err();
        assert_eq!(e, bad_value("suppl-groups", "you need to use --gid-owner first"));
        assert!(owner(&[]).is_err());
        let ctx = CheckCtx {
            table: crate::xt::TableName::Filter,
            hooks: Hook::Output.bit(),
            rule: RuleInfo::default(),
            matches: &[],
        };
        assert_eq!(owner(&[("uid-owner", false, "5:3")]).unwrap().check(&ctx), Err(Refusal::default()));
    }

    #[test]
    fn uid_ranges_and_supplementary_groups() {
        let cred = SockCred { uid: 1500, gid: 100, groups: vec![27] };
        let mut p = sent(Some(cred));
        assert!(owner(&[("uid-owner", false, "1000-2000")]).unwrap().matches(&mut p, &mut false));
        assert!(!owner(&[("uid-owner", true, "1000-2000")]).unwrap().matches(&mut p, &mut false));
        assert!(!owner(&[("gid-owner", false, "27")]).unwrap().matches(&mut p, &mut false));
        let mut suppl = owner(&[("gid-owner", false, "27"), ("suppl-groups", false, "")]).unwrap();
        assert!(suppl.matches(&mut p, &mut false));
    }

    #[test]
    fn without_socket_only_inverted_tests_match() {
        let mut none = Sent(TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Output), None);
        assert!(!owner(&[("socket-exists", false, "")]).unwrap().matches(&mut none, &mut false));
        assert!(owner(&[("socket-exists", true, "")]).unwrap().matches(&mut none, &mut false));
        assert!(owner(&[("uid-owner", true, "0")]).unwrap().matches(&mut none, &mut false));
        // A socket without a file: only --socket-exists can hold.
        let mut orphan = sent(None);
        assert!(owner(&[("socket-exists", false, "")]).unwrap().matches(&mut orphan, &mut false));
        assert!(!owner(&[("uid-owner", false, "0")]).unwrap().matches(&mut orphan, &mut false));
        // The default PacketView has no socket.
        let mut plain = TestPacket::new(TestPacket::udp([1; 4], [2; 4], 1, 2), Hook::Output);
        assert!(!owner(&[("uid-owner", false, "0")]).unwrap().matches(&mut plain, &mut false));
    }
}
