use std::sync::atomic::Ordering;

use crate::keyspace::Value;
use crate::persist::rdb;
use crate::persist::snapshot::Snapshot;
use crate::testkit::{server, server_with, TestClient, EPOCH_MS};

fn keys_of(file: &[u8]) -> Vec<(usize, Vec<u8>, String)> {
    let mut out: Vec<_> = rdb::load(file)
        .expect("a valid file")
        .into_iter()
        .map(|(db, k, v, _)| {
            let text = match v {
                Value::Int(n) => n.to_string(),
                Value::Str(s) => String::from_utf8_lossy(&s).into_owned(),
                other => other.type_name().to_string(),
            };
            (db, k, text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_snapshot_is_the_dataset_at_the_instant_it_began() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    for i in 0..200 {
        c.cmd(&["SET", &format!("k{i}"), "old"]);
    }
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "in3", "x"]);
    let ks = &srv.keyspace;
    let snap = Snapshot::begin(ks, EPOCH_MS, true);
    // Writes after the instant: to shards the saver has not reached, some of them twice.
    for i in 0..200 {
        c.cmd(&["SET", &format!("k{i}"), "new"]);
    }
    c.cmd(&["DEL", "in3"]);
    c.cmd(&["SET", "later", "1"]);
    c.cmd(&["FLUSHALL"]);
    assert!(snap.handed_bytes() > 0, "writers handed shards over");
    let mut file = Vec::new();
    let r: Result<u64, ()> = snap.write(ks, &[], true, |b| {
        file.extend_from_slice(b);
        Ok(())
    });
    assert_eq!(r, Ok(file.len() as u64));
    assert!(!ks.observed(), "the snapshot stopped observing");
    let got = keys_of(&file);
    assert_eq!(got.len(), 201);
    assert!(got
        .iter()
        .all(|(db, k, v)| (*db == 0 && v == "old") || (*db == 3 && k == b"in3")));
}

#[test]
fn save_lastsave_and_debug_reload_go_through_the_hosts_files() {
    let srv = server_with(crate::config::Config {
        enable_debug_command: "yes".into(),
        ..Default::default()
    });
    let mut c = TestClient::new(&srv);
    let start = EPOCH_MS / 1000;
    assert_eq!(c.cmd(&["LASTSAVE"]), format!(":{start}\r\n"));
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["RPUSH", "l", "x", "y"]);
    c.advance_ms(5_000);
    srv.tick(c.now);
    let info = |c: &mut TestClient| c.cmd(&["INFO", "persistence"]);
    assert!(info(&mut c).contains("rdb_changes_since_last_save:2\r\n"));
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    assert!(info(&mut c).contains("rdb_changes_since_last_save:0\r\n"));
    assert!(info(&mut c).contains("rdb_saves:1\r\n"));
    assert_eq!(c.cmd(&["LASTSAVE"]), format!(":{}\r\n", start + 5));
    // NOSAVE loads the file as saved: the key written since is gone.
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "a", "l", "b"]), ":2\r\n");
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "a", "l", "b"]), ":3\r\n");
    assert_eq!(c.cmd(&["BGSAVE", "NOW"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    assert!(info(&mut c).contains("rdb_bgsave_in_progress:0\r\n"));
    assert!(info(&mut c).contains("rdb_last_bgsave_status:ok\r\n"));
}

#[test]
fn save_points_start_a_background_save() {
    let srv = server_with(crate::config::Config {
        save: vec![(10, 2)],
        ..Default::default()
    });
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "a", "1"]);
    c.advance_ms(11_000);
    srv.tick(c.now);
    assert_eq!(
        srv.persist.saves.load(Ordering::Relaxed),
        0,
        "one change only"
    );
    c.cmd(&["SET", "b", "1"]);
    srv.tick(c.now);
    assert_eq!(srv.persist.saves.load(Ordering::Relaxed), 1);
    assert_eq!(
        c.cmd(&["LASTSAVE"]),
        format!(":{}\r\n", EPOCH_MS / 1000 + 11)
    );
}

#[test]
fn a_failed_save_refuses_writes_with_misconf() {
    struct NoFiles;
    impl crate::host::Host for NoFiles {}
    let srv = std::sync::Arc::new(crate::server::Server::new(
        crate::config::Config::default(),
        1,
        Box::new(NoFiles),
        crate::Now::from_ms(EPOCH_MS),
    ));
    let mut c = TestClient::new(&srv);
    assert_eq!(c.cmd(&["SAVE"]), "-ERR\r\n");
    let misconf = c.cmd(&["SET", "a", "1"]);
    assert!(misconf.starts_with("-MISCONF Redis is configured to save RDB snapshots"));
    assert!(c.cmd(&["PING"]).starts_with("-MISCONF"));
    assert_eq!(c.cmd(&["GET", "a"]), "$-1\r\n");
    c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
    assert_eq!(c.cmd(&["SET", "a", "1"]), "+OK\r\n");
}

