//! `ClientHandle`: the parts of a session other sessions may read or act on (CLIENT LIST,
//! INFO, KILL, UNBLOCK, wake-ups).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sync::Mutex;
use bytes::Bytes;

use super::{ClientInfo, Mailbox, Waiter, Waker};
use crate::sync::AtomicBool;

/// The parts of a session other sessions may read or act on.
pub struct ClientHandle {
    /// Unique, increasing client id.
    pub id: u64,
    /// Where the client connected from and to.
    pub info: ClientInfo,
    /// Connection time, Unix milliseconds.
    pub created_ms: u64,
    /// Last command time, Unix milliseconds.
    pub last_interaction_ms: AtomicU64,
    /// Selected database.
    pub db: AtomicUsize,
    /// CLIENT SETNAME.
    pub name: Mutex<Option<Bytes>>,
    /// CLIENT SETINFO lib-name / lib-ver.
    pub lib: Mutex<(Option<Bytes>, Option<Bytes>)>,
    /// Id of the last command run (the command table's id; 0 = none, shown as "NULL").
    last_cmd_id: AtomicUsize,
    /// Commands queued in an open MULTI (CLIENT LIST `multi=`, flag `x`); -1 outside MULTI.
    pub multi: std::sync::atomic::AtomicIsize,
    /// Protocol version (2 or 3).
    pub resp: AtomicUsize,
    /// Set by CLIENT KILL: the session closes at its next poll.
    pub killed: AtomicBool,
    /// Bytes in the query buffer (CLIENT LIST `qbuf`): while the client's commands run, the
    /// whole batch they came in, as Redis trims its buffer only after the batch.
    pub qbuf: AtomicUsize,
    /// Free room in the query buffer's allocation (CLIENT LIST `qbuf-free`).
    pub qbuf_free: AtomicUsize,
    /// Bytes of the arguments the client holds between commands: a blocked or paused
    /// command's, or those of a command still arriving (CLIENT LIST `argv-mem`).
    pub argv_mem: AtomicUsize,
    /// How many arguments those are (their pointers count in `tot-mem`).
    pub argc: AtomicUsize,
    /// Bytes of the commands queued in MULTI, with Redis's per-argument overhead (CLIENT
    /// LIST `multi-mem`).
    pub multi_mem: AtomicUsize,
    /// The client's command waits for CLIENT PAUSE to end (CLIENT LIST flag `b`).
    pub paused: AtomicBool,
    /// Its WATCH state: touched keys (CLIENT LIST flag `d`), how many keys.
    pub watch: crate::sync::Arc<crate::keyspace::WatchState>,
    /// Bytes of pending output.
    pub omem: AtomicUsize,
    /// Bytes the output buffer holds allocated (its capacity), which `tot-mem` and client
    /// eviction count: a buffer grown for a big reply holds that memory until it drains.
    pub obuf_capacity: AtomicUsize,
    /// This client's share of the clients' memory total client eviction keeps
    /// (`evict::clients::ClientEviction::account`).
    pub accounted: AtomicUsize,
    /// CLIENT NO-EVICT is on (CLIENT LIST flag `e`).
    pub no_evict: AtomicBool,
    /// CLIENT NO-TOUCH is on (CLIENT LIST flag `T`, as Redis 7.2 shows it).
    pub no_touch: AtomicBool,
    /// Wakes the session's transport.
    pub waker: Arc<dyn Waker>,
    /// The blocking command the client waits in (CLIENT UNBLOCK, CLIENT LIST flag `b`).
    pub blocked: Mutex<Option<Arc<Waiter>>>,
    /// Messages other sessions pushed (PUBLISH, notifications, invalidations, MONITOR).
    pub mailbox: Mailbox,
    /// Channels, patterns and shard channels subscribed to (CLIENT LIST sub/psub/ssub).
    pub subscriptions: [AtomicUsize; 3],
    /// The client went over its output buffer limit: it is closed without its pending
    /// output, as Redis frees such a client.
    pub over_limit: AtomicBool,
    /// The client is a replica streaming the propagation log (after SYNC/PSYNC).
    pub replica: AtomicBool,
    /// What the client told this server as its replica (REPLCONF, ACKs).
    pub repl: crate::repl::primary::ReplicaLink,
    /// The client is this replica's link to its primary (Redis's master client, flag M).
    pub master: AtomicBool,
    /// The client is in MONITOR mode.
    pub monitor: AtomicBool,
    /// Client-side caching mode (CLIENT TRACKING).
    pub tracking: crate::tracking::ClientTracking,
    /// The ACL user the client is authenticated as (None for internal clients).
    pub user: Mutex<Option<Arc<crate::acl::User>>>,
}

