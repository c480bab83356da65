//! Serving basics over io_uring: pipelining, QUIT, shutdown, and changing TCP listeners.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{assert_closed, roundtrip, serve};
use lode_core::config::Config;

fn pings(n: usize) -> (Vec<u8>, Vec<u8>) {
    (b"*1\r\n$4\r\nPING\r\n".repeat(n), b"+PONG\r\n".repeat(n))
}

fn pipelined_pings_then_shutdown(threads: usize) {
    let s = serve(Config::default(), threads);
    let (one, pong) = pings(1);
    let (many, pongs) = pings(500);
    // More clients than threads on each socket type, so every worker serves both kinds.
    let mut tcp: Vec<_> = (0..4).map(|_| s.tcp()).collect();
    let mut unix: Vec<_> = (0..4).map(|_| s.unix()).collect();
    for c in tcp.iter_mut() {
        roundtrip(c, &one, &pong);
        roundtrip(c, &many, &pongs);
    }
    for c in unix.iter_mut() {
        roundtrip(c, &one, &pong);
        roundtrip(c, &many, &pongs);
    }
    assert_eq!(s.server.clients.len(), 8);
    let (port, server) = (s.port, s.server.clone());
    s.stop();
    // Every session was dropped with its worker, leaving the client registry.
    assert_eq!(server.clients.len(), 0);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening after shutdown"
    );
    for c in tcp.iter_mut() {
        assert_closed(c);
    }
    for c in unix.iter_mut() {
        assert_closed(c);
    }
}

#[test]
fn pipelined_pings_one_worker() {
    pipelined_pings_then_shutdown(1);
}

#[test]
fn pipelined_pings_three_workers() {
    pipelined_pings_then_shutdown(3);
}

#[test]
fn quit_flushes_its_reply_before_closing() {
    let s = serve(Config::default(), 2);
    for mut c in [s.tcp(), s.tcp()] {
        c.write_all(b"PING\r\nQUIT\r\nPING\r\n").expect("write");
        let mut all = Vec::new();
        let _ = c.read_to_end(&mut all);
        assert_eq!(all, b"+PONG\r\n+OK\r\n");
    }
    let mut u = s.unix();
    u.write_all(b"QUIT\r\n").expect("write");
    let mut all = Vec::new();
    let _ = u.read_to_end(&mut all);
    assert_eq!(all, b"+OK\r\n");
    s.stop();
}

#[test]
fn shutdown_closes_an_idle_client_mid_command() {
    let s = serve(Config::default(), 2);
    let mut c = s.tcp();
    // Half a command: the worker has a receive in flight when it is told to stop.
    c.write_all(b"*1\r\n$4\r\nPI").expect("write");
    std::thread::sleep(Duration::from_millis(50));
    s.stop();
    assert_closed(&mut c);
}

/// Whether this process still has the socket with inode `ino` open.
fn socket_open(ino: u64) -> bool {
    let want = format!("socket:[{ino}]");
    std::fs::read_dir("/proc/self/fd")
        .expect("fds")
        .flatten()
        .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy() == want))
}

#[test]
fn close_tcp_then_serve_tcp_on_a_new_listener() {
    use std::os::unix::fs::MetadataExt;
    let s = serve(Config::default(), 2);
    let control = s.running.control();
    let mut old = s.tcp();
    roundtrip(&mut old, b"PING\r\n", b"+PONG\r\n");
    // The listener's socket inode, found through the accepted connection's local port.
    let ino = std::fs::read_dir("/proc/self/fd")
        .expect("fds")
        .flatten()
        .filter_map(|e| std::fs::metadata(e.path()).ok())
        .map(|m| m.ino())
        .find(|&ino| listening_inode(ino, s.port))
        .expect("listener socket");
    control.close_tcp();
    // The accept in flight on the ring fails, and the loop drops (closes) the socket.
    let mut closed = false;
    for _ in 0..100 {
        if !socket_open(ino) {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(closed, "listener socket still open after close_tcp");
    // The address is free at once, and nobody accepts there any more.
    let mut refused = false;
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", s.port)).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(refused, "old port still accepting after close_tcp");
    // Existing clients stay connected.
    roundtrip(&mut old, b"PING\r\n", b"+PONG\r\n");
    let l = std::net::TcpListener::bind(("127.0.0.1", s.port)).expect("rebind freed port");
    l.set_nonblocking(true).expect("nonblocking");
    control.serve_tcp(vec![l]);
    let mut new = s.tcp();
    roundtrip(&mut new, b"PING\r\n", b"+PONG\r\n");
    s.stop();
}

/// Commands split at every kind of boundary across receives (values from 1 byte to past the
/// receive size), pipelined both ways: every value comes back intact and in order.
#[test]
fn pipelined_values_of_many_sizes_round_trip() {
    let s = serve(Config::default(), 2);
    let mut c = s.unix();
    let sizes: Vec<usize> = (0..120).map(|i| 1 + (i * 7919) % 70_000).collect();
    let value =
        |i: usize, n: usize| -> Vec<u8> { (0..n).map(|j| b'a' + ((i + j) % 26) as u8).collect() };
    let mut sets = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        sets.extend_from_slice(&common::frame(&[
            b"SET",
            format!("k{i}").as_bytes(),
            &value(i, n),
        ]));
    }
    roundtrip(&mut c, &sets, &b"+OK\r\n".repeat(sizes.len()));
    let mut gets = Vec::new();
    let mut expect = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        gets.extend_from_slice(&common::frame(&[b"GET", format!("k{i}").as_bytes()]));
        expect.extend_from_slice(format!("${n}\r\n").as_bytes());
        expect.extend_from_slice(&value(i, n));
        expect.extend_from_slice(b"\r\n");
    }
    // Written from another thread: the replies are several MiB, more than the socket
    // buffers hold while the requests are still being written.
    let mut w = c.try_clone().expect("clone");
    let writer = std::thread::spawn(move || w.write_all(&gets).expect("write gets"));
    let mut got = vec![0u8; expect.len()];
    c.read_exact(&mut got).expect("read values");
    writer.join().expect("writer");
    assert!(got == expect, "values differ");
    s.stop();
}

/// Whether `ino` is the socket listening on 127.0.0.1:`port` (per /proc/net/tcp).
fn listening_inode(ino: u64, port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("tcp table");
    let local = format!("0100007F:{port:04X}");
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        // local_address, st (0A = LISTEN), inode
        f.len() > 9 && f[1] == local && f[3] == "0A" && f[9] == ino.to_string()
    })
}
