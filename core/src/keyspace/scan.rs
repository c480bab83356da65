//! The SCAN cursor over a sharded keyspace.
//!
//! A cursor names a shard and a position inside that shard's table. Shards are visited in
//! ascending order; inside a shard, positions are visited from the top down. Why this returns
//! every key that is present for the whole scan, however the tables change between calls:
//!
//! * A key never changes shard (the shard is a function of the key), so each shard can be
//!   argued about on its own.
//! * Inside a shard's `IndexMap`, an element's position never increases: inserts append at the
//!   end, and `swap_remove` moves the last element down into the hole (see the invariant on
//!   [`DbShard`](super::db::DbShard)). Growth reallocates the entries but keeps their positions; nothing shrinks
//!   positions upwards.
//! * The cursor's `upper` means "positions `upper..` have been visited". A key present when the
//!   shard's visit begins sits below `len` = the first `upper`. Between calls its position can
//!   only fall, so it stays below `upper`; each call visits `new_upper..upper`, and either the
//!   key is in that range (returned) or it is still below `new_upper`. `upper` reaches 0 only
//!   after every position has been visited, so the key must have been returned by then.
//!
//! Keys added after their shard's visit began may or may not be returned, and a key moved down
//! into the unvisited range by a deletion may be returned twice: SCAN's documented contract.
//! Expired keys found on the way are deleted only after the call's visit of the shard, so the
//! moves they cause also only go downwards.
//!
//! Encoding: `upper << shard_bits | shard`, where `upper == 0` means "shard not started". The
//! start, shard 0 not started, is cursor 0, which is also what a finished scan returns.

use std::sync::atomic::Ordering;

use super::db::Entry;
use super::{KeyEvents, Keyspace};
use crate::config::notify;
use crate::util::glob::string_match;
use crate::util::small_bytes::SmallBytes;

/// SCAN's MATCH and TYPE filters.
pub struct ScanFilter<'a> {
    /// MATCH pattern; None for all keys (a pattern of exactly `*` is the same).
    pub pattern: Option<&'a [u8]>,
    /// TYPE name, compared case-insensitively with the value's type name.
    pub type_name: Option<&'a [u8]>,
}

/// Counters one SCAN call accumulates, applied to the keyspace once at the end.
#[derive(Default)]
struct ScanStats {
    hits: u64,
    misses: u64,
}

impl Keyspace {
    /// One SCAN step over `db`: visits up to `count` keys from `cursor`, appends those that pass
    /// `filter` to `out`, and returns the next cursor (0 when the scan is complete). Expired
    /// keys it reclaims are reported to `events`.
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &self,
        db: usize,
        cursor: u64,
        count: usize,
        now_ms: u64,
        filter: &ScanFilter<'_>,
        out: &mut Vec<SmallBytes>,
        events: Option<&dyn KeyEvents>,
    ) -> u64 {
        let n = self.shards.len();
        let bits = n.trailing_zeros();
        let mut shard = (cursor & (n as u64 - 1)) as usize;
        let mut upper = cursor >> bits;
        let mut visited = 0usize;
        let mut stats = ScanStats::default();
        let held = self.pause.holds_expiry(now_ms);
        let next = loop {
            let mut guard = self.guard(shard);
            let table = &mut guard.dbs[db];
            let len = table.len() as u64;
            let mut pos = if upper == 0 { len } else { upper.min(len) };
            let mut expired: Vec<SmallBytes> = Vec::new();
            while pos > 0 && visited < count {
                pos -= 1;
                visited += 1;
                let Some((key, entry)) = table.get_index(pos as usize) else {
                    break;
                };
                match check(key, entry, now_ms, filter, &mut stats) {
                    Verdict::Keep => out.push(SmallBytes::new(key)),
                    Verdict::Skip => {}
                    Verdict::Expired { keep } => {
                        // TYPE none lets an expired key through only because Redis's type
                        // lookup deleted it; a pause keeps it, and with it the filter.
                        if keep && !held {
                            out.push(SmallBytes::new(key));
                        }
                        expired.push(SmallBytes::new(key));
                    }
                }
            }
            for key in &expired {
                if !held {
                    let old = table.remove(key);
                    self.expired(db, key, events);
                    if let Some(old) = old {
                        self.release(old.value, super::Release::Expire, events);
                    }
                }
                if filter.type_name.is_some() {
                    // Redis found the type with a read lookup, which missed.
                    self.event(events, notify::KEY_MISS, "keymiss", db, key);
                }
            }
            drop(guard);
            if pos > 0 {
                break pos << bits | shard as u64;
            }
            shard += 1;
            if shard == n {
                break 0;
            }
            upper = 0;
            if visited >= count {
                // Shard `shard` (at least 1), not started: never encodes to 0.
                break shard as u64;
            }
        };
        self.keyspace_hits.fetch_add(stats.hits, Ordering::Relaxed);
        self.keyspace_misses
            .fetch_add(stats.misses, Ordering::Relaxed);
        next
    }
}

