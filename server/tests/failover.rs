//! FAILOVER between lode servers, and `min-replicas-to-write`: a primary hands its role to a
//! caught-up replica with partial resyncs only, a failover whose target never catches up
//! times out or is aborted with nothing lost, and a primary without enough good replicas
//! refuses writes. Needs redis-cli (skipped without it).

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

fn digest(p: &Proc) -> String {
    p.cli(&["DEBUG", "DIGEST"])
}

/// A primary and two replicas that follow it, synced.
struct Trio {
    nodes: Vec<Proc>,
    dirs: Vec<PathBuf>,
}

impl Trio {
    fn start() -> Trio {
        let dirs: Vec<PathBuf> = (0..3).map(|_| temp_dir()).collect();
        // Any of them may serve a full sync: at once, not after Redis's default 5 s delay.
        let quick = ["--repl-diskless-sync-delay", "0"];
        let a = Proc::start(Path::new(BIN), &dirs[0], &quick);
        let port = a.port.to_string();
        let follow = [&quick[..], &["--replicaof", "127.0.0.1", &port]].concat();
        let b = Proc::start(Path::new(BIN), &dirs[1], &follow);
        let c = Proc::start(Path::new(BIN), &dirs[2], &follow);
        for i in 0..100 {
            a.cli(&["SET", &format!("k{i}"), &i.to_string()]);
        }
        let trio = Trio {
            nodes: vec![a, b, c],
            dirs,
        };
        trio.synced("the first sync");
        trio
    }

    /// Waits until every node has the same dataset.
    fn synced(&self, what: &str) {
        eventually(what, || {
            let d = digest(&self.nodes[0]);
            d.len() == 40 && self.nodes.iter().all(|n| digest(n) == d)
        });
    }
}

