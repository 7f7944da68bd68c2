//! The files a host's C library reads to turn an address into a name:
//! `/etc/resolv.conf` (which nameservers, how long to wait, how often to
//! ask), `/etc/hosts` (consulted first, `hosts: files dns`) and
//! `/etc/networks` (for `getnetbyaddr`, which iptables tries when no host
//! name is found). Read as glibc reads them: see each function.

use std::net::Ipv4Addr;

/// Where the files live in [`crate::net::Host::files`].
pub const RESOLV_CONF: &str = "/etc/resolv.conf";
/// `/etc/hosts`.
pub const HOSTS: &str = "/etc/hosts";
/// `/etc/networks`.
pub const NETWORKS: &str = "/etc/networks";

/// `/etc/hosts` on a box nobody edited (the loopback line every
/// distribution ships).
pub const DEFAULT_HOSTS: &str = "127.0.0.1\tlocalhost\n";
/// `/etc/networks` as Debian ships it (netbase).
pub const DEFAULT_NETWORKS: &str = "default\t\t0.0.0.0\nloopback\t127.0.0.0\nlink-local\t169.254.0.0\n";

/// glibc's `MAXNS`: nameservers after the third are ignored.
pub const NAMESERVERS_MAX: usize = 3;
/// `RES_TIMEOUT`: seconds of the first wait.
const TIMEOUT_S_DEFAULT: i32 = 5;
/// `RES_DFLRETRY`: rounds over the nameservers.
const ATTEMPTS_DEFAULT: i32 = 2;
/// `RES_MAXRETRANS`, `RES_MAXRETRY`: the ceilings of the options.
const TIMEOUT_S_MAX: i32 = 30;
const ATTEMPTS_MAX: i32 = 5;

/// What `res_init` makes of `/etc/resolv.conf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// At most three, in file order; `127.0.0.1` when the file names none
    /// (or does not exist), as glibc falls back to the loopback address.
    pub nameservers: Vec<Ipv4Addr>,
    /// `options timeout:N` (`retrans`), seconds; may be 0 or negative as
    /// written (`atoi`), the send loop makes that 1 s.
    pub timeout_s: i32,
    /// `options attempts:N` (`retry`); 0 or less means no query is sent.
    pub attempts: i32,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf { nameservers: vec![Ipv4Addr::LOCALHOST], timeout_s: TIMEOUT_S_DEFAULT, attempts: ATTEMPTS_DEFAULT }
    }
}

/// C's `atoi`: optional blanks and sign, then digits; anything else is 0.
fn atoi(s: &str) -> i32 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n =
        digits.bytes().take_while(u8::is_ascii_digit).fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1 << 32));
    let n = if neg { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Reads `/etc/resolv.conf` text (or `None`: no file). Lines starting
/// with `;` or `#` are comments; a keyword must be followed by a blank;
/// `nameserver` takes an address (an IPv6 one is skipped here, where
/// glibc would give it one of the three places: nfsim models IPv4 only); `options` words are read left to right, the last of each
/// winning; `timeout:` and `attempts:` are capped at 30 and 5 but not
/// raised (`res_setoptions`). `domain`, `search`, `sortlist` and other
/// options change nothing a reverse lookup does.
pub fn resolv_conf(text: Option<&str>) -> ResolvConf {
    let mut conf = ResolvConf { nameservers: Vec::new(), ..ResolvConf::default() };
    for line in text.unwrap_or_default().lines() {
        if line.starts_with([';', '#']) {
            continue;
        }
        let keyword = |k: &str| line.strip_prefix(k).filter(|rest| rest.starts_with([' ', '\t']));
        if let Some(rest) = keyword("nameserver") {
            // inet_aton reads up to the first blank.
            let word = rest.trim_start().split([' ', '\t']).next().unwrap_or_default();
            if let Ok(a) = word.parse::<Ipv4Addr>() {
                conf.nameservers.push(a);
            }
        } else if let Some(rest) = keyword("options") {
            for opt in rest.split([' ', '\t']).filter(|w| !w.is_empty()) {
                if let Some(n) = opt.strip_prefix("timeout:") {
                    conf.timeout_s = atoi(n).min(TIMEOUT_S_MAX);
                } else if let Some(n) = opt.strip_prefix("attempts:") {
                    conf.attempts = atoi(n).min(ATTEMPTS_MAX);
                }
            }
        }
    }
    conf.nameservers.truncate(NAMESERVERS_MAX);
    if conf.nameservers.is_empty() {
        conf.nameservers.push(Ipv4Addr::LOCALHOST);
    }
    conf
}

/// The first words of a file's lines with `#` comments cut.
fn entries(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().map(|l| l.split('#').next().unwrap_or_default().split_whitespace().collect::<Vec<_>>())
}

/// `gethostbyaddr` from `/etc/hosts`: the first line naming the address
/// gives its first name (the canonical one).
pub fn host_by_addr(hosts: &str, a: Ipv4Addr) -> Option<String> {
    host_names(hosts, a).into_iter().next()
}

/// Every name of the first `/etc/hosts` line naming `a`: the canonical
/// name, then its aliases.
pub fn host_names(hosts: &str, a: Ipv4Addr) -> Vec<String> {
    entries(hosts)
        .find(|w| w.len() >= 2 && w[0].parse::<Ipv4Addr>() == Ok(a))
        .map(|w| w[1..].iter().map(|n| n.to_string()).collect())
        .unwrap_or_default()
}

/// `inet_network`: one to four dotted parts, the last filling the low
/// bytes (`127` is 0x7f, `169.254` is 0xa9fe); decimal, `0x` hex or
/// leading-0 octal parts.
pub fn inet_network(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut n: u32 = 0;
    for p in parts {
        let v = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u32::from_str_radix(&p[1..], 8).ok()?
        } else {
            p.parse::<u32>().ok()?
        };
        if v > 255 {
            return None;
        }
        n = (n << 8) | v;
    }
    Some(n)
}

