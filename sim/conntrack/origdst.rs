//! `getsockopt(fd, SOL_IP, SO_ORIGINAL_DST)`: where a connection that NAT
//! turned towards a local socket was first headed (the kernel's
//! `getorigdst`, registered by conntrack for IPv4).
//!
//! The socket knows only its own ends: local address and port, peer address
//! and port. Seen from the socket, that pair is the connection's *reply*
//! direction, so the kernel builds the tuple local → peer, finds the entry
//! (either direction matches), and answers the ORIGINAL direction's
//! destination. A transparent proxy behind `REDIRECT` (squid's `intercept`)
//! learns the address the client asked for this way. Nothing here changes
//! the table apart from reaping expired entries the lookup meets, as the
//! kernel's lookup does.

use super::tuple::proto_num;
use super::{Conntrack, Tuple};
use crate::engine::Instant;
use std::net::Ipv4Addr;

/// Why the lookup gave no address, as `errno` would say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrigDstError {
    /// `ENOENT`: conntrack has no entry for the socket's tuple.
    NoEntry,
    /// `ENOPROTOOPT`: conntrack is not loaded on the box, so the socket
    /// option does not exist.
    NoConntrack,
}

impl OrigDstError {
    /// The `strerror` text a program would print.
    pub fn text(self) -> &'static str {
        match self {
            OrigDstError::NoEntry => "No such file or directory",
            OrigDstError::NoConntrack => "Protocol not available",
        }
    }
}

/// The ORIGINAL destination of the TCP connection a socket with ends
/// `local` and `peer` belongs to, in the default zone.
///
/// # Errors
/// [`OrigDstError::NoConntrack`] without a table, [`OrigDstError::NoEntry`]
/// when no confirmed entry holds the tuple.
pub fn original_dst(
    ct: Option<&mut Conntrack>,
    local: (Ipv4Addr, u16),
    peer: (Ipv4Addr, u16),
    now: Instant,
) -> Result<(Ipv4Addr, u16), OrigDstError> {
    let ct = ct.ok_or(OrigDstError::NoConntrack)?;
    let seen = Tuple::new(local.0, peer.0, proto_num::TCP, local.1, peer.1);
    let found = ct.find(&seen, 0, now).ok_or(OrigDstError::NoEntry)?;
    let orig = ct.get(found).orig();
    Ok((orig.dst_addr(), orig.dport))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::CtConfig;
    use crate::conntrack::testutil::{secs, tcp};
    use crate::kernel::Sysctls;

    const CLIENT: [u8; 4] = [192, 168, 1, 10];
    const WEB: [u8; 4] = [198, 51, 100, 80];
    const BOX: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);

    /// A table holding the client's SYN to WEB:80, its reply redirected to
    /// BOX:3128 as REDIRECT leaves it.
    fn redirected() -> Conntrack {
        let s = Sysctls::default();
        let mut t = Conntrack::new(CtConfig { buckets: 64, max: 0, seed: 5, netns: None });
        // As OUTPUT sees it: no checksum to verify on a made-up segment.
        let r = t.in_hook(&tcp(CLIENT, WEB, 40000, 80, 0x02), true, 0, secs(0), &s).ct.expect("a new entry");
        let reply = Tuple::new(BOX, Ipv4Addr::from(CLIENT), proto_num::TCP, 3128, 40000);
        t.alter_reply(r, reply);
        t.confirm(r, secs(0)).expect("confirmed");
        t
    }

    #[test]
    fn redirected_socket_learns_the_address_the_client_asked_for() {
        let mut t = redirected();
        let got = original_dst(Some(&mut t), (BOX, 3128), (Ipv4Addr::from(CLIENT), 40000), secs(1));
        assert_eq!(got, Ok((Ipv4Addr::from(WEB), 80)));
    }

    #[test]
    fn unknown_socket_is_enoent_and_no_table_is_enoprotoopt() {
        let mut t = redirected();
        let other = original_dst(Some(&mut t), (BOX, 3128), (Ipv4Addr::from(CLIENT), 40001), secs(1));
        assert_eq!(other, Err(OrigDstError::NoEntry));
        assert_eq!(other.unwrap_err().text(), "No such file or directory");
        let none = original_dst(None, (BOX, 3128), (Ipv4Addr::from(CLIENT), 40000), secs(1));
        assert_eq!(none, Err(OrigDstError::NoConntrack));
    }
}
