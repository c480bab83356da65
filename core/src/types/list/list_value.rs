//! The `List` value: a deque of packed chunks (Redis's quicklist of listpacks). Pushes and pops
//! touch only an end chunk; index lookups skip whole chunks by their entry counts.

use std::collections::VecDeque;

use super::chunk::{Chunk, Fill};
use super::entry::{Elem, Encoded, Needle};
use crate::util::digest::{mix_digest, Digest};

/// Which end of a list (LEFT = head, RIGHT = tail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head (index 0).
    Left,
    /// The tail (index -1).
    Right,
}

/// A list value.
#[derive(Clone, Debug, Default)]
pub struct List {
    chunks: VecDeque<Chunk>,
    len: usize,
}

impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        // Equal contents may be chunked differently.
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// A position: chunk index and byte offset of an entry in it.
type Pos = (usize, usize);

impl List {
    /// An empty list (never stored under a key until something is pushed).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements (an empty collection is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of chunks (the nodes of Redis's quicklist: what freeing the list costs).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// The name OBJECT ENCODING reports (Redis 7.0 lists are always quicklists).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Mixes the elements into `d` as Redis's xorObjectDigest does for this type: in order.
    pub fn digest(&self, d: &mut Digest) {
        for e in self.iter() {
            e.with_bytes(|b| mix_digest(d, b));
        }
    }

    /// Heap bytes held by the chunks (MEMORY USAGE-style estimates).
    pub fn allocated(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self.chunks.iter().map(Chunk::allocated).sum::<usize>()
    }

    /// Adds `v` at `end`.
    pub fn push(&mut self, end: End, v: &[u8], fill: Fill) {
        let e = Encoded::new(v);
        let n = e.len();
        let fits = match end {
            End::Left => self.chunks.front(),
            End::Right => self.chunks.back(),
        }
        .is_some_and(|c| c.has_room(n, fill));
        if !fits {
            // The old end chunk is full: trim it to size before it becomes an inner chunk. The
            // new one is sized for the fill limit when the list already had a chunk, and so is
            // long; an entry bigger than the limit gets a chunk of exactly its size.
            let new_chunk = if self.chunks.is_empty() {
                Chunk::default()
            } else {
                Chunk::with_capacity(fill.bytes.max(n).min(64 * 1024))
            };
            match end {
                End::Left => {
                    if let Some(c) = self.chunks.front_mut() {
                        c.shrink();
                    }
                    self.reserve_chunk();
                    self.chunks.push_front(new_chunk);
                }
                End::Right => {
                    if let Some(c) = self.chunks.back_mut() {
                        c.shrink();
                    }
                    self.reserve_chunk();
                    self.chunks.push_back(new_chunk);
                }
            }
        }
        let (chunk, off) = match end {
            End::Left => (self.chunks.front_mut(), 0),
            End::Right => {
                let c = self.chunks.back_mut();
                let off = c.as_ref().map_or(0, |c| c.buf().len());
                (c, off)
            }
        };
        if let Some(c) = chunk {
            c.insert(off, &e, fill.bytes);
            self.len += 1;
        }
    }

    /// Makes room for one more chunk, growing the deque by an eighth rather than doubling it:
    /// a long list's chunk table then wastes little, and growth stays amortised O(1).
    fn reserve_chunk(&mut self) {
        let n = self.chunks.len();
        if n == self.chunks.capacity() {
            self.chunks.reserve_exact((n / 8).max(1));
        }
    }

    /// Trims a one-chunk list's buffer when it has grown loose (after pops), so the many small
    /// lists of a keyspace cost about what they hold. Called once per command that added
    /// elements; a long list's end chunks keep their (bounded) slack for cheap pushes.
    pub fn shrink_if_small(&mut self) {
        if self.chunks.len() == 1 {
            if let Some(c) = self.chunks.front_mut() {
                if c.slack() > c.buf().len() / 8 + 16 {
                    c.shrink();
                }
            }
        }
    }

