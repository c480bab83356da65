//! The packed ("listpack") form: one exact-size byte buffer of `(member, score)` entries in
//! `(score, member)` order.
//!
//! An entry is a LEB128 member length, the member bytes, then the score: a LEB128 value whose
//! low bit is 0 for an integral score (the rest is the zig-zagged integer) or 1 for any other
//! score (followed by its 8 little-endian bytes). "member:12345" with a small integer score
//! costs 14-16 bytes, about what Redis's listpack spends.

use std::cmp::Ordering;

/// Orders two `(score, member)` pairs as a sorted set does (`-0` equals `0`).
pub fn cmp_item(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

/// Integral scores below this magnitude are stored as integers.
const INT_LIMIT: f64 = (1u64 << 53) as f64;

/// The packed entries.
#[derive(Clone, Default, PartialEq)]
pub struct Packed {
    data: Box<[u8]>,
    len: u32,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn get_varint(data: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = data.get(*pos) {
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    v
}

/// The score's tag value: Some(varint) for an integral score stored inline. `-0` becomes `0`
/// here, as in Redis's listpack (which stores the text "-0" as the integer 0).
fn int_form(score: f64) -> Option<u64> {
    if score.fract() == 0.0 && score.abs() < INT_LIMIT {
        let i = score as i64;
        let zz = ((i << 1) ^ (i >> 63)) as u64;
        Some(zz << 1)
    } else {
        None
    }
}

/// Bytes one entry takes.
fn entry_len(member: &[u8], score: f64) -> usize {
    let score_len = match int_form(score) {
        Some(v) => varint_len(v),
        None => 9,
    };
    varint_len(member.len() as u64) + member.len() + score_len
}

fn put_entry(out: &mut Vec<u8>, member: &[u8], score: f64) {
    put_varint(out, member.len() as u64);
    out.extend_from_slice(member);
    match int_form(score) {
        Some(v) => put_varint(out, v),
        None => {
            out.push(1);
            out.extend_from_slice(&score.to_le_bytes());
        }
    }
}

/// Decodes the entry at `pos`, advancing it.
fn get_entry<'a>(data: &'a [u8], pos: &mut usize) -> (&'a [u8], f64) {
    let n = get_varint(data, pos) as usize;
    let end = (*pos + n).min(data.len());
    let member = &data[*pos..end];
    *pos = end;
    let tag = get_varint(data, pos);
    let score = if tag & 1 == 0 {
        let zz = tag >> 1;
        ((zz >> 1) as i64 ^ -((zz & 1) as i64)) as f64
    } else {
        let mut b = [0u8; 8];
        if let Some(src) = data.get(*pos..*pos + 8) {
            b.copy_from_slice(src);
        }
        *pos += 8;
        f64::from_le_bytes(b)
    };
    (member, score)
}

/// Iterates entries in order.
pub struct Iter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        (self.pos < self.data.len()).then(|| get_entry(self.data, &mut self.pos))
    }
}

impl Packed {
    /// Builds from entries already in order.
    pub fn from_sorted<'a>(items: impl Iterator<Item = (&'a [u8], f64)> + Clone) -> Packed {
        let size: usize = items.clone().map(|(m, s)| entry_len(m, s)).sum();
        let mut out = Vec::with_capacity(size);
        let mut len = 0u32;
        for (m, s) in items {
            put_entry(&mut out, m, s);
            len += 1;
        }
        Packed {
            data: out.into_boxed_slice(),
            len,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            data: &self.data,
            pos: 0,
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Finds `member`: (byte offset of its entry, score, rank).
    fn find(&self, member: &[u8]) -> Option<(usize, f64, usize)> {
        let mut pos = 0;
        let mut rank = 0;
        while pos < self.data.len() {
            let start = pos;
            let (m, s) = get_entry(&self.data, &mut pos);
            if m == member {
                return Some((start, s, rank));
            }
            rank += 1;
        }
        None
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, s, _)| s)
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        self.find(member).map(|(_, _, r)| r)
    }

    /// Replaces the bytes `start..end` with `insert` (one exact-size reallocation).
    fn splice(&mut self, start: usize, end: usize, insert: &[u8]) {
        let mut out = Vec::with_capacity(self.data.len() - (end - start) + insert.len());
        out.extend_from_slice(&self.data[..start]);
        out.extend_from_slice(insert);
        out.extend_from_slice(&self.data[end..]);
        self.data = out.into_boxed_slice();
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (start, score, _) = self.find(member)?;
        let mut end = start;
        get_entry(&self.data, &mut end);
        self.splice(start, end, &[]);
        self.len -= 1;
        Some(score)
    }

    /// Inserts `member` (which must be absent) at its place in the order.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let mut pos = 0;
        while pos < self.data.len() {
            let mut next = pos;
            let (m, s) = get_entry(&self.data, &mut next);
            if cmp_item(s, m, score, member) == Ordering::Greater {
                break;
            }
            pos = next;
        }
        let mut entry = Vec::with_capacity(entry_len(member, score));
        put_entry(&mut entry, member, score);
        self.splice(pos, pos, &entry);
        self.len += 1;
    }

    /// Removes the entries of ranks `start..end`.
    pub fn remove_ranks(&mut self, start: usize, end: usize) {
        let mut pos = 0;
        let mut from = 0;
        for rank in 0..end.min(self.len()) {
            if rank == start {
                from = pos;
            }
            get_entry(&self.data, &mut pos);
        }
        if start < end.min(self.len()) {
            self.splice(from, pos, &[]);
            self.len -= (end.min(self.len()) - start) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_and_scores_round_trip() {
        let mut p = Packed::default();
        let scores = [
            3.0,
            -0.0,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -7.0,
            1e300,
            9007199254740993.0,
            0.0,
        ];
        for (i, s) in scores.iter().enumerate() {
            p.insert(format!("m{i}").as_bytes(), *s);
        }
        assert_eq!(p.len(), scores.len());
        let got: Vec<f64> = p.iter().map(|(_, s)| s).collect();
        let mut want = scores.to_vec();
        want.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(got.len(), want.len());
        assert!(got.windows(2).all(|w| w[0] <= w[1]));
        assert!(p.score(b"m1").unwrap().is_sign_positive());
        assert_eq!(p.score(b"m2"), Some(1.5));
        assert_eq!(p.rank(b"m4"), Some(0));
        assert_eq!(p.remove(b"m4"), Some(f64::NEG_INFINITY));
        assert_eq!(p.remove(b"m4"), None);
        assert_eq!(p.len(), scores.len() - 1);
        p.remove_ranks(0, 2);
        assert_eq!(p.len(), scores.len() - 3);
        assert_eq!(p.iter().count(), p.len());
        assert_eq!(p.bytes(), p.data.len());
    }

    #[test]
    fn compact_entries() {
        let p = Packed::from_sorted([(&b"member:12345"[..], 7.0)].into_iter());
        assert_eq!(p.bytes(), 14);
    }
}
