//! Eviction through sessions, on a host whose "used memory" is what MEMORY USAGE says the
//! keys take, so limits are counted in keys and every outcome is deterministic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use crate::admin::memory::key_bytes;
use crate::clock::Now;
use crate::config::Config;
use crate::host::Host;
use crate::keyspace::Value;
use crate::server::Server;
use crate::testkit::{TestClient, EPOCH_MS};

/// What a key of two characters holding a one-byte string takes: the unit limits are given in.
fn unit() -> u64 {
    key_bytes(b"kk", &Value::string(b"v")) as u64
}

/// A host measuring memory as the keys' MEMORY USAGE sizes, plus `extra`.
#[derive(Default)]
struct KeyMemory {
    server: Arc<OnceLock<Weak<Server>>>,
    extra: Arc<AtomicU64>,
}

impl Host for KeyMemory {
    fn used_memory(&self) -> u64 {
        let Some(server) = self.server.get().and_then(Weak::upgrade) else {
            return 0;
        };
        let ks = &server.keyspace;
        let mut keys = 0u64;
        for s in 0..ks.shard_count() {
            let shard = ks.guard(s);
            for db in &shard.dbs {
                keys += db
                    .iter()
                    .map(|(k, e)| key_bytes(k, &e.value) as u64)
                    .sum::<u64>();
            }
        }
        keys + self.extra.load(Ordering::Relaxed)
    }
}

/// A server whose memory holds `keys` keys (and half a key's slack), with `policy` and the
/// given samples.
fn server(keys: u64, policy: &str, samples: &str) -> Arc<Server> {
    server_with_extra(keys, policy, samples).0
}

/// [`server`], and the memory its host adds to the keys'.
fn server_with_extra(keys: u64, policy: &str, samples: &str) -> (Arc<Server>, Arc<AtomicU64>) {
    let mut config = Config::default();
    let max = (keys * unit() + unit() / 2).to_string();
    for (name, value) in [
        ("maxmemory", max.as_str()),
        ("maxmemory-policy", policy),
        ("maxmemory-samples", samples),
    ] {
        config
            .apply(name, &[value.to_string()])
            .expect("valid setting");
    }
    let cell = Arc::new(OnceLock::new());
    let extra = Arc::new(AtomicU64::new(0));
    let host = KeyMemory {
        server: cell.clone(),
        extra: extra.clone(),
    };
    let srv = Arc::new(Server::new(
        config,
        7,
        Box::new(host),
        Now::from_ms(EPOCH_MS),
    ));
    let _ = cell.set(Arc::downgrade(&srv));
    (srv, extra)
}

fn exists(c: &mut TestClient, key: &str) -> bool {
    c.cmd(&["EXISTS", key]) == ":1\r\n"
}

fn info_field(c: &mut TestClient, field: &str) -> String {
    let info = c.cmd(&["INFO", "stats"]);
    let prefix = format!("{field}:");
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn noeviction_refuses_denyoom_commands_only() {
    let srv = server(3, "noeviction", "5");
    let mut c = TestClient::new(&srv);
    for k in ["a", "b", "c", "d"] {
        assert_eq!(c.cmd(&["SET", k, "v"]), "+OK\r\n");
    }
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    assert_eq!(c.cmd(&["SET", "e", "v"]), oom);
    assert_eq!(c.cmd(&["APPEND", "a", "x"]), oom);
    // Reads and deletions still run.
    assert_eq!(c.cmd(&["GET", "a"]), "$1\r\nv\r\n");
    assert_eq!(c.cmd(&["DEL", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["SET", "e", "v"]), "+OK\r\n");
    assert_eq!(info_field(&mut c, "evicted_keys"), "0");
    let errors = c.cmd(&["INFO", "errorstats"]);
    assert!(errors.contains("errorstat_OOM:count=2"), "{errors}");
}

#[test]
fn allkeys_lru_evicts_the_idle_keys() {
    let srv = server(10, "allkeys-lru", "64");
    let mut c = TestClient::new(&srv);
    for i in 0..10 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    c.advance_ms(10_000);
    for i in 5..10 {
        c.cmd(&["GET", &format!("k{i}")]);
    }
    c.advance_ms(1_000);
    for i in 10..13 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), "+OK\r\n");
    }
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["DBSIZE"]), ":10\r\n");
    for i in 5..13 {
        assert!(exists(&mut c, &format!("k{i}")), "k{i} was recently used");
    }
    assert_eq!(info_field(&mut c, "evicted_keys"), "3");
}

