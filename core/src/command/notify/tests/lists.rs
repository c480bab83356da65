//! List commands (t_list.c), the blocking pops served later, and SORT ... STORE.

use super::{fixture, published};
use crate::testkit::TestClient;

#[test]
fn pushes_pops_and_the_del_of_an_emptied_list() {
    let mut f = fixture("EAn");
    assert_eq!(f.events(&["LPUSH", "l", "a", "b"]), ["new l", "lpush l"]);
    assert_eq!(f.events(&["RPUSH", "l", "c"]), ["rpush l"]);
    assert_eq!(f.events(&["LPUSHX", "l", "d"]), ["lpush l"]);
    assert_eq!(f.events(&["RPUSHX", "l", "e"]), ["rpush l"]);
    assert!(f.events(&["LPUSHX", "none", "d"]).is_empty());
    assert_eq!(f.events(&["LPOP", "l"]), ["lpop l"]);
    assert_eq!(f.events(&["RPOP", "l", "2"]), ["rpop l"]);
    assert!(f.events(&["LPOP", "l", "0"]).is_empty());
    assert!(f.events(&["LPOP", "none"]).is_empty());
    assert_eq!(f.events(&["LPOP", "l", "10"]), ["lpop l", "del l"]);
    f.run(&["RPUSH", "l", "a", "b"]);
    assert_eq!(
        f.events(&["LMPOP", "2", "none", "l", "RIGHT", "COUNT", "5"]),
        ["rpop l", "del l"]
    );
}

#[test]
fn edits() {
    let mut f = fixture("EA");
    f.run(&["RPUSH", "l", "a", "b", "a", "c"]);
    assert_eq!(f.events(&["LSET", "l", "0", "z"]), ["lset l"]);
    assert!(f.events(&["LSET", "l", "10", "z"]).is_empty());
    assert_eq!(
        f.events(&["LINSERT", "l", "BEFORE", "b", "y"]),
        ["linsert l"]
    );
    assert!(f
        .events(&["LINSERT", "l", "BEFORE", "nope", "y"])
        .is_empty());
    assert_eq!(f.events(&["LREM", "l", "0", "a"]), ["lrem l"]);
    assert!(f.events(&["LREM", "l", "0", "nope"]).is_empty());
    assert_eq!(f.events(&["LTRIM", "l", "0", "-1"]), ["ltrim l"]);
    assert_eq!(f.events(&["LTRIM", "l", "5", "1"]), ["ltrim l", "del l"]);
    assert!(f.events(&["LTRIM", "l", "0", "1"]).is_empty());
    f.run(&["RPUSH", "l", "a", "a"]);
    assert_eq!(f.events(&["LREM", "l", "0", "a"]), ["lrem l", "del l"]);
}

#[test]
fn moves_push_then_pop() {
    let mut f = fixture("EAn");
    f.run(&["RPUSH", "src", "a", "b"]);
    assert_eq!(
        f.events(&["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
        ["new dst", "rpush dst", "lpop src"]
    );
    assert_eq!(
        f.events(&["RPOPLPUSH", "src", "dst"]),
        ["lpush dst", "rpop src", "del src"]
    );
    // Rotating one list: push, then pop, no deletion.
    assert_eq!(
        f.events(&["LMOVE", "dst", "dst", "LEFT", "RIGHT"]),
        ["rpush dst", "lpop dst"]
    );
    assert!(f
        .events(&["LMOVE", "none", "dst", "LEFT", "RIGHT"])
        .is_empty());
    assert_eq!(
        f.events(&["BLMOVE", "dst", "x", "RIGHT", "LEFT", "0"]),
        ["new x", "lpush x", "rpop dst"]
    );
}

#[test]
fn a_blocked_pop_served_by_a_push_publishes_the_pop() {
    let mut f = fixture("EAn");
    let mut waiter = TestClient::new(&f.srv);
    assert_eq!(waiter.cmd(&["BLPOP", "q", "0"]), "");
    assert!(published().is_empty());
    f.run(&["RPUSH", "q", "a"]);
    waiter.poll();
    assert_eq!(published(), ["new q", "rpush q", "lpop q", "del q"]);
    assert_eq!(waiter.cmd(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]), "");
    f.run(&["LPUSH", "q", "a", "b"]);
    waiter.poll();
    assert_eq!(
        published(),
        ["new q", "lpush q", "new d", "lpush d", "lpop q"]
    );
}

#[test]
fn sort_store() {
    let mut f = fixture("EAn");
    f.run(&["RPUSH", "l", "3", "1", "2"]);
    assert_eq!(
        f.events(&["SORT", "l", "STORE", "out"]),
        ["new out", "sortstore out"]
    );
    assert_eq!(f.events(&["SORT", "l", "STORE", "out"]), ["sortstore out"]);
    assert_eq!(f.events(&["SORT", "none", "STORE", "out"]), ["del out"]);
    assert!(f.events(&["SORT", "none", "STORE", "out"]).is_empty());
}
