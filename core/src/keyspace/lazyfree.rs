//! Lazy freeing, as Redis 7.0's lazyfree.c: values taken out of the keyspace that cost many
//! allocations to free are handed to the host's background freer
//! ([`Host::free_in_background`]) instead of being freed by the command that removed them.
//!
//! Which removals may be lazy: UNLINK and FLUSHALL/FLUSHDB ASYNC always; the others as the
//! `lazyfree-lazy-*` options say ([`Release`]). Even then a value is freed on the spot unless
//! its free effort (Redis's lazyfreeGetFreeEffort, counted on lode's structures by
//! [`free_effort`]) exceeds [`LAZYFREE_THRESHOLD`]: freeing a few allocations in place is
//! cheaper than handing them over. A whole emptied database goes as one job counted by its
//! keys, whatever their size, as Redis's emptyDbAsync.
//!
//! INFO's `lazyfree_pending_objects` counts what was handed over and not yet freed,
//! `lazyfreed_objects` what the freer has freed (CONFIG RESETSTAT zeroes it). The job itself
//! updates both once the freer dropped its contents, so a host that frees inline (the default)
//! counts at once and one that defers counts when it really frees.

use super::value::Value;
use crate::config::Config;
use crate::host::Host;
use crate::sync::{Arc, AtomicU64, AtomicUsize, Ordering};
use crate::types::{hash::Hash, set::Set, zset::ZSet};

/// A value is freed lazily only when its free effort exceeds this (Redis's
/// LAZYFREE_THRESHOLD).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Why a value leaves the keyspace: which `lazyfree-lazy-*` option decides whether it may be
/// freed off the serving path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// UNLINK, FLUSHALL/FLUSHDB ASYNC: always.
    Unlink = 0,
    /// maxmemory eviction: `lazyfree-lazy-eviction`.
    Eviction = 1,
    /// Expiry, lazy or active, and EXPIRE/GETEX with a time already past:
    /// `lazyfree-lazy-expire`.
    Expire = 2,
    /// A delete the command implies (a value overwritten, RENAME's or COPY's destination, an
    /// empty *STORE result, RESTORE REPLACE, MIGRATE): `lazyfree-lazy-server-del`.
    ServerDel = 3,
    /// DEL and GETDEL: `lazyfree-lazy-user-del`.
    UserDel = 4,
    /// FLUSHALL and FLUSHDB without SYNC or ASYNC: `lazyfree-lazy-user-flush`.
    UserFlush = 5,
}

/// The lazy-free options in force and the counters INFO reports.
pub struct LazyFree {
    /// One bit per [`Release`] that may be lazy (UNLINK's always set).
    lazy: AtomicUsize,
    counters: Arc<Counters>,
}

/// Counters shared with the jobs in flight.
#[derive(Default)]
struct Counters {
    /// Objects handed over and not yet freed (`lazyfree_pending_objects`).
    pending: AtomicU64,
    /// Objects freed in the background (`lazyfreed_objects`).
    freed: AtomicU64,
}

impl Default for LazyFree {
    fn default() -> Self {
        LazyFree {
            lazy: AtomicUsize::new(bit(Release::Unlink)),
            counters: Arc::new(Counters::default()),
        }
    }
}

fn bit(why: Release) -> usize {
    1 << why as usize
}

impl LazyFree {
    /// Takes the `lazyfree-lazy-*` options from `config`.
    pub fn configure(&self, config: &Config) {
        let mut lazy = bit(Release::Unlink);
        for (on, why) in [
            (config.lazyfree_lazy_eviction, Release::Eviction),
            (config.lazyfree_lazy_expire, Release::Expire),
            (config.lazyfree_lazy_server_del, Release::ServerDel),
            (config.lazyfree_lazy_user_del, Release::UserDel),
            (config.lazyfree_lazy_user_flush, Release::UserFlush),
        ] {
            if on {
                lazy |= bit(why);
            }
        }
        self.lazy.store(lazy, Ordering::Relaxed);
    }