#[test]
fn a_background_save_holds_every_key() {
    let srv = server_with(crate::config::Config {
        enable_debug_command: "yes".into(),
        ..Default::default()
    });
    let mut c = TestClient::new(&srv);
    c.cmd(&["DEBUG", "POPULATE", "20000"]);
    for _ in 0..20 {
        // Another thread locks shards meanwhile, as the expiry cycle and commands do, so some
        // shards are serialised by it while the saver walks: none may be missed.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let locker = {
            let (srv, stop) = (srv.clone(), stop.clone());
            std::thread::spawn(move || {
                let n = srv.keyspace.shard_count();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    drop(srv.keyspace.lock_shard(0, n - 1 - i % n, EPOCH_MS));
                    i += 1;
                }
            })
        };
        let snap = Snapshot::begin(&srv.keyspace, EPOCH_MS, true);
        let file = snap.to_bytes(&srv.keyspace, &[]);
        stop.store(true, Ordering::Relaxed);
        locker.join().unwrap();
        assert_eq!(rdb::load(&file).unwrap().len(), 20000);
    }
}

#[test]
fn with_appendfsync_always_replies_wait_for_the_fsync_of_what_they_saw() {
    let srv = server();
    let log = &srv.keyspace.log;
    let _aof = log.subscribe();
    srv.durability.set_holding(true, log.offset());
    let mut writer = TestClient::new(&srv);
    let mut reader = TestClient::new(&srv);
    assert_eq!(
        reader.cmd(&["GET", "k"]),
        "$-1\r\n",
        "nothing unsynced to see"
    );
    assert_eq!(writer.cmd(&["SET", "k", "v"]), "", "held until durable");
    // A read that saw the unsynced write is held too.
    assert_eq!(reader.cmd(&["GET", "k"]), "");
    srv.durability.advance(log.offset() - 1);
    assert_eq!(writer.poll(), "");
    srv.durability.advance(log.offset());
    assert_eq!(writer.poll(), "+OK\r\n");
    assert_eq!(reader.poll(), "$1\r\nv\r\n");
    // Later replies queue behind held ones, in order.
    writer.cmd(&["INCR", "n"]);
    assert_eq!(writer.cmd(&["PING"]), "");
    srv.durability.set_holding(false, 0);
    assert_eq!(writer.poll(), ":1\r\n+PONG\r\n");
}

#[test]
fn an_aof_base_in_command_form_rebuilds_the_dataset() {
    use crate::persist::snapshot::Format;
    let debug = || crate::config::Config {
        enable_debug_command: "yes".into(),
        ..Default::default()
    };
    let srv = server_with(debug());
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "s", "text"]);
    c.cmd(&["SET", "n", "42"]);
    let many: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let mut rpush = vec!["RPUSH", "l"];
    rpush.extend(many.iter().map(String::as_str));
    c.cmd(&rpush);
    c.cmd(&["SADD", "ints", "1", "2", "3"]);
    c.cmd(&["SADD", "strs", "a", "b"]);
    c.cmd(&["ZADD", "z", "1.5", "a", "-inf", "b", "3", "c"]);
    c.cmd(&["HSET", "h", "f", "v", "g", "w"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "ttl", "x", "PX", "100000"]);
    let digest = c.cmd(&["DEBUG", "DIGEST"]);
    let ks = &srv.keyspace;
    let snap = Snapshot::begin_as(ks, EPOCH_MS, true, Format::Aof);
    let mut file = Vec::new();
    let r: Result<u64, ()> = snap.write(ks, &[], true, |b| {
        file.extend_from_slice(b);
        Ok(())
    });
    assert_eq!(r, Ok(file.len() as u64));
    assert!(file.starts_with(b"*2\r\n$6\r\nSELECT\r\n"));
    let copy = server_with(debug());
    let done = super::aof::replay(&copy, &file, crate::Now::from_ms(EPOCH_MS), false).unwrap();
    assert!(!done.truncated);
    let mut c2 = TestClient::new(&copy);
    assert_eq!(c2.cmd(&["DEBUG", "DIGEST"]), digest);
}

#[test]
fn flushall_with_save_points_saves_the_empty_dataset() {
    let srv = server_with(crate::config::Config {
        enable_debug_command: "yes".into(),
        ..Default::default()
    });
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    c.cmd(&["SET", "k2", "v"]);
    assert_eq!(c.cmd(&["FLUSHALL"]), "+OK\r\n");
    assert!(c
        .cmd(&["INFO", "persistence"])
        .contains("rdb_changes_since_last_save:0\r\n"));
    // What a restart would load: nothing.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
    c.cmd(&["CONFIG", "SET", "save", ""]);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["FLUSHALL"]);
    assert!(!c
        .cmd(&["INFO", "persistence"])
        .contains("rdb_changes_since_last_save:0\r\n"));
}
