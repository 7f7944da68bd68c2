//! The FTP NAT helper (`nf_nat_ftp`): the address a PORT, EPRT, 227 or 229
//! names becomes the one the peer must connect to (the master's NAT
//! address for the client's commands, the server's as the client sees it
//! for the replies), the port is kept if free, and the text is rewritten
//! in place, its length change handed to sequence adjustment.

use super::Nat;
use super::helper::{Placed, mangle_tcp};
use crate::conntrack::expect::Expectation;
use crate::conntrack::helper::ftp::{Cmd, Kind};
use crate::conntrack::{Conntrack, CtRef};
use crate::kernel::Sysctls;
use crate::skb::Skb;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The replacement text (`nf_nat_ftp_fmt_cmd`).
pub fn text(kind: Kind, addr: u32, port: u16) -> String {
    let [a, b, c, d] = addr.to_be_bytes();
    let mut s = String::with_capacity(32);
    let _ = match kind {
        Kind::Port | Kind::Pasv => write!(s, "{a},{b},{c},{d},{},{}", port >> 8, port & 0xff),
        Kind::Eprt => write!(s, "|1|{}|{port}|", Ipv4Addr::from(addr)),
        Kind::Epsv => write!(s, "|||{port}|"),
    };
    s
}

/// Rewrites `cmd` in the packet of master `r` and places `exp` for it.
/// `Err` carries the reason the kernel logs as it drops the packet; `log`
/// gets a line the expectation table asked to print.
#[allow(clippy::too_many_arguments)] // the packet, its entry, what was found, and where each side effect goes
pub fn rewrite(
    nat: &mut Nat,
    ct: &mut Conntrack,
    r: CtRef,
    skb: &mut Skb,
    cmd: &Cmd,
    exp: Expectation,
    sysctls: &Sysctls,
    log: &mut Option<String>,
) -> Result<(), &'static str> {
    let dir = r.dir();
    let new_addr = ct.conn(r).tuple(dir.other()).dst;
    let Placed { result, log: line } = nat.expect_find_port(ct, r, exp, dir.other(), sysctls);
    *log = line.or(log.take());
    let Ok((id, port)) = result else { return Err("all ports in use") };
    let seq = tcp_seq(skb.data());
    match mangle_tcp(skb, cmd.off, cmd.len, text(cmd.kind, new_addr, port).as_bytes()) {
        Some(delta) => {
            ct.seqadj_record(r, dir, seq, delta);
            Ok(())
        }
        None => {
            ct.unexpect(id);
            Err("cannot mangle packet")
        }
    }
}

/// The TCP sequence number of an IPv4 datagram's segment.
pub(super) fn tcp_seq(ip: &[u8]) -> u32 {
    let l4 = usize::from(ip[0] & 0x0f) * 4;
    u32::from_be_bytes([ip[l4 + 4], ip[l4 + 5], ip[l4 + 6], ip[l4 + 7]])
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn replacement_texts_are_the_kernels() {
        let a = u32::from(Ipv4Addr::new(203, 0, 113, 100));
        assert_eq!(text(Kind::Port, a, 40000), "203,0,113,100,156,64");
        assert_eq!(text(Kind::Pasv, a, 21), "203,0,113,100,0,21");
        assert_eq!(text(Kind::Eprt, a, 40001), "|1|203.0.113.100|40001|");
        assert_eq!(text(Kind::Epsv, a, 50001), "|||50001|");
    }
}
