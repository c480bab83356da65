//! The same command sequence through two servers that differ only in their keyspace's shard
//! count (the default layout and a single shard): every reply must be identical.
//!
//! Replies whose content legitimately depends on the layout are normalised: SCAN cursors and
//! the order of SCAN/KEYS results; RANDOMKEY is compared only for nil vs non-nil.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lode_core::resp::value::Value;
use lode_core::testkit::TestClient;
use lode_fuzz::{call, scan_all, server, Name, Step, DBS};

/// `from_start`: the command's SCAN cursor was "0". A cursor the client made up points at a
/// layout-dependent position, so what a scan from it returns is comparable in shape only.
fn normalise(name: Name, from_start: bool, v: Value) -> Value {
    match (name, v) {
        (Name::Scan, Value::Array(mut parts)) if parts.len() == 2 => {
            if let Value::Array(keys) = &mut parts[1] {
                keys.sort_by_key(|k| format!("{k:?}"));
            }
            // The cursor encodes the shard layout; only "finished or not" is comparable.
            let done = parts[0] == Value::Bulk("0".into());
            parts[0] = Value::Boolean(done);
            // Different layouts may batch differently: compare the keys only for a whole scan
            // done in one call.
            if !done || !from_start {
                parts[1] = Value::Null;
            }
            Value::Array(parts)
        }
        (Name::Keys, Value::Array(mut keys)) => {
            keys.sort_by_key(|k| format!("{k:?}"));
            Value::Array(keys)
        }
        (Name::RandomKey, Value::Bulk(_)) => Value::Bulk("some key".into()),
        (_, v) => v,
    }
}

fuzz_target!(|steps: Vec<Step>| {
    let sharded = server(None);
    let single = server(Some(1));
    let mut a = TestClient::new(&sharded);
    let mut b = TestClient::new(&single);
    for step in steps.iter().take(64) {
        let args = step.op.args();
        let ra = call(&mut a, &args);
        let rb = call(&mut b, &args);
        let name = step.op.name;
        let from_start = args.get(1).is_none_or(|c| c.as_slice() == b"0");
        let (na, nb) = (
            normalise(name, from_start, ra),
            normalise(name, from_start, rb),
        );
        let shown = || {
            args.iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect::<Vec<_>>()
        };
        match (&na, &nb) {
            // EXEC's array may hold queued SCAN/KEYS/RANDOMKEY results, whose order depends
            // on the layout: compare its length only.
            (Value::Array(x), Value::Array(y)) if name == Name::Exec => {
                assert_eq!(x.len(), y.len(), "EXEC sizes differ for {:?}", shown())
            }
            _ => assert_eq!(na, nb, "replies differ for {:?}", shown()),
        }
        a.advance_ms(step.advance_ms());
        b.advance_ms(step.advance_ms());
        if step.tick {
            sharded.tick(a.now);
            single.tick(b.now);
        }
    }
    // The same keys in every database at the end.
    let mut ca = TestClient::new(&sharded);
    let mut cb = TestClient::new(&single);
    ca.now = a.now;
    cb.now = b.now;
    for d in 0..DBS {
        let sel = ["SELECT".to_string(), d.to_string()];
        call(&mut ca, &sel);
        call(&mut cb, &sel);
        assert_eq!(scan_all(&mut ca), scan_all(&mut cb), "db {d} differs");
    }
});
