//! The eviction pool: the best candidates seen by recent samplings, as Redis's
//! `EvictionPoolLRU` keeps them. A sampling offers each key it looks at with a score (idle
//! time, inverted frequency or inverted expiry time: higher goes first); the pool keeps the
//! [`POOL_SIZE`] highest, so a key that was a good candidate in an earlier sampling can still
//! be chosen later. Unlike Redis, a key already in the pool is not added twice.

/// Candidates kept between samplings (Redis's EVPOOL_SIZE).
pub const POOL_SIZE: usize = 16;

/// A key that may be evicted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Higher is evicted first.
    pub score: u64,
    /// The key's database.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
}

/// Up to [`POOL_SIZE`] candidates in ascending score order.
#[derive(Debug, Default)]
pub struct Pool {
    entries: Vec<Candidate>,
}

impl Pool {
    /// Number of candidates held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool holds no candidate.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Offers `key` of `db` with `score`. A full pool drops its lowest candidate to make room,
    /// and refuses a key scoring no better than that one.
    pub fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if self.entries.iter().any(|c| c.db == db && c.key == key) {
            return;
        }
        let at = self.entries.partition_point(|c| c.score < score);
        if self.entries.len() == POOL_SIZE {
            if at == 0 {
                return;
            }
            // The lowest goes; everything below the insertion point shifts down by one.
            let mut reuse = self.entries.remove(0);
            reuse.score = score;
            reuse.db = db;
            reuse.key.clear();
            reuse.key.extend_from_slice(key);
            self.entries.insert(at - 1, reuse);
            return;
        }
        self.entries.insert(
            at,
            Candidate {
                score,
                db,
                key: key.to_vec(),
            },
        );
    }

    /// Takes the highest-scoring candidate out of the pool.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }

    /// Forgets every candidate (FLUSHALL, a policy change).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(p: &Pool) -> Vec<u64> {
        p.entries.iter().map(|c| c.score).collect()
    }

    #[test]
    fn keeps_the_highest_scores_in_order() {
        let mut p = Pool::default();
        for (i, s) in [5u64, 1, 9, 3, 7].into_iter().enumerate() {
            p.offer(s, 0, format!("k{i}").as_bytes());
        }
        assert_eq!(scores(&p), vec![1, 3, 5, 7, 9]);
        assert_eq!(
            p.pop_best().map(|c| (c.score, c.key)),
            Some((9, b"k2".to_vec()))
        );
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn a_full_pool_drops_its_lowest() {
        let mut p = Pool::default();
        for i in 0..POOL_SIZE as u64 {
            p.offer(100 + i, 0, format!("a{i}").as_bytes());
        }
        // No better than the lowest: refused.
        p.offer(100, 0, b"low");
        p.offer(50, 0, b"lower");
        assert_eq!(p.len(), POOL_SIZE);
        assert!(!p
            .entries
            .iter()
            .any(|c| c.key == b"low" || c.key == b"lower"));
        // Better than the lowest: the lowest goes.
        p.offer(108, 1, b"mid");
        assert_eq!(p.len(), POOL_SIZE);
        assert_eq!(scores(&p)[0], 101);
        assert!(p.entries.windows(2).all(|w| w[0].score <= w[1].score));
        p.offer(1000, 0, b"top");
        assert_eq!(p.pop_best().map(|c| c.key), Some(b"top".to_vec()));
    }

    #[test]
    fn the_same_key_is_held_once() {
        let mut p = Pool::default();
        p.offer(3, 0, b"k");
        p.offer(4, 0, b"k");
        p.offer(4, 1, b"k");
        assert_eq!(p.len(), 2);
        p.clear();
        assert!(p.is_empty());
    }
}
