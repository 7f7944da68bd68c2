//! The IRC NAT helper (`nf_nat_irc`): a DCC offer's `ADDR PORT` becomes the
//! client's NAT address (as one decimal number) and the expectation's port,
//! so the peer connects to the box, which forwards to the client.

use super::Nat;
use super::ftp::tcp_seq;
use super::helper::{Placed, mangle_tcp};
use crate::conntrack::expect::Expectation;
use crate::conntrack::helper::irc::Dcc;
use crate::conntrack::{Conntrack, CtDir, CtRef};
use crate::kernel::Sysctls;
use crate::skb::Skb;

/// Rewrites the offer `dcc` in the packet of master `r` (the client's) and
/// places `exp`; `Err` is the reason the kernel logs as it drops.
#[allow(clippy::too_many_arguments)] // the packet, its entry, what was found, and where each side effect goes
pub fn rewrite(
    nat: &mut Nat,
    ct: &mut Conntrack,
    r: CtRef,
    skb: &mut Skb,
    dcc: &Dcc,
    exp: Expectation,
    sysctls: &Sysctls,
    log: &mut Option<String>,
) -> Result<(), &'static str> {
    let new_addr = ct.conn(r).reply().dst;
    let Placed { result, log: line } = nat.expect_find_port(ct, r, exp, CtDir::Reply, sysctls);
    *log = line.or(log.take());
    let Ok((id, port)) = result else { return Err("all ports in use") };
    let seq = tcp_seq(skb.data());
    match mangle_tcp(skb, dcc.off, dcc.len, format!("{new_addr} {port}").as_bytes()) {
        Some(delta) => {
            ct.seqadj_record(r, r.dir(), seq, delta);
            Ok(())
        }
        None => {
            ct.unexpect(id);
            Err("cannot mangle packet")
        }
    }
}
