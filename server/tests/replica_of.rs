//! lode as a replica (REPLICAOF): of a redis-server 7.0 primary (skipped when redis-server is
//! not installed) and of another lode. Full sync of every type, the live stream, a broken link
//! resumed with a partial resync, DEBUG DIGEST equal on both sides, the read-only replica, and
//! REPLICAOF NO ONE.

use std::path::Path;
use std::time::Duration;

mod common;
use common::*;

/// For lode primaries: a diskless sync starts at once instead of after Redis's default 5 s
/// wait for more replicas.
const QUICK: &[&str] = &["--repl-diskless-sync-delay", "0"];

/// Keys of every type, in two databases, some with a TTL, some big enough for the non-compact
/// encodings.
fn fill(p: &Proc, tag: &str) {
    let k = |n: &str| format!("{tag}:{n}");
    let big: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let big: Vec<&str> = big.iter().map(String::as_str).collect();
    assert_eq!(p.cli(&["SET", &k("s"), "v"]), "OK");
    assert_eq!(p.cli(&["SET", &k("n"), "42", "EX", "5000"]), "OK");
    p.cli(&["RPUSH", &k("l"), "a", "b", "c"]);
    p.cli(&[&["RPUSH", &k("bigl")][..], &big].concat());
    p.cli(&["HSET", &k("h"), "f", "v", "g", "w"]);
    p.cli(&["SADD", &k("set"), "1", "2", "3"]);
    p.cli(&[&["SADD", &k("bigset")][..], &big].concat());
    p.cli(&["ZADD", &k("z"), "1", "a", "2.5", "b"]);
    p.cli(&["XADD", &k("x"), "1-1", "f", "v"]);
    p.cli(&["PFADD", &k("hll"), "a", "b", "c"]);
    p.cli(&["-n", "2", "SET", &k("db2"), "x"]);
    p.cli(&["-n", "2", "HSET", &k("db2h"), "a", "1"]);
}

fn digests_equal(a: &Proc, b: &Proc) -> bool {
    let da = a.cli(&["DEBUG", "DIGEST"]);
    da.len() == 40 && da == b.cli(&["DEBUG", "DIGEST"])
}

/// Follows `primary` from `replica` (a lode) and checks every step of the issue.
fn follow_and_check(primary: &Proc, replica: &Proc) {
    fill(primary, "before");
    let port = primary.port.to_string();
    assert_eq!(replica.cli(&["SET", "stale", "1"]), "OK");
    assert_eq!(replica.cli(&["REPLICAOF", "127.0.0.1", &port]), "OK");
    assert_eq!(
        replica.cli(&["SLAVEOF", "127.0.0.1", &port]),
        "OK Already connected to specified master"
    );
    // Full sync (the old dataset flushed), then the live stream.
    eventually("the full sync", || digests_equal(primary, replica));
    assert_eq!(replica.cli(&["EXISTS", "stale"]), "0");
    fill(primary, "live");
    assert_eq!(primary.cli(&["INCR", "counter"]), "1");
    assert_eq!(primary.cli(&["-n", "3", "LPUSH", "l3", "a"]), "1");
    primary.cli(&[
        "EVAL",
        "redis.call('set', KEYS[1], 'lua') return 1",
        "1",
        "fromlua",
    ]);
    primary.cli(&["DEL", "before:s"]);
    eventually("the live stream", || digests_equal(primary, replica));
    assert_eq!(replica.cli(&["GET", "live:s"]), "v");
    // The primary sees the replica's ACKs.
    eventually("the ACK offset", || {
        primary
            .cli(&["INFO", "replication"])
            .contains("state=online")
    });
    // A read-only replica.
    assert_eq!(
        replica.cli(&["SET", "k", "v"]),
        "READONLY You can't write against a read only replica."
    );
    let eval = replica.cli(&["EVAL", "return redis.call('set', 'k', 'v')", "0"]);
    assert!(eval.contains("READONLY"), "{eval}");
    // A broken link: a partial resync continues the stream.
    primary.cli(&["CLIENT", "KILL", "TYPE", "replica"]);
    assert_eq!(primary.cli(&["SET", "after-the-break", "1"]), "OK");
    eventually("the resync", || digests_equal(primary, replica));
    // Promoted: writes succeed and the dataset stays.
    assert_eq!(replica.cli(&["REPLICAOF", "NO", "ONE"]), "OK");
    assert_eq!(replica.cli(&["SET", "k", "v"]), "OK");
    assert_eq!(replica.cli(&["GET", "after-the-break"]), "1");
}

