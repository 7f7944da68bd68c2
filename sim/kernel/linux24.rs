//! Linux 2.4's `ip_conntrack` and `iptable_nat` as data: how the table was
//! sized, what an entry cost, how tuples were hashed, and the words the
//! FAQ quotes. Read from 2.4.0–2.4.32 `ip_conntrack_core.c`,
//! `ip_conntrack_standalone.c` and `ip_nat_standalone.c`; the FAQ's own
//! figures (350 bytes per entry) where the sources give a `sizeof`.
//!
//! Everything here is a pure function or a constant; the few places that
//! behave differently under the profile ask [`super::Profile`], which
//! points here.

use std::net::Ipv4Addr;

/// What the FAQ (3.7) gives as the memory one tracked connection costs
/// on 2.4 (`sizeof(struct ip_conntrack)` on i386, printed at load time).
pub const ENTRY_BYTES: u32 = 350;

/// A bucket head was a `struct list_head`: two 32-bit pointers on i386.
const BUCKET_HEAD_BYTES: u64 = 8;

/// The memory of the box a `linux-2.4` profile stands for: the FAQ's
/// first example (64 MB), which sizes the table at 512 buckets and 4096
/// entries.
pub const RAM_BYTES: u64 = 64 << 20;

/// 2.4's /proc/sys names of the knobs today's kernel renamed, as
/// `(2.4 name, today's name)`: `ip_conntrack_max` became
/// `nf_conntrack_max`, the window-tracking patch's `be_liberal` moved too.
pub const SYSCTL_NAMES: [(&str, &str); 2] = [
    ("net.ipv4.ip_conntrack_max", "net.netfilter.nf_conntrack_max"),
    ("net.ipv4.netfilter.ip_conntrack_tcp_be_liberal", "net.netfilter.nf_conntrack_tcp_be_liberal"),
];

/// The module's version string in its load line.
const VERSION: &str = "2.1";

/// `ip_conntrack_init` without `hashsize=`: one bucket per 16 KiB of RAM
/// divided by the bucket head size, 8192 above 1 GiB, at least 16; the
/// limit is eight entries per bucket. Returns `(buckets, max)`.
///
/// The FAQ's rule of thumb follows: 64 MB gives 512 buckets and 4096
/// entries, 128 MB gives 8192 entries.
pub fn sizing(ram_bytes: u64, hashsize: Option<u32>) -> (u32, u32) {
    let buckets = match hashsize {
        Some(h) => h,
        None if ram_bytes > 1 << 30 => 8192,
        None => ((ram_bytes / 16384 / BUCKET_HEAD_BYTES) as u32).max(16),
    };
    (buckets, buckets.saturating_mul(8))
}

/// The line `ip_conntrack` printed when it loaded.
pub fn load_line(buckets: u32, max: u32) -> String {
    format!("ip_conntrack version {VERSION} ({buckets} buckets, {max} max) - {ENTRY_BYTES} bytes per conntrack")
}

/// The warning printed (rate-limited, KERN_WARNING) whenever a new entry
/// met a full table (2.4.0's wording, FAQ 3.7).
pub fn table_full(max: u32) -> String {
    format!("ip_conntrack: maximum limit of {max} entries exceeded")
}

/// The nat hook's line for a packet without conntrack information (FAQ
/// 3.1, 3.2): KERN_DEBUG, rate-limited. `hooknum` is 2.4's numbering
/// (PRE_ROUTING 0, LOCAL_IN 1, FORWARD 2, LOCAL_OUT 3, POST_ROUTING 4);
/// `skb` stands for the `%p` of the socket buffer.
pub fn nat_untracked(hooknum: u8, skb: u32, proto: u8, src: Ipv4Addr, dst: Ipv4Addr) -> String {
    format!("NAT: {hooknum} dropping untracked packet {skb:08x} {proto} {src} -> {dst}")
}

/// The /proc file listing tracked connections.
pub const PROC_CONNTRACK: &str = "/proc/net/ip_conntrack";

