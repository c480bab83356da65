//! The primary side's bookkeeping: this server's replication ids, what each attached replica
//! told it (REPLCONF listening-port, ip-address, capa, ACK), and the clients waiting in WAIT
//! for replicas to acknowledge an offset.

use std::sync::Arc;

use crate::client::ClientHandle;
use crate::effects::Completion;
use crate::server::Server;
use crate::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};

/// A replication id Redis shows when there is none (`master_replid2` of a server that never
/// changed role).
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// What a replica attached to this server told it; kept on the replica's `ClientHandle`.
pub struct ReplicaLink {
    /// REPLCONF listening-port (0: not given).
    pub listening_port: AtomicU32,
    /// REPLCONF ip-address (the address the replica announces instead of its peer address).
    pub announced_ip: Mutex<Option<String>>,
    /// REPLCONF capa psync2: the replica understands `+CONTINUE <replid>`.
    pub psync2: AtomicBool,
    /// The offset the replica last acknowledged (REPLCONF ACK); -1 before any.
    pub ack_offset: AtomicI64,
    /// When that acknowledgement arrived (server clock, ms).
    pub ack_ms: AtomicU64,
    /// Its full synchronisation (diskless: waiting, its payload going out, online).
    pub full: super::fullsync::ReplicaSync,
}

impl Default for ReplicaLink {
    fn default() -> Self {
        ReplicaLink {
            listening_port: AtomicU32::new(0),
            announced_ip: Mutex::new(None),
            psync2: AtomicBool::new(false),
            ack_offset: AtomicI64::new(-1),
            ack_ms: AtomicU64::new(0),
            full: Default::default(),
        }
    }
}

impl ReplicaLink {
    /// The acknowledged offset, or None before the first REPLCONF ACK.
    pub fn acked(&self) -> Option<u64> {
        u64::try_from(self.ack_offset.load(Ordering::Relaxed)).ok()
    }
}

/// A client in WAIT: done once `needed` replicas acknowledged `offset`, or at `deadline_ms`.
struct Waiting {
    offset: u64,
    needed: usize,
    deadline_ms: Option<u64>,
    completion: Arc<Completion>,
}

/// The primary side's state (see the module docs).
pub struct Primary {
    /// `master_replid`.
    replid: Mutex<String>,
    /// `master_replid2`: the id this server's history continued from (after a promotion).
    replid2: Mutex<String>,
    /// `second_repl_offset`: the offset up to which `replid2` is valid, -1 without one.
    second_offset: AtomicI64,
    /// When the primary last pinged its replicas through the stream (server clock, ms).
    last_ping_ms: AtomicU64,
    /// When the last replica went away (ms); 0 while one is attached (repl-backlog-ttl).
    no_replicas_since_ms: AtomicU64,
    waiting: Mutex<Vec<Waiting>>,
    /// Diskless full syncs: readers waiting for their replica's first ACK, keepalives.
    pub(super) fullsync: super::fullsync::FullSyncs,
    /// `min-replicas-to-write` and `min-replicas-max-lag`, mirrored from the config so the
    /// check every write makes is an atomic load, not a config lock.
    min_to_write: AtomicI64,
    min_max_lag: AtomicI64,
    /// Replicas within `min-replicas-max-lag` (Redis's `repl_good_slaves_count`), counted by
    /// the cron.
    good: AtomicU64,
}

impl Default for Primary {
    fn default() -> Self {
        Primary {
            replid: Mutex::new(NO_REPLID.to_string()),
            replid2: Mutex::new(NO_REPLID.to_string()),
            second_offset: AtomicI64::new(-1),
            last_ping_ms: AtomicU64::new(0),
            no_replicas_since_ms: AtomicU64::new(0),
            waiting: Mutex::new(Vec::new()),
            fullsync: Default::default(),
            min_to_write: AtomicI64::new(0),
            min_max_lag: AtomicI64::new(0),
            good: AtomicU64::new(0),
        }
    }
}

impl Primary {
    /// Takes `min-replicas-to-write` / `-max-lag` from `config` (at startup and CONFIG SET).
    pub fn configure(&self, config: &crate::config::Config) {
        self.min_to_write
            .store(config.min_replicas_to_write, Ordering::Relaxed);
        self.min_max_lag
            .store(config.min_replicas_max_lag, Ordering::Relaxed);
    }

