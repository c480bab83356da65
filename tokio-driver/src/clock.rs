//! The wall clock, read where the sans-I/O core needs `now`.

use std::time::{SystemTime, UNIX_EPOCH};

use lode_core::Now;

/// The wall clock as the core wants it (µs since the Unix epoch).
pub fn now() -> Now {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Now(d.as_micros() as u64)
}
