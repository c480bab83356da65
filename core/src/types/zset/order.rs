//! `Order`: the `(score, member)` order of a large sorted set with O(log n) rank and by-rank
//! access.
//!
//! Entries live in sorted chunks of at most `CHUNK` entries (a two-level sorted list); a
//! Fenwick tree over the chunk lengths gives the rank of a chunk's first entry and finds the
//! chunk holding a rank in O(log n). Inserting or removing inside a chunk moves at most
//! `CHUNK` entries and updates the Fenwick tree in O(log n); splitting or dropping a chunk
//! rebuilds it in O(n / CHUNK), which happens once every ~CHUNK/2 changes. Compared with a
//! skiplist this spends no per-entry pointers: an entry is its score and member (32 bytes
//! for members of up to 22 bytes) plus the chunk's spare capacity.

use std::cmp::Ordering;

use super::packed::cmp_item;
use crate::util::small_bytes::SmallBytes;

/// Largest chunk before it splits in two.
const CHUNK: usize = 128;

/// One entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The score.
    pub score: f64,
    /// The member.
    pub member: SmallBytes,
}

/// The sorted entries.
#[derive(Clone, Debug, Default)]
pub struct Order {
    chunks: Vec<Vec<Item>>,
    /// Fenwick tree over chunk lengths (1-based positions stored at index i-1).
    tree: Vec<usize>,
    len: usize,
}

