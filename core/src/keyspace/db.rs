//! One database's keys within one shard: the main table plus the set of keys with a TTL
//! (sampled by the active expiry cycle, like Redis's `expires` dict).

use indexmap::IndexSet;

pub(super) mod thin;

use super::events::KeyEvents;
use super::table::{KeyTable, Keyed, OccupiedEntry, TableEntry, VacantEntry};
use super::value::Value;
use crate::config::notify;
use crate::util::small_bytes::SmallBytes;

/// Hasher of every keyspace table: seeded by the server, so iteration order is reproducible
/// under a fixed seed (deterministic simulation) yet unpredictable to clients.
pub type KeyHasher = foldhash::fast::FixedState;

/// A stored value with its metadata: 32 bytes, the head of its key's node (`db/thin.rs`).
#[derive(Clone, Debug)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix milliseconds; 0 when the key is persistent.
    pub expire_at: u64,
    /// Last access in seconds of the server's LRU clock (or the LFU counter under an LFU policy).
    pub access: u32,
}

impl Entry {
    /// Whether the entry's TTL has passed at `now_ms`. As in Redis, a key is still alive at the
    /// very millisecond it expires and gone one millisecond later.
    #[inline]
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && self.expire_at < now_ms
    }
}

/// The table's element: a key and its entry in one allocation (`db/thin.rs`), 9 bytes in
/// the table. A 16-byte key makes a 48-byte node (the 32-byte [`Entry`] and the key).
type NodeBox = thin::Node<Entry>;

impl Keyed for NodeBox {
    #[inline]
    fn key(&self) -> &[u8] {
        thin::Node::key(self)
    }
}

/// The keys of one database that hash into one shard.
///
/// Ordering invariant (SCAN and the active expiry cursor rely on it): an element's position in
/// `map` or `volatile` never increases. New keys are appended at the end and removal is always
/// `swap_remove`, which moves the last element down into the hole ([`KeyTable`] offers nothing
/// else). For `volatile`, never use `shift_remove`, `insert` at an index, sorting or anything
/// else that moves elements up.
#[derive(Clone)]
pub struct DbShard {
    /// Key → entry. Positional: O(1) random sampling and a scan cursor that survives growth.
    /// A [`KeyTable`] rather than an `IndexMap` for memory (see `table.rs`).
    map: KeyTable<NodeBox>,
    /// Keys that carry a TTL.
    pub volatile: IndexSet<SmallBytes, KeyHasher>,
    /// Next position of `volatile` the active expiry cycle examines (Redis's `expires_cursor`).
    pub expire_cursor: usize,
}

impl DbShard {
    /// An empty database shard using `hasher`.
    pub fn new(hasher: KeyHasher) -> Self {
        DbShard {
            map: KeyTable::with_hasher(hasher),
            volatile: IndexSet::with_hasher(hasher),
            expire_cursor: 0,
        }
    }

    /// Bytes of table overhead: the main table's (element vector and index) and the
    /// volatile keys' set (its entries and index, the key copies it holds not counted), as
    /// MEMORY STATS reports `overhead.hashtable.main` and `.expires`.
    pub fn overhead_bytes(&self) -> (usize, usize) {
        // IndexSet: a (hash, key) bucket per entry plus a usize and a control byte per index
        // slot, the index kept at most 7/8 full.
        let cap = self.volatile.capacity();
        let entry = std::mem::size_of::<SmallBytes>() + std::mem::size_of::<u64>();
        let expires = cap * entry + cap * 8 / 7 * (std::mem::size_of::<usize>() + 1);
        (self.map.heap_bytes(), expires)
    }

    /// Number of keys, including expired ones not yet reclaimed.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the shard holds no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Index of a live key; an expired key is deleted on the way (lazy expiry) and counted.
    pub fn find(&mut self, key: &[u8], now_ms: u64, expired: &mut u64) -> Option<usize> {
        self.find_unless_held(key, now_ms, expired, || false)
    }

    /// Like `find`, except that an expired key stays if `held()` says expiry is on hold
    /// (CLIENT PAUSE); asked only when the key has expired.
    pub fn find_unless_held(
        &mut self,
        key: &[u8],
        now_ms: u64,
        expired: &mut u64,
        held: impl FnOnce() -> bool,
    ) -> Option<usize> {
        let idx = self.map.get_index_of(key)?;
        if self.entry_at(idx).is_some_and(|e| e.is_expired(now_ms)) {
            if !held() {
                self.remove(key);
                *expired += 1;
            }
            return None;
        }
        Some(idx)
    }

