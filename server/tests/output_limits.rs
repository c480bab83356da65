//! `client-output-buffer-limit` over real sockets: a client that never reads is disconnected
//! at its class's limit, logged as Redis logs it, and its buffered output is freed.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{request, tcp, Server};

/// Waits until no client line of CLIENT LIST contains `needle`. (The client's own socket may
/// see its end of stream only much later: the kernel still holds what was sent before the
/// close, and delivers it through the tiny window of a client that does not read.)
fn gone_within(server: &Server, needle: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if !client_list(server).contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn client_list(server: &Server) -> String {
    let mut c = tcp(server);
    c.write_all(b"CLIENT LIST\r\n").expect("write");
    let mut buf = vec![0u8; 65536];
    let n = c.read(&mut buf).expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn a_normal_client_that_never_reads_is_disconnected_at_the_hard_limit() {
    let server = Server::start(&["--client-output-buffer-limit", "normal 10mb 5mb 5"]);
    let mut c = tcp(&server);
    let value = vec![b'v'; 1 << 20];
    let mut set = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", value.len()).into_bytes();
    set.extend_from_slice(&value);
    set.extend_from_slice(b"\r\n");
    assert_eq!(request(&mut c, &set, 5), b"+OK\r\n");
    // A small receive buffer, and 400 GETs of 1 MB that are never read.
    let slow = tcp(&server);
    socket2::SockRef::from(&slow)
        .set_recv_buffer_size(4096)
        .expect("rcvbuf");
    let mut slow = slow;
    let gets = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(400);
    slow.write_all(&gets).expect("write");
    assert!(
        gone_within(&server, "cmd=get", Duration::from_secs(10)),
        "the client was not disconnected"
    );
    let log = server.logs_with("overcoming of output buffer limits");
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
        "{log}"
    );
}

#[test]
fn a_subscriber_that_never_reads_is_disconnected_at_the_hard_limit() {
    let server = Server::start(&["--client-output-buffer-limit", "pubsub 4mb 1mb 60"]);
    let sub = tcp(&server);
    socket2::SockRef::from(&sub)
        .set_recv_buffer_size(4096)
        .expect("rcvbuf");
    let mut sub = sub;
    sub.write_all(b"SUBSCRIBE ch\r\n").expect("write");
    let mut publisher = tcp(&server);
    let msg = vec![b'm'; 4096];
    let mut publish = format!("*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n${}\r\n", msg.len()).into_bytes();
    publish.extend_from_slice(&msg);
    publish.extend_from_slice(b"\r\n");
    // 64 MB published, 16 times the hard limit.
    for _ in 0..16_384 {
        publisher.write_all(&publish).expect("publish");
        let mut reply = [0u8; 4];
        publisher.read_exact(&mut reply).expect("reply");
    }
    assert!(gone_within(&server, "flags=P", Duration::from_secs(10)));
    assert_eq!(request(&mut publisher, b"PUBLISH ch x\r\n", 4), b":0\r\n");
    drop(sub);
}
