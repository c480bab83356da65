//! Files moving between lode and redis-server 7.0 (skipped when redis-server is not installed):
//! a dump.rdb and an appendonlydir written by either loads in the other with the same dataset
//! (DEBUG DIGEST equal), for every type in each of its encodings.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// Every type in each of its encodings, in two databases, some keys with a TTL.
fn fill(p: &Proc) {
    let many = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>();
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["SET".into(), "int".into(), "12345".into()],
        vec!["SET".into(), "str".into(), "hello".into()],
        vec!["SET".into(), "raw".into(), "x".repeat(500)],
        vec![
            "SET".into(),
            "ttl".into(),
            "v".into(),
            "EX".into(),
            "5000".into(),
        ],
        vec!["RPUSH".into(), "small-list".into(), "a".into(), "1".into()],
        vec![
            "SADD".into(),
            "intset".into(),
            "1".into(),
            "2".into(),
            "-3".into(),
        ],
        vec!["SADD".into(), "strset".into(), "a".into(), "b".into()],
        vec!["HSET".into(), "small-hash".into(), "f".into(), "v".into()],
        vec![
            "ZADD".into(),
            "small-zset".into(),
            "1.5".into(),
            "a".into(),
            "-2".into(),
            "b".into(),
        ],
    ];
    let mut big_list = vec!["RPUSH".to_string(), "big-list".into()];
    big_list.extend(many(3000, &|i| format!("element-{i}")));
    cmds.push(big_list);
    let mut big_set = vec!["SADD".to_string(), "big-set".into()];
    big_set.extend(many(1000, &|i| format!("m{i}")));
    cmds.push(big_set);
    let mut big_hash = vec!["HSET".to_string(), "big-hash".into()];
    big_hash.extend(many(2000, &|i| format!("f{}", i / 2)));
    cmds.push(big_hash);
    let mut big_zset = vec!["ZADD".to_string(), "big-zset".into()];
    big_zset.extend(many(600, &|i| {
        if i % 2 == 0 {
            format!("{}.25", i)
        } else {
            format!("m{i}")
        }
    }));
    cmds.push(big_zset);
    for c in &cmds {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let r = p.cli(&args);
        assert!(!r.starts_with("ERR"), "{args:?}: {r}");
    }
    assert_eq!(p.cli(&["-n", "7", "SET", "in-db-7", "x"]), "OK");
    assert_eq!(p.cli(&["DEBUG", "POPULATE", "2000"]), "OK");
}

