//! SCAN's guarantee under inserts, deletes and growth; filters; KEYS and RANDOMKEY over many
//! keys.

use std::collections::{BTreeSet, HashSet};

use crate::testkit::{server, TestClient};

/// Splits a RESP2 reply into its lines (enough for arrays of short bulk strings).
fn lines(reply: &str) -> Vec<&str> {
    reply.split("\r\n").filter(|l| !l.is_empty()).collect()
}

/// The bulk strings of a flat array reply, in order.
fn bulks(reply: &str) -> Vec<String> {
    let l = lines(reply);
    l.iter()
        .enumerate()
        .filter(|(i, s)| *i > 0 && !s.starts_with('$') && l[i - 1].starts_with('$'))
        .map(|(_, s)| s.to_string())
        .collect()
}

/// Runs one SCAN call; returns (next cursor, keys).
fn scan(c: &mut TestClient, cursor: &str, extra: &[&str]) -> (String, Vec<String>) {
    let mut args = vec!["SCAN", cursor];
    args.extend_from_slice(extra);
    let reply = c.cmd(&args);
    assert!(reply.starts_with("*2\r\n"), "{reply}");
    let mut all = bulks(&reply);
    let cursor = all.remove(0);
    (cursor, all)
}

/// A full SCAN with `extra` options; returns every key seen (with repeats) and the call count.
fn scan_all(c: &mut TestClient, extra: &[&str]) -> (Vec<String>, usize) {
    let (mut cursor, mut seen, mut calls) = ("0".to_string(), Vec::new(), 0);
    loop {
        let (next, keys) = scan(c, &cursor, extra);
        calls += 1;
        seen.extend(keys);
        if next == "0" {
            return (seen, calls);
        }
        cursor = next;
    }
}

#[test]
fn scan_returns_every_key_once_on_a_quiet_keyspace() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    for i in 0..1000 {
        c.cmd(&["SET", &format!("key:{i}"), "v"]);
    }
    for count in ["1", "7", "10", "100", "5000"] {
        let (seen, calls) = scan_all(&mut c, &["COUNT", count]);
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(
            seen.len(),
            1000,
            "count {count}: no repeats without changes"
        );
        assert_eq!(unique.len(), 1000);
        if count == "5000" {
            assert_eq!(calls, 1);
        }
    }
    // The default COUNT is 10: about 100 calls.
    let (_, calls) = scan_all(&mut c, &[]);
    assert!((100..=110).contains(&calls), "{calls}");
}

#[test]
fn scan_guarantee_holds_under_inserts_deletes_and_growth() {
    for seed in 0..20u64 {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let mut rng = fastrand::Rng::with_seed(seed);
        // Keys that stay for the whole scan, and churn that comes and goes around them.
        let stable: BTreeSet<String> = (0..300).map(|i| format!("s{i}")).collect();
        for k in &stable {
            c.cmd(&["SET", k, "v"]);
        }
        let mut churn: Vec<String> = (0..300).map(|i| format!("c{i}")).collect();
        for k in &churn {
            c.cmd(&["SET", k, "v"]);
        }
        let mut next_churn = 300;
        let mut seen = HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            calls += 1;
            let count = rng.usize(1..30).to_string();
            let (next, keys) = scan(&mut c, &cursor, &["COUNT", &count]);
            seen.extend(keys);
            if next == "0" {
                break;
            }
            cursor = next;
            // Delete some churn keys (moving others down) and add more (growing the tables,
            // sometimes by a lot so they reallocate).
            for _ in 0..rng.usize(0..20) {
                if !churn.is_empty() {
                    let k = churn.swap_remove(rng.usize(..churn.len()));
                    assert_eq!(c.cmd(&["DEL", &k]), ":1\r\n");
                }
            }
            let adds = match rng.u8(..) {
                _ if calls > 300 => 0,
                0..20 => 500,
                _ => rng.usize(0..20),
            };
            for _ in 0..adds {
                let k = format!("c{next_churn}");
                next_churn += 1;
                c.cmd(&["SET", &k, "v"]);
                churn.push(k);
            }
        }
        let missing: Vec<_> = stable.iter().filter(|k| !seen.contains(*k)).collect();
        assert!(missing.is_empty(), "seed {seed}: missing {missing:?}");
    }
}

