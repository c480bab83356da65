//! Set (t_set.c) and hash (t_hash.c) commands.

use super::fixture;

#[test]
fn set_members() {
    let mut f = fixture("EAn");
    assert_eq!(f.events(&["SADD", "s", "a", "b"]), ["new s", "sadd s"]);
    assert!(f.events(&["SADD", "s", "a"]).is_empty());
    assert_eq!(f.events(&["SREM", "s", "a", "x"]), ["srem s"]);
    assert!(f.events(&["SREM", "s", "x"]).is_empty());
    assert_eq!(f.events(&["SREM", "s", "b"]), ["srem s", "del s"]);
}

#[test]
fn smove_removes_then_adds() {
    let mut f = fixture("EAn");
    f.run(&["SADD", "src", "a", "b"]);
    assert_eq!(
        f.events(&["SMOVE", "src", "dst", "a"]),
        ["srem src", "new dst", "sadd dst"]
    );
    f.run(&["SADD", "dst", "b"]);
    // Already a member of the destination: only the removal.
    assert_eq!(
        f.events(&["SMOVE", "src", "dst", "b"]),
        ["srem src", "del src"]
    );
    assert!(f.events(&["SMOVE", "dst", "dst", "b"]).is_empty());
    assert!(f.events(&["SMOVE", "dst", "x", "nope"]).is_empty());
}

#[test]
fn spop() {
    let mut f = fixture("EA");
    f.run(&["SADD", "s", "a", "b", "c", "d"]);
    assert_eq!(f.events(&["SPOP", "s"]), ["spop s"]);
    assert_eq!(f.events(&["SPOP", "s", "1"]), ["spop s"]);
    assert!(f.events(&["SPOP", "s", "0"]).is_empty());
    assert_eq!(f.events(&["SPOP", "s", "5"]), ["spop s", "del s"]);
    f.run(&["SADD", "s", "a"]);
    assert_eq!(f.events(&["SPOP", "s"]), ["spop s", "del s"]);
    assert!(f.events(&["SPOP", "s"]).is_empty());
}

#[test]
fn set_stores() {
    let mut f = fixture("EAn");
    f.run(&["SADD", "a", "1", "2"]);
    f.run(&["SADD", "b", "2", "3"]);
    assert_eq!(
        f.events(&["SINTERSTORE", "d", "a", "b"]),
        ["new d", "sinterstore d"]
    );
    assert_eq!(f.events(&["SUNIONSTORE", "d", "a", "b"]), ["sunionstore d"]);
    assert_eq!(f.events(&["SDIFFSTORE", "d", "a", "b"]), ["sdiffstore d"]);
    assert_eq!(f.events(&["SINTERSTORE", "d", "a", "none"]), ["del d"]);
    assert!(f.events(&["SINTERSTORE", "d", "a", "none"]).is_empty());
    assert!(f.events(&["SDIFFSTORE", "d", "a", "a"]).is_empty());
}

#[test]
fn hashes() {
    let mut f = fixture("EAn");
    assert_eq!(f.events(&["HSET", "h", "a", "1"]), ["new h", "hset h"]);
    // HSET publishes even when it only overwrites.
    assert_eq!(f.events(&["HSET", "h", "a", "1"]), ["hset h"]);
    assert_eq!(f.events(&["HMSET", "h", "b", "2"]), ["hset h"]);
    assert_eq!(f.events(&["HSETNX", "h", "c", "3"]), ["hset h"]);
    assert!(f.events(&["HSETNX", "h", "c", "3"]).is_empty());
    assert_eq!(f.events(&["HSETNX", "h2", "c", "3"]), ["new h2", "hset h2"]);
    assert_eq!(f.events(&["HINCRBY", "h", "n", "2"]), ["hincrby h"]);
    assert_eq!(
        f.events(&["HINCRBYFLOAT", "h", "n", "0.5"]),
        ["hincrbyfloat h"]
    );
    assert!(f.events(&["HINCRBY", "h", "a", "x"]).is_empty());
    assert_eq!(
        f.events(&["HINCRBY", "h3", "n", "1"]),
        ["new h3", "hincrby h3"]
    );
    assert_eq!(f.events(&["HDEL", "h", "a", "zz"]), ["hdel h"]);
    assert!(f.events(&["HDEL", "h", "zz"]).is_empty());
    assert_eq!(f.events(&["HDEL", "h", "b", "c", "n"]), ["hdel h", "del h"]);
}
