//! Sorted-set commands (t_zset.c).

use super::{fixture, published};
use crate::testkit::TestClient;

#[test]
fn zadd_and_zincrby() {
    let mut f = fixture("EAn");
    assert_eq!(f.events(&["ZADD", "z", "1", "a"]), ["new z", "zadd z"]);
    assert_eq!(f.events(&["ZADD", "z", "2", "a"]), ["zadd z"]);
    // Nothing added or updated.
    assert!(f.events(&["ZADD", "z", "2", "a"]).is_empty());
    assert!(f.events(&["ZADD", "z", "NX", "5", "a"]).is_empty());
    assert!(f.events(&["ZADD", "none", "XX", "5", "a"]).is_empty());
    assert_eq!(f.events(&["ZADD", "z", "INCR", "1", "a"]), ["zincr z"]);
    assert_eq!(f.events(&["ZINCRBY", "z", "1", "b"]), ["zincr z"]);
    assert_eq!(f.events(&["ZINCRBY", "y", "1", "b"]), ["new y", "zincr y"]);
}

#[test]
fn removals() {
    let mut f = fixture("EA");
    f.run(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    assert_eq!(f.events(&["ZREM", "z", "a", "x"]), ["zrem z"]);
    assert!(f.events(&["ZREM", "z", "x"]).is_empty());
    assert_eq!(
        f.events(&["ZREMRANGEBYRANK", "z", "0", "0"]),
        ["zremrangebyrank z"]
    );
    assert_eq!(
        f.events(&["ZREMRANGEBYSCORE", "z", "3", "3"]),
        ["zremrangebyscore z"]
    );
    assert!(f
        .events(&["ZREMRANGEBYSCORE", "z", "100", "200"])
        .is_empty());
    assert_eq!(
        f.events(&["ZREMRANGEBYLEX", "z", "-", "+"]),
        ["zremrangebylex z", "del z"]
    );
    f.run(&["ZADD", "z", "1", "a"]);
    assert_eq!(f.events(&["ZREM", "z", "a"]), ["zrem z", "del z"]);
}

#[test]
fn pops() {
    let mut f = fixture("EA");
    f.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(f.events(&["ZPOPMIN", "z"]), ["zpopmin z"]);
    assert!(f.events(&["ZPOPMIN", "z", "0"]).is_empty());
    assert!(f.events(&["ZPOPMAX", "none"]).is_empty());
    assert_eq!(f.events(&["ZMPOP", "1", "z", "MAX"]), ["zpopmax z"]);
    assert_eq!(f.events(&["BZPOPMIN", "z", "0"]), ["zpopmin z", "del z"]);
    let mut waiter = TestClient::new(&f.srv);
    assert_eq!(waiter.cmd(&["BZMPOP", "0", "1", "z", "MAX"]), "");
    f.run(&["ZADD", "z", "1", "a"]);
    waiter.poll();
    assert_eq!(published(), ["zadd z", "zpopmax z", "del z"]);
}

#[test]
fn stores() {
    let mut f = fixture("EAn");
    f.run(&["ZADD", "a", "1", "x", "2", "y"]);
    f.run(&["ZADD", "b", "1", "y"]);
    assert_eq!(
        f.events(&["ZUNIONSTORE", "d", "2", "a", "b"]),
        ["new d", "zunionstore d"]
    );
    assert_eq!(
        f.events(&["ZINTERSTORE", "d", "2", "a", "b"]),
        ["zinterstore d"]
    );
    assert_eq!(
        f.events(&["ZDIFFSTORE", "d", "2", "a", "b"]),
        ["zdiffstore d"]
    );
    assert_eq!(
        f.events(&["ZRANGESTORE", "d", "a", "0", "0"]),
        ["zrangestore d"]
    );
    assert_eq!(f.events(&["ZRANGESTORE", "d", "a", "5", "9"]), ["del d"]);
    assert!(f.events(&["ZINTERSTORE", "d", "2", "a", "none"]).is_empty());
}
