//! lode's io_uring transport: TCP and Unix-socket clients served on compio runtimes, one
//! runtime (one ring) per worker thread, each connection driving one core `Session`
//! (DESIGN.md §2).
//!
//! The binary binds the listening sockets, calls [`probe`] to learn whether the kernel allows
//! io_uring at all (falling back to the Tokio transport if not), then [`start`]s the workers on
//! the listeners, and calls [`Running::shutdown`] when it is time to exit.

mod accept;
mod connection;
mod inbox;
mod runtime;

pub use runtime::{start, Control, Options, Running};

use std::time::{SystemTime, UNIX_EPOCH};

use lode_core::Now;

/// The wall clock as the core wants it.
pub fn now() -> Now {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Now(d.as_micros() as u64)
}

/// Whether this kernel lets the process set up an io_uring (it may refuse: ENOSYS on old or
/// hardened kernels, EPERM under `kernel.io_uring_disabled` or a seccomp filter).
pub fn probe() -> std::io::Result<()> {
    runtime::new_ring().map(drop)
}