/// `getnetbyaddr(net, AF_INET)` from `/etc/networks`: the first line
/// whose number equals `net` (a host-order value compared whole, so
/// `loopback 127.0.0.0` matches 127.0.0.0 and `loopback 127` would not).
pub fn net_by_addr(networks: &str, net: Ipv4Addr) -> Option<String> {
    entries(networks).find(|w| w.len() >= 2 && inet_network(w[1]) == Some(u32::from(net))).map(|w| w[0].to_string())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn resolv_conf_reads_as_glibc_does() {
        assert_eq!(resolv_conf(None), ResolvConf::default());
        let c = resolv_conf(Some(
            "# comment\nnameserver 192.0.2.53\nnameserver\t192.0.2.54 # x\n;nameserver 192.0.2.9\n\
             nameserver 192.0.2.55\nnameserver 192.0.2.56\n\
             options timeout:2 attempts:9 rotate\noptions timeout:45\nnameservers 192.0.2.1\n",
        ));
        assert_eq!(c.nameservers, [[192, 0, 2, 53], [192, 0, 2, 54], [192, 0, 2, 55]].map(Ipv4Addr::from));
        assert_eq!((c.timeout_s, c.attempts), (30, 5));
        let c = resolv_conf(Some("options timeout:x attempts:-1\n"));
        assert_eq!(c.nameservers, [Ipv4Addr::LOCALHOST]);
        assert_eq!((c.timeout_s, c.attempts), (0, -1));
        assert_eq!(atoi(" 12abc"), 12);
        assert_eq!(atoi("99999999999"), i32::MAX);
    }

    #[test]
    fn hosts_and_networks_give_the_first_match() {
        let hosts = "127.0.0.1 localhost\n198.51.100.80 www www.example.net # web\n198.51.100.80 other\n";
        assert_eq!(host_by_addr(hosts, [198, 51, 100, 80].into()).as_deref(), Some("www"));
        assert_eq!(host_by_addr(hosts, [198, 51, 100, 81].into()), None);
        assert_eq!(net_by_addr(DEFAULT_NETWORKS, [127, 0, 0, 0].into()).as_deref(), Some("loopback"));
        assert_eq!(net_by_addr(DEFAULT_NETWORKS, [0, 0, 0, 0].into()).as_deref(), Some("default"));
        assert_eq!(net_by_addr("lan 10.1\n", [0, 0, 10, 1].into()).as_deref(), Some("lan"));
        assert_eq!(net_by_addr("lan 10.1\n", [10, 1, 0, 0].into()), None);
        assert_eq!(inet_network("0x7f.010"), Some(0x7f08));
        assert_eq!(inet_network("1.2.3.4.5"), None);
    }
}