impl ClientHandle {
    /// A handle for a client that connected at `now_ms`, with nothing set yet.
    pub fn new(id: u64, info: ClientInfo, now_ms: u64, waker: Arc<dyn Waker>) -> Self {
        ClientHandle {
            id,
            info,
            created_ms: now_ms,
            last_interaction_ms: now_ms.into(),
            db: 0.into(),
            name: Default::default(),
            lib: Default::default(),
            last_cmd_id: 0.into(),
            multi: (-1).into(),
            resp: 2.into(),
            killed: false.into(),
            qbuf: 0.into(),
            qbuf_free: 0.into(),
            argv_mem: 0.into(),
            argc: 0.into(),
            multi_mem: 0.into(),
            paused: false.into(),
            watch: Default::default(),
            omem: 0.into(),
            obuf_capacity: 0.into(),
            accounted: 0.into(),
            no_evict: false.into(),
            no_touch: false.into(),
            waker,
            blocked: Mutex::new(None),
            mailbox: Mailbox::default(),
            subscriptions: Default::default(),
            over_limit: false.into(),
            replica: false.into(),
            repl: Default::default(),
            tracking: Default::default(),
            master: false.into(),
            monitor: false.into(),
            user: Mutex::new(None),
        }
    }

    /// The name of the client's user, as CLIENT LIST shows it.
    pub fn user_name(&self) -> bytes::Bytes {
        self.user
            .lock()
            .as_ref()
            .map_or_else(|| bytes::Bytes::from_static(b"default"), |u| u.name.clone())
    }

    /// Records the command with table id `id` (a command or subcommand) as the client's last
    /// command, as CLIENT LIST/INFO show it in `cmd=`. One relaxed atomic store: cheap enough
    /// for every command.
    #[inline]
    pub fn set_last_cmd(&self, id: usize) {
        self.last_cmd_id.store(id, Ordering::Relaxed);
    }

    /// Records that the client's last command was not a known command (CLIENT LIST shows
    /// `cmd=NULL`, as Redis does after an unknown command or subcommand).
    #[inline]
    pub fn clear_last_cmd(&self) {
        self.last_cmd_id.store(0, Ordering::Relaxed);
    }

    /// The table id of the client's last command (0 = none; `CommandTable::name_of` names it).
    pub fn last_cmd_id(&self) -> usize {
        self.last_cmd_id.load(Ordering::Relaxed)
    }

    /// Records the arguments the client holds between commands (`argv-mem`): `argc` of
    /// them, `len` bytes in all.
    #[inline]
    pub fn set_held_args(&self, len: usize, argc: usize) {
        self.argv_mem.store(len, Ordering::Relaxed);
        self.argc.store(argc, Ordering::Relaxed);
    }

    /// Forgets `waiter` as the client's blocking command, once it is settled or gone. A
    /// `Waiter` holds its client's handle, so leaving it here would be a reference cycle that
    /// keeps both alive forever. Only `waiter` itself is cleared: by the time a settler gets
    /// here the session may already have delivered the reply and blocked again.
    pub fn clear_blocked(&self, waiter: &Arc<Waiter>) {
        let mut blocked = self.blocked.lock();
        let ours = blocked.as_ref().is_some_and(|w| Arc::ptr_eq(w, waiter));
        let cleared = if ours { blocked.take() } else { None };
        // The waiter is released after the lock.
        drop(blocked);
        drop(cleared);
    }

    /// Whether the client is subscribed to anything (Redis's CLIENT_PUBSUB flag).
    pub fn is_subscriber(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|n| n.load(Ordering::Relaxed) > 0)
    }

    /// Whether the client is a replica or a monitor (Redis flags both CLIENT_SLAVE: CLIENT
    /// PAUSE never holds them back).
    pub fn is_replica_or_monitor(&self) -> bool {
        self.replica.load(Ordering::Relaxed) || self.monitor.load(Ordering::Relaxed)
    }

    /// The class whose output limits apply, also its CLIENT LIST/KILL type.
    pub fn class(&self) -> super::ClientClass {
        if self.replica.load(Ordering::Relaxed) {
            super::ClientClass::Replica
        } else if self.is_subscriber() {
            super::ClientClass::Pubsub
        } else {
            super::ClientClass::Normal
        }
    }

    /// Closes the client for going over its output buffer limit: what it has not read yet
    /// is dropped, and its session closes at its next poll without flushing.
    pub fn close_over_limit(&self) {
        self.over_limit.store(true, Ordering::Relaxed);
        self.killed.store(true, Ordering::Relaxed);
        self.mailbox.clear();
        self.waker.wake();
    }

    /// Asks the session to close at its next poll (CLIENT KILL) and wakes its transport.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Relaxed);
        self.waker.wake();
    }
}
