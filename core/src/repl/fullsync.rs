//! Full synchronisation as Redis 7.0's primary runs it.
//!
//! With `repl-diskless-sync no`, or for a replica that did not announce `REPLCONF capa eof`,
//! a SYNC/PSYNC that needs a full sync is answered at once: the snapshot as `$<len>\r\n<rdb>`,
//! the stream right after it (`sync::disk_full_resync`; lode has no fork, so there is no
//! file to wait for).
//!
//! Diskless (`repl-diskless-sync yes`, the default), the replica waits instead (Redis's
//! WAIT_BGSAVE_START, INFO `state=wait_bgsave`) and gets a `"\n"` keepalive every second.
//! Once `repl-diskless-sync-delay` seconds have passed since the first waiting replica
//! arrived, or `repl-diskless-sync-max-replicas` are waiting, one snapshot taken at one
//! offset serves every waiting replica: `+FULLRESYNC <replid> <offset>` (not for SYNC), then
//! `$EOF:<mark>\r\n<rdb><mark>`. A Redis replica finds the end of the payload by the mark
//! being the last bytes it read, so nothing follows until the replica's first `REPLCONF ACK`
//! (Redis's repl_start_cmd_stream_on_ack): until then its reader waits here, holding the
//! stream from the snapshot's offset. Replicas arriving while a transfer is still going out
//! wait for the next one. A delay of 0 starts the transfer in the SYNC/PSYNC itself, as
//! Redis starts its BGSAVE there.
//!
//! The transfers start from `primary::cron` (the server tick), which takes the exec gate
//! exclusively for the snapshot, as SYNC/PSYNC (EXCLUSIVE commands) hold it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::primary::{random_id, replica_ip, replicas};
use crate::client::ClientHandle;
use crate::command::Ctx;
use crate::propagate::LogReader;
use crate::server::Server;
use crate::sync::Mutex;

/// How often waiting replicas get a newline (Redis's replicationCron, once a second).
const KEEPALIVE_MS: u64 = 1000;

/// Where a replica stands in a full synchronisation (the part of Redis's replstate lode has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Synced (or about to stream once it acknowledges), or never asked for a full sync.
    Online = 0,
    /// Waiting for the next diskless transfer to start (WAIT_BGSAVE_START).
    WaitStart = 1,
    /// Its transfer's payload is going out (WAIT_BGSAVE_END with a socket target, which
    /// Redis's INFO also shows as `wait_bgsave`).
    Transfer = 2,
}

/// A replica's full-sync state, kept on its `ReplicaLink`.
#[derive(Default)]
pub struct ReplicaSync {
    phase: AtomicU8,
    /// REPLCONF capa eof: the replica reads `$EOF:<mark>` payloads.
    pub capa_eof: AtomicBool,
    /// It asked with PSYNC, so it gets the `+FULLRESYNC` line (SYNC gets none).
    psync: AtomicBool,
    /// When it began waiting (server clock, ms).
    since_ms: AtomicU64,
    /// During its transfer: the bytes it had left to read when last looked at, and when
    /// that last went down (a replica that reads nothing for `repl-timeout` is dropped).
    left: AtomicU64,
    progress_ms: AtomicU64,
}

impl ReplicaSync {
    /// Where the replica stands.
    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            1 => Phase::WaitStart,
            2 => Phase::Transfer,
            _ => Phase::Online,
        }
    }

    fn set(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// Moves from `from` to `to`; false if another thread moved it first.
    fn advance(&self, from: Phase, to: Phase) -> bool {
        self.phase
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// INFO's `state=` for it.
    pub fn state_name(&self) -> &'static str {
        match self.phase() {
            Phase::Online => "online",
            Phase::WaitStart | Phase::Transfer => "wait_bgsave",
        }
    }
}

/// A replica whose payload was sent: its place in the stream until its first ACK.
struct Pending {
    client: u64,
    reader: LogReader,
}

/// The primary's diskless-sync state.
#[derive(Default)]
pub struct FullSyncs {
    pending: Mutex<Vec<Pending>>,
    last_keepalive_ms: AtomicU64,
}

/// Redis's replicationGetSlaveName: `ip:port`, as the log lines name a replica.
pub fn replica_name(h: &ClientHandle) -> String {
    let ip = replica_ip(h);
    match h.repl.listening_port.load(Ordering::Relaxed) {
        0 => format!("{ip}:<unknown-replica-port>"),
        port if ip.contains(':') => format!("[{ip}]:{port}"),
        port => format!("{ip}:{port}"),
    }
}

