//! The Internet checksum (RFC 1071), full and incremental (RFC 1624).
//!
//! Sums are carried as "unfolded" `u32` accumulators so that several pieces
//! (a pseudo-header, a header, a payload) can be added before the one fold.
//! Every accumulator returned here is at most `0x7_ffff`, so callers may add
//! thousands of them with plain `+` and no overflow.
//!
//! Vocabulary: [`data`] is the folded one's-complement sum, [`finish`] is the
//! value stored in a checksum field (the complement of the folded sum). A
//! receiver verifies by summing everything, checksum field included, and
//! checking that the fold is `0xffff`.

use std::net::Ipv4Addr;

/// The unfolded one's-complement sum of `data` read as big-endian 16-bit
/// words; an odd trailing byte is padded with a zero byte (RFC 1071 §4.1).
pub fn sum(data: &[u8]) -> u32 {
    u32::from(sum_le(data, 0).swap_bytes())
}

/// Whether `data`, added to `le` (words already summed, read as
/// little-endian: a pseudo-header, say), sums to all ones: what a receiver
/// checks. One fold and no byte swap (a swap leaves all ones as it is).
pub fn sums_to_ones(data: &[u8], le: u64) -> bool {
    sum_le(data, le) == 0xffff
}

/// The folded one's-complement sum of `acc` (at most `2^63`) and `data`,
/// both read as little-endian 16-bit words: the big-endian sum, its bytes
/// swapped.
#[inline(always)]
fn sum_le(data: &[u8], mut acc: u64) -> u16 {
    // RFC 1071 §2(B): the sum is byte-order independent, so the bulk is added
    // as little-endian 64-bit words (no byte swaps) and the folded result
    // swapped back by the caller. Each 128 bytes are one add-with-carry chain, the carry
    // out of each add going into the next (as the kernel's `csum_partial`
    // does): the compiler emits one `adc` per 8 bytes, and the carry out of
    // the chain is counted aside, once per 128 bytes rather than per 64 (a
    // full-sized segment is mostly bulk). Folding keeps the one's-complement
    // sum because 2^16, 2^32 and 2^64 are all ≡ 1 (mod 0xffff).
    let mut carries = 0u64;
    let (blocks, mut rest) = data.as_chunks::<128>();
    for b in blocks {
        carries += chain(&mut acc, b);
    }
    // Under 128 bytes left: a 64-, 32-, 16- and 8-byte chain as the
    // length's bits say, then the last 0-7 bytes as one zero-padded word (a
    // lone last byte lands in the low half of its little-endian word, the
    // high half of the big-endian one: RFC 1071's padding).
    carries += chain_off::<64>(&mut acc, &mut rest);
    carries += chain_off::<32>(&mut acc, &mut rest);
    carries += chain_off::<16>(&mut acc, &mut rest);
    carries += chain_off::<8>(&mut acc, &mut rest);
    let (last, carried) = acc.overflowing_add(tail_word(rest));
    let wide = u128::from(last) + u128::from(carries) + u128::from(carried);
    fold_to_16(fold_to_32(wide).into())
}

/// The 0-7 bytes of `rest` as a little-endian word, zero-padded.
#[inline(always)]
fn tail_word(rest: &[u8]) -> u64 {
    let (mut w, mut shift, mut rest) = (0u64, 0, rest);
    if let Some((b, after)) = rest.split_first_chunk::<4>() {
        w = u64::from(u32::from_le_bytes(*b));
        shift = 32;
        rest = after;
    }
    if let Some((b, after)) = rest.split_first_chunk::<2>() {
        w |= u64::from(u16::from_le_bytes(*b)) << shift;
        shift += 16;
        rest = after;
    }
    if let Some(&b) = rest.first() {
        w |= u64::from(b) << shift;
    }
    w
}

/// [`chain`] over the first `N` bytes of `rest`, taken off it, when it
/// holds that many; else nothing (no carry).
#[inline(always)]
fn chain_off<const N: usize>(acc: &mut u64, rest: &mut &[u8]) -> u64 {
    match rest.split_first_chunk::<N>() {
        Some((block, after)) => {
            *rest = after;
            chain(acc, block)
        }
        None => 0,
    }
}

