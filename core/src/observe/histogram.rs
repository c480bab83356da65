//! `LatencyHistogram`: one command's latency distribution, laid out as the HdrHistogram Redis
//! keeps per command (values 1 ns to 1 s, two significant digits), so INFO latencystats'
//! percentiles and LATENCY HISTOGRAM's buckets come out exactly as Redis computes them from the
//! same durations. Counters are relaxed atomics (statistics, recorded concurrently by every
//! worker running the command), allocated on the first recording: most commands never run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Smallest value tracked, in nanoseconds (shorter calls count as this).
pub const MIN_NS: u64 = 1;
/// Largest value tracked, in nanoseconds (longer calls count as this).
pub const MAX_NS: u64 = 1_000_000_000;

// HdrHistogram's layout for lowest value 1, highest 1e9, 2 significant figures: 256 linear
// sub-buckets (enough to tell 200 values apart), unit magnitude 0, and 23 buckets each doubling
// the range of the previous one; the first bucket's lower half is shared, hence (23 + 1) * 128.
const HALF_COUNT_MAGNITUDE: u32 = 7;
const HALF_COUNT: usize = 1 << HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (2 * HALF_COUNT as u64) - 1;
const BUCKET_COUNT: usize = 23;
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * HALF_COUNT;

/// LATENCY HISTOGRAM's first reporting level (1024 ns), doubled at each further level.
const CDF_FIRST_LEVEL: u64 = 1024;

fn bucket_index(v: u64) -> u32 {
    // The power of two that contains `v`, less the sub-bucket range.
    (64 - (v | SUB_BUCKET_MASK).leading_zeros()) - (HALF_COUNT_MAGNITUDE + 1)
}

fn index_for(v: u64) -> usize {
    let b = bucket_index(v);
    let sub = (v >> b) as usize;
    ((b as usize + 1) << HALF_COUNT_MAGNITUDE) + sub - HALF_COUNT
}

