//! TLS setup: clear errors for bad files, mutual TLS per `tls-auth-clients`, and limits.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{core_server, pki, server_options, Fixture};
use lode_transport_quic::client::blocking::Client;
use lode_transport_quic::client::ClientOptions;
use lode_transport_quic::ClientAuth;

/// Whether a client with `opts` can run PING through a session.
fn can_ping(addr: std::net::SocketAddr, opts: &ClientOptions) -> bool {
    let Ok(client) = Client::connect(addr, opts) else {
        return false;
    };
    let Ok(mut s) = client.open_session() else {
        return false;
    };
    if s.set_read_timeout(Some(Duration::from_secs(5))).is_err()
        || s.write_all(b"PING\r\n").is_err()
    {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

#[test]
fn auth_clients_yes_requires_a_certificate() {
    let fx = Fixture::start(ClientAuth::Yes);
    assert!(!can_ping(fx.addr, &fx.client_options()));
    assert!(can_ping(fx.addr, &fx.client_options_with_cert()));
}

#[test]
fn auth_clients_optional_accepts_both() {
    let fx = Fixture::start(ClientAuth::Optional);
    assert!(can_ping(fx.addr, &fx.client_options()));
    assert!(can_ping(fx.addr, &fx.client_options_with_cert()));
}

#[test]
fn untrusted_server_is_refused() {
    let fx = Fixture::start(ClientAuth::No);
    let other = pki();
    let opts = ClientOptions {
        ca_cert_file: Some(other.ca.clone()),
        ..fx.client_options()
    };
    assert!(!can_ping(fx.addr, &opts));
    // The wrong name is refused too; the right one is accepted.
    let wrong = ClientOptions {
        server_name: Some("example.com".into()),
        ..fx.client_options()
    };
    assert!(!can_ping(fx.addr, &wrong));
    let named = ClientOptions {
        server_name: Some("localhost".into()),
        ..fx.client_options()
    };
    assert!(can_ping(fx.addr, &named));
}

#[test]
fn missing_cert_or_key_is_a_clear_error() {
    let p = pki();
    let mut opts = server_options(&p, ClientAuth::No);
    opts.cert_file = Default::default();
    let err = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused");
    assert_eq!(err.to_string(), "QUIC needs tls-cert-file and tls-key-file");

    let mut opts = server_options(&p, ClientAuth::No);
    opts.key_file = p.dir.join("nope.key");
    let err = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("tls-key-file") && msg.contains("nope.key"),
        "{msg}"
    );
    assert!(msg.contains("No such file"), "{msg}");
}

#[test]
fn invalid_pem_names_the_file() {
    let p = pki();
    let garbage = p.dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let mut opts = server_options(&p, ClientAuth::No);
    opts.cert_file = garbage.clone();
    let msg = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        msg.contains("tls-cert-file") && msg.contains("garbage.pem"),
        "{msg}"
    );

    // An encrypted key (Redis's tls-key-file-pass) is named as such.
    let encrypted = p.dir.join("encrypted.key");
    std::fs::write(
        &encrypted,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .expect("write");
    let mut opts = server_options(&p, ClientAuth::No);
    opts.key_file = encrypted;
    let msg = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        msg.contains("encrypted.key") && msg.contains("Failed to load private key"),
        "{msg}"
    );

    // A certificate where the key should be: no private key in it.
    let mut opts = server_options(&p, ClientAuth::No);
    opts.key_file = opts.cert_file.clone();
    let msg = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused")
        .to_string();
    assert!(msg.contains("No private key found"), "{msg}");

    // A key that is not the certificate's.
    let mut opts = server_options(&p, ClientAuth::No);
    opts.key_file = p.client_key.clone();
    let msg = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused")
        .to_string();
    assert!(msg.contains("tls-key-file"), "{msg}");

    // Client authentication without a CA to check against.
    let mut opts = server_options(&p, ClientAuth::Yes);
    opts.ca_cert_file = None;
    let msg = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused")
        .to_string();
    assert!(msg.contains("tls-ca-cert-file"), "{msg}");
}

#[test]
fn bind_failure_is_reported_before_serving() {
    let p = pki();
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut opts = server_options(&p, ClientAuth::No);
    opts.addrs = vec![taken.local_addr().expect("addr")];
    let msg = lode_transport_quic::start(core_server(), &opts)
        .err()
        .expect("refused")
        .to_string();
    assert!(msg.contains("Address already in use"), "{msg}");
}

#[test]
fn max_connections_refuses_the_next_one() {
    let p = pki();
    let mut opts = server_options(&p, ClientAuth::No);
    opts.max_connections = 1;
    let running = lode_transport_quic::start(core_server(), &opts).expect("start");
    let addr = running.local_addrs()[0];
    let copts = ClientOptions {
        ca_cert_file: Some(p.ca.clone()),
        ..ClientOptions::default()
    };
    let first = Client::connect(addr, &copts).expect("first");
    let mut s = first.open_session().expect("session");
    s.write_all(b"PING\r\n").expect("write");
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).expect("read");
    assert!(Client::connect(addr, &copts).is_err());
    drop(s);
    drop(first);
    // The slot frees once the first connection is gone.
    assert!(common::wait_until(|| can_ping(addr, &copts)));
    running.shutdown();
}

#[test]
fn maxclients_refuses_the_stream_with_redis_line() {
    let fx = Fixture::start(ClientAuth::No);
    fx.server.config.write().maxclients = 1;
    let client = Client::connect(fx.addr, &fx.client_options()).expect("connect");
    let mut a = client.open_session().expect("a");
    a.write_all(b"PING\r\n").expect("write");
    let mut buf = [0u8; 7];
    a.read_exact(&mut buf).expect("read");
    let mut b = client.open_session().expect("b");
    b.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = b.write_all(b"PING\r\n");
    let mut all = Vec::new();
    let _ = b.read_to_end(&mut all);
    assert_eq!(all, b"-ERR max number of clients reached\r\n");
}
