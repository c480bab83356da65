//! lode's default transport: TCP and Unix-socket listeners on Tokio, each connection driving
//! one core `Session` through lode-tokio-driver's I/O loop (docs/ARCHITECTURE.md).
//!
//! The binary binds the listening sockets (synchronously, so it can fail like redis-server
//! before serving), then [`start`]s the worker threads on them, and calls
//! [`Running::shutdown`] when it is time to exit.

mod runtime;
mod tls;

pub use lode_tls::Acceptor;
pub use lode_tokio_driver::now;
pub use runtime::{start, Control, Flavor, Options, Running};
