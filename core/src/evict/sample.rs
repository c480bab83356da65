//! Choosing what to evict: sampling keys into the pool (LRU, LFU, TTL policies) or picking a
//! random key (random policies), over the databases that hold keys.

use super::{Pass, Pool};
use crate::config::MaxmemoryPolicy;
use crate::keyspace::access::lru_clock;
use crate::keyspace::{DbShard, Entry};

/// Choices between two sweeps of the shards for the databases that hold keys. Between sweeps
/// a database that gained its first keys is not sampled; one that lost its last is skipped
/// at the cost of probing its shards.
const REFRESH_EVERY: u32 = 256;
/// Samplings tried for one choice before giving up (keys vanishing under us in between).
const ROUNDS: usize = 8;

/// The pool and what sampling remembers between choices.
#[derive(Debug)]
pub(super) struct Sampler {
    /// The best candidates seen.
    pub(super) pool: Pool,
    rng: fastrand::Rng,
    /// Databases holding candidate keys as of the last sweep.
    dbs: Vec<usize>,
    /// Choices left before the next sweep.
    until_refresh: u32,
    /// Whether `dbs` was swept for volatile keys (volatile policies) or for all keys.
    swept_volatile: bool,
    /// Round robin over databases for the random policies (Redis's `next_db`).
    next_db: usize,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler {
            pool: Pool::default(),
            rng: fastrand::Rng::with_seed(0x65766963),
            dbs: Vec::new(),
            until_refresh: 0,
            swept_volatile: false,
            next_db: 0,
        }
    }
}

/// Whether `policy` picks among keys with a TTL only.
pub(super) fn volatile_only(policy: MaxmemoryPolicy) -> bool {
    use MaxmemoryPolicy::*;
    matches!(
        policy,
        VolatileLru | VolatileLfu | VolatileRandom | VolatileTtl
    )
}

/// Number of keys `table` offers under the policy.
fn candidates(table: &DbShard, volatile: bool) -> usize {
    if volatile {
        table.volatile.len()
    } else {
        table.len()
    }
}

