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

/// The label of a PKCS#8 encrypted key, which `tls-key-file-pass` decrypts.
const ENCRYPTED_PKCS8: &str = "ENCRYPTED PRIVATE KEY";

/// The first private key in the PEM file at `path`. A PKCS#8 encrypted key (what OpenSSL 3
/// writes for `genrsa -aes256` or `pkcs8 -topk8`) is decrypted with `pass`, as OpenSSL
/// decrypts it with Redis's `tls-key-file-pass`; a traditional encrypted key
/// (`Proc-Type: 4,ENCRYPTED`) is refused with a line saying how to convert it.
pub fn load_key(path: &Path, what: &str, pass: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let data = read(path, what)?;
    match PrivateKeyDer::from_pem_slice(&data) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) if contains(&data, ENCRYPTED_PKCS8.as_bytes()) => {
            decrypt(&data, what, pass).map_err(|why| {
                TlsError::new(format!(
                    "Failed to load private key {what} {}: {why}",
                    path.display()
                ))
            })
        }
        Err(pem::Error::NoItemsFound) if contains(&data, b"Proc-Type: 4,ENCRYPTED") => {
            Err(TlsError::new(format!(
                "{what} {} holds a traditional encrypted private key, which lode cannot \
                 decrypt: convert it with `openssl pkcs8 -topk8` (then give its passphrase as \
                 tls-key-file-pass)",
                path.display()
            )))
        }
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

fn contains(data: &[u8], needle: &[u8]) -> bool {
    data.windows(needle.len()).any(|w| w == needle)
}

/// The PKCS#8 key inside the first `ENCRYPTED PRIVATE KEY` block of `data`, decrypted with
/// `pass`; the error says why not.
fn decrypt(data: &[u8], what: &str, pass: &str) -> Result<PrivateKeyDer<'static>, String> {
    use pkcs8::der::Document;
    let text = std::str::from_utf8(data).map_err(|_| "the file is not PEM text".to_string())?;
    let begin = format!("-----BEGIN {ENCRYPTED_PKCS8}-----");
    let end = format!("-----END {ENCRYPTED_PKCS8}-----");
    let block = text
        .find(&begin)
        .and_then(|at| {
            let rest = &text[at..];
            rest.find(&end).map(|stop| &rest[..stop + end.len()])
        })
        .ok_or("an unterminated ENCRYPTED PRIVATE KEY block")?;
    let (_, doc) = Document::from_pem(block).map_err(|e| format!("invalid PEM: {e}"))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
        .map_err(|e| format!("invalid encrypted key: {e}"))?;
    if pass.is_empty() {
        return Err(format!("the key is encrypted and {what}-pass is not set"));
    }
    let plain = info
        .decrypt(pass.as_bytes())
        .map_err(|_| "bad decrypt (wrong passphrase?)".to_string())?;
    Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()))
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

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::*;

    #[test]
    fn an_encrypted_pkcs8_key_is_decrypted_with_its_passphrase() {
        let dir = std::env::temp_dir().join(format!("lode-tls-pem-{}", std::process::id()));
        let pki = crate::testkit::generate(&dir, "pem test CA").expect("pki");
        let encrypted = dir.join("encrypted.key");
        crate::testkit::encrypt_key(&pki.server_key, &encrypted, "s3cret").expect("encrypt");
        let plain = load_key(&pki.server_key, "tls-key-file", "").expect("plain key");
        let decrypted = load_key(&encrypted, "tls-key-file", "s3cret").expect("decrypted");
        assert_eq!(plain.secret_der(), decrypted.secret_der());
        // A passphrase given for a plain key is not needed, as OpenSSL ignores it.
        assert!(load_key(&pki.server_key, "tls-key-file", "unused").is_ok());
        let wrong = load_key(&encrypted, "tls-key-file", "wrong").expect_err("wrong pass");
        assert!(wrong.to_string().contains("bad decrypt"), "{wrong}");
        let missing = load_key(&encrypted, "tls-key-file", "").expect_err("no pass");
        assert!(
            missing.to_string().contains("tls-key-file-pass is not set"),
            "{missing}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
