//! The replica side of replication: this server following a primary (REPLICAOF).
//!
//! The state the rest of the server reads (INFO replication, ROLE, the read-only check) is
//! [`Replica::status`]; the handshake and stream state machines live beside it
//! ([`handshake`], [`apply`]). lode-server's driver (server/src/replica.rs) owns the socket:
//! it watches [`Replica::target`] and [`Replica::epoch`], connects, runs the handshake, loads
//! the RDB and applies the stream, and records what it reaches with [`Replica::update`].

pub mod apply;
mod command;
pub mod handshake;
pub mod writable;

pub use command::{become_primary, become_replica, replicaof};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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

impl MasterStatus {
    /// A link just configured (REPLICAOF, `replicaof` at startup): not connected yet.
    pub fn new(host: String, port: u16) -> MasterStatus {
        MasterStatus {
            host,
            port,
            state: "connect",
            link_up: false,
            last_io_ms: None,
            sync_in_progress: false,
            read_offset: 0,
            applied_offset: 0,
            down_since_ms: None,
        }
    }
}

/// The replica side's state (see the module docs).
#[derive(Default)]
pub struct Replica {
    status: Mutex<Option<MasterStatus>>,
    /// `status.is_some()`, read without the lock on every write command (the read-only check).
    active: AtomicBool,
    /// Bumped on every change of primary (REPLICAOF): the driver drops a link whose epoch is
    /// older.
    epoch: AtomicU64,
    /// The primary this server last followed, to PSYNC from after a broken link: its
    /// replication id and the offset applied (Redis's cached master).
    cached: Mutex<Option<(String, i64)>>,
    /// Wakes the host's driver when the primary setting changes, so it connects at once.
    waker: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    /// The database the primary's stream has selected (the master client's), kept for a
    /// restart (`repl-stream-db`) and for the master client of a partial resync.
    stream_db: std::sync::atomic::AtomicUsize,
    /// Keys this replica's own clients wrote with a TTL (see [`writable`]).
    pub written: writable::WrittenKeys,
}

impl Replica {
    /// The link to the primary; None when this server is a primary.
    pub fn status(&self) -> Option<MasterStatus> {
        self.status.lock().clone()
    }

    /// Replaces the link's status (None: this server is a primary again).
    pub fn set_status(&self, status: Option<MasterStatus>) {
        let mut s = self.status.lock();
        self.active.store(status.is_some(), Ordering::Release);
        *s = status;
    }

