//! Keyspace notifications per command, asserted as the exact (channel, message) sequence a
//! command sequence publishes, through the `capture` seam (Pub/Sub delivery is not needed).
//! Expectations follow Redis 7.0.15's notifyKeyspaceEvent calls.

mod generic;
mod lists;
mod sets_hashes;
mod strings;
mod zsets;

use std::sync::Arc;

use super::capture;
use crate::config::{value::notify_flags, Config};
use crate::server::Server;
use crate::testkit::{server_with, TestClient};

/// A server with `notify-keyspace-events` set to `flags`, a client, and recording on.
pub(super) struct Fixture {
    pub srv: Arc<Server>,
    pub c: TestClient,
}

/// A fixture with `flags` ("KEA", "E$", ...).
pub(super) fn fixture(flags: &str) -> Fixture {
    let config = Config {
        notify_keyspace_events: notify_flags(flags).unwrap_or(0),
        ..Config::default()
    };
    let srv = server_with(config);
    let c = TestClient::new(&srv);
    capture::start();
    Fixture { srv, c }
}

/// What was published, each as "channel message"; database 0's keyevent channel is shortened
/// to "event key", the form most assertions use.
pub(super) fn published() -> Vec<String> {
    capture::take()
        .into_iter()
        .map(
            |(channel, message)| match channel.strip_prefix("__keyevent@0__:") {
                Some(event) => format!("{event} {message}"),
                None => format!("{channel} {message}"),
            },
        )
        .collect()
}

impl Fixture {
    /// Runs `cmd` and returns its raw reply, recording its events (read them with `events`).
    pub fn run(&mut self, cmd: &[&str]) -> String {
        self.c.cmd(cmd)
    }

    /// Runs `setup` with nothing recorded, then `cmd`; what `cmd` published.
    pub fn after(&mut self, setup: &[&[&str]], cmd: &[&str]) -> Vec<String> {
        for s in setup {
            self.c.cmd(s);
        }
        capture::take();
        self.c.cmd(cmd);
        published()
    }

    /// What `cmd` published.
    pub fn events(&mut self, cmd: &[&str]) -> Vec<String> {
        self.after(&[], cmd)
    }
}

#[test]
fn keyspace_and_keyevent_channels_as_redis_names_them() {
    let mut f = fixture("KEA");
    assert_eq!(
        f.events(&["SET", "k", "v"]),
        ["__keyspace@0__:k set", "set k"]
    );
    f.run(&["SELECT", "3"]);
    assert_eq!(
        f.events(&["INCR", "n"]),
        ["__keyspace@3__:n incrby", "__keyevent@3__:incrby n"]
    );
}

#[test]
fn k_alone_or_e_alone_publish_on_one_channel() {
    let mut f = fixture("K$");
    assert_eq!(f.events(&["SET", "k", "v"]), ["__keyspace@0__:k set"]);
    let mut f = fixture("E$");
    assert_eq!(f.events(&["SET", "k", "v"]), ["set k"]);
}

#[test]
fn classes_filter_events() {
    // Strings only: SET's `expire` (generic) and the list push are not published.
    let mut f = fixture("E$");
    assert_eq!(f.events(&["SET", "k", "v", "EX", "10"]), ["set k"]);
    assert!(f.events(&["LPUSH", "l", "a"]).is_empty());
    assert!(f.events(&["DEL", "k"]).is_empty());
    // Generic only.
    let mut f = fixture("Eg");
    assert_eq!(f.events(&["SET", "k", "v", "EX", "10"]), ["expire k"]);
    // Classes without K or E publish nothing.
    let mut f = fixture("A");
    assert!(f.events(&["SET", "k", "v"]).is_empty());
    // Off.
    let mut f = fixture("");
    assert!(f.events(&["SET", "k", "v"]).is_empty());
}

#[test]
fn new_and_keymiss_only_when_named_not_with_a() {
    let mut f = fixture("EA");
    assert_eq!(f.events(&["SET", "k", "v"]), ["set k"]);
    assert!(f.events(&["GET", "missing"]).is_empty());
    let mut f = fixture("En");
    assert_eq!(f.events(&["SET", "k", "v"]), ["new k"]);
    assert!(f.events(&["SET", "k", "w"]).is_empty());
    assert_eq!(f.events(&["RPUSH", "l", "a"]), ["new l"]);
    let mut f = fixture("Em");
    assert_eq!(f.events(&["GET", "missing"]), ["keymiss missing"]);
    assert!(f.events(&["SET", "k", "v"]).is_empty());
    assert!(f.events(&["GET", "k"]).is_empty());
    let mut f = fixture("KEnm$");
    assert_eq!(
        f.events(&["SET", "k", "v", "GET"]),
        [
            "__keyspace@0__:k keymiss",
            "keymiss k",
            "__keyspace@0__:k new",
            "new k",
            "__keyspace@0__:k set",
            "set k"
        ]
    );
}

#[test]
fn config_set_switches_notifications_on_and_off() {
    let mut f = fixture("");
    assert!(f.events(&["SET", "k", "v"]).is_empty());
    assert_eq!(
        f.run(&["CONFIG", "SET", "notify-keyspace-events", "E$"]),
        "+OK\r\n"
    );
    assert_eq!(f.events(&["SET", "k", "v"]), ["set k"]);
    f.run(&["CONFIG", "SET", "notify-keyspace-events", ""]);
    assert!(f.events(&["SET", "k", "v"]).is_empty());
}

#[test]
fn read_misses_publish_keymiss_where_redis_looks_up_for_reading() {
    let mut f = fixture("Em");
    for cmd in [
        &["GET", "x"][..],
        &["MGET", "x"],
        &["STRLEN", "x"],
        &["LRANGE", "x", "0", "-1"],
        &["HGET", "x", "f"],
        &["SMEMBERS", "x"],
        &["ZRANGE", "x", "0", "-1"],
        &["EXISTS", "x"],
        &["TYPE", "x"],
        &["TTL", "x"],
        &["DUMP", "x"],
        &["GETDEL", "x"],
        &["GETEX", "x"],
    ] {
        assert_eq!(f.events(cmd), ["keymiss x"], "{cmd:?}");
    }
    // Write lookups and OBJECT's do not report a miss.
    for cmd in [
        &["OBJECT", "ENCODING", "x"][..],
        &["LPOP", "x"],
        &["INCR", "y"],
        &["EXPIRE", "x", "10"],
        &["RENAME", "x", "z"],
    ] {
        assert!(f.events(cmd).is_empty(), "{cmd:?}");
    }
    // Redis reads every source of a *STORE command.
    assert_eq!(
        f.events(&["SUNIONSTORE", "d", "x", "y2"]),
        ["keymiss x", "keymiss y2"]
    );
}
