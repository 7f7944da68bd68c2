//! IRC (RFC 1459) with DCC: a server that registers nicks and relays
//! `PRIVMSG` ([`server`]), and a client that can offer a file or a chat
//! by DCC, and take such offers ([`client`]).
//!
//! A DCC offer is a CTCP message inside a `PRIVMSG`: `\1DCC SEND NAME
//! ADDR PORT SIZE\1`, the address as one decimal number. The peer connects
//! straight to that address, which behind NAT is private: the `irc`
//! conntrack helper rewrites it and expects the peer's connection.
//! `DCC RESUME NAME PORT OFFSET` and its answer `DCC ACCEPT` carry no
//! address, and the helper leaves them alone (netfilter FAQ 3.5).

pub mod client;
pub mod server;

pub use client::IrcClient;
pub use server::IrcServer;

use std::net::Ipv4Addr;

/// A DCC request, as CTCP text between the `\1`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dcc {
    /// `SEND NAME ADDR PORT SIZE`.
    Send { name: String, addr: Ipv4Addr, port: u16, size: u64 },
    /// `CHAT chat ADDR PORT`.
    Chat { addr: Ipv4Addr, port: u16 },
    /// `RESUME NAME PORT OFFSET`: the receiver has OFFSET bytes already.
    Resume { name: String, port: u16, offset: u64 },
    /// `ACCEPT NAME PORT OFFSET`: the sender agrees to start there.
    Accept { name: String, port: u16, offset: u64 },
}

impl Dcc {
    /// The CTCP message, `\1` included.
    pub fn text(&self) -> String {
        let body = match self {
            Dcc::Send { name, addr, port, size } => format!("SEND {name} {} {port} {size}", u32::from(*addr)),
            Dcc::Chat { addr, port } => format!("CHAT chat {} {port}", u32::from(*addr)),
            Dcc::Resume { name, port, offset } => format!("RESUME {name} {port} {offset}"),
            Dcc::Accept { name, port, offset } => format!("ACCEPT {name} {port} {offset}"),
        };
        format!("\x01DCC {body}\x01")
    }

    /// Reads a CTCP DCC message (the text after `PRIVMSG target :`).
    pub fn parse(msg: &str) -> Option<Dcc> {
        let body = msg.strip_prefix("\x01DCC ")?.trim_end_matches('\x01');
        let w: Vec<&str> = body.split(' ').collect();
        let num = |i: usize| w.get(i).and_then(|x| x.parse::<u64>().ok());
        let port = |i: usize| w.get(i).and_then(|x| x.parse::<u16>().ok());
        let addr = |i: usize| w.get(i).and_then(|x| x.parse::<u32>().ok()).map(Ipv4Addr::from);
        let name = w.get(1).map(|s| s.to_string());
        match *w.first()? {
            "SEND" => Some(Dcc::Send { name: name?, addr: addr(2)?, port: port(3)?, size: num(4)? }),
            "CHAT" => Some(Dcc::Chat { addr: addr(2)?, port: port(3)? }),
            "RESUME" => Some(Dcc::Resume { name: name?, port: port(2)?, offset: num(3)? }),
            "ACCEPT" => Some(Dcc::Accept { name: name?, port: port(2)?, offset: num(3)? }),
            _ => None,
        }
    }
}

/// A line for the transcript: CTCP's `\1` shown as `^A`, as irssi's raw
/// log does.
pub fn shown(line: &str) -> String {
    line.replace('\x01', "^A")
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn dcc_send_round_trips() {
        let d = Dcc::Send { name: "a.bin".into(), addr: Ipv4Addr::new(192, 168, 1, 10), port: 40000, size: 5 };
        assert_eq!(d.text(), "\x01DCC SEND a.bin 3232235786 40000 5\x01");
        assert_eq!(Dcc::parse(&d.text()), Some(d));
    }

    #[test]
    fn resume_names_no_address() {
        let d = Dcc::Resume { name: "a.bin".into(), port: 40000, offset: 100 };
        assert_eq!(d.text(), "\x01DCC RESUME a.bin 40000 100\x01");
        assert_eq!(Dcc::parse(&d.text()), Some(d));
    }
}
