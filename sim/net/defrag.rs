//! IPv4 reassembly, as `ip_defrag` does it for datagrams the box delivers
//! to itself (and, once conntrack arrives, as `nf_defrag_ipv4` does before it).
//!
//! Fragments queue by (source, destination, id, protocol). The datagram is
//! rebuilt when the fragment without MF has arrived and the pieces cover
//! every byte; its header is the first fragment's, with DF set if any
//! fragment had it. A fragment that overlaps another (other than an exact
//! duplicate, which is ignored) kills its whole queue, as Linux has done
//! since 4.19 (RFC 5722's rule, applied to IPv4 too). So does a last
//! fragment that disagrees with the length already known, and anything
//! beyond 65535 bytes. A queue not completed within `ipfrag_time` (30 s)
//! expires; if its first fragment had arrived, the sender is told (ICMP time
//! exceeded, "fragment reassembly time exceeded"). Fragments are rare, so
//! queues own their bytes; queued bytes are capped at `ipfrag_high_thresh`.
//!
//! Timers live in a map ordered by expiry: expiring never scans the queues.

use super::stats::IpStats;
use crate::engine::{Duration, Instant};
use crate::skb::IfIndex;
use crate::wire::Ipv4Packet;
use std::collections::BTreeMap;

/// `net.ipv4.ipfrag_time`.
const IPFRAG_TIME: Duration = Duration::from_secs(30);
/// `net.ipv4.ipfrag_high_thresh`, counted in queued payload bytes.
const HIGH_THRESH: usize = 4 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    src: u32,
    dst: u32,
    id: u16,
    proto: u8,
}

#[derive(Debug)]
struct Queue {
    /// `(offset, payload)`, sorted by offset, never overlapping.
    frags: Vec<(usize, Vec<u8>)>,
    /// The first fragment's header, once it has arrived.
    header: Option<Vec<u8>>,
    /// Total payload length, known once the last fragment has arrived.
    len: Option<usize>,
    /// Highest end seen so far.
    end_max: usize,
    /// Largest fragment, and largest fragment with DF (`max_size`, `max_df_size`).
    max_size: u16,
    max_df_size: u16,
    iif: Option<IfIndex>,
    expires: (Instant, u64),
}

/// What happened to a fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum Reasm {
    /// Queued; the datagram is not complete yet.
    Queued,
    /// The datagram is complete: here it is, header and payload, with the
    /// largest fragment's length (`IPCB(skb)->frag_max_size`), which bounds
    /// the fragments it leaves in if it is forwarded.
    Complete {
        /// The reassembled datagram.
        datagram: Vec<u8>,
        /// The largest fragment's total length.
        frag_max_size: u16,
    },
    /// Dropped (and, for anything but a duplicate, its whole queue).
    Dropped {
        /// Why, in our words.
        why: &'static str,
    },
}

/// A queue that timed out with its first fragment in: the sender gets an
/// ICMP error quoting that fragment.
#[derive(Debug)]
pub struct Expired {
    /// The first fragment, as it arrived.
    pub first: Vec<u8>,
    /// The interface it came in on.
    pub iif: Option<IfIndex>,
    /// When the queue expired.
    pub at: Instant,
}

/// Reassembly state of one box.
#[derive(Debug, Default)]
pub struct Defrag {
    queues: BTreeMap<Key, Queue>,
    timers: BTreeMap<(Instant, u64), Key>,
    seq: u64,
    mem: usize,
}

impl Defrag {
    /// Takes one fragment (a whole IPv4 packet with MF or an offset) that
    /// arrived by `iif` at `now`.
    pub fn queue(&mut self, packet: &[u8], iif: Option<IfIndex>, now: Instant, stats: &mut IpStats) -> Reasm {
        stats.reasm_reqds += 1;
        let result = self.insert(packet, iif, now, stats);
        match &result {
            Reasm::Complete { .. } => stats.reasm_oks += 1,
            Reasm::Dropped { why } if *why != "duplicate fragment" => stats.reasm_fails += 1,
            _ => {}
        }
        result
    }

