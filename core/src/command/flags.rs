//! Command flags as a bitset: Redis 7.0's COMMAND INFO flags, parsed once from the command
//! table's facts, plus lode's own. Behaviour that depends on what a command is (queueing inside
//! MULTI, OOM and ACL checks, replication, locking) reads these bits, never a command's name.

/// A set of command flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandFlags(u32);

impl CommandFlags {
    /// Modifies data.
    pub const WRITE: Self = Self(1 << 0);
    /// Only reads data.
    pub const READONLY: Self = Self(1 << 1);
    /// May grow memory use (refused under OOM).
    pub const DENYOOM: Self = Self(1 << 2);
    /// Administrative.
    pub const ADMIN: Self = Self(1 << 3);
    /// Pub/Sub related.
    pub const PUBSUB: Self = Self(1 << 4);
    /// Not allowed from scripts.
    pub const NOSCRIPT: Self = Self(1 << 5);
    /// Allowed while loading the dataset.
    pub const LOADING: Self = Self(1 << 6);
    /// Allowed on a replica with stale data.
    pub const STALE: Self = Self(1 << 7);
    /// Not allowed inside MULTI (and so refused with EXECABORT at EXEC).
    pub const NO_MULTI: Self = Self(1 << 8);
    /// Allowed while a script or function is busy.
    pub const ALLOW_BUSY: Self = Self(1 << 9);
    /// May replicate even though not flagged write (PUBLISH, EVAL...).
    pub const MAY_REPLICATE: Self = Self(1 << 10);
    /// O(1) or O(log N).
    pub const FAST: Self = Self(1 << 11);
    /// May block the client.
    pub const BLOCKING: Self = Self(1 << 12);
    /// Key positions depend on the arguments.
    pub const MOVABLEKEYS: Self = Self(1 << 13);
    /// Allowed before authentication.
    pub const NO_AUTH: Self = Self(1 << 14);
    /// Not shown by MONITOR.
    pub const SKIP_MONITOR: Self = Self(1 << 15);
    /// Not recorded in the slowlog.
    pub const SKIP_SLOWLOG: Self = Self(1 << 16);
    /// Allowed during a cluster ASKING import.
    pub const ASKING: Self = Self(1 << 17);
    /// Refused while loading asynchronously.
    pub const NO_ASYNC_LOADING: Self = Self(1 << 18);
    /// May run with none of its key arguments.
    pub const NO_MANDATORY_KEYS: Self = Self(1 << 19);
    /// lode's own: the command works on the whole keyspace (KEYS, SCAN, FLUSHALL, SWAPDB,
    /// SORT with its BY/GET patterns...), so the call boundary locks every shard for it.
    pub const WHOLE_KEYSPACE: Self = Self(1 << 20);
    /// lode's own: runs at once even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET:
    /// the exceptions of Redis's processCommand).
    pub const RUNS_IN_MULTI: Self = Self(1 << 21);
    /// lode's own: needs the server exclusively — no other command may run meanwhile, on any
    /// thread (EXEC, SYNC, PSYNC).
    pub const EXCLUSIVE: Self = Self(1 << 22);
    /// lode's own: a write whose integer reply 0 means it changed nothing (SADD, SREM, HDEL,
    /// LPUSHX on a missing key...): then it is not propagated and touches no watched key, as
    /// Redis, which propagates only what made the dataset dirty.
    pub const UNCHANGED_ON_ZERO: Self = Self(1 << 23);
    /// lode's own: one of the few commands a RESP2 client may send while subscribed
    /// ((P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET).
    pub const SUBSCRIBED_CONTEXT: Self = Self(1 << 24);
    /// lode's own: runs a Lua script or function (EVAL, EVALSHA, FCALL and their _RO forms).
    /// The boundary locks nothing for it (each redis.call locks its own keys, and a script may
    /// touch keys it did not declare); it is EXCLUSIVE, so nothing interleaves.
    pub const SCRIPT: Self = Self(1 << 25);
    /// Redis's `protected` (not shown by COMMAND INFO): DEBUG and MODULE LOAD/LOADEX/UNLOAD,
    /// which `enable-debug-command` / `enable-module-command` gate before authentication and
    /// ACLs are checked.
    pub const PROTECTED: Self = Self(1 << 26);

    /// The flag Redis names `name` in COMMAND INFO, if it is one.
    pub fn from_redis_name(name: &str) -> Option<Self> {
        Some(match name {
            "write" => Self::WRITE,
            "readonly" => Self::READONLY,
            "denyoom" => Self::DENYOOM,
            "admin" => Self::ADMIN,
            "pubsub" => Self::PUBSUB,
            "noscript" => Self::NOSCRIPT,
            "loading" => Self::LOADING,
            "stale" => Self::STALE,
            "no_multi" => Self::NO_MULTI,
            "allow_busy" => Self::ALLOW_BUSY,
            "may_replicate" => Self::MAY_REPLICATE,
            "fast" => Self::FAST,
            "blocking" => Self::BLOCKING,
            "movablekeys" => Self::MOVABLEKEYS,
            "no_auth" => Self::NO_AUTH,
            "skip_monitor" => Self::SKIP_MONITOR,
            "skip_slowlog" => Self::SKIP_SLOWLOG,
            "asking" => Self::ASKING,
            "no_async_loading" => Self::NO_ASYNC_LOADING,
            "no_mandatory_keys" => Self::NO_MANDATORY_KEYS,
            _ => return None,
        })
    }

