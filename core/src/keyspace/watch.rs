//! WATCH bookkeeping: which clients watch which keys of which database, and the rules (Redis
//! 7.0's multi.c) by which a change to a key makes their next EXEC fail.
//!
//! Keys are touched by the call boundary (the keys a write command modified), by expiry (a
//! watched key that expires is a change, unless it was already stale when watched) and by
//! FLUSHDB, FLUSHALL and SWAPDB (only keys that exist, or for SWAPDB change existence). Every
//! toucher holds the shard lock of the key it touches, so a watcher's check at EXEC (under the
//! exec gate) sees every change made before it.

use std::collections::HashMap;

use crate::sync::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::util::small_bytes::SmallBytes;

/// What others may read of one client's watches (CLIENT LIST's flag `d` and its memory
/// figures): shared by the client's `Watched`, its watched keys and its registry entry.
#[derive(Debug, Default)]
pub struct WatchState {
    /// A watched key was touched since it was watched (Redis's CLIENT_DIRTY_CAS).
    dirty: AtomicBool,
    /// How many keys the client watches.
    keys: AtomicUsize,
}

impl WatchState {
    /// Whether a watched key was touched since it was watched: the next EXEC fails.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed)
    }

    /// How many keys the client watches.
    pub fn keys(&self) -> usize {
        self.keys.load(Ordering::Relaxed)
    }
}

/// One client's watch on one key.
struct WatchedKey {
    /// The client's watch state (its dirty flag is shared by all its watched keys).
    state: Arc<WatchState>,
    /// The key was logically expired (but not yet deleted) when watched: its deletion is no
    /// change, and EXEC does not count it as expired.
    expired: AtomicBool,
}

/// The watches on each (database, key).
type WatchMap = HashMap<(usize, SmallBytes), Vec<Arc<WatchedKey>>>;

/// For SWAPDB: whether a key is in the database taking the emptied one's place, and whether it
/// is there but logically expired.
pub type ReplacedBy<'a> = &'a dyn Fn(&[u8]) -> (bool, bool);

/// Which clients watch which keys, server-wide.
#[derive(Default)]
pub struct WatchRegistry {
    watching: AtomicUsize,
    keys: Mutex<WatchMap>,
}

/// The keys one client watches.
#[derive(Default)]
pub struct Watched {
    state: Arc<WatchState>,
    keys: Vec<(usize, SmallBytes, Arc<WatchedKey>)>,
}

impl Watched {
    /// No watched keys, reporting through `state` (the client's registry entry reads it).
    pub fn sharing(state: Arc<WatchState>) -> Self {
        Watched {
            state,
            keys: Vec::new(),
        }
    }

    /// Whether a watched key was touched since it was watched.
    pub fn is_dirty(&self) -> bool {
        self.state.is_dirty()
    }

    /// Whether the client watches anything.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The watched (database, key) pairs whose watch did not start on an already-stale key:
    /// EXEC fails if one of them has expired since.
    pub fn live_keys(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.keys
            .iter()
            .filter(|(_, _, wk)| !wk.expired.load(Ordering::Relaxed))
            .map(|(db, key, _)| (*db, &key[..]))
    }
}

impl WatchRegistry {
    /// Whether anyone watches anything (lets writers skip the registry).
    #[inline]
    pub fn any(&self) -> bool {
        self.watching.load(Ordering::Relaxed) > 0
    }

    /// Adds `key` of `db` to `w` (once); `stale` says it is present but logically expired.
    /// Call with the key's shard lock held.
    pub fn watch(&self, w: &mut Watched, db: usize, key: &[u8], stale: bool) {
        if w.keys.iter().any(|(d, k, _)| *d == db && **k == *key) {
            return;
        }
        let key = SmallBytes::new(key);
        let wk = Arc::new(WatchedKey {
            state: w.state.clone(),
            expired: AtomicBool::new(stale),
        });
        let mut map = self.keys.lock();
        map.entry((db, key.clone())).or_default().push(wk.clone());
        self.watching.store(map.len(), Ordering::Relaxed);
        w.keys.push((db, key, wk));
        w.state.keys.store(w.keys.len(), Ordering::Relaxed);
    }

    /// Stops watching everything and clears the dirty flag (UNWATCH, EXEC, DISCARD, RESET,
    /// disconnect).
    pub fn clear(&self, w: &mut Watched) {
        if !w.keys.is_empty() {
            let mut map = self.keys.lock();
            for (db, key, wk) in w.keys.drain(..) {
                let k = (db, key);
                if let Some(list) = map.get_mut(&k) {
                    list.retain(|x| !Arc::ptr_eq(x, &wk));
                    if list.is_empty() {
                        map.remove(&k);
                    }
                }
            }
            self.watching.store(map.len(), Ordering::Relaxed);
        }
        w.state.dirty.store(false, Ordering::Relaxed);
        w.state.keys.store(0, Ordering::Relaxed);
    }

    /// A command modified (or expiry deleted) `key` of `db`; `present` says whether the key is
    /// in the table afterwards. Call with the key's shard lock held.
    pub fn touch(&self, db: usize, key: &[u8], present: bool) {
        if !self.any() {
            return;
        }
        let map = self.keys.lock();
        let Some(list) = map.get(&(db, SmallBytes::new(key))) else {
            return;
        };
        for wk in list {
            if wk.expired.load(Ordering::Relaxed) && !present {
                // The stale key it watched is now deleted: logically no change.
                wk.expired.store(false, Ordering::Relaxed);
                continue;
            }
            wk.state.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// `db` is emptied (FLUSHDB, FLUSHALL) or, with `replaced`, swapped with another database
    /// (SWAPDB). `in_emptied(key)` says whether `key` is in `db`'s table now; `replaced` gives,
    /// for the database taking its place, (whether the key is in its table, whether it is
    /// there but logically expired). Call before the change, with every shard locked.
    pub fn touch_emptied(
        &self,
        db: usize,
        mut in_emptied: impl FnMut(&[u8]) -> bool,
        replaced: Option<ReplacedBy<'_>>,
    ) {
        if !self.any() {
            return;
        }
        let map = self.keys.lock();
        for ((d, key), list) in map.iter() {
            if *d != db {
                continue;
            }
            let exists = in_emptied(key);
            let (in_replaced, replaced_stale) = replaced.map_or((false, false), |r| r(key));
            if !exists && !in_replaced {
                continue;
            }
            for wk in list {
                if wk.expired.load(Ordering::Relaxed) {
                    if !in_replaced {
                        wk.expired.store(false, Ordering::Relaxed);
                        continue;
                    } else if replaced_stale {
                        continue;
                    }
                } else if !exists && replaced_stale {
                    wk.expired.store(true, Ordering::Relaxed);
                    continue;
                }
                wk.state.dirty.store(true, Ordering::Relaxed);
            }
        }
    }
}
