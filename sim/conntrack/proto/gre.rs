//! GRE (`nf_conntrack_proto_gre`): tuples by key, 30 s until both ways were
//! seen, then 180 s and ASSURED.
//!
//! Version 0 GRE has no keys in its tuple (both 0). Version 1 (PPTP) puts
//! the call id in the destination key; the source key would come from the
//! PPTP helper's keymap, which nfsim does not have, so it stays 0 as it
//! does in the kernel without that helper.

use super::{L4Tracker, L4Verdict, PacketCtx};
use crate::conntrack::conn::status;
use crate::conntrack::tuple::Tuple;
use crate::kernel::Sysctl;

/// The GRE tracker.
pub struct Gre;

impl L4Tracker for Gre {
    fn proto(&self) -> u8 {
        47
    }

    fn pkt_to_tuple(&self, l4: &[u8], t: &mut Tuple) -> bool {
        if l4.len() < 4 {
            return false;
        }
        (t.sport, t.dport) = (0, 0);
        if l4[1] & 0x07 == 1 {
            // Enhanced GRE (RFC 2637): key = payload length, call id.
            let Some(call_id) = l4.get(6..8) else { return false };
            t.dport = u16::from_be_bytes([call_id[0], call_id[1]]);
        }
        true
    }

    fn packet(&self, ctx: &PacketCtx<'_>, _state: &mut u32) -> L4Verdict {
        if ctx.status & status::SEEN_REPLY != 0 {
            let timeout_secs = ctx.sysctls.get(Sysctl::NfConntrackGreTimeoutStream);
            return L4Verdict::Accept { timeout_secs, set_status: status::ASSURED };
        }
        L4Verdict::Accept { timeout_secs: ctx.sysctls.get(Sysctl::NfConntrackGreTimeout), set_status: 0 }
    }

    fn name(&self) -> &'static str {
        "gre"
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::conntrack::conn::CtInfo;
    use crate::kernel::Sysctls;

    fn ctx(s: &Sysctls, status: u16) -> PacketCtx<'_> {
        PacketCtx { ip: &[], l4: &[], info: CtInfo::New, status, prerouting: true, now: 0, sysctls: s, seqadj: None }
    }

    #[test]
    fn unreplied_30s_then_a_stream_of_180s() {
        let s = Sysctls::default();
        assert_eq!(Gre.packet(&ctx(&s, 0), &mut 0), L4Verdict::Accept { timeout_secs: 30, set_status: 0 });
        assert_eq!(
            Gre.packet(&ctx(&s, status::SEEN_REPLY), &mut 0),
            L4Verdict::Accept { timeout_secs: 180, set_status: status::ASSURED }
        );
    }

    #[test]
    fn version_0_has_zero_keys_and_pptp_keys_by_call_id() {
        let mut t = Tuple::default();
        assert!(Gre.pkt_to_tuple(&[0x00, 0x00, 0x08, 0x00], &mut t));
        assert_eq!((t.sport, t.dport), (0, 0));
        assert!(Gre.pkt_to_tuple(&[0x30, 0x81, 0x88, 0x0b, 0x00, 0x10, 0x12, 0x34], &mut t));
        assert_eq!((t.sport, t.dport), (0, 0x1234));
        assert!(!Gre.pkt_to_tuple(&[0x00, 0x00], &mut t));
    }
}