impl Drop for Trio {
    fn drop(&mut self) {
        self.nodes.clear();
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Stops the server's own process (its pid from INFO) with SIGSTOP; returns the pid, to
/// continue it with [`cont`].
fn stop(p: &Proc) -> String {
    let pid = p.info_field("server", "process_id");
    assert!(!pid.is_empty());
    kill(&pid, "-STOP");
    pid
}

fn cont(pid: &str) {
    kill(pid, "-CONT");
}

fn kill(pid: &str, sig: &str) {
    let status = Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn failover_hands_the_role_to_a_caught_up_replica() {
    if !have("redis-cli") {
        return;
    }
    let t = Trio::start();
    let (a, b, c) = (&t.nodes[0], &t.nodes[1], &t.nodes[2]);
    let b_port = b.port.to_string();
    assert_eq!(
        b.cli(&["FAILOVER"]),
        "ERR FAILOVER is not valid when server is a replica."
    );
    assert_eq!(
        a.cli(&["FAILOVER", "TO", "127.0.0.1", &b_port, "FORCE"]),
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
    );
    assert_eq!(
        a.cli(&["FAILOVER", "TO", "127.0.0.1", "1"]),
        "ERR FAILOVER target HOST and PORT is not a replica."
    );
    let partial_before: u64 = b
        .info_field("stats", "sync_partial_ok")
        .parse()
        .unwrap_or(0);
    assert_eq!(a.cli(&["FAILOVER", "TO", "127.0.0.1", &b_port]), "OK");
    eventually("the failover's end", || {
        a.info_field("replication", "master_failover_state") == "no-failover"
    });
    assert_eq!(a.info_field("replication", "role"), "slave");
    assert_eq!(a.info_field("replication", "master_port"), b_port);
    assert_eq!(b.info_field("replication", "role"), "master");
    // The old primary continues from the new one's history; so does the other replica.
    assert_eq!(c.cli(&["REPLICAOF", "127.0.0.1", &b_port]), "OK");
    eventually("both replicas following B", || {
        b.info_field("replication", "connected_slaves") == "2"
    });
    assert_eq!(b.cli(&["SET", "after", "1"]), "OK");
    t.synced("the stream from the new primary");
    let partial: u64 = b
        .info_field("stats", "sync_partial_ok")
        .parse()
        .unwrap_or(0);
    assert_eq!(partial - partial_before, 2);
    assert_eq!(b.info_field("stats", "sync_full"), "0");
    assert_eq!(
        a.cli(&["SET", "x", "1"]),
        "READONLY You can't write against a read only replica."
    );
}

#[test]
fn a_failover_that_cannot_complete_gives_the_role_back() {
    if !have("redis-cli") {
        return;
    }
    let t = Trio::start();
    let (a, b) = (&t.nodes[0], &t.nodes[1]);
    let b_port = b.port.to_string();
    // B is stopped: it never acknowledges the write, the timeout ends the failover.
    let b_pid = stop(b);
    assert_eq!(a.cli(&["SET", "case", "1"]), "OK");
    assert_eq!(
        a.cli(&["FAILOVER", "TO", "127.0.0.1", &b_port, "TIMEOUT", "300"]),
        "OK"
    );
    eventually("the timeout", || {
        a.info_field("replication", "master_failover_state") == "no-failover"
    });
    assert_eq!(a.info_field("replication", "role"), "master");
    // Aborted by hand while waiting: reads run, a write waits for the end of the failover.
    assert_eq!(
        a.cli(&["FAILOVER", "TO", "127.0.0.1", &b_port, "TIMEOUT", "60000"]),
        "OK"
    );
    assert_eq!(
        a.info_field("replication", "master_failover_state"),
        "waiting-for-sync"
    );
    assert_eq!(a.cli(&["GET", "case"]), "1");
    let port = a.port.to_string();
    let writer = std::thread::spawn(move || {
        let out = Command::new("redis-cli")
            .args(["-p", &port, "SET", "held", "1"])
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    eventually("the write held back", || {
        a.cli(&["CLIENT", "LIST"]).contains("cmd=set")
    });
    assert_eq!(a.cli(&["EXISTS", "held"]), "0");
    assert_eq!(a.cli(&["FAILOVER", "ABORT"]), "OK");
    assert_eq!(writer.join().expect("writer"), "OK");
    assert_eq!(
        a.cli(&["FAILOVER", "ABORT"]),
        "ERR No failover in progress."
    );
    cont(&b_pid);
    assert_eq!(a.info_field("replication", "role"), "master");
    t.synced("the replicas catching up");
    assert_eq!(a.info_field("stats", "sync_full"), "2");
}

#[test]
fn min_replicas_to_write_refuses_writes_without_good_replicas() {
    if !have("redis-cli") {
        return;
    }
    let (da, db) = (temp_dir(), temp_dir());
    let a = Proc::start(
        Path::new(BIN),
        &da,
        &[
            "--min-replicas-to-write",
            "1",
            "--min-replicas-max-lag",
            "2",
            "--repl-diskless-sync-delay",
            "0",
        ],
    );
    assert_eq!(
        a.cli(&["SET", "k", "v"]),
        "NOREPLICAS Not enough good replicas to write."
    );
    assert_eq!(a.cli(&["GET", "k"]), "");
    let port = a.port.to_string();
    let b = Proc::start(Path::new(BIN), &db, &["--replicaof", "127.0.0.1", &port]);
    eventually("a good replica", || a.cli(&["SET", "k", "v"]) == "OK");
    assert_eq!(a.info_field("replication", "min_slaves_good_slaves"), "1");
    // A replica that stops acknowledging is no longer good after the lag.
    let b_pid = stop(&b);
    eventually("the lagging replica", || {
        a.cli(&["SET", "k", "w"]) == "NOREPLICAS Not enough good replicas to write."
    });
    cont(&b_pid);
    eventually("the replica back", || a.cli(&["SET", "k", "x"]) == "OK");
    drop(b);
    drop(a);
    let _ = std::fs::remove_dir_all(&da);
    let _ = std::fs::remove_dir_all(&db);
}
