//! The server through the blocking client (what the conformance suite uses).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use common::Fixture;
use lode_transport_quic::client::blocking::{Client, Session};
use lode_transport_quic::ClientAuth;

fn session(client: &Client) -> Session {
    let mut s = client.open_session().expect("session");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

fn expect(s: &mut Session, want: &[u8]) {
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).expect("read");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

#[test]
fn ping_set_get_and_pipelining() {
    let fx = Fixture::start(ClientAuth::No);
    let client = Client::connect(fx.addr, &fx.client_options()).expect("connect");
    let mut s = session(&client);
    s.write_all(b"PING\r\n").expect("write");
    expect(&mut s, b"+PONG\r\n");
    s.write_all(&common::cmd(&[b"SET", b"k", b"hello"]))
        .expect("write");
    expect(&mut s, b"+OK\r\n");
    s.write_all(&common::cmd(&[b"GET", b"k"])).expect("write");
    expect(&mut s, b"$5\r\nhello\r\n");
    s.write_all(&b"*1\r\n$4\r\nPING\r\n".repeat(1000))
        .expect("write");
    expect(&mut s, &b"+PONG\r\n".repeat(1000));
}

#[test]
fn read_timeout_then_eof_after_shutdown_write() {
    let fx = Fixture::start(ClientAuth::No);
    let client = Client::connect(fx.addr, &fx.client_options()).expect("connect");
    let mut s = session(&client);
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    let err = s.read(&mut buf).expect_err("nothing to read");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"PING\r\n").expect("write");
    s.shutdown_write().expect("shutdown");
    let mut all = Vec::new();
    s.read_to_end(&mut all).expect("read to end");
    assert_eq!(all, b"+PONG\r\n");
}

#[test]
fn two_sessions_and_quit() {
    let fx = Fixture::start(ClientAuth::No);
    let client = Client::connect(fx.addr, &fx.client_options()).expect("connect");
    let mut a = session(&client);
    let mut b = session(&client);
    a.write_all(b"SELECT 2\r\nSET k a\r\n").expect("write");
    expect(&mut a, b"+OK\r\n+OK\r\n");
    b.write_all(b"GET k\r\n").expect("write");
    expect(&mut b, b"$-1\r\n");
    a.write_all(b"QUIT\r\n").expect("write");
    let mut all = Vec::new();
    a.read_to_end(&mut all).expect("read to end");
    assert_eq!(all, b"+OK\r\n");
    assert!(common::wait_until(|| fx.server.clients.len() == 1));
    b.write_all(b"PING\r\n").expect("write");
    expect(&mut b, b"+PONG\r\n");
}
