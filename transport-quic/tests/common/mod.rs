//! Shared test fixtures: certificates generated with rcgen, a served core `Server`, and
//! RESP helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lode_core::config::Config;
use lode_core::server::NullHost;
use lode_core::Server;
use lode_transport_quic::client::ClientOptions;
use lode_transport_quic::{now, ClientAuth, Running, ServerOptions};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

/// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, as PEM
/// files in a fresh temporary directory.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("lode-quic-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write pem");
}

/// Generates the test PKI.
pub fn pki() -> Pki {
    let dir = temp_dir("pki");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "lode test CA");
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf = |names: Vec<String>| {
        let params = CertificateParams::new(names).expect("leaf params");
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &issuer).expect("leaf cert");
        (cert.pem(), key.serialize_pem())
    };
    let (server_pem, server_key_pem) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
    let (client_pem, client_key_pem) = leaf(vec!["lode-client".into()]);

    let p = Pki {
        ca: dir.join("ca.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
        dir,
    };
    write(&p.ca, &ca_cert.pem());
    write(&p.server_cert, &server_pem);
    write(&p.server_key, &server_key_pem);
    write(&p.client_cert, &client_pem);
    write(&p.client_key, &client_key_pem);
    p
}

/// A core server on the default configuration.
pub fn core_server() -> Arc<Server> {
    Arc::new(Server::new(Config::default(), 7, Box::new(NullHost), now()))
}

/// Server options on 127.0.0.1, port 0, with the test PKI.
pub fn server_options(pki: &Pki, auth: ClientAuth) -> ServerOptions {
    ServerOptions {
        addrs: vec!["127.0.0.1:0".parse().expect("addr")],
        cert_file: pki.server_cert.clone(),
        key_file: pki.server_key.clone(),
        ca_cert_file: Some(pki.ca.clone()),
        auth_clients: auth,
        idle_timeout_ms: 30_000,
        keepalive_ms: 5_000,
        max_streams: 64,
        max_connections: 16,
        threads: 1,
    }
}

/// A served core server without client authentication.
pub struct Fixture {
    pub pki: Pki,
    pub server: Arc<Server>,
    pub running: Option<Running>,
    pub addr: SocketAddr,
}

impl Fixture {
    /// Starts a server with `auth`.
    pub fn start(auth: ClientAuth) -> Fixture {
        let pki = pki();
        let server = core_server();
        let running =
            lode_transport_quic::start(server.clone(), &server_options(&pki, auth)).expect("start");
        let addr = running.local_addrs()[0];
        Fixture {
            pki,
            server,
            running: Some(running),
            addr,
        }
    }

    /// Client options trusting the test CA, without a client certificate.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            ca_cert_file: Some(self.pki.ca.clone()),
            idle_timeout_ms: 30_000,
            keepalive_ms: 5_000,
            ..ClientOptions::default()
        }
    }

    /// Client options that also present the test client certificate.
    pub fn client_options_with_cert(&self) -> ClientOptions {
        ClientOptions {
            cert_file: Some(self.pki.client_cert.clone()),
            key_file: Some(self.pki.client_key.clone()),
            ..self.client_options()
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown();
        }
    }
}

/// Encodes one command as RESP.
pub fn cmd(args: &[&[u8]]) -> Vec<u8> {
    lode_transport_quic::client::encode_command(args)
}

/// Waits (up to 10 s) until `f` holds.
pub fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}