/// The tuple hash of 2.4 before it took Jenkins' hash (2.4.0 to about
/// 2.4.21): the addresses, ports and protocol added up as the i386 held
/// them (network byte order read as little-endian words), byte-swapped
/// back, the source port added once more so that the two directions of
/// a connection differ, and the sum taken modulo the bucket count.
///
/// Sums keep no bit mixing: consecutive ports land in consecutive
/// buckets, and with an even (worse, a power-of-two) bucket count the
/// high bits of the addresses never reach the bucket number — the FAQ's
/// advice to pick an odd, preferably prime `hashsize` comes from here.
pub fn hash(src: u32, dst: u32, sport: u16, dport: u16, proto: u8, buckets: u32) -> u32 {
    // What a little-endian CPU sees in a big-endian field.
    let sum = src
        .swap_bytes()
        .wrapping_add(dst.swap_bytes())
        .wrapping_add(u32::from(sport.swap_bytes()))
        .wrapping_add(u32::from(dport.swap_bytes()))
        .wrapping_add(u32::from(proto));
    sum.swap_bytes().wrapping_add(u32::from(sport)) % buckets.max(1)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_faqs_limits_follow_from_memory() {
        assert_eq!(sizing(64 << 20, None), (512, 4096));
        assert_eq!(sizing(128 << 20, None), (1024, 8192));
        assert_eq!(sizing(256 << 20, None), (2048, 16384));
        assert_eq!(sizing(2 << 30, None), (8192, 65536));
        assert_eq!(sizing(64 << 10, None), (16, 128));
        assert_eq!(sizing(64 << 20, Some(4099)), (4099, 32792));
    }

    #[test]
    fn texts_are_the_faqs() {
        assert_eq!(load_line(512, 4096), "ip_conntrack version 2.1 (512 buckets, 4096 max) - 350 bytes per conntrack");
        assert_eq!(table_full(4096), "ip_conntrack: maximum limit of 4096 entries exceeded");
        let (s, d) = (Ipv4Addr::new(192, 168, 1, 10), Ipv4Addr::new(224, 0, 0, 1));
        assert_eq!(
            nat_untracked(0, 0xc1a2_b300, 2, s, d),
            "NAT: 0 dropping untracked packet c1a2b300 2 192.168.1.10 -> 224.0.0.1"
        );
    }

    #[test]
    fn the_old_hash_walks_buckets_with_the_port() {
        let (s, d) = (u32::from(Ipv4Addr::new(10, 0, 0, 1)), u32::from(Ipv4Addr::new(10, 0, 0, 2)));
        let a = hash(s, d, 1024, 80, 6, 4096);
        let b = hash(s, d, 1025, 80, 6, 4096);
        // The source port counts twice: byte-swapped inside the sum, which
        // lands in the top 16 bits and is lost to a power-of-two modulus,
        // and once plain: consecutive ports, consecutive buckets.
        assert_eq!((b + 4096 - a) % 4096, 1);
        // The destination port reaches the bucket only through carries.
        assert_eq!(hash(s, d, 1024, 80, 6, 4096), hash(s, d, 1024, 8080, 6, 4096));
        assert_ne!(hash(s, d, 1024, 80, 6, 4099), hash(s, d, 1024, 8080, 6, 4099));
        // The two directions of one connection hash apart.
        assert_ne!(hash(s, d, 1024, 80, 6, 4096), hash(d, s, 80, 1024, 6, 4096));
    }
}

/// Match and target extensions a 2.4 kernel did not have: they came with
/// 2.6 or later (some existed only as patch-o-matic patches for 2.4, not in
/// a stock kernel). Loading a rule that uses one fails in the kernel's
/// extension lookup (ENOENT), which iptables reports as "No
/// chain/target/match by that name." Release versions are from memory.
pub const MISSING_EXTENSIONS: &[&str] = &[
    // 2.6.7 .. 2.6.23
    "addrtype",
    "comment",
    "connbytes",
    "connlimit",
    "hashlimit",
    "physdev",
    "quota",
    "statistic",
    "string",
    "u32",
    "NFLOG",
    "NFQUEUE",
    "SECMARK",
    "CONNSECMARK",
    // 2.6.28 and later
    "cpu",
    "devgroup",
    "rpfilter",
    "socket",
    "time",
    "CT",
    "TEE",
    "TPROXY",
    "CHECKSUM",
    "SYNPROXY",
    "AUDIT",
];

/// The first extension `argv` (an iptables command line's words after
/// `iptables`) names with `-m`/`--match` or `-j`/`--jump` that 2.4 lacks.
pub fn missing_extension(argv: &[String]) -> Option<&str> {
    argv.windows(2).find_map(|w| {
        let named = matches!(w[0].as_str(), "-m" | "--match" | "-j" | "--jump");
        (named && MISSING_EXTENSIONS.contains(&w[1].as_str())).then_some(w[1].as_str())
    })
}

#[cfg(test)]
mod extension_test {
    #[test]
    fn extensions_after_2_4_are_found_by_match_or_target() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(super::missing_extension(&words("-A INPUT -m comment --comment x -j ACCEPT")), Some("comment"));
        assert_eq!(super::missing_extension(&words("-t raw -A PREROUTING --jump CT --notrack")), Some("CT"));
        assert_eq!(super::missing_extension(&words("-A INPUT -m state --state NEW -j LOG")), None);
        assert_eq!(super::missing_extension(&words("-A INPUT -p tcp --dport 22 -j ACCEPT")), None);
    }
}