impl Order {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    fn rebuild(&mut self) {
        let n = self.chunks.len();
        self.tree.clear();
        self.tree.extend(self.chunks.iter().map(Vec::len));
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                self.tree[parent - 1] += self.tree[i - 1];
            }
        }
    }

    fn add(&mut self, chunk: usize, delta: isize) {
        let mut i = chunk + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] = self.tree[i - 1].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Entries in chunks before `chunk`.
    fn prefix(&self, chunk: usize) -> usize {
        let mut i = chunk;
        let mut sum = 0;
        while i > 0 {
            sum += self.tree[i - 1];
            i -= i & i.wrapping_neg();
        }
        sum
    }

    /// The chunk and offset of rank `rank` (< len).
    fn locate(&self, mut rank: usize) -> (usize, usize) {
        let n = self.tree.len();
        let mut pos = 0;
        let mut step = n.checked_next_power_of_two().unwrap_or(0);
        if step > n {
            step /= 2;
        }
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next - 1] <= rank {
                rank -= self.tree[next - 1];
                pos = next;
            }
            step /= 2;
        }
        (pos, rank)
    }

    /// The entry at `rank`.
    pub fn get(&self, rank: usize) -> Option<&Item> {
        if rank >= self.len {
            return None;
        }
        let (c, off) = self.locate(rank);
        self.chunks.get(c)?.get(off)
    }

    /// How many leading entries satisfy `pred`, which must hold for a prefix of the order.
    pub fn count_while(&self, pred: impl Fn(&Item) -> bool) -> usize {
        let c = self
            .chunks
            .partition_point(|ch| ch.last().is_some_and(&pred));
        match self.chunks.get(c) {
            Some(ch) => self.prefix(c) + ch.partition_point(&pred),
            None => self.len,
        }
    }

    /// The chunk where `(score, member)` belongs and its place there (Ok if present).
    fn seek(&self, score: f64, member: &[u8]) -> (usize, Result<usize, usize>) {
        let before = |it: &Item| cmp_item(it.score, &it.member, score, member) == Ordering::Less;
        let c = self
            .chunks
            .partition_point(|ch| ch.last().is_some_and(before))
            .min(self.chunks.len().saturating_sub(1));
        let found = match self.chunks.get(c) {
            Some(ch) => ch.binary_search_by(|it| cmp_item(it.score, &it.member, score, member)),
            None => Err(0),
        };
        (c, found)
    }

    /// The rank of `(score, member)` if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let (c, found) = self.seek(score, member);
        found.ok().map(|off| self.prefix(c) + off)
    }

    /// Inserts an entry (which must be absent).
    pub fn insert(&mut self, item: Item) {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::with_capacity(4));
            self.tree.push(0);
        }
        let (c, found) = self.seek(item.score, &item.member);
        let off = found.unwrap_or_else(|e| e);
        let chunk = &mut self.chunks[c];
        chunk.insert(off, item);
        self.len += 1;
        if chunk.len() > CHUNK {
            let tail = chunk.split_off(CHUNK / 2);
            chunk.shrink_to(CHUNK);
            self.chunks.insert(c + 1, tail);
            self.rebuild();
        } else {
            self.add(c, 1);
        }
    }

    /// Removes `(score, member)`; false if absent.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let (c, found) = self.seek(score, member);
        let Ok(off) = found else { return false };
        let chunk = &mut self.chunks[c];
        chunk.remove(off);
        self.len -= 1;
        if chunk.is_empty() {
            self.chunks.remove(c);
            self.rebuild();
        } else {
            self.add(c, -1);
        }
        true
    }

    /// Removes the entries of ranks `start..end`, returning them in order.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> Vec<Item> {
        let end = end.min(self.len);
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        if start >= end {
            return out;
        }
        let (mut c, mut off) = self.locate(start);
        let mut left = end - start;
        let mut emptied = false;
        while left > 0 && c < self.chunks.len() {
            let chunk = &mut self.chunks[c];
            let take = (chunk.len() - off).min(left);
            out.extend(chunk.drain(off..off + take));
            emptied |= chunk.is_empty();
            // Fenwick deltas are cheap; only a dropped chunk needs the O(chunks) rebuild.
            self.add(c, -(take as isize));
            left -= take;
            off = 0;
            c += 1;
        }
        self.len -= out.len();
        if emptied {
            self.chunks.retain(|ch| !ch.is_empty());
            self.rebuild();
        }
        out
    }

    /// Entries of ranks `start..end`, ascending.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &Item> + Clone {
        let end = end.min(self.len);
        let (c, off) = if start < end {
            self.locate(start)
        } else {
            (self.chunks.len(), 0)
        };
        self.chunks[c.min(self.chunks.len())..]
            .iter()
            .flatten()
            .skip(off)
            .take(end.saturating_sub(start))
    }

    /// Entries of ranks `start..end`, descending (from `end - 1` down to `start`).
    pub fn range_rev(&self, start: usize, end: usize) -> impl Iterator<Item = &Item> {
        let end = end.min(self.len);
        let (c, skip) = if start < end {
            let (c, off) = self.locate(end - 1);
            (c + 1, self.chunks[c].len() - 1 - off)
        } else {
            (0, 0)
        };
        self.chunks[..c]
            .iter()
            .rev()
            .flat_map(|ch| ch.iter().rev())
            .skip(skip)
            .take(end.saturating_sub(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(score: f64, m: &str) -> Item {
        Item {
            score,
            member: SmallBytes::new(m.as_bytes()),
        }
    }

    #[test]
    fn randomized_against_sorted_vec() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut order = Order::default();
        let mut model: Vec<(f64, String)> = Vec::new();
        for step in 0..20_000 {
            let m = format!("m{}", rng.u32(0..3000));
            let s = f64::from(rng.i32(-50..50));
            let pos = model.iter().position(|(_, mm)| *mm == m);
            match rng.u8(0..10) {
                0..=5 => {
                    if let Some(p) = pos {
                        let (old, _) = model.remove(p);
                        assert!(order.remove(old, m.as_bytes()));
                    }
                    order.insert(item(s, &m));
                    model.push((s, m));
                    model.sort_by(|a, b| cmp_item(a.0, a.1.as_bytes(), b.0, b.1.as_bytes()));
                }
                6..=7 => {
                    if let Some(p) = pos {
                        let (old, _) = model.remove(p);
                        assert!(order.remove(old, m.as_bytes()));
                    } else {
                        assert!(!order.remove(s, m.as_bytes()));
                    }
                }
                8 => {
                    let a = rng.usize(0..=model.len());
                    let b = rng.usize(a..=model.len()).min(a + 40);
                    let got = order.remove_ranks(a, b);
                    let want: Vec<_> = model.drain(a..b).collect();
                    assert_eq!(got.len(), want.len());
                }
                _ => {
                    let split = rng.i32(-60..60) as f64;
                    let want = model.iter().take_while(|(s, _)| *s < split).count();
                    assert_eq!(order.count_while(|it| it.score < split), want);
                }
            }
            assert_eq!(order.len(), model.len());
            if step % 97 == 0 || model.len() < 5 {
                let all: Vec<_> = order.range(0, usize::MAX).collect();
                assert_eq!(all.len(), model.len());
                for (i, (it, (s, m))) in all.iter().zip(&model).enumerate() {
                    assert_eq!((it.score, it.member.as_slice()), (*s, m.as_bytes()));
                    assert_eq!(order.get(i).map(|x| x.score), Some(*s));
                    assert_eq!(order.rank(*s, m.as_bytes()), Some(i));
                }
                if !model.is_empty() {
                    let a = rng.usize(0..model.len());
                    let b = rng.usize(a..=model.len());
                    let rev: Vec<_> = order.range_rev(a, b).map(|it| it.score).collect();
                    let want: Vec<_> = model[a..b].iter().rev().map(|x| x.0).collect();
                    assert_eq!(rev, want);
                    let fwd: Vec<_> = order.range(a, b).map(|it| it.score).collect();
                    let want: Vec<_> = model[a..b].iter().map(|x| x.0).collect();
                    assert_eq!(fwd, want);
                }
            }
        }
    }
}
