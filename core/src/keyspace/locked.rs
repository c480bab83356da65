//! `Locked`: a command's view of the shards it has locked, routing each key to its shard.

use crate::sync::MutexGuard;
use smallvec::SmallVec;

pub use super::access::lru_clock;
use super::access::AccessPolicy;
use super::db::{DbShard, Entry};
use super::events::KeyEvents;
use super::lazyfree::{self, Release};
use super::value::Value;
use super::{Keyspace, Shard};
use crate::config::notify;
use crate::util::small_bytes::SmallBytes;

mod lookup;

/// Random picks RANDOMKEY tries while expiry is held before walking to a live key.
const HELD_RANDOM_TRIES: usize = 100;

/// The shards a command holds, plus the database it works in and the current time.
pub struct Locked<'a> {
    ks: &'a Keyspace,
    /// The database the key methods operate on (commands such as MOVE switch it).
    pub db: usize,
    /// Current time in Unix milliseconds, for lazy expiry.
    pub now_ms: u64,
    /// Whether lookups refresh the key's access time (false under CLIENT NO-TOUCH).
    pub touch: bool,
    /// How access times are kept (LRU clock or LFU counter), as configured when locked.
    pub policy: AccessPolicy,
    /// Where the keyspace notifications this view causes go (expired, new, keymiss); none
    /// for views no client works through (loading, digests).
    events: Option<&'a dyn KeyEvents>,
    guards: SmallVec<[(usize, ShardRef<'a>); 2]>,
}

/// A locked shard: held by the view itself, or lent by a [`LockSet`] that outlives it.
enum ShardRef<'a> {
    Owned(MutexGuard<'a, Shard>),
    Lent(&'a mut Shard),
}

impl std::ops::Deref for ShardRef<'_> {
    type Target = Shard;
    #[inline]
    fn deref(&self) -> &Shard {
        match self {
            ShardRef::Owned(g) => g,
            ShardRef::Lent(s) => s,
        }
    }
}

impl std::ops::DerefMut for ShardRef<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Shard {
        match self {
            ShardRef::Owned(g) => &mut *g,
            ShardRef::Lent(s) => s,
        }
    }
}

