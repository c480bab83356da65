//! Plain TCP and Unix clients through the bridge to a QUIC server.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::Fixture;
use lode_transport_quic::bridge::{self, Bridge, Local};
use lode_transport_quic::ClientAuth;

fn tcp_bridge(fx: &Fixture) -> (Bridge, SocketAddr) {
    let b = bridge::start(
        Local::Tcp("127.0.0.1:0".parse().expect("addr")),
        fx.addr,
        fx.client_options(),
    )
    .expect("bridge");
    let Local::Tcp(addr) = b.local_addr() else {
        panic!("not a TCP bridge");
    };
    assert_ne!(addr.port(), 0);
    (b, addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let c = TcpStream::connect(addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c
}

fn expect<S: Read>(s: &mut S, want: &[u8]) {
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).expect("read");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

/// The number of clients CLIENT LIST shows, asked through `c`.
fn client_list_len(c: &mut TcpStream) -> usize {
    let body = bulk_reply(c, b"CLIENT LIST\r\n");
    body.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
}

fn info_clients(c: &mut TcpStream) -> Vec<u8> {
    bulk_reply(c, b"INFO clients\r\n")
}

/// Sends `request` and reads its bulk-string reply's payload.
fn bulk_reply(c: &mut TcpStream, request: &[u8]) -> Vec<u8> {
    c.write_all(request).expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") {
        c.read_exact(&mut byte).expect("read");
        head.push(byte[0]);
    }
    let len: usize = std::str::from_utf8(&head[1..head.len() - 2])
        .expect("utf8")
        .parse()
        .expect("bulk length");
    let mut body = vec![0u8; len + 2];
    c.read_exact(&mut body).expect("read");
    body.truncate(len);
    body
}

#[test]
fn pipelined_pings_through_the_bridge() {
    let fx = Fixture::start(ClientAuth::No);
    let (_bridge, addr) = tcp_bridge(&fx);
    let mut c = connect(addr);
    c.write_all(&b"*1\r\n$4\r\nPING\r\n".repeat(1000))
        .expect("write");
    expect(&mut c, &b"+PONG\r\n".repeat(1000));
    let value = vec![b'x'; 1 << 20];
    c.write_all(&common::cmd(&[b"SET", b"big", &value]))
        .expect("write");
    expect(&mut c, b"+OK\r\n");
    c.write_all(b"STRLEN big\r\n").expect("write");
    expect(&mut c, b":1048576\r\n");
}

#[test]
fn two_clients_are_independent_sessions() {
    let fx = Fixture::start(ClientAuth::No);
    let (_bridge, addr) = tcp_bridge(&fx);
    let mut a = connect(addr);
    let mut b = connect(addr);
    a.write_all(b"SELECT 3\r\nSET k a\r\n").expect("write");
    expect(&mut a, b"+OK\r\n+OK\r\n");
    b.write_all(b"GET k\r\n").expect("write");
    expect(&mut b, b"$-1\r\n");
    a.write_all(b"GET k\r\n").expect("write");
    expect(&mut a, b"$1\r\na\r\n");
    assert_eq!(client_list_len(&mut b), 2);
}

#[test]
fn client_close_ends_its_server_session() {
    let fx = Fixture::start(ClientAuth::No);
    let (_bridge, addr) = tcp_bridge(&fx);
    let mut watcher = connect(addr);
    let mut leaver = connect(addr);
    leaver.write_all(b"PING\r\n").expect("write");
    expect(&mut leaver, b"+PONG\r\n");
    assert_eq!(client_list_len(&mut watcher), 2);
    drop(leaver);
    assert!(
        common::wait_until(|| client_list_len(&mut watcher) == 1),
        "the closed client's session is still listed"
    );
}

#[test]
fn quit_closes_the_client_socket() {
    let fx = Fixture::start(ClientAuth::No);
    let (_bridge, addr) = tcp_bridge(&fx);
    let mut c = connect(addr);
    c.write_all(b"PING\r\nQUIT\r\nPING\r\n").expect("write");
    let mut all = Vec::new();
    c.read_to_end(&mut all).expect("read to end");
    assert_eq!(all, b"+PONG\r\n+OK\r\n");
}

#[test]
fn blocking_pop_through_the_bridge() {
    let fx = Fixture::start(ClientAuth::No);
    let (_bridge, addr) = tcp_bridge(&fx);
    let mut waiter = connect(addr);
    let mut pusher = connect(addr);
    // A stream reaches the server with its first bytes: the pusher speaks first, so its
    // session exists whichever stream the bridge opened first.
    pusher.write_all(b"PING\r\n").expect("write");
    expect(&mut pusher, b"+PONG\r\n");
    waiter.write_all(b"BLPOP q 20\r\nPING\r\n").expect("write");
    assert!(common::wait_until(|| fx.server.clients.len() == 2
        && String::from_utf8_lossy(&info_clients(&mut pusher))
            .contains("blocked_clients:1")));
    pusher.write_all(b"RPUSH q v\r\n").expect("write");
    expect(&mut pusher, b":1\r\n");
    expect(&mut waiter, b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n+PONG\r\n");
}

#[test]
fn unix_socket_bridge() {
    let fx = Fixture::start(ClientAuth::No);
    let path = common::temp_dir("bridge").join("lode.sock");
    let b = bridge::start(Local::Unix(path.clone()), fx.addr, fx.client_options()).expect("bridge");
    assert_eq!(b.local_addr(), Local::Unix(path.clone()));
    let mut c = UnixStream::connect(&path).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c.write_all(b"PING\r\n").expect("write");
    expect(&mut c, b"+PONG\r\n");
    b.shutdown();
    assert!(!path.exists(), "socket file left behind");
}

/// The bridge reconnects when its QUIC connection is lost (here: the server restarts on
/// the same port).
#[test]
fn bridge_reconnects_after_the_server_restarts() {
    let mut fx = Fixture::start(ClientAuth::No);
    let (_bridge, addr) = tcp_bridge(&fx);
    let mut c = connect(addr);
    c.write_all(b"PING\r\n").expect("write");
    expect(&mut c, b"+PONG\r\n");
    if let Some(r) = fx.running.take() {
        r.shutdown();
    }
    // The old client's stream died with the connection: its socket is closed.
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    assert!(rest.is_empty());
    let mut opts = common::server_options(&fx.pki, ClientAuth::No);
    opts.addrs = vec![fx.addr];
    fx.running = Some(lode_transport_quic::start(fx.server.clone(), &opts).expect("restart"));
    let mut d = connect(addr);
    d.write_all(b"PING\r\n").expect("write");
    expect(&mut d, b"+PONG\r\n");
}
