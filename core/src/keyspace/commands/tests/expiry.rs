//! Expiry under the fake clock: lazy and active reclaim, TTL arithmetic, TTLs carried by
//! RENAME/MOVE/COPY, access times and keyspace statistics.

use std::sync::atomic::Ordering;

use crate::testkit::{server, TestClient, EPOCH_MS};

fn expired(srv: &crate::Server) -> u64 {
    srv.keyspace.expired_keys.load(Ordering::Relaxed)
}

#[test]
fn key_lives_through_its_expiry_millisecond() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["PEXPIRE", "k", "100"]), ":1\r\n");
    c.advance_ms(100);
    // Redis expires a key once now > expire time, not at equality.
    assert_eq!(c.cmd(&["PTTL", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    c.advance_ms(1);
    assert_eq!(c.cmd(&["PTTL", "k"]), ":-2\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n");
    assert_eq!(expired(&srv), 1);
}

#[test]
fn ttl_rounds_to_nearest_second() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["PEXPIRE", "k", "1499"]);
    assert_eq!(c.cmd(&["TTL", "k"]), ":1\r\n");
    c.cmd(&["PEXPIRE", "k", "1500"]);
    assert_eq!(c.cmd(&["TTL", "k"]), ":2\r\n");
    c.cmd(&["PEXPIRE", "k", "499"]);
    assert_eq!(c.cmd(&["TTL", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["PTTL", "k"]), ":499\r\n");
}

#[test]
fn expiretime_reports_absolute_times() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    let at_s = EPOCH_MS / 1000 + 100;
    assert_eq!(c.cmd(&["EXPIREAT", "k", &at_s.to_string()]), ":1\r\n");
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), format!(":{at_s}\r\n"));
    assert_eq!(
        c.cmd(&["PEXPIRETIME", "k"]),
        format!(":{}\r\n", at_s * 1000)
    );
    assert_eq!(c.cmd(&["TTL", "k"]), ":100\r\n");
    let at_ms = EPOCH_MS + 12_345;
    c.cmd(&["PEXPIREAT", "k", &at_ms.to_string()]);
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), format!(":{at_ms}\r\n"));
    // Rounded to the nearest second, like TTL.
    assert_eq!(
        c.cmd(&["EXPIRETIME", "k"]),
        format!(":{}\r\n", (at_ms + 500) / 1000)
    );
    c.cmd(&["EXPIRE", "k", "10"]);
    assert_eq!(
        c.cmd(&["PEXPIRETIME", "k"]),
        format!(":{}\r\n", EPOCH_MS + 10_000)
    );
}

#[test]
fn expire_at_now_deletes_and_counts_no_expiry() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["PEXPIREAT", "k", &EPOCH_MS.to_string()]), ":1\r\n");
    assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n");
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["PEXPIRE", "k", "0"]), ":1\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
    // Deleted by the command, like DEL: not an expiry.
    assert_eq!(expired(&srv), 0);
    c.cmd(&["SET", "k", "v"]);
    let later = (EPOCH_MS + 1).to_string();
    assert_eq!(c.cmd(&["PEXPIREAT", "k", &later]), ":1\r\n");
    assert_eq!(c.cmd(&["EXISTS", "k"]), ":1\r\n");
}

