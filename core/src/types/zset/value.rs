//! The `ZSet` value: packed ("listpack") while small, member table plus `Order` ("skiplist")
//! when large, converting when Redis 7.0 does.

use super::order::{Item, Order};
use super::packed::Packed;
use crate::keyspace::table::{KeyTable, Keyed};
use crate::keyspace::KeyHasher;
use crate::util::digest::{mix_digest, xor_digest, Digest};
use crate::util::small_bytes::SmallBytes;

/// zset-max-listpack-entries / -value, read once per command.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most entries the packed form holds.
    pub entries: usize,
    /// Longest member the packed form holds.
    pub value: usize,
}

/// A member and its score, as the large form's member table holds them.
#[derive(Clone)]
pub struct Scored {
    /// The member.
    pub member: SmallBytes,
    /// Its score.
    pub score: f64,
}

impl Keyed for Scored {
    fn key(&self) -> &[u8] {
        &self.member
    }
}

/// The large form: member → score (positional, for ZSCAN) and the sorted order.
#[derive(Clone)]
pub struct Sorted {
    /// Members by position (append on insert, swap_remove on delete).
    pub members: KeyTable<Scored>,
    /// The `(score, member)` order.
    pub order: Order,
}

/// A sorted-set value.
#[derive(Clone)]
pub enum ZSet {
    /// Small: one packed buffer.
    Packed(Packed),
    /// Large: hash table plus order-statistics index.
    Sorted(Box<Sorted>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Packed(Packed::default())
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        self.for_range(0, self.len(), false, |m, s| {
            l.entry(&(String::from_utf8_lossy(m), s));
        });
        l.finish()
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let mut a = Vec::with_capacity(self.len());
        self.for_range(0, self.len(), false, |m, s| a.push((m.to_vec(), s)));
        let mut i = 0;
        let mut eq = true;
        other.for_range(0, other.len(), false, |m, s| {
            eq &= a.get(i).is_some_and(|(am, as_)| am == m && *as_ == s);
            i += 1;
        });
        eq
    }
}

impl Sorted {
    fn new() -> Sorted {
        Sorted {
            members: KeyTable::with_hasher(KeyHasher::default()),
            order: Order::default(),
        }
    }

    fn insert(&mut self, member: &[u8], score: f64) {
        let member = SmallBytes::new(member);
        self.order.insert(Item {
            score,
            member: member.clone(),
        });
        self.members.insert(Scored { member, score });
    }
}

impl ZSet {
    /// An empty set in the form ZADD creates for a first member of `first_len` bytes.
    pub fn new_for(first_len: usize, limits: Limits) -> ZSet {
        if limits.entries == 0 || first_len > limits.value {
            ZSet::Sorted(Box::new(Sorted::new()))
        } else {
            ZSet::default()
        }
    }

