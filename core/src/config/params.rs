//! The parameter table: every configuration parameter Redis 7.0.15 has (as its `CONFIG GET *`
//! lists them), with its alias, kind, bounds, default and flags. CONFIG GET/SET, the command
//! line and redis.conf all go through this one table. Parameters the engine reads are bound to
//! typed fields of [`Config`]; the rest are kept as parsed values so they round-trip.

use super::value::{ConfigValue, Kind, NumFmt};
use super::{AppendFsync, Config, MaxmemoryPolicy};

/// CONFIG SET refuses the parameter ("can't set immutable config").
pub const IMMUTABLE: u8 = 1;
/// CONFIG SET needs `enable-protected-configs` ("can't set protected config").
pub const PROTECTED: u8 = 2;
/// Left out of CONFIG GET patterns; only an exact name finds it.
pub const HIDDEN: u8 = 4;
/// A lode extension from a later Redis (7.2), absent from 7.0.
pub const LATER: u8 = 8;

/// Reads and writes a typed field of [`Config`].
#[derive(Clone, Copy)]
pub struct Access {
    /// The current value.
    pub get: fn(&Config) -> ConfigValue,
    /// Stores a value parsed by the parameter's kind.
    pub set: fn(&mut Config, ConfigValue),
}

/// One configuration parameter.
#[derive(Clone, Copy)]
pub struct Param {
    /// Canonical name.
    pub name: &'static str,
    /// Old name accepted everywhere (and listed by CONFIG GET patterns under its own name).
    pub alias: Option<&'static str>,
    /// IMMUTABLE, PROTECTED, HIDDEN, LATER.
    pub flags: u8,
    /// What values it takes.
    pub kind: Kind,
    /// Default, written as CONFIG SET would take it (also what CONFIG GET prints).
    pub default: &'static str,
    /// The typed field it is bound to, if the engine reads it.
    pub access: Option<Access>,
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

const fn num(min: i128, max: i128) -> Kind {
    Kind::Int {
        min,
        max,
        unsigned: false,
        fmt: NumFmt::Plain,
    }
}
const fn unum(min: i128, max: i128) -> Kind {
    Kind::Int {
        min,
        max,
        unsigned: true,
        fmt: NumFmt::Plain,
    }
}
const fn mem(min: i128, max: i128) -> Kind {
    Kind::Int {
        min,
        max,
        unsigned: false,
        fmt: NumFmt::Memory,
    }
}
const fn umem(min: i128, max: i128) -> Kind {
    Kind::Int {
        min,
        max,
        unsigned: true,
        fmt: NumFmt::Memory,
    }
}
const fn en(names: &'static [(&'static str, u32)]) -> Kind {
    Kind::Enum {
        names,
        multi: false,
    }
}

