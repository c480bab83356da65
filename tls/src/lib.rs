//! lode's TLS layer, shared by the transports (docs/ARCHITECTURE.md, "TLS").
//!
//! - [`server_config`] builds a rustls server configuration from redis.conf's `tls-*`
//!   options ([`TlsOptions`]) with Redis's checks and log lines; [`client_config`] the
//!   configuration of lode's own clients. Both read PEM with rustls-pki-types' parser.
//! - [`Acceptor`] holds the configuration new connections start from; CONFIG SET replaces it.
//! - [`Pump`] is one connection's TLS session as a sans-I/O byte pump: the transport feeds it
//!   ciphertext and takes plaintext out, gives it replies and sends what it encrypted. TCP
//!   over Tokio and over io_uring use it alike; QUIC uses the configurations only (quinn
//!   runs TLS inside QUIC itself).

#![warn(missing_docs)]

mod acceptor;
mod client;
mod error;
mod options;
pub mod pem;
mod pump;
mod server;
mod suites;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use acceptor::Acceptor;
pub use client::client_config;
pub use error::TlsError;
pub use options::{ClientAuth, TlsOptions};
pub use pump::{Plain, Pump};
pub use rustls;
pub use server::server_config;