/// The shard locks the call boundary holds for the whole of a command: the handler works
/// through a [`Locked`] view borrowed from it, and the boundary records the command's effects
/// before the set (and with it every lock) is dropped.
pub struct LockSet<'a> {
    ks: &'a Keyspace,
    guards: SmallVec<[(usize, MutexGuard<'a, Shard>); 2]>,
}

impl<'a> LockSet<'a> {
    pub(super) fn new(
        ks: &'a Keyspace,
        guards: SmallVec<[(usize, MutexGuard<'a, Shard>); 2]>,
    ) -> Self {
        LockSet { ks, guards }
    }

    /// A view of database `db` over these locks, for as long as the borrow lasts.
    pub fn view(&mut self, db: usize, now_ms: u64) -> Locked<'_> {
        let ks = self.ks;
        let guards = self
            .guards
            .iter_mut()
            .map(|(i, g)| (*i, ShardRef::Lent(g)))
            .collect();
        Locked::with_refs(ks, db, now_ms, guards)
    }

    /// Whether `key` is in `db`'s table (expired or not), if its shard is in the set.
    pub fn present(&self, db: usize, key: &[u8]) -> bool {
        let want = self.ks.shard_of(key);
        self.guards
            .iter()
            .find(|(i, _)| *i == want)
            .is_some_and(|(_, g)| g.dbs[db].peek(key).is_some())
    }
}

impl<'a> Locked<'a> {
    pub(super) fn new(
        ks: &'a Keyspace,
        db: usize,
        now_ms: u64,
        guards: SmallVec<[(usize, MutexGuard<'a, Shard>); 2]>,
    ) -> Self {
        let guards = guards
            .into_iter()
            .map(|(i, g)| (i, ShardRef::Owned(g)))
            .collect();
        Self::with_refs(ks, db, now_ms, guards)
    }

    fn with_refs(
        ks: &'a Keyspace,
        db: usize,
        now_ms: u64,
        guards: SmallVec<[(usize, ShardRef<'a>); 2]>,
    ) -> Self {
        Locked {
            ks,
            db,
            now_ms,
            touch: true,
            policy: ks.access_policy.get(),
            events: None,
            guards,
        }
    }

    /// Reports the keyspace notifications this view causes to `events`.
    pub fn set_events(&mut self, events: &'a dyn KeyEvents) {
        self.events = Some(events);
    }

    /// Publishes the keyspace notification `event` of `class` about `key` of the current
    /// database, if that class is on: for helpers that work through the view without the
    /// command's `Ctx` (which has `Ctx::notify`).
    #[inline]
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        self.ks.event(self.events, class, event, self.db, key);
    }

    /// The keyspace these locks belong to.
    pub fn keyspace(&self) -> &'a Keyspace {
        self.ks
    }

    fn position(&self, key: &[u8]) -> usize {
        // One shard held (every single-key command): the key is in it, so no need to hash the
        // key again, which would cost a CRC16 per access.
        if self.guards.len() == 1 {
            debug_assert_eq!(
                self.guards[0].0,
                self.ks.shard_of(key),
                "key's shard was not locked by its command"
            );
            return 0;
        }
        let want = self.ks.shard_of(key);
        if self.guards.len() == self.ks.shard_count() {
            return want;
        }
        match self.guards.iter().position(|(i, _)| *i == want) {
            Some(p) => p,
            None => panic!("key's shard {want} was not locked by its command"),
        }
    }

    /// The locked database shard owning `key`.
    ///
    /// Panics if the command did not lock the key's shard: that is a bug in the command's key
    /// declaration, never something a client can cause.
    pub fn shard_mut(&mut self, key: &[u8]) -> &mut DbShard {
        let pos = self.position(key);
        let db = self.db;
        &mut self.guards[pos].1.dbs[db]
    }

    /// Every locked shard's table for the current database.
    pub fn shards_mut(&mut self) -> impl Iterator<Item = &mut DbShard> + use<'_, 'a> {
        let db = self.db;
        self.guards.iter_mut().map(move |(_, g)| &mut g.dbs[db])
    }

    /// Every locked shard, all databases (SWAPDB, FLUSHALL).
    pub fn all_dbs_mut(&mut self) -> impl Iterator<Item = &mut Shard> + use<'_, 'a> {
        self.guards.iter_mut().map(|(_, g)| &mut **g)
    }

    /// Sets `key` to `value` with no TTL (SET without KEEPTTL).
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.put(key, value, 0);
    }

    /// Sets `key` to `value` with an absolute expiry (0 = none).
    pub fn put(&mut self, key: &[u8], value: Value, expire_at: u64) {
        self.reclaim_if_expired(key);
        let access = self.write_access(key);
        self.signal_if_blockable(key, &value);
        let replaced = self.release_overwritten(key);
        if self.shard_mut(key).put(key, value, expire_at, access) && !replaced {
            self.notify(notify::NEW, "new", key);
        }
    }

    /// Lets go of `value`, taken out of the keyspace for `why`: freed in the background if
    /// `why`'s `lazyfree-lazy-*` option is on and it is heavy, here otherwise
    /// ([`Keyspace::release`]).
    pub fn release(&self, value: Value, why: Release) {
        self.ks.release(value, why, self.events);
    }

    /// Before `key` is overwritten, under `lazyfree-lazy-server-del`: takes its live value out
    /// of the table if it is heavy, and releases it to the background freer (Redis's
    /// dbOverwrite). True if it did, so the write that follows is still an overwrite.
    fn release_overwritten(&mut self, key: &[u8]) -> bool {
        if !self.ks.lazyfree.lazy(Release::ServerDel) {
            return false;
        }
        let shard = self.shard_mut(key);
        if !shard.peek(key).is_some_and(|e| lazyfree::heavy(&e.value)) {
            return false;
        }
        let Some(old) = shard.remove(key) else {
            return false;
        };
        self.release(old.value, Release::ServerDel);
        true
    }

    /// Lazy expiry of a heavy value under `lazyfree-lazy-expire`: the tables' own lazy expiry
    /// frees an expired value where it finds it, so one worth freeing in the background is
    /// taken out first (with its `expired` record and notification) and released.
    fn expire_heavy(&mut self, key: &[u8]) {
        let (now, ks, db, events) = (self.now_ms, self.ks, self.db, self.events);
        if !ks.lazyfree.lazy(Release::Expire) {
            return;
        }
        let shard = self.shard_mut(key);
        let stale = shard
            .peek(key)
            .is_some_and(|e| e.is_expired(now) && lazyfree::heavy(&e.value));
        if !stale || ks.pause.holds_expiry(now) {
            return;
        }
        if let Some(old) = shard.remove(key) {
            ks.expired(db, key, events);
            ks.release(old.value, Release::Expire, events);
        }
    }

    /// Lazy expiry before a whole-value write: Redis's setKey looks the key up for writing
    /// first, so an expired key is reclaimed (`expired`, its DEL) and the write creates it anew
    /// (`new`), rather than the write silently replacing the stale entry.
    fn reclaim_if_expired(&mut self, key: &[u8]) {
        self.expire_heavy(key);
        let (now, ks, db, events) = (self.now_ms, self.ks, self.db, self.events);
        let mut expired = 0;
        self.shard_mut(key).find(key, now, &mut expired);
        if expired > 0 {
            ks.expired(db, key, events);
        }
    }

    /// The access field a write to `key` leaves on it: the time of a new object under LRU.
    /// Under LFU the key's access is counted (unless the client has NO-TOUCH) and a value
    /// that replaces a live one inherits its counter, as Redis's overwrite does; a new key
    /// starts at the initial count. This costs LFU an extra lookup of the key.
    fn write_access(&mut self, key: &[u8]) -> u32 {
        let (now, policy, touch, ks) = (self.now_ms, self.policy, self.touch, self.ks);
        if !policy.lfu {
            return policy.fresh(now);
        }
        match self.shard_mut(key).peek(key) {
            Some(e) if !e.is_expired(now) && touch => {
                policy.touched(e.access, now, || ks.lfu_random.next_f64())
            }
            Some(e) if !e.is_expired(now) => e.access,
            _ => policy.fresh(now),
        }
    }

    /// Stores a whole entry (value, expiry and access time) under `key`, replacing any old one:
    /// RENAME and MOVE carry an entry over unchanged.
    pub fn put_entry(&mut self, key: &[u8], entry: Entry) {
        self.reclaim_if_expired(key);
        self.signal_if_blockable(key, &entry.value);
        let replaced = self.release_overwritten(key);
        let created = self
            .shard_mut(key)
            .put(key, entry.value, entry.expire_at, entry.access);
        if created && !replaced {
            self.notify(notify::NEW, "new", key);
        }
    }

    /// A uniformly random live key among the locked shards of the current database; expired keys
    /// met on the way are reclaimed, as Redis's RANDOMKEY does. `pick(n)` returns a number in
    /// `0..n`. While CLIENT PAUSE holds expiry, expired keys stay and are passed over (after a
    /// few misses, by a walk to the first live key).
    pub fn random_key(&mut self, mut pick: impl FnMut(usize) -> usize) -> Option<SmallBytes> {
        let now = self.now_ms;
        let ks = self.ks;
        let db = self.db;
        let events = self.events;
        let held = ks.pause.holds_expiry(now);
        let mut misses = 0;
        let found = loop {
            let total: usize = self.guards.iter().map(|(_, g)| g.dbs[db].len()).sum();
            if total == 0 {
                break None;
            }
            // Weighting by shard size keeps the choice uniform over keys, not over shards.
            let mut r = pick(total).min(total - 1);
            let Some(shard) = self
                .guards
                .iter_mut()
                .map(|(_, g)| &mut g.dbs[db])
                .find(|d| {
                    if r < d.len() {
                        true
                    } else {
                        r -= d.len();
                        false
                    }
                })
            else {
                break None;
            };
            let Some((key, entry)) = shard.get_index(r) else {
                break None;
            };
            let key = SmallBytes::new(key);
            if entry.is_expired(now) && held {
                // Redis would sample forever if every key had expired: stop guessing.
                misses += 1;
                if misses < HELD_RANDOM_TRIES {
                    continue;
                }
                break self.first_live_key();
            }
            if entry.is_expired(now) {
                if let Some(old) = shard.remove(&key) {
                    ks.expired(db, &key, events);
                    ks.release(old.value, Release::Expire, events);
                }
                continue;
            }
            break Some(key);
        };
        found
    }

    /// The first key of the locked shards of the current database that has not expired.
    fn first_live_key(&mut self) -> Option<SmallBytes> {
        let now = self.now_ms;
        self.shards_mut().find_map(|d| {
            d.iter()
                .find(|(_, e)| !e.is_expired(now))
                .map(|(k, _)| k.into())
        })
    }

    /// Tells clients blocked on `key` (BLPOP, BZPOPMIN, ...) that it may now hold data: call it
    /// whenever a command adds elements to a list or sorted set (creating it or not). The clients
    /// are served after the current command (after EXEC for a transaction).
    #[inline]
    pub fn signal_ready(&mut self, key: &[u8]) {
        self.ks.blocking.signal(self.db, key);
    }

    /// Signals `key` ready when it is written whole (RENAME, MOVE, COPY, the *STORE commands,
    /// SET): a list, sorted set or stream may now serve its waiters, and a stream's group
    /// readers must learn that the stream they waited on is gone. Cheap when nobody waits.
    #[inline]
    fn signal_if_blockable(&mut self, key: &[u8], _value: &Value) {
        self.signal_ready(key);
    }

    /// The number of elements of the list or sorted set at `key` (0 for anything else): what a
    /// pop with a count really takes, for its propagated form.
    pub fn collection_len(&mut self, key: &[u8]) -> usize {
        match self.get(key).map(|e| &e.value) {
            Some(Value::List(l)) => l.len(),
            Some(Value::ZSet(z)) => z.len(),
            _ => 0,
        }
    }

    /// Deletes `key` whether or not its TTL has passed, as Redis's dbDelete does where a
    /// command deletes without looking the key up first (an empty *STORE result, RESTORE
    /// REPLACE): an expired key then counts as deleted, not as expired. True if it was there.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.signal_ready(key);
        let Some(old) = self.shard_mut(key).remove(key) else {
            return false;
        };
        self.release(old.value, Release::ServerDel);
        true
    }

    /// Deletes `key`, returning its entry if it was live.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        self.get(key)?;
        // Stream group readers blocked on it are told it is gone.
        self.signal_ready(key);
        self.shard_mut(key).remove(key)
    }

    /// Sets (or with 0 clears) the expiry of a live key; false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], expire_at: u64) -> bool {
        if self.get(key).is_none() {
            return false;
        }
        self.shard_mut(key).set_expire(key, expire_at)
    }
}