fn round_trip(from: &Path, to: &Path, extra: &[&str]) {
    let dir = temp_dir();
    let a = Proc::start(from, &dir, extra);
    fill(&a);
    if extra.contains(&"--appendonly") {
        // A base holding the data, then an incremental file after it.
        a.cli(&["BGREWRITEAOF"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !a
            .cli(&["INFO", "persistence"])
            .contains("aof_rewrite_in_progress:0")
            || a.cli(&["INFO", "persistence"])
                .contains("aof_rewrite_scheduled:1")
        {
            assert!(Instant::now() < deadline, "rewrite did not finish");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(a.cli(&["RPUSH", "after-rewrite", "1", "2"]), "2");
    }
    let digest = a.cli(&["DEBUG", "DIGEST"]);
    assert_eq!(digest.len(), 40);
    a.shutdown("SAVE");
    let b = Proc::start(to, &dir, extra);
    assert_eq!(
        b.cli(&["DEBUG", "DIGEST"]),
        digest,
        "{} -> {} with {extra:?}",
        from.display(),
        to.display()
    );
    b.shutdown("NOSAVE");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dump_rdb_moves_both_ways() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let lode = PathBuf::from(BIN);
    round_trip(&lode, &redis, &[]);
    round_trip(&redis, &lode, &[]);
}

#[test]
fn appendonlydir_moves_both_ways() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let lode = PathBuf::from(BIN);
    for preamble in ["yes", "no"] {
        let extra = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
        round_trip(&lode, &redis, &extra);
        round_trip(&redis, &lode, &extra);
    }
}

#[test]
fn migrate_moves_keys_both_ways() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let lode = PathBuf::from(BIN);
    for (from, to) in [(&lode, &redis), (&redis, &lode)] {
        let (da, db) = (temp_dir(), temp_dir());
        let a = Proc::start(from, &da, &[]);
        let b = Proc::start(to, &db, &[]);
        assert_eq!(a.cli(&["RPUSH", "l", "x", "y", "z"]), "3");
        assert_eq!(a.cli(&["HSET", "h", "f", "v"]), "1");
        assert_eq!(a.cli(&["SET", "s", "v", "PX", "100000"]), "OK");
        let digest = |p: &Proc, key: &str| p.cli(&["DEBUG", "DIGEST-VALUE", key]);
        let before: Vec<String> = ["l", "h", "s"].iter().map(|k| digest(&a, k)).collect();
        let port = b.port.to_string();
        assert_eq!(
            a.cli(&["MIGRATE", "127.0.0.1", &port, "l", "0", "5000"]),
            "OK"
        );
        assert_eq!(
            a.cli(&[
                "MIGRATE",
                "127.0.0.1",
                &port,
                "",
                "3",
                "5000",
                "COPY",
                "KEYS",
                "h",
                "s",
                "gone"
            ]),
            "OK"
        );
        assert_eq!(
            a.cli(&["EXISTS", "l", "h", "s"]),
            "2",
            "l moved, h and s copied"
        );
        assert_eq!(digest(&b, "l"), before[0]);
        assert_eq!(b.cli(&["-n", "3", "DEBUG", "DIGEST-VALUE", "h"]), before[1]);
        assert_eq!(b.cli(&["-n", "3", "DEBUG", "DIGEST-VALUE", "s"]), before[2]);
        let ttl: i64 = b.cli(&["-n", "3", "PTTL", "s"]).parse().unwrap_or(-1);
        assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
        assert_eq!(
            a.cli(&["MIGRATE", "127.0.0.1", &port, "h", "3", "5000"]),
            "ERR Target instance replied with error: BUSYKEY Target key name already exists."
        );
        assert_eq!(
            a.cli(&["MIGRATE", "127.0.0.1", &port, "nothere", "0", "5000"]),
            "NOKEY"
        );
        drop((a, b));
        let _ = std::fs::remove_dir_all(&da);
        let _ = std::fs::remove_dir_all(&db);
    }
}

#[test]
fn a_redis_replica_follows_lode_and_continues_after_a_broken_link() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let (dp, dr) = (temp_dir(), temp_dir());
    let primary = Proc::start(Path::new(BIN), &dp, &[]);
    fill(&primary);
    let port = primary.port.to_string();
    let replica = Proc::start(
        &redis,
        &dr,
        &[
            "--replicaof",
            "127.0.0.1",
            &port,
            "--logfile",
            "replica.log",
        ],
    );
    let synced = || {
        let digest = primary.cli(&["DEBUG", "DIGEST"]);
        replica.cli(&["DEBUG", "DIGEST"]) == digest
    };
    // Full sync of every type, then the live stream.
    eventually("the full sync", synced);
    assert_eq!(primary.cli(&["INCR", "live"]), "1");
    assert_eq!(primary.cli(&["-n", "3", "LPUSH", "l3", "a"]), "1");
    eventually("the live stream", synced);
    // WAIT returns once the replica acknowledged this client's write.
    assert_eq!(primary.cli(&["WAIT", "1", "5000"]), "1");
    let info = primary.cli(&["INFO", "replication"]);
    assert!(info.contains("connected_slaves:1"), "{info}");
    assert!(info.contains("repl_backlog_active:1"), "{info}");
    let role = primary.cli(&["ROLE"]);
    assert!(role.starts_with("master"), "{role}");
    // A broken link: the replica comes back with PSYNC and continues from the backlog.
    assert_eq!(primary.cli(&["CLIENT", "KILL", "TYPE", "replica"]), "1");
    assert_eq!(primary.cli(&["SET", "after-the-break", "1"]), "OK");
    eventually("the partial resync", synced);
    let stats = replica.cli(&["INFO", "replication"]);
    assert!(stats.contains("master_link_status:up"), "{stats}");
    let log = std::fs::read_to_string(dr.join("replica.log")).unwrap_or_default();
    assert!(
        log.contains("Successful partial resynchronization"),
        "{log}"
    );
    drop(replica);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dp);
    let _ = std::fs::remove_dir_all(&dr);
}

