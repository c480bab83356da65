use super::*;
use crate::Value;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn bulk(s: &str) -> Value {
    Value::Bulk(b(s))
}

fn yes(src: &str, v: Value) {
    let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
    assert!(e.matches(&v), "{src} should match {v:?}");
}

fn no(src: &str, v: Value) {
    let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
    assert!(!e.matches(&v), "{src} should not match {v:?}");
}

#[test]
fn scalars_are_type_exact() {
    yes("+OK", Value::Simple(b("OK")));
    no("+OK", bulk("OK"));
    no("\"OK\"", Value::Simple(b("OK")));
    yes(
        "-ERR wrong number of arguments for 'get' command",
        Value::Error(b("ERR wrong number of arguments for 'get' command")),
    );
    yes(r#"-"ERR x 'b' ""#, Value::Error(b("ERR x 'b' ")));
    yes(":-3", Value::Integer(-3));
    no(":3", bulk("3"));
    yes(":1..10", Value::Integer(10));
    no(":1..10", Value::Integer(11));
    yes(":5..", Value::Integer(i64::MAX));
    no(":5..", Value::Integer(4));
    yes(":..-1", Value::Integer(-1));
    no(":..-1", Value::Integer(0));
    yes("int", Value::Integer(i64::MIN));
    yes("\"a\\x00b\"", bulk("a\0b"));
    yes("''", bulk(""));
    yes("bulk", bulk("x"));
    no("bulk", Value::NullBulk);
    yes("nil", Value::NullBulk);
    no("nil", Value::Null);
    no("nil", Value::NullArray);
    yes("nil-array", Value::NullArray);
    yes("null", Value::Null);
    yes(",1.5", Value::Double(b("1.5")));
    no(",1.5", Value::Double(b("1.50")));
    yes("#t", Value::Boolean(true));
    no("#t", Value::Boolean(false));
    yes("(123", Value::BigNumber(b("123")));
    yes("!\"SYNTAX x\"", Value::BlobError(b("SYNTAX x")));
    yes(
        "=txt:\"a\\nb\"",
        Value::Verbatim {
            format: *b"txt",
            text: b("a\nb"),
        },
    );
    no(
        "=mkd:\"a\"",
        Value::Verbatim {
            format: *b"txt",
            text: b("a"),
        },
    );
    yes("*", Value::NullArray);
}

#[test]
fn globs_and_alternatives() {
    yes(
        "glob -ERR unknown command*",
        Value::Error(b("ERR unknown command 'x'")),
    );
    no("glob -ERR unknown command*", bulk("ERR unknown command"));
    yes(
        "glob \"*redis_version:*\"",
        bulk("# Server\r\nredis_version:7.0.15\r\n"),
    );
    yes("glob +PONG*", Value::Simple(b("PONG")));
    yes(
        "glob =txt:\"*lol*\"",
        Value::Verbatim {
            format: *b"txt",
            text: b("a lol b"),
        },
    );
    yes("oneof( \"a\" \"b\" )", bulk("b"));
    no("oneof( \"a\" \"b\" )", bulk("c"));
    yes("oneof(nil null)", Value::Null);
}

#[test]
fn aggregates() {
    let arr = Value::Array(vec![bulk("a"), Value::Integer(1), Value::NullBulk]);
    yes("[\"a\" :1 nil]", arr.clone());
    no("[\"a\" :1]", arr.clone());
    no("[:1 \"a\" nil]", arr.clone());
    yes("unordered [:1 nil \"a\"]", arr.clone());
    no("unordered [:1 :1 \"a\"]", arr.clone());
    yes("[\"a\" ...]", arr.clone());
    yes("[...]", arr.clone());
    no("~[\"a\" :1 nil]", arr.clone());
    yes("[]", Value::Array(vec![]));
    yes(
        "[[+OK] []]",
        Value::Array(vec![
            Value::Array(vec![Value::Simple(b("OK"))]),
            Value::Array(vec![]),
        ]),
    );
    let set = Value::Set(vec![bulk("x"), bulk("y")]);
    yes("~[\"y\" \"x\"]", set.clone());
    no("[\"x\" \"y\"]", set);
    let map = Value::Map(vec![
        (bulk("k1"), Value::Integer(1)),
        (bulk("k2"), bulk("v")),
    ]);
    yes("{\"k1\" :1 \"k2\" \"v\"}", map.clone());
    no("{\"k2\" \"v\" \"k1\" :1}", map.clone());
    yes("unordered {\"k2\" \"v\" \"k1\" :1}", map.clone());
    no("unordered {\"k2\" :1 \"k1\" \"v\"}", map.clone());
    yes("{\"k1\" :1 ...}", map);
    let flat = Value::Array(vec![bulk("k1"), bulk("1"), bulk("k2"), bulk("2")]);
    yes("pairs [\"k2\" \"2\" \"k1\" \"1\"]", flat.clone());
    no("pairs [\"k2\" \"1\" \"k1\" \"2\"]", flat.clone());
    yes("pairs [\"k2\" \"2\" ...]", flat);
    yes(
        ">[\"message\" \"ch\" \"hi\"]",
        Value::Push(vec![bulk("message"), bulk("ch"), bulk("hi")]),
    );
    let attr = Value::Attribute {
        attrs: vec![(Value::Simple(b("a")), Value::Integer(1))],
        value: Box::new(Value::Integer(2)),
    };
    yes("|{+a :1} :2", attr.clone());
    no("|{+a :1} :3", attr);
}

#[test]
fn bad_notation_is_rejected() {
    for src in [
        "",
        "foo",
        "[\"a\"",
        "{\"a\"}",
        "[... \"a\"]",
        "...",
        "oneof (\"a\")",
        ":x",
        ":..",
        ":1..x",
        "\"a\" \"b\"",
        "=tx:\"a\"",
        "glob :1",
        "pairs {}",
    ] {
        assert!(parse(src).is_err(), "{src:?} should not parse");
    }
}
