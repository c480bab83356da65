//! The Tokio I/O loop shared by lode's Tokio-based transports (docs/ARCHITECTURE.md).
//!
//! A transport accepts a client, wraps its byte stream in a [`Driver`] and spawns it; the
//! driver moves bytes between the stream and a core `Connection`, which holds the session and
//! every rule about reading, backpressure, timers and closing. transport-tokio drives TCP and
//! Unix sockets with it, transport-quic one bidirectional QUIC stream per session: the loop
//! lives here once so the two cannot drift apart.

#![warn(missing_docs)]

mod clock;
mod driver;
mod timer;

pub use clock::now;
pub use driver::{Driver, End, PeerEof};
