//! TLS over TCP (`tls-port`), end to end: lode-server started with rcgen certificates, rustls
//! clients, on both TCP transports.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{free_port, request, tcp, temp_dir, Server};
use lode_tls::rustls::pki_types::ServerName;
use lode_tls::rustls::{ClientConnection, StreamOwned};
use lode_tls::testkit::{generate, Pki};

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A TLS client of `port` trusting `ca`, presenting `cert` (certificate, key) if given;
/// `None` if nothing listens there.
fn try_connect(port: u16, ca: &Path, cert: Option<(&Path, &Path)>) -> Option<Tls> {
    let (c, k) = (cert.map(|c| c.0), cert.map(|c| c.1));
    let cfg = lode_tls::client_config(Some(ca), c, k, "", &[]).expect("client config");
    let name = ServerName::try_from("localhost").expect("name");
    let conn = ClientConnection::new(Arc::new(cfg), name).expect("client session");
    let sock = TcpStream::connect(("127.0.0.1", port)).ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    Some(StreamOwned::new(conn, sock))
}

fn connect(port: u16, ca: &Path, cert: Option<(&Path, &Path)>) -> Tls {
    try_connect(port, ca, cert).expect("connect")
}

/// Whether `port` answers PING over TLS to a client of `pki`.
fn serves(port: u16, pki: &Pki) -> bool {
    let cert = Some((pki.client_cert.as_path(), pki.client_key.as_path()));
    try_connect(port, &pki.ca, cert).is_some_and(pings)
}

/// A client presenting the PKI's client certificate.
fn client(port: u16, pki: &Pki) -> Tls {
    connect(port, &pki.ca, Some((&pki.client_cert, &pki.client_key)))
}

/// Whether a PING over `s` gets PONG (a refused handshake fails it).
fn pings(mut s: Tls) -> bool {
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// A command as a RESP array.
fn frame(args: &[&[u8]]) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    lode_core::propagate::encode_command(&mut out, args);
    out.to_vec()
}

/// The server's options for TLS on `tls_port` with `pki`'s files.
fn tls_args(pki: &Pki, tls_port: u16) -> Vec<String> {
    let p = |p: &Path| p.display().to_string();
    vec![
        "--tls-port".into(),
        tls_port.to_string(),
        "--tls-cert-file".into(),
        p(&pki.server_cert),
        "--tls-key-file".into(),
        p(&pki.server_key),
        "--tls-ca-cert-file".into(),
        p(&pki.ca),
    ]
}

/// lode-server with a plain port (for CONFIG SET and readiness) and a TLS port.
fn start(extra: &[&str]) -> (Server, u16, Pki) {
    let dir = temp_dir();
    let pki = generate(&dir.join("pki"), "lode test CA").expect("pki");
    let (server, tls_port) = spawn_tls(dir, &pki, extra);
    (server, tls_port, pki)
}

