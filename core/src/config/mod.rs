//! Server configuration: every Redis 7.0 parameter (see [`params::PARAMS`]), with Redis's names,
//! aliases, defaults, bounds and error texts. Parameters the engine reads are typed fields of
//! [`Config`]; the others are kept so CONFIG GET/SET and CONFIG REWRITE round-trip them.

pub mod params;
pub mod value;

use std::collections::BTreeMap;

pub use params::{lookup, Param, PARAMS};
pub use value::{notify, ConfigValue, Kind, ObufLimit};

/// `maxmemory-policy` values, in Redis's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MaxmemoryPolicy {
    /// Evict least recently used keys among those with a TTL.
    VolatileLru = 0,
    /// Evict least frequently used keys among those with a TTL.
    VolatileLfu = 1,
    /// Evict random keys among those with a TTL.
    VolatileRandom = 2,
    /// Evict keys with the nearest expiry.
    VolatileTtl = 3,
    /// Evict least recently used keys.
    AllkeysLru = 4,
    /// Evict least frequently used keys.
    AllkeysLfu = 5,
    /// Evict random keys.
    AllkeysRandom = 6,
    /// Refuse writes when over maxmemory.
    NoEviction = 7,
}

impl MaxmemoryPolicy {
    /// The policy at `i` in Redis's order (noeviction if out of range).
    pub fn from_index(i: u32) -> Self {
        use MaxmemoryPolicy::*;
        match i {
            0 => VolatileLru,
            1 => VolatileLfu,
            2 => VolatileRandom,
            3 => VolatileTtl,
            4 => AllkeysLru,
            5 => AllkeysLfu,
            6 => AllkeysRandom,
            _ => NoEviction,
        }
    }
    /// The name CONFIG GET and INFO print.
    pub fn name(self) -> &'static str {
        params::POLICY_NAMES[self as usize].0
    }
    /// Whether entries keep an LFU counter rather than an LRU clock (OBJECT FREQ works).
    pub fn is_lfu(self) -> bool {
        matches!(self, Self::VolatileLfu | Self::AllkeysLfu)
    }
    /// Whether entries keep an LRU clock (OBJECT IDLETIME works).
    pub fn is_lru_clock(self) -> bool {
        !self.is_lfu()
    }
}

/// `appendfsync` values, in Redis's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum AppendFsync {
    /// fsync once a second.
    Everysec = 0,
    /// fsync before acknowledging each write.
    Always = 1,
    /// Leave flushing to the OS.
    No = 2,
}

impl AppendFsync {
    /// The value at `i` in Redis's order.
    pub fn from_index(i: u32) -> Self {
        match i {
            1 => AppendFsync::Always,
            2 => AppendFsync::No,
            _ => AppendFsync::Everysec,
        }
    }
}

