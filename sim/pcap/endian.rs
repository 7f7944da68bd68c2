//! Byte order of the file being read: fixed-width integers at byte offsets.
//!
//! Classic pcap and each pcapng section are written in the byte order of the
//! machine that wrote them; the magic number says which. Callers check the
//! length of the slice before reading from it, so an out-of-range read here
//! is a bug in the caller and panics.

/// The byte order of a classic pcap file or of one pcapng section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// The `u16` at `b[at..at + 2]`.
    #[inline]
    pub fn u16(self, b: &[u8], at: usize) -> u16 {
        // One range check for the whole field, not one per byte.
        let a: [u8; 2] = b[at..at + 2].try_into().expect("two bytes");
        match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        }
    }

    /// The `u32` at `b[at..at + 4]`.
    #[inline]
    pub fn u32(self, b: &[u8], at: usize) -> u32 {
        let a: [u8; 4] = b[at..at + 4].try_into().expect("four bytes");
        match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    }

    /// The `u64` at `b[at..at + 8]`.
    #[inline]
    pub fn u64(self, b: &[u8], at: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        match self {
            Endian::Little => u64::from_le_bytes(a),
            Endian::Big => u64::from_be_bytes(a),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn both_orders() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(Endian::Little.u16(&b, 0), 0x0201);
        assert_eq!(Endian::Big.u32(&b, 4), 0x05060708);
        assert_eq!(Endian::Little.u64(&b, 0), 0x0807060504030201);
    }
}