    /// Replicas within `min-replicas-max-lag` as the cron last counted them
    /// (`min_slaves_good_slaves`).
    pub fn good_replicas(&self) -> u64 {
        self.good.load(Ordering::Relaxed)
    }

    /// `master_replid`.
    pub fn replid(&self) -> String {
        self.replid.lock().clone()
    }

    /// `master_replid2` and `second_repl_offset`.
    pub fn replid2(&self) -> (String, i64) {
        (
            self.replid2.lock().clone(),
            self.second_offset.load(Ordering::Relaxed),
        )
    }

    /// Sets the replication id (at startup, or when this server's history starts anew).
    pub fn set_replid(&self, id: String) {
        *self.replid.lock() = id;
    }

    /// Keeps the current id as `replid2`, valid for PSYNC offsets up to `offset + 1` (Redis's
    /// `second_repl_offset`), and takes `new_id`: a replica promoted to primary, whose own
    /// replicas may continue with PSYNC from the old history, or a replica whose primary's
    /// id changed (`+CONTINUE <new id>`).
    pub fn shift_replid(&self, new_id: String, offset: u64) {
        let old = std::mem::replace(&mut *self.replid.lock(), new_id);
        *self.replid2.lock() = old;
        self.second_offset
            .store(offset as i64 + 1, Ordering::Relaxed);
    }

    /// Whether PSYNC's `replid` and `offset` (counted from 1) name this server's history.
    pub fn knows(&self, replid: &str, offset: u64) -> bool {
        if *self.replid.lock() == replid {
            return true;
        }
        let second = self.second_offset.load(Ordering::Relaxed);
        *self.replid2.lock() == replid && second >= 0 && offset <= second as u64
    }

    /// Registers a WAIT that is not satisfied yet.
    pub fn wait(&self, offset: u64, needed: usize, deadline_ms: Option<u64>, c: Arc<Completion>) {
        self.waiting.lock().push(Waiting {
            offset,
            needed,
            deadline_ms,
            completion: c,
        });
    }

    /// Completes the WAITs that enough replicas acknowledged, those whose time is up, and
    /// drops those whose client went away.
    pub fn settle_waits(&self, server: &Server, now_ms: u64) {
        let mut waiting = self.waiting.lock();
        if waiting.is_empty() {
            return;
        }
        let acked: Vec<u64> = replicas(server)
            .iter()
            .filter(|h| is_online(h))
            .filter_map(|h| h.repl.acked())
            .collect();
        waiting.retain(|w| {
            let count = acked.iter().filter(|&&a| a >= w.offset).count();
            let timed_out = w.deadline_ms.is_some_and(|d| now_ms >= d);
            if count >= w.needed || timed_out {
                w.completion.complete(Ok(()));
                return false;
            }
            // Only the registry holds it: the client is gone.
            Arc::strong_count(&w.completion) > 1
        });
    }

    /// Whether a WAIT is pending (the stream then asks replicas for ACKs).
    pub fn has_waits(&self) -> bool {
        !self.waiting.lock().is_empty()
    }
}

/// A fresh 40-hex-digit id (a run id or a replication id).
pub fn random_id(rng: &mut fastrand::Rng) -> String {
    (0..40)
        .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
        .collect()
}

/// The clients attached as replicas.
pub fn replicas(server: &Server) -> Vec<Arc<ClientHandle>> {
    server
        .clients
        .snapshot()
        .into_iter()
        .filter(|h| h.replica.load(Ordering::Relaxed) && !h.monitor.load(Ordering::Relaxed))
        .collect()
}

/// How many online replicas acknowledged `offset` or more.
pub fn acked_at_least(server: &Server, offset: u64) -> usize {
    replicas(server)
        .iter()
        .filter(|h| is_online(h) && h.repl.acked().is_some_and(|a| a >= offset))
        .count()
}

/// Seconds since the replica's last REPLCONF ACK (or since it attached), INFO's `lag=`.
pub fn lag_secs(h: &ClientHandle, now_ms: u64) -> u64 {
    now_ms.saturating_sub(h.repl.ack_ms.load(Ordering::Relaxed)) / 1000
}