/// The maxmemory-policy names in Redis's order; values index [`MaxmemoryPolicy`].
pub const POLICY_NAMES: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const FSYNC_NAMES: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
const LOGLEVEL_NAMES: &[(&str, u32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const PROTECTED_NAMES: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const SUPERVISED_NAMES: &[(&str, u32)] = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
const FACILITY_NAMES: &[(&str, u32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const DISKLESS_LOAD_NAMES: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const OOM_ADJ_NAMES: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const PUBSUB_DEFAULT_NAMES: &[(&str, u32)] = &[("allchannels", 8), ("resetchannels", 0)];
const SANITIZE_NAMES: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const ENDPOINT_NAMES: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_NAMES: &[(&str, u32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
const SHUTDOWN_NAMES: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
const TLS_AUTH_NAMES: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
/// `io-engine`: which transport serves TCP and Unix clients (lode's own parameter).
pub const IO_ENGINE_NAMES: &[(&str, u32)] = &[("tokio", 0), ("uring", 1), ("auto", 2)];

/// The value of `name` in an enum table (0 if absent).
fn enum_value(names: &[(&str, u32)], name: &str) -> u32 {
    names
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(0, |(_, v)| *v)
}

/// The first name of `value` in an enum table.
fn enum_label(names: &[(&str, u32)], value: u32) -> String {
    names
        .iter()
        .find(|(_, v)| *v == value)
        .map_or_else(String::new, |(n, _)| (*n).to_string())
}

macro_rules! int_field {
    ($f:ident) => {
        Some(Access {
            get: |c| ConfigValue::Int(c.$f as i64),
            set: |c, v| {
                if let ConfigValue::Int(n) = v {
                    c.$f = n as _;
                }
            },
        })
    };
}
macro_rules! bool_field {
    ($f:ident) => {
        Some(Access {
            get: |c| ConfigValue::Bool(c.$f),
            set: |c, v| {
                if let ConfigValue::Bool(b) = v {
                    c.$f = b;
                }
            },
        })
    };
}
macro_rules! str_field {
    ($f:ident) => {
        Some(Access {
            get: |c| ConfigValue::Str(c.$f.clone()),
            set: |c, v| {
                if let ConfigValue::Str(s) = v {
                    c.$f = s;
                }
            },
        })
    };
}
macro_rules! enum_str_field {
    ($f:ident, $names:expr) => {
        Some(Access {
            get: |c| ConfigValue::Enum(enum_value($names, &c.$f)),
            set: |c, v| {
                if let ConfigValue::Enum(e) = v {
                    c.$f = enum_label($names, e);
                }
            },
        })
    };
}

const fn p(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        flags: 0,
        kind,
        default,
        access: None,
    }
}

impl Param {
    const fn alias(mut self, alias: &'static str) -> Self {
        self.alias = Some(alias);
        self
    }
    const fn flags(mut self, flags: u8) -> Self {
        self.flags |= flags;
        self
    }
    const fn field(mut self, access: Option<Access>) -> Self {
        self.access = access;
        self
    }
    /// Whether CONFIG SET refuses it.
    pub fn immutable(&self) -> bool {
        self.flags & IMMUTABLE != 0
    }
    /// Whether CONFIG SET needs `enable-protected-configs`.
    pub fn protected(&self) -> bool {
        self.flags & PROTECTED != 0
    }
    /// Whether patterns skip it.
    pub fn hidden(&self) -> bool {
        self.flags & HIDDEN != 0
    }
}

const B: Kind = Kind::Bool;
const S: Kind = Kind::Str;
const I: u8 = IMMUTABLE;

/// Every parameter, in the order of Redis's own table.
pub static PARAMS: &[Param] = &[
    // yes/no parameters
    p("rdbchecksum", B, "yes")
        .flags(I)
        .field(bool_field!(rdbchecksum)),
    p("daemonize", B, "no")
        .flags(I)
        .field(bool_field!(daemonize)),
    p("io-threads-do-reads", B, "no").flags(I),
    p("always-show-logo", B, "no").flags(I),
    p("protected-mode", B, "yes").field(bool_field!(protected_mode)),
    p("rdbcompression", B, "yes").field(bool_field!(rdbcompression)),
    p("rdb-del-sync-files", B, "no"),
    p("activerehashing", B, "yes").field(bool_field!(activerehashing)),
    p("stop-writes-on-bgsave-error", B, "yes").field(bool_field!(stop_writes_on_bgsave_error)),
    p("set-proc-title", B, "yes").flags(I),
    p("dynamic-hz", B, "yes").field(bool_field!(dynamic_hz)),
    p("lazyfree-lazy-eviction", B, "no").field(bool_field!(lazyfree_lazy_eviction)),
    p("lazyfree-lazy-expire", B, "no").field(bool_field!(lazyfree_lazy_expire)),
    p("lazyfree-lazy-server-del", B, "no").field(bool_field!(lazyfree_lazy_server_del)),
    p("lazyfree-lazy-user-del", B, "no").field(bool_field!(lazyfree_lazy_user_del)),
    p("lazyfree-lazy-user-flush", B, "no").field(bool_field!(lazyfree_lazy_user_flush)),
    p("repl-disable-tcp-nodelay", B, "no"),
    p("repl-diskless-sync", B, "yes").field(bool_field!(repl_diskless_sync)),
    p("aof-rewrite-incremental-fsync", B, "yes"),
    p("no-appendfsync-on-rewrite", B, "no"),
    p("cluster-require-full-coverage", B, "yes"),
    p("rdb-save-incremental-fsync", B, "yes"),
    p("aof-load-truncated", B, "yes").field(bool_field!(aof_load_truncated)),
    p("aof-use-rdb-preamble", B, "yes").field(bool_field!(aof_use_rdb_preamble)),
    p("aof-timestamp-enabled", B, "no").field(bool_field!(aof_timestamp_enabled)),
    p("cluster-replica-no-failover", B, "no").alias("cluster-slave-no-failover"),
    p("replica-lazy-flush", B, "no").alias("slave-lazy-flush"),
    p("replica-serve-stale-data", B, "yes").alias("slave-serve-stale-data"),
    p("replica-read-only", B, "yes")
        .alias("slave-read-only")
        .field(bool_field!(replica_read_only)),
    p("replica-ignore-maxmemory", B, "yes").alias("slave-ignore-maxmemory"),
    p("jemalloc-bg-thread", B, "yes"),
    p("activedefrag", B, "no"),
    p("syslog-enabled", B, "no").flags(I),
    p("cluster-enabled", B, "no").flags(I),
    p("appendonly", B, "no").field(bool_field!(appendonly)),
    p("cluster-allow-reads-when-down", B, "no"),
    p("cluster-allow-pubsubshard-when-down", B, "yes"),
    p("crash-log-enabled", B, "yes"),
    p("crash-memcheck-enabled", B, "yes"),
    p("use-exit-on-panic", B, "no").flags(HIDDEN),
    p("disable-thp", B, "yes").flags(I),
    p("cluster-allow-replica-migration", B, "yes"),
    p("replica-announced", B, "yes"),
    p("latency-tracking", B, "yes").field(bool_field!(latency_tracking)),
    p("aof-disable-auto-gc", B, "no"),
    p("replica-ignore-disk-write-errors", B, "no"),
    // strings
    p("aclfile", S, "").flags(I).field(str_field!(aclfile)),
    p("unixsocket", S, "")
        .flags(I)
        .field(str_field!(unixsocket)),
    p("pidfile", S, "").flags(I).field(str_field!(pidfile)),
    p("replica-announce-ip", S, "").alias("slave-announce-ip"),
    p("masteruser", S, ""),
    p("cluster-announce-ip", S, ""),
    p("cluster-config-file", S, "nodes.conf").flags(I),
    p("cluster-announce-hostname", S, ""),
    p("syslog-ident", S, "redis").flags(I),
    p("dbfilename", S, "dump.rdb")
        .flags(PROTECTED)
        .field(str_field!(dbfilename)),
    p("appendfilename", S, "appendonly.aof")
        .flags(I)
        .field(str_field!(appendfilename)),
    p("appenddirname", S, "appendonlydir")
        .flags(I)
        .field(str_field!(appenddirname)),
    p("server_cpulist", S, "").flags(I),
    p("bio_cpulist", S, "").flags(I),
    p("aof_rewrite_cpulist", S, "").flags(I),
    p("bgsave_cpulist", S, "").flags(I),
    p("ignore-warnings", S, ""),
    p(
        "proc-title-template",
        S,
        "{title} {listen-addr} {server-mode}",
    ),
    p("bind-source-addr", S, ""),
    p("logfile", S, "").flags(I).field(str_field!(logfile)),
    p("masterauth", S, ""),
    p("requirepass", S, "").field(str_field!(requirepass)),
    // enums
    p("supervised", en(SUPERVISED_NAMES), "no").flags(I),
    p("syslog-facility", en(FACILITY_NAMES), "local0").flags(I),
    p("repl-diskless-load", en(DISKLESS_LOAD_NAMES), "disabled"),
    p("loglevel", en(LOGLEVEL_NAMES), "notice").field(enum_str_field!(loglevel, LOGLEVEL_NAMES)),
    p("maxmemory-policy", en(POLICY_NAMES), "noeviction").field(Some(Access {
        get: |c| ConfigValue::Enum(c.maxmemory_policy as u32),
        set: |c, v| {
            if let ConfigValue::Enum(e) = v {
                c.maxmemory_policy = MaxmemoryPolicy::from_index(e);
            }
        },
    })),
    p("appendfsync", en(FSYNC_NAMES), "everysec").field(Some(Access {
        get: |c| ConfigValue::Enum(c.appendfsync as u32),
        set: |c, v| {
            if let ConfigValue::Enum(e) = v {
                c.appendfsync = AppendFsync::from_index(e);
            }
        },
    })),
    p("oom-score-adj", en(OOM_ADJ_NAMES), "no"),
    p(
        "acl-pubsub-default",
        en(PUBSUB_DEFAULT_NAMES),
        "resetchannels",
    )
    .field(enum_str_field!(acl_pubsub_default, PUBSUB_DEFAULT_NAMES)),
    p("sanitize-dump-payload", en(SANITIZE_NAMES), "no"),
    p("enable-protected-configs", en(PROTECTED_NAMES), "no")
        .flags(I)
        .field(enum_str_field!(enable_protected_configs, PROTECTED_NAMES)),
    p("enable-debug-command", en(PROTECTED_NAMES), "no")
        .flags(I)
        .field(enum_str_field!(enable_debug_command, PROTECTED_NAMES)),
    p("enable-module-command", en(PROTECTED_NAMES), "no")
        .flags(I)
        .field(enum_str_field!(enable_module_command, PROTECTED_NAMES)),
    p("cluster-preferred-endpoint-type", en(ENDPOINT_NAMES), "ip"),
    p(
        "propagation-error-behavior",
        en(PROPAGATION_NAMES),
        "ignore",
    ),
    p(
        "shutdown-on-sigint",
        Kind::Enum {
            names: SHUTDOWN_NAMES,
            multi: true,
        },
        "default",
    ),
    p(
        "shutdown-on-sigterm",
        Kind::Enum {
            names: SHUTDOWN_NAMES,
            multi: true,
        },
        "default",
    ),
    // integers
    p("databases", num(1, INT_MAX), "16")
        .flags(I)
        .field(int_field!(databases)),
    p("port", num(0, 65535), "6379").field(int_field!(port)),
    p("io-threads", num(1, 128), "1")
        .flags(I)
        .field(int_field!(io_threads)),
    p("auto-aof-rewrite-percentage", num(0, INT_MAX), "100"),
    p("cluster-replica-validity-factor", num(0, INT_MAX), "10")
        .alias("cluster-slave-validity-factor"),
    p("list-max-listpack-size", num(INT_MIN, INT_MAX), "-2")
        .alias("list-max-ziplist-size")
        .field(int_field!(list_max_listpack_size)),
    p("tcp-keepalive", num(0, INT_MAX), "300").field(int_field!(tcp_keepalive)),
    p("cluster-migration-barrier", num(0, INT_MAX), "1"),
    p("active-defrag-cycle-min", num(1, 99), "1"),
    p("active-defrag-cycle-max", num(1, 99), "25"),
    p("active-defrag-threshold-lower", num(0, 1000), "10"),
    p("active-defrag-threshold-upper", num(0, 1000), "100"),
    p("lfu-log-factor", num(0, INT_MAX), "10").field(int_field!(lfu_log_factor)),
    p("lfu-decay-time", num(0, INT_MAX), "1").field(int_field!(lfu_decay_time)),
    p("replica-priority", num(0, INT_MAX), "100").alias("slave-priority"),
    p("repl-diskless-sync-delay", num(0, INT_MAX), "5").field(int_field!(repl_diskless_sync_delay)),
    p("maxmemory-samples", num(1, INT_MAX), "5").field(int_field!(maxmemory_samples)),
    p("maxmemory-eviction-tenacity", num(0, 100), "10")
        .field(int_field!(maxmemory_eviction_tenacity)),
    p("timeout", num(0, INT_MAX), "0").field(int_field!(timeout)),
    p("replica-announce-port", num(0, 65535), "0").alias("slave-announce-port"),
    p("tcp-backlog", num(0, INT_MAX), "511")
        .flags(I)
        .field(int_field!(tcp_backlog)),
    p("cluster-port", num(0, 65535), "0").flags(I),
    p("cluster-announce-bus-port", num(0, 65535), "0"),
    p("cluster-announce-port", num(0, 65535), "0"),
    p("cluster-announce-tls-port", num(0, 65535), "0"),
    p("repl-timeout", num(1, INT_MAX), "60"),
    p("repl-ping-replica-period", num(1, INT_MAX), "10")
        .alias("repl-ping-slave-period")
        .field(int_field!(repl_ping_replica_period)),
    p("list-compress-depth", num(0, INT_MAX), "0").field(int_field!(list_compress_depth)),
    p("rdb-key-save-delay", num(INT_MIN, INT_MAX), "0").flags(HIDDEN),
    p("key-load-delay", num(INT_MIN, INT_MAX), "0").flags(HIDDEN),
    p("active-expire-effort", num(1, 10), "1").field(int_field!(active_expire_effort)),
    p("hz", num(0, INT_MAX), "10").field(Some(Access {
        get: |c| ConfigValue::Int(c.hz as i64),
        // Redis takes any value but keeps it within 1..=500.
        set: |c, v| {
            if let ConfigValue::Int(n) = v {
                c.hz = n.clamp(1, 500) as u32;
            }
        },
    })),
    p("min-replicas-to-write", num(0, INT_MAX), "0")
        .alias("min-slaves-to-write")
        .field(int_field!(min_replicas_to_write)),
    p("min-replicas-max-lag", num(0, INT_MAX), "10")
        .alias("min-slaves-max-lag")
        .field(int_field!(min_replicas_max_lag)),
    p("watchdog-period", num(0, INT_MAX), "0").flags(HIDDEN),
    p("shutdown-timeout", num(0, INT_MAX), "10"),
    p("repl-diskless-sync-max-replicas", num(0, INT_MAX), "0")
        .field(int_field!(repl_diskless_sync_max_replicas)),
    p("maxclients", unum(1, UINT_MAX), "10000").field(int_field!(maxclients)),
    p(
        "unixsocketperm",
        Kind::Int {
            min: 0,
            max: 0o777,
            unsigned: true,
            fmt: NumFmt::Octal,
        },
        "0",
    )
    .flags(I)
    .field(int_field!(unixsocketperm)),
    p("socket-mark-id", unum(0, UINT_MAX), "0").flags(I),
    p("active-defrag-max-scan-fields", unum(1, LONG_MAX), "1000"),
    p("slowlog-max-len", unum(0, LONG_MAX), "128").field(int_field!(slowlog_max_len)),
    p("acllog-max-len", unum(0, LONG_MAX), "128").field(int_field!(acllog_max_len)),
    p("busy-reply-threshold", num(0, LONG_MAX), "5000")
        .alias("lua-time-limit")
        .field(int_field!(busy_reply_threshold)),
    p("cluster-node-timeout", num(0, LONG_MAX), "15000"),
    p("slowlog-log-slower-than", num(-1, LONG_MAX), "10000")
        .field(int_field!(slowlog_log_slower_than)),
    p("latency-monitor-threshold", num(0, LONG_MAX), "0")
        .field(int_field!(latency_monitor_threshold)),
    p(
        "proto-max-bulk-len",
        mem(1024 * 1024, LONG_MAX),
        "536870912",
    )
    .field(int_field!(proto_max_bulk_len)),
    p("stream-node-max-entries", num(0, LONG_MAX), "100")
        .field(int_field!(stream_node_max_entries)),
    p("repl-backlog-size", mem(1, LONG_MAX), "1048576").field(int_field!(repl_backlog_size)),
    p("maxmemory", umem(0, ULLONG_MAX), "0").field(int_field!(maxmemory)),
    p("cluster-link-sendbuf-limit", umem(0, ULLONG_MAX), "0"),
    p("hash-max-listpack-entries", unum(0, LONG_MAX), "512")
        .alias("hash-max-ziplist-entries")
        .field(int_field!(hash_max_listpack_entries)),
    p("set-max-intset-entries", unum(0, LONG_MAX), "512").field(int_field!(set_max_intset_entries)),
    p("zset-max-listpack-entries", unum(0, LONG_MAX), "128")
        .alias("zset-max-ziplist-entries")
        .field(int_field!(zset_max_listpack_entries)),
    p("active-defrag-ignore-bytes", umem(1, LONG_MAX), "104857600"),
    p("hash-max-listpack-value", umem(0, LONG_MAX), "64")
        .alias("hash-max-ziplist-value")
        .field(int_field!(hash_max_listpack_value)),
    p("stream-node-max-bytes", umem(0, LONG_MAX), "4096").field(int_field!(stream_node_max_bytes)),
    p("zset-max-listpack-value", umem(0, LONG_MAX), "64")
        .alias("zset-max-ziplist-value")
        .field(int_field!(zset_max_listpack_value)),
    p("hll-sparse-max-bytes", umem(0, LONG_MAX), "3000").field(int_field!(hll_sparse_max_bytes)),
    p("tracking-table-max-keys", unum(0, LONG_MAX), "1000000")
        .field(int_field!(tracking_table_max_keys)),
    p(
        "client-query-buffer-limit",
        umem(1024 * 1024, LONG_MAX),
        "1073741824",
    )
    .field(int_field!(client_query_buffer_limit)),
    p(
        "maxmemory-clients",
        Kind::Int {
            min: -100,
            max: LONG_MAX,
            unsigned: false,
            fmt: NumFmt::MemoryPercent,
        },
        "0",
    )
    .field(int_field!(maxmemory_clients)),
    p("repl-backlog-ttl", num(0, LONG_MAX), "3600").field(int_field!(repl_backlog_ttl)),
    p("auto-aof-rewrite-min-size", mem(0, LONG_MAX), "67108864"),
    p(
        "loading-process-events-interval-bytes",
        num(1024, INT_MAX),
        "2097152",
    )
    .flags(HIDDEN),
    // Redis 7.2's small-set listpack encoding thresholds (lode's sets follow 7.2).
    p("set-max-listpack-entries", unum(0, LONG_MAX), "128")
        .flags(LATER)
        .field(int_field!(set_max_listpack_entries)),
    p("set-max-listpack-value", umem(0, LONG_MAX), "64")
        .flags(LATER)
        .field(int_field!(set_max_listpack_value)),
    // lode's own transport parameters (hidden from CONFIG GET patterns, so `CONFIG GET *`
    // lists what Redis 7.0 lists; an exact name finds them).
    p("io-engine", en(IO_ENGINE_NAMES), "tokio").flags(I | HIDDEN),
    p("quic-port", num(0, 65535), "0").flags(I | HIDDEN),
    p("quic-idle-timeout", num(0, INT_MAX), "30000").flags(I | HIDDEN),
    p("quic-keepalive-interval", num(0, INT_MAX), "10000").flags(I | HIDDEN),
    p("quic-max-streams", num(1, INT_MAX), "1024").flags(I | HIDDEN),
    p("quic-max-connections", num(1, INT_MAX), "10000").flags(I | HIDDEN),
    // TLS (listed because the reference redis-server is built with TLS)
    p("tls-port", num(0, 65535), "0"),
    p("tls-session-cache-size", num(0, INT_MAX), "20480"),
    p("tls-session-cache-timeout", num(0, INT_MAX), "300"),
    p("tls-cluster", B, "no"),
    p("tls-replication", B, "no"),
    p("tls-auth-clients", en(TLS_AUTH_NAMES), "yes"),
    p("tls-prefer-server-ciphers", B, "no"),
    p("tls-session-caching", B, "yes"),
    p("tls-cert-file", S, ""),
    p("tls-key-file", S, ""),
    p("tls-key-file-pass", S, ""),
    p("tls-client-cert-file", S, ""),
    p("tls-client-key-file", S, ""),
    p("tls-client-key-file-pass", S, ""),
    p("tls-dh-params-file", S, ""),
    p("tls-ca-cert-file", S, ""),
    p("tls-ca-cert-dir", S, ""),
    p("tls-protocols", S, ""),
    p("tls-ciphers", S, ""),
    p("tls-ciphersuites", S, ""),
    // special parameters
    p("dir", Kind::Dir, "")
        .flags(PROTECTED)
        .field(str_field!(dir)),
    p("save", Kind::Save, "3600 1 300 100 60 10000").field(Some(Access {
        get: |c| ConfigValue::Save(c.save.iter().map(|&(s, n)| (s as i64, n as i64)).collect()),
        set: |c, v| {
            if let ConfigValue::Save(pairs) = v {
                c.save = pairs.iter().map(|&(s, n)| (s as u64, n as u64)).collect();
            }
        },
    })),
    p(
        "client-output-buffer-limit",
        Kind::Obuf,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    )
    .field(Some(Access {
        get: |c| ConfigValue::Obuf(c.client_output_buffer_limit),
        set: |c, v| {
            if let ConfigValue::Obuf(l) = v {
                c.client_output_buffer_limit = l;
            }
        },
    })),
    p("oom-score-adj-values", Kind::OomValues, "0 200 800"),
    p("notify-keyspace-events", Kind::Notify, "").field(int_field!(notify_keyspace_events)),
    // lode keeps redis.conf's loopback default rather than redis-server's "* -::*".
    p("bind", Kind::Bind, "127.0.0.1 -::1").field(Some(Access {
        get: |c| ConfigValue::List(c.bind.clone()),
        set: |c, v| {
            if let ConfigValue::List(l) = v {
                c.bind = l;
            }
        },
    })),
    p("replicaof", Kind::ReplicaOf, "no one")
        .alias("slaveof")
        .flags(I),
    p(
        "latency-tracking-info-percentiles",
        Kind::Percentiles,
        "50 99 99.9",
    ),
];

/// The parameter named `name` (canonical or alias, case-insensitive).
pub fn lookup(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Whether `name` is a configuration parameter (hosts use this for CONFIG REWRITE).
pub fn is_known(name: &str) -> bool {
    lookup(name).is_some()
}