#[test]
fn allkeys_lfu_evicts_the_rarely_used_keys() {
    let srv = server(6, "allkeys-lfu", "64");
    let mut c = TestClient::new(&srv);
    for i in 0..6 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    for _ in 0..100 {
        for i in 0..4 {
            c.cmd(&["GET", &format!("k{i}")]);
        }
    }
    c.cmd(&["SET", "n1", "v"]);
    c.cmd(&["SET", "n2", "v"]);
    c.cmd(&["PING"]);
    for i in 0..4 {
        assert!(exists(&mut c, &format!("k{i}")), "k{i} is used often");
    }
    assert_eq!(c.cmd(&["DBSIZE"]), ":6\r\n");
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let srv = server(6, policy, "5");
        let mut c = TestClient::new(&srv);
        for i in 0..4 {
            c.cmd(&["SET", &format!("p{i}"), "v"]);
        }
        for i in 0..3 {
            c.cmd(&["SETEX", &format!("t{i}"), "1000", "v"]);
        }
        // One over: a volatile key goes.
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["DBSIZE"]), ":6\r\n", "{policy}");
        for i in 0..4 {
            assert!(
                exists(&mut c, &format!("p{i}")),
                "{policy}: p{i} has no TTL"
            );
        }
        // Only persistent keys over the limit: nothing to evict, writes refused.
        c.cmd(&["SET", "p4", "v"]);
        c.cmd(&["SET", "p5", "v"]);
        c.cmd(&["SET", "p6", "v"]);
        let reply = c.cmd(&["SET", "p7", "v"]);
        assert!(reply.starts_with("-OOM "), "{policy}: {reply}");
        for i in 0..7 {
            assert!(
                exists(&mut c, &format!("p{i}")),
                "{policy}: p{i} has no TTL"
            );
        }
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let srv = server(4, "volatile-ttl", "64");
    let mut c = TestClient::new(&srv);
    for (k, ttl) in [("a", "500"), ("b", "100"), ("c", "900"), ("d", "300")] {
        c.cmd(&["SETEX", k, ttl, "v"]);
    }
    c.cmd(&["SET", "e", "v"]);
    c.cmd(&["SET", "f", "v"]);
    c.cmd(&["PING"]);
    assert!(!exists(&mut c, "b") && !exists(&mut c, "d"));
    assert!(exists(&mut c, "a") && exists(&mut c, "c"));
}

#[test]
fn evictions_are_notified_and_counted() {
    let srv = server(2, "allkeys-random", "5");
    let mut c = TestClient::new(&srv);
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    let mut sub = TestClient::new(&srv);
    sub.cmd(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    for k in ["a", "b", "c", "d"] {
        c.cmd(&["SET", k, "v"]);
    }
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["DBSIZE"]), ":2\r\n");
    assert_eq!(info_field(&mut c, "evicted_keys"), "2");
    let pushed = sub.poll();
    assert_eq!(
        pushed.matches("__keyevent@0__:evicted").count(),
        2,
        "{pushed}"
    );
    c.cmd(&["CONFIG", "RESETSTAT"]);
    assert_eq!(info_field(&mut c, "evicted_keys"), "0");
}

#[test]
fn a_transaction_over_the_limit_is_refused() {
    let srv = server(1, "noeviction", "5");
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "a", "v"]);
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    c.cmd(&["SET", "b", "v"]);
    // Queued while under the limit: this one took the memory over it.
    c.cmd(&["DEL", "zzz"]);
    assert_eq!(c.cmd(&["EXEC"]), "*2\r\n+OK\r\n:0\r\n");
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    // Over the limit now: anything queued is refused, and EXEC aborts.
    assert!(c.cmd(&["GET", "a"]).starts_with("-OOM "));
    assert!(c.cmd(&["EXEC"]).starts_with("-EXECABORT "));
}

