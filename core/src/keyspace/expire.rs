//! The active expiry cycle: Redis's adaptive sampling of keys with a TTL (expire.c), driven by
//! the server tick instead of a timer.
//!
//! Each (shard, database) table keeps a cursor into its set of volatile keys and examines them in
//! order, `KEYS_PER_LOOP` per round, repeating rounds while more than `ACCEPTABLE_STALE` percent
//! of the examined keys had expired, exactly as Redis walks its `expires` dict with
//! `expires_cursor`. The order matters: a sequential cursor reaches every volatile key within
//! `len / KEYS_PER_LOOP` rounds, where random sampling would leave stragglers.
//!
//! Redis bounds a cycle by time (25% of a CPU per `hz` period). The core cannot read a clock,
//! so a cycle is bounded by effort instead: `CYCLE_BUDGET` keys examined. When a cycle runs out
//! of budget it counts `expired_time_cap_reached_count` and the next one resumes at the shard
//! where it stopped, so every shard gets its turn.

use super::db::DbShard;
use super::{KeyEvents, Keyspace};

/// Keys examined per table per round (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;
/// Rounds repeat while more than this percentage of the examined keys had expired
/// (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE).
const ACCEPTABLE_STALE: usize = 10;
/// Keys examined per cycle at most: the stand-in for Redis's time limit. At roughly 100 ns a
/// key that is about 10 ms of work, below Redis's 25 ms per cycle at the default `hz` 10.
pub const CYCLE_BUDGET: usize = 100_000;
/// Rounds done under one shard lock before releasing it, so commands on that shard wait for at
/// most a few hundred key checks (Redis checks its clock every 16 rounds for the same reason).
const ROUNDS_PER_LOCK: usize = 16;

/// State the active expiry cycle carries from one run to the next.
#[derive(Debug, Default)]
pub struct ExpireCycle {
    /// Shard the next cycle starts with.
    next_shard: usize,
    /// Running estimate of the share of volatile keys that are logically expired but not yet
    /// reclaimed (INFO `expired_stale_perc`, as a fraction).
    pub stale: f64,
    /// Cycles that stopped because they ran out of budget (INFO
    /// `expired_time_cap_reached_count`).
    pub cap_reached: u64,
}

/// Totals of one cycle.
#[derive(Default)]
struct Tally {
    sampled: usize,
    expired: usize,
}

impl Keyspace {
    /// Runs one active expiry cycle over every database, reporting each key it reclaims to
    /// `events`; returns the number of keys reclaimed. (`_rng` is unused since the cycle walks
    /// a cursor, as Redis does; it stays for callers.)
    pub fn active_expire(
        &self,
        now_ms: u64,
        _rng: &mut fastrand::Rng,
        events: Option<&dyn KeyEvents>,
    ) -> u64 {
        self.active_expire_with_budget(now_ms, CYCLE_BUDGET, events)
    }

    /// One active expiry cycle examining at most `budget` keys.
    pub fn active_expire_with_budget(
        &self,
        now_ms: u64,
        budget: usize,
        events: Option<&dyn KeyEvents>,
    ) -> u64 {
        // A pause keeps the dataset static: the cycle waits for it to end (as Redis's
        // activeExpireCycle returns at once while clients are paused).
        if self.pause.holds_expiry(now_ms) {
            return 0;
        }
        let mut state = self.expire_cycle.lock();
        let n = self.shards.len();
        let start = state.next_shard % n;
        let mut left = budget;
        let mut tally = Tally::default();
        let mut capped = false;
        'shards: for step in 0..n {
            let s = (start + step) % n;
            let mut db = 0;
            while db < self.databases {
                let mut shard = self.guard(s);
                let mut rounds = 0;
                while db < shard.dbs.len() && rounds < ROUNDS_PER_LOCK {
                    if left == 0 {
                        state.next_shard = s;
                        capped = true;
                        break 'shards;
                    }
                    let deleted = |key: &[u8], value| {
                        self.expired(db, key, events);
                        self.release(value, super::Release::Expire, events);
                    };
                    match round(&mut shard.dbs[db], now_ms, &mut left, &mut tally, deleted) {
                        Round::Again => rounds += 1,
                        Round::Done => db += 1,
                    }
                }
                if db >= shard.dbs.len() {
                    break;
                }
            }
        }
        if capped {
            state.cap_reached += 1;
        } else {
            state.next_shard = start;
        }
        // Redis's running average: this cycle's sample weighs 5%.
        let current = if tally.sampled > 0 {
            tally.expired as f64 / tally.sampled as f64
        } else {
            0.0
        };
        state.stale = current * 0.05 + state.stale * 0.95;
        drop(state);
        tally.expired as u64
    }

    /// INFO's `expired_stale_perc` (a percentage) and `expired_time_cap_reached_count`.
    pub fn expire_cycle_stats(&self) -> (f64, u64) {
        let s = self.expire_cycle.lock();
        (s.stale * 100.0, s.cap_reached)
    }
}

