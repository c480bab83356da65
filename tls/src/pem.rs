//! Certificates, keys and CA stores read from PEM files (rustls-pki-types' own parser).

use std::path::Path;

use lode_core::util::os_error::strerror;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;

use crate::TlsError;

/// System CA bundles tried when a client names no CA file.
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| {
        TlsError::new(format!(
            "Failed to load {what} {}: {}",
            path.display(),
            strerror(&e)
        ))
    })
}

/// Every certificate in the PEM file at `path` (`what` names the option, for the message);
/// at least one.
pub fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = read(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(format!("Invalid PEM in {what} {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsError::new(format!(
            "No certificate found in {what} {}",
            path.display()
        )));
    }
    Ok(certs)
}

/// Whether a PEM file holds an encrypted private key (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a
/// traditional key with `Proc-Type: 4,ENCRYPTED`), which rustls cannot decrypt.
fn is_encrypted(data: &[u8]) -> bool {
    data.windows(9).any(|w| w == b"ENCRYPTED")
}

/// The first private key in the PEM file at `path`. An encrypted key is refused with a line
/// saying so: rustls cannot decrypt it, whatever `tls-key-file-pass` says.
pub fn load_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let data = read(path, what)?;
    match PrivateKeyDer::from_pem_slice(&data) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) if is_encrypted(&data) => Err(TlsError::new(format!(
            "{what} {} holds an encrypted private key: lode cannot decrypt keys \
             (tls-key-file-pass is not supported), give it an unencrypted key",
            path.display()
        ))),
        Err(pem::Error::NoItemsFound) => Err(TlsError::new(format!(
            "No private key found in {what} {}",
            path.display()
        ))),
        Err(e) => Err(TlsError::new(format!(
            "Invalid PEM in {what} {}: {e}",
            path.display()
        ))),
    }
}

/// A CA store from `file` and every certificate file in `dir` (as OpenSSL's
/// `load_verify_locations`: the directory's files that are not certificates are skipped).
pub fn roots(file: Option<&Path>, dir: Option<&Path>) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    if let Some(file) = file {
        for cert in load_certs(file, "tls-ca-cert-file")? {
            store.add(cert).map_err(|e| {
                TlsError::new(format!(
                    "Invalid CA certificate in tls-ca-cert-file {}: {e}",
                    file.display()
                ))
            })?;
        }
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            TlsError::new(format!(
                "Failed to configure CA certificate(s) file/directory: tls-ca-cert-dir {}: {}",
                dir.display(),
                strerror(&e)
            ))
        })?;
        for entry in entries.flatten() {
            if let Ok(certs) = load_certs(&entry.path(), "tls-ca-cert-dir") {
                store.add_parsable_certificates(certs);
            }
        }
    }
    if store.is_empty() {
        return Err(TlsError::new(
            "Failed to configure CA certificate(s) file/directory: no CA certificate found",
        ));
    }
    Ok(store)
}

/// The system's CA bundle, for a client that names no CA file.
pub fn system_roots() -> Result<RootCertStore, TlsError> {
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
    Err(TlsError::new(
        "No tls-ca-cert-file given and no system CA bundle found",
    ))
}
