//! Applying TCP sequence adjustment to a packet (`nf_ct_seq_adjust`): at
//! the last hook, every TCP packet of a connection whose payload length a
//! NAT helper changed gets its sequence number shifted by its direction's
//! offset, its acknowledgement and SACK edges unshifted by the other's,
//! with the TCP checksum patched for each changed word.

use crate::conntrack::seqadj::SeqAdjDir;
use crate::wire::checksum;

/// TCP option kinds the walk needs.
const EOL: u8 = 0;
const NOP: u8 = 1;
const SACK: u8 = 5;

fn word32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

/// Writes `new` over the 32-bit word at `at`, patching the checksum at `csum`.
fn put32(d: &mut [u8], at: usize, csum: usize, new: u32) {
    let old = word32(d, at);
    let c = checksum::update32(u16::from_be_bytes([d[csum], d[csum + 1]]), old, new);
    d[csum..csum + 2].copy_from_slice(&c.to_be_bytes());
    d[at..at + 4].copy_from_slice(&new.to_be_bytes());
}

/// Adjusts the TCP segment at `l4` in `ip` (an IPv4 datagram): `this` is
/// the packet's direction's adjustment, `other` the opposite one. False
/// when the header or an option is malformed (the kernel drops).
pub fn adjust(ip: &mut [u8], l4: usize, this: &SeqAdjDir, other: &SeqAdjDir) -> bool {
    if ip.len() < l4 + 20 {
        return false;
    }
    let csum = l4 + 16;
    let seq = word32(ip, l4 + 4);
    let ack = word32(ip, l4 + 8);
    put32(ip, l4 + 4, csum, seq.wrapping_add(this.offset(seq) as u32));
    put32(ip, l4 + 8, csum, ack.wrapping_sub(other.ack_offset(ack) as u32));
    let end = l4 + usize::from(ip[l4 + 12] >> 4) * 4;
    if ip.len() < end {
        return false;
    }
    let mut at = l4 + 20;
    while at < end {
        match ip[at] {
            EOL => return true,
            NOP => at += 1,
            kind => {
                if at + 1 == end || at + usize::from(ip[at + 1]) > end || ip[at + 1] < 2 {
                    return false;
                }
                let len = usize::from(ip[at + 1]);
                if kind == SACK && len >= 10 && (len - 2) % 8 == 0 {
                    let mut edge = at + 2;
                    while edge < at + len {
                        let v = word32(ip, edge);
                        put32(ip, edge, csum, v.wrapping_sub(other.ack_offset(v) as u32));
                        edge += 4;
                    }
                }
                at += len;
            }
        }
    }
    true
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::nat::testutil::{checksums_ok, tcp};

    #[test]
    fn seq_ack_and_sack_move_and_the_checksum_follows() {
        let base = tcp([10, 0, 0, 1], [10, 0, 0, 2], 1000, 21, b"");
        // NOP NOP SACK(9002..9010): an option block, the header grows by 12.
        let opts = [1, 1, 5, 10, 0, 0, 0x23, 0x2a, 0, 0, 0x23, 0x32];
        let mut p = [&base[..40], &opts[..], &base[40..]].concat();
        p[24..28].copy_from_slice(&5000u32.to_be_bytes());
        p[28..32].copy_from_slice(&9002u32.to_be_bytes());
        p[32] = 8 << 4;
        p[33] = 0x10; // ACK
        let len = p.len() as u16;
        p[2..4].copy_from_slice(&len.to_be_bytes());
        let p = crate::nat::testutil::recomputed(&p);
        let mut q = p.clone();
        let this = SeqAdjDir { correction_pos: 4000, offset_before: 0, offset_after: 3 };
        let other = SeqAdjDir { correction_pos: 8000, offset_before: 0, offset_after: 2 };
        assert!(adjust(&mut q, 20, &this, &other));
        assert_eq!(word32(&q, 24), 5003);
        assert_eq!(word32(&q, 28), 9000);
        assert_eq!((word32(&q, 44), word32(&q, 48)), (9000, 9008));
        assert!(checksums_ok(&q));
    }
}
