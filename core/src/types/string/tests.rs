//! Tests of the string commands.
//!
//! Most cases live in `cases/*.txt`, a script format that `core/tools/replay_string_cases.py` can also run against a
//! real redis-server, so every expectation here has been checked against Redis 7.0.15:
//!
//! ```text
//! ## section title          a fresh server (FLUSHALL against Redis)
//! SET k "a b" => +OK        a command (Redis quoting rules) and its exact reply:
//! GET k => "a b"              "..." is a bulk string, text with \r\n is raw RESP,
//! INCR k => -ERR ...          anything else is one line (CRLF appended)
//! @encoding k embstr        OBJECT ENCODING k
//! @ttl k 10                 TTL k (-1 no TTL, -2 no key)
//! @advance 1100             let time pass (Redis: sleep)
//! @nonstring k              make k a list (LPUSH); the rest of the section is skipped while
//!                           lode has no list type
//! ```

use std::sync::Arc;

use crate::server::Server;
use crate::testkit::{frame, server, TestClient};
use crate::util::split_args::split_args;

/// Unescapes \r \n \t \\ \" and \xHH.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let (byte, used) = match b[i + 1] {
                b'r' => (b'\r', 2),
                b'n' => (b'\n', 2),
                b't' => (b'\t', 2),
                b'x' if i + 4 <= b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(v) => (v, 4),
                        Err(_) => (b'x', 2),
                    }
                }
                other => (other, 2),
            };
            out.push(byte);
            i += used;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// The exact reply bytes an expectation stands for.
fn expected_reply(s: &str) -> Vec<u8> {
    if s.contains("\\r\\n") {
        return unescape(s);
    }
    if let Some(body) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        let body = unescape(body);
        let mut out = format!("${}\r\n", body.len()).into_bytes();
        out.extend_from_slice(&body);
        out.extend_from_slice(b"\r\n");
        return out;
    }
    let mut out = s.as_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    out
}

/// TTL as Redis reports it: -2 for no key, -1 for no expiry, else seconds rounded.
fn ttl_of(srv: &Arc<Server>, c: &TestClient, key: &[u8]) -> i64 {
    let now = c.now.ms();
    let mut db = srv.keyspace.lock_one(0, key, now);
    match db.get(key) {
        None => -2,
        Some(e) if e.expire_at == 0 => -1,
        Some(e) => (e.expire_at as i64 - now as i64 + 500) / 1000,
    }
}

fn encoding_of(srv: &Arc<Server>, c: &TestClient, key: &[u8]) -> &'static str {
    let mut db = srv.keyspace.lock_one(0, key, c.now.ms());
    db.get(key).map_or("(no key)", |e| e.value.encoding())
}

