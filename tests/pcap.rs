//! Integration tests of `nfsim::pcap`: round trips through our writers and
//! reader and through the independent `pcap-file` crate, damaged files (cut
//! at every byte, bad lengths, overruns, false size claims), the public
//! captures in /work/shared/captures checked against tshark's reading, and
//! tshark reading what we write.

use nfsim::engine::Instant;
use nfsim::pcap::{self, Direction, ErrorKind, LinkType, PacketType, PcapNgWriter, PcapWriter, Reader, TsResolution};
use proptest::prelude::*;
use std::io::Cursor;

/// A record copied out of the reader, for comparing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owned {
    index: u64,
    ts_ns: u64,
    orig_len: u32,
    data: Vec<u8>,
    link: LinkType,
    interface: Option<u32>,
    direction: Option<Direction>,
}

/// Reads `bytes` to the end: every record, then the error if any.
fn read_all(bytes: &[u8]) -> Result<(Vec<Owned>, Option<pcap::Error>), pcap::Error> {
    let mut r = Reader::new(Cursor::new(bytes))?;
    let mut out = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => out.push(Owned {
                index: rec.index,
                ts_ns: rec.ts.as_nanos(),
                orig_len: rec.orig_len,
                data: rec.data.to_vec(),
                link: rec.link,
                interface: rec.interface,
                direction: rec.direction,
            }),
            Ok(None) => return Ok((out, None)),
            Err(e) => {
                // After an error the reader is finished.
                assert!(r.next().unwrap().is_none());
                return Ok((out, Some(e)));
            }
        }
    }
}

/// Reads `bytes`, which must be undamaged.
fn read_ok(bytes: &[u8]) -> Vec<Owned> {
    let (recs, err) = read_all(bytes).expect("header");
    assert!(err.is_none(), "unexpected error: {}", err.unwrap());
    recs
}

/// A packet for the round trips.
#[derive(Clone, Debug)]
struct Pkt {
    iface: u32,
    ts_ns: u64,
    data: Vec<u8>,
    dir: Option<Direction>,
}

fn pkt_strategy(ifaces: u32, max_ts_ns: u64) -> impl Strategy<Value = Pkt> {
    (
        0..ifaces,
        0..max_ts_ns,
        proptest::collection::vec(any::<u8>(), 0..2000),
        prop_oneof![Just(None), Just(Some(Direction::Inbound)), Just(Some(Direction::Outbound))],
    )
        .prop_map(|(iface, ts_ns, data, dir)| Pkt { iface, ts_ns, data, dir })
}

const NAMES: [&str; 3] = ["eth0", "eth1", "lo"];

/// Our pcapng of `pkts` on the interfaces `NAMES`.
fn our_pcapng(pkts: &[Pkt]) -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    for n in NAMES {
        w.add_interface(n, LinkType::Ethernet, 65535).unwrap();
    }
    for p in pkts {
        let orig = p.data.len() as u32 + 3;
        let ts = Instant::from_nanos(p.ts_ns);
        w.write_packet(p.iface, ts, &p.data, orig, p.dir).unwrap();
    }
    w.finish().unwrap()
}

