//! rustls configurations for QUIC (TLS 1.3 only, as QUIC requires, and lode's ALPN token),
//! built by lode-tls from the same `tls-*` options TLS over TCP uses.

use std::path::Path;

use lode_tls::TlsOptions;

use crate::{ClientAuth, QuicError, ALPN};

/// QUIC runs TLS 1.3 and nothing else.
const PROTOCOLS: &str = "TLSv1.3";

impl From<lode_tls::TlsError> for QuicError {
    fn from(e: lode_tls::TlsError) -> Self {
        QuicError::new(e.message())
    }
}

/// The server's TLS configuration.
pub(crate) fn server_config(
    cert_file: &Path,
    key_file: &Path,
    ca_cert_file: Option<&Path>,
    auth: ClientAuth,
) -> Result<rustls::ServerConfig, QuicError> {
    if cert_file.as_os_str().is_empty() || key_file.as_os_str().is_empty() {
        return Err(QuicError::new("QUIC needs tls-cert-file and tls-key-file"));
    }
    let opts = TlsOptions {
        cert_file: cert_file.to_path_buf(),
        key_file: key_file.to_path_buf(),
        ca_cert_file: ca_cert_file.map(Path::to_path_buf),
        auth_clients: auth,
        protocols: PROTOCOLS.into(),
        // rustls's own default for a server.
        session_caching: true,
        session_cache_size: 256,
        alpn: vec![ALPN.to_vec()],
        ..TlsOptions::default()
    };
    Ok(lode_tls::server_config(&opts)?)
}

/// A client's TLS configuration: trust `ca_cert_file` (else the system bundle), present the
/// client certificate when both files are given.
pub(crate) fn client_config(
    ca_cert_file: Option<&Path>,
    cert_file: Option<&Path>,
    key_file: Option<&Path>,
) -> Result<rustls::ClientConfig, QuicError> {
    Ok(lode_tls::client_config(
        ca_cert_file,
        cert_file,
        key_file,
        PROTOCOLS,
        &[ALPN],
    )?)
}
