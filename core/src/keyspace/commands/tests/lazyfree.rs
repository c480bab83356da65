//! Lazy freeing (`keyspace::lazyfree`): which removals hand their value to the host's
//! background freer, Redis's free-effort rule, and INFO's two counters, with a host that
//! keeps what it is handed until the test frees it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::clock::Now;
use crate::config::Config;
use crate::host::Host;
use crate::keyspace::lazyfree::{free_effort, LAZYFREE_THRESHOLD};
use crate::server::Server;
use crate::sync::Mutex;
use crate::testkit::{TestClient, EPOCH_MS};

/// A host whose background freer is the test: garbage waits until `run`.
#[derive(Clone, Default)]
struct Deferring(Arc<Mutex<Vec<Box<dyn Send>>>>);

impl Deferring {
    /// Jobs handed over and not yet freed.
    fn queued(&self) -> usize {
        self.0.lock().len()
    }

    /// Frees everything handed over so far, as the freer thread would.
    fn run(&self) {
        let jobs = std::mem::take(&mut *self.0.lock());
        drop(jobs);
    }
}

impl Host for Deferring {
    fn free_in_background(&self, garbage: Box<dyn Send>) {
        self.0.lock().push(garbage);
    }
}

fn server(host: &Deferring) -> Arc<Server> {
    Arc::new(Server::new(
        Config::default(),
        1,
        Box::new(host.clone()),
        Now::from_ms(EPOCH_MS),
    ))
}

/// `lazyfree_pending_objects` and `lazyfreed_objects` as INFO memory reports them.
fn counters(c: &mut TestClient) -> (u64, u64) {
    let info = c.cmd(&["INFO", "memory"]);
    let field = |name: &str| -> u64 {
        let at = info.find(&format!("{name}:")).expect(name) + name.len() + 1;
        let rest = &info[at..];
        rest[..rest.find('\r').unwrap_or(rest.len())]
            .parse()
            .unwrap_or(u64::MAX)
    };
    (
        field("lazyfree_pending_objects"),
        field("lazyfreed_objects"),
    )
}

/// Sends `cmd` followed by `args`.
fn send(c: &mut TestClient, cmd: &[&str], args: impl IntoIterator<Item = String>) -> String {
    let args: Vec<String> = args.into_iter().collect();
    let mut all: Vec<&str> = cmd.to_vec();
    all.extend(args.iter().map(String::as_str));
    c.cmd(&all)
}

/// The free effort of the value at `key` of database 0.
fn effort(srv: &Server, key: &str) -> usize {
    let mut db = srv.keyspace.lock_one(0, key.as_bytes(), EPOCH_MS);
    free_effort(&db.get(key.as_bytes()).expect(key).value)
}

/// A set of `n` members in its hash table encoding (strings keep it out of an intset), in
/// place of whatever `key` held.
fn big_set(c: &mut TestClient, key: &str, n: usize) {
    c.cmd(&["DEL", key]);
    send(c, &["SADD", key], (0..n).map(|i| format!("m{i}")));
}

#[test]
fn free_effort_counts_allocations_as_redis_does() {
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(effort(&srv, "str"), 1);
    // Single-allocation encodings count 1, however many elements.
    send(&mut c, &["SADD", "ints"], (0..100).map(|i| i.to_string()));
    send(
        &mut c,
        &["HSET", "small"],
        (0..10).map(|i| format!("f{}", i / 2)),
    );
    send(
        &mut c,
        &["ZADD", "zsmall"],
        (0..20).map(|i| format!("{}", i)),
    );
    for key in ["ints", "small", "zsmall"] {
        assert_eq!(effort(&srv, key), 1, "{key}");
    }
    // Tables count their elements.
    big_set(&mut c, "set", 70);
    assert_eq!(effort(&srv, "set"), 70);
    send(
        &mut c,
        &["HSET", "hash"],
        (0..1200).map(|i| format!("f{i}")),
    );
    assert_eq!(effort(&srv, "hash"), 600);
    send(
        &mut c,
        &["ZADD", "zset"],
        (0..300).map(|i| {
            if i % 2 == 0 {
                format!("{i}")
            } else {
                format!("m{i}")
            }
        }),
    );
    assert_eq!(effort(&srv, "zset"), 150);
    // Lists count their chunks (quicklist nodes): 8 KB each by default.
    c.cmd(&["RPUSH", "list", "a", "b", "c"]);
    assert_eq!(effort(&srv, "list"), 1);
    let long = "x".repeat(1000);
    send(
        &mut c,
        &["RPUSH", "biglist"],
        (0..800).map(|_| long.clone()),
    );
    assert!(effort(&srv, "biglist") > LAZYFREE_THRESHOLD);
    // Streams: radix tree nodes, plus groups × (1 + the first group's PEL).
    c.cmd(&["XADD", "s", "1-1", "a", "b"]);
    let tree = effort(&srv, "s");
    assert_eq!(tree, 2, "the root and one key");
    c.cmd(&["XGROUP", "CREATE", "s", "g1", "0"]);
    c.cmd(&["XGROUP", "CREATE", "s", "g2", "0"]);
    c.cmd(&["XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "s", ">"]);
    assert_eq!(effort(&srv, "s"), tree + 2 * (1 + 1));
    c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "5"]);
    for i in 2..400 {
        c.cmd(&["XADD", "long", &format!("1-{i}"), "f", "v"]);
    }
    assert!(effort(&srv, "long") > LAZYFREE_THRESHOLD);
}

