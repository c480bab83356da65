//! `KeyTable`: the positional hash table under each [`DbShard`](super::DbShard).
//!
//! It does what `IndexMap<NodeBox, ()>` did for the keyspace — lookup by key bytes, O(1)
//! access by position, append, `swap_remove` — and exists only to spend fewer bytes per key.
//! IndexMap keeps a 16-byte `(hash, key)` bucket per entry (with its entries `Vec` reserved
//! up to the index's capacity) plus an 8-byte `usize` per index bucket. Here an entry is just
//! the element (the keyspace's is a 9-byte node pointer and key length; hashes are recomputed
//! from the key bytes when the index is rebuilt or an element moves) and an index bucket is a
//! 4-byte `u32` position plus a control byte, in an [`Index`] sized for the entries' capacity
//! rather than rounded up to a power of two (`table/index.rs`). The entries grow by 1.5 and
//! the index with them (×8/7 buckets: load at most 7/8). With 1M keys over 64 shards (~15.6k
//! keys each) that is 10.0 bytes of entries and 6.4 of index per key; the hashbrown index this
//! replaced had 32,768 buckets there (10.5 bytes per key). The cost is a pointer chase per
//! element when the index is rebuilt and when `swap_remove` re-points the moved element.
//!
//! Ordering contract (SCAN and the active expiry cursor rely on it): positions never
//! increase. [`KeyTable::insert`] and [`VacantEntry::insert`] append at the end; removal is
//! always `swap_remove`, which moves the last element down into the hole.

use std::hash::{BuildHasher, Hasher};

use super::db::KeyHasher;

mod index;

use index::Index;

/// An element that carries its own key; the table hashes and compares these bytes.
pub trait Keyed {
    /// The key bytes.
    fn key(&self) -> &[u8];
}

/// Keys → elements, with elements stored densely by position (see the module docs).
#[derive(Clone)]
pub struct KeyTable<T> {
    /// The elements, by position. Grown by ~1.5× (see [`KeyTable::grow_entries`]).
    entries: Vec<T>,
    /// Hash of the key → position in `entries`; sized for `entries`' capacity.
    index: Index,
    hasher: KeyHasher,
}

/// Hashes key bytes. Only this table hashes with it, so no length prefix is needed.
#[inline]
fn hash_key(hasher: &KeyHasher, key: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

/// Converts a position to its index form. A shard never holds 2^32 keys (that would be
/// hundreds of GiB in one shard), so this is an invariant, not input validation.
#[inline]
fn pos(idx: usize) -> u32 {
    u32::try_from(idx).expect("KeyTable holds at most u32::MAX elements")
}

impl<T: Keyed> KeyTable<T> {
    /// An empty table hashing with `hasher`.
    pub fn with_hasher(hasher: KeyHasher) -> Self {
        KeyTable {
            entries: Vec::new(),
            index: Index::new(),
            hasher,
        }
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes the table itself holds allocated: its element vector and its index, not what
    /// the elements point to (MEMORY STATS' `overhead.hashtable.main`).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<T>() + self.index.heap_bytes()
    }

    /// Whether the table is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        hash_key(&self.hasher, key)
    }

    #[inline]
    fn find_hashed(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(hash, |i| entries[i as usize].key() == key)
            .map(|i| i as usize)
    }

    /// Position of `key`.
    #[inline]
    pub fn get_index_of(&self, key: &[u8]) -> Option<usize> {
        self.find_hashed(self.hash(key), key)
    }

    /// The element with `key`.
    pub fn get(&self, key: &[u8]) -> Option<&T> {
        let idx = self.get_index_of(key)?;
        self.entries.get(idx)
    }

    /// The element with `key`, mutably. Its key must not be changed.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut T> {
        let idx = self.get_index_of(key)?;
        self.entries.get_mut(idx)
    }

    /// The element at position `idx`.
    #[inline]
    pub fn get_index(&self, idx: usize) -> Option<&T> {
        self.entries.get(idx)
    }

    /// The element at position `idx`, mutably. Its key must not be changed.
    #[inline]
    pub fn get_index_mut(&mut self, idx: usize) -> Option<&mut T> {
        self.entries.get_mut(idx)
    }

    /// Appends `value`, whose key must not be in the table; returns its position.
    pub fn insert(&mut self, value: T) -> usize {
        let hash = self.hash(value.key());
        debug_assert!(self.find_hashed(hash, value.key()).is_none());
        self.push_hashed(hash, value)
    }

    /// Appends `value` whose key hashes to `hash` and is absent.
    fn push_hashed(&mut self, hash: u64, value: T) -> usize {
        let idx = self.entries.len();
        let p = pos(idx);
        self.grow_entries();
        self.entries.push(value);
        let KeyTable {
            entries,
            index,
            hasher,
        } = self;
        // A full index is rebuilt for the entries' (grown) capacity, rehashing every position
        // from its key bytes.
        let reserve = entries.capacity();
        index.insert(hash, p, reserve, |i| {
            hash_key(hasher, entries[i as usize].key())
        });
        idx
    }

    /// Makes room for one more entry. `Vec`'s doubling would leave up to 8 bytes per key
    /// unused right after a growth (4 on average); growing by half bounds that at ~2.7 (1.3
    /// on average), at the price of a few more (cheap, pointer-sized) copies.
    fn grow_entries(&mut self) {
        let len = self.entries.len();
        if len == self.entries.capacity() {
            self.entries.reserve_exact((len / 2).max(4));
        }
    }

    /// Removes the element at `idx` (hashing to `hash`): the last element moves into its
    /// place and its index entry is updated.
    fn swap_remove_hashed(&mut self, hash: u64, idx: usize) -> T {
        let p = pos(idx);
        if !self.index.remove(hash, p) {
            unreachable!("KeyTable index lost position {idx}");
        }
        let last = self.entries.len() - 1;
        if idx != last {
            let last_hash = self.hash(self.entries[last].key());
            if !self.index.replace(last_hash, pos(last), p) {
                unreachable!("KeyTable index lost position {last}");
            }
        }
        self.entries.swap_remove(idx)
    }

    /// Removes `key`, moving the last element into its place; returns the element.
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<T> {
        let hash = self.hash(key);
        let idx = self.find_hashed(hash, key)?;
        Some(self.swap_remove_hashed(hash, idx))
    }

    /// Every element, by position.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.entries.iter()
    }

    /// Removes every element and frees the storage.
    pub fn clear(&mut self) {
        self.entries = Vec::new();
        self.index = Index::new();
    }

    /// Finds `key` with one hash and one probe: its element, or the place to add it.
    pub fn entry(&mut self, key: &[u8]) -> TableEntry<'_, T> {
        let hash = self.hash(key);
        match self.find_hashed(hash, key) {
            Some(idx) => TableEntry::Occupied(OccupiedEntry {
                table: self,
                idx,
                hash,
            }),
            None => TableEntry::Vacant(VacantEntry { table: self, hash }),
        }
    }
}

