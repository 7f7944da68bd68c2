//! Decimal text without `fmt`, for the verdict lines: numbers two digits
//! at a time from a table, a number that repeats or counts on kept as
//! digits, and a NAT's `src:port > dst:port` laid out octet by octet.
//!
//! Each runs once or twice per replayed packet; `Display` costs several
//! times as much through its formatting machinery.

/// Up to 20 decimal digits and their count.
pub(super) type Digits = ([u8; 24], usize);

/// Two decimal digits at a time.
pub(super) const DIGITS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// [`DIGITS`] as pairs, padded to 128 so that an index masked to 7 bits
/// needs no bounds check.
pub(super) const PAIRS: [[u8; 2]; 128] = {
    let mut t = [[0u8; 2]; 128];
    let mut i = 0;
    while i < 100 {
        t[i] = [DIGITS[2 * i], DIGITS[2 * i + 1]];
        i += 1;
    }
    t
};

/// `src[:port] > dst[:port]`, at most 45 bytes, laid out at the start of
/// `buf` (straight into the line), and its length. Offsets are masked to
/// 64, which the text never reaches, so no store needs a bounds check. Each
/// piece is one store of a whole word, its length counted on: an octet and
/// the dot after it from [`OCTET_DOT`], a port's five digits shifted past
/// its leading zeros. What a store writes past its piece is overwritten by
/// the next one, or lies past the text.
#[inline(always)]
pub(super) fn endpoints(buf: &mut [u8; 72], e: crate::netfilter::Endpoints) -> usize {
    let n = endpoint(buf, 0, e.src, e.ports.map(|p| p.0));
    buf[n & 63..(n & 63) + 3].copy_from_slice(b" > ");
    endpoint(buf, n + 3, e.dst, e.ports.map(|p| p.1))
}

/// `addr[:port]` at `n` in `buf`; returns where it ends.
#[inline(always)]
fn endpoint(buf: &mut [u8; 72], mut n: usize, addr: std::net::Ipv4Addr, port: Option<u16>) -> usize {
    for octet in addr.octets() {
        let word = OCTET_DOT[usize::from(octet)];
        buf[n & 63..(n & 63) + 4].copy_from_slice(&(word as u32).to_le_bytes());
        n += (word >> 32) as usize;
    }
    // The last octet's dot: the port's colon, or given back.
    let Some(p) = port else { return n - 1 };
    buf[(n - 1) & 63] = b':';
    let (len, digits) = port_digits(p);
    buf[n & 63..(n & 63) + 8].copy_from_slice(&digits.to_le_bytes());
    n + len
}

/// `p` in decimal: its digit count, and the digits in the low bytes of a
/// word (first digit lowest), zeros above them. All five digits are worked
/// out (two multiplications stand in for the divisions by 100), then the
/// leading zeros shifted out.
#[inline(always)]
fn port_digits(p: u16) -> (usize, u64) {
    let p = u32::from(p);
    let len = 1 + usize::from(p >= 10) + usize::from(p >= 100) + usize::from(p >= 1000) + usize::from(p >= 10_000);
    let (hi, lo) = (p / 100, p % 100);
    let (top, mid) = (hi / 100, hi % 100);
    let pair = |v: u32| u64::from(u16::from_le_bytes(PAIRS[v as usize & 127]));
    let five = u64::from(b'0' + top as u8) | pair(mid) << 8 | pair(lo) << 24;
    (len, five >> (8 * (5 - len)))
}

/// Every octet's decimal text followed by a dot, in the low four bytes
/// (first character lowest), and that text's length (digits and dot) in
/// the high ones.
const OCTET_DOT: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let v = i as u8;
        let (text, len) = if v >= 100 {
            ([b'0' + v / 100, b'0' + v / 10 % 10, b'0' + v % 10, b'.'], 4)
        } else if v >= 10 {
            ([b'0' + v / 10, b'0' + v % 10, b'.', 0], 3)
        } else {
            ([b'0' + v, b'.', 0, 0], 2)
        };
        t[i] = u32::from_le_bytes(text) as u64 | (len as u64) << 32;
        i += 1;
    }
    t
};

/// Writes the last `at.len()` decimal digits of `v` into `at`, from the
/// last digit pair back.
#[inline(always)]
fn write_digits(at: &mut [u8], v: u64) {
    let (mut v, mut i) = (v, at.len());
    while i >= 2 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        at[i..i + 2].copy_from_slice(&DIGITS[d..d + 2]);
    }
    if i == 1 {
        at[0] = b'0' + (v % 10) as u8;
    }
}

/// `v`'s decimal digits.
pub(super) fn decimal(v: u64) -> Digits {
    let mut d = [0u8; 24];
    let len = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    write_digits(&mut d[..len], v);
    (d, len)
}

/// `v`'s digits through `cache`: kept while `v` repeats (a capture's
/// second), counted on in place when `v` is one more (a packet index),
/// else written afresh. The two common cases are a compare or two and a
/// store; the rest (a carry, a jump) is out of line.
#[inline(always)]
pub(super) fn digits_of(cache: &mut Option<(u64, Digits)>, v: u64) -> &Digits {
    match cache {
        Some((last, _)) if *last == v => {}
        Some((last, (digits, len))) if v.checked_sub(1) == Some(*last) && digits[*len - 1] != b'9' => {
            *last = v;
            digits[*len - 1] += 1;
        }
        _ => renew(cache, v),
    }
    &cache.as_ref().expect("filled just above").1
}

/// [`digits_of`] past its common cases: a carry, or a number that jumped.
#[cold]
#[inline(never)]
fn renew(cache: &mut Option<(u64, Digits)>, v: u64) {
    let fresh = match cache {
        Some((last, digits)) if last.checked_add(1) == Some(v) => {
            *last = v;
            !count_on(digits)
        }
        _ => true,
    };
    if fresh {
        *cache = Some((v, decimal(v)));
    }
}

/// Adds one to decimal digits in place; false when the carry runs out of
/// the first digit (one more digit is needed).
fn count_on((digits, len): &mut Digits) -> bool {
    for d in digits[..*len].iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return true;
        }
    }
    false
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn endpoints_print_as_display_does() {
        let text = |src: [u8; 4], dst: [u8; 4], ports| {
            let e = crate::netfilter::Endpoints { src: src.into(), dst: dst.into(), ports };
            let mut buf = [0u8; 72];
            let n = endpoints(&mut buf, e);
            (String::from_utf8(buf[..n].to_vec()).unwrap(), e.to_string())
        };
        for (a, p) in [([0, 0, 0, 0], Some(0u16)), ([255, 255, 255, 255], Some(65535)), ([10, 0, 0, 1], None)] {
            let (got, want) = text(a, a, p.map(|p| (p, p)));
            assert_eq!(got, want);
            assert!(got.contains(" > "));
        }
        // Every octet in every position, and ports of each digit count.
        for o in 0..=255u8 {
            let p = [0u16, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535][usize::from(o) % 10]
                .saturating_add(u16::from(o % 3));
            let a = [o, 255 - o, o / 3, o.wrapping_mul(7)];
            let (got, want) = text(a, [a[3], a[2], a[1], a[0]], Some((p, 65535 - p)));
            assert_eq!(got, want);
        }
        for p in 0..=u16::MAX {
            let (len, digits) = port_digits(p);
            assert_eq!(&digits.to_le_bytes()[..len], p.to_string().as_bytes());
            assert_eq!(digits >> (8 * len), 0, "nothing past the digits");
        }
    }
}
