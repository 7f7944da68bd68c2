//! A growable array held in fixed chunks, for the table's per-entry data.
//!
//! A `Vec` doubles when full, so a million entries can hold room for
//! 1,048,576 and, just past a power of two, for twice what they use; the
//! kernel's slab grows a page at a time. Here only the last chunk has spare
//! room (at most [`CHUNK`] elements), and growing never copies the elements
//! already stored. The price is one chunk even for a table of ten entries.
//!
//! An index is `chunk << SHIFT | offset`: one extra load, of the chunk list,
//! which stays in cache.

use std::ops::{Index, IndexMut};

const SHIFT: u32 = 10;
/// Elements per chunk.
pub const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

/// Elements `0..len`, in chunks of [`CHUNK`].
///
/// Chunks are whole arrays, filled with `T::default()` when made, so an
/// index needs one bounds check (of the chunk list), not two.
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Box<[T; CHUNK]>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
    }
}

impl<T: Clone + Default> Chunked<T> {
    /// Appends `value`.
    #[inline]
    pub fn push(&mut self, value: T) {
        if self.len == self.chunks.len() * CHUNK {
            self.grow();
        }
        let i = self.len;
        self.chunks[i >> SHIFT][i & MASK] = value;
        self.len += 1;
    }

    /// Adds a chunk.
    #[cold]
    fn grow(&mut self) {
        let chunk: Box<[T]> = vec![T::default(); CHUNK].into_boxed_slice();
        self.chunks.push(chunk.try_into().unwrap_or_else(|_| unreachable!("a chunk has CHUNK elements")));
    }
}

impl<T> Chunked<T> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The element at `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        Some(&self[i])
    }

    /// Every element, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|c| c.iter()).take(self.len)
    }

    /// Every element, mutably, in index order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        let len = self.len;
        self.chunks.iter_mut().flat_map(|c| c.iter_mut()).take(len)
    }

    /// Bytes held: the chunks and the chunk list.
    pub fn bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<T>() + self.chunks.capacity() * std::mem::size_of::<usize>()
    }
}

/// Starts loading the cache lines holding `*r` (its first and last byte:
/// meant for values of at most a line) ahead of their use, so that misses
/// whose addresses are known early overlap instead of queueing one behind
/// another (a hint: it changes no value; a no-op off x86_64).
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let first = (r as *const T).cast::<i8>();
        let last = first.wrapping_add(std::mem::size_of::<T>().max(1) - 1);
        // SAFETY: a prefetch neither reads into the program nor faults,
        // whatever the address; these are within the live `*r` anyway.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(first);
            _mm_prefetch::<_MM_HINT_T0>(last);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> SHIFT][i & MASK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> SHIFT][i & MASK]
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn indexes_across_chunks_and_holds_at_most_one_chunk_spare() {
        let mut c = Chunked::default();
        let n = 3 * CHUNK + 5;
        for i in 0..n {
            c.push(i as u32);
        }
        assert_eq!(c.len(), n);
        assert_eq!(c[CHUNK - 1], (CHUNK - 1) as u32);
        assert_eq!(c[2 * CHUNK + 3], (2 * CHUNK + 3) as u32);
        c[CHUNK] = 7;
        assert_eq!(c.get(CHUNK), Some(&7));
        assert_eq!(c.get(n), None);
        assert_eq!(c.iter().count(), n);
        // Room for less than a chunk more than used, and the chunk list.
        assert!(c.bytes() < (n + CHUNK) * 4 + 8 * 8, "{} bytes for {n}", c.bytes());
    }

    #[test]
    fn a_small_array_holds_one_chunk() {
        let mut c = Chunked::default();
        for i in 0..10u64 {
            c.push(i);
        }
        assert_eq!(c.iter().copied().collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
        assert_eq!(c.get(10), None);
        assert!(c.bytes() <= CHUNK * 8 + 4 * 8, "{}", c.bytes());
    }
}
