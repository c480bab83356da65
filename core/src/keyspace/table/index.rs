//! `Index`: the hash index of a [`KeyTable`](super::KeyTable), mapping key hashes to positions.
//!
//! A SwissTable-style open-addressing table of `u32` positions with one control byte per
//! bucket (`EMPTY`, `DELETED`, or 7 bits of the hash), probed 16 control bytes at a time.
//! Unlike hashbrown's it does not need a power-of-two bucket count: any multiple of 16 works
//! (the home bucket is picked by a multiply-shift, "fastrange", and probing steps linearly by
//! whole groups, which visits every bucket whatever the count). That lets the table size its
//! index for exactly the capacity of its entries vector (×8/7, the maximum load being 7/8),
//! growing by 1.5 with it, where hashbrown rounds to the next power of two: with 1M keys over
//! 64 shards (~15.6k per shard) that is 19,936 buckets instead of 32,768 — 5 bytes per bucket,
//! ~6.4 bytes per key instead of ~10.5.
//!
//! The index stores no hashes: when it is rebuilt, the caller recomputes each position's hash
//! (from the key bytes). Group matching is portable SWAR on a `u128`; every match is confirmed
//! against the control byte, so a position is only ever read from a full bucket.

/// Buckets examined per probe step.
const GROUP: usize = 16;
/// Control byte of a bucket never used since the last rebuild: ends a probe.
const EMPTY: u8 = 0xFF;
/// Control byte of a bucket whose position was removed but which a probe may pass through.
const DELETED: u8 = 0x80;
/// Byte-wise constants for SWAR matching.
const LO: u128 = u128::from_le_bytes([0x01; 16]);
const HI: u128 = u128::from_le_bytes([0x80; 16]);

/// The 7-bit tag of a hash (its low bits; the home bucket uses the high ones).
#[inline]
fn tag(hash: u64) -> u8 {
    (hash & 0x7F) as u8
}

/// The home bucket of a hash among `buckets`.
#[inline]
fn home(hash: u64, buckets: usize) -> usize {
    ((u128::from(hash) * buckets as u128) >> 64) as usize
}

/// Bit 7 of each byte of `group` equal to `byte` (false positives possible; confirm them).
#[inline]
fn match_byte(group: u128, byte: u8) -> u128 {
    let x = group ^ (LO * u128::from(byte));
    x.wrapping_sub(LO) & !x & HI
}

/// Bit 7 of each `EMPTY` byte (exact: only `EMPTY` has both high bits set).
#[inline]
fn match_empty(group: u128) -> u128 {
    group & (group << 1) & HI
}

/// Bit 7 of each `EMPTY` or `DELETED` byte (exact: full buckets have bit 7 clear).
#[inline]
fn match_free(group: u128) -> u128 {
    group & HI
}

/// Byte offsets of the set bits of a match, lowest first.
#[inline]
fn offsets(mut mask: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let i = mask.trailing_zeros() as usize / 8;
        mask &= mask - 1;
        Some(i)
    })
}

/// `at + off` wrapped into `0..n` (both below `n`), without a division.
#[inline]
fn wrap(at: usize, off: usize, n: usize) -> usize {
    let i = at + off;
    if i >= n {
        i - n
    } else {
        i
    }
}

/// Maximum number of used (full or deleted) buckets among `buckets`.
#[inline]
fn limit(buckets: usize) -> usize {
    buckets / 8 * 7
}

/// Hash → position index (see the module docs).
#[derive(Clone, Default)]
pub struct Index {
    /// One control byte per bucket, then the first `GROUP` repeated so a group read at any
    /// bucket is one contiguous load. Empty when the index has no buckets.
    ctrl: Box<[u8]>,
    /// The position stored in each full bucket.
    slots: Box<[u32]>,
    /// Buckets still `EMPTY` that may be used before a rebuild.
    growth_left: usize,
    /// Full buckets.
    items: usize,
}

impl Index {
    /// An index without buckets.
    pub fn new() -> Self {
        Index::default()
    }

