//! Tests of bindings against a real table: tuple selection, the port
//! search, determinism of the random draws, exhaustion, ICMP errors.

use super::testutil::{checksums_ok, icmp_error, syn, udp};
use super::*;
use crate::conntrack::{ConfirmError, CtConfig, CtInfo};
use crate::engine::Instant;
use crate::kernel::Sysctls;
use proptest::prelude::*;

const WAN: [u8; 4] = [203, 0, 113, 1];
const SERVER: [u8; 4] = [198, 51, 100, 7];

struct Router {
    ct: Conntrack,
    nat: Nat,
    sysctls: Sysctls,
}

impl Router {
    fn new(seed: u64) -> Router {
        Router {
            ct: Conntrack::new(CtConfig { buckets: 1024, max: 0, seed, netns: None }),
            nat: Nat::new(crate::engine::Rng::new(seed).fork("nat")),
            sysctls: Sysctls::default(),
        }
    }

    /// A forwarded NEW packet: conntrack, a SRC binding within `range` (or
    /// a null binding), the rewrite, confirmation. Returns the packet as it
    /// leaves and the confirmation's outcome.
    fn snat(&mut self, mut pkt: Vec<u8>, range: Option<&Range>) -> (Vec<u8>, Result<CtRef, ConfirmError>) {
        let r = self.ct.in_hook(&pkt, false, 0, Instant::ZERO, &self.sysctls).ct.expect("tracked");
        assert_eq!(r.info, CtInfo::New);
        self.nat.null_binding(&mut self.ct, r, Manip::Dst);
        match range {
            Some(range) => self.nat.setup(&mut self.ct, r, range, Manip::Src),
            None => self.nat.null_binding(&mut self.ct, r, Manip::Src),
        };
        Nat::packet(&self.ct, r, Manip::Src, &mut pkt).unwrap();
        (pkt, self.ct.confirm(r, Instant::ZERO))
    }
}

fn sport(p: &[u8]) -> u16 {
    u16::from_be_bytes([p[20], p[21]])
}

fn to(addr: [u8; 4]) -> Range {
    Range::to_addr(Ipv4Addr::from(addr))
}

#[test]
fn an_original_tuple_in_range_and_free_is_kept() {
    let mut b = Router::new(1);
    let (out, r) = b.snat(udp(WAN, SERVER, 5000, 53, b"q"), Some(&to(WAN)));
    let r = r.unwrap();
    assert_eq!((&out[12..16], sport(&out)), (&WAN[..], 5000));
    let st = b.ct.conn(r).status();
    assert_eq!(st & status::SRC_NAT, 0, "nothing changed: no SRC_NAT");
    assert_ne!(st & status::SRC_NAT_DONE, 0);
}

#[test]
fn a_clash_moves_the_port_within_its_class_and_keeps_replies_unique() {
    let mut b = Router::new(7);
    for (port, lo, hi) in [(33333u16, 1024u16, 65535u16), (800, 600, 1023), (300, 1, 511)] {
        let (first, _) = b.snat(udp([192, 168, 1, 10], SERVER, port, 53, b"q"), Some(&to(WAN)));
        assert_eq!(sport(&first), port, "the first keeps its port");
        let (second, r) = b.snat(udp([192, 168, 1, 11], SERVER, port, 53, b"q"), Some(&to(WAN)));
        let p = sport(&second);
        assert!(p != port && (lo..=hi).contains(&p), "{port} moved to {p}");
        assert!(checksums_ok(&second));
        assert!(r.is_ok());
    }
    assert_eq!(b.ct.stats().found, 3, "one taken lookup per clash, the random start was free");
}

#[test]
fn random_ports_come_from_the_seeded_stream() {
    let draw = |seed| {
        let mut b = Router::new(seed);
        let _ = b.snat(udp([192, 168, 1, 10], SERVER, 4444, 53, b"q"), Some(&to(WAN)));
        sport(&b.snat(udp([192, 168, 1, 11], SERVER, 4444, 53, b"q"), Some(&to(WAN))).0)
    };
    assert_eq!(draw(3), draw(3));
    assert_ne!((draw(3), draw(4), draw(5)), (draw(3), draw(3), draw(3)));
}

#[test]
fn an_exhausted_port_range_drops_at_confirmation() {
    let mut b = Router::new(1);
    let range = Range {
        flags: range::flags::MAP_IPS | range::flags::PROTO_SPECIFIED,
        min_addr: u32::from(Ipv4Addr::from(WAN)),
        max_addr: u32::from(Ipv4Addr::from(WAN)),
        min_proto: 5000,
        max_proto: 5001,
        base_proto: 0,
    };
    let ports: Vec<_> = (10..13)
        .map(|h| {
            let (out, r) = b.snat(syn([192, 168, 1, h], SERVER, 5000, 80), Some(&range));
            (sport(&out), r.is_ok())
        })
        .collect();
    assert_eq!(ports[..2], [(5000, true), (5001, true)]);
    assert!(!ports[2].1, "no free port left: the clash drops ({ports:?})");
    assert_eq!(b.ct.stats().insert_failed, 1);
}