impl Sampler {
    /// The next key to evict, or None when no database holds a candidate.
    pub(super) fn choose(&mut self, pass: &Pass<'_>) -> Option<(usize, Vec<u8>)> {
        let volatile = volatile_only(pass.policy);
        let mut swept = false;
        if self.until_refresh == 0 || self.swept_volatile != volatile || self.dbs.is_empty() {
            self.sweep(pass, volatile);
            swept = true;
        }
        self.until_refresh = self.until_refresh.saturating_sub(1);
        for round in 0..ROUNDS {
            // Keys may have come or gone since the last sweep: look again before giving up.
            if round > 0 && (round.is_multiple_of(2) || (self.dbs.is_empty() && !swept)) {
                self.sweep(pass, volatile);
                swept = true;
            }
            if self.dbs.is_empty() {
                return None;
            }
            let found = match pass.policy {
                MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom => {
                    self.random_key(pass, volatile)
                }
                _ => self.best_of_pool(pass, volatile),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Finds the databases with candidates (one lock of each shard).
    fn sweep(&mut self, pass: &Pass<'_>, volatile: bool) {
        let ks = &pass.server.keyspace;
        let mut has = vec![false; ks.databases()];
        for s in 0..ks.shard_count() {
            let shard = ks.guard(s);
            for (db, table) in shard.dbs.iter().enumerate() {
                if candidates(table, volatile) > 0 {
                    has[db] = true;
                }
            }
        }
        self.dbs = has
            .iter()
            .enumerate()
            .filter_map(|(db, &h)| h.then_some(db))
            .collect();
        self.swept_volatile = volatile;
        self.until_refresh = REFRESH_EVERY;
    }

    /// Samples every database into the pool, then takes the best candidate.
    fn best_of_pool(&mut self, pass: &Pass<'_>, volatile: bool) -> Option<(usize, Vec<u8>)> {
        let dbs = std::mem::take(&mut self.dbs);
        let mut sampled = 0;
        for &db in &dbs {
            sampled += self.populate(pass, db, volatile);
        }
        self.dbs = dbs;
        if sampled == 0 {
            // Nothing left where the sweep saw keys: sweep again next round.
            self.until_refresh = 0;
        }
        self.pool.pop_best().map(|c| (c.db, c.key))
    }

    /// Offers `pass.samples` random keys of `db` to the pool; returns how many. They come
    /// from one random shard under one lock (a sampling's cache misses then overlap, and
    /// shards hold keys hashed uniformly, so one is as good a sample as any), continuing to
    /// the next shards only while the ones visited hold fewer keys than are wanted.
    fn populate(&mut self, pass: &Pass<'_>, db: usize, volatile: bool) -> usize {
        let now_ms = pass.now.ms();
        let access = pass.server.keyspace.access_policy.get();
        let clock = lru_clock(now_ms);
        let mut left = pass.samples;
        let Sampler { pool, rng, .. } = self;
        walk_shards(pass, rng, db, volatile, |table, len, rng| {
            let take = left.min(len);
            // Scored first, offered after: the samples' loads (table slot, then the entry it
            // points to) are independent of one another, so the misses overlap instead of
            // waiting behind each offer's work.
            let mut scored: smallvec::SmallVec<[(&[u8], u64); 16]> = smallvec::SmallVec::new();
            for _ in 0..take {
                let Some((key, entry)) = key_at(table, rng.usize(..len), volatile) else {
                    continue;
                };
                let score = match pass.policy {
                    MaxmemoryPolicy::VolatileTtl => u64::MAX - entry.expire_at,
                    MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu => {
                        255 - u64::from(access.lfu_counter(entry.access, now_ms))
                    }
                    // Idle time in ms, as Redis scores LRU candidates.
                    _ => u64::from(clock.wrapping_sub(entry.access)) * 1000,
                };
                scored.push((key, score));
            }
            for (key, score) in scored {
                pool.offer(score, db, key);
            }
            left -= take;
            left == 0
        });
        pass.samples - left
    }

    /// A random key of the next database in turn (random policies).
    fn random_key(&mut self, pass: &Pass<'_>, volatile: bool) -> Option<(usize, Vec<u8>)> {
        for i in 0..self.dbs.len() {
            self.next_db = self.next_db.wrapping_add(1);
            let db = self.dbs[(self.next_db + i) % self.dbs.len()];
            let mut found = None;
            walk_shards(pass, &mut self.rng, db, volatile, |table, len, rng| {
                found = key_at(table, rng.usize(..len), volatile).map(|(k, _)| k.to_vec());
                found.is_some()
            });
            if let Some(key) = found {
                return Some((db, key));
            }
        }
        self.until_refresh = 0;
        None
    }
}

/// Visits the shards holding candidates of `db`, from a random one on, each under its lock,
/// until `visit` (given the table, its number of candidates and the random source) says stop.
fn walk_shards(
    pass: &Pass<'_>,
    rng: &mut fastrand::Rng,
    db: usize,
    volatile: bool,
    mut visit: impl FnMut(&DbShard, usize, &mut fastrand::Rng) -> bool,
) {
    let ks = &pass.server.keyspace;
    let n = ks.shard_count();
    let start = rng.usize(..n);
    for step in 0..n {
        let shard = ks.guard((start + step) % n);
        let Some(table) = shard.dbs.get(db) else {
            return;
        };
        let len = candidates(table, volatile);
        if len > 0 && visit(table, len, rng) {
            return;
        }
    }
}

/// The candidate at `pos` of `table`: among its keys with a TTL, or all its keys.
fn key_at(table: &DbShard, pos: usize, volatile: bool) -> Option<(&[u8], &Entry)> {
    if volatile {
        let key = table.volatile.get_index(pos)?;
        Some((key.as_slice(), table.peek(key)?))
    } else {
        table.get_index(pos)
    }
}