/// Whether a table needs another round.
enum Round {
    Again,
    Done,
}

/// One round over one table: examines up to `KEYS_PER_LOOP` volatile keys from its cursor,
/// calling `deleted` with each expired key it removes and its value (with the shard still
/// locked).
fn round(
    db: &mut DbShard,
    now_ms: u64,
    left: &mut usize,
    tally: &mut Tally,
    mut deleted: impl FnMut(&[u8], super::Value),
) -> Round {
    let num = db.volatile.len().min(KEYS_PER_LOOP).min(*left);
    if num == 0 {
        return Round::Done;
    }
    let (mut sampled, mut expired) = (0, 0);
    while sampled < num && !db.volatile.is_empty() {
        let pos = db.expire_cursor % db.volatile.len();
        let Some(key) = db.volatile.get_index(pos) else {
            break;
        };
        sampled += 1;
        let dead = db.peek(key).is_some_and(|e| e.is_expired(now_ms));
        if dead {
            let key = key.clone();
            if let Some(old) = db.remove(&key) {
                deleted(&key, old.value);
            }
            expired += 1;
            // swap_remove moved the last volatile key into `pos`: examine it next, so the
            // cursor stays where it is.
            db.expire_cursor = pos;
        } else {
            db.expire_cursor = pos + 1;
        }
    }
    *left -= sampled;
    tally.sampled += sampled;
    tally.expired += expired;
    if expired * 100 > sampled * ACCEPTABLE_STALE {
        Round::Again
    } else {
        Round::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Value;
    use std::sync::atomic::Ordering;

    const NOW: u64 = 1_000_000;

    /// One database on one shard, with `n` keys; every `every`-th expires at NOW, the rest
    /// much later.
    fn keyspace(n: usize, every: usize) -> Keyspace {
        let ks = Keyspace::new(1, 1, 3);
        let mut locked = ks.lock_all(0, NOW);
        for i in 0..n {
            let at = if i % every == 0 { NOW } else { NOW + 1_000_000 };
            locked.put(format!("k{i}").as_bytes(), Value::string(b"v"), at);
        }
        drop(locked);
        ks
    }

    fn volatile(ks: &Keyspace) -> usize {
        ks.db_counts(0).1
    }

    #[test]
    fn cursor_reaches_every_volatile_key() {
        // 5% stale: each cycle stops after one round of 20, yet the cursor walks on, so
        // 1000 / 20 cycles visit every key once.
        let ks = keyspace(1000, 20);
        for _ in 0..50 {
            ks.active_expire_with_budget(NOW + 1, CYCLE_BUDGET, None);
        }
        assert_eq!(volatile(&ks), 950);
        assert_eq!(ks.expired_keys.load(Ordering::Relaxed), 50);
    }

    #[test]
    fn rounds_repeat_while_many_keys_are_stale() {
        let ks = keyspace(1000, 1);
        assert_eq!(
            ks.active_expire_with_budget(NOW + 1, CYCLE_BUDGET, None),
            1000
        );
        assert_eq!(volatile(&ks), 0);
        assert_eq!(ks.db_size(0), 0);
        let (stale, capped) = ks.expire_cycle_stats();
        assert!((stale - 5.0).abs() < 1e-9, "{stale}");
        assert_eq!(capped, 0);
    }

    #[test]
    fn budget_bounds_a_cycle_and_the_next_one_resumes() {
        let ks = keyspace(1000, 1);
        assert_eq!(ks.active_expire_with_budget(NOW + 1, 100, None), 100);
        assert_eq!(ks.expire_cycle_stats().1, 1);
        let mut cycles = 1;
        while volatile(&ks) > 0 {
            ks.active_expire_with_budget(NOW + 1, 100, None);
            cycles += 1;
        }
        assert_eq!(cycles, 10);
    }

    #[test]
    fn keys_not_yet_due_stay() {
        let ks = keyspace(100, 1);
        // Expiring at NOW means alive at NOW, gone at NOW + 1.
        assert_eq!(ks.active_expire_with_budget(NOW, CYCLE_BUDGET, None), 0);
        assert_eq!(volatile(&ks), 100);
    }
}