    /// Stores `value` under `key` with the given expiry (0 = none), replacing any old entry;
    /// true if the key was not in the table before.
    pub fn put(&mut self, key: &[u8], value: Value, expire_at: u64, access: u32) -> bool {
        let entry = Entry {
            value,
            expire_at,
            access,
        };
        match self.map.get_mut(key) {
            Some(node) => {
                let old = std::mem::replace(node.head_mut(), entry);
                if old.expire_at != 0 && expire_at == 0 {
                    self.volatile.swap_remove(key);
                } else if old.expire_at == 0 && expire_at != 0 {
                    self.volatile.insert(SmallBytes::new(key));
                }
                false
            }
            None => {
                if expire_at != 0 {
                    self.volatile.insert(SmallBytes::new(key));
                }
                self.map.insert(NodeBox::new(key, entry));
                true
            }
        }
    }

    /// Removes `key`, returning its entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let entry = self.map.swap_remove(key)?.into_head();
        if entry.expire_at != 0 {
            self.volatile.swap_remove(key);
        }
        Some(entry)
    }

    /// Sets or clears (0) the expiry of an existing key; returns false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], expire_at: u64) -> bool {
        let Some(node) = self.map.get_mut(key) else {
            return false;
        };
        let entry = node.head_mut();
        let was = entry.expire_at;
        entry.expire_at = expire_at;
        if was == 0 && expire_at != 0 {
            self.volatile.insert(SmallBytes::new(key));
        } else if was != 0 && expire_at == 0 {
            self.volatile.swap_remove(key);
        }
        true
    }

    /// Finds `key` for a write with one hash lookup: its live entry, or room to create it.
    /// An expired entry counts in `expired` and is reclaimed unless the vacancy is filled.
    pub fn slot(&mut self, key: &[u8], now_ms: u64, access: u32, expired: &mut u64) -> Slot<'_> {
        let volatile = &mut self.volatile;
        match self.map.entry(key) {
            TableEntry::Occupied(o) => {
                // Same rule as reads (`Entry::is_expired`): alive at exactly its expiry millisecond.
                if o.get().head().is_expired(now_ms) {
                    *expired += 1;
                    Slot::Vacant(VacantSlot {
                        place: Some(Place::Stale(o)),
                        volatile,
                        access,
                        created: None,
                    })
                } else {
                    Slot::Live(LiveSlot {
                        entry: o,
                        volatile,
                        access,
                    })
                }
            }
            TableEntry::Vacant(v) => Slot::Vacant(VacantSlot {
                place: Some(Place::Free(v)),
                volatile,
                access,
                created: None,
            }),
        }
    }

    /// The entry at table position `idx`.
    pub fn entry_at(&self, idx: usize) -> Option<&Entry> {
        self.map.get_index(idx).map(|n| n.head())
    }

    /// The key and entry at table position `idx` (SCAN, RANDOMKEY, sampling).
    pub fn get_index(&self, idx: usize) -> Option<(&[u8], &Entry)> {
        self.map.get_index(idx).map(|n| (n.key(), n.head()))
    }

    /// The entry at table position `idx`, mutably.
    pub fn entry_at_mut(&mut self, idx: usize) -> Option<&mut Entry> {
        self.map.get_index_mut(idx).map(|n| n.head_mut())
    }

    /// The entry of `key` without expiry or access-time effects (DEBUG, digests).
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.map.get(key).map(|n| n.head())
    }

    /// Every key and entry, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.map.iter().map(|n| (n.key(), n.head()))
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map.clear();
        self.volatile = IndexSet::with_hasher(*self.volatile.hasher());
        self.expire_cursor = 0;
    }
}

/// Where a key stands for a write (see [`DbShard::slot`]).
pub enum Slot<'a> {
    /// The key exists and has not expired.
    Live(LiveSlot<'a>),
    /// The key does not exist (or had expired).
    Vacant(VacantSlot<'a>),
}

/// A live key, ready to be read, changed or deleted without another lookup.
pub struct LiveSlot<'a> {
    entry: OccupiedEntry<'a, NodeBox>,
    volatile: &'a mut IndexSet<SmallBytes, KeyHasher>,
    access: u32,
}

impl<'a> LiveSlot<'a> {
    /// The entry.
    pub fn entry(&mut self) -> &mut Entry {
        self.entry.get_mut().head_mut()
    }