/// The result of [`KeyTable::entry`].
pub enum TableEntry<'a, T> {
    /// The key is present.
    Occupied(OccupiedEntry<'a, T>),
    /// The key is absent.
    Vacant(VacantEntry<'a, T>),
}

/// A present key: its element, without another lookup.
pub struct OccupiedEntry<'a, T> {
    table: &'a mut KeyTable<T>,
    idx: usize,
    hash: u64,
}

impl<'a, T: Keyed> OccupiedEntry<'a, T> {
    /// The element.
    pub fn get(&self) -> &T {
        &self.table.entries[self.idx]
    }

    /// The element, mutably. Its key must not be changed.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.table.entries[self.idx]
    }

    /// The element, for the whole borrow of the table.
    pub fn into_mut(self) -> &'a mut T {
        &mut self.table.entries[self.idx]
    }

    /// Removes the element (the last one moves into its place) and returns it.
    pub fn swap_remove(self) -> T {
        self.table.swap_remove_hashed(self.hash, self.idx)
    }
}

/// An absent key: room to append it without hashing it again.
pub struct VacantEntry<'a, T> {
    table: &'a mut KeyTable<T>,
    hash: u64,
}

impl<T: Keyed> VacantEntry<'_, T> {
    /// Appends `value`, whose key must be the one this entry was found for; returns its
    /// position.
    pub fn insert(self, value: T) -> usize {
        debug_assert_eq!(self.hash, self.table.hash(value.key()));
        self.table.push_hashed(self.hash, value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Item {
        key: Vec<u8>,
        val: u64,
    }

    impl Keyed for Item {
        fn key(&self) -> &[u8] {
            &self.key
        }
    }

    fn item(key: &[u8], val: u64) -> Item {
        Item {
            key: key.to_vec(),
            val,
        }
    }

    /// Checks every element is found at its own position and the index has no extras.
    fn check(t: &KeyTable<Item>, model: &HashMap<Vec<u8>, u64>) {
        assert_eq!(t.len(), model.len());
        assert_eq!(t.index.len(), model.len());
        for (i, it) in t.iter().enumerate() {
            assert_eq!(t.get_index_of(&it.key), Some(i));
            assert_eq!(model.get(&it.key), Some(&it.val));
        }
        for (k, v) in model {
            assert_eq!(t.get(k).map(|it| it.val), Some(*v));
        }
    }

    #[test]
    fn random_ops_match_a_hashmap() {
        let mut rng = fastrand::Rng::with_seed(0x10de);
        for round in 0..4 {
            let mut t: KeyTable<Item> = KeyTable::with_hasher(KeyHasher::with_seed(round));
            let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
            // A small key space so removes and re-inserts hit; several growths and shrinks.
            let space = 50 + round * 700;
            for step in 0..20_000u64 {
                let key = format!("k{}", rng.u64(..space)).into_bytes();
                match rng.u8(..10) {
                    0..=3 => match t.entry(&key) {
                        TableEntry::Occupied(mut o) => {
                            o.get_mut().val = step;
                            model.insert(key, step);
                        }
                        TableEntry::Vacant(v) => {
                            let idx = v.insert(item(&key, step));
                            assert_eq!(idx, t.len() - 1, "appends at the end");
                            model.insert(key, step);
                        }
                    },
                    4 => {
                        if t.get_index_of(&key).is_none() {
                            let idx = t.insert(item(&key, step));
                            assert_eq!(idx, t.len() - 1);
                            model.insert(key, step);
                        }
                    }
                    5..=6 => {
                        let last = t.get_index(t.len().wrapping_sub(1)).cloned();
                        let at = t.get_index_of(&key);
                        let got = t.swap_remove(&key);
                        assert_eq!(got.map(|i| i.val), model.remove(&key));
                        // The last element moved into the hole.
                        if let (Some(at), Some(last)) = (at, last) {
                            if last.key != key {
                                assert_eq!(t.get_index(at), Some(&last));
                                assert_eq!(t.get_index_of(&last.key), Some(at));
                            }
                        }
                    }
                    7 => {
                        if let TableEntry::Occupied(o) = t.entry(&key) {
                            let it = o.swap_remove();
                            assert_eq!(model.remove(&key), Some(it.val));
                        } else {
                            assert!(!model.contains_key(&key));
                        }
                    }
                    8 => {
                        if let Some(it) = t.get_mut(&key) {
                            it.val = step;
                            model.insert(key, step);
                        }
                        if !t.is_empty() {
                            let idx = rng.usize(..t.len());
                            let k = t.get_index(idx).map(|i| i.key.clone());
                            if let (Some(k), Some(it)) = (k, t.get_index_mut(idx)) {
                                it.val = step;
                                model.insert(k, step);
                            }
                        }
                    }
                    _ => {
                        assert_eq!(t.get(&key).map(|i| i.val), model.get(&key).copied());
                    }
                }
                if step % 997 == 0 {
                    check(&t, &model);
                }
            }
            check(&t, &model);
            let copy = t.clone();
            check(&copy, &model);
            t.clear();
            model.clear();
            check(&t, &model);
            assert!(t.get(b"k1").is_none());
        }
    }

    #[test]
    fn growth_keeps_every_key_findable() {
        let mut t = KeyTable::with_hasher(KeyHasher::with_seed(7));
        for i in 0..100_000u64 {
            t.insert(item(format!("key:{i:012}").as_bytes(), i));
        }
        assert_eq!(t.len(), 100_000);
        for i in (0..100_000u64).step_by(7) {
            let k = format!("key:{i:012}");
            assert_eq!(t.get(k.as_bytes()).map(|it| it.val), Some(i));
        }
        // Growth by ~1.5×: never more than half again the length, beyond the minimum.
        assert!(t.entries.capacity() <= t.len() * 3 / 2 + 4);
        // Drain from the front: every removal moves the last element down.
        for i in 0..100_000u64 {
            let k = format!("key:{i:012}");
            assert_eq!(t.swap_remove(k.as_bytes()).map(|it| it.val), Some(i));
        }
        assert!(t.is_empty());
    }

    #[test]
    fn positions_never_increase() {
        let mut rng = fastrand::Rng::with_seed(42);
        let mut t = KeyTable::with_hasher(KeyHasher::with_seed(1));
        for i in 0..2000u64 {
            t.insert(item(format!("p{i}").as_bytes(), i));
        }
        let mut where_: HashMap<Vec<u8>, usize> = t
            .iter()
            .enumerate()
            .map(|(i, it)| (it.key.clone(), i))
            .collect();
        for n in 0..5000u64 {
            if rng.bool() && !t.is_empty() {
                let idx = rng.usize(..t.len());
                let k = t.get_index(idx).map(|i| i.key.clone()).unwrap_or_default();
                t.swap_remove(&k);
                where_.remove(&k);
            } else {
                let k = format!("n{n}").into_bytes();
                t.insert(item(&k, n));
            }
            for (i, it) in t.iter().enumerate() {
                if let Some(old) = where_.insert(it.key.clone(), i) {
                    assert!(i <= old, "{:?} moved up from {old} to {i}", it.key);
                }
            }
        }
    }
}