/// What SCAN does with one visited key.
enum Verdict {
    Keep,
    Skip,
    /// The key has expired: it is reclaimed, and still returned when `keep` (see `check`).
    Expired {
        keep: bool,
    },
}

/// Applies SCAN's filters in Redis's order: pattern, then type, then expiry.
fn check(
    key: &[u8],
    entry: &Entry,
    now_ms: u64,
    filter: &ScanFilter<'_>,
    stats: &mut ScanStats,
) -> Verdict {
    if let Some(p) = filter.pattern {
        if !string_match(p, key, false) {
            return Verdict::Skip;
        }
    }
    let expired = entry.is_expired(now_ms);
    if let Some(t) = filter.type_name {
        // Redis finds the type with a read lookup (counted in keyspace hits/misses) that
        // deletes an expired key and reports it as "none"; its later expiry check then finds
        // no key and lets it through. So `TYPE none` returns expired keys: kept for fidelity.
        if expired {
            stats.misses += 1;
            return Verdict::Expired {
                keep: t.eq_ignore_ascii_case(b"none"),
            };
        }
        stats.hits += 1;
        if !t.eq_ignore_ascii_case(entry.value.type_name().as_bytes()) {
            return Verdict::Skip;
        }
    }
    if expired {
        return Verdict::Expired { keep: false };
    }
    Verdict::Keep
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::keyspace::Value;

    const NOW: u64 = 1_000_000;

    fn put(ks: &Keyspace, key: &str) {
        ks.lock_one(0, key.as_bytes(), NOW)
            .set(key.as_bytes(), Value::string(b"v"));
    }

    fn del(ks: &Keyspace, key: &str) {
        ks.lock_one(0, key.as_bytes(), NOW).remove(key.as_bytes());
    }

    /// Scans while deleting churn keys (which moves other keys down inside their table) and
    /// adding new ones between calls; every stable key must come back.
    fn churning_scan(shards: usize, seed: u64) {
        let ks = Keyspace::new(1, shards, seed);
        let mut rng = fastrand::Rng::with_seed(seed);
        let stable: Vec<String> = (0..400).map(|i| format!("s{i}")).collect();
        let mut churn: Vec<String> = Vec::new();
        let mut next = 0;
        // Interleave so stable keys sit among churn keys at every position.
        for k in &stable {
            put(&ks, k);
            for _ in 0..2 {
                let c = format!("c{next}");
                next += 1;
                put(&ks, &c);
                churn.push(c);
            }
        }
        let filter = ScanFilter {
            pattern: None,
            type_name: None,
        };
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut out = Vec::new();
        let mut calls = 0;
        loop {
            calls += 1;
            out.clear();
            cursor = ks.scan(0, cursor, rng.usize(1..8), NOW, &filter, &mut out, None);
            seen.extend(out.iter().map(|k| k.to_vec()));
            if cursor == 0 {
                break;
            }
            for _ in 0..rng.usize(0..6) {
                if !churn.is_empty() {
                    del(&ks, &churn.swap_remove(rng.usize(..churn.len())));
                }
            }
            // Growth stops at some point, so that even a wrong cursor terminates.
            let adds = match rng.u8(..) {
                _ if calls > 300 => 0,
                0..8 => 700,
                _ => rng.usize(0..6),
            };
            for _ in 0..adds {
                let c = format!("c{next}");
                next += 1;
                put(&ks, &c);
                churn.push(c);
            }
        }
        for k in &stable {
            assert!(
                seen.contains(k.as_bytes()),
                "shards {shards} seed {seed}: {k} missed"
            );
        }
    }

    #[test]
    fn every_stable_key_is_returned_despite_moves_and_growth() {
        for seed in 0..10 {
            churning_scan(1, seed);
            churning_scan(4, seed);
        }
    }

    #[test]
    fn cursor_encodes_shard_and_position() {
        let ks = Keyspace::new(1, 4, 7);
        for i in 0..100 {
            put(&ks, &format!("k{i}"));
        }
        let filter = ScanFilter {
            pattern: None,
            type_name: None,
        };
        let mut out = Vec::new();
        let c = ks.scan(0, 0, 1, NOW, &filter, &mut out, None);
        // One key visited in shard 0, which is not finished: shard 0, position len0 - 1.
        let len0 = ks.shards[0].lock().dbs[0].len() as u64;
        assert_eq!(c, (len0 - 1) << 2);
        assert_eq!(out.len(), 1);
    }
}
