//! The reader's one buffer: a sliding window over the input stream.
//!
//! Records are parsed straight out of the window and handed out as borrowed
//! slices of it. When the bytes still unread do not hold the next structure,
//! the window moves them down to the front and refills the rest with one
//! large `read`, so a capture costs a read call per 128 KiB, not per field.
//! The window is kept that small on purpose: `read` leaves its bytes in the
//! cache and the packets are parsed and copied out soon after, while they
//! are still there (a 1 MiB window outgrows a core's L2, and the bare read
//! loop ran slower with it). The buffer starts small (most test captures
//! fit), grows to [`WINDOW`] once the input proves larger, and beyond that
//! only as far as the bytes of one block actually arrive: a header claiming
//! 200 MiB in a 1 KiB file costs no 200 MiB buffer. Callers bound every
//! claim by `MAX_BLOCK_BYTES` first.

use std::io::{self, Read};

/// Bytes the buffer starts with.
const INITIAL: usize = 64 * 1024;
/// Bytes the buffer grows to once the input is larger than `INITIAL`: a
/// read's worth that stays in a core's L2 cache until it is parsed.
pub const WINDOW: usize = 128 * 1024;

/// A reused buffer over a byte stream, tracking file offsets.
pub struct Window<R> {
    inner: R,
    buf: Vec<u8>,
    /// First unconsumed byte in `buf`.
    start: usize,
    /// One past the last valid byte in `buf`.
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// The reader has returned 0 bytes.
    eof: bool,
}

impl<R: Read> Window<R> {
    /// A window over `inner`, nothing read yet.
    pub fn new(inner: R) -> Window<R> {
        Window { inner, buf: vec![0; INITIAL], start: 0, end: 0, base: 0, eof: false }
    }

    /// File offset of the first unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    /// How many unconsumed bytes are held now.
    #[inline]
    pub fn held(&self) -> usize {
        self.end - self.start
    }

    /// The unconsumed bytes held now.
    pub fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads until at least `need` bytes are held or the input ends, and
    /// returns how many are held.
    ///
    /// The buffer grows only as bytes arrive (doubling), so a header that
    /// claims far more than the input holds costs no large allocation.
    pub fn fill(&mut self, need: usize) -> io::Result<usize> {
        while self.end - self.start < need && !self.eof {
            if self.end == self.buf.len() {
                self.make_room(need);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }

    /// Moves the unconsumed bytes to the front; grows the buffer to
    /// [`WINDOW`] the first time, and beyond it (doubling, at most to
    /// `need`) only when the unconsumed bytes fill it.
    fn make_room(&mut self, need: usize) {
        self.buf.copy_within(self.start..self.end, 0);
        self.base += self.start as u64;
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() || self.buf.len() < WINDOW {
            let want = (self.buf.len() * 2).max(WINDOW).min(need.max(WINDOW));
            self.buf.resize(want, 0);
        }
    }

    /// Marks `n` held bytes as used and returns their range in the buffer.
    ///
    /// # Panics
    /// If fewer than `n` bytes are held: callers `fill` first.
    pub fn consume(&mut self, n: usize) -> std::ops::Range<usize> {
        assert!(n <= self.end - self.start, "consume past the filled window");
        let r = self.start..self.start + n;
        self.start += n;
        r
    }

    /// The bytes at a range `consume` returned, until the next `fill`.
    pub fn slice(&self, r: std::ops::Range<usize>) -> &[u8] {
        &self.buf[r]
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A reader that hands out at most 3 bytes per call.
    struct Dribble<'a>(&'a [u8]);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(3).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn fill_gathers_short_reads_and_tracks_offsets() {
        let data: Vec<u8> = (0..200u8).collect();
        let mut w = Window::new(Dribble(&data));
        assert!(w.fill(10).unwrap() >= 10);
        let r = w.consume(10);
        assert_eq!(w.slice(r), &data[..10]);
        assert_eq!(w.offset(), 10);
        assert_eq!(w.fill(1000).unwrap(), 190);
        assert_eq!(w.available(), &data[10..]);
    }

    #[test]
    fn grows_for_a_block_larger_than_the_window() {
        let data = vec![7u8; WINDOW + 5000];
        let mut w = Window::new(&data[..]);
        w.fill(100).unwrap();
        w.consume(100);
        assert_eq!(w.fill(WINDOW + 4900).unwrap(), WINDOW + 4900);
        assert_eq!(w.offset(), 100);
    }

    #[test]
    fn a_false_claim_does_not_allocate_it() {
        let data = [1u8; 1000];
        let mut w = Window::new(&data[..]);
        w.fill(10).unwrap();
        w.consume(10);
        assert_eq!(w.fill(200 << 20).unwrap(), 990);
        assert!(w.buf.len() <= WINDOW);
    }
}
