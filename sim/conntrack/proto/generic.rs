//! The generic tracker, for every protocol without one of its own
//! (`generic_packet`): no ports, refresh to `nf_conntrack_generic_timeout`
//! (600 s) on every packet, never ASSURED.
//!
//! FIXME: SCTP, DCCP and GRE have trackers of their own in Linux (with their
//! own timeouts, and GRE keys in the tuple); here SCTP and DCCP are keyed by
//! ports and timed generically, GRE entirely generically.

use super::{L4Tracker, L4Verdict, PacketCtx};
use crate::conntrack::tuple::Tuple;
use crate::kernel::Sysctl;

/// The generic tracker.
pub struct Generic;

impl L4Tracker for Generic {
    fn proto(&self) -> u8 {
        0
    }

    fn pkt_to_tuple(&self, _l4: &[u8], _t: &mut Tuple) -> bool {
        true
    }

    fn packet(&self, ctx: &PacketCtx<'_>, _state: &mut u32) -> L4Verdict {
        L4Verdict::Accept { timeout_secs: ctx.sysctls.get(Sysctl::NfConntrackGenericTimeout), set_status: 0 }
    }

    fn name(&self) -> &'static str {
        "unknown"
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::conn::CtInfo;
    use crate::kernel::Sysctls;

    #[test]
    fn every_packet_refreshes_to_the_generic_timeout() {
        let mut s = Sysctls::default();
        fn ctx(s: &Sysctls) -> PacketCtx<'_> {
            PacketCtx {
                ip: &[],
                l4: &[],
                info: CtInfo::New,
                status: 0,
                prerouting: true,
                now: 0,
                sysctls: s,
                seqadj: None,
            }
        }
        assert_eq!(Generic.packet(&ctx(&s), &mut 0), L4Verdict::Accept { timeout_secs: 600, set_status: 0 });
        s.set(Sysctl::NfConntrackGenericTimeout, 42).unwrap();
        let ctx = ctx(&s);
        assert_eq!(Generic.packet(&ctx, &mut 0), L4Verdict::Accept { timeout_secs: 42, set_status: 0 });
    }
}