/// The configuration values the engine reads, plus every other parameter's value.
#[derive(Clone, Debug)]
pub struct Config {
    /// `databases`: number of logical databases.
    pub databases: usize,
    /// `hz`: server cron frequency (kept within 1..=500 as Redis does).
    pub hz: u32,
    /// `timeout`: idle client timeout in seconds (0 = never).
    pub timeout: u64,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: usize,
    /// `maxclients`.
    pub maxclients: usize,
    /// `enable-debug-command`: "no", "yes" or "local".
    pub enable_debug_command: String,
    /// `enable-module-command`: "no", "yes" or "local".
    pub enable_module_command: String,
    /// `aclfile` (empty: users live in the config file).
    pub aclfile: String,
    /// `acllog-max-len`.
    pub acllog_max_len: usize,
    /// `acl-pubsub-default`: "allchannels" or "resetchannels".
    pub acl_pubsub_default: String,
    /// `enable-protected-configs`: "no", "yes" or "local".
    pub enable_protected_configs: String,
    /// `port`.
    pub port: u16,
    /// `bind`.
    pub bind: Vec<String>,
    /// `unixsocket`.
    pub unixsocket: String,
    /// `unixsocketperm`.
    pub unixsocketperm: u32,
    /// `tcp-backlog`.
    pub tcp_backlog: u32,
    /// `tcp-keepalive`.
    pub tcp_keepalive: u64,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `maxmemory` in bytes (0 = no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples`.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity` (0–100): how long one eviction pass may run.
    pub maxmemory_eviction_tenacity: u32,
    /// `maxmemory-clients` (bytes; a negative value is a percentage of maxmemory).
    pub maxmemory_clients: i64,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` in minutes.
    pub lfu_decay_time: u32,
    /// `notify-keyspace-events` as [`notify`] bits.
    pub notify_keyspace_events: u32,
    /// `save`: (seconds, changes) snapshot points.
    pub save: Vec<(u64, u64)>,
    /// `appendonly`.
    pub appendonly: bool,
    /// `appendfsync`.
    pub appendfsync: AppendFsync,
    /// `aof-use-rdb-preamble`.
    pub aof_use_rdb_preamble: bool,
    /// `dir`: working directory for RDB/AOF files (the host sets it to its cwd at start).
    pub dir: String,
    /// `dbfilename`.
    pub dbfilename: String,
    /// `appendfilename`.
    pub appendfilename: String,
    /// `appenddirname`.
    pub appenddirname: String,
    /// `rdbcompression`.
    pub rdbcompression: bool,
    /// `rdbchecksum`.
    pub rdbchecksum: bool,
    /// `stop-writes-on-bgsave-error`.
    pub stop_writes_on_bgsave_error: bool,
    /// `aof-load-truncated`.
    pub aof_load_truncated: bool,
    /// `aof-timestamp-enabled`.
    pub aof_timestamp_enabled: bool,
    /// `requirepass` (empty = none).
    pub requirepass: String,
    /// `daemonize`.
    pub daemonize: bool,
    /// `pidfile` (empty = none).
    pub pidfile: String,
    /// `loglevel`: debug, verbose, notice or warning.
    pub loglevel: String,
    /// `logfile` (empty = stdout).
    pub logfile: String,
    /// `io-threads`.
    pub io_threads: u32,
    /// `activerehashing`.
    pub activerehashing: bool,
    /// `dynamic-hz`.
    pub dynamic_hz: bool,
    /// `active-expire-effort` (1..=10).
    pub active_expire_effort: u32,
    /// `lazyfree-lazy-eviction`.
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`.
    pub lazyfree_lazy_user_flush: bool,
    /// `list-max-listpack-size`.
    pub list_max_listpack_size: i64,
    /// `list-compress-depth`.
    pub list_compress_depth: i64,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `set-max-listpack-entries` (Redis 7.2).
    pub set_max_listpack_entries: usize,
    /// `set-max-listpack-value` (Redis 7.2).
    pub set_max_listpack_value: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// `stream-node-max-bytes`.
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries`.
    pub stream_node_max_entries: i64,
    /// `hll-sparse-max-bytes`.
    pub hll_sparse_max_bytes: usize,
    /// `busy-reply-threshold` (alias `lua-time-limit`), milliseconds.
    pub busy_reply_threshold: i64,
    /// `slowlog-log-slower-than`, microseconds.
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`, milliseconds.
    pub latency_monitor_threshold: i64,
    /// `latency-tracking`.
    pub latency_tracking: bool,
    /// `client-output-buffer-limit` for normal, replica and pubsub clients.
    pub client_output_buffer_limit: [ObufLimit; 3],
    /// `repl-backlog-size`.
    pub repl_backlog_size: i64,
    /// `repl-backlog-ttl` (seconds; 0: never freed).
    pub repl_backlog_ttl: i64,
    /// `repl-ping-replica-period` (seconds).
    pub repl_ping_replica_period: i64,
    /// `repl-diskless-sync`: a full sync streams the snapshot straight to the replicas
    /// (`$EOF:` framing), started after a delay so that several replicas share it.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay` (seconds).
    pub repl_diskless_sync_delay: i64,
    /// `repl-diskless-sync-max-replicas` (0: no limit).
    pub repl_diskless_sync_max_replicas: i64,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: i64,
    /// `min-replicas-max-lag` (seconds).
    pub min_replicas_max_lag: i64,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `tracking-table-max-keys`.
    pub tracking_table_max_keys: usize,
    /// Every parameter not bound to a field above, by canonical name.
    pub other: BTreeMap<&'static str, ConfigValue>,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            databases: 0,
            hz: 0,
            timeout: 0,
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            maxclients: 0,
            enable_debug_command: String::new(),
            enable_module_command: String::new(),
            aclfile: String::new(),
            acllog_max_len: 128,
            acl_pubsub_default: "resetchannels".into(),
            enable_protected_configs: String::new(),
            port: 0,
            bind: Vec::new(),
            unixsocket: String::new(),
            unixsocketperm: 0,
            tcp_backlog: 0,
            tcp_keepalive: 0,
            protected_mode: false,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 0,
            maxmemory_eviction_tenacity: 0,
            maxmemory_clients: 0,
            lfu_log_factor: 0,
            lfu_decay_time: 0,
            notify_keyspace_events: 0,
            save: Vec::new(),
            appendonly: false,
            appendfsync: AppendFsync::Everysec,
            aof_use_rdb_preamble: false,
            dir: String::new(),
            dbfilename: String::new(),
            appendfilename: String::new(),
            appenddirname: String::new(),
            rdbcompression: false,
            rdbchecksum: false,
            stop_writes_on_bgsave_error: false,
            aof_load_truncated: false,
            aof_timestamp_enabled: false,
            requirepass: String::new(),
            daemonize: false,
            pidfile: String::new(),
            loglevel: String::new(),
            logfile: String::new(),
            io_threads: 0,
            activerehashing: false,
            dynamic_hz: false,
            active_expire_effort: 0,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            list_max_listpack_size: 0,
            list_compress_depth: 0,
            hash_max_listpack_entries: 0,
            hash_max_listpack_value: 0,
            set_max_intset_entries: 0,
            set_max_listpack_entries: 0,
            set_max_listpack_value: 0,
            zset_max_listpack_entries: 0,
            zset_max_listpack_value: 0,
            stream_node_max_bytes: 0,
            stream_node_max_entries: 0,
            hll_sparse_max_bytes: 0,
            busy_reply_threshold: 0,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            latency_monitor_threshold: 0,
            latency_tracking: false,
            client_output_buffer_limit: [ObufLimit::default(); 3],
            repl_backlog_size: 0,
            repl_backlog_ttl: 0,
            repl_ping_replica_period: 0,
            repl_diskless_sync: false,
            repl_diskless_sync_delay: 0,
            repl_diskless_sync_max_replicas: 0,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 0,
            replica_read_only: false,
            tracking_table_max_keys: 0,
            other: BTreeMap::new(),
        };
        // Every default comes from the parameter table, so the two can't disagree.
        for p in PARAMS {
            let v = default_value(p);
            c.set_value(p, v);
        }
        c
    }
}

