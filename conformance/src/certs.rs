//! A throwaway CA and server certificate for the QUIC and TLS targets (the server's TLS files
//! and the CA the suite's clients and the bridge trust), from lode-tls's test PKI.

use std::path::{Path, PathBuf};

/// PEM files written into a server's temp dir.
pub struct TestCerts {
    /// The CA certificate clients trust.
    pub ca: PathBuf,
    /// The server's certificate (for 127.0.0.1 and localhost), signed by the CA.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

impl TestCerts {
    /// The server's options for these files; clients are not asked for certificates.
    pub fn server_options(&self) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        vec![
            "--tls-cert-file".into(),
            path(&self.cert),
            "--tls-key-file".into(),
            path(&self.key),
            "--tls-ca-cert-file".into(),
            path(&self.ca),
            "--tls-auth-clients".into(),
            "no".into(),
        ]
    }
}

/// Generates a CA and a server certificate into `dir`.
pub fn generate(dir: &Path) -> Result<TestCerts, String> {
    let pki = lode_tls::testkit::generate(dir, "lode conformance CA")?;
    Ok(TestCerts {
        ca: pki.ca,
        cert: pki.server_cert,
        key: pki.server_key,
    })
}