#[test]
fn scripts_follow_the_oom_state_at_their_start() {
    let srv = server(1, "noeviction", "5");
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "x", "123"]);
    c.cmd(&["SET", "y", "1"]);
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.";
    let write = c.cmd(&["EVAL", "redis.call('set','x',1) return 1", "1", "x"]);
    assert!(write.starts_with(oom), "{write}");
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('get','x')", "1", "x"]),
        "$3\r\n123\r\n"
    );
    let flagged = c.cmd(&["EVAL", "#!lua flags=\nreturn 1", "1", "x"]);
    assert!(flagged.starts_with("-OOM "), "{flagged}");
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "#!lua flags=allow-oom\nredis.call('set','x',1)\nreturn 1",
            "1",
            "x"
        ]),
        ":1\r\n"
    );
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get','x')",
            "1",
            "x"
        ]),
        "$1\r\n1\r\n"
    );
}

#[test]
fn under_the_limit_nothing_is_evicted() {
    let srv = server(100, "allkeys-lru", "5");
    let mut c = TestClient::new(&srv);
    for i in 0..50 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.cmd(&["DBSIZE"]), ":50\r\n");
    assert_eq!(info_field(&mut c, "evicted_keys"), "0");
    assert_eq!(info_field(&mut c, "current_eviction_exceeded_time"), "0");
}

#[test]
fn clients_over_maxmemory_clients_are_evicted_biggest_first() {
    let srv = crate::testkit::server();
    let mut admin = TestClient::new(&srv);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "maxmemory-clients", "200kb"]),
        "+OK\r\n"
    );
    admin.cmd(&["CLIENT", "NO-EVICT", "on"]);
    let mut small = TestClient::new(&srv);
    let mut big = TestClient::new(&srv);
    let mut exempt = TestClient::new(&srv);
    exempt.cmd(&["CLIENT", "NO-EVICT", "on"]);
    // Unfinished commands: their arguments sit in the query buffers.
    small.raw(b"*2\r\n$250000\r\n");
    small.raw(&[b'x'; 20_000]);
    big.raw(b"*2\r\n$300000\r\n");
    big.raw(&[b'x'; 150_000]);
    exempt.raw(b"*2\r\n$60000\r\n");
    exempt.raw(&[b'x'; 20_000]);
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
    let killed = |c: &TestClient| {
        c.session
            .handle()
            .killed
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let list = admin.cmd(&["CLIENT", "LIST"]);
    assert!(killed(&big), "the biggest evictable client goes: {list}");
    assert!(!killed(&small) && !killed(&exempt));
    assert_eq!(info_field(&mut admin, "evicted_clients"), "1");
    // Client eviction off: nothing more goes, though the clients now hold over 200kb.
    admin.cmd(&["CONFIG", "SET", "maxmemory-clients", "0"]);
    small.raw(&[b'x'; 150_000]);
    exempt.cmd(&["CLIENT", "NO-EVICT", "off"]);
    admin.cmd(&["PING"]);
    assert!(!killed(&small));
}

#[test]
fn keys_written_after_the_keyspace_emptied_are_found() {
    let (srv, extra) = server_with_extra(2, "allkeys-lru", "5");
    let mut c = TestClient::new(&srv);
    // Over the limit with no key at all: every command finds nothing to evict.
    extra.store(10 * unit(), Ordering::Relaxed);
    assert!(c.cmd(&["SET", "a", "v"]).starts_with("-OOM "));
    assert!(c.cmd(&["SET", "a", "v"]).starts_with("-OOM "));
    // Room again: keys are written...
    extra.store(0, Ordering::Relaxed);
    c.cmd(&["MSET", "x", "1", "y", "2", "z", "3"]);
    // ...and found when the limit is crossed again.
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["DBSIZE"]), ":2\r\n");
}
