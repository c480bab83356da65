//! `Server`: the state every session shares — keyspace, command table, configuration,
//! statistics, the client registry — and the periodic work driven by `tick`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::admin::clients::ClientRegistry;
use crate::clock::Now;
use crate::command::CommandTable;
use crate::config::Config;
use crate::keyspace::Keyspace;
use crate::stats::Stats;

/// Shards per keyspace: several per core so unrelated keys rarely contend.
const DEFAULT_SHARDS: usize = 64;

/// What the core asks of the program hosting it (all I/O lives on the host side).
pub trait Host: Send + Sync {
    /// Asks the host to shut the server down (SHUTDOWN); returns an error text on refusal.
    fn request_shutdown(&self) -> Result<(), String> {
        Err("ERR shutdown is not supported by this host".into())
    }
    /// Persists the configuration (CONFIG REWRITE); `lines` are the directives to write.
    fn rewrite_config(&self, _lines: &[String]) -> Result<(), String> {
        Err("ERR The server is running without a config file".into())
    }
    /// Writes a line to the server log (DEBUG LOG and friends).
    fn log(&self, _message: &str) {}
}

/// A host that does nothing: unit tests and simulations.
pub struct NullHost;

impl Host for NullHost {}

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
    /// The server's random source, seeded by the host (no global randomness in core).
    pub rng: Mutex<fastrand::Rng>,
    /// The host program.
    pub host: Box<dyn Host>,
    /// When the server started.
    pub started_at: Now,
    /// A 40-hex-digit id of this run (INFO run_id).
    pub run_id: String,
    /// Whether the active expiry cycle runs (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: AtomicBool,
    /// Cron ticks run so far.
    pub cronloops: AtomicU64,
    /// Latest time seen, in Unix microseconds (for work that has no `now` of its own).
    pub last_now: AtomicU64,
}

impl Server {
    /// A server with `config`, seeded with `seed`, hosted by `host`, started at `now`.
    pub fn new(config: Config, seed: u64, host: Box<dyn Host>, now: Now) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
            .collect();
        Server {
            keyspace: Keyspace::new(config.databases, DEFAULT_SHARDS, rng.u64(..)),
            commands: CommandTable::new(),
            config: RwLock::new(config),
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            rng: Mutex::new(rng),
            host,
            started_at: now,
            run_id,
            active_expire_enabled: AtomicBool::new(true),
            cronloops: AtomicU64::new(0),
            last_now: AtomicU64::new(now.micros()),
        }
    }

    /// Periodic server work (`hz` times a second): active expiry and housekeeping.
    pub fn tick(&self, now: Now) {
        self.last_now.fetch_max(now.micros(), Ordering::Relaxed);
        self.cronloops.fetch_add(1, Ordering::Relaxed);
        if self.active_expire_enabled.load(Ordering::Relaxed) {
            let mut rng = self.rng.lock().fork();
            self.keyspace.active_expire(now.ms(), &mut rng);
        }
    }

    /// The `hz` config: how often the transport should call `tick`.
    pub fn hz(&self) -> u32 {
        self.config.read().hz.clamp(1, 500)
    }
}