    fn insert(&mut self, packet: &[u8], iif: Option<IfIndex>, now: Instant, stats: &mut IpStats) -> Reasm {
        let ip = Ipv4Packet::new_unchecked(packet);
        let key = Key {
            src: u32::from(ip.src_addr()),
            dst: u32::from(ip.dst_addr()),
            id: ip.ident(),
            proto: ip.protocol_raw(),
        };
        let hlen = ip.header_len();
        let offset = ip.frag_offset() as usize;
        let payload = &packet[hlen..ip.total_len() as usize];
        let mut end = offset + payload.len();
        let last = !ip.more_frags();
        if !self.queues.contains_key(&key) {
            if self.mem > HIGH_THRESH {
                return Reasm::Dropped { why: "reassembly memory exhausted" };
            }
            self.seq += 1;
            let expires = (crate::kernel::timer::fires_at(now, IPFRAG_TIME), self.seq);
            self.timers.insert(expires, key);
            let q = Queue {
                frags: Vec::new(),
                header: None,
                len: None,
                end_max: 0,
                max_size: 0,
                max_df_size: 0,
                iif,
                expires,
            };
            self.queues.insert(key, q);
        }
        let q = self.queues.get_mut(&key).expect("inserted above");
        if last {
            if end < q.end_max || q.len.is_some_and(|l| l != end) {
                return self.kill(key, "last fragment disagrees with the datagram's length");
            }
            q.len = Some(end);
        } else {
            // Only the last piece may end off an 8-byte boundary.
            end &= !7;
            if q.len.is_some_and(|l| end > l) {
                return self.kill(key, "fragment beyond the datagram's end");
            }
        }
        if end <= offset {
            return self.kill(key, "empty fragment");
        }
        if hlen + end > 65535 {
            return self.kill(key, "oversized datagram");
        }
        q.end_max = q.end_max.max(end);
        let at = q.frags.partition_point(|(o, _)| *o < offset);
        if let Some((o, p)) = q.frags.get(at) {
            if *o == offset && o + p.len() == end {
                return Reasm::Dropped { why: "duplicate fragment" };
            }
            if *o < end {
                stats.reasm_overlaps += 1;
                return self.kill(key, "overlapping fragment");
            }
        }
        if at > 0 {
            let (o, p) = &q.frags[at - 1];
            if o + p.len() > offset {
                stats.reasm_overlaps += 1;
                return self.kill(key, "overlapping fragment");
            }
        }
        q.frags.insert(at, (offset, payload[..end - offset].to_vec()));
        self.mem += end - offset;
        let size = ip.total_len();
        q.max_size = q.max_size.max(size);
        if ip.dont_frag() {
            q.max_df_size = q.max_df_size.max(size);
        }
        if offset == 0 {
            q.header = Some(packet[..hlen].to_vec());
            q.iif = iif;
        }
        self.try_complete(key)
    }

    fn try_complete(&mut self, key: Key) -> Reasm {
        let q = &self.queues[&key];
        let (Some(len), Some(header)) = (q.len, &q.header) else { return Reasm::Queued };
        let mut covered = 0;
        for (o, p) in &q.frags {
            if *o != covered {
                return Reasm::Queued;
            }
            covered += p.len();
        }
        if covered != len {
            return Reasm::Queued;
        }
        let mut datagram = Vec::with_capacity(header.len() + len);
        datagram.extend_from_slice(header);
        for (_, p) in &q.frags {
            datagram.extend_from_slice(p);
        }
        // ip_frag_reasm: DF when the largest fragment carried it.
        let (dont_frag, frag_max_size) = (q.max_df_size == q.max_size, q.max_size);
        self.remove(key);
        let mut ip = Ipv4Packet::new_unchecked(&mut datagram[..]);
        let total = ip.header_len() + len;
        ip.set_total_len(total as u16);
        ip.set_more_frags(false);
        ip.set_frag_offset(0);
        ip.set_dont_frag(dont_frag);
        ip.fill_checksum();
        Reasm::Complete { datagram, frag_max_size }
    }

    fn kill(&mut self, key: Key, why: &'static str) -> Reasm {
        self.remove(key);
        Reasm::Dropped { why }
    }

    fn remove(&mut self, key: Key) {
        if let Some(q) = self.queues.remove(&key) {
            self.timers.remove(&q.expires);
            self.mem -= q.frags.iter().map(|(_, p)| p.len()).sum::<usize>();
        }
    }