/// Runs a case script; panics listing every mismatch.
fn run_script(name: &str, script: &str) {
    let mut failures = Vec::new();
    let mut skipped = 0;
    let mut srv = server();
    let mut c = TestClient::new(&srv);
    let mut skipping = false;
    for (n, line) in script.lines().enumerate() {
        let at = format!("{name}:{}", n + 1);
        let line = line.trim_end();
        if let Some(_title) = line.strip_prefix("## ") {
            srv = server();
            c = TestClient::new(&srv);
            skipping = false;
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if skipping {
            skipped += 1;
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["@advance", ms] => c.advance_ms(ms.parse().unwrap_or(0)),
            ["@ttl", key, want] => {
                let got = ttl_of(&srv, &c, key.as_bytes());
                if got.to_string() != *want {
                    failures.push(format!("{at}: TTL {key}: want {want}, got {got}"));
                }
            }
            ["@encoding", key, want] => {
                let got = encoding_of(&srv, &c, key.as_bytes());
                if got != *want {
                    failures.push(format!("{at}: encoding {key}: want {want}, got {got}"));
                }
            }
            ["@nonstring", key] => {
                if srv.commands.get(b"lpush").is_some() {
                    c.raw(&frame(&[b"DEL".to_vec(), key.as_bytes().to_vec()]));
                    c.raw(&frame(&[
                        b"LPUSH".to_vec(),
                        key.as_bytes().to_vec(),
                        b"x".to_vec(),
                    ]));
                } else {
                    skipping = true;
                }
            }
            _ => {
                let Some((cmd, want)) = line.split_once(" => ") else {
                    failures.push(format!("{at}: malformed line"));
                    continue;
                };
                let Some(args) = split_args(cmd.as_bytes()) else {
                    failures.push(format!("{at}: bad quoting"));
                    continue;
                };
                let got = c.raw(&frame(&args));
                let want = expected_reply(want);
                if got != want {
                    failures.push(format!(
                        "{at}: {cmd}\n    want {:?}\n    got  {:?}",
                        String::from_utf8_lossy(&want),
                        String::from_utf8_lossy(&got)
                    ));
                }
            }
        }
    }
    if skipped > 0 {
        eprintln!("{name}: {skipped} lines skipped (they need a non-string type)");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn get_set_cases() {
    run_script("get_set.txt", include_str!("cases/get_set.txt"));
}

#[test]
fn getex_getdel_getset_cases() {
    run_script("getex.txt", include_str!("cases/getex.txt"));
}

#[test]
fn multi_key_cases() {
    run_script("multi.txt", include_str!("cases/multi.txt"));
}

#[test]
fn counter_cases() {
    run_script("counters.txt", include_str!("cases/counters.txt"));
}

#[test]
fn range_cases() {
    run_script("range.txt", include_str!("cases/range.txt"));
}

#[test]
fn lcs_cases() {
    run_script("lcs.txt", include_str!("cases/lcs.txt"));
}

#[test]
fn read_commands_count_keyspace_hits_and_misses() {
    use std::sync::atomic::Ordering::Relaxed;
    let srv = server();
    let mut c = TestClient::new(&srv);
    let counts = |srv: &Arc<Server>| {
        (
            srv.keyspace.keyspace_hits.load(Relaxed),
            srv.keyspace.keyspace_misses.load(Relaxed),
        )
    };
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["INCR", "a"]);
    c.cmd(&["APPEND", "a", "x"]);
    c.cmd(&["SETRANGE", "b", "0", "x"]);
    assert_eq!(counts(&srv), (0, 0), "writes are not reads");
    c.cmd(&["GET", "a"]);
    c.cmd(&["GET", "nope"]);
    assert_eq!(counts(&srv), (1, 1));
    c.cmd(&["MGET", "a", "b", "nope"]);
    assert_eq!(counts(&srv), (3, 2));
    c.cmd(&["SET", "a", "2", "GET"]);
    c.cmd(&["SET", "z", "2", "GET"]);
    c.cmd(&["GETSET", "a", "3"]);
    c.cmd(&["GETEX", "a"]);
    c.cmd(&["GETDEL", "nope"]);
    c.cmd(&["STRLEN", "a"]);
    c.cmd(&["GETRANGE", "a", "0", "1"]);
    c.cmd(&["LCS", "a", "nope"]);
    assert_eq!(counts(&srv), (9, 5));
}

#[test]
fn lazy_expiry_on_write_counts_an_expired_key_once() {
    use std::sync::atomic::Ordering::Relaxed;
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v", "PX", "10"]);
    c.advance_ms(20);
    assert_eq!(c.cmd(&["SETRANGE", "k", "0", ""]), ":0\r\n");
    assert_eq!(srv.keyspace.expired_keys.load(Relaxed), 1);
    assert_eq!(srv.keyspace.db_size(0), 0, "the expired key was reclaimed");
    c.cmd(&["SET", "k", "v", "PX", "10"]);
    c.advance_ms(20);
    assert_eq!(c.cmd(&["INCR", "k"]), ":1\r\n");
    assert_eq!(srv.keyspace.expired_keys.load(Relaxed), 2);
    assert_eq!(ttl_of(&srv, &c, b"k"), -1, "the new key has no TTL");
    assert_eq!(srv.keyspace.db_counts(0), (1, 0));
    c.cmd(&["SET", "k", "v", "PX", "10"]);
    c.advance_ms(20);
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "100"]), "+OK\r\n");
    assert_eq!(
        srv.keyspace.db_counts(0),
        (1, 1),
        "still one key, with a TTL"
    );
    assert_eq!(c.cmd(&["SET", "k", "w"]), "+OK\r\n");
    assert_eq!(srv.keyspace.db_counts(0), (1, 0));
}

#[test]
fn binary_values_round_trip() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let set = frame(&[b"SET".to_vec(), b"k".to_vec(), b"a\0b\r\n\xff".to_vec()]);
    assert_eq!(c.raw(&set), b"+OK\r\n");
    assert_eq!(
        c.raw(&frame(&[b"GET".to_vec(), b"k".to_vec()])),
        b"$6\r\na\0b\r\n\xff\r\n"
    );
    let opt = frame(&[
        b"SET".to_vec(),
        b"k".to_vec(),
        b"v".to_vec(),
        b"xx\0ignored".to_vec(),
    ]);
    assert_eq!(c.raw(&opt), b"+OK\r\n", "Redis reads options as C strings");
}

#[test]
fn big_values_are_raw_and_setrange_respects_a_lower_limit() {
    let config = crate::config::Config {
        proto_max_bulk_len: 100,
        ..Default::default()
    };
    let srv = crate::testkit::server_with(config);
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["SETRANGE", "k", "99", "x"]), ":100\r\n");
    assert_eq!(
        c.cmd(&["SETRANGE", "k", "100", "x"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
    assert_eq!(
        c.cmd(&["APPEND", "k", "x"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
    assert_eq!(
        c.cmd(&["LCS", "k", "k"]),
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
    );
    assert_eq!(c.cmd(&["STRLEN", "k"]), ":100\r\n");
}