#[test]
fn expired_keys_are_gone_for_every_command() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    for k in ["a", "b", "c", "d", "e", "f", "g"] {
        c.cmd(&["SET", k, "v"]);
        c.cmd(&["PEXPIRE", k, "10"]);
    }
    c.cmd(&["SET", "live", "v"]);
    c.advance_ms(11);
    assert_eq!(c.cmd(&["DEL", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["EXISTS", "b"]), ":0\r\n");
    assert_eq!(c.cmd(&["RENAME", "c", "x"]), "-ERR no such key\r\n");
    assert_eq!(c.cmd(&["COPY", "d", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["MOVE", "e", "1"]), ":0\r\n");
    assert_eq!(c.cmd(&["TYPE", "f"]), "+none\r\n");
    assert_eq!(c.cmd(&["PERSIST", "g"]), ":0\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n");
    assert_eq!(expired(&srv), 7);
    // An expired destination is reclaimed and then written.
    c.cmd(&["SET", "dst", "old"]);
    c.cmd(&["PEXPIRE", "dst", "5"]);
    c.advance_ms(6);
    assert_eq!(c.cmd(&["RENAMENX", "live", "dst"]), ":1\r\n");
    assert_eq!(c.cmd(&["TTL", "dst"]), ":-1\r\n");
}

#[test]
fn ttl_travels_with_rename_move_and_copy() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["PEXPIRE", "k", "12345"]);
    c.cmd(&["RENAME", "k", "r"]);
    assert_eq!(c.cmd(&["PTTL", "r"]), ":12345\r\n");
    c.cmd(&["COPY", "r", "c", "DB", "2"]);
    c.cmd(&["MOVE", "r", "3"]);
    c.cmd(&["SELECT", "2"]);
    assert_eq!(c.cmd(&["PTTL", "c"]), ":12345\r\n");
    c.cmd(&["SELECT", "3"]);
    assert_eq!(c.cmd(&["PTTL", "r"]), ":12345\r\n");
    // Overwriting a volatile key with a persistent one leaves no stale TTL behind.
    c.cmd(&["SET", "p", "v"]);
    c.cmd(&["RENAME", "p", "r"]);
    assert_eq!(c.cmd(&["TTL", "r"]), ":-1\r\n");
    c.advance_ms(20_000);
    assert_eq!(c.cmd(&["GET", "r"]), "$1\r\nv\r\n");
    assert_eq!(srv.keyspace.db_counts(3), (1, 0));
}

#[test]
fn active_expiry_reclaims_through_tick_alone() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    for i in 0..200 {
        let k = format!("k{i}");
        c.cmd(&["SET", &k, "v"]);
        c.cmd(&["PEXPIRE", &k, "100"]);
    }
    c.cmd(&["SET", "later", "v"]);
    c.cmd(&["EXPIRE", "later", "100"]);
    c.cmd(&["SET", "forever", "v"]);
    c.cmd(&["SELECT", "5"]);
    c.cmd(&["SET", "other-db", "v"]);
    c.cmd(&["PEXPIRE", "other-db", "100"]);
    assert_eq!(srv.keyspace.db_size(0), 202);
    c.advance_ms(101);
    srv.tick(c.now);
    // DBSIZE counts keys not yet reclaimed, so this shows the tick did the work.
    assert_eq!(srv.keyspace.db_counts(0), (2, 1));
    assert_eq!(srv.keyspace.db_size(5), 0);
    assert_eq!(expired(&srv), 201);
}

#[test]
fn access_time_follows_redis_touch_rules() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    c.advance_ms(5_000);
    // Introspection does not count as an access.
    for cmd in [
        &["EXISTS", "k"][..],
        &["TYPE", "k"],
        &["TTL", "k"],
        &["PTTL", "k"],
        &["EXPIRETIME", "k"],
        &["OBJECT", "ENCODING", "k"],
        &["SCAN", "0", "TYPE", "string"],
    ] {
        c.cmd(cmd);
    }
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "k"]), ":5\r\n");
    assert_eq!(c.cmd(&["TOUCH", "k"]), ":1\r\n");
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "k"]), ":0\r\n");
    c.advance_ms(3_000);
    c.cmd(&["RENAME", "k", "r"]);
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "r"]), ":0\r\n");
}

#[test]
fn read_lookups_count_hits_and_misses_write_lookups_do_not() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let stats = |srv: &crate::Server| {
        (
            srv.keyspace.keyspace_hits.load(Ordering::Relaxed),
            srv.keyspace.keyspace_misses.load(Ordering::Relaxed),
        )
    };
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["EXISTS", "k", "nope"]);
    c.cmd(&["TYPE", "k"]);
    c.cmd(&["TTL", "nope"]);
    c.cmd(&["OBJECT", "REFCOUNT", "k"]);
    c.cmd(&["TOUCH", "k"]);
    assert_eq!(stats(&srv), (4, 2));
    c.cmd(&["DEL", "nope"]);
    c.cmd(&["EXPIRE", "k", "100"]);
    c.cmd(&["PERSIST", "k"]);
    c.cmd(&["RENAME", "k", "r"]);
    c.cmd(&["MOVE", "r", "1"]);
    assert_eq!(stats(&srv), (4, 2));
}
