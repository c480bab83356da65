//! The transport in-process: bind, serve a core `Server`, shut down.

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
use lode_transport_tokio::{now, start, Flavor, Options};

fn sock_path() -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("lode-transport-{}-{n}.sock", std::process::id()))
}

fn server(config: Config) -> Arc<Server> {
    Arc::new(Server::new(config, 7, Box::new(NullHost), now()))
}

/// A listening, non-blocking Unix socket at `path`, as the binary hands it to `start`.
fn unix_only(path: &std::path::Path) -> Option<(std::os::unix::net::UnixListener, String)> {
    let l = std::os::unix::net::UnixListener::bind(path).expect("bind");
    l.set_nonblocking(true).expect("nonblocking");
    Some((l, path.display().to_string()))
}

fn ping(s: &mut UnixStream, n: usize) {
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let batch = b"*1\r\n$4\r\nPING\r\n".repeat(n);
    s.write_all(&batch).expect("write");
    let mut buf = vec![0u8; 7 * n];
    s.read_exact(&mut buf).expect("read");
    assert_eq!(buf, b"+PONG\r\n".repeat(n));
}

fn serve_and_stop(flavor: Flavor, threads: usize) {
    let path = sock_path();
    let running = start(
        server(Config::default()),
        Vec::new(),
        unix_only(&path),
        &Options { threads, flavor },
    )
    .expect("start");
    // More clients than threads, so clients land on every worker.
    let mut clients: Vec<UnixStream> = (0..4)
        .map(|_| UnixStream::connect(&path).expect("connect"))
        .collect();
    for c in clients.iter_mut() {
        ping(c, 1);
        ping(c, 500);
    }
    running.shutdown();
    for c in clients.iter_mut() {
        let mut buf = [0u8; 8];
        assert!(
            matches!(c.read(&mut buf), Ok(0) | Err(_)),
            "client not closed"
        );
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn thread_per_core_serves_and_stops() {
    serve_and_stop(Flavor::ThreadPerCore, 1);
    serve_and_stop(Flavor::ThreadPerCore, 3);
}

#[test]
fn work_stealing_serves_and_stops() {
    serve_and_stop(Flavor::WorkStealing, 2);
}

#[test]
fn quit_flushes_its_reply_before_closing() {
    let path = sock_path();
    let running = start(
        server(Config::default()),
        Vec::new(),
        unix_only(&path),
        &Options::default(),
    )
    .expect("start");
    let mut c = UnixStream::connect(&path).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c.write_all(b"PING\r\nQUIT\r\nPING\r\n").expect("write");
    let mut all = Vec::new();
    let _ = c.read_to_end(&mut all);
    assert_eq!(all, b"+PONG\r\n+OK\r\n");
    running.shutdown();
    let _ = std::fs::remove_file(&path);
}

#[test]
fn tcp_on_loopback() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let running = start(
        server(Config::default()),
        vec![listener],
        None,
        &Options::default(),
    )
    .expect("start");
    let mut t = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    t.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    t.write_all(b"PING\r\n").expect("write");
    let mut buf = [0u8; 7];
    t.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"+PONG\r\n");
    running.shutdown();
}
