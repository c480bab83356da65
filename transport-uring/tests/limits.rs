//! Backpressure, the idle timeout, and maxclients.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{assert_closed, frame, roundtrip, serve};
use lode_core::config::Config;

/// 300 GETs of a 1 MiB value, written before any reply is read: far past the output pause
/// threshold, so the session pauses, the output drains, and the paused commands resume.
#[test]
fn pipelined_big_gets_all_answered() {
    const VALUE: usize = 1 << 20;
    const GETS: usize = 300;
    let s = serve(Config::default(), 2);
    let mut c = s.tcp();
    roundtrip(
        &mut c,
        &frame(&[b"SET", b"k", &vec![b'v'; VALUE]]),
        b"+OK\r\n",
    );
    let mut batch = frame(&[b"GET", b"k"]).repeat(GETS);
    batch.extend_from_slice(b"PING\r\n");
    c.write_all(&batch).expect("write batch");
    let head = format!("${VALUE}\r\n");
    let reply_len = head.len() + VALUE + 2;
    let mut reply = vec![0u8; reply_len];
    for i in 0..GETS {
        c.read_exact(&mut reply)
            .unwrap_or_else(|e| panic!("reply {i} stalled: {e}"));
        assert!(reply.starts_with(head.as_bytes()), "reply {i} header");
        assert!(reply[head.len()..head.len() + VALUE]
            .iter()
            .all(|&b| b == b'v'));
    }
    let mut pong = [0u8; 7];
    c.read_exact(&mut pong).expect("pong");
    assert_eq!(&pong, b"+PONG\r\n");
    s.stop();
}

#[test]
fn idle_timeout_closes_an_idle_client() {
    let config = Config {
        timeout: 1,
        ..Config::default()
    };
    let s = serve(config, 2);
    let mut idle = s.tcp();
    // Measured from before the PING: the server's idle clock restarts when it reads the PING,
    // which is no earlier than this, however late a busy worker sends the reply.
    let started = Instant::now();
    roundtrip(&mut idle, b"PING\r\n", b"+PONG\r\n");
    assert_closed(&mut idle);
    // Closed by the timeout, not by anything sooner.
    assert!(started.elapsed() >= Duration::from_millis(500));
    s.stop();
}

#[test]
fn maxclients_refuses_with_redis_line() {
    let config = Config {
        maxclients: 1,
        ..Config::default()
    };
    let s = serve(config, 2);
    let mut first = s.tcp();
    roundtrip(&mut first, b"PING\r\n", b"+PONG\r\n");
    for mut extra in [s.tcp().into_any(), s.unix().into_any()] {
        let mut all = Vec::new();
        let _ = extra.read_to_end(&mut all);
        assert_eq!(all, lode_core::admission::MAXCLIENTS_ERR);
    }
    roundtrip(&mut first, b"PING\r\n", b"+PONG\r\n");
    s.stop();
}

/// Either stream type, to loop over both.
trait IntoAny: Read + Sized + 'static {
    fn into_any(self) -> Box<dyn Read> {
        Box::new(self)
    }
}

impl IntoAny for std::net::TcpStream {}
impl IntoAny for std::os::unix::net::UnixStream {}
