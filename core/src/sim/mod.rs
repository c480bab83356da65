//! Deterministic simulation (issue 3): many sessions against one `Server` on a simulated
//! clock, their inputs interleaved by a seeded RNG, with faults (partial frames, disconnects
//! mid-command, time jumps), every reply checked against a model of the keyspace. A failing
//! seed replays exactly: `LODE_SIM_SEED=n cargo test -p lode-core --test simulation -- --nocapture`.

pub mod client;
pub mod cmds;
pub mod model;
pub mod replay;
pub mod world;

pub use world::{run_seed, Failure, SimOptions};
