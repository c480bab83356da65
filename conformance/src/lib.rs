//! lode's conformance suite: client-visible behaviour written as `.case` files (see
//! `README.md`), run against a real `redis-server` (TCP, Unix) and against `lode-server` over every
//! transport (TCP, Unix, io_uring, QUIC, QUIC through the bridge) by `tests/conformance.rs`.

pub mod case;
pub mod certs;
pub mod client;
pub mod features;
pub mod lode_bin;
pub mod report;
pub mod run;
pub mod server;
pub mod target;

pub use lode_core::resp::value::{parse, ParseError, Value};