#[test]
fn scan_filters_match_type_and_expired_keys() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    for i in 0..50 {
        c.cmd(&["SET", &format!("user:{i}"), "v"]);
        c.cmd(&["SET", &format!("item:{i}"), "v"]);
    }
    let (seen, _) = scan_all(&mut c, &["MATCH", "user:*", "COUNT", "7"]);
    assert_eq!(seen.len(), 50);
    assert!(seen.iter().all(|k| k.starts_with("user:")));
    let (seen, _) = scan_all(&mut c, &["TYPE", "String"]);
    assert_eq!(seen.len(), 100);
    let (seen, _) = scan_all(&mut c, &["TYPE", "hash"]);
    assert!(seen.is_empty());
    // Expired keys are skipped and reclaimed, unless a pattern excluded them first.
    for i in 0..10 {
        c.cmd(&["PEXPIRE", &format!("user:{i}"), "10"]);
        c.cmd(&["PEXPIRE", &format!("item:{i}"), "10"]);
    }
    c.advance_ms(11);
    let (seen, _) = scan_all(&mut c, &["MATCH", "user:*"]);
    assert_eq!(seen.len(), 40);
    assert_eq!(c.cmd(&["DBSIZE"]), ":90\r\n");
    // Redis's quirk: with TYPE none, an expired key is reclaimed yet still returned.
    let (seen, _) = scan_all(&mut c, &["TYPE", "none"]);
    assert_eq!(seen.len(), 10);
    assert!(seen.iter().all(|k| k.starts_with("item:")));
    assert_eq!(c.cmd(&["DBSIZE"]), ":80\r\n");
}

#[test]
fn scan_sees_only_the_selected_database_and_survives_odd_cursors() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "zero", "v"]);
    c.cmd(&["SELECT", "1"]);
    for i in 0..30 {
        c.cmd(&["SET", &format!("one:{i}"), "v"]);
    }
    let (seen, _) = scan_all(&mut c, &["COUNT", "3"]);
    assert_eq!(seen.len(), 30);
    // Any number is a cursor: none panics, and each leads back to 0.
    for cursor in [
        "1",
        "63",
        "64",
        "65",
        "4096",
        "-1",
        "18446744073709551615",
        "999999999999",
    ] {
        let mut cur = cursor.to_string();
        let mut calls = 0;
        loop {
            let (next, _) = scan(&mut c, &cur, &[]);
            calls += 1;
            if next == "0" {
                break;
            }
            assert!(calls < 100, "cursor {cursor} never finished");
            cur = next;
        }
    }
}

#[test]
fn keys_matches_patterns_and_skips_expired_without_reclaiming() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    for k in ["hello", "hallo", "hxllo", "hllo", "heeeello", "other"] {
        c.cmd(&["SET", k, "v"]);
    }
    let sorted = |reply: String| {
        let mut v = bulks(&reply);
        v.sort();
        v
    };
    assert_eq!(
        sorted(c.cmd(&["KEYS", "h?llo"])),
        ["hallo", "hello", "hxllo"]
    );
    assert_eq!(
        sorted(c.cmd(&["KEYS", "h*llo"])),
        ["hallo", "heeeello", "hello", "hllo", "hxllo"]
    );
    assert_eq!(sorted(c.cmd(&["KEYS", "h[ae]llo"])), ["hallo", "hello"]);
    assert_eq!(sorted(c.cmd(&["KEYS", "h[^e]llo"])), ["hallo", "hxllo"]);
    assert_eq!(sorted(c.cmd(&["KEYS", "*"])).len(), 6);
    c.cmd(&["PEXPIRE", "other", "1"]);
    c.advance_ms(2);
    assert_eq!(sorted(c.cmd(&["KEYS", "*"])).len(), 5);
    assert_eq!(c.cmd(&["DBSIZE"]), ":6\r\n");
}

#[test]
fn randomkey_spreads_over_shards_and_skips_expired_keys() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let keys: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
    for k in &keys {
        c.cmd(&["SET", k, "v"]);
    }
    let mut seen = HashSet::new();
    for _ in 0..400 {
        seen.extend(bulks(&c.cmd(&["RANDOMKEY"])));
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
    // Expired keys are never returned; they are reclaimed when drawn.
    for k in &keys[1..] {
        c.cmd(&["PEXPIRE", k, "1"]);
    }
    c.advance_ms(2);
    for _ in 0..20 {
        assert_eq!(c.cmd(&["RANDOMKEY"]), "$2\r\nr0\r\n");
    }
    c.cmd(&["PEXPIRE", "r0", "1"]);
    c.advance_ms(2);
    assert_eq!(c.cmd(&["RANDOMKEY"]), "$-1\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
}
