//! End-to-end tests of the lode-server binary: command line, config files, listeners,
//! limits and shutdown. Each test starts its own server on a free port with a socket in a
//! fresh temp dir; the guard kills it by pid and waits for it when the test ends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run lode-server")
}

#[test]
fn ping_over_tcp_and_unix() {
    let server = Server::start(&[]);
    let mut t = tcp(&server);
    assert_eq!(request(&mut t, b"PING\r\n", 7), b"+PONG\r\n");
    assert_eq!(request(&mut t, b"*1\r\n$4\r\nPING\r\n", 7), b"+PONG\r\n");
    let mut u = UnixStream::connect(&server.sock).expect("connect unix");
    u.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert_eq!(request(&mut u, b"*1\r\n$4\r\nPING\r\n", 7), b"+PONG\r\n");
}

#[test]
fn pipelined_batch_gets_every_reply() {
    let server = Server::start(&[]);
    let mut t = tcp(&server);
    let batch = b"*1\r\n$4\r\nPING\r\n".repeat(1000);
    let replies = request(&mut t, &batch, 7 * 1000);
    assert_eq!(replies, b"+PONG\r\n".repeat(1000));
}

#[test]
fn large_request_spanning_many_reads() {
    let server = Server::start(&[]);
    let mut t = tcp(&server);
    let value = vec![b'x'; 3 * 1024 * 1024];
    let mut req = format!("*2\r\n$4\r\nECHO\r\n${}\r\n", value.len()).into_bytes();
    req.extend_from_slice(&value);
    req.extend_from_slice(b"\r\n");
    let header = format!("${}\r\n", value.len());
    let reply = request(&mut t, &req, header.len() + value.len() + 2);
    assert!(reply.starts_with(header.as_bytes()));
    assert!(reply.ends_with(b"x\r\n"));
}

#[test]
fn config_file_with_include_and_overrides() {
    let dir = temp_dir();
    let port = free_port();
    let sock = dir.join("conf.sock");
    std::fs::write(
        dir.join("inner.conf"),
        format!("port {port}\nunixsocket \"{}\"\n", sock.display()),
    )
    .expect("write inner");
    let conf = dir.join("lode.conf");
    std::fs::write(
        &conf,
        format!(
            "# a comment\n\nport 1\ninclude {}\nbind 127.0.0.1\npidfile {}\n",
            dir.join("inner.conf").display(),
            dir.join("lode.pid").display()
        ),
    )
    .expect("write conf");
    let server = Server::spawn(
        dir.clone(),
        port,
        sock.clone(),
        &[conf.display().to_string()],
    );
    let mut u = UnixStream::connect(&sock).expect("connect unix");
    assert_eq!(request(&mut u, b"PING\r\n", 7), b"+PONG\r\n");
    let pid = std::fs::read_to_string(dir.join("lode.pid")).expect("pid file");
    assert_eq!(pid.trim(), server.pid().to_string());
    assert!(server.logs().contains("Configuration loaded"));
}

