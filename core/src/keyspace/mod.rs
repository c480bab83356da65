//! The keyspace: databases split into shards by hash slot, each shard behind its own lock
//! (DESIGN.md §3). A command locks the shards of its keys in ascending order, works through
//! the [`Locked`] view, and releases them when the view drops.

pub mod access;
pub mod commands;
pub mod db;
pub mod expire;
pub mod locked;
pub mod scan;
pub(crate) mod table;
pub mod value;

use std::sync::atomic::AtomicU64;

use crate::sync::Mutex;

pub use access::{AccessPolicy, AccessPolicyCell, LfuRandom};
pub use db::{DbShard, Entry, KeyHasher, LiveSlot, Slot, VacantSlot};
pub use expire::ExpireCycle;
pub use locked::Locked;
pub use scan::ScanFilter;
pub use value::Value;

use crate::util::slot::key_slot;

/// Every database's keys for one range of hash slots.
pub struct Shard {
    /// One table per database, indexed by database number.
    pub dbs: Vec<DbShard>,
}

/// All databases, split into a power-of-two number of shards.
pub struct Keyspace {
    shards: Box<[Mutex<Shard>]>,
    databases: usize,
    /// Keys reclaimed by lazy or active expiry (INFO `expired_keys`).
    pub expired_keys: AtomicU64,
    /// Successful lookups by read commands (INFO `keyspace_hits`).
    pub keyspace_hits: AtomicU64,
    /// Failed lookups by read commands (INFO `keyspace_misses`).
    pub keyspace_misses: AtomicU64,
    /// The active expiry cycle's state between ticks.
    expire_cycle: Mutex<ExpireCycle>,
    /// How entries' access field is kept (LRU clock or LFU counter), from the configuration.
    pub access_policy: AccessPolicyCell,
    /// Random numbers for the LFU counters' probabilistic increments.
    pub lfu_random: LfuRandom,
    /// Clients blocked on keys (BLPOP and friends).
    pub blocking: crate::blocking::BlockingRegistry,
}

impl Keyspace {
    /// A keyspace of `databases` databases over `shards` shards (rounded up to a power of two).
    pub fn new(databases: usize, shards: usize, seed: u64) -> Self {
        let n = shards.max(1).next_power_of_two();
        let shards = (0..n)
            .map(|i| {
                let hasher =
                    KeyHasher::with_seed(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                Mutex::new(Shard {
                    dbs: (0..databases).map(|_| DbShard::new(hasher)).collect(),
                })
            })
            .collect();
        Keyspace {
            shards,
            databases,
            expired_keys: AtomicU64::new(0),
            keyspace_hits: AtomicU64::new(0),
            keyspace_misses: AtomicU64::new(0),
            expire_cycle: Mutex::new(ExpireCycle::default()),
            access_policy: AccessPolicyCell::default(),
            lfu_random: LfuRandom::new(seed.rotate_left(17) ^ 0x6c66_755f_7261_6e64),
            blocking: Default::default(),
        }
    }

    /// Number of databases (the `databases` config).
    pub fn databases(&self) -> usize {
        self.databases
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard that owns `key`.
    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        key_slot(key) as usize & (self.shards.len() - 1)
    }

    /// Locks the shards owning `keys` (in ascending order, each once).
    pub fn lock<'a, K: AsRef<[u8]>>(&'a self, db: usize, keys: &[K], now_ms: u64) -> Locked<'a> {
        let mut idx: smallvec::SmallVec<[usize; 4]> =
            keys.iter().map(|k| self.shard_of(k.as_ref())).collect();
        idx.sort_unstable();
        idx.dedup();
        let guards = idx
            .into_iter()
            .map(|i| (i, self.shards[i].lock()))
            .collect();
        Locked::new(self, db, now_ms, guards)
    }

    /// Locks the shard owning `key`.
    pub fn lock_one<'a>(&'a self, db: usize, key: &[u8], now_ms: u64) -> Locked<'a> {
        let i = self.shard_of(key);
        let mut guards = smallvec::SmallVec::new();
        guards.push((i, self.shards[i].lock()));
        Locked::new(self, db, now_ms, guards)
    }

    /// Locks every shard, in order (FLUSHALL, SWAPDB, KEYS, ...).
    pub fn lock_all(&self, db: usize, now_ms: u64) -> Locked<'_> {
        let guards = self
            .shards
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.lock()))
            .collect();
        Locked::new(self, db, now_ms, guards)
    }

    /// Locks one shard by index (incremental work such as SCAN and active expiry).
    pub fn lock_shard(&self, db: usize, shard: usize, now_ms: u64) -> Locked<'_> {
        let mut guards = smallvec::SmallVec::new();
        guards.push((shard, self.shards[shard].lock()));
        Locked::new(self, db, now_ms, guards)
    }

    /// Number of keys in `db` (expired keys not yet reclaimed included, as in Redis's DBSIZE).
    pub fn db_size(&self, db: usize) -> usize {
        self.shards.iter().map(|s| s.lock().dbs[db].len()).sum()
    }

    /// (keys, keys with a TTL) of `db`, for INFO keyspace.
    pub fn db_counts(&self, db: usize) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(k, v), s| {
            let s = s.lock();
            (k + s.dbs[db].len(), v + s.dbs[db].volatile.len())
        })
    }
}