    /// An empty set in the large form.
    pub fn new_sorted() -> ZSet {
        ZSet::Sorted(Box::new(Sorted::new()))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Packed(p) => p.len(),
            ZSet::Sorted(s) => s.order.len(),
        }
    }

    /// Whether there are no elements (an empty collection is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Packed(_) => "listpack",
            ZSet::Sorted(_) => "skiplist",
        }
    }

    /// Mixes the elements into `d` as Redis's xorObjectDigest does: per member a digest of
    /// the member then its `%.17g` score, xored together.
    pub fn digest(&self, d: &mut Digest) {
        self.for_range(0, self.len(), false, |m, s| {
            let mut ele: Digest = [0; 20];
            mix_digest(&mut ele, m);
            mix_digest(&mut ele, crate::util::num::format_double(s).as_bytes());
            xor_digest(d, &ele);
        });
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Packed(p) => p.score(member),
            ZSet::Sorted(s) => s.members.get(member).map(|e| e.score),
        }
    }

    /// The ascending 0-based rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Packed(p) => p.rank(member),
            ZSet::Sorted(s) => {
                let score = s.members.get(member)?.score;
                s.order.rank(score, member)
            }
        }
    }

    /// How many leading elements satisfy `pred(score, member)`, which must hold for a prefix.
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Packed(p) => p.iter().take_while(|(m, s)| pred(*s, m)).count(),
            ZSet::Sorted(s) => s.order.count_while(|it| pred(it.score, &it.member)),
        }
    }

    /// Calls `f` on the elements of ranks `start..end`, ascending or (`rev`) descending.
    pub fn for_range<'s>(
        &'s self,
        start: usize,
        end: usize,
        rev: bool,
        mut f: impl FnMut(&'s [u8], f64),
    ) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        match self {
            ZSet::Packed(p) => {
                let it = p.iter().skip(start).take(end - start);
                if rev {
                    let all: Vec<_> = it.collect();
                    all.into_iter().rev().for_each(|(m, s)| f(m, s));
                } else {
                    it.for_each(|(m, s)| f(m, s));
                }
            }
            ZSet::Sorted(s) => {
                if rev {
                    s.order
                        .range_rev(start, end)
                        .for_each(|it| f(&it.member, it.score));
                } else {
                    s.order
                        .range(start, end)
                        .for_each(|it| f(&it.member, it.score));
                }
            }
        }
    }

    /// Calls `f` on the elements whose score lies in `min..max` (min included, max excluded),
    /// ascending, until `f` returns false. The large form seeks the first one in O(log n) and
    /// walks the order in place (geo's box scans), so nothing is copied.
    pub fn for_score_range(&self, min: f64, max: f64, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            ZSet::Packed(p) => {
                for (m, s) in p.iter().skip_while(|&(_, s)| s < min) {
                    if s >= max || !f(m, s) {
                        return;
                    }
                }
            }
            ZSet::Sorted(s) => {
                let lo = s.order.count_while(|it| it.score < min);
                for it in s.order.range(lo, usize::MAX) {
                    if it.score >= max || !f(&it.member, it.score) {
                        return;
                    }
                }
            }
        }
    }

    /// The element at ascending rank `rank`.
    pub fn at(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Packed(p) => p.iter().nth(rank),
            ZSet::Sorted(s) => s.order.get(rank).map(|it| (&it.member[..], it.score)),
        }
    }

    /// Switches to the large form.
    pub fn convert_to_sorted(&mut self) {
        if let ZSet::Packed(p) = self {
            let mut sorted = Sorted::new();
            for (m, s) in p.iter() {
                sorted.insert(m, s);
            }
            *self = ZSet::Sorted(Box::new(sorted));
        }
    }

    /// Switches to the packed form (the *STORE commands' "convert back if it fits").
    pub fn convert_to_packed(&mut self) {
        if let ZSet::Sorted(s) = self {
            let packed = Packed::from_sorted(
                s.order
                    .range(0, usize::MAX)
                    .map(|it| (&it.member[..], it.score)),
            );
            *self = ZSet::Packed(packed);
        }
    }

    /// Adds `member`, which must be absent, converting to the large form first when the
    /// packed form would outgrow `limits` (as Redis checks before inserting).
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) {
        if let ZSet::Packed(p) = self {
            if p.len() + 1 > limits.entries || member.len() > limits.value {
                self.convert_to_sorted();
            }
        }
        match self {
            ZSet::Packed(p) => p.insert(member, score),
            ZSet::Sorted(s) => s.insert(member, score),
        }
    }

    /// Changes the score of a present `member` from `old` to `new`.
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Packed(p) => {
                p.remove(member);
                p.insert(member, new);
            }
            ZSet::Sorted(s) => {
                if let Some(e) = s.members.get_mut(member) {
                    e.score = new;
                }
                s.order.remove(old, member);
                s.order.insert(Item {
                    score: new,
                    member: SmallBytes::new(member),
                });
            }
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Packed(p) => p.remove(member),
            ZSet::Sorted(s) => {
                let e = s.members.swap_remove(member)?;
                s.order.remove(e.score, member);
                Some(e.score)
            }
        }
    }

    /// Removes the elements of ranks `start..end`, passing each (ascending) to `f` first.
    pub fn remove_ranks(&mut self, start: usize, end: usize, mut f: impl FnMut(&[u8], f64)) {
        match self {
            ZSet::Packed(p) => {
                p.iter()
                    .skip(start)
                    .take(end.saturating_sub(start))
                    .for_each(|(m, s)| f(m, s));
                p.remove_ranks(start, end);
            }
            ZSet::Sorted(s) => {
                for it in s.order.remove_ranks(start, end) {
                    s.members.swap_remove(&it.member);
                    f(&it.member, it.score);
                }
            }
        }
    }

    /// Builds a set from distinct `(member, score)` pairs in any order, in the form a *STORE
    /// command leaves: packed if it fits `limits`, else large.
    pub fn from_pairs(mut pairs: Vec<(SmallBytes, f64)>, limits: Limits) -> ZSet {
        pairs.sort_by(|a, b| super::packed::cmp_item(a.1, &a.0, b.1, &b.0));
        let fits = pairs.len() <= limits.entries && pairs.iter().all(|p| p.0.len() <= limits.value);
        if fits {
            ZSet::Packed(Packed::from_sorted(pairs.iter().map(|(m, s)| (&m[..], *s))))
        } else {
            let mut sorted = Sorted::new();
            for (m, s) in pairs {
                sorted.order.insert(Item {
                    score: s,
                    member: m.clone(),
                });
                sorted.members.insert(Scored {
                    member: m,
                    score: s,
                });
            }
            ZSet::Sorted(Box::new(sorted))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        entries: 4,
        value: 8,
    };

    #[test]
    fn converts_past_the_limits_and_keeps_order() {
        let mut z = ZSet::new_for(1, LIMITS);
        for (i, m) in ["d", "c", "b", "a"].iter().enumerate() {
            z.insert(m.as_bytes(), i as f64, LIMITS);
        }
        assert_eq!(z.encoding(), "listpack");
        let before = z.clone();
        z.insert(b"e", 0.5, LIMITS);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.rank(b"e"), Some(1));
        assert_eq!(z.remove(b"e"), Some(0.5));
        assert_eq!(z, before);
        z.update(b"d", 0.0, 10.0);
        assert_eq!(z.at(3), Some((&b"d"[..], 10.0)));
        let mut long = ZSet::new_for(1, LIMITS);
        long.insert(b"123456789", 1.0, LIMITS);
        assert_eq!(long.encoding(), "skiplist");
        assert_eq!(ZSet::new_for(9, LIMITS).encoding(), "skiplist");
    }

    #[test]
    fn remove_ranks_and_from_pairs() {
        for limits in [
            LIMITS,
            Limits {
                entries: 0,
                value: 0,
            },
        ] {
            let pairs = (0..6)
                .map(|i| {
                    (
                        SmallBytes::new(format!("m{i}").as_bytes()),
                        f64::from(5 - i),
                    )
                })
                .collect();
            let mut z = ZSet::from_pairs(pairs, limits);
            assert_eq!(z.encoding(), "skiplist");
            let mut got = Vec::new();
            z.remove_ranks(1, 3, |m, _| got.push(m.to_vec()));
            assert_eq!(got, vec![b"m4".to_vec(), b"m3".to_vec()]);
            assert_eq!(z.len(), 4);
            assert_eq!(z.score(b"m4"), None);
            assert_eq!(z.rank(b"m0"), Some(3));
            let mut rev = Vec::new();
            z.for_range(0, 4, true, |m, _| rev.push(m.to_vec()));
            assert_eq!(rev[0], b"m0".to_vec());
        }
        let small = ZSet::from_pairs(vec![(SmallBytes::new(b"x"), 1.0)], LIMITS);
        assert_eq!(small.encoding(), "listpack");
    }
}

#[cfg(test)]
mod size {
    #[test]
    fn zset_is_two_words() {
        assert_eq!(std::mem::size_of::<super::ZSet>(), 16);
    }
}
