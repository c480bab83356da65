//! A chunk: one byte buffer of packed entries (see `entry`), the unit a list is made of (Redis's
//! quicklist node with its listpack). Entries can be walked from either end.

use super::entry::{decode, start_before, Elem, Encoded};

/// How full a chunk may get, from `list-max-listpack-size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Most entries in one chunk.
    pub count: usize,
    /// Most bytes in one chunk (an entry bigger than this gets a chunk of its own).
    pub bytes: usize,
}

impl Fill {
    /// The limits for a `list-max-listpack-size` value: -1..-5 cap bytes at 4..64 KiB (lower
    /// values act as -5), a positive value caps the entry count, and then an 8 KiB safety limit
    /// still applies, as in Redis's quicklist.
    pub fn from_config(v: i64) -> Self {
        if v < 0 {
            let level = (v.unsigned_abs().min(5) - 1) as u32;
            Fill {
                count: usize::MAX,
                bytes: 4096 << level,
            }
        } else {
            Fill {
                count: (v as u64).min(usize::MAX as u64) as usize,
                bytes: 8192,
            }
        }
    }
}

/// One chunk of a list. The entries sit at the end of `buf`, after a gap of `start` bytes: a
/// chunk at the head of its list takes LPUSHes into the gap and LPOPs by moving `start`, so
/// neither shifts the other entries. Inner chunks have no gap.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    buf: Vec<u8>,
    start: u32,
    count: u32,
}

impl Chunk {
    /// An empty chunk with room for `bytes` of entries: a long list's new end chunk is sized
    /// for the fill limit at once, so filling it never reallocates (each reallocation would
    /// leave allocator garbage behind, which is what a long list's memory is made of).
    pub fn with_capacity(bytes: usize) -> Self {
        Chunk {
            buf: Vec::with_capacity(bytes),
            start: 0,
            count: 0,
        }
    }

    /// Number of entries.
    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// The packed entries.
    pub fn buf(&self) -> &[u8] {
        &self.buf[self.start as usize..]
    }

    /// Whether an entry of `n` encoded bytes may still be added without passing `fill`.
    pub fn has_room(&self, n: usize, fill: Fill) -> bool {
        self.count == 0 || (self.count() < fill.count && self.buf().len() + n <= fill.bytes)
    }

    /// Inserts `e` at byte offset `off` (an entry boundary). The buffer grows by an eighth at a
    /// time (amortised O(1) pushes with at most ~12% slack, much of it absorbed by the
    /// allocator's size classes), never past `grow_cap`, so a full chunk wastes nothing.
    pub fn insert(&mut self, off: usize, e: &Encoded, grow_cap: usize) {
        let n = e.len();
        if off == 0 {
            return self.insert_front(e, grow_cap);
        }
        let off = self.start as usize + off;
        let len = self.buf.len();
        if self.buf.capacity() < len + n {
            let want = (len + len / 8 + n).min(grow_cap).max(len + n);
            self.buf.reserve_exact(want - len);
        }
        self.buf.resize(len + n, 0);
        self.buf.copy_within(off..len, off + n);
        e.write(&mut self.buf[off..off + n]);
        self.count += 1;
    }

    /// Inserts `e` before every entry: into the gap, after widening it (to an eighth of the
    /// entries, within `grow_cap`) when it is too narrow.
    fn insert_front(&mut self, e: &Encoded, grow_cap: usize) {
        let n = e.len();
        if self.count == 0 && self.buf.capacity() >= n && self.buf.capacity() <= u32::MAX as usize {
            // A chunk made with room for the fill limit: fill it from the back, as a gap.
            let cap = self.buf.capacity();
            self.buf.clear();
            self.buf.resize(cap, 0);
            self.start = cap as u32;
        }
        if (self.start as usize) < n {
            let len = self.buf().len();
            let gap = (len / 8).max(16).min(grow_cap.saturating_sub(len)).max(n);
            let mut grown = Vec::with_capacity(gap + len);
            grown.resize(gap, 0);
            grown.extend_from_slice(self.buf());
            self.buf = grown;
            self.start = gap as u32;
        }
        let at = self.start as usize - n;
        e.write(&mut self.buf[at..at + n]);
        self.start = at as u32;
        self.count += 1;
    }

    /// Replaces the entry spanning `off..end` with `e`.
    pub fn replace(&mut self, off: usize, end: usize, e: &Encoded) {
        let (off, end) = (off + self.start as usize, end + self.start as usize);
        let n = e.len();
        let old = end - off;
        if n > old {
            self.buf.reserve_exact(n - old);
        }
        let mut tmp = [0u8; 32];
        if n <= tmp.len() {
            e.write(&mut tmp[..n]);
            self.buf.splice(off..end, tmp[..n].iter().copied());
        } else {
            let mut v = vec![0u8; n];
            e.write(&mut v);
            self.buf.splice(off..end, v);
        }
    }

