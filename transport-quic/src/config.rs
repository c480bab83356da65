//! The server's options, as Redis names them (`tls-*`) plus lode's `quic-*` limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use quinn::{IdleTimeout, TransportConfig, VarInt};

pub use lode_tls::ClientAuth;

use crate::QuicError;

/// How to serve QUIC.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// UDP addresses to bind (each gets its own endpoint).
    pub addrs: Vec<SocketAddr>,
    /// `tls-cert-file`: the server's certificate chain (PEM).
    pub cert_file: PathBuf,
    /// `tls-key-file`: the server's private key (PEM).
    pub key_file: PathBuf,
    /// `tls-ca-cert-file`: CA certificates client certificates are checked against (PEM).
    pub ca_cert_file: Option<PathBuf>,
    /// `tls-auth-clients`.
    pub auth_clients: ClientAuth,
    /// Connection idle timeout in milliseconds; 0 = none.
    pub idle_timeout_ms: u64,
    /// Keep-alive (PING frame) interval in milliseconds; 0 = off.
    pub keepalive_ms: u64,
    /// Concurrent bidirectional streams (sessions) a connection may have open.
    pub max_streams: u32,
    /// Connections served at once; new ones beyond it are refused.
    pub max_connections: u32,
    /// Threads serving QUIC (`io-threads`): with one, sessions run in the order their bytes
    /// arrived, as on Redis's single event loop.
    pub threads: usize,
}

/// Per-stream flow-control window: a 1 MiB value and a deep pipeline fit without stalls.
const STREAM_WINDOW: u32 = 4 * 1024 * 1024;

/// Per-connection flow-control window, shared by all of its sessions.
const CONNECTION_WINDOW: u32 = 32 * 1024 * 1024;

/// QUIC transport parameters from the `quic-*` limits.
pub(crate) fn transport(
    idle_timeout_ms: u64,
    keepalive_ms: u64,
    max_bidi: u32,
) -> Result<TransportConfig, QuicError> {
    let mut t = TransportConfig::default();
    let idle = match idle_timeout_ms {
        0 => None,
        ms => Some(
            IdleTimeout::try_from(Duration::from_millis(ms))
                .map_err(|_| QuicError::new(format!("QUIC idle timeout {ms} ms is too large")))?,
        ),
    };
    t.max_idle_timeout(idle);
    t.keep_alive_interval((keepalive_ms > 0).then(|| Duration::from_millis(keepalive_ms)));
    t.max_concurrent_bidi_streams(VarInt::from_u32(max_bidi));
    t.max_concurrent_uni_streams(VarInt::from_u32(0));
    t.stream_receive_window(VarInt::from_u32(STREAM_WINDOW));
    t.receive_window(VarInt::from_u32(CONNECTION_WINDOW));
    t.send_window(u64::from(CONNECTION_WINDOW));
    Ok(t)
}