    /// The entry, for as long as the slot's borrow lasts.
    pub fn into_entry(self) -> &'a mut Entry {
        self.entry.into_mut().head_mut()
    }

    /// Sets or clears (0) the expiry, keeping the TTL index in step.
    pub fn set_expire(&mut self, expire_at: u64) {
        let node = self.entry.get_mut();
        let was = node.head().expire_at;
        node.head_mut().expire_at = expire_at;
        if was == 0 && expire_at != 0 {
            self.volatile.insert(SmallBytes::new(node.key()));
        } else if was != 0 && expire_at == 0 {
            self.volatile.swap_remove(node.key());
        }
    }

    /// Replaces the value (a new object: fresh access time) and the expiry.
    pub fn replace(&mut self, value: Value, expire_at: u64) {
        let entry = self.entry();
        entry.value = value;
        let access = self.access;
        self.entry().access = access;
        self.set_expire(expire_at);
    }

    /// Deletes the key, returning its entry.
    pub fn remove(self) -> Entry {
        let node = self.entry.swap_remove();
        if node.head().expire_at != 0 {
            self.volatile.swap_remove(node.key());
        }
        node.into_head()
    }
}

enum Place<'a> {
    Free(VacantEntry<'a, NodeBox>),
    // An expired entry: reused in place if the key is recreated, deleted otherwise.
    Stale(OccupiedEntry<'a, NodeBox>),
}

/// Room for a key that does not exist; dropping it without `insert` leaves the key absent.
pub struct VacantSlot<'a> {
    place: Option<Place<'a>>,
    volatile: &'a mut IndexSet<SmallBytes, KeyHasher>,
    access: u32,
    /// Told of the key's creation (the `new` notification), with the key's database.
    created: Option<(&'a dyn KeyEvents, usize)>,
}

impl<'a> VacantSlot<'a> {
    /// Reports the key's creation to `events` as the `new` event of database `db`, if the
    /// slot is filled.
    pub(super) fn report_to(&mut self, events: &'a dyn KeyEvents, db: usize) {
        self.created = Some((events, db));
    }

    /// Creates the key (`key` must be the one the slot was found for).
    pub fn insert(mut self, key: &[u8], value: Value, expire_at: u64) {
        self.fill(key, value, expire_at);
        if let Some((events, db)) = self.created {
            events.key_event(notify::NEW, "new", db, key);
        }
    }

    fn fill(&mut self, key: &[u8], value: Value, expire_at: u64) {
        let entry = Entry {
            value,
            expire_at,
            access: self.access,
        };
        match self.place.take() {
            Some(Place::Free(v)) => {
                if expire_at != 0 {
                    self.volatile.insert(SmallBytes::new(key));
                }
                v.insert(NodeBox::new(key, entry));
            }
            Some(Place::Stale(mut o)) => {
                // A stale entry always had a TTL, so it is already in the TTL index.
                let node = o.get_mut();
                if expire_at == 0 {
                    self.volatile.swap_remove(node.key());
                }
                *node.head_mut() = entry;
            }
            None => {}
        }
    }
}

impl Drop for VacantSlot<'_> {
    fn drop(&mut self) {
        if let Some(Place::Stale(o)) = self.place.take() {
            let node = o.swap_remove();
            self.volatile.swap_remove(node.key());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn entry_is_32_bytes() {
        // One key costs: a node of this entry and the key bytes (48 bytes for a 16-byte key),
        // the table's 9-byte element and its index slot.
        assert_eq!(std::mem::size_of::<super::Value>(), 16);
        assert_eq!(std::mem::size_of::<Option<super::Value>>(), 16);
        assert_eq!(std::mem::size_of::<super::Entry>(), 32);
        assert_eq!(std::mem::size_of::<super::NodeBox>(), 9);
    }

    #[test]
    fn overhead_counts_the_tables_not_the_nodes() {
        let mut db = super::DbShard::new(super::KeyHasher::with_seed(3));
        assert_eq!(db.overhead_bytes(), (0, 0));
        for i in 0..1000u64 {
            let key = format!("key:{i:012}");
            let expire_at = if i % 2 == 0 { 1_000_000 } else { 0 };
            db.put(key.as_bytes(), super::Value::string(b"v"), expire_at, 0);
        }
        let (main, expires) = db.overhead_bytes();
        // 9 bytes an element and 5 an index bucket, at least one each per key.
        assert!((1000 * 14..1000 * 40).contains(&main), "{main}");
        assert!(expires >= 500 * 16, "{expires}");
        db.clear();
        assert_eq!(db.overhead_bytes(), (0, 0));
    }
}
