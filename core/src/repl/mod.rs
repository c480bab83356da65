//! Replication, as far as it goes today: SYNC and PSYNC for observers. A client that sends
//! either gets an RDB snapshot of the dataset and then, live, the propagation stream from the
//! offset the snapshot was taken at — what Redis's own test helpers (`attach_to_replication_stream`)
//! and a replica's full resynchronisation read. The rest of the replication protocol (PSYNC
//! continuation, REPLCONF, the replica side) builds on this.

mod sync;

use crate::command::Handler;

/// The replication commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[("sync", sync::sync), ("psync", sync::psync)];
