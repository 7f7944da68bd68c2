//! Bob Jenkins' lookup3 hash as the kernel's `jhash`/`jhash2` compute it
//! (include/linux/jhash.h). NAT needs it bit for bit: `find_best_ips_proto`
//! picks an address of a range from `jhash2` of the source address with no
//! secret, so the same client gets the same address on every Linux box, and
//! on nfsim.
//!
//! The words are read as the kernel reads them: a `__be32` address in memory
//! loaded as a native (little-endian on x86) `u32`. Callers pass
//! [`word_of`]`(addr)` for that.

use std::net::Ipv4Addr;

/// The initial value every lookup3 hash starts from.
const INITVAL: u32 = 0xdead_beef;

/// The 32-bit word the kernel loads from an IPv4 address stored in network
/// order, on a little-endian machine (the reference machines are x86-64).
pub fn word_of(addr: Ipv4Addr) -> u32 {
    u32::from_le_bytes(addr.octets())
}

/// lookup3's `mix`: reversible mixing of three words.
#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c) ^ c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a) ^ a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b) ^ b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c) ^ c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a) ^ a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b) ^ b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

/// lookup3's `final`: the last avalanche of the three words into `c`.
#[inline]
fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(14));
    *a = (*a ^ *c).wrapping_sub(c.rotate_left(11));
    *b = (*b ^ *a).wrapping_sub(a.rotate_left(25));
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(16));
    *a = (*a ^ *c).wrapping_sub(c.rotate_left(4));
    *b = (*b ^ *a).wrapping_sub(a.rotate_left(14));
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(24));
}

/// `jhash2(words, words.len(), initval)`: the hash of whole 32-bit words.
pub fn jhash2(words: &[u32], initval: u32) -> u32 {
    let start = INITVAL.wrapping_add((words.len() as u32) << 2).wrapping_add(initval);
    let (mut a, mut b, mut c) = (start, start, start);
    let mut k = words;
    while k.len() > 3 {
        a = a.wrapping_add(k[0]);
        b = b.wrapping_add(k[1]);
        c = c.wrapping_add(k[2]);
        mix(&mut a, &mut b, &mut c);
        k = &k[3..];
    }
    if k.is_empty() {
        return c;
    }
    // The tail words go to c, b, a from the last down (the kernel's fallthrough).
    if k.len() == 3 {
        c = c.wrapping_add(k[2]);
    }
    if k.len() >= 2 {
        b = b.wrapping_add(k[1]);
    }
    a = a.wrapping_add(k[0]);
    finish(&mut a, &mut b, &mut c);
    c
}

/// `jhash(key, len, initval)`: the byte-string form (lookup3's
/// `hashlittle` on a little-endian machine). NAT does not use it; it is here
/// because lookup3's published test vectors are for it, and it shares `mix`
/// and `finish` with [`jhash2`].
pub fn jhash(key: &[u8], initval: u32) -> u32 {
    let start = INITVAL.wrapping_add(key.len() as u32).wrapping_add(initval);
    let (mut a, mut b, mut c) = (start, start, start);
    let word = |s: &[u8]| {
        let mut w = [0u8; 4];
        w[..s.len()].copy_from_slice(s);
        u32::from_le_bytes(w)
    };
    let mut k = key;
    while k.len() > 12 {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    if k.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(&k[..k.len().min(4)]));
    if k.len() > 4 {
        b = b.wrapping_add(word(&k[4..k.len().min(8)]));
    }
    if k.len() > 8 {
        c = c.wrapping_add(word(&k[8..]));
    }
    finish(&mut a, &mut b, &mut c);
    c
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn lookup3_published_vectors() {
        // lookup3.c's driver: hashlittle("", 0, 0) and the "Four score" line.
        assert_eq!(jhash(b"", 0), 0xdead_beef);
        assert_eq!(jhash(b"Four score and seven years ago", 0), 0x1777_0551);
        assert_eq!(jhash(b"Four score and seven years ago", 1), 0xcd62_8161);
    }

    #[test]
    fn one_word_jhash2_is_the_four_byte_jhash() {
        // Both read one little-endian word and run `final` once.
        for (addr, init) in [([192, 168, 1, 10], 0u32), ([10, 0, 0, 1], 0xcb00_7107), ([1, 2, 3, 4], 7)] {
            let a = Ipv4Addr::from(addr);
            assert_eq!(jhash2(&[word_of(a)], init), jhash(&a.octets(), init));
        }
    }

    #[test]
    fn words_beyond_three_are_mixed() {
        let w = [1, 2, 3, 4, 5];
        assert_ne!(jhash2(&w, 0), jhash2(&w[..4], 0));
        let bytes: Vec<u8> = w.iter().flat_map(|x: &u32| x.to_le_bytes()).collect();
        assert_eq!(jhash2(&w, 0), jhash(&bytes, 0), "jhash2 of n words = jhash of 4n bytes");
    }
}
