//! FTP (RFC 959, with EPSV from RFC 2428): a server that serves files of
//! given sizes ([`server`]) and a client that downloads one ([`client`]),
//! speaking the commands a conntrack helper reads.
//!
//! The control connection carries lines; each transfer opens a data
//! connection the way the mode says: *active* (`PORT`), the client listens
//! and the server connects from port 20; *passive* (`PASV`, reply 227) and
//! *extended passive* (`EPSV`, reply 229), the server listens and the
//! client connects. Behind NAT, the addresses inside `PORT` and 227 are
//! what the `ftp` helper must see and rewrite.

pub mod client;
pub mod server;

pub use client::FtpClient;
pub use server::FtpServer;

use std::net::Ipv4Addr;

/// How the data connection is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `PORT`: the server connects to the client.
    Active,
    /// `PASV`: the client connects to the address in the 227 reply.
    Passive,
    /// `EPSV`: the client connects to the control connection's peer, at
    /// the port in the 229 reply.
    Epsv,
}

impl Mode {
    /// The word used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Active => "active",
            Mode::Passive => "passive",
            Mode::Epsv => "epsv",
        }
    }

    /// From its scenario word.
    pub fn from_name(s: &str) -> Option<Mode> {
        [Mode::Active, Mode::Passive, Mode::Epsv].into_iter().find(|m| m.name() == s)
    }
}

/// `a,b,c,d,p1,p2`, the host-port form of `PORT` and 227.
pub fn host_port(addr: Ipv4Addr, port: u16) -> String {
    let o = addr.octets();
    format!("{},{},{},{},{},{}", o[0], o[1], o[2], o[3], port >> 8, port & 0xff)
}

/// Reads the first `a,b,c,d,p1,p2` in `text` (after `PORT `, or inside
/// the 227 reply's parentheses): the first run of digits and commas that
/// holds six numbers.
pub fn parse_host_port(text: &str) -> Option<(Ipv4Addr, u16)> {
    text.split(|c: char| !c.is_ascii_digit() && c != ',').find_map(|run| {
        let n: Vec<u8> = run.split(',').map(str::parse).collect::<Result<_, _>>().ok()?;
        (n.len() == 6).then(|| (Ipv4Addr::new(n[0], n[1], n[2], n[3]), u16::from(n[4]) << 8 | u16::from(n[5])))
    })
}

/// The port in a 229 reply: `229 Entering Extended Passive Mode (|||port|)`.
pub fn parse_epsv(text: &str) -> Option<u16> {
    let inner = text.split_once("(|||")?.1;
    inner.split_once('|')?.0.parse().ok()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn host_port_round_trips() {
        let a = Ipv4Addr::new(192, 168, 1, 10);
        assert_eq!(host_port(a, 40000), "192,168,1,10,156,64");
        assert_eq!(parse_host_port("PORT 192,168,1,10,156,64"), Some((a, 40000)));
        assert_eq!(parse_host_port("227 Entering Passive Mode (192,168,1,10,156,64)."), Some((a, 40000)));
        assert_eq!(parse_host_port("PORT 1,2,3"), None);
    }

    #[test]
    fn epsv_reply_names_a_port() {
        assert_eq!(parse_epsv("229 Entering Extended Passive Mode (|||40000|)"), Some(40000));
        assert_eq!(parse_epsv("229 nothing"), None);
    }
}
