//! Command sequences replayed against lode, with the replies redis-server 7.0.15 gave to the
//! same sequences on a fresh server (recorded with a script; TTLs are whole seconds there, so
//! they read the same under lode's frozen test clock).

use crate::testkit::{server, TestClient};

#[test]
fn del_exists_touch_type() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    // DEL counts only keys that existed; a repeated key is deleted once
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["set", "b", "2"]), "+OK\r\n");
    assert_eq!(c.cmd(&["del", "a", "a", "b", "c"]), ":2\r\n");
    assert_eq!(c.cmd(&["exists", "a", "b"]), ":0\r\n");
    // EXISTS counts every argument naming a live key, duplicates included
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["exists", "a", "a", "a", "x"]), ":3\r\n");
    assert_eq!(c.cmd(&["exists", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["unlink", "a", "nope"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["set", "b", "2"]), "+OK\r\n");
    assert_eq!(c.cmd(&["unlink", "a", "b", "b"]), ":2\r\n");
    assert_eq!(c.cmd(&["touch", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["touch", "a", "a", "nope"]), ":2\r\n");
    assert_eq!(c.cmd(&["type", "a"]), "+string\r\n");
    assert_eq!(c.cmd(&["type", "nope"]), "+none\r\n");
    assert_eq!(
        c.cmd(&["del"]),
        "-ERR wrong number of arguments for 'del' command\r\n"
    );
    assert_eq!(
        c.cmd(&["exists"]),
        "-ERR wrong number of arguments for 'exists' command\r\n"
    );
    assert_eq!(
        c.cmd(&["touch"]),
        "-ERR wrong number of arguments for 'touch' command\r\n"
    );
    assert_eq!(
        c.cmd(&["type"]),
        "-ERR wrong number of arguments for 'type' command\r\n"
    );
    assert_eq!(
        c.cmd(&["type", "a", "b"]),
        "-ERR wrong number of arguments for 'type' command\r\n"
    );
}

#[test]
fn rename_matches_redis() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["rename", "nope", "x"]), "-ERR no such key\r\n");
    assert_eq!(c.cmd(&["renamenx", "nope", "x"]), "-ERR no such key\r\n");
    assert_eq!(c.cmd(&["rename", "nope", "nope"]), "-ERR no such key\r\n");
    assert_eq!(c.cmd(&["renamenx", "nope", "nope"]), "-ERR no such key\r\n");
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["rename", "a", "a"]), "+OK\r\n");
    assert_eq!(c.cmd(&["renamenx", "a", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["expire", "a", "100"]), ":1\r\n");
    assert_eq!(c.cmd(&["rename", "a", "b"]), "+OK\r\n");
    assert_eq!(c.cmd(&["exists", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["ttl", "b"]), ":100\r\n");
    assert_eq!(c.cmd(&["get", "b"]), "$1\r\n1\r\n");
    assert_eq!(c.cmd(&["set", "c", "3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["renamenx", "b", "c"]), ":0\r\n");
    assert_eq!(c.cmd(&["get", "c"]), "$1\r\n3\r\n");
    assert_eq!(c.cmd(&["renamenx", "b", "d"]), ":1\r\n");
    assert_eq!(c.cmd(&["ttl", "d"]), ":100\r\n");
    assert_eq!(c.cmd(&["set", "e", "5"]), "+OK\r\n");
    assert_eq!(c.cmd(&["rename", "d", "e"]), "+OK\r\n");
    assert_eq!(c.cmd(&["get", "e"]), "$1\r\n1\r\n");
    assert_eq!(c.cmd(&["ttl", "e"]), ":100\r\n");
    assert_eq!(c.cmd(&["rename", "e", "c"]), "+OK\r\n");
    assert_eq!(c.cmd(&["ttl", "c"]), ":100\r\n");
    assert_eq!(c.cmd(&["get", "c"]), "$1\r\n1\r\n");
    assert_eq!(
        c.cmd(&["rename"]),
        "-ERR wrong number of arguments for 'rename' command\r\n"
    );
    assert_eq!(
        c.cmd(&["rename", "a"]),
        "-ERR wrong number of arguments for 'rename' command\r\n"
    );
    assert_eq!(
        c.cmd(&["renamenx", "a", "b", "c"]),
        "-ERR wrong number of arguments for 'renamenx' command\r\n"
    );
}

#[test]
fn copy_matches_redis() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["copy", "nope", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "a", "hello"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["copy", "a", "a"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        c.cmd(&["copy", "a", "a", "db", "0"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(c.cmd(&["copy", "a", "a", "db", "1"]), ":1\r\n");
    assert_eq!(c.cmd(&["select", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["get", "a"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["select", "0"]), "+OK\r\n");
    assert_eq!(c.cmd(&["copy", "a", "b"]), ":1\r\n");
    assert_eq!(c.cmd(&["get", "b"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["set", "b", "old"]), "+OK\r\n");
    assert_eq!(c.cmd(&["copy", "a", "b"]), ":0\r\n");
    assert_eq!(c.cmd(&["copy", "a", "b", "replace"]), ":1\r\n");
    assert_eq!(c.cmd(&["copy", "a", "b", "REPLACE"]), ":1\r\n");
    assert_eq!(c.cmd(&["get", "b"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["expire", "a", "100"]), ":1\r\n");
    assert_eq!(c.cmd(&["copy", "a", "c"]), ":1\r\n");
    assert_eq!(c.cmd(&["ttl", "c"]), ":100\r\n");
    assert_eq!(
        c.cmd(&["copy", "a", "c", "db", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["copy", "a", "c", "db", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["copy", "a", "c", "db", "2147483648"]),
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    );
    assert_eq!(
        c.cmd(&["copy", "a", "c", "db", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["copy", "a", "c", "db", "16", "foo"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(c.cmd(&["copy", "a", "c", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["copy", "a", "c", "db"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["copy", "a", "c", "replace", "db"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["copy", "a", "c", "replace", "replace"]), ":1\r\n");
    assert_eq!(c.cmd(&["copy", "a", "c", "db", "3", "db", "4"]), ":1\r\n");
    assert_eq!(c.cmd(&["select", "4"]), "+OK\r\n");
    assert_eq!(c.cmd(&["ttl", "c"]), ":100\r\n");
    assert_eq!(c.cmd(&["get", "c"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["select", "3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["exists", "c"]), ":0\r\n");
    assert_eq!(c.cmd(&["select", "0"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["copy", "nope", "nope"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        c.cmd(&["copy"]),
        "-ERR wrong number of arguments for 'copy' command\r\n"
    );
    assert_eq!(
        c.cmd(&["copy", "a"]),
        "-ERR wrong number of arguments for 'copy' command\r\n"
    );
}

#[test]
fn move_matches_redis() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["move", "nope", "1"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["move", "nope", "0"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "nope", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "nope", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "nope", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "nope", "4294967296"]),
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "nope", "1.5"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["move", "a", "0"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(c.cmd(&["expire", "a", "100"]), ":1\r\n");
    assert_eq!(c.cmd(&["move", "a", "1"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["select", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["ttl", "a"]), ":100\r\n");
    assert_eq!(c.cmd(&["get", "a"]), "$1\r\n1\r\n");
    assert_eq!(c.cmd(&["select", "0"]), "+OK\r\n");
    assert_eq!(c.cmd(&["set", "a", "2"]), "+OK\r\n");
    assert_eq!(c.cmd(&["select", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["move", "a", "0"]), ":0\r\n");
    assert_eq!(c.cmd(&["get", "a"]), "$1\r\n1\r\n");
    assert_eq!(c.cmd(&["select", "0"]), "+OK\r\n");
    assert_eq!(c.cmd(&["get", "a"]), "$1\r\n2\r\n");
    assert_eq!(
        c.cmd(&["move"]),
        "-ERR wrong number of arguments for 'move' command\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "a"]),
        "-ERR wrong number of arguments for 'move' command\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "a", "1", "2"]),
        "-ERR wrong number of arguments for 'move' command\r\n"
    );
}

#[test]
fn expire_family_matches_redis() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["expire", "nope", "10"]), ":0\r\n");
    assert_eq!(c.cmd(&["pexpire", "nope", "10"]), ":0\r\n");
    assert_eq!(c.cmd(&["expireat", "nope", "10"]), ":0\r\n");
    assert_eq!(c.cmd(&["pexpireat", "nope", "10"]), ":0\r\n");
    assert_eq!(c.cmd(&["ttl", "nope"]), ":-2\r\n");
    assert_eq!(c.cmd(&["pttl", "nope"]), ":-2\r\n");
    assert_eq!(c.cmd(&["expiretime", "nope"]), ":-2\r\n");
    assert_eq!(c.cmd(&["pexpiretime", "nope"]), ":-2\r\n");
    assert_eq!(c.cmd(&["persist", "nope"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["ttl", "k"]), ":-1\r\n");
    assert_eq!(c.cmd(&["pttl", "k"]), ":-1\r\n");
    assert_eq!(c.cmd(&["expiretime", "k"]), ":-1\r\n");
    assert_eq!(c.cmd(&["pexpiretime", "k"]), ":-1\r\n");
    assert_eq!(c.cmd(&["persist", "k"]), ":0\r\n");
    // option errors come before the integer is parsed, and before the key is looked up
    assert_eq!(
        c.cmd(&["expire", "k", "10", "nx", "xx"]),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "nope", "10", "nx", "xx"]),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "10", "gt", "lt"]),
        "-ERR GT and LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "10", "nx", "gt"]),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "10", "nx", "lt"]),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "10", "foo"]),
        "-ERR Unsupported option foo\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "abc", "foo"]),
        "-ERR Unsupported option foo\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "abc", "nx", "xx"]),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "1.5"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", ""]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["pexpire", "k", "10", "bar"]),
        "-ERR Unsupported option bar\r\n"
    );
    assert_eq!(
        c.cmd(&["expireat", "k", "10", "Gt", "lT"]),
        "-ERR GT and LT options at the same time are not compatible\r\n"
    );
    // overflow of the unit conversion or of the addition of now
    assert_eq!(
        c.cmd(&["expire", "k", "9223372036854775"]),
        "-ERR invalid expire time in 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "9223372036854775807"]),
        "-ERR invalid expire time in 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k", "-9223372036854775808"]),
        "-ERR invalid expire time in 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["pexpire", "k", "9223372036854775807"]),
        "-ERR invalid expire time in 'pexpire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["expireat", "k", "9223372036854776"]),
        "-ERR invalid expire time in 'expireat' command\r\n"
    );
    assert_eq!(
        c.cmd(&["pexpire", "k", "99999999999999999999"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // GT never passes against a persistent key, LT always does
    assert_eq!(c.cmd(&["expire", "k", "100", "gt"]), ":0\r\n");
    assert_eq!(c.cmd(&["expire", "k", "100", "xx"]), ":0\r\n");
    assert_eq!(c.cmd(&["expire", "k", "100", "lt"]), ":1\r\n");
    assert_eq!(c.cmd(&["ttl", "k"]), ":100\r\n");
    assert_eq!(c.cmd(&["expire", "k", "50", "lt"]), ":1\r\n");
    assert_eq!(c.cmd(&["ttl", "k"]), ":50\r\n");
    assert_eq!(c.cmd(&["expire", "k", "200", "lt"]), ":0\r\n");
    assert_eq!(c.cmd(&["expire", "k", "60", "gt"]), ":1\r\n");
    assert_eq!(c.cmd(&["expire", "k", "10", "gt"]), ":0\r\n");
    assert_eq!(c.cmd(&["expire", "k", "60", "nx"]), ":0\r\n");
    assert_eq!(c.cmd(&["expire", "k", "70", "xx"]), ":1\r\n");
    assert_eq!(c.cmd(&["expire", "k", "70", "XX"]), ":1\r\n");
    assert_eq!(c.cmd(&["ttl", "k"]), ":70\r\n");
    assert_eq!(c.cmd(&["persist", "k"]), ":1\r\n");
    assert_eq!(c.cmd(&["persist", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["ttl", "k"]), ":-1\r\n");
    assert_eq!(c.cmd(&["expire", "k", "100", "NX"]), ":1\r\n");
    assert_eq!(c.cmd(&["expire", "k", "0", "gt"]), ":0\r\n");
    // a time in the past deletes the key, through the conditions
    assert_eq!(c.cmd(&["expire", "k", "-1", "xx"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["expire", "k", "0"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["expireat", "k", "1"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["pexpireat", "k", "1", "gt"]), ":0\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), ":1\r\n");
    assert_eq!(c.cmd(&["pexpireat", "k", "1", "lt"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["set", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["expire", "k", "-9223372036854775"]), ":1\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["expire"]),
        "-ERR wrong number of arguments for 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "k"]),
        "-ERR wrong number of arguments for 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["ttl"]),
        "-ERR wrong number of arguments for 'ttl' command\r\n"
    );
    assert_eq!(
        c.cmd(&["ttl", "k", "k"]),
        "-ERR wrong number of arguments for 'ttl' command\r\n"
    );
    assert_eq!(
        c.cmd(&["persist"]),
        "-ERR wrong number of arguments for 'persist' command\r\n"
    );
}

#[test]
fn object_matches_redis() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    // OBJECT HELP keeps Redis's layout; the descriptions are lode's own.
    for sub in ["help", "HELP"] {
        let h = c.cmd(&["object", sub]);
        assert!(
            h.starts_with(
                "*11\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +ENCODING <key>\r\n"
            ),
            "{h}"
        );
        assert!(h.contains("\r\n+REFCOUNT <key>\r\n"), "{h}");
        assert!(h.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{h}");
    }
    assert_eq!(
        c.cmd(&["object", "help", "extra"]),
        "-ERR wrong number of arguments for 'object|help' command\r\n"
    );
    assert_eq!(
        c.cmd(&["object"]),
        "-ERR wrong number of arguments for 'object' command\r\n"
    );
    assert_eq!(
        c.cmd(&["object", "foo"]),
        "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["object", "foo", "bar"]),
        "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["object", "encoding"]),
        "-ERR wrong number of arguments for 'object|encoding' command\r\n"
    );
    assert_eq!(
        c.cmd(&["object", "encoding", "a", "b"]),
        "-ERR wrong number of arguments for 'object|encoding' command\r\n"
    );
    assert_eq!(c.cmd(&["object", "encoding", "nope"]), "$-1\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "nope"]), "$-1\r\n");
    assert_eq!(c.cmd(&["object", "idletime", "nope"]), "$-1\r\n");
    assert_eq!(c.cmd(&["object", "freq", "nope"]), "$-1\r\n");
    assert_eq!(c.cmd(&["set", "i", "123"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "i"]), "$3\r\nint\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "i"]), ":2147483647\r\n");
    assert_eq!(c.cmd(&["set", "big", "10000"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "big"]), ":1\r\n");
    assert_eq!(c.cmd(&["set", "zero", "0"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "zero"]), ":2147483647\r\n");
    assert_eq!(c.cmd(&["set", "neg", "-1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "neg"]), ":1\r\n");
    assert_eq!(c.cmd(&["set", "e", "hello"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "e"]), "$6\r\nembstr\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "e"]), ":1\r\n");
    assert_eq!(
        c.cmd(&["set", "r", "012345678901234567890123456789012345678901234"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["object", "encoding", "r"]), "$3\r\nraw\r\n");
    assert_eq!(
        c.cmd(&["set", "r44", "01234567890123456789012345678901234567890123"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["object", "encoding", "r44"]), "$6\r\nembstr\r\n");
    assert_eq!(c.cmd(&["set", "lz", "0123"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "lz"]), "$6\r\nembstr\r\n");
    assert_eq!(c.cmd(&["object", "freq", "e"]), "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n");
    assert_eq!(c.cmd(&["object", "idletime", "e"]), ":0\r\n");
    // a renamed shared integer stays shared (Redis gives a COPY of one refcount 1: lode cannot tell)
    assert_eq!(c.cmd(&["rename", "i", "i3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "i3"]), ":2147483647\r\n");
}

#[test]
fn scan_keys_randomkey_errors_match_redis() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["scan", "0", "count", "0"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["scan", "0", "count", "-1"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "count", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "count", "1.5"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["scan", "0", "count"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["scan", "0", "match"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["scan", "0", "type"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["scan", "0", "foo", "bar"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["scan", "0", "match", "a", "foo"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["scan", "abc"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["scan", "1x"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["scan", " 0"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["scan", "0 "]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["scan", "+"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["scan", "-"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["scan", "0x1"]), "-ERR invalid cursor\r\n");
    assert_eq!(
        c.cmd(&["scan", "18446744073709551616"]),
        "-ERR invalid cursor\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "-18446744073709551616"]),
        "-ERR invalid cursor\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "abc", "count", "0"]),
        "-ERR invalid cursor\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "count", "0", "foo"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["scan", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["scan", ""]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["scan", "-0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["scan", "+0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["scan", "00"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["scan", "0"]), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
    assert_eq!(
        c.cmd(&["scan", "0", "match", "a"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "match", "b"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "match", "*"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "type", "string"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "type", "STRING"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "type", "list"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "type", "foo"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "match", "b", "type", "string"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "count", "5", "match", "a", "count", "100", "type", "string"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(c.cmd(&["keys", "*"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(c.cmd(&["keys", "a"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(c.cmd(&["keys", "b"]), "*0\r\n");
    assert_eq!(c.cmd(&["keys", "[a]"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(
        c.cmd(&["keys"]),
        "-ERR wrong number of arguments for 'keys' command\r\n"
    );
    assert_eq!(
        c.cmd(&["keys", "a", "b"]),
        "-ERR wrong number of arguments for 'keys' command\r\n"
    );
    assert_eq!(c.cmd(&["randomkey"]), "$1\r\na\r\n");
    assert_eq!(
        c.cmd(&["randomkey", "x"]),
        "-ERR wrong number of arguments for 'randomkey' command\r\n"
    );
    assert_eq!(c.cmd(&["del", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["randomkey"]), "$-1\r\n");
    assert_eq!(c.cmd(&["keys", "*"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["scan"]),
        "-ERR wrong number of arguments for 'scan' command\r\n"
    );
}
