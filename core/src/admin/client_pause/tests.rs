//! CLIENT PAUSE and UNPAUSE: who waits, how a paused session resumes, what a pause does to
//! expiry.

use crate::admin::client_cmd::tests::{field, field_line};
use crate::testkit::{server, TestClient};

fn blocked(c: &TestClient) -> usize {
    c.session.server().keyspace.blocking.blocked_clients()
}

#[test]
fn errors_as_redis_words_them() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    for (args, reply) in [
        (
            &["abc"][..],
            "-ERR timeout is not an integer or out of range",
        ),
        (&["1.5"], "-ERR timeout is not an integer or out of range"),
        (&["-1"], "-ERR timeout is negative"),
        (
            &["10", "foo"],
            "-ERR CLIENT PAUSE mode must be WRITE or ALL",
        ),
        // The mode is checked first.
        (
            &["abc", "foo"],
            "-ERR CLIENT PAUSE mode must be WRITE or ALL",
        ),
        (
            &["10", "write", "x"],
            "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
        ),
        (
            &[],
            "-ERR wrong number of arguments for 'client|pause' command",
        ),
        (&["0"], "+OK"),
    ] {
        let mut cmd = vec!["CLIENT", "PAUSE"];
        cmd.extend_from_slice(args);
        assert_eq!(a.cmd(&cmd), format!("{reply}\r\n"), "{args:?}");
    }
    assert_eq!(
        a.cmd(&["CLIENT", "UNPAUSE", "x"]),
        "-ERR wrong number of arguments for 'client|unpause' command\r\n"
    );
    // A zero timeout pauses nothing, nor one whose end overflows (Redis wraps it).
    assert_eq!(a.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(
        a.cmd(&["CLIENT", "PAUSE", "9223372036854775000", "WRITE"]),
        "+OK\r\n"
    );
    assert_eq!(a.cmd(&["SET", "k", "v"]), "+OK\r\n");
}

