//! The packed ("listpack") form: one exact-size byte buffer of `(member, score)` entries in
//! `(score, member)` order.
//!
//! An entry is a LEB128 member length, the member bytes, then the score: one byte for an
//! integer 0..=191, else a tag byte and a zig-zag LEB128 integer (other integral scores below
//! 2^53) or the 8 little-endian bytes of the f64. "member:12345" with a small integer score
//! costs 14 bytes, where Redis's listpack spends 16.

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

/// The packed entries: a LEB128 entry count, then the entries (empty when there are none).
/// The count lives in the buffer so that `ZSet` stays two words.
#[derive(Clone, Default, PartialEq)]
pub struct Packed {
    data: Box<[u8]>,
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

/// First score bytes below this are the score itself (0..=191, one byte in all).
const SMALL: u8 = 0xC0;
/// Tag: an 8-byte little-endian f64 follows.
const FLOAT: u8 = 0xC0;
/// Tag: a zig-zag LEB128 integer follows.
const INT: u8 = 0xC1;

/// The integer an integral score is stored as. `-0` becomes `0` here, as in Redis's listpack
/// (which stores the text "-0" as the integer 0).
fn int_form(score: f64) -> Option<i64> {
    (score.fract() == 0.0 && score.abs() < INT_LIMIT).then_some(score as i64)
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

/// Bytes one entry takes.
fn entry_len(member: &[u8], score: f64) -> usize {
    let score_len = match int_form(score) {
        Some(i) if (0..i64::from(SMALL)).contains(&i) => 1,
        Some(i) => 1 + varint_len(zigzag(i)),
        None => 9,
    };
    varint_len(member.len() as u64) + member.len() + score_len
}

fn put_entry(out: &mut Vec<u8>, member: &[u8], score: f64) {
    put_varint(out, member.len() as u64);
    out.extend_from_slice(member);
    match int_form(score) {
        Some(i) if (0..i64::from(SMALL)).contains(&i) => out.push(i as u8),
        Some(i) => {
            out.push(INT);
            put_varint(out, zigzag(i));
        }
        None => {
            out.push(FLOAT);
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
    let tag = data.get(*pos).copied().unwrap_or(0);
    *pos += 1;
    let score = match tag {
        t if t < SMALL => f64::from(t),
        INT => {
            let zz = get_varint(data, pos);
            ((zz >> 1) as i64 ^ -((zz & 1) as i64)) as f64
        }
        _ => {
            let mut b = [0u8; 8];
            if let Some(src) = data.get(*pos..*pos + 8) {
                b.copy_from_slice(src);
            }
            *pos += 8;
            f64::from_le_bytes(b)
        }
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
        let count = items.clone().count();
        let size: usize = items.clone().map(|(m, s)| entry_len(m, s)).sum();
        let mut out = Vec::with_capacity(varint_len(count as u64) + size);
        if count > 0 {
            put_varint(&mut out, count as u64);
        }
        for (m, s) in items {
            put_entry(&mut out, m, s);
        }
        Packed {
            data: out.into_boxed_slice(),
        }
    }

    /// (entry count, bytes of the count header).
    fn header(&self) -> (usize, usize) {
        let mut pos = 0;
        let n = get_varint(&self.data, &mut pos);
        (n as usize, pos)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.header().0
    }

    /// Entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            data: &self.data,
            pos: self.header().1,
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Finds `member`: (byte offset of its entry, score, rank).
    fn find(&self, member: &[u8]) -> Option<(usize, f64, usize)> {
        let mut pos = self.header().1;
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

    /// Replaces the entry bytes `start..end` with `insert`, leaving `count` entries, in one
    /// exact-size reallocation.
    fn splice(&mut self, start: usize, end: usize, insert: &[u8], count: usize) {
        if count == 0 {
            self.data = Box::default();
            return;
        }
        let hlen = self.header().1;
        let body = self.data.len() - hlen - (end - start) + insert.len();
        let mut out = Vec::with_capacity(varint_len(count as u64) + body);
        put_varint(&mut out, count as u64);
        out.extend_from_slice(&self.data[hlen.min(start)..start]);
        out.extend_from_slice(insert);
        out.extend_from_slice(&self.data[end..]);
        self.data = out.into_boxed_slice();
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (start, score, _) = self.find(member)?;
        let mut end = start;
        get_entry(&self.data, &mut end);
        self.splice(start, end, &[], self.len() - 1);
        Some(score)
    }

    /// Inserts `member` (which must be absent) at its place in the order.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let (count, mut pos) = self.header();
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
        self.splice(pos, pos, &entry, count + 1);
    }

    /// Removes the entries of ranks `start..end`.
    pub fn remove_ranks(&mut self, start: usize, end: usize) {
        let (count, mut pos) = self.header();
        let end = end.min(count);
        if start >= end {
            return;
        }
        let mut from = pos;
        for rank in 0..end {
            if rank == start {
                from = pos;
            }
            get_entry(&self.data, &mut pos);
        }
        self.splice(from, pos, &[], count - (end - start));
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
            191.0,
            192.0,
            -1e15,
            0.25,
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
        assert_eq!(p.bytes(), 15);
    }
}
