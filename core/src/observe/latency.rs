//! The latency monitor (Redis's latency.c): for each event that took at least
//! `latency-monitor-threshold` milliseconds (a slow command, an expiry cycle, an AOF write...),
//! a ring of its latest 160 samples, one per second (the worst of that second), and the worst
//! ever seen since its last reset.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sync::Mutex;

/// Samples kept per event.
pub const SERIES_LEN: usize = 160;

/// One sample: the worst latency (ms) of an event during one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds; 0 marks an unused slot.
    pub time: u64,
    /// Milliseconds.
    pub latency: u64,
}

/// One event's samples.
#[derive(Clone, Debug)]
pub struct Series {
    /// Where the next sample goes.
    idx: usize,
    /// The highest latency seen since the series was created.
    pub max: u64,
    samples: [Sample; SERIES_LEN],
}

impl Series {
    fn new() -> Self {
        Series {
            idx: 0,
            max: 0,
            samples: [Sample::default(); SERIES_LEN],
        }
    }

    fn add(&mut self, latency: u64, now: u64) {
        self.max = self.max.max(latency);
        let prev = (self.idx + SERIES_LEN - 1) % SERIES_LEN;
        if self.samples[prev].time == now {
            let s = &mut self.samples[prev];
            s.latency = s.latency.max(latency);
            return;
        }
        self.samples[self.idx] = Sample { time: now, latency };
        self.idx = (self.idx + 1) % SERIES_LEN;
    }

    /// The latest sample (unused slot if none).
    pub fn latest(&self) -> Sample {
        self.samples[(self.idx + SERIES_LEN - 1) % SERIES_LEN]
    }

    /// The samples kept, oldest first.
    pub fn history(&self) -> Vec<Sample> {
        (0..SERIES_LEN)
            .map(|j| self.samples[(self.idx + j) % SERIES_LEN])
            .filter(|s| s.time != 0)
            .collect()
    }

    /// LATENCY DOCTOR's figures for this series at `now` (Redis's analyzeLatencyForEvent).
    pub fn analyze(&self, now: u64) -> Analysis {
        let kept = self.history();
        let mut a = Analysis {
            all_time_high: self.max,
            ..Analysis::default()
        };
        if kept.is_empty() {
            return a;
        }
        let sum: u64 = kept.iter().map(|s| s.latency).sum();
        a.samples = kept.len() as u64;
        a.min = kept.iter().map(|s| s.latency).min().unwrap_or(0);
        a.max = kept.iter().map(|s| s.latency).max().unwrap_or(0);
        a.avg = sum / a.samples;
        let oldest = kept.iter().map(|s| s.time).min().unwrap_or(now);
        a.period = now.saturating_sub(oldest).max(1);
        let deviation: u64 = kept.iter().map(|s| s.latency.abs_diff(a.avg)).sum();
        a.mad = deviation / a.samples;
        a
    }
}

/// What LATENCY DOCTOR says about one event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The highest latency since the series began.
    pub all_time_high: u64,
    /// Average of the kept samples (ms, rounded down).
    pub avg: u64,
    /// Lowest kept sample.
    pub min: u64,
    /// Highest kept sample.
    pub max: u64,
    /// Mean absolute deviation from `avg`.
    pub mad: u64,
    /// Samples kept.
    pub samples: u64,
    /// Seconds from the oldest kept sample to now (at least 1).
    pub period: u64,
}

/// Every event's series, and the threshold (mirrored from the configuration so recording a
/// sample costs one relaxed load when the monitor is off, its default).
#[derive(Default)]
pub struct LatencyMonitor {
    threshold_ms: AtomicU64,
    events: Mutex<BTreeMap<String, Series>>,
}

impl LatencyMonitor {
    /// Installs `latency-monitor-threshold` (ms; 0 turns the monitor off).
    pub fn set_threshold(&self, ms: i64) {
        self.threshold_ms.store(ms.max(0) as u64, Ordering::Relaxed);
    }

    /// The threshold in milliseconds (0: off).
    pub fn threshold_ms(&self) -> u64 {
        self.threshold_ms.load(Ordering::Relaxed)
    }

