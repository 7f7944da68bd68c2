//! A growable array held in fixed chunks, for the table's per-entry data.
//!
//! A `Vec` doubles when full, so a million entries can hold room for
//! 1,048,576 and, just past a power of two, for twice what they use; the
//! kernel's slab grows a page at a time. Here only the last chunk has spare
//! room (at most [`CHUNK`] elements), and growing never copies the elements
//! already stored. The last chunk itself grows like a `Vec` up to [`CHUNK`],
//! so a table of ten entries stays small.
//!
//! An index is `chunk << SHIFT | offset`: one extra load, of the chunk list,
//! which stays in cache.

use std::ops::{Index, IndexMut};

const SHIFT: u32 = 10;
/// Elements per chunk.
pub const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

/// Elements `0..len`, in chunks of [`CHUNK`].
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
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

    /// Appends `value`.
    pub fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            self.chunks.push(Vec::new());
        }
        let last = self.chunks.last_mut().expect("a chunk with room");
        if last.len() == last.capacity() {
            // Grow like a Vec, but never past one chunk.
            let want = (last.capacity() * 2).clamp(4, CHUNK);
            last.reserve_exact(want - last.len());
        }
        last.push(value);
        self.len += 1;
    }

    /// The element at `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> SHIFT).and_then(|c| c.get(i & MASK))
    }

    /// Every element, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// Every element, mutably, in index order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }

    /// Bytes held: the elements' room (capacity) and the chunk list.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity() * std::mem::size_of::<T>()).sum::<usize>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
    }
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
        let room = c.bytes() / 4;
        assert!(room < n + CHUNK, "{room} elements of room for {n}");
    }

    #[test]
    fn a_small_array_stays_small() {
        let mut c = Chunked::default();
        for i in 0..10u64 {
            c.push(i);
        }
        // Room for 16, and a chunk list with room for 4.
        assert!(c.bytes() <= 16 * 8 + 4 * 24, "{}", c.bytes());
    }
}
