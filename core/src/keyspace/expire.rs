//! The active expiry cycle: Redis's adaptive sampling of keys with a TTL, driven by the
//! server tick instead of a timer. The effort bound replaces Redis's time bound, since the core
//! cannot read a clock.

use std::sync::atomic::Ordering;

use super::Keyspace;

/// Keys sampled per database shard per round (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const SAMPLE: usize = 20;
/// Rounds repeat while more than this percentage of the sample had expired.
const REPEAT_PERCENT: usize = 10;
/// Upper bound on rounds per database shard per cycle, so one tick's work stays bounded.
const MAX_ROUNDS: usize = 16;

impl Keyspace {
    /// Runs one active expiry cycle over every database; returns the number of keys reclaimed.
    pub fn active_expire(&self, now_ms: u64, rng: &mut fastrand::Rng) -> u64 {
        let mut reclaimed = 0;
        for shard in 0..self.shard_count() {
            let mut locked = self.lock_shard(0, shard, now_ms);
            for shard in locked.all_dbs_mut() {
                for db in shard.dbs.iter_mut() {
                    for _ in 0..MAX_ROUNDS {
                        let n = db.volatile.len();
                        if n == 0 {
                            break;
                        }
                        let sample = SAMPLE.min(n);
                        let mut expired = 0;
                        for _ in 0..sample {
                            let i = rng.usize(..db.volatile.len());
                            let Some(key) = db.volatile.get_index(i) else {
                                break;
                            };
                            let at = db.map.get(&**key).map_or(0, |e| e.expire_at);
                            if at != 0 && at <= now_ms {
                                let key = key.clone();
                                db.remove(&key);
                                expired += 1;
                                if db.volatile.is_empty() {
                                    break;
                                }
                            }
                        }
                        reclaimed += expired as u64;
                        if expired * 100 <= sample * REPEAT_PERCENT {
                            break;
                        }
                    }
                }
            }
        }
        self.expired_keys.fetch_add(reclaimed, Ordering::Relaxed);
        reclaimed
    }
}
