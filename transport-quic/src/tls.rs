//! rustls configurations (ring provider, TLS 1.3 only, as QUIC requires) from PEM files.

use std::path::Path;
use std::sync::Arc;

use lode_core::util::os_error::strerror;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;

use crate::{ClientAuth, QuicError, ALPN};

/// System CA bundles tried when a client names no CA file.
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, QuicError> {
    std::fs::read(path).map_err(|e| {
        QuicError::new(format!(
            "Failed to load {what} {}: {}",
            path.display(),
            strerror(&e)
        ))
    })
}

/// Every certificate in the PEM file at `path`; at least one.
pub(crate) fn load_certs(
    path: &Path,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, QuicError> {
    let data = read(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| QuicError::new(format!("Invalid PEM in {what} {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(QuicError::new(format!(
            "No certificate found in {what} {}",
            path.display()
        )));
    }
    Ok(certs)
}

/// The first private key in the PEM file at `path`.
pub(crate) fn load_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, QuicError> {
    let data = read(path, what)?;
    match PrivateKeyDer::from_pem_slice(&data) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) if data.windows(9).any(|w| w == b"ENCRYPTED") => {
            Err(QuicError::new(format!(
                "{what} {} holds an encrypted private key: not supported (no tls-key-file-pass)",
                path.display()
            )))
        }
        Err(pem::Error::NoItemsFound) => Err(QuicError::new(format!(
            "No private key found in {what} {}",
            path.display()
        ))),
        Err(e) => Err(QuicError::new(format!(
            "Invalid PEM in {what} {}: {e}",
            path.display()
        ))),
    }
}

fn roots(path: &Path, what: &str) -> Result<RootCertStore, QuicError> {
    let mut store = RootCertStore::empty();
    for cert in load_certs(path, what)? {
        store.add(cert).map_err(|e| {
            QuicError::new(format!(
                "Invalid CA certificate in {what} {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(store)
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
    let certs = load_certs(cert_file, "tls-cert-file")?;
    let key = load_key(key_file, "tls-key-file")?;
    let verifier = match (auth, ca_cert_file) {
        (ClientAuth::No, _) => WebPkiClientVerifier::no_client_auth(),
        (_, None) => {
            return Err(QuicError::new(
                "QUIC with tls-auth-clients yes or optional needs tls-ca-cert-file",
            ))
        }
        (auth, Some(ca)) => {
            let builder = WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots(ca, "tls-ca-cert-file")?),
                provider(),
            );
            let builder = match auth {
                ClientAuth::Optional => builder.allow_unauthenticated(),
                _ => builder,
            };
            builder
                .build()
                .map_err(|e| QuicError::new(format!("tls-ca-cert-file {}: {e}", ca.display())))?
        }
    };
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| QuicError::new(format!("TLS setup: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| {
            QuicError::new(format!(
                "tls-key-file {} does not fit tls-cert-file {}: {e}",
                key_file.display(),
                cert_file.display()
            ))
        })?;
    cfg.alpn_protocols = vec![ALPN.to_vec()];
    Ok(cfg)
}

/// A client's TLS configuration: trust `ca_cert_file` (else the system bundle), present the
/// client certificate when both files are given.
pub(crate) fn client_config(
    ca_cert_file: Option<&Path>,
    cert_file: Option<&Path>,
    key_file: Option<&Path>,
) -> Result<rustls::ClientConfig, QuicError> {
    let store = match ca_cert_file {
        Some(ca) => roots(ca, "tls-ca-cert-file")?,
        None => system_roots()?,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| QuicError::new(format!("TLS setup: {e}")))?
        .with_root_certificates(store);
    let mut cfg = match (cert_file, key_file) {
        (Some(cert), Some(key)) => {
            let certs = load_certs(cert, "tls-client-cert-file")?;
            let key = load_key(key, "tls-client-key-file")?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                QuicError::new(format!("client certificate {}: {e}", cert.display()))
            })?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(QuicError::new(
                "A client certificate needs both tls-client-cert-file and tls-client-key-file",
            ))
        }
    };
    cfg.alpn_protocols = vec![ALPN.to_vec()];
    Ok(cfg)
}

fn system_roots() -> Result<RootCertStore, QuicError> {
    for path in SYSTEM_CA_BUNDLES {
        let path = Path::new(path);
        if path.exists() {
            let mut store = RootCertStore::empty();
            let (added, _) = store.add_parsable_certificates(load_certs(path, "system CA bundle")?);
            if added > 0 {
                return Ok(store);
            }
        }
    }
    Err(QuicError::new(
        "No tls-ca-cert-file given and no system CA bundle found",
    ))
}
