//! lode's conformance suite: client-visible behaviour written as `.case` files (see
//! `README.md`), run against a real `redis-server` and against `lode-server` over TCP and
//! Unix sockets by `tests/conformance.rs`.

pub mod case;
pub mod client;
pub mod features;
pub mod lode_bin;
pub mod report;
pub mod run;
pub mod server;
pub mod target;

pub use lode_core::resp::value::{parse, ParseError, Value};