#[test]
fn write_pause_holds_writes_until_unpause() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    let idb = b.session.id().to_string();
    assert_eq!(a.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
    // Reads, PING and INFO-like commands go on.
    assert_eq!(b.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(b.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(blocked(&b), 0);
    // A write waits, and so does what follows it in the pipeline.
    let get = crate::testkit::frame(&["GET", "k"]);
    let mut pipeline = crate::testkit::frame(&["SET", "k", "w"]);
    pipeline.extend_from_slice(&get);
    assert!(b.raw(&pipeline).is_empty());
    assert_eq!(blocked(&b), 1);
    let line = field_line(&a.cmd(&["CLIENT", "LIST", "ID", &idb])).to_owned();
    assert_eq!(field(&line, "flags"), "b", "{line}");
    assert_eq!(field(&line, "cmd"), "set");
    assert_eq!(field(&line, "argv-mem"), "5");
    // What waits behind it stays in the query buffer.
    assert_eq!(field(&line, "qbuf"), get.len().to_string());
    // Until its deadline or a wake-up, polling changes nothing.
    assert_eq!(b.poll(), "");
    assert_eq!(a.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(a.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(b.poll(), "+OK\r\n$1\r\nw\r\n");
    assert_eq!(blocked(&b), 0);
    let line = field_line(&a.cmd(&["CLIENT", "LIST", "ID", &idb])).to_owned();
    assert_eq!(field(&line, "flags"), "N", "{line}");
}

#[test]
fn may_replicate_commands_wait_and_errors_do_not() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
    // A command refused before it would run gets its error at once.
    assert_eq!(
        b.cmd(&["SET", "k"]),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(b.cmd(&["PUBLISH", "ch", "m"]), "");
    assert_eq!(a.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(b.poll(), ":0\r\n");
}

#[test]
fn all_pause_holds_everything_until_it_times_out() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "500"]), "+OK\r\n");
    let end = a.now.ms() + 500;
    assert_eq!(b.cmd(&["PING"]), "");
    // Even the pausing client, even its UNPAUSE: only time ends an ALL pause.
    assert_eq!(a.cmd(&["CLIENT", "UNPAUSE"]), "");
    assert_eq!(
        b.session.poll_timeout(),
        Some(crate::clock::Now::from_ms(end + 1))
    );
    b.advance_ms(500);
    assert_eq!(
        b.fire_timeout(),
        "",
        "still paused through its last millisecond"
    );
    b.advance_ms(1);
    assert_eq!(b.fire_timeout(), "+PONG\r\n");
    a.advance_ms(501);
    assert_eq!(a.fire_timeout(), "+OK\r\n");
    assert_eq!(blocked(&a), 0);
}

#[test]
fn transactions_wait_at_exec_only_when_they_write() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    let mut c = TestClient::new(&srv);
    assert_eq!(b.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(b.cmd(&["SET", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
    // Read-only transactions run.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+QUEUED\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), "*2\r\n+PONG\r\n$-1\r\n");
    // One with a write waits at EXEC.
    assert_eq!(b.cmd(&["EXEC"]), "");
    // Queueing a write waits too, as in Redis (the check comes before queueing).
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DEL", "k"]), "");
    assert_eq!(blocked(&a), 2);
    assert_eq!(a.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(b.poll(), "*1\r\n+OK\r\n");
    assert_eq!(c.poll(), "+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), "*1\r\n:1\r\n");
}

#[test]
fn a_pause_set_inside_a_transaction_starts_after_it() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(a.cmd(&["SET", "k1", "v"]), "+QUEUED\r\n");
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "60000", "WRITE"]), "+QUEUED\r\n");
    assert_eq!(a.cmd(&["SET", "k2", "v"]), "+QUEUED\r\n");
    assert_eq!(a.cmd(&["EXEC"]), "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
    assert_eq!(b.cmd(&["SET", "k3", "v"]), "");
    assert_eq!(
        a.cmd(&["MGET", "k1", "k2", "k3"]),
        "*3\r\n$1\r\nv\r\n$1\r\nv\r\n$-1\r\n"
    );
    assert_eq!(a.cmd(&["SET", "k4", "v"]), "");
}

#[test]
fn expiry_deletes_nothing_during_a_pause() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    assert_eq!(a.cmd(&["SET", "foo", "v", "PX", "10"]), "+OK\r\n");
    assert_eq!(a.cmd(&["SET", "bar", "v", "PX", "10"]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "50000", "WRITE"]), "+OK\r\n");
    a.advance_ms(100);
    b.advance_ms(100);
    let expired = || {
        srv.keyspace
            .expired_keys
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    // Logically gone, physically kept: reads, SCAN and the active cycle delete nothing.
    assert_eq!(b.cmd(&["GET", "foo"]), "$-1\r\n");
    assert_eq!(b.cmd(&["EXISTS", "foo", "bar"]), ":0\r\n");
    assert_eq!(b.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(
        b.cmd(&["SCAN", "0", "TYPE", "none"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(b.cmd(&["RANDOMKEY"]), "$-1\r\n");
    srv.tick(b.now);
    assert_eq!(b.cmd(&["DBSIZE"]), ":2\r\n");
    assert_eq!(expired(), 0);
    assert_eq!(a.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(b.cmd(&["GET", "foo"]), "$-1\r\n");
    assert_eq!(b.cmd(&["GET", "bar"]), "$-1\r\n");
    assert_eq!(expired(), 2);
    assert_eq!(b.cmd(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn the_active_cycle_resumes_when_the_pause_times_out() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    assert_eq!(a.cmd(&["SET", "foo", "v", "PX", "10"]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "1000", "WRITE"]), "+OK\r\n");
    a.advance_ms(500);
    srv.tick(a.now);
    assert_eq!(a.cmd(&["DBSIZE"]), ":1\r\n");
    a.advance_ms(501);
    srv.tick(a.now);
    assert_eq!(a.cmd(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn replicas_and_monitors_are_never_paused() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut m = TestClient::new(&srv);
    assert_eq!(m.cmd(&["MONITOR"]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000"]), "+OK\r\n");
    assert!(m.cmd(&["PING"]).contains("+PONG\r\n"));
}

#[test]
fn a_paused_session_that_disconnects_leaves_no_count() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
    assert_eq!(b.cmd(&["SET", "k", "v"]), "");
    assert_eq!(blocked(&a), 1);
    drop(b);
    assert_eq!(blocked(&a), 0);
}

#[test]
fn a_paused_client_is_still_held_to_the_query_buffer_limit() {
    let srv = server();
    srv.config.write().client_query_buffer_limit = 100;
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
    assert_eq!(b.cmd(&["SET", "k", "v"]), "");
    assert!(!b.session.is_closing());
    // Complete commands waiting behind the paused one count too: they are not parsed.
    let pings = b"PING\r\n".repeat(20);
    assert!(b.raw(&pings).is_empty());
    assert!(b.session.is_closing());
    assert_eq!(blocked(&a), 1);
    drop(b);
    assert_eq!(blocked(&a), 0);
}