/// Adds the little-endian words of `block` onto `acc` in one carry chain;
/// returns the carry out of its last add.
#[inline(always)]
fn chain<const N: usize>(acc: &mut u64, block: &[u8; N]) -> u64 {
    let mut carry = false;
    for w in block.as_chunks::<8>().0 {
        add_carrying(acc, &mut carry, u64::from_le_bytes(*w));
    }
    u64::from(carry)
}

/// `acc + w + carry`, its carry out left in `carry`: written so that the
/// compiler recognises one add-with-carry.
#[inline(always)]
fn add_carrying(acc: &mut u64, carry: &mut bool, w: u64) {
    let (s, c1) = acc.overflowing_add(w);
    let (s, c2) = s.overflowing_add(u64::from(*carry));
    *acc = s;
    *carry = c1 | c2;
}

/// Folds a 128-bit one's-complement accumulator to 32 bits (congruent mod 0xffff).
#[inline]
fn fold_to_32(acc: u128) -> u32 {
    let acc = (acc as u64 as u128) + (acc >> 64);
    let acc = (acc as u64 as u128) + (acc >> 64);
    let acc = acc as u64;
    let acc = (acc & 0xffff_ffff) + (acc >> 32);
    let acc = (acc & 0xffff_ffff) + (acc >> 32);
    acc as u32
}

/// Folds a wide one's-complement accumulator to 16 bits (congruent mod 0xffff).
#[inline]
fn fold_to_16(acc: u64) -> u16 {
    let acc = (acc & 0xffff_ffff) + (acc >> 32);
    let acc = (acc & 0xffff_ffff) + (acc >> 32);
    let acc = (acc & 0xffff) + (acc >> 16);
    let acc = (acc & 0xffff) + (acc >> 16);
    acc as u16
}

/// Fold an unfolded accumulator into 16 bits with end-around carry.
#[inline]
pub fn fold(sum: u32) -> u16 {
    let s = (sum & 0xffff) + (sum >> 16);
    let s = (s & 0xffff) + (s >> 16);
    s as u16
}

/// [`fold`] for an accumulator wider than 32 bits.
#[inline]
pub fn fold_wide(sum: u64) -> u16 {
    fold_to_16(sum)
}

/// The folded one's-complement sum of `data`, not complemented.
#[inline]
pub fn data(data: &[u8]) -> u16 {
    fold(sum(data))
}