fn value_at_index(i: usize) -> u64 {
    let mut bucket = (i >> HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub = (i & (HALF_COUNT - 1)) + HALF_COUNT;
    if bucket < 0 {
        sub -= HALF_COUNT;
        bucket = 0;
    }
    (sub as u64) << bucket
}

fn lowest_equivalent(v: u64) -> u64 {
    let b = bucket_index(v);
    (v >> b) << b
}

fn highest_equivalent(v: u64) -> u64 {
    lowest_equivalent(v) + (1u64 << bucket_index(v)) - 1
}

/// One command's latency counts (see the module doc).
#[derive(Default)]
pub struct LatencyHistogram {
    counts: OnceLock<Box<[AtomicU64]>>,
}

impl LatencyHistogram {
    /// Counts one call that took `us` microseconds.
    #[inline]
    pub fn record_us(&self, us: u64) {
        self.record_ns(us.saturating_mul(1000));
    }

    /// Counts one call that took `ns` nanoseconds (clamped to the tracked range, as Redis does).
    pub fn record_ns(&self, ns: u64) {
        let counts = self
            .counts
            .get_or_init(|| (0..COUNTS_LEN).map(|_| AtomicU64::new(0)).collect());
        counts[index_for(ns.clamp(MIN_NS, MAX_NS))].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts as they are now, or None if nothing was recorded since the last reset (Redis
    /// then has no histogram for the command, and lists none).
    pub fn snapshot(&self) -> Option<Snapshot> {
        let counts: Vec<u64> = self
            .counts
            .get()?
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total = counts.iter().sum();
        (total > 0).then_some(Snapshot { counts, total })
    }

    /// Forgets every recorded call (CONFIG RESETSTAT).
    pub fn reset(&self) {
        for c in self.counts.get().into_iter().flat_map(|c| c.iter()) {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// A histogram's counts at one moment, for reporting.
#[derive(Clone, Debug)]
pub struct Snapshot {
    counts: Vec<u64>,
    total: u64,
}

impl Snapshot {
    /// Calls counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The value (ns) below which `percentile` percent of the calls fall: the highest value
    /// equivalent to the bucket where the cumulative count reaches that share, as
    /// HdrHistogram's `hdr_value_at_percentile` answers.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        let wanted = (((requested / 100.0) * self.total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        let mut value = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                value = value_at_index(i);
                break;
            }
        }
        if percentile == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }

    /// LATENCY HISTOGRAM's buckets: (upper bound in µs, calls up to it), at power-of-two levels
    /// from 1024 ns, listing only the levels that added calls. The walk is HdrHistogram's
    /// logarithmic iterator (base 2), whose bound is the highest value equivalent to the last
    /// count it absorbed, so the bounds read 1, 2, 4, 8, 16, 33, 66, 132... as in Redis.
    pub fn cdf(&self) -> Vec<(u64, u64)> {
        let mut walk = LogWalk::new(&self.counts, self.total);
        let mut out = Vec::new();
        let mut previous = 0;
        while walk.next() {
            if walk.cumulative > previous {
                out.push((walk.highest_equivalent / 1000, walk.cumulative));
            }
            previous = walk.cumulative;
        }
        out
    }
}

/// HdrHistogram's logarithmic iterator over a snapshot's counts.
struct LogWalk<'a> {
    counts: &'a [u64],
    total: u64,
    /// Index of the last count absorbed; -1 before the first.
    index: isize,
    cumulative: u64,
    value: u64,
    highest_equivalent: u64,
    level_low: u64,
    level: u64,
}

impl<'a> LogWalk<'a> {
    fn new(counts: &'a [u64], total: u64) -> Self {
        LogWalk {
            counts,
            total,
            index: -1,
            cumulative: 0,
            value: 0,
            highest_equivalent: 0,
            level: CDF_FIRST_LEVEL,
            level_low: lowest_equivalent(CDF_FIRST_LEVEL),
        }
    }

    /// Absorbs the next count; false past the last one.
    fn advance(&mut self) -> bool {
        self.index += 1;
        let Some(&n) = self.counts.get(self.index as usize) else {
            return false;
        };
        self.cumulative += n;
        self.value = value_at_index(self.index as usize);
        self.highest_equivalent = highest_equivalent(self.value);
        true
    }

    /// Moves to the next reporting level; false once everything was reported.
    fn next(&mut self) -> bool {
        let more_counts = self.cumulative < self.total;
        let next_index = (self.index + 1) as usize;
        let level_ahead =
            next_index < self.counts.len() && value_at_index(next_index) > self.level_low;
        if !more_counts && !level_ahead {
            return false;
        }
        loop {
            if self.value >= self.level_low {
                self.level *= 2;
                self.level_low = lowest_equivalent(self.level);
                return true;
            }
            if !self.advance() {
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdr_histogram() {
        assert_eq!(COUNTS_LEN, 3072);
        assert_eq!(index_for(1), 1);
        assert_eq!(index_for(255), 255);
        assert_eq!(index_for(256), 256);
        assert_eq!(value_at_index(index_for(5000)), 4992);
        assert_eq!(highest_equivalent(5000), 5023);
        assert_eq!(highest_equivalent(1024), 1031);
        assert_eq!(highest_equivalent(32768), 33023);
        assert!(index_for(MAX_NS) < COUNTS_LEN);
    }

    #[test]
    fn percentiles_like_redis() {
        let h = LatencyHistogram::default();
        assert!(h.snapshot().is_none());
        for _ in 0..99 {
            h.record_us(5);
        }
        h.record_us(3096);
        let s = h.snapshot().expect("recorded");
        assert_eq!(s.total(), 100);
        // Redis prints these as p50=5.023, p99=5.023, p99.9=3096.575.
        assert_eq!(s.value_at_percentile(50.0), 5023);
        assert_eq!(s.value_at_percentile(99.0), 5023);
        assert_eq!(s.value_at_percentile(99.9), 3_096_575);
        assert_eq!(s.value_at_percentile(100.0), 3_096_575);
        assert_eq!(s.value_at_percentile(0.0), 4992);
    }

    #[test]
    fn zero_and_huge_durations_are_clamped() {
        let h = LatencyHistogram::default();
        h.record_us(0);
        h.record_us(5_000_000);
        let s = h.snapshot().expect("recorded");
        assert_eq!(s.value_at_percentile(50.0), 1);
        assert_eq!(s.value_at_percentile(100.0), highest_equivalent(MAX_NS));
    }

    #[test]
    fn cdf_buckets_like_redis() {
        // Durations that a real redis-server reported for SET as
        // "histogram_usec 2 1 4 18 8 48 16 49 33 50" have this shape:
        let h = LatencyHistogram::default();
        h.record_us(2);
        for _ in 0..17 {
            h.record_us(3);
        }
        for _ in 0..30 {
            h.record_us(6);
        }
        h.record_us(12);
        h.record_us(31);
        let s = h.snapshot().expect("recorded");
        assert_eq!(s.cdf(), vec![(2, 1), (4, 18), (8, 48), (16, 49), (33, 50)]);
        // The second DEBUG SLEEP histogram Redis printed: "264 1 4227 2".
        let d = LatencyHistogram::default();
        d.record_us(189);
        d.record_us(3096);
        let s = d.snapshot().expect("recorded");
        assert_eq!(s.cdf(), vec![(264, 1), (4227, 2)]);
        // Calls of 0 µs count as 1 ns: the first level.
        let z = LatencyHistogram::default();
        z.record_us(0);
        z.record_us(1);
        assert_eq!(z.snapshot().expect("recorded").cdf(), vec![(1, 2)]);
    }

    #[test]
    fn reset_forgets_everything() {
        let h = LatencyHistogram::default();
        h.record_us(10);
        h.reset();
        assert!(h.snapshot().is_none());
        h.record_us(10);
        assert_eq!(h.snapshot().map(|s| s.total()), Some(1));
    }
}
