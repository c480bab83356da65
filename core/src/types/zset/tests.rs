//! Command-level tests of the sorted-set commands through an in-process session (the
//! conformance suite's zsets.case checks the same replies against redis-server).

use super::{parse_mpop, pop, End, PopOutcome, PopShape};
use crate::resp::ReplyWriter;
use crate::testkit::{server, TestClient, EPOCH_MS};

#[test]
fn pop_entry_point_shapes() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    c.cmd(&["SET", "s", "x"]);
    let mut db = srv.keyspace.lock_all(0, EPOCH_MS);
    let mut out = ReplyWriter::new();
    let got = pop(&mut db, &mut out, b"z", End::Max, 1, PopShape::KeyFlat);
    assert_eq!(got, PopOutcome::Popped);
    assert_eq!(&out.buf[..], b"*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n");
    let mut out = ReplyWriter::new();
    let got = pop(&mut db, &mut out, b"z", End::Min, 5, PopShape::KeyNested);
    assert_eq!(got, PopOutcome::Popped);
    assert_eq!(
        &out.buf[..],
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    let mut out = ReplyWriter::new();
    assert_eq!(
        pop(&mut db, &mut out, b"z", End::Min, 1, PopShape::Flat),
        PopOutcome::Missing
    );
    assert_eq!(
        pop(&mut db, &mut out, b"s", End::Min, 1, PopShape::Flat),
        PopOutcome::WrongType
    );
    assert!(out.buf.is_empty());
    drop(db);
    assert_eq!(c.cmd(&["EXISTS", "z"]), ":0\r\n");
}

#[test]
fn mpop_parser_through_zmpop() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(
        c.cmd(&["ZMPOP", "0", "z", "MIN"]),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(c.cmd(&["ZMPOP", "3", "z", "MIN"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["ZMPOP", "1", "z", "MIN", "COUNT", "0"]),
        "-ERR count should be greater than 0\r\n"
    );
    assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MAX"]), "*-1\r\n");
    // The parser is index-based so BZMPOP can reuse it with numkeys at 2.
    let _ = parse_mpop;
}

#[test]
fn encodings_follow_redis_thresholds() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let long = "x".repeat(65);
    c.cmd(&["ZADD", "a", "1", "m"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "a"]), "$8\r\nlistpack\r\n");
    c.cmd(&["ZADD", "a", "2", &long]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "a"]), "$8\r\nskiplist\r\n");
    c.cmd(&["ZREM", "a", &long]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "a"]), "$8\r\nskiplist\r\n");
    // A *STORE result goes back to the packed form when it fits.
    c.cmd(&["ZUNIONSTORE", "b", "1", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "b"]), "$8\r\nlistpack\r\n");
    for i in 0..129 {
        c.cmd(&["ZADD", "c", &i.to_string(), &format!("m{i}")]);
    }
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "c"]), "$8\r\nskiplist\r\n");
    assert_eq!(c.cmd(&["ZCARD", "c"]), ":129\r\n");
    assert_eq!(c.cmd(&["ZRANK", "c", "m100"]), ":100\r\n");
    assert_eq!(c.cmd(&["ZRANGE", "c", "-1", "-1"]), "*1\r\n$4\r\nm128\r\n");
}

#[test]
fn huge_counts_stay_bounded() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["ZADD", "z", "1", "a"]);
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "-9223372036854775807"]),
        "-ERR value is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "9223372036854775807"]),
        "*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        c.cmd(&["ZPOPMIN", "z", "9223372036854775807"]),
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    c.cmd(&["ZADD", "z", "1", "a"]);
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "-9223372036854775808", "9223372036854775807"]),
        "*1\r\n$1\r\na\r\n"
    );
}