    /// Removes the `n` entries spanning bytes `from..to`; removing from the front only moves
    /// the gap.
    pub fn remove(&mut self, from: usize, to: usize, n: usize) {
        self.count -= n as u32;
        if self.count == 0 {
            self.buf.clear();
            self.start = 0;
        } else if from == 0 {
            self.start += to as u32;
        } else if to == self.buf().len() {
            self.buf.truncate(self.start as usize + from);
        } else {
            let s = self.start as usize;
            self.buf.drain(s + from..s + to);
        }
    }

    /// Removes the given entry spans (ascending, disjoint) in one pass.
    pub fn remove_spans(&mut self, spans: &[(usize, usize)]) {
        let s = self.start as usize;
        let mut w = match spans.first() {
            Some(&(first, _)) => s + first,
            None => return,
        };
        for (i, &(_, end)) in spans.iter().enumerate() {
            let next = spans.get(i + 1).map_or(self.buf.len(), |&(n, _)| s + n);
            self.buf.copy_within(s + end..next, w);
            w += next - (s + end);
        }
        self.buf.truncate(w);
        self.count -= spans.len() as u32;
    }

    /// The entry at byte offset `off` and the offset just past it.
    pub fn at(&self, off: usize) -> (Elem<'_>, usize) {
        decode(self.buf(), off)
    }

    /// The offset where the entry ending at `end` starts.
    pub fn before(&self, end: usize) -> usize {
        start_before(self.buf(), end)
    }

    /// Byte offset of entry `i` (`count()` gives the end), walking from the nearer end.
    pub fn offset_of(&self, i: usize) -> usize {
        if i <= self.count() / 2 {
            let mut off = 0;
            for _ in 0..i {
                off = self.at(off).1;
            }
            off
        } else {
            let mut off = self.buf().len();
            for _ in i..self.count() {
                off = self.before(off);
            }
            off
        }
    }

    /// Moves the entries from byte `off` on (`moved` of them) into a new chunk.
    pub fn split_off(&mut self, off: usize, moved: usize) -> Chunk {
        let at = self.start as usize + off;
        let tail = self.buf[at..].to_vec();
        self.buf.truncate(at);
        self.count -= moved as u32;
        self.shrink();
        Chunk {
            buf: tail,
            start: 0,
            count: moved as u32,
        }
    }

    /// Appends all of `other`'s entries.
    pub fn append(&mut self, other: &Chunk) {
        // Amortised growth: a merge may append many small chunks in a row (shrunk afterwards).
        self.buf.extend_from_slice(other.buf());
        self.count += other.count;
    }

    /// Gives back unused buffer space, gap included (once a chunk is no longer at an end of
    /// its list, or a small list is trimmed to size).
    pub fn shrink(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start as usize);
            self.start = 0;
        }
        self.buf.shrink_to_fit();
    }

    /// Bytes allocated but not holding entries (the gap and the spare capacity).
    pub fn slack(&self) -> usize {
        self.buf.capacity() - self.buf().len()
    }

    /// Bytes of heap the chunk holds.
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_of(items: &[&[u8]]) -> Chunk {
        let mut c = Chunk::default();
        for it in items {
            let off = c.buf().len();
            c.insert(off, &Encoded::new(it), 8192);
        }
        c
    }

    fn items(c: &Chunk) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut off = 0;
        while off < c.buf().len() {
            let (e, next) = c.at(off);
            out.push(e.to_vec());
            off = next;
        }
        out
    }

    #[test]
    fn offsets_from_both_ends_agree() {
        let c = chunk_of(&[b"a", b"12", b"hello", b"-5", b"x"]);
        let mut off = 0;
        for i in 0..=5 {
            assert_eq!(c.offset_of(i), off);
            if i < 5 {
                off = c.at(off).1;
            }
        }
    }

    #[test]
    fn spans_and_splits() {
        let mut c = chunk_of(&[b"a", b"b", b"c", b"d", b"e"]);
        let s1 = (c.offset_of(1), c.offset_of(2));
        let s3 = (c.offset_of(3), c.offset_of(4));
        c.remove_spans(&[s1, s3]);
        assert_eq!(items(&c), vec![b"a".to_vec(), b"c".to_vec(), b"e".to_vec()]);
        let off = c.offset_of(1);
        let tail = c.split_off(off, 2);
        assert_eq!(c.count(), 1);
        assert_eq!(items(&tail), vec![b"c".to_vec(), b"e".to_vec()]);
        let (_, end) = c.at(0);
        c.replace(0, end, &Encoded::new(b"longer value"));
        assert_eq!(items(&c), vec![b"longer value".to_vec()]);
    }

    #[test]
    fn fill_levels() {
        assert_eq!(Fill::from_config(-2).bytes, 8192);
        assert_eq!(Fill::from_config(-9).bytes, 65536);
        assert_eq!(Fill::from_config(-1).bytes, 4096);
        assert_eq!(Fill::from_config(5).count, 5);
    }
}