/// The unfolded sum of the IPv4 pseudo-header of TCP and UDP (RFC 793 §3.1,
/// RFC 768): source, destination, zero and protocol, and the L4 length.
#[inline]
pub fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) -> u32 {
    let s = u32::from(src);
    let d = u32::from(dst);
    (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto as u32 + len as u32
}

/// Fold and complement: the value to store in a checksum field.
#[inline]
pub fn finish(sum: u32) -> u16 {
    !fold(sum)
}

/// Update a stored checksum after a 16-bit word changed from `old` to `new`,
/// by RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')`.
///
/// Eqn. 3 never yields the 0x0000 that eqn. 2 wrongly produced; it agrees
/// with a full recomputation except when every covered word becomes zero
/// (then it stores 0x0000, a full recomputation 0xffff). That cannot happen
/// for an IPv4 header (version nibble) nor under a TCP/UDP pseudo-header
/// (protocol byte). For UDP, where 0 means "no checksum", the caller must
/// skip the update when the field is 0 and store 0xffff for a 0 result, as
/// the kernel's `nf_nat` UDP manipulation does (CSUM_MANGLED_0).
#[inline]
pub fn update16(csum: u16, old: u16, new: u16) -> u16 {
    !fold(!csum as u32 + !old as u32 + new as u32)
}

/// [`update16`] for a 32-bit field (two words at once), as `csum_replace4`.
#[inline]
pub fn update32(csum: u16, old: u32, new: u32) -> u16 {
    let old_hi = !(old >> 16) as u16;
    let old_lo = !(old & 0xffff) as u16;
    let s = !csum as u32 + old_hi as u32 + old_lo as u32 + (new >> 16) + (new & 0xffff);
    !fold(s)
}

/// [`update32`] for an IPv4 address, as NAT rewrites them.
#[inline]
pub fn update_addr(csum: u16, old: Ipv4Addr, new: Ipv4Addr) -> u16 {
    update32(csum, u32::from(old), u32::from(new))
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    /// The textbook 16-bit-at-a-time sum, the reference for the fast loop.
    fn slow_sum(data: &[u8]) -> u32 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let hi = pair[0] as u32;
            let lo = pair.get(1).copied().unwrap_or(0) as u32;
            acc += (hi << 8) | lo;
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (folded).
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(data(&bytes), 0xddf2);
        assert_eq!(finish(sum(&bytes)), !0xddf2);
    }

    #[test]
    fn ipv4_header_example() {
        // A classic header whose stored checksum is b861.
        let mut hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
            0x00, 0xc7,
        ];
        assert_eq!(finish(sum(&hdr)), 0xb861);
        hdr[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
        assert_eq!(data(&hdr), 0xffff);
    }

    #[test]
    fn odd_and_empty() {
        assert_eq!(sum(&[]), 0);
        assert_eq!(data(&[0xab]), 0xab00);
        assert_eq!(data(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }

    #[test]
    fn pseudo_header_sums_its_words() {
        let s = pseudo_header(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), 6, 20);
        assert_eq!(s, 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20);
    }

    #[test]
    fn update16_stored_zero_checksum() {
        // Data summing to 0xffff stores 0x0000; eqn. 3 must handle that input.
        let mut words = [0xffffu16, 0x0000];
        let csum = finish(sum(&be(&words)));
        assert_eq!(csum, 0x0000);
        words[1] = 0x1234;
        assert_eq!(update16(csum, 0x0000, 0x1234), finish(sum(&be(&words))));
    }

    #[test]
    fn update16_result_zero_checksum() {
        // Changing data so it sums to 0xffff must store 0x0000, not 0xffff.
        let mut words = [0xfff0u16, 0x0001];
        let csum = finish(sum(&be(&words)));
        words[1] = 0x000f;
        let full = finish(sum(&be(&words)));
        assert_eq!(full, 0x0000);
        assert_eq!(update16(csum, 0x0001, 0x000f), full);
    }

    #[test]
    fn update16_all_zero_is_the_documented_exception() {
        let csum = finish(sum(&be(&[0x0000, 0x0001])));
        assert_eq!(update16(csum, 0x0001, 0x0000), 0x0000);
        assert_eq!(finish(sum(&be(&[0x0000, 0x0000]))), 0xffff);
    }

    fn be(words: &[u16]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    proptest! {
        #[test]
        fn fast_sum_matches_slow(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            prop_assert_eq!(data(&bytes), fold(slow_sum(&bytes)));
            prop_assert!(sum(&bytes) <= 0x1_ffff);
        }

        #[test]
        fn fast_sum_matches_slow_at_every_alignment(
            bytes in proptest::collection::vec(prop_oneof![Just(0xffu8), Just(0u8), any::<u8>()], 0..400),
            skip in 0usize..16,
        ) {
            // Runs of 0xff make the add-with-carry chain carry on and on.
            let data = &bytes[skip.min(bytes.len())..];
            prop_assert_eq!(super::data(data), fold(slow_sum(data)));
        }

        #[test]
        fn all_ones_words_fold_consistently(n in 0usize..4000) {
            let bytes = vec![0xffu8; n * 2];
            prop_assert_eq!(data(&bytes), fold(slow_sum(&bytes)));
        }

        #[test]
        fn update16_equals_recompute(
            mut words in proptest::collection::vec(
                prop_oneof![Just(0u16), Just(0xffffu16), any::<u16>()], 1..12),
            pick in any::<prop::sample::Index>(),
            new in prop_oneof![Just(0u16), Just(0xffffu16), any::<u16>()],
        ) {
            let i = pick.index(words.len());
            let csum = finish(sum(&be(&words)));
            let old = words[i];
            words[i] = new;
            prop_assume!(words.iter().any(|&w| w != 0));
            prop_assert_eq!(update16(csum, old, new), finish(sum(&be(&words))));
        }

        #[test]
        fn update_addr_equals_recompute(
            mut words in proptest::collection::vec(any::<u16>(), 2..12),
            new in any::<u32>(),
        ) {
            let csum = finish(sum(&be(&words)));
            let old = (words[0] as u32) << 16 | words[1] as u32;
            words[0] = (new >> 16) as u16;
            words[1] = new as u16;
            prop_assume!(words.iter().any(|&w| w != 0));
            let got = update_addr(csum, Ipv4Addr::from(old), Ipv4Addr::from(new));
            prop_assert_eq!(got, finish(sum(&be(&words))));
        }
    }
}
