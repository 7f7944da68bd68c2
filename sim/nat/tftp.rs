//! The TFTP NAT helper (`nf_nat_tftp`): nothing in the request names an
//! address, so only the expectation changes: the transfer will follow the
//! master's NAT, back to the client's original port.

use crate::conntrack::expect::{Expectation, FollowMaster};
use crate::conntrack::{Conntrack, CtDir, CtRef, ExpectOutcome};
use crate::kernel::Sysctls;

/// Places `exp` for the master `r`, marked to follow it.
pub fn expect(ct: &mut Conntrack, r: CtRef, mut exp: Expectation, sysctls: &Sysctls) -> ExpectOutcome {
    let saved_port = ct.conn(r).orig().sport;
    exp.nat = Some(FollowMaster { dir: CtDir::Reply, saved_port });
    ct.expect_related(r, exp, sysctls)
}
