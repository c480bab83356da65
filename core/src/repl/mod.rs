//! Replication: the primary side (SYNC/PSYNC with the backlog, REPLCONF, WAIT, the replicas
//! it streams to) and the replica side (following a primary with REPLICAOF).
//!
//! A client that sends SYNC or PSYNC gets an RDB snapshot of the dataset and then, live, the
//! propagation stream from the offset the snapshot was taken at, or, when PSYNC names this
//! server's replication id and an offset the backlog still holds, `+CONTINUE` and the stream
//! from there.

mod commands;
pub mod failover;
pub mod fullsync;
pub mod info;
pub mod primary;
pub mod replica;
pub mod saved;
mod sync;

use crate::command::Handler;

/// The replication commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("sync", sync::sync),
    ("psync", sync::psync),
    ("replconf", commands::replconf),
    ("wait", commands::wait),
    ("role", commands::role),
    ("replicaof", replica::replicaof),
    ("slaveof", replica::replicaof),
    ("failover", failover::failover),
];

/// This server's replication state.
pub struct Replication {
    /// The primary side: replication ids, WAITs.
    pub primary: primary::Primary,
    /// The replica side: the link to this server's primary, when it follows one.
    pub replica: replica::Replica,
    /// FAILOVER's state.
    pub failover: failover::Failover,
}

impl Replication {
    /// The state of a server that replicates nothing yet, with replication id `replid`.
    pub fn new(replid: String, config: &crate::config::Config) -> Self {
        let primary = primary::Primary::default();
        primary.configure(config);
        primary.set_replid(replid);
        Replication {
            primary,
            replica: Default::default(),
            failover: Default::default(),
        }
    }
}
