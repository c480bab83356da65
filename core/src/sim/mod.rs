//! Deterministic simulation (issue 3): many clients against one `Server` on a simulated
//! clock, their inputs interleaved by a seeded RNG, with faults (partial frames, hang-ups
//! mid-command, time jumps, slow readers, kills), every reply checked against a model of the
//! keyspace. Each client drives a `connection::Connection` through a simulated transport that
//! calls it as the Tokio transport does (`conn`). A failing seed replays exactly:
//! `LODE_SIM_SEED=n cargo test -p lode-core --test simulation -- --nocapture`.

pub mod check;
pub mod client;
pub mod cmds;
pub mod conn;
pub mod model;
mod poll;
pub mod replay;
pub mod world;

pub use world::{run_seed, Failure, SimCounts, SimOptions};
