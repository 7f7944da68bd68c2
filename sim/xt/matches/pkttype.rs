//! `-m pkttype [!] --pkt-type unicast|broadcast|multicast|otherhost`: the
//! link-layer class of the packet (`skb->pkt_type`).

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::{self, PacketView};
use crate::xt::{Match, RuleInfo};

/// Names iptables accepts, in its table's order; the first name of a value
/// is the one it prints (aliases come last).
const TYPES: [(&str, u8); 7] = [
    ("unicast", packet::PKT_HOST),
    ("broadcast", packet::PKT_BROADCAST),
    ("multicast", packet::PKT_MULTICAST),
    ("otherhost", packet::PKT_OTHERHOST),
    ("bcast", packet::PKT_BROADCAST),
    ("mcast", packet::PKT_MULTICAST),
    ("host", packet::PKT_HOST),
];

/// The pkttype match.
#[derive(Clone, Debug, Default)]
pub struct PktType {
    /// The `PACKET_*` value, once given.
    pub pkt_type: Option<u8>,
    /// `!`.
    pub inv: bool,
}

const OPTS: &[Opt] = &[Opt::inv("pkt-type")];

impl PktType {
    fn type_name(&self) -> String {
        let v = self.pkt_type.unwrap_or_default();
        TYPES.iter().find(|t| t.1 == v).map_or_else(|| v.to_string(), |t| t.0.to_string())
    }
}

impl Match for PktType {
    fn name(&self) -> &'static str {
        "pkttype"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, inv: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        let t = TYPES
            .iter()
            .find(|t| t.0.eq_ignore_ascii_case(args[0]))
            .ok_or_else(|| opts::param(format!("Bad packet type '{}'", args[0])))?;
        self.pkt_type = Some(t.1);
        self.inv = inv;
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        self.pkt_type.map(|_| ()).ok_or_else(|| opts::must_specify("pkttype", "pkt-type"))
    }
    fn save(&self, out: &mut String) {
        out.push_str(&format!("{} --pkt-type {}", if self.inv { " !" } else { "" }, self.type_name()));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" PKTTYPE {}= {}", if self.inv { "!" } else { "" }, self.type_name()));
    }
    fn matches(&mut self, pkt: &mut dyn PacketView, _: &mut bool) -> bool {
        let mut t = pkt.pkt_type();
        if t == packet::PKT_LOOPBACK {
            // xt_pkttype: a looped-back copy counts by its IPv4 destination.
            let mcast = packet::ipv4(pkt.ip()).is_some_and(|ip| ip.dst.is_multicast());
            t = if mcast { packet::PKT_MULTICAST } else { packet::PKT_BROADCAST };
        }
        (Some(t) == self.pkt_type) != self.inv
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::xt::Hook;
    use crate::xt::packet::TestPacket;

    fn pkttype(arg: &str, inv: bool) -> PktType {
        let mut m = PktType::default();
        m.parse("pkt-type", inv, &[arg], &RuleInfo::default()).unwrap();
        m
    }

    #[test]
    fn aliases_print_under_their_first_name() {
        let m = pkttype("host", true);
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" ! --pkt-type unicast", " PKTTYPE != unicast"));
    }

    #[test]
    fn bad_and_missing_type() {
        let e = PktType::default().parse("pkt-type", false, &["outgoing"], &RuleInfo::default());
        assert_eq!(e, Err(opts::param("Bad packet type 'outgoing'")));
        assert_eq!(PktType::default().finish(&RuleInfo::default()), Err(opts::must_specify("pkttype", "pkt-type")));
    }

    #[test]
    fn class_comes_from_the_destination_mac() {
        let mut p = TestPacket::new(TestPacket::udp([1; 4], [255; 4], 1, 2), Hook::Input);
        let mut link = vec![0xff; 6];
        link.extend_from_slice(&[2, 0, 0, 0, 0, 1, 8, 0]);
        p.link = Some(link);
        assert!(pkttype("broadcast", false).matches(&mut p, &mut false));
        p.link.as_mut().unwrap()[..6].copy_from_slice(&[1, 0, 0x5e, 0, 0, 1]);
        assert!(pkttype("multicast", false).matches(&mut p, &mut false));
        p.link = None;
        assert!(pkttype("unicast", false).matches(&mut p, &mut false));
        assert!(!pkttype("unicast", true).matches(&mut p, &mut false));
    }
}
