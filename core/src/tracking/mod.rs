//! Client-side caching (Redis's tracking.c): which clients may hold which keys, and the
//! invalidation messages a write sends them (docs/ARCHITECTURE.md, "Client-side caching").
//!
//! Keys a tracking client reads are remembered in the tracking table (key → client ids) while
//! the read's shard locks are still held, and a write invalidates under its own shard locks,
//! so a read and a write of one key are ordered: either the read registered first and the
//! write invalidates it, or the write came first and the read saw the new value. Messages go
//! through the target's [`Mailbox`](crate::client::Mailbox), as pub/sub messages do, so a
//! client's own invalidations always follow the reply of the command that caused them.

pub mod commands;
mod flags;
mod message;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;

use crate::client::{ClientHandle, ClientRegistry};
use crate::sync::{AtomicUsize, Mutex, Ordering};

pub use flags::{ClientTracking, TrackingFlags};

/// One BCAST prefix: its clients, and the keys under it modified since the last broadcast,
/// each with the id of the client that last modified it (for NOLOOP).
#[derive(Default)]
struct Prefix {
    clients: Vec<Arc<ClientHandle>>,
    keys: BTreeMap<Bytes, u64>,
}

/// The server-wide tracking state.
#[derive(Default)]
pub struct Tracking {
    /// Key → ids of the clients that may cache it (default mode).
    table: Mutex<HashMap<Bytes, Vec<u64>>>,
    /// Prefix → its BCAST state.
    prefixes: Mutex<BTreeMap<Bytes, Prefix>>,
    /// Clients with tracking on (INFO tracking_clients).
    clients: AtomicUsize,
    /// Keys in the table plus prefixes: a write looks no further when both are zero.
    entries: AtomicUsize,
    /// Client ids in the table, summed over keys (INFO tracking_total_items).
    items: AtomicUsize,
    /// Keys modified under some prefix since the last broadcast.
    pending: AtomicUsize,
}

impl Tracking {
    /// Whether a write has anything to invalidate (one load on every write).
    #[inline]
    pub fn active(&self) -> bool {
        self.entries.load(Ordering::Relaxed) != 0
    }

    /// INFO's tracking_clients.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// INFO's tracking_total_keys, tracking_total_items and tracking_total_prefixes.
    pub fn totals(&self) -> (usize, usize, usize) {
        let keys = self.table.lock().len();
        (
            keys,
            self.items.load(Ordering::Relaxed),
            self.prefixes.lock().len(),
        )
    }

    fn recount(&self, table: &HashMap<Bytes, Vec<u64>>, prefixes: usize) {
        self.entries
            .store(table.len() + prefixes, Ordering::Relaxed);
    }