/// lode-server in `dir` with a plain port and a TLS port serving `pki`'s files, then `extra`.
fn spawn_tls(dir: std::path::PathBuf, pki: &Pki, extra: &[&str]) -> (Server, u16) {
    let (port, tls_port) = (free_port(), free_port());
    let mut args: Vec<String> = ["--port", &port.to_string(), "--bind", "127.0.0.1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(tls_args(pki, tls_port));
    args.extend(["--save".into(), String::new()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let sock = dir.join("lode.sock");
    (Server::spawn(dir, port, sock, &args), tls_port)
}

fn commands_over_tls(engine: &str) {
    let (_server, tls_port, pki) = start(&["--io-engine", engine]);
    let mut s = client(tls_port, &pki);
    assert_eq!(request(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
    assert_eq!(
        request(&mut s, &frame(&[b"SET", b"k", b"v"]), 5),
        b"+OK\r\n"
    );
    assert_eq!(request(&mut s, &frame(&[b"GET", b"k"]), 7), b"$1\r\nv\r\n");

    // A 1 MB value both ways: many records, partial socket writes.
    let big: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    assert_eq!(
        request(&mut s, &frame(&[b"SET", b"big", &big]), 5),
        b"+OK\r\n"
    );
    let reply = request(&mut s, &frame(&[b"GET", b"big"]), 10 + big.len() + 2);
    assert_eq!(&reply[..10], b"$1048576\r\n");
    assert_eq!(&reply[10..10 + big.len()], &big[..]);

    // 1000 pipelined commands in one write: records split commands anywhere.
    let batch = frame(&[b"INCR", b"n"]).repeat(1000);
    let want: Vec<u8> = (1..=1000)
        .flat_map(|i| format!(":{i}\r\n").into_bytes())
        .collect();
    assert_eq!(request(&mut s, &batch, want.len()), want);

    // QUIT: +OK, then close_notify (a clean end of session reads as 0, not an error).
    assert_eq!(request(&mut s, b"QUIT\r\n", 5), b"+OK\r\n");
    let mut rest = [0u8; 1];
    assert_eq!(s.read(&mut rest).expect("clean close_notify"), 0);
}

#[test]
fn commands_pipelines_and_large_values_on_tokio() {
    commands_over_tls("tokio");
}

#[test]
fn commands_pipelines_and_large_values_on_io_uring() {
    // Falls back to Tokio (with a log line) where the kernel refuses io_uring.
    commands_over_tls("uring");
}

#[test]
fn an_encrypted_key_is_read_with_tls_key_file_pass() {
    let dir = temp_dir();
    let pki = generate(&dir.join("pki"), "lode test CA").expect("pki");
    let encrypted = dir.join("server-encrypted.key");
    lode_tls::testkit::encrypt_key(&pki.server_key, &encrypted, "s3cret").expect("encrypt");
    let key = encrypted.display().to_string();
    let extra = ["--tls-key-file", &key, "--tls-key-file-pass", "s3cret"];
    let (_server, tls_port) = spawn_tls(dir, &pki, &extra);
    assert!(serves(tls_port, &pki));
}

#[test]
fn a_plain_client_on_the_tls_port_gets_nothing() {
    // As with Redis (OpenSSL): no reply, no alert, the connection just closes.
    let (_server, tls_port, _pki) = start(&[]);
    let mut plain = TcpStream::connect(("127.0.0.1", tls_port)).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    plain.write_all(b"PING\r\n").expect("write");
    let mut buf = [0u8; 64];
    assert!(matches!(plain.read(&mut buf), Ok(0) | Err(_)));
}

#[test]
fn client_certificates_follow_tls_auth_clients() {
    let (server, tls_port, pki) = start(&[]);
    let other = generate(&server.dir.join("other"), "another CA").expect("pki");
    let untrusted = Some((other.client_cert.as_path(), other.client_key.as_path()));
    // yes (the default): a certificate signed by the CA is required.
    assert!(!pings(connect(tls_port, &pki.ca, None)));
    assert!(!pings(connect(tls_port, &pki.ca, untrusted)));
    assert!(pings(client(tls_port, &pki)));
    // optional: verified if presented.
    let mut admin = tcp(&server);
    let set = frame(&[b"CONFIG", b"SET", b"tls-auth-clients", b"optional"]);
    assert_eq!(request(&mut admin, &set, 5), b"+OK\r\n");
    assert!(pings(connect(tls_port, &pki.ca, None)));
    assert!(pings(client(tls_port, &pki)));
    assert!(!pings(connect(tls_port, &pki.ca, untrusted)));
    // no: not asked for.
    let set = frame(&[b"CONFIG", b"SET", b"tls-auth-clients", b"no"]);
    assert_eq!(request(&mut admin, &set, 5), b"+OK\r\n");
    assert!(pings(connect(tls_port, &pki.ca, None)));
}

#[test]
fn config_set_reloads_the_certificate_for_new_connections() {
    let (server, tls_port, pki) = start(&[]);
    let mut before = client(tls_port, &pki);
    assert_eq!(request(&mut before, b"PING\r\n", 7), b"+PONG\r\n");
    let next = generate(&server.dir.join("next"), "next CA").expect("pki");
    assert!(!pings(client(tls_port, &next)));

    // A file that does not load: refused with Redis's words, nothing changes.
    let mut admin = tcp(&server);
    let bad = frame(&[
        b"CONFIG",
        b"SET",
        b"tls-cert-file",
        b"/nonexistent/cert.pem",
    ]);
    let err = b"-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - \
                Unable to update TLS configuration. Check server logs.\r\n";
    assert_eq!(request(&mut admin, &bad, err.len()), err.to_vec());
    assert!(pings(client(tls_port, &pki)));

    let p = |p: &Path| p.display().to_string().into_bytes();
    let set = frame(&[
        b"CONFIG",
        b"SET",
        b"tls-cert-file",
        &p(&next.server_cert),
        b"tls-key-file",
        &p(&next.server_key),
        b"tls-ca-cert-file",
        &p(&next.ca),
    ]);
    assert_eq!(request(&mut admin, &set, 5), b"+OK\r\n");
    assert!(pings(client(tls_port, &next)));
    assert!(!pings(client(tls_port, &pki)));
    // A connection made before keeps its session.
    assert_eq!(request(&mut before, b"PING\r\n", 7), b"+PONG\r\n");
}

/// Waits until a TLS PING on `port` succeeds.
fn wait_tls(server: &mut Server, port: u16, pki: &Pki) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(Ok(Some(status))) = server.child.as_mut().map(|c| c.try_wait()) {
            panic!("server exited ({status}): {}", server.logs());
        }
        if serves(port, pki) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no TLS on port {port}: {}", server.logs());
}

#[test]
fn tls_port_alone_and_config_set_tls_port() {
    // `port 0` + `tls-port N`: how Redis's test suite runs in --tls mode.
    let dir = temp_dir();
    let pki = generate(&dir.join("pki"), "lode test CA").expect("pki");
    let tls_port = free_port();
    let mut args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1", "--save", ""]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(tls_args(&pki, tls_port));
    let sock = dir.join("lode.sock");
    let mut server = Server::spawn_unready(dir, 0, sock, &args);
    wait_tls(&mut server, tls_port, &pki);

    let moved = free_port();
    let mut s = client(tls_port, &pki);
    let set = frame(&[b"CONFIG", b"SET", b"tls-port", moved.to_string().as_bytes()]);
    assert_eq!(request(&mut s, &set, 5), b"+OK\r\n");
    wait_tls(&mut server, moved, &pki);
    assert!(!serves(tls_port, &pki));
    let off = frame(&[b"CONFIG", b"SET", b"tls-port", b"0"]);
    let mut s = client(moved, &pki);
    assert_eq!(request(&mut s, &off, 5), b"+OK\r\n");
    assert!(!serves(moved, &pki));
}

/// Starts lode-server with `args`, expecting it to exit 1 at start-up; returns its logs.
fn refused(args: &[String]) -> String {
    let dir = temp_dir();
    let sock = dir.join("lode.sock");
    let mut server = Server::spawn_unready(dir, 0, sock, args);
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", server.logs());
    server.logs()
}

#[test]
fn startup_fails_like_redis_when_tls_cannot_be_configured() {
    let port = free_port().to_string();
    let base = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["--port".into(), "0".into(), "--tls-port".into()];
        a.push(port.clone());
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let logs = refused(&base(&[]));
    assert!(logs.contains("No tls-cert-file configured!"), "{logs}");
    assert!(
        logs.contains("Failed to configure TLS. Check logs for more info."),
        "{logs}"
    );

    let dir = temp_dir();
    let pki = generate(&dir, "lode test CA").expect("pki");
    let files = |extra: &[&str]| -> Vec<String> {
        let mut a = base(&[]);
        a.extend(
            tls_args(&pki, port.parse().unwrap_or(0))
                .into_iter()
                .skip(2),
        );
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let logs = refused(&files(&["--tls-protocols", "TLSv1.2 SSLv3"]));
    assert!(logs.contains("Invalid tls-protocols specified."), "{logs}");

    // An encrypted key that is not one; a real one with the wrong passphrase, then with none.
    let garbage = dir.join("encrypted.key");
    std::fs::write(
        &garbage,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .expect("write");
    let encrypted = dir.join("real-encrypted.key");
    lode_tls::testkit::encrypt_key(&pki.server_key, &encrypted, "right").expect("encrypt");
    for (file, why) in [
        (&garbage, "Failed to load private key"),
        (&encrypted, "bad decrypt"),
    ] {
        let key = file.display().to_string();
        let logs = refused(&files(&[
            "--tls-key-file",
            &key,
            "--tls-key-file-pass",
            "wrong",
        ]));
        assert!(logs.contains(why), "{logs}");
    }
    let key = encrypted.display().to_string();
    let logs = refused(&files(&["--tls-key-file", &key]));
    assert!(logs.contains("tls-key-file-pass is not set"), "{logs}");

    // Client authentication (the default) needs a CA.
    let no_ca = vec![
        "--port".to_string(),
        "0".into(),
        "--tls-port".into(),
        port.clone(),
        "--tls-cert-file".into(),
        pki.server_cert.display().to_string(),
        "--tls-key-file".into(),
        pki.server_key.display().to_string(),
    ];
    let logs = refused(&no_ca);
    assert!(
        logs.contains("Either tls-ca-cert-file or tls-ca-cert-dir"),
        "{logs}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn redis_cli_speaks_tls_to_lode() {
    let cli = "/usr/bin/redis-cli";
    if !Path::new(cli).exists() {
        eprintln!("NOTICE: {cli} is not installed: skipping the redis-cli --tls check");
        return;
    }
    let (_server, tls_port, pki) = start(&[]);
    let out = std::process::Command::new(cli)
        .args(["--tls", "--cacert"])
        .arg(&pki.ca)
        .arg("--cert")
        .arg(&pki.client_cert)
        .arg("--key")
        .arg(&pki.client_key)
        .args(["-h", "127.0.0.1", "-p", &tls_port.to_string(), "ping"])
        .output()
        .expect("run redis-cli");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "PONG",
        "{out:?}"
    );
}
