//! The replica side of replication: this server following a primary (REPLICAOF).
//!
//! The state the rest of the server reads (INFO replication, ROLE, the read-only check) is
//! [`Replica::status`]; the handshake and stream state machines live beside it.

use crate::sync::Mutex;

/// What INFO replication and ROLE show of the link to this server's primary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterStatus {
    /// `master_host`.
    pub host: String,
    /// `master_port`.
    pub port: u16,
    /// ROLE's state: "connect", "connecting", "handshake", "sync" or "connected".
    pub state: &'static str,
    /// `master_link_status`: up once the stream flows.
    pub link_up: bool,
    /// Milliseconds (server clock) of the last byte read from the primary; None before any.
    pub last_io_ms: Option<u64>,
    /// `master_sync_in_progress`: a full sync's RDB is being received.
    pub sync_in_progress: bool,
    /// `slave_read_repl_offset`: the offset of the stream read so far.
    pub read_offset: i64,
    /// `slave_repl_offset`: the offset of the stream applied so far.
    pub applied_offset: i64,
    /// Milliseconds (server clock) when the link went down; None while up.
    pub down_since_ms: Option<u64>,
}

/// The replica side's state (see the module docs).
#[derive(Default)]
pub struct Replica {
    status: Mutex<Option<MasterStatus>>,
}

impl Replica {
    /// The link to the primary; None when this server is a primary.
    pub fn status(&self) -> Option<MasterStatus> {
        self.status.lock().clone()
    }

    /// Replaces the link's status (None: this server is a primary again).
    pub fn set_status(&self, status: Option<MasterStatus>) {
        *self.status.lock() = status;
    }

    /// Whether this server follows a primary.
    pub fn is_replica(&self) -> bool {
        self.status.lock().is_some()
    }
}