#[test]
fn unlink_defers_only_heavy_values() {
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    big_set(&mut c, "big", LAZYFREE_THRESHOLD + 1);
    big_set(&mut c, "edge", LAZYFREE_THRESHOLD);
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(c.cmd(&["UNLINK", "big", "edge", "str", "nokey"]), ":3\r\n");
    assert_eq!(c.cmd(&["EXISTS", "big", "edge", "str"]), ":0\r\n");
    // Only the set over the threshold went to the freer.
    assert_eq!(host.queued(), 1);
    assert_eq!(counters(&mut c), (1, 0));
    host.run();
    assert_eq!(counters(&mut c), (0, 1));
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    assert_eq!(counters(&mut c), (0, 0));
}

#[test]
fn del_is_lazy_only_under_lazy_user_del() {
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    big_set(&mut c, "a", 100);
    assert_eq!(c.cmd(&["DEL", "a"]), ":1\r\n");
    assert_eq!(host.queued(), 0);
    c.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]);
    big_set(&mut c, "a", 100);
    assert_eq!(c.cmd(&["DEL", "a"]), ":1\r\n");
    assert_eq!(host.queued(), 1);
    host.run();
    assert_eq!(counters(&mut c), (0, 1));
}

#[test]
fn flush_async_hands_whole_tables_over_counted_by_keys() {
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    for i in 0..10 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    c.cmd(&["SELECT", "3"]);
    big_set(&mut c, "s", 100);
    c.cmd(&["SET", "x", "1"]);
    // FLUSHDB ASYNC empties only database 3: its 2 keys, whatever their size.
    assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
    assert_eq!(counters(&mut c), (2, 0));
    host.run();
    assert_eq!(counters(&mut c), (0, 2));
    // The emptied database works as a new one.
    c.cmd(&["SET", "x", "2"]);
    assert_eq!(c.cmd(&["GET", "x"]), "$1\r\n2\r\n");
    // A synchronous flush frees in place, counting nothing.
    assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), "+OK\r\n");
    assert_eq!(host.queued(), 0);
    for i in 0..5 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    c.cmd(&["SELECT", "0"]);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
    assert_eq!(counters(&mut c), (6, 2));
    host.run();
    assert_eq!(counters(&mut c), (0, 8));
    // Without SYNC or ASYNC, lazyfree-lazy-user-flush decides.
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(host.queued(), 0);
    c.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"]);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["FLUSHDB"]), "+OK\r\n");
    assert_eq!(counters(&mut c), (1, 8));
    host.run();
    assert_eq!(counters(&mut c), (0, 9));
}