    /// Expires every queue due by `now`, returning those whose first
    /// fragment had arrived, oldest first.
    pub fn expire(&mut self, now: Instant, stats: &mut IpStats) -> Vec<Expired> {
        let mut out = Vec::new();
        while let Some((&(at, seq), &key)) = self.timers.first_key_value() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, seq));
            let q = self.queues.remove(&key).expect("every timer has its queue");
            self.mem -= q.frags.iter().map(|(_, p)| p.len()).sum::<usize>();
            stats.reasm_fails += 1;
            stats.reasm_timeout += 1;
            if let (Some(header), Some((0, first))) = (q.header, q.frags.first()) {
                let mut packet = header;
                packet.extend_from_slice(first);
                let mut ip = Ipv4Packet::new_unchecked(&mut packet[..]);
                let total = ip.header_len() + first.len();
                ip.set_total_len(total as u16);
                out.push(Expired { first: packet, iif: q.iif, at });
            }
        }
        out
    }

    /// When the next queue expires, if any.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.timers.first_key_value().map(|(&(at, _), _)| at)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A fragment of a UDP datagram 10.0.0.1 → 10.0.0.2, id 7.
    fn frag(offset: usize, payload: &[u8], more: bool) -> Vec<u8> {
        let mut p = vec![0u8; 20 + payload.len()];
        p[20..].copy_from_slice(payload);
        let mut ip = Ipv4Packet::new_unchecked(&mut p[..]);
        ip.set_version(4);
        ip.set_header_len(20);
        ip.set_total_len((20 + payload.len()) as u16);
        ip.set_ident(7);
        ip.set_more_frags(more);
        ip.set_frag_offset(offset as u16);
        ip.set_ttl(64);
        ip.set_next_header(crate::wire::IpProtocol::Udp);
        ip.set_src_addr([10, 0, 0, 1].into());
        ip.set_dst_addr([10, 0, 0, 2].into());
        ip.fill_checksum();
        p
    }

    fn stats() -> IpStats {
        IpStats::default()
    }

    const T: Instant = Instant::from_nanos(1_000_000_000_000);

    #[test]
    fn pieces_in_any_order_make_the_datagram() {
        let data: Vec<u8> = (0..40u8).collect();
        let mut d = Defrag::default();
        assert_eq!(d.queue(&frag(32, &data[32..], false), Some(2), T, &mut stats()), Reasm::Queued);
        assert_eq!(d.queue(&frag(0, &data[..16], true), Some(2), T, &mut stats()), Reasm::Queued);
        let Reasm::Complete { datagram: whole, .. } = d.queue(&frag(16, &data[16..32], true), Some(2), T, &mut stats())
        else {
            panic!("complete")
        };
        let ip = Ipv4Packet::new_checked(&whole[..]).unwrap();
        assert_eq!((ip.total_len(), ip.more_frags(), ip.frag_offset()), (60, false, 0));
        assert!(ip.verify_checksum());
        assert_eq!(&whole[20..], &data[..]);
        assert_eq!(d.mem, 0);
        assert!(d.next_expiry().is_none());
    }

    #[test]
    fn an_overlap_kills_the_queue_but_a_duplicate_does_not() {
        let data = [1u8; 48];
        let mut d = Defrag::default();
        d.queue(&frag(0, &data[..24], true), None, T, &mut stats());
        assert_eq!(
            d.queue(&frag(0, &data[..24], true), None, T, &mut stats()),
            Reasm::Dropped { why: "duplicate fragment" }
        );
        assert_eq!(
            d.queue(&frag(16, &data[..16], true), None, T, &mut stats()),
            Reasm::Dropped { why: "overlapping fragment" }
        );
        // The queue is gone: the rest alone cannot complete it.
        assert_eq!(d.queue(&frag(24, &data[24..], false), None, T, &mut stats()), Reasm::Queued);
    }

    #[test]
    fn timeout_reports_only_queues_with_their_first_fragment() {
        let mut d = Defrag::default();
        d.queue(&frag(0, &[5; 16], true), Some(3), T, &mut stats());
        let mut other = frag(8, &[6; 8], true);
        other[5] = 9; // another id
        Ipv4Packet::new_unchecked(&mut other[..]).fill_checksum();
        d.queue(&other, Some(3), T, &mut stats());
        let mut st = stats();
        assert!(d.expire(T + Duration::from_secs(30), &mut st).is_empty(), "the timer wheel fires it later");
        let at = crate::kernel::timer::fires_at(T, Duration::from_secs(30));
        assert!(at > T + Duration::from_secs(30) && at <= T + Duration::from_millis(32_048), "{at:?}");
        let expired = d.expire(at, &mut st);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].first.len(), 36);
        assert_eq!(expired[0].iif, Some(3));
        assert_eq!(st.reasm_timeout, 2);
    }
}