#[test]
fn redis_lode_redis_chain_shares_one_history_through_a_promotion() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let dirs = [temp_dir(), temp_dir(), temp_dir()];
    let quick = ["--repl-diskless-sync-delay", "0"];
    let top = Proc::start(&redis, &dirs[0], &quick);
    // Before the replicas: DEBUG POPULATE's keys reach them only by the full sync.
    fill(&top);
    let top_port = top.port.to_string();
    let middle = Proc::start(
        Path::new(BIN),
        &dirs[1],
        &["--replicaof", "127.0.0.1", &top_port],
    );
    let middle_port = middle.port.to_string();
    let bottom = Proc::start(
        &redis,
        &dirs[2],
        &[
            "--replicaof",
            "127.0.0.1",
            &middle_port,
            "--logfile",
            "bottom.log",
            "--repl-diskless-sync-delay",
            "0",
        ],
    );
    assert_eq!(top.cli(&["INCR", "live"]), "1");
    let all_equal = || {
        let d = top.cli(&["DEBUG", "DIGEST"]);
        middle.cli(&["DEBUG", "DIGEST"]) == d && bottom.cli(&["DEBUG", "DIGEST"]) == d
    };
    eventually("the chain to sync", all_equal);
    // lode proxies the primary's stream: one replication id and one offset down the chain.
    eventually("equal offsets", || {
        let off = top.info_field("replication", "master_repl_offset");
        middle.info_field("replication", "master_repl_offset") == off
            && bottom.info_field("replication", "master_repl_offset") == off
    });
    assert_eq!(
        middle.info_field("replication", "master_replid"),
        top.info_field("replication", "master_replid")
    );
    // The bottom continues from lode's backlog after a broken link...
    assert_eq!(middle.cli(&["CLIENT", "KILL", "TYPE", "replica"]), "1");
    assert_eq!(top.cli(&["SET", "after-break", "1"]), "OK");
    eventually("the partial resync", all_equal);
    // ...and after lode's promotion, from the old history (replid2).
    let old_id = top.info_field("replication", "master_replid");
    assert_eq!(middle.cli(&["REPLICAOF", "NO", "ONE"]), "OK");
    eventually("the promotion", || {
        middle.info_field("replication", "master_replid2") == old_id
    });
    assert_eq!(middle.cli(&["SET", "promoted", "1"]), "OK");
    eventually("the write after promotion", || {
        bottom.cli(&["GET", "promoted"]) == "1"
    });
    let log = std::fs::read_to_string(dirs[2].join("bottom.log")).unwrap_or_default();
    assert_eq!(
        log.matches("Successful partial resynchronization").count(),
        2,
        "{log}"
    );
    // One full sync (the first), then only partial ones.
    assert_eq!(log.matches("Full resync from master").count(), 1, "{log}");
    drop(bottom);
    drop(middle);
    drop(top);
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A redis-server 7.0 replica of a lode primary started with `lode_args`, synced.
fn redis_replica_of(redis: &Path, primary: &Proc, dir: &Path) -> Proc {
    let port = primary.port.to_string();
    Proc::start(
        redis,
        dir,
        &[
            "--replicaof",
            "127.0.0.1",
            &port,
            "--logfile",
            "replica.log",
        ],
    )
}

#[test]
fn redis_replicas_sync_diskless_from_lode() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    // Delay 0 (the transfer starts in the PSYNC) and 1 (from the tick, after keepalives),
    // one replica each; then two replicas that start one shared transfer as soon as both
    // wait (max-replicas 2), long before the 60 s delay.
    let cases: [(&[&str], usize); 3] = [
        (&["--repl-diskless-sync-delay", "0"], 1),
        (&["--repl-diskless-sync-delay", "1"], 1),
        (
            &[
                "--repl-diskless-sync-delay",
                "60",
                "--repl-diskless-sync-max-replicas",
                "2",
            ],
            2,
        ),
    ];
    for (args, n) in cases {
        let dp = temp_dir();
        let lode_args = [&["--repl-diskless-sync", "yes"][..], args].concat();
        let primary = Proc::start(Path::new(BIN), &dp, &lode_args);
        fill(&primary);
        let dirs: Vec<PathBuf> = (0..n).map(|_| temp_dir()).collect();
        let replicas: Vec<Proc> = dirs
            .iter()
            .map(|d| redis_replica_of(&redis, &primary, d))
            .collect();
        let synced = || {
            let digest = primary.cli(&["DEBUG", "DIGEST"]);
            replicas.iter().all(|r| {
                r.info_field("replication", "master_link_status") == "up"
                    && r.cli(&["DEBUG", "DIGEST"]) == digest
            })
        };
        eventually("the diskless sync", synced);
        // The stream starts after the replica's first ACK and flows from the snapshot on.
        assert_eq!(primary.cli(&["INCR", "live"]), "1");
        assert_eq!(primary.cli(&["-n", "3", "LPUSH", "l3", "a"]), "1");
        eventually("the live stream", synced);
        let want = n.to_string();
        assert_eq!(primary.cli(&["WAIT", &want, "5000"]), want);
        let info = primary.cli(&["INFO", "replication"]);
        for i in 0..n {
            let line = info
                .lines()
                .find(|l| l.starts_with(&format!("slave{i}:")))
                .unwrap_or_default();
            assert!(line.contains("state=online"), "{info}");
        }
        let log = std::fs::read_to_string(dp.join("stdout.log")).unwrap_or_default();
        assert_eq!(
            log.matches("Starting BGSAVE for SYNC with target: replicas sockets")
                .count(),
            1,
            "{args:?}: one transfer\n{log}"
        );
        assert_eq!(
            log.matches("Synchronization with replica").count(),
            n,
            "{log}"
        );
        for d in &dirs {
            let rlog = std::fs::read_to_string(d.join("replica.log")).unwrap_or_default();
            assert!(
                rlog.contains("receiving streamed RDB from master with EOF"),
                "{rlog}"
            );
        }
        drop(replicas);
        drop(primary);
        for d in dirs.iter().chain([&dp]) {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