#[test]
fn bad_config_line_is_fatal_like_redis() {
    let dir = temp_dir();
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port 7000\nno-such-directive yes\n").expect("write conf");
    let out = run(&[conf.to_str().expect("utf8 path")], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
         Reading the configuration file, at line 2\n\
         >>> 'no-such-directive yes'\n\
         Bad directive or wrong number of arguments\n"
    );
    // Command-line options are lines appended after the file.
    let out = run(&[conf.to_str().expect("utf8 path"), "--port", "x"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("at line 2\n>>> 'no-such-directive yes'"),
        "{err}"
    );
    let out = run(&["--loglevel", "loud"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
         Reading the configuration file, at line 2\n\
         >>> 'loglevel \"loud\"'\n\
         argument(s) must be one of the following: debug, verbose, notice, warning\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_config_file() {
    let dir = temp_dir();
    let out = run(&["does-not-exist.conf"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "# Fatal error, can't open config file '{}': No such file or directory",
        dir.join("does-not-exist.conf").display()
    );
    assert!(stdout.contains(&expected), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn version_and_help() {
    let dir = temp_dir();
    let out = run(&["--version"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let v = String::from_utf8_lossy(&out.stdout);
    // redis-server's format, so tools that read the Redis version from `v=` find 7.0.15;
    // lode's own version ends the line.
    let want = format!(
        "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits={} build=0 lode={}\n",
        usize::BITS,
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(v, want);
    let out = run(&["-v"], &dir);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    let out = run(&["--help"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Usage: "));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_exits_zero_and_cleans_up() {
    let mut server = Server::start(&["--pidfile", "lode.pid"]);
    let pidfile = server.dir.join("lode.pid");
    assert!(server.sock.exists());
    assert!(pidfile.exists());
    // A connected client must not hold the exit up.
    let mut t = tcp(&server);
    assert_eq!(request(&mut t, b"PING\r\n", 7), b"+PONG\r\n");
    let started = Instant::now();
    let status = server.signal_and_wait(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{}", server.logs());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!server.sock.exists(), "unix socket left behind");
    assert!(!pidfile.exists(), "pid file left behind");
    let logs = server.logs();
    assert!(
        logs.contains("Received SIGTERM scheduling shutdown..."),
        "{logs}"
    );
    assert!(logs.contains("ready to exit, bye bye..."), "{logs}");
    // The client sees the connection closed.
    let mut buf = [0u8; 16];
    assert!(matches!(t.read(&mut buf), Ok(0) | Err(_)));
}

#[test]
fn sigint_exits_zero() {
    let mut server = Server::start(&[]);
    let status = server.signal_and_wait(libc::SIGINT);
    assert_eq!(status.code(), Some(0), "{}", server.logs());
    assert!(!server.sock.exists());
}

/// Connects over TCP, retrying until the server serves the client (a slot held by a client
/// that just disconnected is freed asynchronously).
fn served(server: &Server) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = tcp(server);
        let _ = s.write_all(b"PING\r\n");
        let mut buf = [0u8; 7];
        if s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
            return s;
        }
        assert!(Instant::now() < deadline, "never served");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn maxclients_rejects_the_extra_client() {
    let server = Server::start(&["--maxclients", "2"]);
    let a = served(&server);
    let _b = served(&server);
    let mut c = tcp(&server);
    let mut reply = Vec::new();
    let _ = c.read_to_end(&mut reply);
    assert_eq!(reply, b"-ERR max number of clients reached\r\n");
    // Once a slot frees up, a new client is served again.
    drop(a);
    let _d = served(&server);
}

#[test]
fn idle_timeout_closes_the_client() {
    let server = Server::start(&["--timeout", "1"]);
    let mut idle = tcp(&server);
    assert_eq!(request(&mut idle, b"PING\r\n", 7), b"+PONG\r\n");
    let mut busy = tcp(&server);
    let started = Instant::now();
    // The busy client keeps talking across the timeout and stays connected.
    while started.elapsed() < Duration::from_millis(2500) {
        assert_eq!(request(&mut busy, b"PING\r\n", 7), b"+PONG\r\n");
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut buf = [0u8; 16];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "idle client still open");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A TCP connection to `server` from 127.0.0.2: a loopback-network address but not
/// "127.0.0.1", which is what Redis compares with, so the server sees a non-local client.
/// `None` if this host has no 127.0.0.2.
fn from_127_0_0_2(server: &Server) -> Option<TcpStream> {
    let sock =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .ok()?;
    sock.connect(&server.addr().into()).expect("connect");
    let s: TcpStream = sock.into();
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    Some(s)
}

#[test]
fn protected_mode_denies_non_loopback_peers() {
    let server = Server::start(&[]);
    let Some(mut s) = from_127_0_0_2(&server) else {
        return;
    };
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with("-DENIED Redis is running in protected mode"),
        "{text}"
    );
    assert!(text.ends_with("from the outside.\r\n"));

    let open = Server::start(&["--protected-mode", "no"]);
    let Some(mut s) = from_127_0_0_2(&open) else {
        return;
    };
    assert_eq!(request(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
}

#[test]
fn port_in_use_fails_like_redis() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let dir = temp_dir();
    let out = run(&["--port", &port, "--bind", "127.0.0.1"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "Warning: Could not create server TCP listening socket 127.0.0.1:{port}: bind: Address already in use"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("Failed listening on port {port} (TCP), aborting.")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn logo_shows_pid_for_the_redis_test_suite() {
    let server = Server::start(&["--always-show-logo", "yes", "--loglevel", "verbose"]);
    let logs = server.logs_with("Ready to accept connections");
    assert!(logs.contains(&format!(" PID: {}", server.pid())), "{logs}");
    assert!(logs.contains("Ready to accept connections"), "{logs}");
}

fn rss_kb(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let rest = s.split("VmRSS:").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0)
}

#[test]
fn slow_reader_does_not_make_the_server_buffer_everything() {
    let server = Server::start(&[]);
    let mut t = tcp(&server);
    let value = vec![b'v'; 1 << 20];
    let mut set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n".to_vec();
    set.extend_from_slice(&value);
    set.extend_from_slice(b"\r\n");
    assert_eq!(request(&mut t, &set, 5), b"+OK\r\n");
    // 300 MB of replies requested in one small write, none read yet.
    let mut batch = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(300);
    batch.extend_from_slice(b"PING\r\n");
    t.write_all(&batch).expect("write batch");
    std::thread::sleep(Duration::from_millis(700));
    let rss = rss_kb(server.pid());
    assert!(
        rss < 200 * 1024,
        "server holds {rss} kB for a client that does not read"
    );
    // Every reply still arrives, in order.
    let header = b"$1048576\r\n";
    let mut reply = vec![0u8; header.len() + value.len() + 2];
    for _ in 0..300 {
        t.read_exact(&mut reply).expect("read reply");
        assert!(reply.starts_with(header) && reply.ends_with(b"v\r\n"));
    }
    assert_eq!(read_n(&mut t, 7), b"+PONG\r\n");
}

/// A command in RESP.
fn cmd(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

#[test]
fn config_set_port_moves_the_listener() {
    let server = Server::start(&[]);
    let mut t = tcp(&server);
    let new_port = free_port();
    let reply = request(
        &mut t,
        &cmd(&["CONFIG", "SET", "port", &new_port.to_string()]),
        5,
    );
    assert_eq!(reply, b"+OK\r\n");
    let mut moved = TcpStream::connect(("127.0.0.1", new_port)).expect("new port");
    moved
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert_eq!(request(&mut moved, b"PING\r\n", 7), b"+PONG\r\n");
    assert_port_left(&server);
    // Existing clients are unaffected.
    assert_eq!(request(&mut t, b"PING\r\n", 7), b"+PONG\r\n");
    // A port that can't be bound is refused and the server keeps the one it has.
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken_port = taken.local_addr().expect("addr").port().to_string();
    let expected = b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n";
    let reply = request(
        &mut t,
        &cmd(&["CONFIG", "SET", "port", &taken_port]),
        expected.len(),
    );
    assert_eq!(reply, expected);
    let mut again = TcpStream::connect(("127.0.0.1", new_port)).expect("still on new port");
    again
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert_eq!(request(&mut again, b"PING\r\n", 7), b"+PONG\r\n");
}

#[test]
fn config_rewrite_keeps_comments() {
    let dir = temp_dir();
    let port = free_port();
    let sock = dir.join("rw.sock");
    let conf = dir.join("rw.conf");
    std::fs::write(
        &conf,
        format!(
            "# keep me\nport {port}\nbind 127.0.0.1\nunixsocket {}\nhz 10\n",
            sock.display()
        ),
    )
    .expect("write conf");
    let server = Server::spawn(dir.clone(), port, sock, &[conf.display().to_string()]);
    let mut t = tcp(&server);
    assert_eq!(
        request(&mut t, &cmd(&["CONFIG", "SET", "hz", "20"]), 5),
        b"+OK\r\n"
    );
    assert_eq!(request(&mut t, &cmd(&["CONFIG", "REWRITE"]), 5), b"+OK\r\n");
    let text = std::fs::read_to_string(&conf).expect("read conf");
    assert!(text.starts_with("# keep me\n"), "{text}");
    assert!(text.contains("\nhz 20\n"), "{text}");
    assert!(!text.contains("hz 10"), "{text}");
    assert!(text.contains(&format!("port {port}\n")), "{text}");
}

#[test]
fn shutdown_command_exits_zero() {
    let mut server = Server::start(&[]);
    let mut t = tcp(&server);
    t.write_all(&cmd(&["SHUTDOWN", "NOSAVE"])).expect("write");
    let mut rest = Vec::new();
    let _ = t.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "SHUTDOWN replied {:?}",
        String::from_utf8_lossy(&rest)
    );
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0));
    assert!(!server.sock.exists());
    assert!(server.logs().contains("User requested shutdown..."));
}

#[test]
fn save_then_check_rdb_and_restart_with_the_data() {
    let server = Server::start(&["--save", ""]);
    let mut t = tcp(&server);
    assert_eq!(
        request(&mut t, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", 5),
        b"+OK\r\n"
    );
    assert_eq!(request(&mut t, b"SAVE\r\n", 5), b"+OK\r\n");
    let file = server.dir.join("dump.rdb");
    let ok = run(&["--check-rdb", &file.display().to_string()], &server.dir);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("[info] 1 keys read"));
    let bytes = std::fs::read(&file).expect("dump.rdb");
    let torn = server.dir.join("torn.rdb");
    std::fs::write(&torn, &bytes[..bytes.len() - 3]).expect("write");
    let bad = run(&["--check-rdb", &torn.display().to_string()], &server.dir);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("RDB ERROR DETECTED"));
    // The same directory after a restart holds the key.
    let again = Server::restart(server.crash(), &[]);
    let mut t = tcp(&again);
    assert_eq!(
        request(&mut t, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 11),
        b"$5\r\nhello\r\n"
    );
}