/// The smallest replication backlog Redis keeps (CONFIG_REPL_BACKLOG_MIN_SIZE).
pub const REPL_BACKLOG_MIN_SIZE: i64 = 16 * 1024;

/// The parsed default of `p`.
pub fn default_value(p: &Param) -> ConfigValue {
    let args = split_words(p.kind, p.default);
    let parsed = match p.kind {
        Kind::Obuf => p
            .kind
            .parse_with(&args, &ConfigValue::Obuf([ObufLimit::default(); 3])),
        _ => p.kind.parse(&args),
    };
    parsed.unwrap_or(ConfigValue::Str(String::new()))
}

/// Splits a CONFIG SET value into words: multi-word parameters split on single spaces, as
/// Redis does (an empty value is no words at all).
fn split_words(kind: Kind, value: &str) -> Vec<String> {
    if kind.multi_arg() {
        if value.is_empty() {
            Vec::new()
        } else {
            value.split(' ').map(String::from).collect()
        }
    } else {
        vec![value.to_string()]
    }
}

impl Config {
    /// The current value of `p`.
    pub fn value(&self, p: &Param) -> ConfigValue {
        match p.access {
            Some(a) => (a.get)(self),
            None => self
                .other
                .get(p.name)
                .cloned()
                .unwrap_or_else(|| default_value(p)),
        }
    }

    /// Stores an already parsed value of `p`.
    pub fn set_value(&mut self, p: &Param, v: ConfigValue) {
        match p.access {
            Some(a) => (a.set)(self, v),
            None => {
                self.other.insert(p.name, v);
            }
        }
    }

    /// `p`'s value as CONFIG GET prints it.
    pub fn render(&self, p: &Param) -> String {
        p.kind.render(&self.value(p))
    }