/// Whether the replica finished its full sync (Redis's SLAVE_STATE_ONLINE): only those count
/// as good replicas and appear in ROLE.
pub fn is_online(h: &ClientHandle) -> bool {
    h.repl.full.phase() == super::fullsync::Phase::Online
}

/// How many of `list` are online and acknowledged within `max_lag` seconds.
fn count_good(list: &[Arc<ClientHandle>], max_lag: u64, now_ms: u64) -> u64 {
    list.iter()
        .filter(|h| is_online(h) && lag_secs(h, now_ms) <= max_lag)
        .count() as u64
}

/// Redis's reply refusing a write while too few replicas are good.
pub const NOREPLICAS_ERROR: &str = "NOREPLICAS Not enough good replicas to write.";

/// The refusal of a write under `min-replicas-to-write` / `min-replicas-max-lag` (Redis's
/// checkGoodReplicasStatus): both set, this server a primary, fewer good replicas than asked.
pub fn min_replicas_refusal(server: &Server) -> Option<&'static str> {
    let primary = &server.repl.primary;
    let needed = primary.min_to_write.load(Ordering::Relaxed);
    if needed <= 0
        || primary.min_max_lag.load(Ordering::Relaxed) <= 0
        || server.repl.replica.is_replica()
    {
        return None;
    }
    (primary.good_replicas() < needed as u64).then_some(NOREPLICAS_ERROR)
}

/// The replica's address as INFO and ROLE show it: the announced ip, else its peer address.
pub fn replica_ip(h: &ClientHandle) -> String {
    if let Some(ip) = h.repl.announced_ip.lock().clone() {
        return ip;
    }
    match &h.info {
        crate::client::ClientInfo::Tcp { peer, .. } => peer.ip().to_string(),
        _ => "127.0.0.1".to_string(),
    }
}

/// Periodic primary work (from the server tick): PING the replicas through the stream every
/// `repl-ping-replica-period` seconds, ask them for ACKs while a WAIT is pending, settle WAITs,
/// free the backlog after `repl-backlog-ttl` seconds without replicas, and run the diskless
/// full syncs (keepalives, starting a transfer).
pub fn cron(server: &Server, now_ms: u64) {
    let list = replicas(server);
    super::fullsync::cron(server, now_ms, &list);
    let primary = &server.repl.primary;
    let log = &server.keyspace.log;
    let attached = !list.is_empty();
    let max_lag = primary.min_max_lag.load(Ordering::Relaxed);
    if max_lag > 0 {
        let good = count_good(&list, max_lag as u64, now_ms);
        primary.good.store(good, Ordering::Relaxed);
    }
    let (period, ttl) = {
        let c = server.config.read();
        (c.repl_ping_replica_period.max(1) as u64, c.repl_backlog_ttl)
    };
    // PINGs keep to a schedule that starts with the server (Redis pings on every
    // repl-ping-replica-period'th cron loop), not with the first replica's arrival.
    if primary.last_ping_ms.load(Ordering::Relaxed) == 0 {
        primary.last_ping_ms.store(now_ms, Ordering::Relaxed);
    }
    if attached {
        primary.no_replicas_since_ms.store(0, Ordering::Relaxed);
        let last = primary.last_ping_ms.load(Ordering::Relaxed);
        // No PING while a FAILOVER holds writes: the replicas must be able to catch up
        // with an offset that stands still.
        if now_ms.saturating_sub(last) >= period * 1000
            && !server.repl.replica.is_replica()
            && !server.repl.failover.active()
        {
            primary.last_ping_ms.store(now_ms, Ordering::Relaxed);
            log.append_for_replicas(&[b"PING"]);
        }
    } else if log.backlog().is_some() && ttl > 0 && !server.repl.replica.is_replica() {
        let since = primary.no_replicas_since_ms.load(Ordering::Relaxed);
        if since == 0 {
            primary
                .no_replicas_since_ms
                .store(now_ms, Ordering::Relaxed);
        } else if now_ms.saturating_sub(since) >= ttl as u64 * 1000 {
            log.free_backlog();
            primary.no_replicas_since_ms.store(0, Ordering::Relaxed);
        }
    }
    primary.settle_waits(server, now_ms);
    super::failover::cron(server, now_ms);
}