#[test]
fn address_choice_is_the_kernels_hash() {
    let (lo, hi) = (Ipv4Addr::new(203, 0, 113, 10), Ipv4Addr::new(203, 0, 113, 13));
    let server = Ipv4Addr::from(SERVER);
    // Observed on Linux 6.18 (kernel_diff nat-snat-range-clients, -persistent).
    let pick = |c: u8, p| select::pick_address(Ipv4Addr::new(192, 168, 1, c), server, lo, hi, p);
    assert_eq!(
        [pick(10, false), pick(12, false), pick(14, false), pick(15, false)].map(|a| a.octets()[3]),
        [12, 10, 11, 13]
    );
    assert_eq!([pick(10, true), pick(12, true)].map(|a| a.octets()[3]), [13, 10]);
    // Every address of a range gets clients.
    let mut seen = [0u32; 4];
    for c in 0..=255u8 {
        seen[(select::pick_address(Ipv4Addr::new(10, 0, 0, c), server, lo, hi, false).octets()[3] - 10) as usize] += 1;
    }
    assert!(seen.iter().all(|&n| n > 30), "{seen:?}");
}

#[test]
fn a_port_unreachable_through_snat_is_translated_inside_and_out() {
    let mut b = Router::new(1);
    let (out, r) = b.snat(udp([192, 168, 1, 10], SERVER, 40100, 53, b"query"), Some(&to(WAN)));
    let r = r.unwrap();
    let mut err = icmp_error(SERVER, WAN, 3, 3, &out);
    let e = b.ct.in_hook(&err, false, 0, Instant::ZERO, &b.sysctls).ct.unwrap();
    assert_eq!((e.info, e.slot()), (CtInfo::RelatedReply, r.slot()));
    assert!(icmp::reply_translation(&mut err, b.ct.conn(e), e.dir(), Manip::Dst).unwrap());
    assert_eq!(&err[16..20], &[192, 168, 1, 10], "outer destination de-NATed");
    assert_eq!(&err[28 + 12..28 + 16], &[192, 168, 1, 10], "quoted source de-NATed");
    assert!(checksums_ok(&err) && checksums_ok(&err[28..]), "ICMP, quoted IP and quoted UDP checksums");
    // Nothing more to do at POSTROUTING.
    assert!(!icmp::reply_translation(&mut err, b.ct.conn(e), e.dir(), Manip::Src).unwrap());
}

proptest! {
    #[test]
    fn replies_map_back_and_never_collide(clients in prop::collection::vec((1u8..20, 1u16..3000), 1..40)) {
        let mut b = Router::new(9);
        let mut replies = std::collections::BTreeSet::new();
        for (host, port) in clients {
            let pkt = udp([192, 168, 1, host], SERVER, port, 53, b"q");
            let (out, r) = b.snat(pkt.clone(), Some(&to(WAN)));
            let Ok(r) = r else { continue };
            let c = b.ct.conn(r);
            // The reply tuple is the inverse of what left; de-NATing a reply gives the original.
            prop_assert_eq!(c.reply().invert().unwrap().sport, sport(&out));
            prop_assert!(replies.insert(*c.reply()) || c.orig() == &crate::conntrack::tuple::from_packet(&pkt).unwrap().0);
        }
    }
}

/// `find_appropriate_src`: a client socket keeps its mapping towards other
/// destinations, whatever address the hash would pick for them; a flow of
/// the same socket whose source was left alone (a null binding) is never
/// the mapping offered.
#[test]
fn a_client_socket_keeps_its_mapping_towards_other_destinations() {
    const LAN: [u8; 4] = [10, 0, 0, 5];
    let pool = Range {
        flags: super::range::flags::MAP_IPS,
        min_addr: u32::from_be_bytes([203, 0, 113, 1]),
        max_addr: u32::from_be_bytes([203, 0, 113, 200]),
        ..Range::default()
    };
    let mut b = Router::new(1);
    b.snat(udp(LAN, [198, 51, 100, 1], 5000, 53, b"q"), None).1.unwrap();
    let (first, r) = b.snat(udp(LAN, SERVER, 5000, 53, b"q"), Some(&pool));
    r.unwrap();
    assert_ne!(&first[12..16], &LAN[..], "mapped into the pool");
    let (lo, hi) = (Ipv4Addr::new(203, 0, 113, 1), Ipv4Addr::new(203, 0, 113, 200));
    let hashed = |last| select::pick_address(LAN.into(), Ipv4Addr::new(198, 51, 100, last), lo, hi, false);
    assert!((8..40u8).any(|last| hashed(last).octets()[..] != first[12..16]), "the hash alone would move it");
    for last in 8..40u8 {
        let (out, r) = b.snat(udp(LAN, [198, 51, 100, last], 5000, 53, b"q"), Some(&pool));
        r.unwrap();
        assert_eq!((&out[12..16], sport(&out)), (&first[12..16], sport(&first)), "towards .{last}");
    }
}
