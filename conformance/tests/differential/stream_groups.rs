//! Consumer groups on random operation sequences: XADD and XDEL mixed with XGROUP CREATE /
//! SETID / CREATECONSUMER / DELCONSUMER / DESTROY, XREADGROUP (`>` and history, COUNT,
//! NOACK), XACK, XCLAIM, XAUTOCLAIM, XPENDING and XINFO GROUPS, every reply equal to
//! redis-server's. Idle times and delivery times depend on each server's clock, so XPENDING's
//! idle column is left out of the comparison; after the sequence, Redis's DUMP of the stream
//! (groups, PELs and times included) is restored in both and then XINFO STREAM FULL and DUMP
//! must be equal byte for byte.

use crate::{pick, rng, Pair};
use lode_conformance::Value;

const GROUPS: &[&str] = &["g1", "g2", "g3"];
const CONSUMERS: &[&str] = &["alice", "bob", "carol", "dave"];

/// A random ID at or below `ms`.
fn id(r: &mut fastrand::Rng, ms: u64) -> String {
    format!("{}-{}", r.u64(0..=ms), r.u64(0..3))
}

/// XPENDING's extended rows with the idle column (index 2) blanked.
fn without_idle(v: Value) -> Value {
    match v {
        Value::Array(rows) => Value::Array(
            rows.into_iter()
                .map(|row| match row {
                    Value::Array(mut cols) if cols.len() == 4 => {
                        cols[2] = Value::Integer(0);
                        Value::Array(cols)
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// One random group command.
fn group_command(r: &mut fastrand::Rng, ms: u64) -> Vec<String> {
    let g = pick(r, GROUPS).to_string();
    let c = pick(r, CONSUMERS).to_string();
    let s = |x: &str| x.to_string();
    match r.u8(0..14) {
        0 => {
            let start = pick(r, &["$", "0", "-"]);
            let start = if start == "-" { id(r, ms) } else { s(start) };
            let mut v = vec![s("XGROUP"), s("CREATE"), s("s"), g, start];
            if r.u8(0..4) == 0 {
                v.extend([s("ENTRIESREAD"), r.i64(-1..20).to_string()]);
            }
            v
        }
        1 => {
            let to = if r.bool() { s("$") } else { id(r, ms) };
            let mut v = vec![s("XGROUP"), s("SETID"), s("s"), g, to];
            if r.bool() {
                v.extend([s("ENTRIESREAD"), r.i64(-1..20).to_string()]);
            }
            v
        }
        2 => vec![s("XGROUP"), s("CREATECONSUMER"), s("s"), g, c],
        3 => vec![s("XGROUP"), s("DELCONSUMER"), s("s"), g, c],
        4 if r.u8(0..4) == 0 => vec![s("XGROUP"), s("DESTROY"), s("s"), g],
        4..=7 => {
            let mut v = vec![s("XREADGROUP"), s("GROUP"), g, c];
            if r.bool() {
                v.extend([s("COUNT"), r.u64(0..6).to_string()]);
            }
            if r.u8(0..5) == 0 {
                v.push(s("NOACK"));
            }
            let from = if r.u8(0..4) == 0 { id(r, ms) } else { s(">") };
            v.extend([s("STREAMS"), s("s"), from]);
            v
        }
        8 | 9 => {
            let mut v = vec![s("XACK"), s("s"), g];
            for _ in 0..r.usize(1..4) {
                v.push(id(r, ms));
            }
            v
        }
        10 => {
            let mut v = vec![s("XCLAIM"), s("s"), g, c, s("0")];
            for _ in 0..r.usize(1..4) {
                v.push(id(r, ms));
            }
            // TIME/IDLE and a missing RETRYCOUNT make delivery times differ: keep them fixed.
            v.extend([
                s("TIME"),
                s("1000"),
                s("RETRYCOUNT"),
                r.u64(0..4).to_string(),
            ]);
            if r.bool() {
                v.push(s("JUSTID"));
            }
            if r.u8(0..3) == 0 {
                v.push(s("FORCE"));
            }
            if r.u8(0..4) == 0 {
                v.extend([s("LASTID"), id(r, ms)]);
            }
            v
        }
        11 => {
            let mut v = vec![s("XAUTOCLAIM"), s("s"), g, c, s("0"), id(r, ms)];
            v.extend([s("COUNT"), r.u64(1..5).to_string()]);
            if r.bool() {
                v.push(s("JUSTID"));
            }
            v
        }
        12 => vec![s("XPENDING"), s("s"), g],
        _ => vec![s("XINFO"), s("GROUPS"), s("s")],
    }
}

#[test]
fn stream_group_sequences_match_redis() {
    let Some(mut pair) = Pair::start("stream-groups") else {
        return;
    };
    let mut r = rng("stream-groups");
    for round in 0..5 {
        let entries = ["3", "10", "100"][round % 3];
        pair.same(&["CONFIG", "SET", "stream-node-max-entries", entries]);
        pair.same(&["DEL", "s"]);
        pair.same(&["XGROUP", "CREATE", "s", "g1", "$", "MKSTREAM"]);
        let mut ms = 1u64;
        for _ in 0..500 {
            match r.u8(0..10) {
                0..=2 => {
                    ms += r.u64(0..3);
                    let id = format!("{ms}-*");
                    pair.same(&["XADD", "s", &id, "f", &r.u32(..).to_string()]);
                }
                3 => {
                    let victim = id(&mut r, ms);
                    pair.same(&["XDEL", "s", &victim]);
                }
                4 => {
                    let g = pick(&mut r, GROUPS);
                    let (a, b) = (id(&mut r, ms), id(&mut r, ms));
                    let mut cmd = vec!["XPENDING", "s", g];
                    if r.bool() {
                        cmd.extend(["IDLE", "0"]);
                    }
                    cmd.extend([&a[..], &b[..], "5"]);
                    let owner = pick(&mut r, CONSUMERS);
                    if r.bool() {
                        cmd.push(owner);
                    }
                    let (redis, lode) = pair.send(&cmd);
                    assert_eq!(without_idle(redis), without_idle(lode), "{cmd:?}");
                }
                _ => {
                    let cmd = group_command(&mut r, ms);
                    pair.same(&cmd);
                }
            }
        }
        pair.same(&["XINFO", "GROUPS", "s"]);
        pair.same(&["XRANGE", "s", "-", "+"]);
        // Redis's image of the stream, times and all, restored in both.
        if let Value::Bulk(payload) = pair.redis(&["DUMP", "s"]) {
            pair.same(&[&b"RESTORE"[..], b"copy", b"0", &payload, b"REPLACE"]);
            pair.same(&["XINFO", "STREAM", "copy", "FULL", "COUNT", "0"]);
            pair.same(&["DUMP", "copy"]);
        }
        // And lode's, restored in Redis.
        if let Value::Bulk(payload) = pair.lode(&["DUMP", "s"]) {
            pair.same(&[&b"RESTORE"[..], b"back", b"0", &payload, b"REPLACE"]);
            pair.same(&["XINFO", "GROUPS", "back"]);
        }
        pair.same(&["DEBUG", "RELOAD"]);
        pair.same(&["XINFO", "STREAM", "copy", "FULL", "COUNT", "0"]);
    }
}