    /// Records that `event` took `ms` milliseconds at Unix second `now`, if the monitor is on
    /// and that reaches the threshold.
    #[inline]
    pub fn add_if_needed(&self, event: &str, ms: u64, now: u64) {
        let t = self.threshold_ms();
        if t != 0 && ms >= t {
            self.add(event, ms, now);
        }
    }

    /// Records a sample unconditionally.
    pub fn add(&self, event: &str, ms: u64, now: u64) {
        let mut events = self.events.lock();
        if let Some(s) = events.get_mut(event) {
            s.add(ms, now);
        } else {
            let mut s = Series::new();
            s.add(ms, now);
            events.insert(event.to_string(), s);
        }
    }

    /// Forgets the events named (case-insensitively) `event`, or every event for None;
    /// returns how many were forgotten.
    pub fn reset(&self, event: Option<&[u8]>) -> usize {
        let mut events = self.events.lock();
        let before = events.len();
        match event {
            None => events.clear(),
            Some(e) => events.retain(|name, _| !name.as_bytes().eq_ignore_ascii_case(e)),
        }
        before - events.len()
    }

    /// The series of `event` (exact name), with the name as stored.
    pub fn series(&self, event: &[u8]) -> Option<Series> {
        let name = std::str::from_utf8(event).ok()?;
        self.events.lock().get(name).cloned()
    }

    /// Every event with its series, in name order.
    pub fn all(&self) -> Vec<(String, Series)> {
        self.events
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Whether no event was recorded since the last reset.
    pub fn is_empty(&self) -> bool {
        self.events.lock().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeping_the_worst() {
        let m = LatencyMonitor::default();
        m.add_if_needed("command", 500, 100);
        assert!(m.is_empty(), "off by default");
        m.set_threshold(100);
        m.add_if_needed("command", 99, 100);
        assert!(m.is_empty());
        m.add_if_needed("command", 150, 100);
        m.add_if_needed("command", 300, 100);
        m.add_if_needed("command", 120, 100);
        m.add_if_needed("command", 200, 101);
        let s = m.series(b"command").expect("recorded");
        assert_eq!(
            s.history(),
            vec![
                Sample {
                    time: 100,
                    latency: 300
                },
                Sample {
                    time: 101,
                    latency: 200
                }
            ]
        );
        assert_eq!(s.max, 300);
        assert_eq!(
            s.latest(),
            Sample {
                time: 101,
                latency: 200
            }
        );
        assert!(m.series(b"COMMAND").is_none());
    }

    #[test]
    fn keeps_the_latest_160_seconds() {
        let m = LatencyMonitor::default();
        for t in 1..=200 {
            m.add("expire-cycle", t, t);
        }
        let s = m.series(b"expire-cycle").expect("recorded");
        let h = s.history();
        assert_eq!(h.len(), SERIES_LEN);
        assert_eq!(h[0].time, 41);
        assert_eq!(h[SERIES_LEN - 1].time, 200);
        assert_eq!(s.max, 200);
    }

    #[test]
    fn reset_by_name_or_all() {
        let m = LatencyMonitor::default();
        m.add("command", 1, 1);
        m.add("fast-command", 1, 1);
        m.add("expire-cycle", 1, 1);
        assert_eq!(m.reset(Some(b"nosuch")), 0);
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert_eq!(
            m.all().into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
            vec!["expire-cycle", "fast-command"]
        );
        assert_eq!(m.reset(None), 2);
        assert!(m.is_empty());
    }

    #[test]
    fn analysis_like_redis() {
        let m = LatencyMonitor::default();
        m.add("command", 300, 1000);
        m.add("command", 400, 1002);
        m.add("command", 500, 1004);
        let a = m.series(b"command").expect("recorded").analyze(1010);
        assert_eq!(
            a,
            Analysis {
                all_time_high: 500,
                avg: 400,
                min: 300,
                max: 500,
                mad: 66,
                samples: 3,
                period: 10,
            }
        );
    }
}
