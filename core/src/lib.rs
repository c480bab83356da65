//! lode-core: the sans-I/O engine of lode, a Redis-compatible in-memory database.
//!
//! Nothing in this crate performs I/O, reads a clock, spawns a thread or draws from a global
//! random source: transports feed bytes and time in and take replies and events out
//! (see docs/ARCHITECTURE.md, "The sans-I/O contract").

pub mod acl;
pub mod admin;
pub mod admission;
pub mod blocking;
pub mod client;
pub mod clock;
pub mod command;
pub mod config;
#[cfg(not(loom))]
pub mod connection;
#[cfg(not(loom))]
pub mod cron;
pub mod effects;
pub mod evict;
pub mod handlers;
pub mod host;
pub mod keyspace;
pub mod observe;
pub mod pause;
pub mod persist;
pub mod persistence;
pub mod propagate;
pub mod pubsub;
pub mod repl;
pub mod resp;
#[cfg(test)]
mod robustness;
pub mod scripting;
pub mod server;
pub mod session;
// The simulator drives `Connection`, which loom builds leave out.
#[cfg(all(any(test, feature = "testkit"), not(loom)))]
pub mod sim;
pub mod stats;
pub mod sync;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod tracking;
pub mod tx;
pub mod types;
pub mod util;

pub use clock::Now;
pub use server::{Host, Server};
pub use session::{ClientInfo, Session, Waker};
