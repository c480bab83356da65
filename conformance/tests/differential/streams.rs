//! Streams on random operation sequences: XADD (explicit and `ms-*` IDs; `*` depends on the
//! clock), XDEL, XTRIM and XADD trimming (MAXLEN/MINID, `=` and `~`, LIMIT) under small and
//! default node sizes, then every read equal to redis-server's — and DUMP equal byte for byte,
//! which holds only if lode's nodes are laid out exactly as Redis's.

use crate::{pick, rng, Pair};

#[test]
fn stream_random_sequences_match_redis() {
    let Some(mut pair) = Pair::start("streams") else {
        return;
    };
    let mut r = rng("streams");
    for round in 0..6 {
        let entries = *["3", "10", "100"].get(round % 3).unwrap_or(&"100");
        let bytes = if round < 3 { "4096" } else { "200" };
        pair.same(&["CONFIG", "SET", "stream-node-max-entries", entries]);
        pair.same(&["CONFIG", "SET", "stream-node-max-bytes", bytes]);
        pair.same(&["DEL", "s"]);
        let mut ms = 1u64;
        for _ in 0..400 {
            match r.u8(0..20) {
                0..=11 => {
                    ms += r.u64(0..3);
                    let id = match r.u8(0..3) {
                        0 => format!("{ms}-*"),
                        1 => ms.to_string(),
                        _ => format!("{ms}-{}", r.u64(0..5)),
                    };
                    let mut cmd = vec!["XADD".to_string(), "s".into()];
                    if r.u8(0..6) == 0 {
                        cmd.extend(trim_args(&mut r, ms));
                    }
                    cmd.push(id);
                    let same_fields = r.bool();
                    for f in 0..r.usize(1..4) {
                        let field = if same_fields {
                            format!("f{f}")
                        } else {
                            format!("g{}", r.u8(0..9))
                        };
                        let value = match r.u8(0..3) {
                            0 => r.i64(-100_000..100_000).to_string(),
                            1 => "x".repeat(r.usize(0..80)),
                            _ => format!("v{}", r.u32(..)),
                        };
                        cmd.extend([field, value]);
                    }
                    pair.same(&cmd);
                }
                12 | 13 => {
                    let mut cmd = vec!["XDEL".to_string(), "s".into()];
                    for _ in 0..r.usize(1..4) {
                        cmd.push(format!("{}-{}", r.u64(0..=ms), r.u64(0..5)));
                    }
                    pair.same(&cmd);
                }
                14 => {
                    let mut cmd = vec!["XTRIM".to_string(), "s".into()];
                    cmd.extend(trim_args(&mut r, ms));
                    pair.same(&cmd);
                }
                _ => {
                    let a = bound(&mut r, ms);
                    let b = bound(&mut r, ms);
                    let rev = r.bool();
                    let mut cmd = vec![
                        if rev { "XREVRANGE" } else { "XRANGE" }.to_string(),
                        "s".into(),
                        a,
                        b,
                    ];
                    if r.bool() {
                        cmd.extend(["COUNT".to_string(), r.i64(-1..6).to_string()]);
                    }
                    pair.same(&cmd);
                }
            }
        }
        pair.same(&["XLEN", "s"]);
        pair.same(&["XRANGE", "s", "-", "+"]);
        pair.same(&["XREVRANGE", "s", "+", "-"]);
        pair.same(&["DEBUG", "DIGEST-VALUE", "s"]);
        pair.same(&["DUMP", "s"]);
        // Redis's DUMP restores in lode (and lode's in Redis) to the same stream.
        if let lode_conformance::Value::Bulk(payload) = pair.redis(&["DUMP", "s"]) {
            pair.same(&[&b"RESTORE"[..], b"r", b"0", &payload, b"REPLACE"]);
            pair.same(&["XRANGE", "r", "-", "+"]);
            pair.same(&["DUMP", "r"]);
        }
        pair.same(&["DEBUG", "RELOAD"]);
        pair.same(&["DEBUG", "DIGEST"]);
    }
}

/// MAXLEN or MINID with `=`, `~` or neither, and sometimes LIMIT (with `~`).
fn trim_args(r: &mut fastrand::Rng, ms: u64) -> Vec<String> {
    let mut v = Vec::new();
    let approx = r.bool();
    if r.bool() {
        v.push("MAXLEN".to_string());
        if approx {
            v.push("~".into());
        } else if r.bool() {
            v.push("=".into());
        }
        v.push(r.u64(0..200).to_string());
    } else {
        v.push("MINID".to_string());
        v.push(pick(r, &["~", "="]).to_string());
        if !approx {
            v.pop();
            v.push("=".into());
        }
        v.push(format!("{}-{}", r.u64(0..=ms), r.u64(0..3)));
    }
    if approx && r.bool() {
        v.extend(["LIMIT".to_string(), r.u64(0..300).to_string()]);
    }
    v
}

/// A range bound: `-`, `+`, an ID, an incomplete ID, or an exclusive one.
fn bound(r: &mut fastrand::Rng, ms: u64) -> String {
    match r.u8(0..6) {
        0 => "-".into(),
        1 => "+".into(),
        2 => r.u64(0..=ms + 1).to_string(),
        3 => format!("({}-{}", r.u64(0..=ms + 1), r.u64(0..4)),
        _ => format!("{}-{}", r.u64(0..=ms + 1), r.u64(0..4)),
    }
}