#[test]
fn lode_follows_a_redis_primary() {
    let Some(redis) = redis_server().filter(|_| installed("redis-cli").is_some()) else {
        eprintln!("redis-server or redis-cli not installed: skipped");
        return;
    };
    let (dp, dr) = (temp_dir(), temp_dir());
    let primary = Proc::start(&redis, &dp, &["--repl-diskless-sync-delay", "0"]);
    let replica = Proc::start(Path::new(BIN), &dr, &[]);
    follow_and_check(&primary, &replica);
    let log = std::fs::read_to_string(dr.join("stdout.log")).unwrap_or_default();
    assert!(
        log.contains("Master accepted a Partial Resynchronization"),
        "{log}"
    );
    drop(replica);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dp);
    let _ = std::fs::remove_dir_all(&dr);
}

#[test]
fn lode_follows_a_lode_primary() {
    if !have("redis-cli") {
        return;
    }
    let (dp, dr) = (temp_dir(), temp_dir());
    let primary = Proc::start(Path::new(BIN), &dp, QUICK);
    let replica = Proc::start(Path::new(BIN), &dr, &[]);
    follow_and_check(&primary, &replica);
    drop(replica);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dp);
    let _ = std::fs::remove_dir_all(&dr);
}

#[test]
fn replicaof_at_startup_follows_the_primary() {
    let Some(redis) = redis_server().filter(|_| installed("redis-cli").is_some()) else {
        eprintln!("redis-server or redis-cli not installed: skipped");
        return;
    };
    let (dp, dr) = (temp_dir(), temp_dir());
    let primary = Proc::start(&redis, &dp, &["--repl-diskless-sync-delay", "0"]);
    fill(&primary, "x");
    let port = primary.port.to_string();
    let replica = Proc::start(Path::new(BIN), &dr, &["--replicaof", "127.0.0.1", &port]);
    eventually("the full sync", || digests_equal(&primary, &replica));
    drop(replica);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dp);
    let _ = std::fs::remove_dir_all(&dr);
}

#[test]
fn a_replica_hides_expired_keys_until_the_primary_deletes_them() {
    let Some(redis) = redis_server().filter(|_| installed("redis-cli").is_some()) else {
        eprintln!("redis-server or redis-cli not installed: skipped");
        return;
    };
    let (dp, dr) = (temp_dir(), temp_dir());
    let primary = Proc::start(&redis, &dp, &["--repl-diskless-sync-delay", "0"]);
    let replica = Proc::start(Path::new(BIN), &dr, &[]);
    assert_eq!(primary.cli(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "OK");
    let port = primary.port.to_string();
    assert_eq!(replica.cli(&["REPLICAOF", "127.0.0.1", &port]), "OK");
    assert_eq!(primary.cli(&["SET", "k", "v", "PX", "300"]), "OK");
    assert_eq!(primary.cli(&["SET", "keep", "v"]), "OK");
    eventually("the sync", || replica.cli(&["GET", "keep"]) == "v");
    std::thread::sleep(Duration::from_millis(400));
    // Logically expired: hidden from reads, but still there, since the primary has not
    // deleted it.
    assert_eq!(replica.cli(&["GET", "k"]), "");
    assert_eq!(replica.cli(&["EXISTS", "k"]), "0");
    assert_eq!(replica.cli(&["DBSIZE"]), "2");
    // The primary's lazy expiry propagates the DEL.
    assert_eq!(primary.cli(&["GET", "k"]), "");
    eventually("the DEL", || replica.cli(&["DBSIZE"]) == "1");
    assert!(digests_equal(&primary, &replica));
    drop(replica);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dp);
    let _ = std::fs::remove_dir_all(&dr);
}

