//! A model test: random XADD / XDEL / XTRIM / XREADGROUP / XACK / XCLAIM sequences, with tiny
//! nodes, checked after every step against a plain ordered map of entries and a map of
//! pending entries to their owners (XRANGE, XLEN, XPENDING).

use std::collections::BTreeMap;

use crate::resp::value::{parse, Value};
use crate::testkit::{server, TestClient};

/// xorshift64*: enough randomness for a reproducible sequence without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

type Id = (u64, u64);

fn call(c: &mut TestClient, args: &[&str]) -> Value {
    let raw = c.cmd(args);
    match parse(raw.as_bytes()) {
        Ok(Some((v, _))) => v,
        other => panic!("{args:?}: unparsable reply {raw:?} ({other:?})"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

fn id_text((ms, seq): Id) -> String {
    format!("{ms}-{seq}")
}

/// The stream's entries as (ID text, its one value).
fn xrange(c: &mut TestClient) -> Vec<(String, String)> {
    let Value::Array(entries) = call(c, &["XRANGE", "s", "-", "+"]) else {
        panic!("XRANGE is not an array");
    };
    entries
        .iter()
        .map(|e| match e {
            Value::Array(parts) => match &parts[1] {
                Value::Array(fv) => (text(&parts[0]), text(&fv[1])),
                other => panic!("fields: {other:?}"),
            },
            other => panic!("entry: {other:?}"),
        })
        .collect()
}

/// The group's PEL as (ID text, owner).
fn xpending(c: &mut TestClient) -> Vec<(String, String)> {
    let Value::Array(rows) = call(c, &["XPENDING", "s", "g", "-", "+", "100000"]) else {
        panic!("XPENDING is not an array");
    };
    rows.iter()
        .map(|r| match r {
            Value::Array(cols) => (text(&cols[0]), text(&cols[1])),
            other => panic!("row: {other:?}"),
        })
        .collect()
}

#[test]
fn streams_and_groups_follow_a_simple_model() {
    for seed in 1..=8u64 {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&[
            "CONFIG",
            "SET",
            "stream-node-max-entries",
            &(seed % 4 + 2).to_string(),
        ]);
        c.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut entries: BTreeMap<Id, String> = BTreeMap::new();
        let mut pel: BTreeMap<Id, String> = BTreeMap::new();
        let (mut last, mut delivered): (Id, Id) = ((0, 0), (0, 0));
        for step in 0..600 {
            let some_id = (r.below(last.0 + 2), r.below(3));
            let consumer = format!("c{}", r.below(3));
            match r.below(10) {
                0..=3 => {
                    let id = (last.0 + r.below(2), if r.below(2) == 0 { 0 } else { 7 });
                    let value = step.to_string();
                    let reply = c.cmd(&["XADD", "s", &id_text(id), "f", &value]);
                    if id > last {
                        assert_eq!(
                            reply,
                            format!("${}\r\n{}\r\n", id_text(id).len(), id_text(id))
                        );
                        entries.insert(id, value);
                        last = id;
                    } else {
                        assert!(reply.starts_with("-ERR"), "{reply}");
                    }
                }
                4 => {
                    let gone = entries.remove(&some_id).is_some();
                    let want = format!(":{}\r\n", u8::from(gone));
                    assert_eq!(c.cmd(&["XDEL", "s", &id_text(some_id)]), want);
                }
                5 => {
                    let keep = r.below(8) as usize;
                    let n = entries.len().saturating_sub(keep);
                    let want = format!(":{n}\r\n");
                    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", &keep.to_string()]), want);
                    let drop: Vec<Id> = entries.keys().take(n).copied().collect();
                    for id in drop {
                        entries.remove(&id);
                    }
                }
                6 | 7 => {
                    let count = r.below(3) + 1;
                    let args = [
                        "XREADGROUP",
                        "GROUP",
                        "g",
                        &consumer,
                        "COUNT",
                        &count.to_string(),
                    ];
                    let reply = call(&mut c, &[&args[..], &["STREAMS", "s", ">"]].concat());
                    let fresh: Vec<Id> = entries
                        .range((delivered.0, delivered.1 + 1)..)
                        .take(count as usize)
                        .map(|(id, _)| *id)
                        .collect();
                    if fresh.is_empty() {
                        assert_eq!(reply, Value::NullArray);
                    }
                    for id in fresh {
                        pel.insert(id, consumer.clone());
                        delivered = id;
                    }
                }
                8 => {
                    let acked = pel.remove(&some_id).is_some();
                    let want = format!(":{}\r\n", u8::from(acked));
                    assert_eq!(c.cmd(&["XACK", "s", "g", &id_text(some_id)]), want);
                }
                _ => {
                    c.cmd(&[
                        "XCLAIM",
                        "s",
                        "g",
                        &consumer,
                        "0",
                        &id_text(some_id),
                        "JUSTID",
                    ]);
                    let live = entries.contains_key(&some_id);
                    if let Some(owner) = pel.get_mut(&some_id) {
                        if live {
                            *owner = consumer.clone();
                        } else {
                            pel.remove(&some_id);
                        }
                    }
                }
            }
            let want: Vec<(String, String)> = entries
                .iter()
                .map(|(id, v)| (id_text(*id), v.clone()))
                .collect();
            assert_eq!(xrange(&mut c), want, "seed {seed} step {step}: XRANGE");
            assert_eq!(c.cmd(&["XLEN", "s"]), format!(":{}\r\n", entries.len()));
            let want: Vec<(String, String)> = pel
                .iter()
                .map(|(id, o)| (id_text(*id), o.clone()))
                .collect();
            assert_eq!(xpending(&mut c), want, "seed {seed} step {step}: XPENDING");
        }
    }
}
