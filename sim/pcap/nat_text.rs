//! The end of a NATed packet's verdict line (`,"nat":"src:port > dst:port"}`
//! and the newline), kept per direction of a flow.
//!
//! A flow's packets leave with the same endpoints each time, and a capture
//! interleaves only a few flows at once: most packets find the text their
//! flow's last packet in the same direction had. Each text lives in the
//! slot its endpoints hash to (a later flow hashing there replaces it), laid
//! out whole in a fixed-size block, so a packet that finds it costs a
//! compare and one copy of known size instead of eight octets and two ports
//! in decimal.

use super::digits::endpoints;
use crate::netfilter::Endpoints;

/// Slots kept. A few dozen catch nearly every flow a capture interleaves.
const SLOTS: usize = 64;

/// The longest tail: `,"nat":"` (8), two `255.255.255.255:65535` and ` > `
/// (45), `"}` and the newline (3), rounded up.
pub(super) const TAIL: usize = 64;

/// One kept tail.
#[derive(Clone, Copy)]
struct Slot {
    of: Option<Endpoints>,
    len: u8,
    /// The tail, with room past [`TAIL`] for [`endpoints`]' overshooting
    /// stores, so that it is laid out in place.
    text: [u8; 8 + 72],
}

/// The kept tails, by the slot their endpoints hash to.
#[derive(Default)]
pub(super) struct NatTexts {
    /// [`SLOTS`] of them once the first NATed line is laid out.
    slots: Vec<Slot>,
}

impl NatTexts {
    /// `e`'s tail in a block of [`TAIL`] bytes (its first `len` are the
    /// text), and `len`.
    #[inline]
    pub(super) fn tail(&mut self, e: Endpoints) -> (&[u8; TAIL], usize) {
        if self.slots.is_empty() {
            self.slots = vec![Slot { of: None, len: 0, text: [0; 8 + 72] }; SLOTS];
        }
        let slot = &mut self.slots[slot_of(e)];
        if slot.of != Some(e) {
            fill(slot, e);
        }
        let text = slot.text.first_chunk().expect("longer than a tail");
        (text, usize::from(slot.len))
    }
}

/// The slot `e` hashes to (multiplicative hashing of its fields).
#[inline]
fn slot_of(e: Endpoints) -> usize {
    let addrs = u64::from(u32::from(e.src)) << 32 | u64::from(u32::from(e.dst));
    let ports = e.ports.map_or(0, |(s, d)| u64::from(s) << 16 | u64::from(d));
    let h = (addrs ^ ports.rotate_left(23)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - SLOTS.trailing_zeros())) as usize
}

/// Lays out `e`'s tail in `slot`: a flow's first packet, or one whose slot
/// another flow took.
#[cold]
#[inline(never)]
fn fill(slot: &mut Slot, e: Endpoints) {
    let (prefix, at) = slot.text.split_first_chunk_mut::<8>().expect("longer than the prefix");
    prefix.copy_from_slice(b",\"nat\":\"");
    let n = 8 + endpoints(at.first_chunk_mut().expect("72 bytes"), e);
    slot.text[n..n + 3].copy_from_slice(b"\"}\n");
    slot.len = (n + 3) as u8;
    slot.of = Some(e);
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn kept_tails_are_the_tails_laid_out_afresh() {
        let mut kept = NatTexts::default();
        let mut x = 99u64;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct endpoints, so that they repeat and share slots.
            let e = Endpoints {
                src: [10, 0, 0, (x % 7) as u8].into(),
                dst: [255, 255, 255, (x >> 8) as u8 % 5].into(),
                ports: (!(x >> 16).is_multiple_of(4)).then_some(((x >> 20) as u16 % 3 * 30000, 65535)),
            };
            let want = format!(",\"nat\":\"{e}\"}}\n");
            let (text, len) = kept.tail(e);
            assert_eq!(std::str::from_utf8(&text[..len]).unwrap(), want);
            let mut fresh = NatTexts::default();
            let (text, len) = fresh.tail(e);
            assert_eq!(std::str::from_utf8(&text[..len]).unwrap(), want);
        }
    }
}
