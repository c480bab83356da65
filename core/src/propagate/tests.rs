//! The propagated forms of commands, as a replica or the AOF receives them.

use bytes::{Bytes, BytesMut};

use crate::resp::decoder::{DecodeLimits, RequestDecoder};
use crate::testkit::{server, TestClient, EPOCH_MS};

/// The commands appended since `reader` last read, one line each, arguments space-separated.
fn streamed(srv: &crate::server::Server, reader: &mut super::LogReader) -> Vec<String> {
    let mut buf = BytesMut::new();
    for c in srv.keyspace.log.read(reader).unwrap_or_default() {
        buf.extend_from_slice(&c);
    }
    let mut decoder = RequestDecoder::new();
    let mut args: Vec<Bytes> = Vec::new();
    let limits = DecodeLimits {
        proto_max_bulk_len: u64::MAX,
        query_buffer_limit: usize::MAX,
    };
    let mut out = Vec::new();
    while let Ok(true) = decoder.decode(&mut buf, &limits, &mut args) {
        let words: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        out.push(words.join(" "));
    }
    out
}

#[test]
fn time_relative_and_random_forms_are_rewritten() {
    let srv = server();
    let mut r = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    let at = |ms: u64| (EPOCH_MS + ms).to_string();
    c.cmd(&["SET", "k", "v", "EX", "10"]);
    c.cmd(&["SETEX", "s", "5", "v"]);
    c.cmd(&["EXPIRE", "k", "100"]);
    c.cmd(&["EXPIRE", "missing", "100"]);
    c.cmd(&["GETEX", "k", "PX", "7"]);
    c.cmd(&["GETEX", "k"]);
    c.cmd(&["INCRBYFLOAT", "f", "1.5"]);
    c.cmd(&["HINCRBYFLOAT", "h", "x", "2.5"]);
    c.cmd(&["SADD", "set", "m"]);
    assert_eq!(c.cmd(&["SPOP", "set"]), "$1\r\nm\r\n");
    c.cmd(&["EXPIRE", "f", "-1"]);
    assert_eq!(
        streamed(&srv, &mut r),
        [
            "SELECT 0".to_string(),
            format!("SET k v PXAT {}", at(10_000)),
            format!("SET s v PXAT {}", at(5_000)),
            format!("PEXPIREAT k {}", at(100_000)),
            format!("PEXPIREAT k {}", at(7)),
            "SET f 1.5 KEEPTTL".into(),
            "HSET h x 2.5".into(),
            "SADD set m".into(),
            "SREM set m".into(),
            "DEL f".into(),
        ]
    );
}

#[test]
fn no_op_writes_and_failures_propagate_nothing() {
    let srv = server();
    let mut r = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["SET", "k", "w", "NX"]);
    c.cmd(&["SET", "nokey", "w", "XX"]);
    c.cmd(&["DEL", "nokey"]);
    c.cmd(&["PERSIST", "k"]);
    c.cmd(&["SADD", "s", "m"]);
    c.cmd(&["SADD", "s", "m"]);
    c.cmd(&["SREM", "s", "x"]);
    c.cmd(&["HDEL", "h", "f"]);
    c.cmd(&["LPUSHX", "l", "v"]);
    c.cmd(&["ZREM", "z", "m"]);
    c.cmd(&["INCR", "k"]);
    c.cmd(&["GET", "k"]);
    assert_eq!(streamed(&srv, &mut r), ["SELECT 0", "SET k v", "SADD s m"]);
}

#[test]
fn transactions_are_wrapped_only_when_they_propagate_several_commands() {
    let srv = server();
    let mut r = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    for cmd in [
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["GET", "a"],
        &["EXEC"],
        &["MULTI"],
        &["GET", "a"],
        &["DEL", "nokey"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "a", "2"],
        &["SELECT", "3"],
        &["SET", "b", "3"],
        &["EXEC"],
    ] {
        c.cmd(cmd);
    }
    assert_eq!(
        streamed(&srv, &mut r),
        ["SELECT 0", "SET a 1", "MULTI", "SET a 2", "SELECT 3", "SET b 3", "EXEC"]
    );
}

#[test]
fn expiry_and_served_blocking_pops_propagate_their_effect() {
    let srv = server();
    let mut r = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    let mut waiter = TestClient::new(&srv);
    c.cmd(&["SET", "e", "v", "PX", "10"]);
    c.advance_ms(20);
    assert_eq!(c.cmd(&["GET", "e"]), "$-1\r\n");
    assert_eq!(waiter.cmd(&["BLPOP", "q", "0"]), "");
    c.cmd(&["RPUSH", "q", "x"]);
    assert_eq!(waiter.poll(), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    c.cmd(&["RPUSH", "q2", "y"]);
    c.cmd(&["BLMOVE", "q2", "q3", "RIGHT", "LEFT", "0"]);
    assert_eq!(
        streamed(&srv, &mut r),
        [
            "SELECT 0".to_string(),
            format!("SET e v PXAT {}", EPOCH_MS + 10),
            "DEL e".into(),
            "RPUSH q x".into(),
            "LPOP q".into(),
            "RPUSH q2 y".into(),
            "LMOVE q2 q3 RIGHT LEFT".into(),
        ]
    );
    assert_eq!(srv.keyspace.log.offset(), r.offset());
}

#[test]
fn lazyfree_options_propagate_deletes_as_unlink() {
    // Redis rewrites GETDEL under lazyfree-lazy-user-del, and EXPIRE or GETEX with a time
    // already past under lazyfree-lazy-expire, to UNLINK; DEL stays DEL.
    let srv = server();
    let mut r = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    let deletes = |c: &mut TestClient| {
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["GETDEL", "a"]);
        c.cmd(&["SET", "b", "1"]);
        c.cmd(&["GETEX", "b", "PXAT", "1"]);
        c.cmd(&["SET", "c", "1"]);
        c.cmd(&["EXPIRE", "c", "-1"]);
        c.cmd(&["SET", "d", "1"]);
        c.cmd(&["DEL", "d"]);
    };
    let expect = |del: &str| -> Vec<String> {
        let mut v = Vec::new();
        for k in ["a", "b", "c"] {
            v.push(format!("SET {k} 1"));
            v.push(format!("{del} {k}"));
        }
        v.push("SET d 1".into());
        v.push("DEL d".into());
        v
    };
    deletes(&mut c);
    let mut want = vec!["SELECT 0".to_string()];
    want.extend(expect("DEL"));
    assert_eq!(streamed(&srv, &mut r), want);
    c.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]);
    c.cmd(&["CONFIG", "SET", "lazyfree-lazy-expire", "yes"]);
    deletes(&mut c);
    assert_eq!(streamed(&srv, &mut r), expect("UNLINK"));
}

#[test]
fn commands_redis_renames_propagate_under_the_new_name() {
    let srv = server();
    let mut r = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    c.cmd(&["GETSET", "k", "v"]);
    c.cmd(&["SET", "k", "w", "GET"]);
    c.cmd(&["SET", "k", "x", "XX", "GET", "get"]);
    c.cmd(&["RPUSH", "src", "a", "b"]);
    c.cmd(&["BRPOPLPUSH", "src", "dst", "0"]);
    c.cmd(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    assert_eq!(
        streamed(&srv, &mut r),
        [
            "SELECT 0",
            "SET k v",
            "SET k w",
            "SET k x XX",
            "RPUSH src a b",
            "RPOPLPUSH src dst",
            "LMOVE src dst LEFT RIGHT",
        ]
    );
}
