//! Shared helpers: a served in-process `Server`, and blocking clients.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lode_core::config::Config;
use lode_core::server::NullHost;
use lode_core::Server;
use lode_transport_uring::{now, probe, start, Options, Running};

/// A served server and where to reach it.
pub struct Served {
    pub running: Running,
    pub server: Arc<Server>,
    pub port: u16,
    pub path: PathBuf,
}

impl Served {
    /// Shuts the transport down and removes the socket file.
    pub fn stop(self) {
        self.running.shutdown();
        let _ = std::fs::remove_file(&self.path);
    }

    pub fn tcp(&self) -> TcpStream {
        let t = TcpStream::connect(("127.0.0.1", self.port)).expect("connect tcp");
        t.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        t
    }

    pub fn unix(&self) -> UnixStream {
        let u = UnixStream::connect(&self.path).expect("connect unix");
        u.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        u
    }
}

fn sock_path() -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("lode-uring-{}-{n}.sock", std::process::id()))
}

/// Serves a fresh server with `config` on a loopback TCP port and a Unix socket.
pub fn serve(config: Config, threads: usize) -> Served {
    // io_uring works on this machine and on CI: a refusal is a failure, never a skip.
    probe().expect("io_uring must be available for these tests");
    let server = Arc::new(Server::new(config, 7, Box::new(NullHost), now()));
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind tcp");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let path = sock_path();
    let u = std::os::unix::net::UnixListener::bind(&path).expect("bind unix");
    u.set_nonblocking(true).expect("nonblocking");
    let running = start(
        server.clone(),
        vec![l],
        Some((u, path.display().to_string())),
        &Options { threads },
    )
    .expect("start");
    Served {
        running,
        server,
        port,
        path,
    }
}

/// A RESP request frame.
pub fn frame(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Writes `req` and reads exactly `expect.len()` bytes, which must equal `expect`.
pub fn roundtrip<S: Read + Write>(s: &mut S, req: &[u8], expect: &[u8]) {
    s.write_all(req).expect("write");
    let mut buf = vec![0u8; expect.len()];
    s.read_exact(&mut buf).expect("read reply");
    assert_eq!(
        String::from_utf8_lossy(&buf),
        String::from_utf8_lossy(expect)
    );
}

/// Reads one line (up to and including CRLF).
pub fn read_line<S: Read>(s: &mut S) -> Vec<u8> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        match s.read(&mut b) {
            Ok(1) => line.push(b[0]),
            // A signal interrupted the read before anything arrived: read again.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => panic!("connection ended mid-line: {other:?} after {line:?}"),
        }
    }
    line
}

/// Reads whole lines until `expect`'s length and compares (replies split across reads).
pub fn expect_lines<S: Read>(s: &mut S, expect: &[u8]) {
    let mut got = Vec::new();
    while got.len() < expect.len() {
        got.extend_from_slice(&read_line(s));
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expect)
    );
}

/// Asserts the peer closed the connection (EOF or reset) within the read timeout.
pub fn assert_closed<S: Read>(s: &mut S) {
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => {}
        Err(e)
            if e.kind() != std::io::ErrorKind::WouldBlock
                && e.kind() != std::io::ErrorKind::TimedOut => {}
        other => panic!("connection not closed: {other:?}"),
    }
}
