//! `maxmemory` eviction, as Redis's evict.c: before a command runs (and from the server tick
//! while a pass is unfinished) keys are deleted by the configured policy until `used_memory`
//! is back under `maxmemory`; when nothing can be deleted, commands flagged DENYOOM are
//! refused with `-OOM`.
//!
//! LRU, LFU and TTL policies sample `maxmemory-samples` keys of each database at a time into
//! a [`Pool`] of the best candidates and evict the best; the random policies pick a random
//! key. Keys live in shards, so a sampling takes its keys from one random shard of the
//! database (one lock, where sampling across shards would take several), and the pool,
//! which outlives a sampling, mixes shards over time.
//!
//! Each eviction is recorded like an expiry: the `evicted` keyspace event, a propagated DEL
//! (UNLINK under `lazyfree-lazy-eviction`), watchers touched and tracking clients told, all
//! under the key's shard lock.

pub mod clients;
mod pool;
mod sample;

use std::sync::atomic::{AtomicU64, Ordering};

pub use pool::{Candidate, Pool, POOL_SIZE};

use crate::clock::Now;
use crate::config::MaxmemoryPolicy;
use crate::server::Server;
use crate::sync::Mutex;

/// The reply to a command refused for memory.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// How a pass ended (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is under the limit (or there is no limit).
    Ok,
    /// The pass ran out of time with memory still over the limit; the tick continues it.
    Running,
    /// Memory is over the limit and nothing more can be evicted.
    Fail,
}

/// Eviction state and statistics, shared by every thread.
#[derive(Default)]
pub struct Eviction {
    /// `maxmemory`, mirrored from the configuration so the check before every command is one
    /// relaxed load.
    pub maxmemory: AtomicU64,
    /// Keys evicted (INFO `evicted_keys`).
    pub evicted_keys: AtomicU64,
    /// Client eviction (`maxmemory-clients`).
    pub clients: clients::ClientEviction,
    /// Microseconds spent over the limit in finished spells (INFO
    /// `total_eviction_exceeded_time`, in ms there).
    exceeded_total_us: AtomicU64,
    /// Monotonic µs at which the current spell over the limit began; 0 when under it.
    exceeded_since_us: AtomicU64,
    /// Whether the last pass ended short of the limit (the tick keeps going).
    unfinished: std::sync::atomic::AtomicBool,
    /// Candidates and the sampling state; also serialises passes.
    state: Mutex<sample::Sampler>,
}

