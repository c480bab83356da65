//! TLS over TCP (`tls-port`): the `tls-*` options as lode-tls reads them, start-up's TLS
//! configuration and listeners, and CONFIG SET's reloads (tls.c and config.c's
//! `applyTlsCfg`/`applyTLSPort` in Redis).

use std::path::PathBuf;

use lode_core::config::Config;
use lode_tls::{Acceptor, ClientAuth, TlsOptions};

use crate::log::{self, LogLevel};

/// The reply text of a CONFIG SET whose TLS configuration does not load (Redis's).
pub const RELOAD_FAILED: &str = "Unable to update TLS configuration. Check server logs.";

/// The line Redis logs before exiting when TLS cannot be configured at start-up.
pub const START_FAILED: &str = "Failed to configure TLS. Check logs for more info.";

/// Whether `name` is a TLS option whose change reconfigures TLS (everything but `tls-port`,
/// which opens or closes listeners).
pub fn is_tls_option(name: &str) -> bool {
    name.starts_with("tls-") && name != "tls-port"
}

/// Whether TLS must be configured: a TLS port, or TLS for replication or the cluster bus.
pub fn wanted(config: &Config) -> bool {
    port(config) != 0 || flag(config, "tls-replication") || flag(config, "tls-cluster")
}

/// `tls-port`.
pub fn port(config: &Config) -> u16 {
    get(config, "tls-port").parse().unwrap_or(0)
}

fn get(config: &Config, name: &str) -> String {
    config.get(name).unwrap_or_default()
}

fn flag(config: &Config, name: &str) -> bool {
    get(config, name) == "yes"
}

fn path(config: &Config, name: &str) -> Option<PathBuf> {
    Some(get(config, name))
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The TLS server settings in `config`.
pub fn options(config: &Config) -> TlsOptions {
    let client_cert = match (
        path(config, "tls-client-cert-file"),
        path(config, "tls-client-key-file"),
    ) {
        (Some(cert), Some(key)) => Some((cert, key)),
        _ => None,
    };
    TlsOptions {
        cert_file: path(config, "tls-cert-file").unwrap_or_default(),
        key_file: path(config, "tls-key-file").unwrap_or_default(),
        key_file_pass: get(config, "tls-key-file-pass"),
        client_key_file_pass: get(config, "tls-client-key-file-pass"),
        ca_cert_file: path(config, "tls-ca-cert-file"),
        ca_cert_dir: path(config, "tls-ca-cert-dir"),
        client_cert,
        auth_clients: ClientAuth::parse(&get(config, "tls-auth-clients")),
        peers_need_ca: flag(config, "tls-replication") || flag(config, "tls-cluster"),
        protocols: get(config, "tls-protocols"),
        ciphers: get(config, "tls-ciphers"),
        ciphersuites: get(config, "tls-ciphersuites"),
        prefer_server_ciphers: flag(config, "tls-prefer-server-ciphers"),
        session_caching: flag(config, "tls-session-caching"),
        session_cache_size: get(config, "tls-session-cache-size").parse().unwrap_or(0),
        dh_params_file: path(config, "tls-dh-params-file"),
        alpn: Vec::new(),
    }
}

/// The rustls configuration `config` describes; on failure the reason is logged, as Redis
/// logs it, and `None` returned.
pub fn server_config(config: &Config) -> Option<lode_tls::rustls::ServerConfig> {
    match lode_tls::server_config(&options(config)) {
        Ok(cfg) => Some(cfg),
        Err(e) => {
            log::line(LogLevel::Warning, e.message());
            None
        }
    }
}

/// Start-up: the acceptor for TLS clients when `config` wants TLS, `None` when it does not;
/// exits (after Redis's log lines) when it cannot be configured.
pub fn configure_at_start(config: &Config) -> Option<Acceptor> {
    if !wanted(config) {
        return None;
    }
    match server_config(config) {
        Some(cfg) => Some(Acceptor::new(cfg)),
        None => {
            log::line(LogLevel::Warning, START_FAILED);
            std::process::exit(1);
        }
    }
}
