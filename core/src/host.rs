//! `Host`: what core asks of the program hosting it. All I/O lives on the host side; the calls
//! that do I/O are made by the host's effect runner (`effects`), never by a worker inside a
//! command, except the cheap reads INFO needs (memory, CPU, process facts).

use crate::config::Config;

/// What the core asks of the program hosting it (all I/O lives on the host side). Every method
/// has a default so a host implements only what it supports; the defaults are what a host
/// without that capability should answer.
pub trait Host: Send + Sync {
    /// SHUTDOWN with its options: save (or not) as `opts` says, then stop, or with
    /// `opts.abort` cancel a shutdown in progress. On success the host stops the server and
    /// the client sees its connection close (no reply); on failure the returned text
    /// (a full error line such as "ERR Errors trying to SHUTDOWN. Check logs.") is the reply.
    /// The default refuses (a host that cannot stop the server).
    fn shutdown(&self, opts: &ShutdownOptions) -> Result<(), String> {
        if opts.abort {
            return Err("ERR No shutdown in progress.".into());
        }
        Err("ERR shutdown is not supported by this host".into())
    }
    /// Persists the configuration (CONFIG REWRITE). `lines` holds one redis.conf directive
    /// per parameter whose value differs from its default (`save` as one line per point).
    /// The host rewrites its config file: it replaces the lines of the parameters in `lines`,
    /// drops lines of other known parameters (`config::params::is_known`), keeps comments
    /// and anything else. The error is the full reply line; without a config file Redis says
    /// "ERR The server is running without a config file".
    fn rewrite_config(&self, _lines: &[String]) -> Result<(), String> {
        Err("ERR The server is running without a config file".into())
    }
    /// Fills `buf` from a cryptographically secure source (ACL GENPASS). The default, for
    /// hosts without one, is a fixed pattern no secret may come from.
    fn random_bytes(&self, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = i as u8;
        }
    }
    /// Writes a line to the server log at warning level (DEBUG LOG and friends).
    fn log(&self, _message: &str) {}
    /// Called after CONFIG SET changed `names` (canonical parameter names) to the values in
    /// `config`, before they take effect: the host applies what it owns (rebinding `port` and
    /// `bind`, `dir`, `maxclients`, log settings...). An error cancels the whole CONFIG SET,
    /// which then replies "ERR CONFIG SET failed (possibly related to argument '<param>') -
    /// <message>"; like Redis, the host should leave things as they were on error.
    fn config_changed(&self, _names: &[&str], _config: &Config) -> Result<(), ApplyError> {
        Ok(())
    }
    /// Memory figures for INFO memory (jemalloc stats and RSS in the binary); zeros if unknown.
    fn memory(&self) -> MemoryInfo {
        MemoryInfo::default()
    }
    /// Bytes allocated right now (used_memory), cheap enough to read before every command
    /// when `maxmemory` is set; 0 if unknown.
    fn used_memory(&self) -> u64 {
        0
    }
    /// CPU time used so far, for INFO cpu (getrusage in the binary); zeros if unknown.
    fn cpu(&self) -> CpuInfo {
        CpuInfo::default()
    }
    /// Facts about the process for INFO server (pid, executable, config file, OS).
    fn process(&self) -> ProcessInfo {
        ProcessInfo::default()
    }
    /// A script passed `busy-reply-threshold` on the calling thread. A host whose worker
    /// threads each serve their own clients may start serving new connections elsewhere, so
    /// that SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE can reach the server (Redis serves
    /// clients between a busy script's steps; core cannot do I/O from inside the script).
    fn script_busy(&self) {}
    /// A monotonic clock in microseconds, read at the call boundary before and after each
    /// command (durations for INFO commandstats, SLOWLOG, LATENCY); only differences matter.
    /// It must be cheap (the binary reads the TSC through quanta). The default
    /// never moves, so every call takes 0 µs: deterministic for hosts without a clock.
    fn monotonic_us(&self) -> u64 {
        0
    }
    /// Blocks the calling worker thread for `duration` (DEBUG SLEEP): the core can't sleep,
    /// and Redis's DEBUG SLEEP stalls its only thread. The default returns at once.
    fn sleep(&self, _duration: std::time::Duration) {}
    /// Starts writing the file `path` (relative to the working directory, Redis's `dir`) so
    /// that it appears under that name only once complete: a temp file, fsynced and renamed
    /// over `path` on commit, as Redis saves dump.rdb. Errors are strerror texts. The default:
    /// a host without files.
    fn create_file(&self, _path: &str) -> Result<Box<dyn FileSink>, String> {
        Err("No such file or directory".into())
    }
    /// Writes an AOF rewrite's base from `job.snapshot` and makes it the AOF's base, the
    /// incremental files from `job.offset` on following it (BGREWRITEAOF). Runs on a thread of
    /// its own; core records the outcome. The default: a host without an AOF.
    fn rewrite_aof(
        &self,
        _server: &crate::server::Server,
        _job: crate::persistence::aof::RewriteJob,
    ) -> Result<(), String> {
        Err("this host keeps no append-only file".into())
    }
    /// MIGRATE's transfer: connect to the target, send AUTH, SELECT and a RESTORE per key,
    /// and mark in `req.acked` each key the target answered +OK. Err: the reply, as Redis words
    /// it ("IOERR error or timeout connecting to the client", "ERR Target instance replied
    /// with error: ..."). The default: a host without network access.
    fn migrate(
        &self,
        _req: &crate::keyspace::commands::migrate::MigrateRequest,
    ) -> Result<(), String> {
        Err("IOERR error or timeout connecting to the client".into())
    }
    /// Connections MIGRATE keeps open to its targets (INFO `migrate_cached_sockets`).
    fn migrate_cached_sockets(&self) -> u64 {
        0
    }
    /// Writes out and fsyncs everything the propagation stream holds for the AOF (DEBUG
    /// LOADAOF, with the exec gate held so nothing more arrives). Without an AOF: nothing.
    fn flush_aof(&self) -> Result<(), String> {
        Ok(())
    }
    /// Loads the AOF on disk into `server`'s (emptied) dataset (DEBUG LOADAOF).
    fn load_aof(&self, _server: &crate::server::Server) -> Result<(), String> {
        Err("this host keeps no append-only file".into())
    }
    /// The contents of the file `path`, or None if there is none.
    fn read_file(&self, _path: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }
    /// Frees `garbage` off the serving path, as Redis's lazyfree thread does: values UNLINK,
    /// FLUSHALL ASYNC and the `lazyfree-lazy-*` options take out of the keyspace
    /// (`keyspace::lazyfree`). Dropping it is the whole job; its drop also updates INFO's
    /// lazyfree counters. The default drops it at once, on the calling thread.
    fn free_in_background(&self, garbage: Box<dyn Send>) {
        drop(garbage);
    }
}