    /// Whether this server follows a primary.
    pub fn is_replica(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Whether the link to the primary is down while this server is a replica (ROLE's state
    /// is not "connected"): `replica-serve-stale-data no` refuses commands then.
    pub fn link_down(&self) -> bool {
        self.status
            .lock()
            .as_ref()
            .is_some_and(|s| s.state != "connected")
    }

    /// The generation of the primary setting (see [`Replica::update`]).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The primary to follow and the epoch it was set in; None while a primary.
    pub fn target(&self) -> Option<(String, u16, u64)> {
        let s = self.status.lock();
        s.as_ref()
            .map(|s| (s.host.clone(), s.port, self.epoch.load(Ordering::Acquire)))
    }

    /// Follows `host:port` from now on (REPLICAOF host port); false when it already does
    /// (Redis's "Already connected to specified master"). The host compares ignoring case.
    pub fn set_primary(&self, host: &str, port: u16) -> bool {
        let mut s = self.status.lock();
        if let Some(cur) = s.as_ref() {
            if cur.host.eq_ignore_ascii_case(host) && cur.port == port {
                return false;
            }
        }
        *s = Some(MasterStatus::new(host.to_string(), port));
        self.active.store(true, Ordering::Release);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        drop(s);
        self.wake_driver();
        true
    }

    /// The database the primary's stream has selected.
    pub fn stream_db(&self) -> usize {
        self.stream_db.load(Ordering::Relaxed)
    }

    /// Records the database the primary's stream selected (the master client, as it applies).
    pub fn note_stream_db(&self, db: usize) {
        self.stream_db.store(db, Ordering::Relaxed);
    }

    /// Registers how to wake the host's replication driver (see [`Replica::target`]).
    pub fn set_waker(&self, wake: Box<dyn Fn() + Send + Sync>) {
        *self.waker.lock() = Some(wake);
    }

    fn wake_driver(&self) {
        if let Some(wake) = self.waker.lock().as_ref() {
            wake();
        }
    }

    /// Becomes a primary (REPLICAOF NO ONE) and forgets the cached primary. Returns whether
    /// this server was a replica.
    pub fn promote(&self) -> bool {
        let mut s = self.status.lock();
        if s.is_none() {
            return false;
        }
        *s = None;
        self.active.store(false, Ordering::Release);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        *self.cached.lock() = None;
        self.written.clear();
        drop(s);
        self.wake_driver();
        true
    }

    /// The cached primary: (replid, applied offset) of the stream followed so far.
    pub fn cached(&self) -> Option<(String, i64)> {
        self.cached.lock().clone()
    }

    /// Records the primary's replication id and the offset applied (the driver, as the stream
    /// advances); None forgets it (a full sync is needed).
    pub fn set_cached(&self, cached: Option<(String, i64)>) {
        *self.cached.lock() = cached;
    }

    /// [`Replica::update`] that also records the cached primary, both under the status lock
    /// (so REPLICAOF NO ONE sees the offset of the last command applied).
    pub fn update_cached(
        &self,
        epoch: u64,
        cached: Option<(String, i64)>,
        f: impl FnOnce(&mut MasterStatus),
    ) -> bool {
        self.update(epoch, |st| {
            f(st);
            *self.cached.lock() = cached;
        })
    }

    /// Changes the status of the link of `epoch`; nothing when REPLICAOF changed the primary
    /// since (the driver's link is stale) or this server is a primary. Returns whether the
    /// epoch is still current.
    pub fn update(&self, epoch: u64, f: impl FnOnce(&mut MasterStatus)) -> bool {
        let mut s = self.status.lock();
        if self.epoch.load(Ordering::Acquire) != epoch {
            return false;
        }
        match s.as_mut() {
            Some(st) => {
                f(st);
                true
            }
            None => false,
        }
    }
}

/// Redis's reply refusing a write on a read-only replica.
pub const READONLY_ERROR: &str = "READONLY You can't write against a read only replica.";
/// Redis's reply refusing a command while the link is down and stale data is not served.
pub const MASTERDOWN_ERROR: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// The replica checks of the call boundary: `readonly` asks the read-only one (a write from
/// a client other than the primary's, with `replica-read-only yes`), else the stale-data one
/// (a command without the `stale` flag while the link is down and
/// `replica-serve-stale-data no`).
pub fn refusal(
    server: &crate::server::Server,
    state: &crate::client::ClientState,
    cmd: &crate::command::Command,
    readonly: bool,
) -> Option<&'static str> {
    use crate::command::CommandFlags;
    let repl = &server.repl.replica;
    if !repl.is_replica() || state.replaying {
        return None;
    }
    if readonly {
        let ro = cmd.flags.has(CommandFlags::WRITE) && server.config.read().replica_read_only;
        return ro.then_some(READONLY_ERROR);
    }
    if cmd.flags.has(CommandFlags::STALE) || !repl.link_down() {
        return None;
    }
    let stale = server.config.read().get("replica-serve-stale-data");
    (stale.as_deref() == Some("no")).then_some(MASTERDOWN_ERROR)
}

/// The read-only check for a write command a script calls (Redis's
/// scriptVerifyWriteCommandAllow): `original` is the client that ran the script.
pub fn script_write_refusal(
    server: &crate::server::Server,
    original: &crate::client::ClientState,
) -> Option<&'static str> {
    let repl = &server.repl.replica;
    (repl.is_replica() && !original.replaying && server.config.read().replica_read_only)
        .then_some(READONLY_ERROR)
}
