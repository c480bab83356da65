//! `BlockingRegistry`: which clients wait on which keys, in the order they blocked, and which
//! keys have been signalled ready since the last service.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;

use crate::client::Waiter;
use crate::sync::{AtomicBool, AtomicUsize, Mutex, MutexGuard, Ordering};

/// A key in one database.
type DbKey = (usize, Bytes);

#[derive(Default)]
struct Queues {
    /// Waiters per key, oldest first.
    by_key: HashMap<DbKey, VecDeque<Arc<Waiter>>>,
    /// Keys signalled ready, in signal order, each once.
    ready: Vec<DbKey>,
}

/// The blocked clients of a server.
#[derive(Default)]
pub struct BlockingRegistry {
    queues: Mutex<Queues>,
    /// Number of registered waiters: lets `signal` skip the lock when nobody waits.
    waiting: AtomicUsize,
    /// Clients whose command waits for CLIENT PAUSE to end: Redis counts them blocked.
    paused: AtomicUsize,
    /// Whether `ready` may be non-empty: lets sessions skip service after most commands.
    has_ready: AtomicBool,
    /// Held while serving, so that a command's reply is sent only after every client its
    /// writes made ready has been served, even when another thread is serving.
    serving: Mutex<()>,
}

impl BlockingRegistry {
    /// Number of blocked clients (INFO `blocked_clients`): those waiting on keys and those
    /// held back by CLIENT PAUSE.
    pub fn blocked_clients(&self) -> usize {
        self.waiting.load(Ordering::Relaxed) + self.paused.load(Ordering::Relaxed)
    }

    /// A client's command began (`true`) or stopped (`false`) waiting for a pause to end.
    pub fn count_paused(&self, paused: bool) {
        if paused {
            self.paused.fetch_add(1, Ordering::Relaxed);
        } else {
            self.paused.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Number of distinct keys with waiters (INFO `total_blocking_keys` in later Redis).
    pub fn blocking_keys(&self) -> usize {
        self.queues.lock().by_key.len()
    }

    /// Registers `w` on each of its keys. Call while holding the keys' shard locks.
    pub fn add(&self, w: &Arc<Waiter>) {
        let mut q = self.queues.lock();
        for key in &w.keys {
            q.by_key
                .entry((w.db, key.clone()))
                .or_default()
                .push_back(w.clone());
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
    }

    /// Unregisters `w` from all its keys (no-op if it is not registered).
    pub fn remove(&self, w: &Arc<Waiter>) {
        let mut q = self.queues.lock();
        let mut found = false;
        for key in &w.keys {
            let dk = (w.db, key.clone());
            if let Some(list) = q.by_key.get_mut(&dk) {
                if let Some(pos) = list.iter().position(|x| Arc::ptr_eq(x, w)) {
                    list.remove(pos);
                    found = true;
                }
                if list.is_empty() {
                    q.by_key.remove(&dk);
                }
            }
        }
        if found {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Marks `key` of `db` ready if any client waits on it.
    #[inline]
    pub fn signal(&self, db: usize, key: &[u8]) {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.signal_slow(db, key);
    }

    #[cold]
    fn signal_slow(&self, db: usize, key: &[u8]) {
        let mut q = self.queues.lock();
        let dk = (db, Bytes::copy_from_slice(key));
        if q.by_key.contains_key(&dk) && !q.ready.contains(&dk) {
            q.ready.push(dk);
            self.has_ready.store(true, Ordering::Release);
        }
    }

    /// Marks every key of `dbs` that has waiters ready (SWAPDB, FLUSHALL: any of them may now
    /// hold data, or the waiters must at least look again).
    pub fn signal_dbs(&self, dbs: &[usize]) {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut q = self.queues.lock();
        let keys: Vec<DbKey> = q
            .by_key
            .keys()
            .filter(|(db, _)| dbs.contains(db))
            .cloned()
            .collect();
        for dk in keys {
            if !q.ready.contains(&dk) {
                q.ready.push(dk);
            }
        }
        if !q.ready.is_empty() {
            self.has_ready.store(true, Ordering::Release);
        }
    }

    /// Whether some key may be ready.
    #[inline]
    pub fn has_ready(&self) -> bool {
        self.has_ready.load(Ordering::Acquire)
    }

    /// The oldest signalled key, removed from the ready list.
    pub(super) fn take_ready(&self) -> Option<DbKey> {
        let mut q = self.queues.lock();
        if q.ready.is_empty() {
            self.has_ready.store(false, Ordering::Release);
            return None;
        }
        Some(q.ready.remove(0))
    }

    /// The waiters on `key`, oldest first (a snapshot).
    pub(super) fn waiters(&self, key: &DbKey) -> Vec<Arc<Waiter>> {
        let q = self.queues.lock();
        q.by_key
            .get(key)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Takes the service lock.
    pub(super) fn serve_lock(&self) -> MutexGuard<'_, ()> {
        self.serving.lock()
    }
}
