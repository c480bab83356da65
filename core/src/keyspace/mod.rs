//! The keyspace: databases split into shards by hash slot, each shard behind its own lock
//! (docs/ARCHITECTURE.md, "Concurrency and locking"). A command locks the shards of its keys in ascending order, works through
//! the [`Locked`] view, and releases them when the view drops.

pub mod access;
pub mod commands;
pub mod db;
pub mod events;
pub mod expire;
pub mod lazyfree;
pub mod locked;
pub mod scan;
pub(crate) mod table;
pub mod value;
pub mod watch;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::propagate::PropagationLog;
use crate::sync::{Mutex, MutexGuard};

pub use access::{AccessPolicy, AccessPolicyCell, LfuRandom};
pub use db::{DbShard, Entry, KeyHasher, LiveSlot, Slot, VacantSlot};
pub use events::{KeyEvents, NotifyFlags};
pub use expire::ExpireCycle;
pub use lazyfree::{LazyFree, Release};
pub use locked::{LockSet, Locked};
pub use scan::ScanFilter;
pub use value::Value;
pub use watch::{WatchRegistry, WatchState, Watched};

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
    /// The propagation stream every change is recorded in, under its keys' shard locks.
    pub log: PropagationLog,
    /// Keys watched by clients (WATCH).
    pub watches: WatchRegistry,
    /// The `lazyfree-lazy-*` options and INFO's lazyfree counters: which removed values are
    /// freed off the serving path.
    pub lazyfree: LazyFree,
    /// `notify-keyspace-events`: which keyspace notifications are published.
    pub notify: NotifyFlags,
    /// CLIENT PAUSE: while a pause lasts, expiry deletes nothing.
    pub pause: crate::pause::ClientPause,
    /// Whether `observer` is set: checked on every shard lock, so kept apart as one flag.
    observing: AtomicBool,
    /// Shown each shard as it is locked, before the locker changes anything (a snapshot in
    /// progress copies the shards it has not serialised yet).
    observer: Mutex<Option<Arc<dyn ShardObserver>>>,
}