/// A SYNC (`psync` false) or PSYNC that needs a full synchronisation: disk mode answers it
/// now; diskless, the client becomes a waiting replica. Runs under the exclusive exec gate.
pub(super) fn full_sync(ctx: &mut Ctx, psync: bool) {
    let server = ctx.server;
    server.stats.sync_full.fetch_add(1, Ordering::Relaxed);
    let (diskless, delay) = {
        let c = server.config.read();
        (c.repl_diskless_sync, c.repl_diskless_sync_delay)
    };
    let h = ctx.client.handle.clone();
    if !diskless || !h.repl.full.capa_eof.load(Ordering::Relaxed) {
        return super::sync::disk_full_resync(ctx, psync);
    }
    let now = ctx.now.ms();
    h.repl.full.psync.store(psync, Ordering::Relaxed);
    h.repl.full.since_ms.store(now, Ordering::Relaxed);
    h.repl.full.set(Phase::WaitStart);
    h.repl.ack_ms.store(now, Ordering::Relaxed);
    h.replica.store(true, Ordering::Relaxed);
    // The backlog exists from the first replica on (Redis creates it in SYNC).
    set_backlog(server);
    let attached = replicas(server);
    if attached
        .iter()
        .any(|r| r.repl.full.phase() == Phase::Transfer)
    {
        server
            .host
            .log("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    } else if delay > 0 {
        server.host.log("Delay next BGSAVE for diskless SYNC");
    } else {
        let waiting = waiting(&attached);
        start(server, now, &waiting, true);
    }
}

fn set_backlog(server: &Server) {
    let size = server.config.read().repl_backlog_size.max(1) as usize;
    server.keyspace.log.set_backlog(size);
}

fn waiting(list: &[Arc<ClientHandle>]) -> Vec<Arc<ClientHandle>> {
    list.iter()
        .filter(|h| h.repl.full.phase() == Phase::WaitStart)
        .cloned()
        .collect()
}

/// Serves every replica of `waiting` from one snapshot, taken now: the caller holds the exec
/// gate exclusively, so every reader starts at the offset the snapshot shows. `eof`: the
/// `$EOF:` framing (diskless), else `$<len>`.
fn start(server: &Server, now_ms: u64, waiting: &[Arc<ClientHandle>], eof: bool) {
    if waiting.is_empty() {
        return;
    }
    server.host.log(if eof {
        "Starting BGSAVE for SYNC with target: replicas sockets"
    } else {
        "Starting BGSAVE for SYNC with target: disk"
    });
    set_backlog(server);
    let log = &server.keyspace.log;
    let readers: Vec<LogReader> = waiting
        .iter()
        .map(|h| {
            let wake = h.clone();
            log.subscribe_replica(Some(Box::new(move || wake.waker.wake())))
        })
        .collect();
    let offset = readers[0].offset();
    let replid = server.repl.primary.replid();
    let rdb = super::sync::snapshot_rdb(server, now_ms, &replid, offset);
    let payload = if eof {
        // One mark per transfer, shared by its replicas, as Redis's child writes one.
        let mark = random_id(&mut server.rng.lock().fork());
        let mut p = Vec::with_capacity(rdb.len() + 2 * mark.len() + 7);
        p.extend_from_slice(format!("$EOF:{mark}\r\n").as_bytes());
        p.extend_from_slice(&rdb);
        p.extend_from_slice(mark.as_bytes());
        Bytes::from(p)
    } else {
        let mut p = format!("${}\r\n", rdb.len()).into_bytes();
        p.extend_from_slice(&rdb);
        Bytes::from(p)
    };
    let line = Bytes::from(format!("+FULLRESYNC {replid} {offset}\r\n"));
    let mut pending = server.repl.primary.fullsync.pending.lock();
    for (h, reader) in waiting.iter().zip(readers) {
        let mut queued = payload.len();
        if h.repl.full.psync.load(Ordering::Relaxed) {
            h.mailbox.push(line.clone());
            queued += line.len();
        }
        h.mailbox.push(payload.clone());
        // Counted at once: until its session publishes its output, the transfer must not
        // look finished (see `cron`).
        h.omem.fetch_add(queued, Ordering::Relaxed);
        h.repl.full.left.store(queued as u64, Ordering::Relaxed);
        h.repl.full.progress_ms.store(now_ms, Ordering::Relaxed);
        h.repl.full.set(Phase::Transfer);
        pending.push(Pending {
            client: h.id,
            reader,
        });
        h.waker.wake();
    }
}

/// The payload went out (or the replica's ACK proves it read it): the replica is online
/// and its lag counts from now (Redis's replicaPutOnline).
fn went_out(server: &Server, h: &ClientHandle, now_ms: u64) {
    if !h.repl.full.advance(Phase::Transfer, Phase::Online) {
        return;
    }
    h.repl.ack_ms.store(now_ms, Ordering::Relaxed);
    let name = replica_name(h);
    server.host.log(&format!(
        "Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF \
         ACK from replica to enable streaming"
    ));
    server
        .host
        .log(&format!("Synchronization with replica {name} succeeded"));
}

/// REPLCONF ACK from a replica: its first after a transfer starts its stream.
pub(super) fn on_ack(ctx: &mut Ctx) {
    let h = ctx.client.handle.clone();
    went_out(ctx.server, &h, ctx.now.ms());
    if ctx.client.observer.is_some() {
        return;
    }
    let reader = {
        let mut pending = ctx.server.repl.primary.fullsync.pending.lock();
        let Some(i) = pending.iter().position(|p| p.client == h.id) else {
            return;
        };
        pending.swap_remove(i).reader
    };
    ctx.client.observer = Some(reader);
    // The session copies the stream out on its next round; what is already there must not
    // wait for the next write to wake it.
    h.waker.wake();
}

/// The periodic step (from `primary::cron`, with the `attached` replicas): readers of
/// replicas that went away are released, finished transfers put their replicas online,
/// waiting replicas get their keepalive, and a transfer starts once the delay passed or
/// enough replicas wait.
pub(super) fn cron(server: &Server, now_ms: u64, attached: &[Arc<ClientHandle>]) {
    let syncs = &server.repl.primary.fullsync;
    release_gone(server);
    let mut sending = false;
    for h in attached {
        if h.repl.full.phase() == Phase::Transfer {
            sending |= transfer_goes_on(server, h, now_ms);
        }
    }
    let waiting_now = waiting(attached);
    if waiting_now.is_empty() {
        return;
    }
    let (diskless, delay, max) = {
        let c = server.config.read();
        (
            c.repl_diskless_sync,
            c.repl_diskless_sync_delay.max(0) as u64,
            c.repl_diskless_sync_max_replicas.max(0) as usize,
        )
    };
    let longest = waiting_now
        .iter()
        .map(|h| now_ms.saturating_sub(h.repl.full.since_ms.load(Ordering::Relaxed)))
        .max()
        .unwrap_or(0);
    let due = !diskless || (max > 0 && waiting_now.len() >= max) || longest >= delay * 1000;
    if !sending && due {
        // Exclusive, as SYNC holds it: no command runs between the readers' offset and the
        // snapshot. Those that arrived meanwhile are served too; one whose own PSYNC already
        // started a transfer is no longer waiting.
        let _gate = server.exec_gate.write();
        let waiting_now = waiting(&replicas(server));
        start(server, now_ms, &waiting_now, diskless);
        return;
    }
    if now_ms.saturating_sub(syncs.last_keepalive_ms.load(Ordering::Relaxed)) >= KEEPALIVE_MS {
        syncs.last_keepalive_ms.store(now_ms, Ordering::Relaxed);
        // Under the gate: a server stalled by DEBUG SLEEP (which holds it) sends nothing, so
        // a replica can tell it is stuck, as with Redis's single thread.
        let _gate = server.exec_gate.read();
        for h in waiting_now {
            h.mailbox.push(Bytes::from_static(b"\n"));
            h.waker.wake();
        }
    }
}

/// Whether `h`'s payload is still going out: once written it goes online; a replica that
/// read nothing of it for `repl-timeout` seconds is disconnected, so that it does not hold
/// back the next transfer for ever (Redis's "timedout replica (full sync)").
fn transfer_goes_on(server: &Server, h: &ClientHandle, now_ms: u64) -> bool {
    // Dropped already, closing: it holds nothing back.
    if h.killed.load(Ordering::Relaxed) {
        return false;
    }
    let omem = h.omem.load(Ordering::Relaxed);
    if h.mailbox.is_empty() && omem == 0 {
        went_out(server, h, now_ms);
        return false;
    }
    let full = &h.repl.full;
    let left = (omem + h.mailbox.len()) as u64;
    if full.left.swap(left, Ordering::Relaxed) != left {
        full.progress_ms.store(now_ms, Ordering::Relaxed);
        return true;
    }
    let timeout_ms = server
        .config
        .read()
        .get("repl-timeout")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(60)
        .saturating_mul(1000);
    let idle = now_ms.saturating_sub(full.progress_ms.load(Ordering::Relaxed));
    if idle <= timeout_ms {
        return true;
    }
    server.host.log(&format!(
        "Disconnecting timedout replica (full sync): {}",
        replica_name(h)
    ));
    h.kill();
    false
}

/// Unsubscribes the readers kept for replicas that disconnected before their first ACK.
fn release_gone(server: &Server) {
    let mut pending = server.repl.primary.fullsync.pending.lock();
    let mut i = 0;
    while i < pending.len() {
        if server.clients.get(pending[i].client).is_some() {
            i += 1;
            continue;
        }
        let gone = pending.swap_remove(i);
        server.keyspace.log.unsubscribe(gone.reader);
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
