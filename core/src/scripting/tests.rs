//! Scripting behaviour that is not visible on one connection's replies: what scripts
//! propagate, the statistics their errors count in, SCRIPT KILL's rules, robustness.

use crate::testkit::{frame, server, TestClient};

/// The stream appended since `reader` last read, as one string of RESP.
fn streamed(srv: &crate::server::Server, reader: &mut crate::propagate::LogReader) -> String {
    let chunks = srv.keyspace.log.read(reader).unwrap_or_default();
    let bytes: Vec<u8> = chunks.iter().flat_map(|b| b.to_vec()).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn frames(cmds: &[&[&str]]) -> String {
    let bytes: Vec<u8> = cmds.iter().flat_map(|c| frame(c)).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn scripts_propagate_their_effects_as_one_transaction() {
    let srv = server();
    let mut reader = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    // Two writes: wrapped in MULTI/EXEC. One write: alone. Reads only: nothing.
    c.cmd(&[
        "EVAL",
        "redis.call('set','a','1'); redis.call('incr','a')",
        "0",
    ]);
    c.cmd(&["EVAL", "redis.call('set','b','2')", "0"]);
    c.cmd(&["EVAL", "return redis.call('get','a')", "0"]);
    // REPL_NONE: the change is not propagated.
    c.cmd(&[
        "EVAL",
        "redis.set_repl(redis.REPL_NONE); redis.call('set','c','3'); redis.set_repl(redis.REPL_ALL); redis.call('set','d','4')",
        "0",
    ]);
    assert_eq!(
        streamed(&srv, &mut reader),
        frames(&[
            &["SELECT", "0"],
            &["MULTI"],
            &["set", "a", "1"],
            &["incr", "a"],
            &["EXEC"],
            &["set", "b", "2"],
            &["set", "d", "4"],
        ])
    );
    assert_eq!(c.cmd(&["GET", "c"]), "$1\r\n3\r\n");
}

#[test]
fn scripts_inside_exec_join_the_transaction() {
    let srv = server();
    let mut reader = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    c.cmd(&["MULTI"]);
    c.cmd(&[
        "EVAL",
        "redis.call('set','a','1'); redis.call('set','b','2')",
        "0",
    ]);
    c.cmd(&["SET", "c", "3"]);
    assert_eq!(c.cmd(&["EXEC"]), "*2\r\n$-1\r\n+OK\r\n");
    assert_eq!(
        streamed(&srv, &mut reader),
        frames(&[
            &["SELECT", "0"],
            &["MULTI"],
            &["set", "a", "1"],
            &["set", "b", "2"],
            &["SET", "c", "3"],
            &["EXEC"],
        ])
    );
}

#[test]
fn redis_call_errors_are_counted_once() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SET", "s", "x"]);
    c.cmd(&["CONFIG", "RESETSTAT"]);
    // The command's error counts; the script returning it does not count it again.
    c.cmd(&["EVAL", "return redis.call('incr','s')", "0"]);
    // An error made by the script counts when it is returned.
    c.cmd(&["EVAL", "return redis.error_reply('MY_ERR custom')", "0"]);
    let info = c.cmd(&["INFO", "errorstats"]);
    assert!(info.contains("errorstat_ERR:count=1\r\n"), "{info}");
    assert!(info.contains("errorstat_MY_ERR:count=1\r\n"), "{info}");
    let stats = c.cmd(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_incr:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_eval:calls=2,"), "{stats}");
    assert!(stats.contains("failed_calls=2"), "{stats}");
}

#[test]
fn script_kill_rules() {
    let busy = super::Busy::default();
    assert_eq!(
        busy.kill(true),
        Err("NOTBUSY No scripts in execution right now.")
    );
    busy.begin(true);
    assert_eq!(busy.kill(false), Err(super::busy::BUSY_EVAL));
    busy.set_wrote();
    assert!(busy.kill(true).unwrap_err().starts_with("UNKILLABLE"));
    busy.end();
    busy.begin(false);
    assert_eq!(busy.kill(true), Err(super::busy::BUSY_FUNCTION));
    assert_eq!(busy.kill(false), Ok(()));
    assert!(busy.killed());
    assert!(!busy.timed_out());
    busy.set_timed_out();
    assert!(busy.timed_out());
    busy.end();
    assert!(!busy.timed_out());
}

#[test]
fn runaway_scripts_fail_cleanly() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let deep = c.cmd(&[
        "EVAL",
        "local function f() return 1 + f() end return f()",
        "0",
    ]);
    assert!(
        deep.starts_with("-ERR user_script:1: stack overflow"),
        "{deep}"
    );
    let huge_args = c.cmd(&[
        "EVAL",
        "return redis.call('echo', string.rep('x', 1000000)):len()",
        "0",
    ]);
    assert_eq!(huge_args, ":1000000\r\n");
    // 5000 levels come back whole, as from Redis; a table containing itself ends where the
    // Lua stack does.
    let nested = c.cmd(&[
        "EVAL",
        "local t = {} local c = t for i = 1, 5000 do c[1] = {} c = c[1] end return t",
        "0",
    ]);
    assert_eq!(nested, format!("{}*0\r\n", "*1\r\n".repeat(5000)));
    let cycle = c.cmd(&["EVAL", "local a = {} local b = {a} a[1] = b return a", "0"]);
    assert!(cycle.ends_with("-ERR reached lua stack limit\r\n"));
    assert!(cycle.matches("*1\r\n").count() > 5000);
    let map = c.cmd(&["EVAL", "return {map={a={set={x=true}}, [1]={1,2}}}", "0"]);
    let a = "$1\r\na\r\n*1\r\n$1\r\nx\r\n";
    let one = ":1\r\n*2\r\n:1\r\n:2\r\n";
    assert!(
        map == format!("*4\r\n{a}{one}") || map == format!("*4\r\n{one}{a}"),
        "{map}"
    );
    // The VM is still usable, and the caller's state untouched.
    assert_eq!(c.cmd(&["EVAL", "return 1", "0"]), ":1\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn script_flush_drops_globals_state_and_cache() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let sha = c.cmd(&["SCRIPT", "LOAD", "return 'x'"]);
    assert!(sha.starts_with("$40\r\n"));
    let info = c.cmd(&["INFO", "memory"]);
    assert!(info.contains("number_of_cached_scripts:1\r\n"), "{info}");
    assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    let info = c.cmd(&["INFO", "memory"]);
    assert!(info.contains("number_of_cached_scripts:0\r\n"), "{info}");
    assert!(info.contains("used_memory_lua:0\r\n"), "{info}");
}
