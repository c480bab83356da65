//! lode's default transport: TCP and Unix-socket listeners on Tokio, each connection driving
//! one core `Session`.

mod connection;
mod listener;

pub use listener::{serve, ListenConfig, Listeners};

use std::time::{SystemTime, UNIX_EPOCH};

use lode_core::Now;

/// The wall clock as the core wants it.
pub fn now() -> Now {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Now(d.as_micros() as u64)
}