    /// The value CONFIG GET prints for the parameter named `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        lookup(name).map(|p| self.render(p))
    }

    /// Sets `p` from the words of a new value; the error is Redis's text for a bad value.
    pub fn set_words(&mut self, p: &Param, words: &[String]) -> Result<(), String> {
        let v = p.kind.parse_with(words, &self.value(p))?;
        self.set_value(p, v);
        Ok(())
    }

    /// Whether new ACL users get every channel (`acl-pubsub-default allchannels`).
    pub fn pubsub_all_channels(&self) -> bool {
        self.acl_pubsub_default == "allchannels"
    }

    /// Sets `p` from one CONFIG SET value string (multi-word values split on spaces).
    pub fn set_str(&mut self, p: &Param, value: &str) -> Result<(), String> {
        let words = split_words(p.kind, value);
        self.set_words(p, &words)
    }

    /// What Redis's apply functions do once CONFIG SET has changed values from `old`:
    /// a `repl-backlog-size` that changed to less than 16 KiB is raised to 16 KiB
    /// (resizeReplicationBacklog). Redis runs these only for values CONFIG SET changed, and
    /// not for the config file or command line, which keep a smaller size as given.
    pub fn apply_config_set(&mut self, old: &Config) {
        if self.repl_backlog_size != old.repl_backlog_size {
            self.repl_backlog_size = self.repl_backlog_size.max(REPL_BACKLOG_MIN_SIZE);
        }
    }

    /// Whether small integer values are shared objects (OBJECT REFCOUNT): Redis stops
    /// sharing them under a `maxmemory` with an LRU or LFU policy, which needs per-object
    /// access data.
    pub fn shares_integers(&self) -> bool {
        use MaxmemoryPolicy::*;
        self.maxmemory == 0
            || !matches!(
                self.maxmemory_policy,
                VolatileLru | VolatileLfu | AllkeysLru | AllkeysLfu
            )
    }

    /// Applies one directive (`port 7000`, from the command line or a config file); the error
    /// text is what redis-server prints for the line. Immutable parameters may be set here.
    /// Directives that are not parameters (include, rename-command, user, loadmodule,
    /// sentinel) are the host's to handle before calling this.
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let Some(p) = lookup(name) else {
            // Redis silently accepts these long-gone directives.
            let lower = name.to_ascii_lowercase();
            let deprecated = matches!(
                lower.as_str(),
                "list-max-ziplist-entries" | "list-max-ziplist-value" | "lua-replicate-commands"
            );
            if deprecated && args.len() == 1 {
                return Ok(());
            }
            return Err("Bad directive or wrong number of arguments".into());
        };
        if !p.kind.multi_arg() {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            return self.set_words(p, args);
        }
        if args.len() == 1 && !args[0].is_empty() {
            // `--save "900 1 300 10"`: one quoted argument holding several words.
            let Some(words) = crate::util::split_args::split_args(args[0].as_bytes()) else {
                return Err("Unbalanced quotes in configuration line".into());
            };
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            return self.set_words(p, &words);
        }
        self.set_words(p, args)
    }

    /// Every parameter name matching any of `patterns` with its value, as CONFIG GET replies:
    /// an exact (glob-free) name answers under the spelling asked, a pattern lists matching
    /// names and aliases (hidden parameters only answer exact names).
    pub fn matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for pat in patterns {
            if !pat.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
                let name = String::from_utf8_lossy(pat).into_owned();
                if let Some(p) = lookup(&name) {
                    if seen.insert(name.clone()) {
                        out.push((name, self.render(p)));
                    }
                }
                continue;
            }
            for p in PARAMS.iter().filter(|p| !p.hidden()) {
                for n in std::iter::once(p.name).chain(p.alias) {
                    if crate::util::glob::string_match(pat, n.as_bytes(), true)
                        && seen.insert(n.to_string())
                    {
                        out.push((n.to_string(), self.render(p)));
                    }
                }
            }
        }
        out
    }

    /// The directives CONFIG REWRITE persists: one redis.conf line per parameter whose value
    /// differs from its default, values quoted where needed.
    pub fn rewrite_lines(&self) -> Vec<String> {
        self.rewrite_lines_with(false)
    }

    /// The directives of every parameter, default or not (DEBUG CONFIG-REWRITE-FORCE-ALL).
    pub fn all_lines(&self) -> Vec<String> {
        self.rewrite_lines_with(true)
    }

    fn rewrite_lines_with(&self, all: bool) -> Vec<String> {
        let mut lines = Vec::new();
        for p in PARAMS {
            let v = self.value(p);
            if (!all && v == default_value(p)) || p.name == "dir" && self.dir.is_empty() {
                continue;
            }
            let text = p.kind.render(&v);
            let line = match p.kind {
                Kind::Save if text.is_empty() => format!("{} \"\"", p.name),
                Kind::Save => {
                    // One `save` line per snapshot point, as Redis writes them.
                    let ConfigValue::Save(pairs) = &v else {
                        continue;
                    };
                    for (s, c) in pairs {
                        lines.push(format!("save {s} {c}"));
                    }
                    continue;
                }
                // An empty multi-word value (`replicaof` of a primary) is no line at all.
                k if k.multi_arg() && text.is_empty() => continue,
                k if k.multi_arg() => format!("{} {}", p.name, text),
                _ => format!("{} {}", p.name, quote(&text)),
            };
            lines.push(line);
        }
        lines
    }
}