fn expected(pkts: &[Pkt], first_index: u64) -> Vec<Owned> {
    pkts.iter()
        .enumerate()
        .map(|(i, p)| Owned {
            index: first_index + i as u64,
            ts_ns: p.ts_ns,
            orig_len: p.data.len() as u32 + 3,
            data: p.data.clone(),
            link: LinkType::Ethernet,
            interface: Some(p.iface),
            direction: p.dir,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Our pcapng writer, our reader: time to the ns, ids, flags, names.
    #[test]
    fn pcapng_round_trip_ours(pkts in proptest::collection::vec(pkt_strategy(3, u64::MAX), 0..20)) {
        let bytes = our_pcapng(&pkts);
        prop_assert_eq!(read_ok(&bytes), expected(&pkts, 0));
        let r = Reader::new(Cursor::new(&bytes)).unwrap();
        for (i, n) in NAMES.iter().enumerate() {
            let ifc = r.interface(i as u32).unwrap();
            prop_assert_eq!(ifc.name.as_deref(), Some(*n));
            prop_assert_eq!(ifc.ts_resolution, TsResolution::NANOS);
        }
        prop_assert!(r.interface(3).is_none());
    }

    /// Two files concatenated are two sections; indices run on.
    #[test]
    fn concatenated_sections(a in proptest::collection::vec(pkt_strategy(3, u64::MAX), 0..8),
                             b in proptest::collection::vec(pkt_strategy(1, u64::MAX), 0..8)) {
        let mut bytes = our_pcapng(&a);
        let mut w = PcapNgWriter::new(Vec::new()).unwrap();
        w.add_interface("wan", LinkType::Ethernet, 0).unwrap();
        for p in &b {
            let ts = Instant::from_nanos(p.ts_ns);
            w.write_packet(0, ts, &p.data, p.data.len() as u32 + 3, p.dir).unwrap();
        }
        bytes.extend(w.finish().unwrap());
        let mut want = expected(&a, 0);
        want.extend(expected(&b, a.len() as u64));
        prop_assert_eq!(read_ok(&bytes), want);
        // After the end, the reader describes the second section.
        let mut r = Reader::new(Cursor::new(&bytes)).unwrap();
        while r.next().unwrap().is_some() {}
        prop_assert_eq!(r.interfaces().len(), 1);
        prop_assert_eq!(r.interface(0).unwrap().name.as_deref(), Some("wan"));
    }

    /// Our pcapng read by pcap-file.
    #[test]
    fn pcapng_ours_read_by_pcap_file(pkts in proptest::collection::vec(pkt_strategy(3, 1 << 62), 0..20)) {
        let bytes = our_pcapng(&pkts);
        let mut r = pcap_file::pcapng::PcapNgReader::with_capacity(Cursor::new(&bytes), 8192).unwrap();
        let mut got = Vec::new();
        while let Some(b) = r.next_block() {
            if let pcap_file::pcapng::Block::EnhancedPacket(epb) = b.unwrap().0 {
                let flags = epb.options.iter().find_map(|o| match o {
                    pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption::Flags(f) => Some(*f),
                    _ => None,
                });
                got.push((epb.interface_id, epb.timestamp.as_nanos() as u64, epb.data.to_vec(),
                          epb.original_len, flags.and_then(Direction::from_flags)));
            }
        }
        let want: Vec<_> = pkts.iter().map(|p| (p.iface, p.ts_ns, p.data.clone(),
                                                p.data.len() as u32 + 3, p.dir)).collect();
        prop_assert_eq!(got, want);
        let names: Vec<_> = r.interfaces().iter().map(|i| i.options.iter().find_map(|o| match o {
            pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfName(n) => Some(n.to_string()),
            _ => None,
        })).collect();
        prop_assert_eq!(names, NAMES.iter().map(|n| Some(n.to_string())).collect::<Vec<_>>());
    }

    /// Our classic pcap (µs and ns) read by pcap-file.
    #[test]
    fn classic_ours_read_by_pcap_file(nanos: bool,
                                      pkts in proptest::collection::vec(pkt_strategy(1, u32::MAX as u64 * 1_000_000_000), 0..20)) {
        let mut w = PcapWriter::new(Vec::new(), LinkType::LinuxSll2, 65535, nanos).unwrap();
        for p in &pkts {
            w.write_packet(Instant::from_nanos(p.ts_ns), &p.data, p.data.len() as u32).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut r = pcap_file::pcap::PcapReader::with_capacity(Cursor::new(&bytes), 8192).unwrap();
        prop_assert_eq!(u32::from(r.header().datalink), 276);
        let mut got = Vec::new();
        while let Some(p) = r.next_packet() {
            let p = p.unwrap();
            got.push((p.timestamp().as_nanos() as u64, p.data().to_vec()));
        }
        let want: Vec<_> = pkts.iter().map(|p| {
            let ts = if nanos { p.ts_ns } else { p.ts_ns / 1000 * 1000 };
            (ts, p.data.clone())
        }).collect();
        prop_assert_eq!(got, want);
    }

    /// pcap-file's classic pcap, both byte orders and resolutions, read by us.
    #[test]
    fn classic_pcap_file_read_by_us(nanos: bool, big: bool,
                                    pkts in proptest::collection::vec(pkt_strategy(1, u32::MAX as u64 * 1_000_000_000), 0..20)) {
        use pcap_file::pcap::{PcapHeader, PcapPacket};
        use pcap_file::{DataLink, Endianness};
        use pcap_file::pcap::PcapTsResolution as Res;
        let header = PcapHeader {
            version_major: 2, version_minor: 4, ts_correction: 0, ts_accuracy: 0, snaplen: 4000,
            datalink: DataLink::ETHERNET,
            ts_resolution: if nanos { Res::NanoSecond } else { Res::MicroSecond },
            endianness: if big { Endianness::Big } else { Endianness::Little },
        };
        let mut w = pcap_file::pcap::PcapWriter::with_header(Vec::new(), header).unwrap();
        for p in &pkts {
            let ts = std::time::Duration::from_nanos(p.ts_ns);
            w.write_packet(&PcapPacket::new(ts, p.data.len() as u32 + 3, &p.data[..]).unwrap()).unwrap();
        }
        let bytes = w.into_inner();
        let got = read_ok(&bytes);
        prop_assert_eq!(got.len(), pkts.len());
        for (g, p) in got.iter().zip(&pkts) {
            let ts = if nanos { p.ts_ns } else { p.ts_ns / 1000 * 1000 };
            prop_assert_eq!((g.ts_ns, &g.data, g.orig_len), (ts, &p.data, p.data.len() as u32 + 3));
            prop_assert_eq!((g.link, g.interface, g.direction), (LinkType::Ethernet, None, None));
        }
    }

    /// pcap-file's pcapng, both byte orders, ns and default µs time, read by us.
    #[test]
    fn pcapng_pcap_file_read_by_us(nanos: bool, big: bool,
                                   pkts in proptest::collection::vec(pkt_strategy(2, 1 << 62), 0..20)) {
        use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
        use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock as Idb, InterfaceDescriptionOption as IdbOpt, InterfaceTsResolution};
        use pcap_file::{DataLink, Endianness};
        let e = if big { Endianness::Big } else { Endianness::Little };
        let mut w = pcap_file::pcapng::PcapNgWriter::with_endianness(Vec::new(), e).unwrap();
        for (i, link) in [DataLink::ETHERNET, DataLink::LINUX_SLL].into_iter().enumerate() {
            let mut idb = Idb::new(link, 0);
            idb.options.push(IdbOpt::IfName(format!("if{i}").into()));
            if nanos {
                idb.options.push(IdbOpt::IfTsResol(InterfaceTsResolution::NANO));
            }
            w.write_pcapng_block(idb).unwrap();
        }
        for p in &pkts {
            let mut options = Vec::new();
            if let Some(d) = p.dir {
                options.push(EnhancedPacketOption::Flags(d.to_flags()));
            }
            let ts = if nanos { p.ts_ns } else { p.ts_ns / 1000 * 1000 };
            let epb = EnhancedPacketBlock {
                interface_id: p.iface,
                timestamp: std::time::Duration::from_nanos(ts),
                original_len: p.data.len() as u32,
                data: p.data[..].into(),
                options,
            };
            w.write_pcapng_block(epb).unwrap();
        }
        let bytes = w.into_inner();
        let got = read_ok(&bytes);
        prop_assert_eq!(got.len(), pkts.len());
        for (g, p) in got.iter().zip(&pkts) {
            let ts = if nanos { p.ts_ns } else { p.ts_ns / 1000 * 1000 };
            let link = if p.iface == 0 { LinkType::Ethernet } else { LinkType::LinuxSll };
            prop_assert_eq!((g.ts_ns, &g.data, g.interface, g.direction, g.link),
                            (ts, &p.data, Some(p.iface), p.dir, link));
        }
        let r = Reader::new(Cursor::new(&bytes)).unwrap();
        prop_assert_eq!(r.interface(1).unwrap().name.as_deref(), Some("if1"));
    }
}

// ---------------------------------------------------------------------------
// Hand-built fixtures: tiny files with exactly the structure a test needs.

/// Appends `v` in the chosen byte order.
fn put32(out: &mut Vec<u8>, be: bool, v: u32) {
    out.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn put16(out: &mut Vec<u8>, be: bool, v: u16) {
    out.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A pcapng option, padded.
fn opt(be: bool, code: u16, value: &[u8]) -> Vec<u8> {
    let mut o = Vec::new();
    put16(&mut o, be, code);
    put16(&mut o, be, value.len() as u16);
    o.extend_from_slice(value);
    o.resize(o.len().next_multiple_of(4), 0);
    o
}

/// A pcapng block of type `kind` around `body` (padded to 4).
fn block(be: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let len = 12 + body.len().next_multiple_of(4) as u32;
    let mut b = Vec::new();
    put32(&mut b, be, kind);
    put32(&mut b, be, len);
    b.extend_from_slice(body);
    b.resize(len as usize - 4, 0);
    put32(&mut b, be, len);
    b
}

fn shb(be: bool, opts: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    put32(&mut body, be, 0x1a2b_3c4d);
    put16(&mut body, be, 1);
    put16(&mut body, be, 0);
    body.extend([0xff; 8]);
    body.extend_from_slice(opts);
    block(be, 0x0a0d_0d0a, &body)
}

fn idb(be: bool, link: u16, snaplen: u32, opts: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    put16(&mut body, be, link);
    put16(&mut body, be, 0);
    put32(&mut body, be, snaplen);
    body.extend_from_slice(opts);
    block(be, 1, &body)
}

/// An EPB (or, with `obsolete`, an OPB with a 16-bit interface id).
fn packet_block(be: bool, obsolete: bool, iface: u32, ticks: u64, data: &[u8], opts: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    if obsolete {
        put16(&mut body, be, iface as u16);
        put16(&mut body, be, 0);
    } else {
        put32(&mut body, be, iface);
    }
    put32(&mut body, be, (ticks >> 32) as u32);
    put32(&mut body, be, ticks as u32);
    put32(&mut body, be, data.len() as u32);
    put32(&mut body, be, data.len() as u32 + 100);
    body.extend_from_slice(data);
    body.resize(body.len().next_multiple_of(4), 0);
    body.extend_from_slice(opts);
    block(be, if obsolete { 2 } else { 6 }, &body)
}

fn spb(be: bool, orig_len: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    put32(&mut body, be, orig_len);
    body.extend_from_slice(data);
    block(be, 3, &body)
}

/// A classic pcap file header.
fn classic_header(be: bool, magic: u32, major: u16, snaplen: u32, link: u32) -> Vec<u8> {
    let mut h = Vec::new();
    put32(&mut h, be, magic);
    put16(&mut h, be, major);
    put16(&mut h, be, 4);
    h.extend([0; 8]);
    put32(&mut h, be, snaplen);
    put32(&mut h, be, link);
    h
}

fn classic_record(be: bool, secs: u32, frac: u32, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut r = Vec::new();
    for v in [secs, frac, data.len() as u32, orig_len] {
        put32(&mut r, be, v);
    }
    r.extend_from_slice(data);
    r
}

/// A pcapng exercising every block kind: its bytes, the start offset of
/// each block, and how many packets precede each block.
fn mixed_pcapng() -> (Vec<u8>, Vec<usize>, Vec<u64>) {
    let flags_in = opt(false, 2, &1u32.to_le_bytes());
    let mut ifopts = opt(false, 2, b"eth0");
    ifopts.extend(opt(false, 9, &[0x80 | 10])); // 2^-10 s ticks
    ifopts.extend(opt(false, 14, &5i64.to_le_bytes())); // +5 s
    let mut blocks = vec![
        (shb(false, &opt(false, 4, b"test")), false),
        (idb(false, 1, 0, &ifopts), false),
        (packet_block(false, false, 0, 1024, b"abc", &flags_in), true),
        (block(false, 4, &[0, 0, 0, 0]), false), // NRB: skipped
        (spb(false, 6, b"spb-data"), true),
        (idb(false, 113, 0, &opt(false, 2, b"any")), false),
        (packet_block(false, true, 1, 7, &[9; 17], &opt(false, 2, &2u32.to_le_bytes())), true),
        (block(false, 5, &[0; 20]), false),                            // ISB: skipped
        (block(false, 0x4000_0bad, &[1, 2, 3, 4, 5, 6, 7, 8]), false), // custom
    ];
    // A second, big-endian section with its own interface 0.
    blocks.push((shb(true, &[]), false));
    blocks.push((idb(true, 101, 0, &opt(true, 2, b"tun0")), false));
    blocks.push((packet_block(true, false, 0, 3_000_000, &[0x45, 0, 0, 20], &[]), true));
    let (mut bytes, mut starts, mut before) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0;
    for (b, is_packet) in blocks {
        starts.push(bytes.len());
        before.push(n);
        bytes.extend(b);
        n += u64::from(is_packet);
    }
    (bytes, starts, before)
}

#[test]
fn mixed_pcapng_reads_every_block_kind() {
    let (bytes, _, _) = mixed_pcapng();
    let recs = read_ok(&bytes);
    assert_eq!(recs.len(), 4);
    // EPB: 1024 ticks of 2^-10 s = 1 s, plus the 5 s offset.
    assert_eq!(recs[0].ts_ns, 6_000_000_000);
    assert_eq!((&recs[0].data[..], recs[0].orig_len), (&b"abc"[..], 103));
    assert_eq!(recs[0].direction, Some(Direction::Inbound));
    // SPB: previous timestamp, interface 0, orig_len from the block.
    assert_eq!((recs[1].ts_ns, recs[1].interface), (6_000_000_000, Some(0)));
    assert_eq!((&recs[1].data[..], recs[1].orig_len), (&b"spb-da"[..], 6));
    // OPB on the second interface, outbound.
    assert_eq!((recs[2].interface, recs[2].link), (Some(1), LinkType::LinuxSll));
    assert_eq!((recs[2].data.len(), recs[2].direction), (17, Some(Direction::Outbound)));
    // Second section, big-endian, microseconds by default.
    assert_eq!((recs[3].interface, recs[3].link), (Some(0), LinkType::Raw));
    assert_eq!(recs[3].ts_ns, 3_000_000_000);
    assert_eq!(recs.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
}

/// Checks the outcome of reading `bytes[..cut]` against the block layout.
fn check_cut(bytes: &[u8], cut: usize, starts: &[usize], before: &[u64], header_end: usize) {
    let file = &bytes[..cut];
    let k = starts.iter().rposition(|&s| s <= cut).unwrap_or(0);
    let (recs, err) = match read_all(file) {
        Ok(r) => r,
        Err(e) => {
            // Damage inside the file header (or the leading IDBs).
            assert!(cut < header_end, "cut {cut}: {e}");
            assert!(cut == 0 || starts[k] != cut, "cut {cut} at a boundary: {e}");
            assert_eq!(e.offset, starts[k] as u64, "cut {cut}: {e}");
            return;
        }
    };
    assert_eq!(recs.len() as u64, before[k], "cut {cut}");
    match err {
        None => assert_eq!(starts[k], cut, "cut {cut} mid-block read as a clean end"),
        Some(e) => {
            assert_ne!(starts[k], cut, "cut {cut} at a boundary: {e}");
            assert_eq!((e.offset, e.packet), (starts[k] as u64, Some(before[k])), "cut {cut}: {e}");
            assert!(
                matches!(e.kind, ErrorKind::TruncatedRecord { .. } | ErrorKind::TruncatedRecordHeader { .. }),
                "cut {cut}: {e}"
            );
        }
    }
}

#[test]
fn pcapng_cut_at_every_byte() {
    let (bytes, mut starts, mut before) = mixed_pcapng();
    starts.push(bytes.len());
    before.push(4);
    for cut in 0..=bytes.len() {
        // The SHB and the IDB after it are read by Reader::new.
        check_cut(&bytes, cut, &starts, &before, starts[2]);
    }
}

#[test]
fn classic_cut_at_every_byte() {
    let sizes = [0usize, 1, 60, 3, 1500];
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, true).unwrap();
    let mut starts = vec![0, 24];
    for (i, n) in sizes.iter().enumerate() {
        let data = vec![i as u8; *n];
        w.write_packet(Instant::from_nanos(i as u64), &data, *n as u32).unwrap();
        starts.push(starts.last().unwrap() + 16 + n);
    }
    let bytes = w.finish().unwrap();
    assert_eq!(*starts.last().unwrap(), bytes.len());
    let before: Vec<u64> = (0..starts.len() as u64).map(|i| i.saturating_sub(1)).collect();
    for cut in 0..=bytes.len() {
        check_cut(&bytes, cut, &starts, &before, 24);
    }
}

/// The first error reading `bytes`, from `new` or `next`.
fn first_error(bytes: &[u8]) -> pcap::Error {
    match read_all(bytes) {
        Err(e) => e,
        Ok((_, Some(e))) => e,
        Ok((recs, None)) => panic!("read {} records and no error", recs.len()),
    }
}

#[test]
fn not_a_capture() {
    let e = first_error(b"4561d5a474d6as46");
    assert_eq!(e.to_string(), "byte 0: not a pcap or pcapng file (magic 34 35 36 31)");
    let e = first_error(b"");
    assert!(matches!(e.kind, ErrorKind::TruncatedHeader { need: 4, got: 0 }));
}

#[test]
fn unsupported_versions() {
    let e = first_error(&classic_header(false, 0xa1b2_c3d4, 1, 65535, 1));
    assert_eq!(e.to_string(), "byte 0: pcap major version 1 unsupported");
    let mut ng = shb(true, &[]);
    ng[12..14].copy_from_slice(&2u16.to_be_bytes());
    let e = first_error(&ng);
    assert!(matches!(e.kind, ErrorKind::PcapNgVersion { major: 2, .. }), "{e}");
}

#[test]
fn classic_both_orders_snaplen_and_modified() {
    for be in [false, true] {
        let mut f = classic_header(be, 0xa1b2_c3d4, 2, 10, 113);
        f.extend(classic_record(be, 7, 250, &[1; 20], 20)); // longer than the snaplen
        f.extend(classic_record(be, 8, 999_999, &[2; 4], 60));
        let recs = read_ok(&f);
        assert_eq!(recs[0].data, vec![1; 10]);
        assert_eq!((recs[0].ts_ns, recs[0].orig_len), (7_000_250_000, 20));
        assert_eq!((recs[1].data.len(), recs[1].ts_ns), (4, 8_999_999_000));
        assert_eq!(recs[1].link, LinkType::LinuxSll);
    }
    // Modified pcap: 8 more header bytes per record (ifindex, protocol, type).
    let mut f = classic_header(false, 0xa1b2_cd34, 2, 0, 1);
    let mut rec = classic_record(false, 1, 2, &[], 3);
    rec[8] = 3; // captured length
    rec.extend([9; 8]);
    rec.extend([7; 3]);
    f.extend(rec);
    let recs = read_ok(&f);
    assert_eq!((recs[0].data.clone(), recs[0].ts_ns), (vec![7; 3], 1_000_002_000));
}

#[test]
fn empty_captures_have_no_records() {
    assert!(read_ok(&classic_header(false, 0xa1b2_3c4d, 2, 65535, 1)).is_empty());
    assert!(read_ok(&shb(false, &[])).is_empty());
}

/// A valid pcapng head (SHB, IDB, one EPB), to which a test appends damage.
fn head() -> Vec<u8> {
    let mut f = shb(false, &[]);
    f.extend(idb(false, 1, 0, &[]));
    f.extend(packet_block(false, false, 0, 1, b"ok", &[]));
    f
}

#[test]
fn bad_block_lengths() {
    let at = head().len() as u64;
    let mut f = head();
    f.extend([6, 0, 0, 0, 30, 0, 0, 0]);
    f.extend([0; 30]);
    let e = first_error(&f);
    assert_eq!(e.to_string(), format!("byte {at}, packet 1: pcapng block length 30 is not a multiple of 4"));

    let mut f = head();
    f.extend([6, 0, 0, 0, 28, 0, 0, 0]);
    f.extend([0; 20]);
    let e = first_error(&f);
    assert_eq!(
        e.to_string(),
        format!("byte {at}, packet 1: pcapng block length 28 is smaller than the 32-byte minimum")
    );

    let mut f = head();
    f.extend([9, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0]);
    let e = first_error(&f);
    assert!(matches!(e.kind, ErrorKind::BlockTooShort { len: 8, min: 12 }), "{e}");

    let mut f = head();
    let mut b = block(false, 9, &[0; 8]);
    let n = b.len();
    b[n - 4] = 16;
    f.extend(b);
    let e = first_error(&f);
    assert!(matches!(e.kind, ErrorKind::TrailerMismatch { header: 20, trailer: 16 }), "{e}");
    assert_eq!((e.offset, e.packet), (at, Some(1)));
}

#[test]
fn option_overrun_names_its_offset() {
    let mut f = head();
    let at = f.len() as u64;
    let mut body = vec![1, 0, 0, 0, 0, 0, 0, 0];
    body.extend([2, 0, 0x30, 0x30, b'x', 0, 0, 0]);
    f.extend(block(false, 1, &body));
    let e = first_error(&f);
    assert_eq!(
        e.to_string(),
        format!("byte {}, packet 1: option of length 12336 runs past the end of the block", at + 16)
    );
}

#[test]
fn packet_block_inconsistencies() {
    // Captured length beyond the block.
    let mut f = head();
    let mut b = packet_block(false, false, 0, 1, &[0; 8], &[]);
    b[20..24].copy_from_slice(&100u32.to_le_bytes());
    f.extend(b);
    let e = first_error(&f);
    assert!(matches!(e.kind, ErrorKind::CaptureExceedsBlock { caplen: 100, room: 8 }), "{e}");
    // An interface the section has not described.
    let mut f = head();
    f.extend(packet_block(false, false, 3, 1, b"x", &[]));
    let e = first_error(&f);
    assert_eq!(e.packet, Some(1));
    assert!(e.to_string().ends_with("packet on interface 3 but the section describes only 1 interface(s)"), "{e}");
}

#[test]
fn huge_claims_are_errors_not_allocations() {
    let mut f = classic_header(false, 0xa1b2_c3d4, 2, 0, 1);
    f.extend(classic_record(false, 0, 0, &[], 0));
    f[24 + 8..24 + 12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let e = first_error(&f);
    assert_eq!(e.to_string(), "byte 24, packet 0: record claims 4294967280 bytes, more than the 256 MiB limit");

    let mut f = head();
    f.extend([6, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    assert!(matches!(first_error(&f).kind, ErrorKind::TooLarge { .. }));

    // Under the cap but far beyond the file: truncated, found quickly.
    let mut f = head();
    let at = f.len() as u64;
    f.extend([6, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0]);
    let e = first_error(&f);
    assert_eq!(
        e.to_string(),
        format!("byte {at}, packet 1: truncated record: header claims 201326592 bytes, file ends after 12")
    );
}

#[test]
fn bad_byte_order_magic() {
    let mut f = head();
    let mut s = shb(false, &[]);
    s[8..12].copy_from_slice(b"junk");
    f.extend(s);
    let e = first_error(&f);
    assert!(matches!(e.kind, ErrorKind::ByteOrderMagic { .. }), "{e}");
    assert_eq!(e.packet, Some(1));
}

#[test]
fn writer_refuses_unknown_interface() {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let e = w.write_packet(0, Instant::ZERO, b"x", 1, None).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

// ---------------------------------------------------------------------------
// Public captures, checked against what tshark 4.0 reports for them.

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/captures");

/// Every record of a capture file, and how each decapsulated.
fn read_file(name: &str) -> Result<(Vec<Owned>, Option<pcap::Error>), pcap::Error> {
    let bytes = std::fs::read(format!("{CAPTURES}/{name}")).unwrap();
    read_all(&bytes)
}

#[test]
fn public_captures_match_their_manifest() {
    let manifest = format!("{CAPTURES}/MANIFEST.tsv");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        eprintln!("skipping: /work/shared/captures not present");
        return;
    };
    let mut files = 0;
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, count) = (cols[0], cols[5]);
        files += 1;
        match (read_file(name), count) {
            (Ok((recs, None)), n) => {
                assert_eq!(recs.len().to_string(), n, "{name}");
                for r in &recs {
                    // No panic; NFLOG is reported unsupported, not misread.
                    let d = pcap::link::decap(r.link, &r.data);
                    if r.link == LinkType::Nflog {
                        assert!(d.is_err());
                    }
                }
            }
            (Ok((_, Some(e))) | Err(e), "n/a") => {
                assert!(name.starts_with("broken_"), "{name}: {e}");
                assert!(e.to_string().starts_with("byte "), "{name}: {e}");
                let ok = match name {
                    n if n.contains("bad-magic") => matches!(e.kind, ErrorKind::NotCapture { .. }),
                    n if n.contains("major-version-1") => e.to_string() == "byte 0: pcap major version 1 unsupported",
                    n if n.contains("option-too-long") => {
                        matches!(e.kind, ErrorKind::OptionOverrun { len: 12336 })
                    }
                    n if n.contains("header-23-bytes") => {
                        matches!(e.kind, ErrorKind::TruncatedHeader { need: 24, got: 23 })
                    }
                    _ => false,
                };
                assert!(ok, "{name}: unexpected error {e}");
            }
            (Ok((recs, Some(e))), n) => panic!("{name}: {e} after {} of {n} packets", recs.len()),
            (Err(e), n) => panic!("{name}: {e} (expected {n} packets)"),
        }
    }
    assert!(files >= 40, "MANIFEST lists only {files} files");
}

#[test]
fn sll2_ifindex_and_packet_types_as_tshark_says() {
    let Ok((recs, None)) = read_file_if_present("sll2_ifindex_arp-icmp-icmpv6_zeek.pcap") else {
        return;
    };
    // tshark -T fields -e sll.ifindex -e sll.pkttype
    let want = [(1, 0), (1, 0), (1, 0), (1, 0), (26, 4), (26, 4)];
    let got: Vec<_> = recs
        .iter()
        .map(|r| {
            let d = pcap::link::decap(r.link, &r.data).unwrap();
            (d.ifindex.unwrap(), u16::from(d.pkttype.unwrap()))
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(recs[0].ts_ns, 1_660_534_249_872_259_000);
    let d = pcap::link::decap(recs[4].link, &recs[4].data).unwrap();
    assert_eq!((d.pkttype, d.ethertype), (Some(PacketType::Outgoing), 0x0806));
}

/// Like `read_file`, but an `Err` with a printed reason when absent.
fn read_file_if_present(name: &str) -> Result<(Vec<Owned>, Option<pcap::Error>), ()> {
    if !std::path::Path::new(CAPTURES).is_dir() {
        eprintln!("skipping: /work/shared/captures not present");
        return Err(());
    }
    read_file(name).map_err(|e| panic!("{name}: {e}"))
}

/// A file, its interfaces `(id, name, packets)`, and its first timestamp.
type IfaceCase = (&'static str, &'static [(u32, Option<&'static str>, usize)], u64);

#[test]
fn pcapng_interface_names_as_tshark_says() {
    // tshark -T fields -e frame.interface_id -e frame.interface_name | sort | uniq -c
    let cases: [IfaceCase; 3] = [
        ("irc_dcc-send-and-dcc-chat_with-data-conns_zeek.pcapng", &[(0, Some("en0"), 1184)], 1_753_735_709_964_970_000),
        (
            "pcapng_2-ifaces_ether-lo-and-linux-sll_pcapplusplus.pcapng",
            &[(0, Some("lo"), 59), (1, None, 100)],
            1_422_527_998_578_402_281,
        ),
        (
            "pcapng_many-ifaces_macos-ether-and-null_pcapplusplus.pcapng",
            &[(0, Some("en0"), 62), (10, Some("lo0"), 2)],
            1_439_753_725_701_607_000,
        ),
    ];
    for (name, ifaces, first_ts) in cases {
        let Ok((recs, None)) = read_file_if_present(name) else {
            return;
        };
        assert_eq!(recs[0].ts_ns, first_ts, "{name}");
        let bytes = std::fs::read(format!("{CAPTURES}/{name}")).unwrap();
        // Some IDBs follow packets: ask once the whole file has been read.
        let mut r = Reader::new(Cursor::new(&bytes)).unwrap();
        while r.next().unwrap().is_some() {}
        for &(id, ifname, count) in ifaces {
            assert_eq!(r.interface(id).unwrap().name.as_deref(), ifname, "{name}");
            let n = recs.iter().filter(|p| p.interface == Some(id)).count();
            assert_eq!(n, count, "{name} interface {id}");
        }
    }
    // tshark: frames 3 and 4 are on lo0, BSD loopback.
    let Ok((recs, _)) = read_file_if_present("pcapng_many-ifaces_macos-ether-and-null_pcapplusplus.pcapng") else {
        return;
    };
    let lo: Vec<u64> = recs.iter().filter(|p| p.interface == Some(10)).map(|p| p.index).collect();
    assert_eq!(lo, [2, 3]);
    assert_eq!(recs[2].link, LinkType::Null);
    assert_eq!(pcap::link::decap(recs[2].link, &recs[2].data).unwrap().ethertype, 0x0800);
}

// ---------------------------------------------------------------------------
// tshark reads what we write.

#[test]
fn tshark_reads_our_interfaces_and_directions() {
    if std::process::Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("skipping: tshark not on PATH");
        return;
    }
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    for n in NAMES {
        w.add_interface(n, LinkType::Ethernet, 65535).unwrap();
    }
    let mut want = Vec::new();
    for i in 0..36u32 {
        let (iface, dir) = (i % 3, [Direction::Inbound, Direction::Outbound][(i / 3 % 2) as usize]);
        let mut frame = vec![0xff; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(vec![0x45; 20 + i as usize]);
        let ts = Instant::from_nanos(1_700_000_000_123_456_789 + u64::from(i));
        w.write_packet(iface, ts, &frame, frame.len() as u32, Some(dir)).unwrap();
        want.push(format!("{}\t0x{:08x}", NAMES[iface as usize], dir.to_flags()));
    }
    let path = format!("{}/tshark-directions.pcapng", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    let out = std::process::Command::new("tshark")
        .args(["-r", &path, "-T", "fields", "-e", "frame.interface_name"])
        .args(["-e", "frame.packet_flags_direction", "-e", "frame.time_epoch"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 36);
    for (i, (line, w)) in lines.iter().zip(&want).enumerate() {
        let (fields, time) = line.rsplit_once('\t').unwrap();
        assert_eq!(fields, w, "packet {i}");
        assert_eq!(time, format!("1700000000.{}", 123_456_789 + i), "packet {i}");
    }
}

// ---------------------------------------------------------------------------
// Throughput, measured by hand; prints, asserts nothing about speed:
//   cargo test --release --test pcap read_throughput -- --nocapture

#[test]
#[allow(clippy::disallowed_types)] // wall-clock time only to print a rate
fn read_throughput() {
    // Frame sizes cycle around a 741-byte mean, like the replay workload.
    let sizes = [60usize, 1514, 590, 1514, 66, 702];
    let packets: u64 = if cfg!(debug_assertions) { 10_000 } else { 1_000_000 };
    let path = format!("{}/throughput-{packets}.pcap", env!("CARGO_TARGET_TMPDIR"));
    if !std::path::Path::new(&path).exists() {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut w = PcapWriter::new(file, LinkType::Ethernet, 65535, false).unwrap();
        let frame = vec![0x5a; 1514];
        for i in 0..packets {
            let n = sizes[i as usize % sizes.len()];
            w.write_packet(Instant::from_nanos(i * 1000), &frame[..n], n as u32).unwrap();
        }
        w.finish().unwrap();
    }
    let start = std::time::Instant::now();
    let mut r = Reader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Some(rec) = r.next().unwrap() {
        n += 1;
        bytes += rec.data.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(n, packets);
    eprintln!(
        "read {n} records ({:.0} MB) in {secs:.3} s: {:.2} M records/s, {:.0} MB/s",
        bytes as f64 / 1e6,
        n as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6
    );
}
