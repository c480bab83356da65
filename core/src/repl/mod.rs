//! Replication: the primary side (SYNC/PSYNC with the backlog, REPLCONF, WAIT, the replicas
//! it streams to) and the replica side (following a primary with REPLICAOF).
//!
//! A client that sends SYNC or PSYNC gets an RDB snapshot of the dataset and then, live, the
//! propagation stream from the offset the snapshot was taken at, or, when PSYNC names this
//! server's replication id and an offset the backlog still holds, `+CONTINUE` and the stream
//! from there.

pub mod replica;
mod sync;

use crate::command::Handler;

/// The replication commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[("sync", sync::sync), ("psync", sync::psync)];

/// This server's replication state.
#[derive(Default)]
pub struct Replication {
    /// The replica side: the link to this server's primary, when it follows one.
    pub replica: replica::Replica,
}