/// Something that must see a shard's contents before anyone changes them: a point-in-time
/// snapshot taken while the server keeps serving (`persist::snapshot`).
pub trait ShardObserver: Send + Sync {
    /// Shard `index` has just been locked, as `shard`; nothing has changed it yet.
    fn locked(&self, index: usize, shard: &Shard);
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
            log: PropagationLog::default(),
            watches: WatchRegistry::default(),
            lazyfree: LazyFree::default(),
            notify: NotifyFlags::default(),
            pause: Default::default(),
            observing: AtomicBool::new(false),
            observer: Mutex::new(None),
        }
    }

    /// Locks shard `i`, first showing it to the observer if there is one. Every lock of a
    /// shard goes through here.
    #[inline]
    pub(crate) fn guard(&self, i: usize) -> MutexGuard<'_, Shard> {
        let g = self.shards[i].lock();
        if self.observing.load(Ordering::Acquire) {
            self.show(i, &g);
        }
        g
    }

    #[cold]
    fn show(&self, i: usize, shard: &Shard) {
        let observer = self.observer.lock().clone();
        if let Some(o) = observer {
            o.locked(i, shard);
        }
    }

    /// Installs `observer` (None removes it). For a point-in-time snapshot, call while no
    /// command runs (the exec gate held exclusively), so every command's shards are shown to
    /// it either all before or all after its change.
    pub fn set_observer(&self, observer: Option<Arc<dyn ShardObserver>>) {
        let on = observer.is_some();
        *self.observer.lock() = observer;
        self.observing.store(on, Ordering::Release);
    }

    /// Whether an observer is installed (a snapshot is in progress).
    pub fn observed(&self) -> bool {
        self.observing.load(Ordering::Acquire)
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
        let guards = idx.into_iter().map(|i| (i, self.guard(i))).collect();
        Locked::new(self, db, now_ms, guards)
    }

    /// Locks the shards owning the keys at `idx` of `args` (every shard when `idx` is empty),
    /// in ascending order, for the call boundary to hold while a command runs.
    pub fn acquire<'a>(&'a self, args: &[Bytes], idx: &[usize]) -> LockSet<'a> {
        if let [i] = idx {
            let s = self.shard_of(&args[*i]);
            let mut guards = smallvec::SmallVec::new();
            guards.push((s, self.guard(s)));
            return LockSet::new(self, guards);
        }
        let mut shards: smallvec::SmallVec<[usize; 4]> = if idx.is_empty() {
            (0..self.shards.len()).collect()
        } else {
            idx.iter().map(|&i| self.shard_of(&args[i])).collect()
        };
        shards.sort_unstable();
        shards.dedup();
        let guards: smallvec::SmallVec<[(usize, MutexGuard<'a, Shard>); 2]> =
            shards.into_iter().map(|i| (i, self.guard(i))).collect();
        LockSet::new(self, guards)
    }

    /// Records that `key` of `db` expired and was deleted: the `expired` notification (to
    /// `events`), one propagated DEL (UNLINK under `lazyfree-lazy-expire`), a touch of its
    /// watchers, the `expired_keys` count. Call right after the deletion, with the key's shard
    /// lock still held, so the DEL enters the stream before any later change to the key.
    pub fn expired(&self, db: usize, key: &[u8], events: Option<&dyn KeyEvents>) {
        self.event(events, crate::config::notify::EXPIRED, "expired", db, key);
        self.expired_keys.fetch_add(1, Ordering::Relaxed);
        self.deleted_by_server(db, key, Release::Expire, events);
    }

    /// Records that `key` of `db` was evicted (maxmemory) and deleted: the `evicted`
    /// notification, one propagated DEL (UNLINK under `lazyfree-lazy-eviction`), a touch of
    /// its watchers, and tracking clients told. Call right after the deletion, with the key's
    /// shard lock still held, as for [`Keyspace::expired`].
    pub fn evicted(&self, db: usize, key: &[u8], events: Option<&dyn KeyEvents>) {
        self.event(events, crate::config::notify::EVICTED, "evicted", db, key);
        self.deleted_by_server(db, key, Release::Eviction, events);
    }

    /// What a deletion the keyspace makes by itself (expiry, eviction) shares: the DEL or
    /// UNLINK (as `why`'s lazyfree option says) into the stream, watchers touched, tracking
    /// clients told.
    fn deleted_by_server(
        &self,
        db: usize,
        key: &[u8],
        why: Release,
        events: Option<&dyn KeyEvents>,
    ) {
        let name = self.lazyfree.del_command(why);
        self.log
            .append_one(db, &[Bytes::from_static(name), Bytes::copy_from_slice(key)]);
        self.watches.touch(db, key, false);
        if let Some(e) = events {
            e.key_removed(db, key);
        }
    }

    /// Lets go of `value`, taken out of the keyspace for `why`: handed to the background
    /// freer of `events`' host when `why`'s `lazyfree-lazy-*` option is on and the value is
    /// heavy ([`LazyFree::free`]), freed here otherwise.
    pub fn release(&self, value: Value, why: Release, events: Option<&dyn KeyEvents>) {
        if self.lazyfree.lazy(why) {
            if let Some(host) = events.and_then(|e| e.host()) {
                self.lazyfree.free(host, value);
            }
        }
    }

    /// Reports `event` about `key` to `events` if notifications of `class` are on.
    #[inline]
    pub fn event(
        &self,
        events: Option<&dyn KeyEvents>,
        class: u32,
        event: &str,
        db: usize,
        key: &[u8],
    ) {
        if self.notify.wants(class) {
            if let Some(e) = events {
                e.key_event(class, event, db, key);
            }
        }
    }

    /// Locks the shard owning `key`.
    pub fn lock_one<'a>(&'a self, db: usize, key: &[u8], now_ms: u64) -> Locked<'a> {
        let i = self.shard_of(key);
        let mut guards = smallvec::SmallVec::new();
        guards.push((i, self.guard(i)));
        Locked::new(self, db, now_ms, guards)
    }

    /// Locks every shard, in order (FLUSHALL, SWAPDB, KEYS, ...).
    pub fn lock_all(&self, db: usize, now_ms: u64) -> Locked<'_> {
        let guards = self
            .shards
            .iter()
            .enumerate()
            .map(|(i, _)| (i, self.guard(i)))
            .collect();
        Locked::new(self, db, now_ms, guards)
    }

    /// Locks one shard by index (incremental work such as SCAN and active expiry).
    pub fn lock_shard(&self, db: usize, shard: usize, now_ms: u64) -> Locked<'_> {
        let mut guards = smallvec::SmallVec::new();
        guards.push((shard, self.guard(shard)));
        Locked::new(self, db, now_ms, guards)
    }

    /// Number of keys in `db` (expired keys not yet reclaimed included, as in Redis's DBSIZE).
    pub fn db_size(&self, db: usize) -> usize {
        self.shards.iter().map(|s| s.lock().dbs[db].len()).sum()
    }

    /// Empties every database, recording nothing (loading replaces the dataset).
    pub fn clear_all(&self, now_ms: u64) {
        let mut all = self.lock_all(0, now_ms);
        for shard in all.all_dbs_mut() {
            for db in shard.dbs.iter_mut() {
                db.clear();
            }
        }
    }

    /// Table overhead per database, (main, expires) in bytes (see `DbShard::overhead_bytes`).
    pub fn overhead_bytes(&self) -> Vec<(usize, usize)> {
        let mut per_db = vec![(0, 0); self.databases];
        for s in self.shards.iter() {
            let s = s.lock();
            for (db, table) in s.dbs.iter().enumerate() {
                let (main, expires) = table.overhead_bytes();
                per_db[db].0 += main;
                per_db[db].1 += expires;
            }
        }
        per_db
    }

    /// Keys in every database (expired keys not yet reclaimed included).
    pub fn key_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().dbs.iter().map(|d| d.len()).sum::<usize>())
            .sum()
    }

    /// (keys, keys with a TTL) of `db`, for INFO keyspace.
    pub fn db_counts(&self, db: usize) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(k, v), s| {
            let s = s.lock();
            (k + s.dbs[db].len(), v + s.dbs[db].volatile.len())
        })
    }
}