    /// Whether values released for `why` may be freed lazily (its option is on).
    #[inline]
    pub fn lazy(&self, why: Release) -> bool {
        self.lazy.load(Ordering::Relaxed) & bit(why) != 0
    }

    /// The command a removal for `why` propagates as: UNLINK when its option is on, DEL
    /// otherwise (expiry, EXPIRE in the past, GETEX, GETDEL, as Redis rewrites them).
    pub fn del_command(&self, why: Release) -> &'static [u8] {
        if self.lazy(why) {
            b"UNLINK"
        } else {
            b"DEL"
        }
    }

    /// Frees `value`: through `host`'s background freer if its free effort exceeds the
    /// threshold (counted as one pending object until freed), here otherwise, as Redis's
    /// freeObjAsync. True if it was handed over. Whether this removal may be lazy at all is
    /// the caller's decision ([`LazyFree::lazy`]); the keyspace's own removals go through
    /// [`super::Keyspace::release`], which decides.
    pub fn free(&self, host: &dyn Host, value: Value) -> bool {
        if !heavy(&value) {
            return false;
        }
        self.hand_over(host, value, 1);
        true
    }

    /// Hands `garbage`, the tables of emptied databases holding `keys` keys, to `host`'s
    /// background freer as one job counted as `keys` objects, however small (Redis's
    /// emptyDbAsync and lazyfreeFreeDatabase).
    pub fn free_tables<T: Send + 'static>(&self, host: &dyn Host, garbage: T, keys: u64) {
        self.hand_over(host, garbage, keys);
    }

    fn hand_over<T: Send + 'static>(&self, host: &dyn Host, garbage: T, count: u64) {
        self.counters.pending.fetch_add(count, Ordering::Relaxed);
        host.free_in_background(Box::new(Job {
            garbage: Some(garbage),
            count,
            counters: Arc::clone(&self.counters),
        }));
    }

    /// Objects handed over and not yet freed (INFO `lazyfree_pending_objects`).
    pub fn pending(&self) -> u64 {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// Objects freed in the background since the start or the last CONFIG RESETSTAT (INFO
    /// `lazyfreed_objects`).
    pub fn freed(&self) -> u64 {
        self.counters.freed.load(Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT: zeroes `lazyfreed_objects` (the pending count stays, as in Redis).
    pub fn reset_stats(&self) {
        self.counters.freed.store(0, Ordering::Relaxed);
    }
}

/// What the background freer drops: the garbage, then the counters move.
struct Job<T> {
    garbage: Option<T>,
    count: u64,
    counters: Arc<Counters>,
}

impl<T> Drop for Job<T> {
    fn drop(&mut self) {
        drop(self.garbage.take());
        self.counters
            .pending
            .fetch_sub(self.count, Ordering::Relaxed);
        self.counters.freed.fetch_add(self.count, Ordering::Relaxed);
    }
}

/// Whether freeing `value` is worth handing over: its effort exceeds the threshold.
#[inline]
pub fn heavy(value: &Value) -> bool {
    free_effort(value) > LAZYFREE_THRESHOLD
}

/// The work freeing `value` takes, in allocations or in a number proportional to them, as
/// Redis's lazyfreeGetFreeEffort counts it: a list's chunks (quicklist nodes), the elements
/// of a hash, set or sorted set in its table encoding, a stream's radix tree nodes plus its
/// consumer groups and their PELs (see `Stream::free_effort`); 1 for anything made of a
/// single allocation (strings, listpacks, intsets). A stream's count is exact only up to just
/// past the threshold.
pub fn free_effort(value: &Value) -> usize {
    match value {
        Value::List(l) => l.chunk_count(),
        Value::Hash(h) if matches!(**h, Hash::Table(_)) => h.len(),
        Value::Set(s) if matches!(**s, Set::Table(_)) => s.len(),
        Value::ZSet(z) if matches!(**z, ZSet::Sorted(_)) => z.len(),
        Value::Stream(s) => s.free_effort(LAZYFREE_THRESHOLD),
        _ => 1,
    }
}