    /// Removes the element at `end`, handing it to `f` first.
    pub fn pop_with<R>(&mut self, end: End, f: impl FnOnce(Elem) -> R) -> Option<R> {
        let (ci, c) = match end {
            End::Left => (0, self.chunks.front_mut()?),
            End::Right => (self.chunks.len() - 1, self.chunks.back_mut()?),
        };
        let (start, stop) = match end {
            End::Left => (0, c.at(0).1),
            End::Right => (c.before(c.buf().len()), c.buf().len()),
        };
        let r = f(c.at(start).0);
        c.remove(start, stop, 1);
        self.len -= 1;
        if c.count() == 0 {
            self.chunks.remove(ci);
        }
        Some(r)
    }

    /// Removes the element at `end` and returns its text.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        self.pop_with(end, |e| e.to_vec())
    }

    /// Where element `i` (< len) is.
    fn locate(&self, mut i: usize) -> Option<Pos> {
        if i >= self.len {
            return None;
        }
        if i < self.len / 2 {
            for (ci, c) in self.chunks.iter().enumerate() {
                if i < c.count() {
                    return Some((ci, c.offset_of(i)));
                }
                i -= c.count();
            }
        } else {
            let mut from_end = self.len - i;
            for (ci, c) in self.chunks.iter().enumerate().rev() {
                if from_end <= c.count() {
                    return Some((ci, c.offset_of(c.count() - from_end)));
                }
                from_end -= c.count();
            }
        }
        None
    }

    /// Element `i` (0-based from the head).
    pub fn get(&self, i: usize) -> Option<Elem<'_>> {
        let (ci, off) = self.locate(i)?;
        Some(self.chunks[ci].at(off).0)
    }

    /// Replaces element `i` with `v`; false if `i` is out of range.
    pub fn set(&mut self, i: usize, v: &[u8], fill: Fill) -> bool {
        let Some((ci, off)) = self.locate(i) else {
            return false;
        };
        let c = &mut self.chunks[ci];
        let end = c.at(off).1;
        c.replace(off, end, &Encoded::new(v));
        self.split_if_over(ci, fill);
        true
    }

    /// Splits chunk `ci` in two when an edit left it over the fill limits.
    fn split_if_over(&mut self, ci: usize, fill: Fill) {
        let c = &mut self.chunks[ci];
        if c.count() > 1 && (c.count() > fill.count || c.buf().len() > fill.bytes) {
            let half = c.count() / 2;
            let off = c.offset_of(half);
            let moved = c.count() - half;
            let tail = c.split_off(off, moved);
            self.chunks.insert(ci + 1, tail);
        }
    }

    /// Inserts `v` before (or after) the first element equal to `pivot`; false if none is.
    pub fn insert_at_pivot(&mut self, pivot: &[u8], after: bool, v: &[u8], fill: Fill) -> bool {
        let needle = Needle::new(pivot);
        let mut found = None;
        'chunks: for (ci, c) in self.chunks.iter().enumerate() {
            let mut off = 0;
            while off < c.buf().len() {
                let (e, next) = c.at(off);
                if needle.matches(&e) {
                    found = Some((ci, if after { next } else { off }));
                    break 'chunks;
                }
                off = next;
            }
        }
        let Some((ci, off)) = found else {
            return false;
        };
        let c = &mut self.chunks[ci];
        c.insert(off, &Encoded::new(v), c.buf().len());
        self.len += 1;
        self.split_if_over(ci, fill);
        true
    }

    /// Removes up to `limit` elements equal to `v` (0 = all), scanning from the tail if
    /// `from_tail`; returns how many went.
    pub fn remove_matching(
        &mut self,
        v: &[u8],
        limit: usize,
        from_tail: bool,
        fill: Fill,
    ) -> usize {
        let needle = Needle::new(v);
        let mut left = if limit == 0 { usize::MAX } else { limit };
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.chunks.len()).rev().collect()
        } else {
            (0..self.chunks.len()).collect()
        };
        let mut spans = Vec::new();
        for ci in order {
            if left == 0 {
                break;
            }
            let c = &mut self.chunks[ci];
            spans.clear();
            let mut off = 0;
            while off < c.buf().len() {
                let (e, next) = c.at(off);
                if needle.matches(&e) {
                    spans.push((off, next));
                    if !from_tail && spans.len() == left {
                        break;
                    }
                }
                off = next;
            }
            if from_tail && spans.len() > left {
                spans.drain(..spans.len() - left);
            }
            c.remove_spans(&spans);
            left -= spans.len();
            removed += spans.len();
        }
        if removed > 0 {
            self.len -= removed;
            self.chunks.retain(|c| c.count() > 0);
            self.merge_small(fill);
        }
        removed
    }

    /// Joins neighbouring chunks that fit in one (after deletions left them thin), in one pass.
    fn merge_small(&mut self, fill: Fill) {
        if self.chunks.len() < 2 {
            return;
        }
        let old = std::mem::take(&mut self.chunks);
        let mut merged: VecDeque<Chunk> = VecDeque::with_capacity(old.len());
        for c in old {
            if let Some(last) = merged.back_mut() {
                if last.count() + c.count() <= fill.count
                    && last.buf().len() + c.buf().len() <= fill.bytes / 2
                {
                    last.append(&c);
                    continue;
                }
            }
            merged.push_back(c);
        }
        for c in merged.iter_mut() {
            c.shrink();
        }
        merged.shrink_to_fit();
        self.chunks = merged;
    }

    /// Removes the first `n` elements.
    pub fn drop_front(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(c) = self.chunks.front_mut() else {
                break;
            };
            if c.count() <= n {
                n -= c.count();
                self.chunks.pop_front();
            } else {
                let off = c.offset_of(n);
                c.remove(0, off, n);
                n = 0;
            }
        }
    }

    /// Removes the last `n` elements.
    pub fn drop_back(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(c) = self.chunks.back_mut() else {
                break;
            };
            if c.count() <= n {
                n -= c.count();
                self.chunks.pop_back();
            } else {
                let off = c.offset_of(c.count() - n);
                let end = c.buf().len();
                c.remove(off, end, n);
                n = 0;
            }
        }
    }

    /// Elements from the head.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Elements from index `i` towards the tail.
    pub fn iter_from(&self, i: usize) -> Iter<'_> {
        let (chunk, off) = self.locate(i).unwrap_or((self.chunks.len(), 0));
        Iter {
            list: self,
            chunk,
            off,
        }
    }

    /// Elements from index `i` towards the head.
    pub fn iter_rev_from(&self, i: usize) -> RevIter<'_> {
        let pos = self
            .locate(i)
            .map(|(ci, off)| (ci + 1, self.chunks[ci].at(off).1));
        let (chunk, end) = pos.unwrap_or((0, 0));
        RevIter {
            list: self,
            chunk,
            end,
        }
    }
}

/// Forward iterator over a list's elements.
pub struct Iter<'a> {
    list: &'a List,
    chunk: usize,
    off: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        let mut c = self.list.chunks.get(self.chunk)?;
        if self.off >= c.buf().len() {
            self.chunk += 1;
            self.off = 0;
            c = self.list.chunks.get(self.chunk)?;
        }
        let (e, next) = c.at(self.off);
        self.off = next;
        Some(e)
    }
}

/// Backward iterator over a list's elements. `chunk` is one past the current chunk's index.
pub struct RevIter<'a> {
    list: &'a List,
    chunk: usize,
    end: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        if self.chunk == 0 {
            return None;
        }
        let mut c = self.list.chunks.get(self.chunk - 1)?;
        if self.end == 0 {
            self.chunk -= 1;
            if self.chunk == 0 {
                return None;
            }
            c = self.list.chunks.get(self.chunk - 1)?;
            self.end = c.buf().len();
        }
        let start = c.before(self.end);
        self.end = start;
        Some(c.at(start).0)
    }
}
