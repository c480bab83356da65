//! Observability state, as Redis 7.0 keeps it: the slow log, the latency monitor, and the
//! latency histogram type each command carries. The call boundary records into them
//! (`command::observe`); SLOWLOG, LATENCY and INFO report them. Durations come from the host's
//! monotonic clock (`Host::monotonic_us`): core reads none itself.

pub mod histogram;
pub mod latency;
pub mod slowlog;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;

pub use histogram::LatencyHistogram;
pub use latency::LatencyMonitor;
pub use slowlog::SlowLog;

/// The server's observability state and the settings it is read with.
#[derive(Default)]
pub struct Observe {
    /// SLOWLOG's entries.
    pub slowlog: SlowLog,
    /// LATENCY's events.
    pub latency: LatencyMonitor,
    /// `latency-tracking`: whether calls are recorded in their command's histogram.
    tracking: AtomicBool,
}

impl Observe {
    /// Takes the settings from `config` (at start and after CONFIG SET).
    pub fn configure(&self, config: &Config) {
        self.slowlog
            .configure(config.slowlog_log_slower_than, config.slowlog_max_len);
        self.latency.set_threshold(config.latency_monitor_threshold);
        self.tracking
            .store(config.latency_tracking, Ordering::Relaxed);
    }

    /// Whether per-command latency histograms record (`latency-tracking`).
    #[inline]
    pub fn tracking(&self) -> bool {
        self.tracking.load(Ordering::Relaxed)
    }
}