/// Quotes a value for redis.conf when it is empty or holds spaces, quotes or control bytes.
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The message redis-server prints (to stderr, before exiting) for a bad configuration line.
pub fn load_error_message(line_number: usize, line: &str, error: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
         Reading the configuration file, at line {line_number}\n>>> '{line}'\n{error}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(c.databases, 16);
        assert_eq!(c.hz, 10);
        assert_eq!(c.maxclients, 10000);
        assert_eq!(c.proto_max_bulk_len, 512 * 1024 * 1024);
        assert_eq!(c.save, vec![(3600, 1), (300, 100), (60, 10000)]);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::NoEviction);
        assert_eq!(c.get("save").as_deref(), Some("3600 1 300 100 60 10000"));
        assert_eq!(
            c.get("client-output-buffer-limit").as_deref(),
            Some("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        );
        assert_eq!(c.get("slave-read-only").as_deref(), Some("yes"));
        assert_eq!(
            c.get("latency-tracking-info-percentiles").as_deref(),
            Some("50 99 99.9")
        );
        assert_eq!(c.get("replicaof").as_deref(), Some(""));
        assert_eq!(c.get("oom-score-adj-values").as_deref(), Some("0 200 800"));
        assert_eq!(c.get("unixsocketperm").as_deref(), Some("0"));
        assert!(c.rewrite_lines().is_empty());
    }

    #[test]
    fn apply_directives_like_redis_server() {
        let mut c = Config::default();
        c.apply("port", &words(&["7000"])).unwrap();
        assert_eq!(c.port, 7000);
        c.apply("save", &words(&[""])).unwrap();
        assert!(c.save.is_empty());
        c.apply("save", &words(&["900 1 300 10"])).unwrap();
        assert_eq!(c.save, vec![(900, 1), (300, 10)]);
        c.apply("maxmemory", &words(&["100mb"])).unwrap();
        assert_eq!(c.maxmemory, 100 << 20);
        c.apply("unixsocketperm", &words(&["700"])).unwrap();
        assert_eq!(c.unixsocketperm, 0o700);
        c.apply("bind", &words(&["127.0.0.1", "::1"])).unwrap();
        assert_eq!(c.bind, words(&["127.0.0.1", "::1"]));
        assert_eq!(
            c.apply("hz", &words(&["x"])),
            Err("argument couldn't be parsed into an integer".into())
        );
        assert_eq!(
            c.apply("port", &words(&["1", "2"])),
            Err("wrong number of arguments".into())
        );
        assert_eq!(
            c.apply("nope", &words(&["1"])),
            Err("Bad directive or wrong number of arguments".into())
        );
        c.apply("maxmemory-policy", &words(&["ALLKEYS-LFU"]))
            .unwrap();
        assert!(c.maxmemory_policy.is_lfu());
        c.apply("hz", &words(&["1000"])).unwrap();
        assert_eq!(c.hz, 500);
        assert_eq!(
            c.rewrite_lines(),
            words(&[
                "maxmemory-policy allkeys-lfu",
                "port 7000",
                "hz 500",
                "unixsocketperm 700",
                "maxmemory 104857600",
                "save 900 1",
                "save 300 10",
                "bind 127.0.0.1 ::1",
            ])
        );
    }
}
