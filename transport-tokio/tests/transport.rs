//! The transport in-process: bind, serve a core `Server`, shut down.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lode_core::config::Config;
use lode_core::server::NullHost;
use lode_core::Server;
use lode_transport_tokio::{now, start, BindError, Flavor, ListenConfig, Listeners, Options};

fn sock_path() -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("lode-transport-{}-{n}.sock", std::process::id()))
}

fn server(config: Config) -> Arc<Server> {
    Arc::new(Server::new(config, 7, Box::new(NullHost), now()))
}

fn unix_only(path: &std::path::Path) -> ListenConfig {
    ListenConfig {
        bind: vec![],
        port: 0,
        unixsocket: path.display().to_string(),
        unixsocketperm: 0o700,
        backlog: 128,
    }
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
    let listeners = Listeners::bind(&unix_only(&path)).expect("bind");
    assert_eq!(listeners.unix_path(), Some(path.to_str().expect("utf8")));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path)
        .expect("socket file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let running = start(
        server(Config::default()),
        listeners,
        &unix_only(&path),
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
    let cfg = unix_only(&path);
    let listeners = Listeners::bind(&cfg).expect("bind");
    let running = start(
        server(Config::default()),
        listeners,
        &cfg,
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
    // Port 0 means "no TCP" in redis.conf terms, so pick a free port first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let cfg = ListenConfig {
        bind: vec!["127.0.0.1".into(), "-::1".into()],
        port,
        unixsocket: String::new(),
        unixsocketperm: 0,
        backlog: 511,
    };
    let listeners = Listeners::bind(&cfg).expect("bind");
    assert!(listeners
        .tcp_addrs()
        .contains(&SocketAddr::from(([127, 0, 0, 1], port))));
    let running = start(
        server(Config::default()),
        listeners,
        &cfg,
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

#[test]
fn bind_errors_follow_redis() {
    let nowhere = ListenConfig {
        port: 0,
        ..ListenConfig::default()
    };
    assert_eq!(
        Listeners::bind(&nowhere).map(|_| ()),
        Err(BindError::Nowhere)
    );
    // An address this host does not have: fatal unless marked optional with '-'.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let foreign = ListenConfig {
        bind: vec!["192.0.2.1".into()],
        port,
        ..ListenConfig::default()
    };
    assert_eq!(
        Listeners::bind(&foreign).map(|_| ()),
        Err(BindError::Tcp { port })
    );
    let optional = ListenConfig {
        bind: vec!["-192.0.2.1".into(), "127.0.0.1".into()],
        port,
        ..ListenConfig::default()
    };
    assert_eq!(
        Listeners::bind(&optional).map(|l| l.tcp_addrs().len()).ok(),
        Some(1)
    );
    let long = ListenConfig {
        unixsocket: format!("/tmp/{}", "x".repeat(200)),
        ..ListenConfig::default()
    };
    assert_eq!(
        Listeners::bind(&long).map(|_| ()),
        Err(BindError::Unix(
            "unix socket path too long (205), must be under 108".into()
        ))
    );
}
