//! Client eviction (`maxmemory-clients`), as Redis 7.0's evictClients: when the memory held by
//! normal and pub/sub clients reaches the limit, the biggest evictable clients are closed
//! until it is under the limit again. Clients with CLIENT NO-EVICT on, and replicas, are never
//! closed (their memory still counts, as in Redis).
//!
//! Redis keeps clients in memory-size buckets updated as buffers change; lode adds up the
//! clients' counters (the ones CLIENT LIST's `tot-mem` reads) instead, at most once per
//! millisecond of the command clock and on every tick, which keeps the cost per command flat
//! however many clients are connected.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::admin::client_line::total_memory;
use crate::client::{ClientClass, ClientHandle};
use crate::server::Server;

/// Redis's floor on the limit, so a tiny setting cannot lock every client out.
const MIN_LIMIT: u64 = 128 * 1024;

/// Client eviction's bookkeeping.
#[derive(Debug, Default)]
pub struct ClientEviction {
    /// Clients closed for memory (INFO `evicted_clients`).
    pub evicted: AtomicU64,
    /// The limit in bytes, from the configuration (0: client eviction is off).
    pub limit: AtomicU64,
    /// The normal and pub/sub clients' memory, as last accounted.
    total: AtomicI64,
}

/// The limit in bytes (0 when client eviction is off): `maxmemory-clients` itself, or its
/// percentage of `maxmemory`.
pub fn limit(maxmemory_clients: i64, maxmemory: u64) -> u64 {
    let bytes = if maxmemory_clients < 0 {
        maxmemory.saturating_mul(maxmemory_clients.unsigned_abs()) / 100
    } else {
        maxmemory_clients as u64
    };
    if bytes == 0 {
        0
    } else {
        bytes.max(MIN_LIMIT)
    }
}

/// Whether client eviction may close `h` (Redis's clientEvictionAllowed).
fn evictable(h: &ClientHandle) -> bool {
    !h.no_evict.load(Ordering::Relaxed)
        && h.class() != ClientClass::Replica
        && !h.master.load(Ordering::Relaxed)
}

impl ClientEviction {
    /// Brings `h`'s share of the total up to date; returns its memory now.
    pub fn account(&self, h: &ClientHandle) -> u64 {
        let now = if h.class() == ClientClass::Replica {
            0
        } else {
            total_memory(h)
        };
        let old = h.accounted.swap(now, Ordering::Relaxed);
        self.total
            .fetch_add(now as i64 - old as i64, Ordering::Relaxed);
        now as u64
    }

    /// Takes a closed client's share out of the total.
    pub fn forget(&self, h: &ClientHandle) {
        let old = h.accounted.swap(0, Ordering::Relaxed);
        self.total.fetch_sub(old as i64, Ordering::Relaxed);
    }
}

/// Closes the biggest evictable clients while normal and pub/sub clients together hold more
/// than the limit. With `force` the clients are walked whatever the running total says.
pub fn evict(server: &Server, force: bool) {
    let state = &server.eviction.clients;
    let limit = state.limit.load(Ordering::Relaxed);
    if limit == 0 {
        return;
    }
    if !force && state.total.load(Ordering::Relaxed) < limit as i64 {
        return;
    }
    let mut total = 0u64;
    let mut candidates: Vec<(u64, std::sync::Arc<ClientHandle>)> = Vec::new();
    for h in server.clients.snapshot() {
        let mem = state.account(&h);
        total += mem;
        if evictable(&h) {
            candidates.push((mem, h));
        }
    }
    if total < limit {
        return;
    }
    candidates.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    for (mem, h) in candidates {
        if total < limit {
            break;
        }
        // The caller too is closed at once, its replies dropped, as Redis frees an evicted
        // client as soon as it can (CLIENT_CLOSE_ASAP).
        crate::admin::client_kill::free(server, &h);
        state.forget(&h);
        state.evicted.fetch_add(1, Ordering::Relaxed);
        total -= mem;
    }
}