/// Redis's evictionTimeLimitUs: how long one pass may run for a given tenacity.
fn time_limit_us(tenacity: u32) -> u64 {
    match tenacity {
        0..=10 => 50 * u64::from(tenacity),
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

impl Eviction {
    /// Takes the limits from `config` (at startup and on CONFIG SET).
    pub fn configure(&self, config: &crate::config::Config) {
        self.maxmemory.store(config.maxmemory, Ordering::Relaxed);
        let limit = clients::limit(config.maxmemory_clients, config.maxmemory);
        self.clients.limit.store(limit, Ordering::Relaxed);
    }

    /// INFO's `total_eviction_exceeded_time` and `current_eviction_exceeded_time`, in ms, as
    /// of monotonic time `now_us`.
    pub fn exceeded_ms(&self, now_us: u64) -> (u64, u64) {
        let since = self.exceeded_since_us.load(Ordering::Relaxed);
        let current = if since == 0 {
            0
        } else {
            now_us.saturating_sub(since)
        };
        let total = self.exceeded_total_us.load(Ordering::Relaxed) + current;
        (total / 1000, current / 1000)
    }

    /// CONFIG RESETSTAT: the counters start over (a spell in progress restarts now).
    pub fn reset_stats(&self, now_us: u64) {
        self.evicted_keys.store(0, Ordering::Relaxed);
        self.clients.evicted.store(0, Ordering::Relaxed);
        self.exceeded_total_us.store(0, Ordering::Relaxed);
        if self.exceeded_since_us.load(Ordering::Relaxed) != 0 {
            self.exceeded_since_us
                .store(now_us.max(1), Ordering::Relaxed);
        }
    }

    /// Forgets the pooled candidates (after FLUSHALL or a policy change they are stale).
    pub fn forget_candidates(&self) {
        self.state.lock().pool.clear();
    }

    fn note(&self, outcome: Outcome, now_us: u64) {
        let since = self.exceeded_since_us.load(Ordering::Relaxed);
        match outcome {
            Outcome::Running | Outcome::Fail => {
                if since == 0 {
                    self.exceeded_since_us
                        .store(now_us.max(1), Ordering::Relaxed);
                }
            }
            Outcome::Ok => {
                if since != 0 {
                    self.exceeded_total_us
                        .fetch_add(now_us.saturating_sub(since), Ordering::Relaxed);
                    self.exceeded_since_us.store(0, Ordering::Relaxed);
                }
            }
        }
        self.unfinished
            .store(outcome == Outcome::Running, Ordering::Relaxed);
    }
}

/// Whether memory is over `maxmemory` right now.
pub fn over_limit(server: &Server) -> bool {
    excess(server).is_some()
}

/// Bytes over `maxmemory` right now; None when under it or without a limit.
fn excess(server: &Server) -> Option<u64> {
    let max = server.eviction.maxmemory.load(Ordering::Relaxed);
    if max == 0 {
        return None;
    }
    let mut used = server.host.used_memory();
    if used > max {
        // Replicas' output buffers do not count (Redis's freeMemoryGetNotCountedMemory): a
        // slow replica must not make the primary evict keys.
        used = used.saturating_sub(not_counted(server));
    }
    (used > max).then(|| used - max)
}

/// Memory `maxmemory` does not count (INFO's `mem_not_counted_for_evict`): what the stream
/// holds beyond its backlog for readers still behind (replicas, the AOF writer), and the
/// replicas' output buffers.
pub fn not_counted(server: &Server) -> u64 {
    let log = &server.keyspace.log;
    let backlog = log.backlog().map_or(0, |(size, _, _)| size as u64);
    let buffers: u64 = crate::repl::primary::replicas(server)
        .iter()
        .map(|h| h.omem.load(Ordering::Relaxed) as u64)
        .sum();
    buffers + log.retained_bytes().saturating_sub(backlog)
}

/// Evicts keys until memory is under `maxmemory` (Redis's performEvictions). Called before a
/// client's command runs and from the tick; cheap when under the limit.
pub fn perform(server: &Server, now: Now) -> Outcome {
    if server.eviction.maxmemory.load(Ordering::Relaxed) == 0 {
        return Outcome::Ok;
    }
    if excess(server).is_none() {
        // The common case costs no clock reading: only a spell over the limit has to end.
        let e = &server.eviction;
        if e.exceeded_since_us.load(Ordering::Relaxed) != 0 || e.unfinished.load(Ordering::Relaxed)
        {
            e.note(Outcome::Ok, server.host.monotonic_us());
        }
        return Outcome::Ok;
    }
    let started_us = server.host.monotonic_us();
    // A paused server keeps its dataset as it is (Redis checks the same).
    if server.keyspace.pause.holds_expiry(now.ms()) {
        return Outcome::Ok;
    }
    let (policy, samples, tenacity) = {
        let c = server.config.read();
        (
            c.maxmemory_policy,
            c.maxmemory_samples.max(1) as usize,
            c.maxmemory_eviction_tenacity,
        )
    };
    let outcome = if policy == MaxmemoryPolicy::NoEviction {
        Outcome::Fail
    } else {
        match server.eviction.state.try_lock() {
            // Another thread is evicting: let this command through, as its pass will make
            // the room.
            None => Outcome::Running,
            Some(mut sampler) => {
                let limit = time_limit_us(tenacity);
                let pass = Pass {
                    server,
                    now,
                    policy,
                    samples,
                    volatile_only: sample::volatile_only(policy),
                    started_us,
                    limit_us: limit,
                };
                pass.run(&mut sampler)
            }
        }
    };
    let end_us = server.host.monotonic_us();
    let ms = end_us.saturating_sub(started_us) / 1000;
    server
        .observe
        .latency
        .add_if_needed("eviction-cycle", ms, now.secs());
    server.eviction.note(outcome, end_us);
    outcome
}

/// Continues an unfinished pass from the server tick (Redis's evictionTimeProc), and starts
/// one when memory went over the limit without a command arriving (CONFIG SET maxmemory).
pub fn tick(server: &Server, now: Now) {
    clients::evict(server, true);
    if server.eviction.maxmemory.load(Ordering::Relaxed) != 0 {
        perform(server, now);
    }
}

/// One eviction pass's fixed inputs.
struct Pass<'s> {
    server: &'s Server,
    now: Now,
    policy: MaxmemoryPolicy,
    samples: usize,
    /// The policy evicts only keys with a TTL (one PERSISTed since sampling stays).
    volatile_only: bool,
    started_us: u64,
    limit_us: u64,
}

impl Pass<'_> {
    fn run(&self, sampler: &mut sample::Sampler) -> Outcome {
        let server = self.server;
        let Some(to_free) = excess(server) else {
            return Outcome::Ok;
        };
        // As Redis, a pass frees what was over when it began, counting only what the
        // deletions themselves free: the invalidation messages and notifications they cause
        // must not make the same pass evict more (a feedback loop that would empty the
        // dataset when many clients track it).
        let mut freed = 0u64;
        let mut freed_keys = 0u64;
        while freed < to_free {
            let Some((db, key)) = sampler.choose(self) else {
                return Outcome::Fail;
            };
            let del_started = server.host.monotonic_us();
            let Some(bytes) = self.evict(db, &key) else {
                continue;
            };
            freed += bytes;
            let del_ms = server.host.monotonic_us().saturating_sub(del_started) / 1000;
            server
                .observe
                .latency
                .add_if_needed("eviction-del", del_ms, self.now.secs());
            freed_keys += 1;
            // As Redis, every 16 keys: memory freed in the background may already be enough,
            // and the pass may have run out of time.
            if freed_keys.is_multiple_of(16) {
                if excess(server).is_none() {
                    break;
                }
                if server.host.monotonic_us().saturating_sub(self.started_us) > self.limit_us {
                    return Outcome::Running;
                }
            }
        }
        Outcome::Ok
    }

    /// Deletes `key` of `db` if it is still there and records it as evicted; returns what
    /// its deletion frees, by MEMORY USAGE's sizes. (Redis reads its allocator's counter
    /// around the deletion; an estimate needs no host call under the shard lock, and leaves
    /// out the messages recording the eviction allocates, as Redis's reading does.)
    fn evict(&self, db: usize, key: &[u8]) -> Option<u64> {
        let server = self.server;
        let ks = &server.keyspace;
        let s = ks.shard_of(key);
        let value = {
            let mut shard = ks.guard(s);
            let table = shard.dbs.get_mut(db)?;
            if self.volatile_only && !table.volatile.contains(key) {
                return None;
            }
            let entry = table.remove(key)?;
            ks.evicted(db, key, Some(server));
            entry.value
        };
        let bytes = crate::admin::memory::key_bytes(key, &value) as u64;
        server.eviction.evicted_keys.fetch_add(1, Ordering::Relaxed);
        // Freed after the shard lock is released, in the background under
        // lazyfree-lazy-eviction if it is big.
        ks.release(value, crate::keyspace::Release::Eviction, Some(server));
        Some(bytes)
    }
}

#[cfg(test)]
mod tests;
