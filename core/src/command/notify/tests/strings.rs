//! String commands (t_string.c).

use super::fixture;

#[test]
fn set_family() {
    let mut f = fixture("EAn");
    assert_eq!(f.events(&["SET", "k", "v"]), ["new k", "set k"]);
    assert_eq!(f.events(&["SET", "k", "w"]), ["set k"]);
    assert_eq!(
        f.events(&["SET", "k", "v", "PX", "100000"]),
        ["set k", "expire k"]
    );
    assert_eq!(f.events(&["SET", "k", "v", "KEEPTTL"]), ["set k"]);
    assert!(f.events(&["SET", "k", "v", "NX"]).is_empty());
    assert!(f.events(&["SET", "x", "v", "XX"]).is_empty());
    assert_eq!(f.events(&["SET", "k", "z", "XX", "GET"]), ["set k"]);
    assert_eq!(f.events(&["SETNX", "n", "1"]), ["new n", "set n"]);
    assert!(f.events(&["SETNX", "n", "1"]).is_empty());
    assert_eq!(
        f.events(&["SETEX", "e", "100", "v"]),
        ["new e", "set e", "expire e"]
    );
    assert_eq!(
        f.events(&["PSETEX", "e", "100", "v"]),
        ["set e", "expire e"]
    );
    assert_eq!(f.events(&["GETSET", "g", "1"]), ["new g", "set g"]);
    assert_eq!(
        f.events(&["MSET", "a", "1", "b", "2", "a", "3"]),
        ["new a", "set a", "new b", "set b", "set a"]
    );
    assert!(f.events(&["MSETNX", "a", "1", "c", "2"]).is_empty());
    assert_eq!(
        f.events(&["MSETNX", "c", "1", "d", "2"]),
        ["new c", "set c", "new d", "set d"]
    );
    // A failed SET ... GET on another type publishes nothing.
    f.run(&["RPUSH", "l", "x"]);
    assert!(f.events(&["SET", "l", "v", "GET"]).is_empty());
}

#[test]
fn counters_append_setrange() {
    let mut f = fixture("EAn");
    assert_eq!(f.events(&["INCR", "n"]), ["new n", "incrby n"]);
    for cmd in [
        &["DECR", "n"][..],
        &["INCRBY", "n", "5"],
        &["DECRBY", "n", "2"],
    ] {
        assert_eq!(f.events(cmd), ["incrby n"], "{cmd:?}");
    }
    assert_eq!(f.events(&["INCRBYFLOAT", "n", "1.5"]), ["incrbyfloat n"]);
    assert_eq!(
        f.events(&["INCRBYFLOAT", "fl", "1.5"]),
        ["new fl", "incrbyfloat fl"]
    );
    f.run(&["SET", "s", "abc"]);
    assert!(f.events(&["INCR", "s"]).is_empty());
    assert_eq!(f.events(&["APPEND", "s", "d"]), ["append s"]);
    assert_eq!(f.events(&["APPEND", "t", "d"]), ["new t", "append t"]);
    assert_eq!(f.events(&["SETRANGE", "s", "1", "X"]), ["setrange s"]);
    assert_eq!(
        f.events(&["SETRANGE", "r", "2", "X"]),
        ["new r", "setrange r"]
    );
    // Writing nothing changes nothing.
    assert!(f.events(&["SETRANGE", "s", "1", ""]).is_empty());
    assert!(f.events(&["SETRANGE", "q", "1", ""]).is_empty());
}

#[test]
fn getdel_and_getex() {
    let mut f = fixture("EA");
    f.run(&["SET", "k", "v"]);
    assert_eq!(f.events(&["GETEX", "k", "EX", "100"]), ["expire k"]);
    assert_eq!(f.events(&["GETEX", "k", "PERSIST"]), ["persist k"]);
    assert!(f.events(&["GETEX", "k", "PERSIST"]).is_empty());
    assert!(f.events(&["GETEX", "k"]).is_empty());
    assert_eq!(f.events(&["GETEX", "k", "PXAT", "1"]), ["del k"]);
    f.run(&["SET", "k", "v"]);
    assert_eq!(f.events(&["GETDEL", "k"]), ["del k"]);
    assert!(f.events(&["GETDEL", "k"]).is_empty());
}
