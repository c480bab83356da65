//! The binary's transport choices: io_uring selection and CONFIG SET port under it, QUIC's
//! start-up errors, and the bridge's argument errors.

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::*;

#[test]
fn uring_engine_serves_and_rebinds() {
    let mut server = Server::start(&["--io-engine", "uring"]);
    let mut t = tcp(&server);
    assert_eq!(
        request(&mut t, b"CONFIG GET io-engine\r\n", 30),
        b"*2\r\n$9\r\nio-engine\r\n$5\r\nuring\r\n"
    );
    let new_port = free_port();
    let set = format!("CONFIG SET port {new_port}\r\n");
    assert_eq!(request(&mut t, set.as_bytes(), 5), b"+OK\r\n");
    // The old listener is gone, the new one serves, the existing client stays.
    assert_port_left(&server);
    let mut fresh = TcpStream::connect(("127.0.0.1", new_port)).expect("connect new port");
    fresh
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert_eq!(request(&mut fresh, b"PING\r\n", 7), b"+PONG\r\n");
    assert_eq!(request(&mut t, b"PING\r\n", 7), b"+PONG\r\n");
    server.port = new_port;
    let logs = server.logs();
    assert!(logs.contains("Serving clients with io_uring"), "{logs}");
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let dir = temp_dir();
    let out = Command::new(BIN)
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .expect("run lode-server");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn quic_without_certificate_is_refused_clearly() {
    // No TCP port: a process that listens briefly before failing must not take a port a
    // parallel test has just freed (the io_uring rebind test checks its old port is dead).
    let no_tcp = [
        "--port",
        "0",
        "--unixsocket",
        "lode.sock",
        "--bind",
        "127.0.0.1",
    ];
    let quic = free_port().to_string();
    let (code, text) = run(&[&no_tcp[..], &["--quic-port", &quic]].concat());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("QUIC needs tls-cert-file and tls-key-file"),
        "{text}"
    );
    let files = [
        "--quic-port",
        &quic,
        "--tls-cert-file",
        "/nonexistent/cert.pem",
        "--tls-key-file",
        "/nonexistent/key.pem",
        // Without it the missing CA is reported first, as Redis checks it before the files.
        "--tls-auth-clients",
        "no",
    ];
    let (code, text) = run(&[&no_tcp[..], &files[..]].concat());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("/nonexistent/"), "{text}");
}

#[test]
fn bridge_argument_errors_exit_1_with_usage() {
    for args in [
        &["--quic-bridge"][..],
        &["--quic-bridge", "127.0.0.1:1"],
        &[
            "--quic-bridge",
            "127.0.0.1:1",
            "127.0.0.1:2",
            "--bogus",
            "x",
        ],
    ] {
        let (code, text) = run(args);
        assert_eq!(code, Some(1), "{args:?}: {text}");
        assert!(text.contains("Usage: lode-server --quic-bridge"), "{text}");
    }
}