/// Why the host could not apply a CONFIG SET: the parameter whose change failed (Redis names
/// it in the reply) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyError {
    /// The canonical name of the parameter that could not be applied.
    pub param: &'static str,
    /// The reason, as Redis words it ("Unable to listen on this port. Check server logs.").
    pub message: String,
}

impl ApplyError {
    /// The CONFIG SET reply for this failure.
    pub fn reply(&self) -> String {
        format!(
            "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
            self.param, self.message
        )
    }
}

/// A file being written by [`Host::create_file`].
pub trait FileSink: Send {
    /// Appends `bytes`.
    fn write(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Makes the file durable and gives it its final name.
    fn commit(self: Box<Self>) -> Result<(), String>;
}

/// SHUTDOWN's options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownOptions {
    /// SAVE: save an RDB snapshot even if no save points are configured.
    pub save: bool,
    /// NOSAVE: don't save even if save points are configured.
    pub nosave: bool,
    /// NOW: don't wait for lagging replicas.
    pub now: bool,
    /// FORCE: shut down even if saving fails.
    pub force: bool,
    /// ABORT: cancel a shutdown in progress instead.
    pub abort: bool,
}

/// Memory figures reported by INFO memory, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryInfo {
    /// Bytes allocated by the process (used_memory).
    pub used: u64,
    /// Resident set size (used_memory_rss).
    pub rss: u64,
    /// Highest `used` seen (used_memory_peak); 0 lets the core track it.
    pub peak: u64,
    /// Bytes allocated right after startup (used_memory_startup).
    pub startup: u64,
    /// Allocator statistics: allocated, active and resident bytes.
    pub allocator_allocated: u64,
    /// See `allocator_allocated`.
    pub allocator_active: u64,
    /// See `allocator_allocated`.
    pub allocator_resident: u64,
    /// Physical memory of the machine (total_system_memory).
    pub total_system: u64,
    /// Allocator name and version, e.g. "jemalloc-5.3.0" (mem_allocator).
    pub allocator_name: &'static str,
}

/// CPU time reported by INFO cpu, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuInfo {
    /// System CPU time of the process.
    pub sys_us: u64,
    /// User CPU time of the process.
    pub user_us: u64,
    /// System CPU time of waited-for children.
    pub sys_children_us: u64,
    /// User CPU time of waited-for children.
    pub user_children_us: u64,
}

/// Process facts reported by INFO server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Absolute path of the executable.
    pub executable: String,
    /// Absolute path of the config file ("" if none).
    pub config_file: String,
    /// "sysname release machine" as uname reports them, e.g. "Linux 6.1.0 x86_64".
    pub os: String,
}

/// A host that does nothing: unit tests and simulations.
pub struct NullHost;

impl Host for NullHost {}
