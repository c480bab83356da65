//! Wake-ups across workers: one session's command reaches a client served by another ring.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{assert_closed, expect_lines, frame, read_line, roundtrip, serve};
use lode_core::config::Config;

/// Clients are dealt round-robin: with two workers, consecutive connections (each confirmed
/// with a reply before the next connects) land on different workers.
#[test]
fn blpop_served_by_rpush_from_another_worker() {
    let s = serve(Config::default(), 2);
    let mut a = s.tcp();
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    let mut b = s.unix();
    roundtrip(&mut b, b"PING\r\n", b"+PONG\r\n");

    // A blocks, with a PING pipelined behind the BLPOP: it must run once the pop is served.
    let mut req = frame(&[b"BLPOP", b"q", b"0"]);
    req.extend_from_slice(&frame(&[b"PING"]));
    a.write_all(&req).expect("write");
    std::thread::sleep(Duration::from_millis(100));
    roundtrip(&mut b, &frame(&[b"RPUSH", b"q", b"hello"]), b":1\r\n");
    let expect = b"*2\r\n$1\r\nq\r\n$5\r\nhello\r\n+PONG\r\n";
    expect_lines(&mut a, expect);
    s.stop();
}

/// Bytes that arrive while the client is blocked wait in its input; the wake-up from the
/// other worker must deliver the pop and then run them (no bytes lost to the receive that
/// was in flight when the wake came).
#[test]
fn input_received_while_blocked_runs_after_the_wake() {
    let s = serve(Config::default(), 2);
    let mut a = s.unix();
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    let mut b = s.tcp();
    roundtrip(&mut b, b"PING\r\n", b"+PONG\r\n");
    a.write_all(&frame(&[b"BLPOP", b"q", b"0"])).expect("write");
    std::thread::sleep(Duration::from_millis(100));
    // Arrives in two pieces, each completing a receive while A is blocked.
    a.write_all(b"*2\r\n$4\r\nECHO\r\n").expect("write");
    std::thread::sleep(Duration::from_millis(50));
    a.write_all(b"$2\r\nhi\r\n").expect("write");
    std::thread::sleep(Duration::from_millis(50));
    roundtrip(&mut b, &frame(&[b"LPUSH", b"q", b"x"]), b":1\r\n");
    let expect = b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n$2\r\nhi\r\n";
    expect_lines(&mut a, expect);
    s.stop();
}

/// The cron wakes every client when `timeout` changes, so an idle client that had no
/// deadline learns it has one.
#[test]
fn config_set_timeout_reaches_idle_clients() {
    let s = serve(Config::default(), 2);
    let mut idle = s.tcp();
    roundtrip(&mut idle, b"PING\r\n", b"+PONG\r\n");
    let mut admin = s.tcp();
    roundtrip(
        &mut admin,
        &frame(&[b"CONFIG", b"SET", b"timeout", b"1"]),
        b"+OK\r\n",
    );
    assert_closed(&mut idle);
    s.stop();
}

#[test]
fn blpop_timeout_fires() {
    let s = serve(Config::default(), 1);
    let mut a = s.tcp();
    roundtrip(&mut a, &frame(&[b"BLPOP", b"none", b"0.2"]), b"*-1\r\n");
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    s.stop();
}

#[test]
fn client_kill_id_closes_a_client_on_another_worker() {
    let s = serve(Config::default(), 3);
    let mut a = s.tcp();
    a.write_all(&frame(&[b"CLIENT", b"ID"])).expect("write");
    let line = read_line(&mut a);
    let id = std::str::from_utf8(&line[1..line.len() - 2])
        .expect("utf8")
        .to_string();
    let mut b = s.tcp();
    roundtrip(&mut b, b"PING\r\n", b"+PONG\r\n");
    roundtrip(
        &mut b,
        &frame(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()]),
        b":1\r\n",
    );
    // A is idle (a receive in flight, nothing to send): only the wake-up can close it.
    assert_closed(&mut a);
    roundtrip(&mut b, b"PING\r\n", b"+PONG\r\n");
    s.stop();
}

/// Many rounds of block-then-push between two workers, without pauses, so the wake-up
/// races the connection task's own polling: a lost wake-up hangs a round (and fails it).
#[test]
fn cross_worker_wakeups_are_not_lost() {
    let s = serve(Config::default(), 2);
    let mut a = s.tcp();
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    let mut b = s.tcp();
    roundtrip(&mut b, b"PING\r\n", b"+PONG\r\n");
    for i in 0..300 {
        let v = format!("{i:03}");
        a.write_all(&frame(&[b"BLPOP", b"q", b"0"])).expect("write");
        if i % 2 == 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
        roundtrip(&mut b, &frame(&[b"RPUSH", b"q", v.as_bytes()]), b":1\r\n");
        expect_lines(&mut a, format!("*2\r\n$1\r\nq\r\n$3\r\n{v}\r\n").as_bytes());
    }
    s.stop();
}

/// A blocked client that hangs up is noticed by its receive: its session ends, and a later
/// push is not handed to it.
#[test]
fn blocked_client_that_hangs_up_is_dropped() {
    let s = serve(Config::default(), 2);
    let mut a = s.tcp();
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    let mut b = s.tcp();
    roundtrip(&mut b, b"PING\r\n", b"+PONG\r\n");
    a.write_all(&frame(&[b"BLPOP", b"q", b"0"])).expect("write");
    std::thread::sleep(Duration::from_millis(50));
    drop(a);
    let mut gone = false;
    for _ in 0..100 {
        if s.server.clients.len() == 1 {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone, "hung-up client still registered");
    roundtrip(&mut b, &frame(&[b"RPUSH", b"q", b"v"]), b":1\r\n");
    roundtrip(&mut b, &frame(&[b"LLEN", b"q"]), b":1\r\n");
    s.stop();
}
