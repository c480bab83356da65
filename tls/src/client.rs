//! A rustls `ClientConfig`: what lode's own clients (the QUIC client, tests, the conformance
//! suite) use to reach a TLS server.

use std::path::Path;
use std::sync::Arc;

use crate::pem::{load_certs, load_key, roots, system_roots};
use crate::{suites, TlsError};

/// A client configuration: trust `ca_cert_file` (else the system bundle), present the client
/// certificate when both files are given, speak the versions `protocols` enables
/// (`tls-protocols` syntax), offer `alpn`.
pub fn client_config(
    ca_cert_file: Option<&Path>,
    cert_file: Option<&Path>,
    key_file: Option<&Path>,
    protocols: &str,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, TlsError> {
    let store = match ca_cert_file {
        Some(ca) => roots(Some(ca), None)?,
        None => system_roots()?,
    };
    let versions = suites::protocols(protocols)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?
        .with_root_certificates(store);
    let mut cfg = match (cert_file, key_file) {
        (Some(cert), Some(key)) => {
            let certs = load_certs(cert, "tls-client-cert-file")?;
            let key = load_key(key, "tls-client-key-file", "")?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| TlsError::new(format!("client certificate {}: {e}", cert.display())))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(TlsError::new(
                "A client certificate needs both tls-client-cert-file and tls-client-key-file",
            ))
        }
    };
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(cfg)
}
