//! HyperLogLog: random element sets of 1 to 200,000 elements added to both servers, then
//! PFCOUNT, the raw value (GET, byte for byte, sparse and dense), PFMERGE and the union count
//! compared; values made by one server counted and merged by the other; damaged values
//! refused (or accepted) alike.

use crate::{rng, Pair};
use lode_conformance::Value;

/// Both servers and the seeded random source for test `name`; None when redis-server is
/// missing.
fn start(name: &str) -> Option<(Pair, fastrand::Rng)> {
    Some((Pair::start(name)?, rng(name)))
}

/// Elements per PFADD once an HLL is large.
const BATCH: usize = 1000;

/// A random element: 0..24 bytes of anything (the hash reads every byte, so binary and empty
/// elements matter).
fn element(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = rng.usize(..24);
    (0..len).map(|_| rng.u8(..)).collect()
}

/// The bulk string in a reply (a panic otherwise, with the reply).
fn bulk(v: &Value) -> Vec<u8> {
    match v {
        Value::Bulk(b) => b.to_vec(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// Adds `n` random elements to `key` on both servers, comparing every reply; after each
/// PFADD (or every tenth once dense) compares PFCOUNT, the encoding and the raw bytes.
/// Batches start small so the sparse encoding is compared as it grows.
fn fill(pair: &mut Pair, rng: &mut fastrand::Rng, key: &str, n: usize) {
    let mut added = 0;
    let mut round = 0;
    while added < n {
        let size = if added < 3000 {
            rng.usize(1..=100)
        } else {
            BATCH
        };
        let size = size.min(n - added);
        let mut cmd: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
        cmd.extend((0..size).map(|_| element(rng)));
        pair.same(&cmd);
        added += size;
        round += 1;
        if added < 20_000 || round % 10 == 0 || added == n {
            check_value(pair, key);
        }
    }
}

/// PFCOUNT, PFDEBUG ENCODING and GET of `key` agree (PFCOUNT first: it writes the cache, so the
/// bytes compared include it).
fn check_value(pair: &mut Pair, key: &str) {
    pair.same(&["PFCOUNT", key]);
    pair.same(&["PFDEBUG", "ENCODING", key]);
    pair.same(&["GET", key]);
}

#[test]
fn pfadd_counts_and_bytes_match() {
    let Some((mut pair, mut rng)) = start("hll-pfadd") else {
        return;
    };
    let mut sizes = vec![1, 10, 100, 1000, 5000, 20_000, 200_000];
    sizes.extend((0..3).map(|_| rng.usize(1..20_000)));
    for (i, &n) in sizes.iter().enumerate() {
        let key = format!("h{i}");
        fill(&mut pair, &mut rng, &key, n);
        // A PFADD of elements already in changes nothing, on both.
        let Value::Integer(_) = pair.same(&["PFADD", &key]) else {
            panic!("PFADD without elements must reply an integer");
        };
    }
}

#[test]
fn sparse_limit_and_todense_match() {
    let Some((mut pair, mut rng)) = start("hll-sparse-limit") else {
        return;
    };
    for round in 0..6 {
        let limit = rng.usize(20..4000).to_string();
        pair.same(&["CONFIG", "SET", "hll-sparse-max-bytes", &limit]);
        let key = format!("s{round}");
        let n = rng.usize(1..3000);
        fill(&mut pair, &mut rng, &key, n);
        pair.same(&["PFDEBUG", "TODENSE", &key]);
        check_value(&mut pair, &key);
    }
}

#[test]
fn merge_and_union_count_match() {
    let Some((mut pair, mut rng)) = start("hll-merge") else {
        return;
    };
    let keys: Vec<String> = (0..5).map(|i| format!("m{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        // Sparse and dense sources: sizes from a handful to tens of thousands.
        let n = [3, 200, 1500, 8000, 30_000][i];
        fill(&mut pair, &mut rng, key, n);
    }
    for round in 0..12 {
        let mut chosen: Vec<&str> = keys.iter().map(String::as_str).collect();
        rng.shuffle(&mut chosen);
        chosen.truncate(rng.usize(1..=keys.len()));
        if rng.bool() {
            chosen.push("missing");
        }
        let mut count = vec!["PFCOUNT"];
        count.extend(&chosen);
        pair.same(&count);
        // Into a new key, or into one of the sources (which is then merged with itself).
        let dest = if rng.bool() {
            format!("d{round}")
        } else {
            chosen[0].to_string()
        };
        let mut merge = vec!["PFMERGE", dest.as_str()];
        merge.extend(&chosen);
        pair.same(&merge);
        pair.same(&["GET", &dest]);
        check_value(&mut pair, &dest);
    }
}

/// Adds `elements` to `key` on one server only (redis-server if `on_redis`), then SETs the
/// resulting string on both.
fn made_by_one(pair: &mut Pair, on_redis: bool, key: &str, elements: &[Vec<u8>]) {
    for chunk in elements.chunks(BATCH) {
        let mut cmd: Vec<&[u8]> = vec![&b"PFADD"[..], key.as_bytes()];
        cmd.extend(chunk.iter().map(Vec::as_slice));
        if on_redis {
            pair.redis(&cmd);
        } else {
            pair.lode(&cmd);
        }
    }
    let made = if on_redis {
        pair.redis(&["GET", key])
    } else {
        pair.lode(&["GET", key])
    };
    pair.same(&[&b"SET"[..], key.as_bytes(), &bulk(&made)[..]]);
}

#[test]
fn values_cross_between_servers() {
    let Some((mut pair, mut rng)) = start("hll-cross") else {
        return;
    };
    for (i, n) in [5usize, 900, 25_000].into_iter().enumerate() {
        // Made by redis-server alone, then given to lode; made by lode alone, then given to
        // redis-server (each written back to its maker the same way, so both hold the same
        // string).
        let from_redis = format!("r{i}");
        let mut elements: Vec<Vec<u8>> = (0..n).map(|_| element(&mut rng)).collect();
        made_by_one(&mut pair, true, &from_redis, &elements);
        let from_lode = format!("l{i}");
        elements.iter_mut().for_each(|e| e.push(b'x'));
        made_by_one(&mut pair, false, &from_lode, &elements);
        pair.same(&["PFCOUNT", &from_redis, &from_lode]);
        check_value(&mut pair, &from_redis);
        check_value(&mut pair, &from_lode);
        let dest = format!("u{i}");
        pair.same(&["PFMERGE", &dest, &from_redis, &from_lode]);
        check_value(&mut pair, &dest);
        // Both keep counting the same after more elements.
        fill(&mut pair, &mut rng, &from_redis, 500);
        fill(&mut pair, &mut rng, &from_lode, 500);
    }
}

#[test]
fn damaged_values_are_treated_alike() {
    let Some((mut pair, mut rng)) = start("hll-damaged") else {
        return;
    };
    for round in 0..100 {
        let key = format!("c{round}");
        let n = rng.usize(..if round % 10 == 0 { 3000 } else { 300 });
        for chunk_start in (0..n).step_by(BATCH) {
            let size = BATCH.min(n - chunk_start);
            let mut cmd: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
            cmd.extend((0..size).map(|_| element(&mut rng)));
            pair.same(&cmd);
        }
        if n == 0 {
            pair.same(&["PFADD", &key]);
        }
        // Overwrite 1 to 5 random bytes, then use the value every way, comparing replies and
        // what the value became.
        let len = bulk(&pair.same(&["GET", &key])).len();
        for _ in 0..rng.usize(1..=5) {
            let pos = rng.usize(..len).to_string();
            pair.same(&[
                &b"SETRANGE"[..],
                key.as_bytes(),
                pos.as_bytes(),
                &[rng.u8(..)],
            ]);
        }
        match rng.usize(..4) {
            0 => pair.same(&["PFCOUNT", &key]),
            1 => pair.same(&["PFCOUNT", &key, "other"]),
            2 => pair.same(&["PFMERGE", "dest", &key]),
            _ => {
                let e = element(&mut rng);
                pair.same(&[&b"PFADD"[..], key.as_bytes(), &e[..]])
            }
        };
        pair.same(&["GET", &key]);
        pair.same(&["PFCOUNT", &key]);
    }
}
