//! lode over QUIC (quinn + rustls/ring): one bidirectional stream carries one RESP session,
//! exactly as one TCP connection would (docs/ARCHITECTURE.md).
//!
//! [`start`] serves a core `Server` on UDP sockets it binds itself; [`client`] is an async and
//! a blocking client for those streams; [`bridge`] lets stock TCP/Unix Redis clients reach a
//! QUIC server through one shared QUIC connection.

#![warn(missing_docs)]

pub mod bridge;
pub mod client;
mod config;
mod error;
mod server;
mod tls;
mod worker;

pub use config::{ClientAuth, ServerOptions};
pub use error::QuicError;
pub use lode_tokio_driver::now;
pub use server::{start, Running};

/// The ALPN protocol token both ends must offer.
pub const ALPN: &[u8] = b"lode-resp";
