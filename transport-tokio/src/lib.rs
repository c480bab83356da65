//! lode's default transport: TCP and Unix-socket listeners on Tokio, each connection driving
//! one core `Session` (docs/ARCHITECTURE.md).
//!
//! The binary binds the listening sockets (synchronously, so it can fail like redis-server
//! before serving), then [`start`]s the worker threads on them, and calls
//! [`Running::shutdown`] when it is time to exit.

mod connection;
mod runtime;

pub use runtime::{start, Control, Flavor, Options, Running};

use std::time::{SystemTime, UNIX_EPOCH};

use lode_core::Now;

/// The wall clock as the core wants it.
pub fn now() -> Now {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Now(d.as_micros() as u64)
}
