//! `Server`: the state every session shares — keyspace, command table, configuration,
//! statistics, the client registry — and the periodic work driven by `tick`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::sync::{Mutex, RwLock};

use crate::client::ClientRegistry;
use crate::clock::Now;
use crate::command::CommandTable;
use crate::config::Config;
use crate::keyspace::{AccessPolicy, Keyspace};
use crate::stats::Stats;

/// Shards per keyspace: several per core so unrelated keys rarely contend.
const DEFAULT_SHARDS: usize = 64;

pub use crate::host::{CpuInfo, Host, MemoryInfo, NullHost, ProcessInfo, ShutdownOptions};

/// The state shared by all sessions of one server.
pub struct Server {
    /// All databases.
    pub keyspace: Keyspace,
    /// Every command lode serves.
    pub commands: CommandTable,
    /// Current configuration.
    pub config: RwLock<Config>,
    /// Counters for INFO.
    pub stats: Stats,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// Held shared while a session executes commands, exclusively while EXEC runs a transaction.
    pub exec_gate: RwLock<()>,
    /// The server's random source, seeded by the host (no global randomness in core).
    pub rng: Mutex<fastrand::Rng>,
    /// The host program.
    pub host: Box<dyn Host>,
    /// Effects waiting for the host's runner.
    pub effects: crate::effects::EffectQueue,
    /// When the server started.
    pub started_at: Now,
    /// A 40-hex-digit id of this run (INFO run_id).
    pub run_id: String,
    /// Whether the active expiry cycle runs (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: AtomicBool,
    /// DEBUG PAUSE-CRON: the periodic work is skipped.
    pub cron_paused: AtomicBool,
    /// Cron ticks run so far.
    pub cronloops: AtomicU64,
    /// Latest time seen, in Unix microseconds (for work that has no `now` of its own).
    pub last_now: AtomicU64,
    /// Where saving and the AOF stand.
    pub persist: crate::persist::status::PersistStatus,
    /// Replies held for the AOF's fsync (`appendfsync always`).
    pub durability: crate::persistence::durable::Durability,
    /// Channel and pattern subscriptions (PUBLISH's fan-out, keyspace notifications).
    pub pubsub: crate::pubsub::PubSub,
    /// Client-side caching: who may cache which keys.
    pub tracking: crate::tracking::Tracking,
    /// Clients in MONITOR mode.
    pub monitors: crate::client::Monitors,
    /// The slow log, the latency monitor and the settings they are read with.
    pub observe: crate::observe::Observe,
    /// Calls whose reply waits for an effect, recorded once it is written.
    pub deferred_calls: crate::command::observe::DeferredCalls,
    /// `maxmemory` eviction: state and statistics.
    pub eviction: crate::evict::Eviction,
    /// The Lua VM, the script cache and the running script's state.
    pub scripting: crate::scripting::Scripting,
    /// ACL users and the ACL log.
    pub acl: crate::acl::Acl,
    /// Replication: the primary side and the link to a primary.
    pub repl: crate::repl::Replication,
}

/// The refusal of DEBUG when `enable-debug-command` does not allow it.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command \
     option is set to \"local\", you can run it from a local connection, otherwise you need to \
     set this option in the configuration file, and then restart the server.";

/// The refusal of MODULE LOAD/LOADEX/UNLOAD when `enable-module-command` does not allow it.
pub const MODULE_NOT_ALLOWED: &str = "ERR MODULE command not allowed. If the \
     enable-module-command option is set to \"local\", you can run it from a local connection, \
     otherwise you need to set this option in the configuration file, and then restart the \
     server.";