    /// Client `id` read `keys`: it is told when any of them changes. Past
    /// `tracking-table-max-keys` keys, keys are dropped from the table and their clients
    /// told as if they had changed.
    pub fn remember(&self, clients: &ClientRegistry, id: u64, keys: &[&[u8]], max_keys: usize) {
        let mut table = self.table.lock();
        for key in keys {
            let ids = table.entry(Bytes::copy_from_slice(key)).or_default();
            if !ids.contains(&id) {
                ids.push(id);
                self.items.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.evict_in(&mut table, clients, max_keys);
    }

    /// Drops keys from the table, telling their clients as if the keys had changed, until at
    /// most `max_keys` remain (`tracking-table-max-keys`; 0 = no limit). Run after every
    /// remembering read, before every command (as Redis's processCommand does) and by the
    /// cron, so lowering the limit takes effect without a read.
    pub fn evict(&self, clients: &ClientRegistry, max_keys: usize) {
        // `entries` (keys and prefixes) bounds the table's size from above: when it is within
        // the limit, no lock is taken.
        if max_keys > 0 && self.entries.load(Ordering::Relaxed) > max_keys {
            self.evict_in(&mut self.table.lock(), clients, max_keys);
        }
    }

    fn evict_in(&self, table: &mut HashMap<Bytes, Vec<u64>>, clients: &ClientRegistry, max: usize) {
        while max > 0 && table.len() > max {
            let Some(victim) = table.keys().next().cloned() else {
                break;
            };
            self.invalidate_in(table, clients, &victim, None);
        }
        let prefixes = self.prefixes.lock().len();
        self.recount(table, prefixes);
    }

    /// `key` changed (or expired, when `writer` is None): its default-mode clients are told
    /// and forgotten, and BCAST prefixes covering it note it for the next broadcast.
    pub fn invalidate(&self, clients: &ClientRegistry, key: &[u8], writer: Option<u64>) {
        {
            let mut prefixes = self.prefixes.lock();
            for (prefix, state) in prefixes.iter_mut() {
                if key.starts_with(prefix) {
                    state
                        .keys
                        .insert(Bytes::copy_from_slice(key), writer.unwrap_or(0));
                    self.pending.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let mut table = self.table.lock();
        if table.contains_key(key) {
            self.invalidate_in(&mut table, clients, key, writer);
            let prefixes = self.prefixes.lock().len();
            self.recount(&table, prefixes);
        }
    }

    fn invalidate_in(
        &self,
        table: &mut HashMap<Bytes, Vec<u64>>,
        clients: &ClientRegistry,
        key: &[u8],
        writer: Option<u64>,
    ) {
        let Some(ids) = table.remove(key) else {
            return;
        };
        self.items.fetch_sub(ids.len(), Ordering::Relaxed);
        for id in ids {
            let Some(target) = clients.get(id) else {
                continue;
            };
            let flags = target.tracking.flags();
            if !flags.has(TrackingFlags::ON) || flags.has(TrackingFlags::BCAST) {
                continue;
            }
            if flags.has(TrackingFlags::NOLOOP) && writer == Some(id) {
                continue;
            }
            message::send(clients, &target, &message::keys(&[key]));
        }
    }

    /// FLUSHDB / FLUSHALL: every tracking client is told that all its keys are invalid (a
    /// null), and the table is emptied.
    pub fn invalidate_all(&self, clients: &ClientRegistry) {
        if self.clients() > 0 {
            for target in clients.snapshot() {
                if target.tracking.flags().has(TrackingFlags::ON) {
                    let null = message::null(target.resp.load(Ordering::Relaxed) == 3);
                    message::send(clients, &target, &null);
                }
            }
        }
        let mut table = self.table.lock();
        table.clear();
        self.items.store(0, Ordering::Relaxed);
        let prefixes = self.prefixes.lock().len();
        self.recount(&table, prefixes);
    }

    /// Sends each BCAST prefix's modified keys to its clients, in one message per prefix,
    /// and starts collecting afresh (Redis does this before sleeping; lode after the command
    /// that modified them).
    pub fn broadcast(&self, clients: &ClientRegistry) {
        if self.pending.swap(0, Ordering::Relaxed) == 0 {
            return;
        }
        let mut prefixes = self.prefixes.lock();
        for state in prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            let all: Vec<&[u8]> = keys.keys().map(|k| &k[..]).collect();
            let everything = message::keys(&all);
            for target in &state.clients {
                if target.tracking.flags().has(TrackingFlags::NOLOOP) {
                    let theirs: Vec<&[u8]> = keys
                        .iter()
                        .filter(|(_, writer)| **writer != target.id)
                        .map(|(k, _)| &k[..])
                        .collect();
                    if !theirs.is_empty() {
                        message::send(clients, target, &message::keys(&theirs));
                    }
                } else {
                    message::send(clients, target, &everything);
                }
            }
        }
    }

    /// Turns tracking on for `client` (with `prefixes` in BCAST mode).
    pub fn enable(&self, client: &Arc<ClientHandle>, was_on: bool, prefixes: &[Bytes]) {
        if !was_on {
            self.clients.fetch_add(1, Ordering::Relaxed);
        }
        let mut table = self.prefixes.lock();
        for prefix in prefixes {
            let state = table.entry(prefix.clone()).or_default();
            if !state.clients.iter().any(|c| c.id == client.id) {
                state.clients.push(client.clone());
            }
        }
        let n = table.len();
        drop(table);
        self.recount(&self.table.lock(), n);
    }

    /// Turns tracking off for `client`, leaving its BCAST `prefixes`. Its entries in the
    /// table are dropped lazily, when their keys are next invalidated.
    pub fn disable(&self, client: &ClientHandle, prefixes: &[Bytes]) {
        self.clients.fetch_sub(1, Ordering::Relaxed);
        let mut table = self.prefixes.lock();
        for prefix in prefixes {
            if let Some(state) = table.get_mut(prefix) {
                state.clients.retain(|c| c.id != client.id);
                if state.clients.is_empty() {
                    table.remove(prefix);
                }
            }
        }
        let n = table.len();
        drop(table);
        self.recount(&self.table.lock(), n);
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
