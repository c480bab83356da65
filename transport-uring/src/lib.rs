//! lode's io_uring transport: TCP and Unix-socket clients served on compio runtimes, one
//! runtime (one ring) per worker thread, each connection driving one core `Session`
//! (docs/ARCHITECTURE.md).
//!
//! The binary binds the listening sockets, calls [`probe`] to learn whether the kernel allows
//! io_uring at all (falling back to the Tokio transport if not), then [`start`]s the workers on
//! the listeners, and calls [`Running::shutdown`] when it is time to exit.
//!
//! - Workers: `threads` OS threads, each blocking on its own compio runtime. Worker 0 also
//!   runs the accept loops (one per listener) and the cron; admitted clients are dealt to the
//!   workers round-robin through their inboxes and stay there.
//! - Connections: one task per client with one receive and one send in flight at most, on
//!   compio's owned-buffer operations (see `connection`).
//! - Wake-ups: compio's task waker may be used from any thread (a remote wake queues the
//!   task on its executor's sync queue and wakes the ring), so the core's `Waker` sets a flag
//!   and wakes the connection task directly.
//! - Not used yet: compio's multishot `RecvMulti` with a ring-provided `BufferPool`. The pool
//!   is one per runtime (a single buffer group, 8 buffers by default) shared by every
//!   connection on the ring; a connection's bytes must still be copied into its session's
//!   input buffer (partial commands outlive a receive), and pausing input for backpressure
//!   means cancelling the multishot and re-arming it. What it would buy is one fewer SQE per
//!   receive and no receive buffer held by idle clients.

mod accept;
mod connection;
mod inbox;
mod runtime;
mod wire;

pub use lode_tls::Acceptor;
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