impl Server {
    /// A server with `config`, seeded with `seed`, hosted by `host`, started at `now`.
    pub fn new(config: Config, seed: u64, host: Box<dyn Host>, now: Now) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let run_id = crate::repl::primary::random_id(&mut rng);
        let replid = crate::repl::primary::random_id(&mut rng);
        let persist = crate::persist::status::PersistStatus::default();
        // Redis counts the server's start as the last save until one happens.
        persist.lastsave.store(now.secs(), Ordering::Relaxed);
        let keyspace = Keyspace::new(config.databases, DEFAULT_SHARDS, rng.u64(..));
        keyspace.access_policy.set(AccessPolicy::of(&config));
        keyspace.lazyfree.configure(&config);
        let pubsub = crate::pubsub::PubSub::default();
        pubsub.set_limit(&config.client_output_buffer_limit[2]);
        keyspace.notify.set(config.notify_keyspace_events);
        let observe = crate::observe::Observe::default();
        observe.configure(&config);
        let eviction = crate::evict::Eviction::default();
        eviction.configure(&config);
        let repl = crate::repl::Replication::new(replid, &config);
        let commands = CommandTable::new(crate::handlers::all());
        let acl = crate::acl::Acl::new(&commands);
        if !config.requirepass.is_empty() {
            acl.set_requirepass(&commands, config.requirepass.as_bytes());
        }
        Server {
            keyspace,
            commands,
            acl,
            config: RwLock::new(config),
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            exec_gate: RwLock::new(()),
            rng: Mutex::new(rng),
            host,
            effects: Default::default(),
            started_at: now,
            run_id,
            active_expire_enabled: AtomicBool::new(true),
            cron_paused: AtomicBool::new(false),
            cronloops: AtomicU64::new(0),
            last_now: AtomicU64::new(now.micros()),
            persist,
            durability: Default::default(),
            pubsub,
            tracking: Default::default(),
            monitors: Default::default(),
            observe,
            deferred_calls: Default::default(),
            eviction,
            scripting: Default::default(),
            repl,
        }
    }

    /// Periodic server work (`hz` times a second): active expiry and housekeeping.
    pub fn tick(&self, now: Now) {
        if self.cron_paused.load(Ordering::Relaxed) {
            return;
        }
        self.last_now.fetch_max(now.micros(), Ordering::Relaxed);
        self.cronloops.fetch_add(1, Ordering::Relaxed);
        crate::repl::primary::cron(self, now.ms());
        if self.active_expire_enabled.load(Ordering::Relaxed) {
            // Shared, as for a command: the cycle never interleaves with a running EXEC.
            let _gate = self.exec_gate.read();
            let mut rng = self.rng.lock().fork();
            let started = self.host.monotonic_us();
            self.keyspace.active_expire(now.ms(), &mut rng, Some(self));
            if self.repl.replica.is_replica() {
                crate::repl::replica::writable::expire(self, now.ms());
            }
            let ms = self.host.monotonic_us().saturating_sub(started) / 1000;
            self.observe
                .latency
                .add_if_needed("expire-cycle", ms, now.secs());
        }
        {
            let _gate = self.exec_gate.read();
            crate::evict::tick(self, now);
        }
        // Keys the expiry cycle deleted under BCAST prefixes, and a lowered
        // tracking-table-max-keys.
        self.tracking.broadcast(&self.clients);
        let max_keys = self.config.read().tracking_table_max_keys;
        self.tracking.evict(&self.clients, max_keys);
        crate::persistence::cron(self, now);
    }

    /// Installs `config` as the live configuration (CONFIG SET, once the host applied what it
    /// owns), with what the keyspace keeps of it.
    pub fn install_config(&self, config: Config) {
        if config.requirepass != self.config.read().requirepass {
            self.acl
                .set_requirepass(&self.commands, config.requirepass.as_bytes());
        }
        let policy = AccessPolicy::of(&config);
        if config.maxmemory_policy != self.config.read().maxmemory_policy {
            self.eviction.forget_candidates();
        }
        self.eviction.configure(&config);
        self.repl.primary.configure(&config);
        self.keyspace.lazyfree.configure(&config);
        self.pubsub.set_limit(&config.client_output_buffer_limit[2]);
        self.keyspace.notify.set(config.notify_keyspace_events);
        self.observe.configure(&config);
        *self.config.write() = config;
        // Keys switch between LRU clock and LFU counter from their next access, as in Redis.
        self.keyspace.access_policy.set(policy);
    }

    /// The encoding limits RDB values are written and read with, from the configuration
    /// (`rdbcompression`, the listpack and intset thresholds).
    pub fn rdb_limits(&self) -> crate::persist::value::Limits<'_> {
        use crate::persist::value::Limits;
        use crate::types::{hash, list::Fill, zset};
        let c = self.config.read();
        Limits {
            compress: c.rdbcompression,
            list_fill: Fill::from_config(c.list_max_listpack_size),
            set_max_intset: c.set_max_intset_entries,
            hash: hash::Limits::new(
                c.hash_max_listpack_entries,
                c.hash_max_listpack_value,
                &self.rng,
            ),
            zset: zset::Limits {
                entries: c.zset_max_listpack_entries,
                value: c.zset_max_listpack_value,
            },
        }
    }

    /// Whether DEBUG may run for `client` (`enable-debug-command` no, yes or local).
    pub fn debug_allowed(&self, client: &crate::client::ClientInfo) -> bool {
        let setting = &self.config.read().enable_debug_command;
        crate::admin::util::allowed(setting, client)
    }

    /// The refusal of a PROTECTED command (DEBUG, or a MODULE subcommand that loads or
    /// unloads) that its `enable-*-command` setting does not allow this client; None if allowed.
    pub fn protected_refusal(
        &self,
        cmd_name: &str,
        client: &crate::client::ClientInfo,
    ) -> Option<&'static str> {
        if cmd_name.starts_with("module|") {
            let setting = &self.config.read().enable_module_command;
            (!crate::admin::util::allowed(setting, client)).then_some(MODULE_NOT_ALLOWED)
        } else {
            (!self.debug_allowed(client)).then_some(DEBUG_NOT_ALLOWED)
        }
    }

    /// Whether clients must authenticate before commands not flagged `no-auth`: the default
    /// user has a password or is off, as Redis's authRequired.
    pub fn auth_required(&self) -> bool {
        self.acl.auth_required()
    }

    /// The MISCONF error a write gets while the last save (or AOF write) failed and the
    /// configuration refuses writes then; None when writes are accepted.
    pub fn write_refusal(&self) -> Option<String> {
        if !self.persist.may_refuse_writes() {
            return None;
        }
        let c = self.config.read();
        self.persist
            .disk_error(c.stop_writes_on_bgsave_error, !c.save.is_empty())
    }

    /// The `hz` config: how often the transport should call `tick`.
    pub fn hz(&self) -> u32 {
        self.config.read().hz.clamp(1, 500)
    }
}