    /// Number of positions stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items
    }

    /// Number of buckets.
    #[inline]
    pub fn buckets(&self) -> usize {
        self.slots.len()
    }

    /// Bytes the index holds allocated (MEMORY STATS' table overhead).
    pub fn heap_bytes(&self) -> usize {
        self.ctrl.len() + self.slots.len() * std::mem::size_of::<u32>()
    }

    /// The smallest bucket count (a multiple of `GROUP`) that holds `items` positions.
    pub fn buckets_for(items: usize) -> usize {
        // Each group of 16 buckets holds up to 14 positions (load 7/8).
        items.div_ceil(limit(GROUP)).max(1) * GROUP
    }

    #[inline]
    fn group(&self, at: usize) -> u128 {
        let mut g = [0u8; GROUP];
        g.copy_from_slice(&self.ctrl[at..at + GROUP]);
        u128::from_le_bytes(g)
    }

    #[inline]
    fn set_ctrl(&mut self, i: usize, byte: u8) {
        self.ctrl[i] = byte;
        if i < GROUP {
            let n = self.buckets();
            self.ctrl[n + i] = byte;
        }
    }

    /// The bucket holding a position `eq` accepts among those whose hash is `hash`.
    #[inline]
    fn find_bucket(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<usize> {
        let n = self.buckets();
        if n == 0 {
            return None;
        }
        let t = tag(hash);
        let mut at = home(hash, n);
        for _ in 0..n / GROUP {
            let g = self.group(at);
            for off in offsets(match_byte(g, t)) {
                let i = wrap(at, off, n);
                if self.ctrl[i] == t && eq(self.slots[i]) {
                    return Some(i);
                }
            }
            if match_empty(g) != 0 {
                return None;
            }
            at = wrap(at, GROUP, n);
        }
        None
    }

    /// The position `eq` accepts among those stored under `hash`.
    #[inline]
    pub fn find(&self, hash: u64, eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.find_bucket(hash, eq).map(|i| self.slots[i])
    }

    /// The first free (empty or deleted) bucket on `hash`'s probe sequence. The index must
    /// have one (`growth_left > 0` or a deleted bucket), which `insert` ensures.
    fn free_bucket(&self, hash: u64) -> Option<usize> {
        let n = self.buckets();
        let mut at = home(hash, n);
        for _ in 0..n / GROUP {
            if let Some(off) = offsets(match_free(self.group(at))).next() {
                return Some(wrap(at, off, n));
            }
            at = wrap(at, GROUP, n);
        }
        None
    }

    /// Stores `pos` under `hash` (the caller knows it is not stored yet), rebuilding the index
    /// first if it is full: to at least `reserve` positions' worth of buckets, recomputing each
    /// stored position's hash with `rehash`.
    pub fn insert(&mut self, hash: u64, pos: u32, reserve: usize, rehash: impl Fn(u32) -> u64) {
        debug_assert_eq!(
            pos as usize, self.items,
            "positions are dense: appends only"
        );
        let mut bucket = if self.buckets() == 0 {
            None
        } else {
            self.free_bucket(hash)
        };
        let needs_room = match bucket {
            None => true,
            Some(i) => self.ctrl[i] == EMPTY && self.growth_left == 0,
        };
        if needs_room {
            self.rebuild(reserve.max(self.items + 1), &rehash);
            bucket = self.free_bucket(hash);
        }
        let Some(i) = bucket else {
            unreachable!("a rebuilt index has a free bucket");
        };
        if self.ctrl[i] == EMPTY {
            self.growth_left -= 1;
        }
        self.set_ctrl(i, tag(hash));
        self.slots[i] = pos;
        self.items += 1;
    }

    /// Rebuilds the index with room for `items` positions (dropping every deleted bucket).
    ///
    /// The stored positions are always exactly `0..len` (the table's positions are dense), so
    /// they are re-inserted in that order: the caller's `rehash` then reads the keys in
    /// position order, which for a table filled in one go is allocation order, rather than
    /// in the random order of the old buckets.
    pub fn rebuild(&mut self, items: usize, rehash: &impl Fn(u32) -> u64) {
        let n = Index::buckets_for(items.max(self.items));
        let count = self.items;
        *self = Index {
            ctrl: vec![EMPTY; n + GROUP].into_boxed_slice(),
            slots: vec![0; n].into_boxed_slice(),
            growth_left: limit(n),
            items: 0,
        };
        for pos in 0..count {
            let pos = u32::try_from(pos).expect("positions fit u32");
            let hash = rehash(pos);
            let Some(j) = self.free_bucket(hash) else {
                unreachable!("a fresh index has room for every old position");
            };
            self.set_ctrl(j, tag(hash));
            self.slots[j] = pos;
            self.items += 1;
            self.growth_left -= 1;
        }
    }

    /// Frees bucket `i`: `EMPTY` if no probe can have passed through it (a free bucket within
    /// 16 on either side), `DELETED` otherwise.
    fn erase(&mut self, i: usize) {
        let n = self.buckets();
        let before = match_empty(self.group(wrap(i, n - GROUP, n)));
        let after = match_empty(self.group(i));
        // Full-or-deleted buckets right before `i`, and from `i` on.
        let run = before.leading_zeros() as usize / 8 + after.trailing_zeros() as usize / 8;
        let byte = if run >= GROUP {
            DELETED
        } else {
            self.growth_left += 1;
            EMPTY
        };
        self.set_ctrl(i, byte);
        self.items -= 1;
    }

    /// Removes position `pos`, stored under `hash`; false if it is not there.
    pub fn remove(&mut self, hash: u64, pos: u32) -> bool {
        match self.find_bucket(hash, |p| p == pos) {
            Some(i) => {
                self.erase(i);
                true
            }
            None => false,
        }
    }

    /// Changes stored position `from` (under `hash`) to `to`; false if `from` is not there.
    pub fn replace(&mut self, hash: u64, from: u32, to: u32) -> bool {
        match self.find_bucket(hash, |p| p == from) {
            Some(i) => {
                self.slots[i] = to;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A weak hash on purpose: many equal tags and clustered homes exercise probing, groups
    /// that wrap past the end, and deleted buckets.
    fn weak(key: u32) -> u64 {
        u64::from(key % 97).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(key % 5)
    }

    #[test]
    fn swar_matches_are_exact_after_confirmation() {
        let mut bytes = [0u8; GROUP];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = [EMPTY, DELETED, 0x00, 0x01, 0x7F, 0x42][i % 6];
        }
        let g = u128::from_le_bytes(bytes);
        let empties: Vec<usize> = offsets(match_empty(g)).collect();
        let frees: Vec<usize> = offsets(match_free(g)).collect();
        for (i, &b) in bytes.iter().enumerate() {
            assert_eq!(empties.contains(&i), b == EMPTY);
            assert_eq!(frees.contains(&i), b & 0x80 != 0);
        }
        for t in [0x00u8, 0x01, 0x42, 0x7F] {
            let hits: Vec<usize> = offsets(match_byte(g, t)).collect();
            for (i, &b) in bytes.iter().enumerate() {
                if b == t {
                    assert!(hits.contains(&i), "tag {t:#x} at {i} missed");
                }
            }
        }
    }

    /// A strong hash in odd rounds, the weak one in even rounds.
    fn hash_of(round: u32, key: u32) -> u64 {
        if round.is_multiple_of(2) {
            weak(key)
        } else {
            u64::from(key)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29)
        }
    }

    #[test]
    fn random_ops_match_a_map() {
        let mut rng = fastrand::Rng::with_seed(0x1dec5);
        for round in 0..6u32 {
            let mut idx = Index::new();
            // Position → key, and key → position, as a KeyTable would hold them.
            let mut keys: Vec<u32> = Vec::new();
            let mut model: HashMap<u32, u32> = HashMap::new();
            let space = 20 + round * 400;
            for _ in 0..30_000 {
                let key = rng.u32(..space);
                let hash = hash_of(round, key);
                let found = idx.find(hash, |p| keys[p as usize] == key);
                assert_eq!(found, model.get(&key).copied(), "find {key}");
                match (rng.u8(..3), found) {
                    (0 | 1, None) => {
                        let pos = keys.len() as u32;
                        keys.push(key);
                        let reserve = keys.len() + rng.usize(..4);
                        idx.insert(hash, pos, reserve, |p| hash_of(round, keys[p as usize]));
                        model.insert(key, pos);
                    }
                    (2, Some(pos)) => {
                        // swap_remove: the last key moves into `pos`.
                        assert!(idx.remove(hash, pos));
                        assert!(!idx.remove(hash, pos));
                        model.remove(&key);
                        let last = keys.len() as u32 - 1;
                        if pos != last {
                            let moved = keys[last as usize];
                            assert!(idx.replace(hash_of(round, moved), last, pos));
                            model.insert(moved, pos);
                        }
                        keys.swap_remove(pos as usize);
                    }
                    _ => {}
                }
                assert_eq!(idx.len(), model.len());
                assert!(idx.items <= limit(idx.buckets()));
            }
            for (&k, &p) in &model {
                assert_eq!(
                    idx.find(hash_of(round, k), |q| keys[q as usize] == k),
                    Some(p)
                );
            }
            // A rebuild keeps everything (and drops the deleted buckets).
            idx.rebuild(0, &|p| hash_of(round, keys[p as usize]));
            for (&k, &p) in &model {
                assert_eq!(
                    idx.find(hash_of(round, k), |q| keys[q as usize] == k),
                    Some(p)
                );
            }
            assert_eq!(idx.growth_left, limit(idx.buckets()) - idx.len());
        }
    }

    #[test]
    fn sizes_follow_the_reservation_not_powers_of_two() {
        assert_eq!(Index::buckets_for(0), 16);
        assert_eq!(Index::buckets_for(14), 16);
        assert_eq!(Index::buckets_for(15), 32);
        // 17,434 is the entries capacity a shard reaches past 15.6k keys (growth by 1.5).
        let n = Index::buckets_for(17_434);
        assert_eq!(n % GROUP, 0);
        assert!(limit(n) >= 17_434 && n < 17_434 * 8 / 7 + 2 * GROUP, "{n}");
        let mut idx = Index::new();
        for p in 0..15_625u32 {
            idx.insert(
                u64::from(p).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                p,
                17_434,
                |q| u64::from(q).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
        }
        assert_eq!(idx.buckets(), n);
    }
}