#[test]
fn server_del_frees_overwritten_and_replaced_values_lazily() {
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    // Off by default: an overwrite frees in place.
    big_set(&mut c, "k", 100);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(host.queued(), 0);
    c.cmd(&["CONFIG", "SET", "lazyfree-lazy-server-del", "yes"]);
    let mut lazy = 0;
    let mut freed_lazily = |what: &str| {
        lazy += 1;
        assert_eq!(host.queued(), lazy, "{what}");
    };
    big_set(&mut c, "k", 100);
    c.cmd(&["SET", "k", "v", "EX", "100"]);
    freed_lazily("SET");
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    big_set(&mut c, "k", 100);
    c.cmd(&["MSET", "k", "v"]);
    freed_lazily("MSET");
    big_set(&mut c, "k", 100);
    big_set(&mut c, "src", 3);
    c.cmd(&["RENAME", "src", "k"]);
    freed_lazily("RENAME");
    assert_eq!(c.cmd(&["SCARD", "k"]), ":3\r\n");
    big_set(&mut c, "k", 100);
    c.cmd(&["SET", "src", "v"]);
    c.cmd(&["COPY", "src", "k", "REPLACE"]);
    freed_lazily("COPY REPLACE");
    // An empty *STORE result deletes the destination; another replaces it.
    big_set(&mut c, "k", 100);
    c.cmd(&["SINTERSTORE", "k", "nokey"]);
    freed_lazily("empty SINTERSTORE");
    big_set(&mut c, "k", 100);
    big_set(&mut c, "src2", 3);
    c.cmd(&["SUNIONSTORE", "k", "src2"]);
    freed_lazily("SUNIONSTORE");
    // SUNION's own result is freed as a deleted value is.
    big_set(&mut c, "u", 100);
    send(&mut c, &["SUNION", "u"], []);
    freed_lazily("SUNION's result");
    // A small value is always freed in place, and a user's DEL is no server delete.
    c.cmd(&["SET", "k", "w"]);
    assert_eq!(c.cmd(&["DEL", "u"]), ":1\r\n");
    assert_eq!(host.queued(), 7);
    host.run();
    assert_eq!(counters(&mut c), (0, 7));
}

#[test]
fn lazy_expire_frees_expired_values_in_the_background() {
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    c.cmd(&["CONFIG", "SET", "lazyfree-lazy-expire", "yes"]);
    let active = |on: bool| srv.active_expire_enabled.store(on, Ordering::Relaxed);
    active(false);
    for key in ["a", "b", "c"] {
        big_set(&mut c, key, 100);
        c.cmd(&["PEXPIRE", key, "10"]);
    }
    c.cmd(&["SET", "small", "v", "PX", "10"]);
    c.advance_ms(20);
    // Lazy expiry on a read, on a write, and by the active cycle.
    assert_eq!(c.cmd(&["SCARD", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["SADD", "b", "x"]), ":1\r\n");
    assert_eq!(c.cmd(&["GET", "small"]), "$-1\r\n");
    assert_eq!(host.queued(), 2);
    active(true);
    srv.tick(Now::from_ms(EPOCH_MS + 20));
    assert_eq!(host.queued(), 3);
    assert_eq!(c.cmd(&["EXISTS", "c"]), ":0\r\n");
    // EXPIRE with a time already past deletes as an expiry does.
    big_set(&mut c, "d", 100);
    assert_eq!(c.cmd(&["EXPIRE", "d", "-1"]), ":1\r\n");
    assert_eq!(host.queued(), 4);
    host.run();
    assert_eq!(counters(&mut c), (0, 4));
}

#[test]
fn a_stream_with_groups_is_lazily_freed_and_a_tiny_one_is_not() {
    // Redis's unit/lazyfree: "lazy free a stream with all types of metadata" and "with deleted
    // cgroup".
    let host = Deferring::default();
    let srv = server(&host);
    let mut c = TestClient::new(&srv);
    c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "5"]);
    for i in 1..=1000 {
        let field = if i % 10 == 0 { "bar" } else { "foo" };
        c.cmd(&["XADD", "stream", "*", field, &i.to_string()]);
    }
    c.cmd(&["XGROUP", "CREATE", "stream", "mygroup", "0"]);
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "mygroup",
        "Alice",
        "COUNT",
        "2",
        "STREAMS",
        "stream",
        ">",
    ]);
    assert_eq!(c.cmd(&["UNLINK", "stream"]), ":1\r\n");
    host.run();
    assert_eq!(counters(&mut c), (0, 1));
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["XADD", "s", "*", "a", "b"]);
    c.cmd(&["XGROUP", "CREATE", "s", "bla", "$"]);
    c.cmd(&["XGROUP", "DESTROY", "s", "bla"]);
    assert_eq!(c.cmd(&["UNLINK", "s"]), ":1\r\n");
    assert_eq!(host.queued(), 0);
    assert_eq!(counters(&mut c), (0, 0));
}
