//! One database's keys within one shard: the main table plus the set of keys with a TTL
//! (sampled by the active expiry cycle, like Redis's `expires` dict).

use indexmap::map::raw_entry_v1::{
    RawEntryApiV1, RawEntryMut, RawOccupiedEntryMut, RawVacantEntryMut,
};
use indexmap::{IndexMap, IndexSet};

use super::value::Value;
use crate::util::small_bytes::SmallBytes;

/// Hasher of every keyspace table: seeded by the server, so iteration order is reproducible
/// under a fixed seed (deterministic simulation) yet unpredictable to clients.
pub type KeyHasher = foldhash::fast::FixedState;

/// A stored value with its metadata.
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

/// The keys of one database that hash into one shard.
///
/// Ordering invariant (SCAN and the active expiry cursor rely on it): an element's position in
/// `map` or `volatile` never increases. New keys are appended at the end and removal is always
/// `swap_remove`, which moves the last element down into the hole. Never use `shift_remove`,
/// `insert` at an index, sorting or anything else that moves elements up.
#[derive(Clone)]
pub struct DbShard {
    /// Key → entry. An index map: O(1) random sampling and a scan cursor that survives growth.
    pub map: IndexMap<SmallBytes, Entry, KeyHasher>,
    /// Keys that carry a TTL.
    pub volatile: IndexSet<SmallBytes, KeyHasher>,
    /// Next position of `volatile` the active expiry cycle examines (Redis's `expires_cursor`).
    pub expire_cursor: usize,
}

impl DbShard {
    /// An empty database shard using `hasher`.
    pub fn new(hasher: KeyHasher) -> Self {
        DbShard {
            map: IndexMap::with_hasher(hasher),
            volatile: IndexSet::with_hasher(hasher),
            expire_cursor: 0,
        }
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
        let idx = self.map.get_index_of(key)?;
        if self.map[idx].is_expired(now_ms) {
            self.remove(key);
            *expired += 1;
            return None;
        }
        Some(idx)
    }

    /// Stores `value` under `key` with the given expiry (0 = none), replacing any old entry.
    pub fn put(&mut self, key: &[u8], value: Value, expire_at: u64, access: u32) {
        let entry = Entry {
            value,
            expire_at,
            access,
        };
        match self.map.get_index_of(key) {
            Some(idx) => {
                let old = std::mem::replace(&mut self.map[idx], entry);
                if old.expire_at != 0 && expire_at == 0 {
                    self.volatile.swap_remove(key);
                } else if old.expire_at == 0 && expire_at != 0 {
                    self.volatile.insert(SmallBytes::new(key));
                }
            }
            None => {
                let key = SmallBytes::new(key);
                if expire_at != 0 {
                    self.volatile.insert(key.clone());
                }
                self.map.insert(key, entry);
            }
        }
    }

    /// Removes `key`, returning its entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let entry = self.map.swap_remove(key)?;
        if entry.expire_at != 0 {
            self.volatile.swap_remove(key);
        }
        Some(entry)
    }

    /// Sets or clears (0) the expiry of an existing key; returns false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], expire_at: u64) -> bool {
        let Some(entry) = self.map.get_mut(key) else {
            return false;
        };
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
        match self.map.raw_entry_mut_v1().from_key(key) {
            RawEntryMut::Occupied(o) => {
                let at = o.get().expire_at;
                if at != 0 && at <= now_ms {
                    *expired += 1;
                    Slot::Vacant(VacantSlot {
                        place: Some(Place::Stale(o)),
                        volatile,
                        access,
                    })
                } else {
                    Slot::Live(LiveSlot {
                        entry: o,
                        volatile,
                        access,
                    })
                }
            }
            RawEntryMut::Vacant(v) => Slot::Vacant(VacantSlot {
                place: Some(Place::Free(v)),
                volatile,
                access,
            }),
        }
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map = IndexMap::with_hasher(*self.map.hasher());
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
    entry: RawOccupiedEntryMut<'a, SmallBytes, Entry, KeyHasher>,
    volatile: &'a mut IndexSet<SmallBytes, KeyHasher>,
    access: u32,
}

impl<'a> LiveSlot<'a> {
    /// The entry.
    pub fn entry(&mut self) -> &mut Entry {
        self.entry.get_mut()
    }

    /// The entry, for as long as the slot's borrow lasts.
    pub fn into_entry(self) -> &'a mut Entry {
        self.entry.into_mut()
    }

    /// Sets or clears (0) the expiry, keeping the TTL index in step.
    pub fn set_expire(&mut self, expire_at: u64) {
        let entry = self.entry.get_mut();
        let was = entry.expire_at;
        entry.expire_at = expire_at;
        if was == 0 && expire_at != 0 {
            self.volatile.insert(self.entry.key().clone());
        } else if was != 0 && expire_at == 0 {
            self.volatile.swap_remove(self.entry.key());
        }
    }

    /// Replaces the value (a new object: fresh access time) and the expiry.
    pub fn replace(&mut self, value: Value, expire_at: u64) {
        let entry = self.entry.get_mut();
        entry.value = value;
        entry.access = self.access;
        self.set_expire(expire_at);
    }

    /// Deletes the key, returning its entry.
    pub fn remove(self) -> Entry {
        let (key, entry) = self.entry.swap_remove_entry();
        if entry.expire_at != 0 {
            self.volatile.swap_remove(&key);
        }
        entry
    }
}

enum Place<'a> {
    Free(RawVacantEntryMut<'a, SmallBytes, Entry, KeyHasher>),
    // An expired entry: reused in place if the key is recreated, deleted otherwise.
    Stale(RawOccupiedEntryMut<'a, SmallBytes, Entry, KeyHasher>),
}

/// Room for a key that does not exist; dropping it without `insert` leaves the key absent.
pub struct VacantSlot<'a> {
    place: Option<Place<'a>>,
    volatile: &'a mut IndexSet<SmallBytes, KeyHasher>,
    access: u32,
}

impl VacantSlot<'_> {
    /// Creates the key (`key` must be the one the slot was found for).
    pub fn insert(mut self, key: &[u8], value: Value, expire_at: u64) {
        let entry = Entry {
            value,
            expire_at,
            access: self.access,
        };
        match self.place.take() {
            Some(Place::Free(v)) => {
                let key = SmallBytes::new(key);
                if expire_at != 0 {
                    self.volatile.insert(key.clone());
                }
                v.insert(key, entry);
            }
            Some(Place::Stale(mut o)) => {
                // A stale entry always had a TTL, so it is already in the TTL index.
                if expire_at == 0 {
                    self.volatile.swap_remove(o.key());
                }
                o.insert(entry);
            }
            None => {}
        }
    }
}

impl Drop for VacantSlot<'_> {
    fn drop(&mut self) {
        if let Some(Place::Stale(o)) = self.place.take() {
            let (key, _) = o.swap_remove_entry();
            self.volatile.swap_remove(&key);
        }
    }
}