    /// The flags Redis lists for a command, plus lode's own for the command named `name`.
    pub fn parse<'a>(name: &str, redis_flags: impl IntoIterator<Item = &'a str>) -> Self {
        let mut f = redis_flags
            .into_iter()
            .filter_map(Self::from_redis_name)
            .fold(Self::default(), |a, b| a | b);
        if LODE_WHOLE_KEYSPACE.contains(&name) {
            f = f | Self::WHOLE_KEYSPACE;
        }
        if LODE_RUNS_IN_MULTI.contains(&name) {
            f = f | Self::RUNS_IN_MULTI;
        }
        if LODE_UNCHANGED_ON_ZERO.contains(&name) {
            f = f | Self::UNCHANGED_ON_ZERO;
        }
        if LODE_EXCLUSIVE.contains(&name) {
            f = f | Self::EXCLUSIVE;
        }
        if LODE_SCRIPT.contains(&name) {
            f = f | Self::SCRIPT | Self::EXCLUSIVE;
        }
        if LODE_SUBSCRIBED_CONTEXT.contains(&name) {
            f = f | Self::SUBSCRIBED_CONTEXT;
        }
        if REDIS_MAY_REPLICATE.contains(&name) {
            f = f | Self::MAY_REPLICATE;
        }
        if matches!(
            name,
            "debug" | "module|load" | "module|loadex" | "module|unload"
        ) {
            f = f | Self::PROTECTED;
        }
        f
    }

    /// Whether every flag of `other` is set.
    #[inline]
    pub fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for CommandFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Commands whose handler works on every shard: the boundary locks them all. (Commands with key
/// specs lock their keys' shards; commands with neither lock nothing.)
const LODE_WHOLE_KEYSPACE: &[&str] = &[
    "keys",
    "randomkey",
    "flushdb",
    "flushall",
    "swapdb",
    // BY and GET patterns name keys that no key spec finds.
    "sort",
    "sort_ro",
];

/// Write commands whose reply `:0` means nothing changed. (Not HSET, ZADD or the *STORE
/// commands: their 0 can be an update or a deletion.)
const LODE_UNCHANGED_ON_ZERO: &[&str] = &[
    "del",
    "unlink",
    "sadd",
    "srem",
    "smove",
    "hdel",
    "hsetnx",
    "zrem",
    "zremrangebyscore",
    "zremrangebyrank",
    "zremrangebylex",
    "lrem",
    "lpushx",
    "rpushx",
    "setnx",
    "msetnx",
    "renamenx",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "persist",
];

/// Commands that need the server exclusively: EXEC (its queue must not interleave with
/// anything), SYNC and PSYNC (the snapshot and the stream that follows it must meet exactly),
/// DEBUG (RELOAD's snapshot and load must not interleave with writes), SAVE, BGSAVE and
/// BGREWRITEAOF (the snapshot they begin must be one instant), CLIENT PAUSE (no command that
/// passed the pause check before it may still be running once it replies, as in Redis), and the
/// FUNCTION subcommands that change the libraries (so they enter the propagation stream in the
/// order they were applied, and a snapshot's functions are those of its instant).
const LODE_EXCLUSIVE: &[&str] = &[
    "exec",
    "sync",
    "psync",
    "debug",
    "save",
    "bgsave",
    "bgrewriteaof",
    "client|pause",
    "function|load",
    "function|delete",
    "function|flush",
    "function|restore",
];

/// The commands that run a script or function.
const LODE_SCRIPT: &[&str] = &[
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
];

/// The commands a RESP2 client may send while subscribed (Redis's processCommand list).
const LODE_SUBSCRIBED_CONTEXT: &[&str] = &[
    "subscribe",
    "ssubscribe",
    "psubscribe",
    "unsubscribe",
    "sunsubscribe",
    "punsubscribe",
    "ping",
    "quit",
    "reset",
];

/// The commands Redis 7.0 flags `may_replicate`, a flag COMMAND INFO hides (so the facts
/// lack it): CLIENT PAUSE ... WRITE holds them back like writes.
const REDIS_MAY_REPLICATE: &[&str] =
    &["pfcount", "publish", "spublish", "eval", "evalsha", "fcall"];

/// Commands that execute immediately inside MULTI instead of being queued.
const LODE_RUNS_IN_MULTI: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

#[cfg(test)]
mod tests {
    use super::CommandFlags as F;

    #[test]
    fn parses_redis_and_lode_flags() {
        let f = F::parse("shutdown", ["admin", "noscript", "no_multi"]);
        assert!(f.has(F::ADMIN) && f.has(F::NO_MULTI) && f.has(F::NOSCRIPT));
        assert!(!f.has(F::WRITE));
        assert!(F::parse("keys", ["readonly"]).has(F::WHOLE_KEYSPACE));
        assert!(F::parse("exec", []).has(F::RUNS_IN_MULTI));
        assert!(!F::parse("get", ["readonly", "fast"]).has(F::WHOLE_KEYSPACE));
    }
}