#[test]
fn a_chain_of_three_lodes() {
    if !have("redis-cli") {
        return;
    }
    let dirs = [temp_dir(), temp_dir(), temp_dir()];
    let a = Proc::start(Path::new(BIN), &dirs[0], QUICK);
    fill(&a, "before");
    let a_port = a.port.to_string();
    // C follows B first; then B follows A: B's full sync replaces its dataset, disconnects
    // C, and C syncs again from B.
    let b = Proc::start(Path::new(BIN), &dirs[1], QUICK);
    assert_eq!(b.cli(&["SET", "only-on-b", "1"]), "OK");
    let b_port = b.port.to_string();
    let c = Proc::start(
        Path::new(BIN),
        &dirs[2],
        &["--replicaof", "127.0.0.1", &b_port],
    );
    eventually("C following B", || c.cli(&["GET", "only-on-b"]) == "1");
    assert_eq!(b.cli(&["REPLICAOF", "127.0.0.1", &a_port]), "OK");
    eventually("B's full sync", || digests_equal(&a, &b));
    eventually("C's full sync", || digests_equal(&a, &c));
    fill(&a, "live");
    assert_eq!(a.cli(&["INCR", "counter"]), "1");
    eventually("the stream through B to C", || digests_equal(&a, &c));
    assert!(digests_equal(&a, &b));
    drop(c);
    drop(b);
    drop(a);
    for d in dirs {
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn killing_the_master_client_resumes_with_a_partial_resync() {
    if !have("redis-cli") {
        return;
    }
    let (da, db) = (temp_dir(), temp_dir());
    let a = Proc::start(Path::new(BIN), &da, QUICK);
    let port = a.port.to_string();
    let b = Proc::start(Path::new(BIN), &db, &["--replicaof", "127.0.0.1", &port]);
    fill(&a, "before");
    eventually("the sync", || digests_equal(&a, &b));
    let list = b.cli(&["CLIENT", "LIST", "TYPE", "master"]);
    assert!(
        list.contains("flags=M") && list.contains(&format!("addr=127.0.0.1:{port}")),
        "{list}"
    );
    assert_eq!(b.cli(&["CLIENT", "KILL", "TYPE", "normal"]), "0");
    assert_eq!(b.cli(&["CLIENT", "KILL", "TYPE", "master"]), "1");
    fill(&a, "while-down");
    eventually("the partial resync", || {
        a.cli(&["INFO", "stats"]).contains("sync_partial_ok:1")
    });
    eventually("the stream after it", || digests_equal(&a, &b));
    assert!(a.cli(&["INFO", "stats"]).contains("sync_full:1"));
    drop(b);
    drop(a);
    let _ = std::fs::remove_dir_all(&da);
    let _ = std::fs::remove_dir_all(&db);
}

#[test]
fn restarts_continue_with_psync_from_the_rdb_files_history() {
    if !have("redis-cli") {
        return;
    }
    let (da, db) = (temp_dir(), temp_dir());
    let save = ["--save", "3600 1", "--repl-diskless-sync-delay", "0"];
    let a = Proc::start(Path::new(BIN), &da, &save);
    let a_port = a.port;
    let port = a_port.to_string();
    let follow = ["--save", "3600 1", "--replicaof", "127.0.0.1", &port];
    let b = Proc::start(Path::new(BIN), &db, &follow);
    let b_port = b.port;
    fill(&a, "before");
    eventually("the sync", || digests_equal(&a, &b));
    // A key that expires before the restart, never deleted (active expiry off): the file
    // keeps it, the restarted primary drops it and tells the replica.
    assert_eq!(a.cli(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "OK");
    assert_eq!(a.cli(&["SET", "short", "1", "PX", "1"]), "OK");
    eventually("the replica at the primary's offset", || {
        let off = a.info_field("replication", "master_repl_offset");
        b.info_field("replication", "master_repl_offset") == off
    });
    let old_id = a.info_field("replication", "master_replid");
    let offset = a.info_field("replication", "master_repl_offset");
    // The primary restarts from its RDB file: a new id, the old one as replid2 up to the
    // offset it reached, and the replica continues.
    a.shutdown("SAVE");
    let a = Proc::start_on(Path::new(BIN), &da, a_port, &save);
    assert_eq!(a.info_field("replication", "master_replid2"), old_id);
    assert_eq!(
        a.info_field("persistence", "rdb_last_load_keys_expired"),
        "1"
    );
    // The backlog starts after the old offset and holds the DEL of the expired key.
    let num = |field: &str| -> u64 { a.info_field("replication", field).parse().unwrap_or(0) };
    let offset: u64 = offset.parse().unwrap_or(0);
    assert_eq!(num("repl_backlog_first_byte_offset"), offset + 1);
    assert!(num("master_repl_offset") > offset);
    eventually("the replica's partial resync", || {
        a.info_field("stats", "sync_partial_ok") == "1"
    });
    assert_eq!(a.info_field("stats", "sync_full"), "0");
    eventually("the expired key gone from the replica", || {
        b.cli(&["DBSIZE"]) == a.cli(&["DBSIZE"])
    });
    fill(&a, "after-primary");
    eventually("the stream after the restart", || digests_equal(&a, &b));
    // The replica restarts from its own file and continues too.
    b.shutdown("SAVE");
    let b = Proc::start_on(Path::new(BIN), &db, b_port, &follow);
    eventually("the restarted replica's partial resync", || {
        a.info_field("stats", "sync_partial_ok") == "2"
    });
    assert_eq!(a.info_field("stats", "sync_full"), "0");
    fill(&a, "after-replica");
    eventually("the stream after both restarts", || digests_equal(&a, &b));
    drop(b);
    drop(a);
    let _ = std::fs::remove_dir_all(&da);
    let _ = std::fs::remove_dir_all(&db);
}

#[test]
fn a_replicas_aof_holds_the_synced_dataset_and_the_streams_database() {
    if !have("redis-cli") {
        return;
    }
    let (da, db) = (temp_dir(), temp_dir());
    let a = Proc::start(Path::new(BIN), &da, &["--repl-diskless-sync-delay", "0"]);
    assert_eq!(a.cli(&["-n", "2", "SET", "before-sync", "1"]), "OK");
    let port = a.port.to_string();
    let aof = ["--appendonly", "yes"];
    let b = Proc::start(
        Path::new(BIN),
        &db,
        &["--appendonly", "yes", "--replicaof", "127.0.0.1", &port],
    );
    let b_port = b.port;
    // The full sync's dataset reaches the AOF through a rewrite (the first one made the
    // fresh AOF at startup).
    eventually("the rewrite after the full sync", || {
        b.info_field("replication", "master_link_status") == "up"
            && b.info_field("persistence", "aof_rewrites") == "2"
            && b.info_field("persistence", "aof_rewrite_in_progress") == "0"
    });
    // The stream goes on in database 2 without a SELECT where the new incremental file
    // begins: the file starts with one.
    assert_eq!(a.cli(&["-n", "2", "SET", "after-sync", "1"]), "OK");
    eventually("the write on the replica", || {
        b.cli(&["-n", "2", "GET", "after-sync"]) == "1"
    });
    assert_eq!(b.cli(&["REPLICAOF", "NO", "ONE"]), "OK");
    b.shutdown("NOSAVE");
    let b = Proc::start_on(Path::new(BIN), &db, b_port, &aof);
    assert_eq!(b.cli(&["-n", "2", "GET", "before-sync"]), "1");
    assert_eq!(b.cli(&["-n", "2", "GET", "after-sync"]), "1");
    assert_eq!(b.cli(&["DBSIZE"]), "0");
    drop(b);
    drop(a);
    let _ = std::fs::remove_dir_all(&da);
    let _ = std::fs::remove_dir_all(&db);
}
