//! What a TLS server is configured with, in redis.conf's terms (`tls-*`).

use std::path::PathBuf;

/// `tls-auth-clients`: whether a client must present a certificate signed by the CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// Client certificates are not asked for.
    No,
    /// A client certificate signed by the CA is required (Redis's default).
    #[default]
    Yes,
    /// A client certificate is verified if the client presents one.
    Optional,
}

impl ClientAuth {
    /// The value of a `tls-auth-clients` setting (anything but `no` and `optional` is
    /// `yes`, as Redis falls back to the secure choice).
    pub fn parse(value: &str) -> ClientAuth {
        if value.eq_ignore_ascii_case("no") {
            ClientAuth::No
        } else if value.eq_ignore_ascii_case("optional") {
            ClientAuth::Optional
        } else {
            ClientAuth::Yes
        }
    }
}

/// A TLS server's settings. Empty paths and strings mean "not set", as in redis.conf.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// `tls-cert-file`: the server's certificate chain (PEM).
    pub cert_file: PathBuf,
    /// `tls-key-file`: the server's private key (PEM; PKCS#8-encrypted with `key_file_pass`).
    pub key_file: PathBuf,
    /// `tls-key-file-pass`: the passphrase of an encrypted `tls-key-file` (empty: none).
    pub key_file_pass: String,
    /// `tls-client-key-file-pass`: the passphrase of an encrypted `tls-client-key-file`.
    pub client_key_file_pass: String,
    /// `tls-ca-cert-file`: CA certificates client certificates are checked against.
    pub ca_cert_file: Option<PathBuf>,
    /// `tls-ca-cert-dir`: a directory of CA certificate files.
    pub ca_cert_dir: Option<PathBuf>,
    /// `tls-client-cert-file` and `tls-client-key-file`: the certificate lode would present
    /// as a client (replication, cluster bus); checked to load, as Redis does.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// `tls-auth-clients`.
    pub auth_clients: ClientAuth,
    /// `tls-replication` or `tls-cluster` is on: like client authentication, they need a CA.
    pub peers_need_ca: bool,
    /// `tls-protocols`: "TLSv1.2 TLSv1.3" or a subset; empty = both.
    pub protocols: String,
    /// `tls-ciphers`: OpenSSL's TLS 1.2 cipher list.
    pub ciphers: String,
    /// `tls-ciphersuites`: OpenSSL's TLS 1.3 suite list.
    pub ciphersuites: String,
    /// `tls-prefer-server-ciphers`: choose by the server's order, not the client's.
    pub prefer_server_ciphers: bool,
    /// `tls-session-caching`: let clients resume sessions.
    pub session_caching: bool,
    /// `tls-session-cache-size`: sessions remembered (0 = Redis's "no limit", capped here).
    pub session_cache_size: usize,
    /// `tls-dh-params-file`: must be readable, as Redis requires; rustls negotiates ECDHE
    /// only, so its parameters are not used.
    pub dh_params_file: Option<PathBuf>,
    /// ALPN protocols offered (QUIC's token; none for TLS over TCP).
    pub alpn: Vec<Vec<u8>>,
}
