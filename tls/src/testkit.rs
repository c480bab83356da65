//! A throwaway PKI for tests (feature `testkit`): a CA, a server certificate for localhost
//! and 127.0.0.1, and a client certificate, all signed by the CA, as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The PEM files [`generate`] wrote.
pub struct Pki {
    /// The CA certificate.
    pub ca: PathBuf,
    /// The server's certificate (localhost, 127.0.0.1).
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// A client certificate the CA signed.
    pub client_cert: PathBuf,
    /// Its private key.
    pub client_key: PathBuf,
}

/// Generates a PKI whose CA is called `name` into `dir` (created if missing).
pub fn generate(dir: &Path, name: &str) -> Result<Pki, String> {
    let err = |e: rcgen::Error| format!("certificate generation: {e}");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, name);
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>| -> Result<(String, String), String> {
        let params = CertificateParams::new(names).map_err(err)?;
        let key = KeyPair::generate().map_err(err)?;
        let cert = params.signed_by(&key, &issuer).map_err(err)?;
        Ok((cert.pem(), key.serialize_pem()))
    };
    let (server, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()])?;
    let (client, client_key) = leaf(vec!["lode-client".into()])?;
    let pki = Pki {
        ca: dir.join("ca.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
    };
    let write =
        |p: &Path, text: &str| std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()));
    write(&pki.ca, &ca_cert.pem())?;
    write(&pki.server_cert, &server)?;
    write(&pki.server_key, &server_key)?;
    write(&pki.client_cert, &client)?;
    write(&pki.client_key, &client_key)?;
    Ok(pki)
}

/// Writes the PKCS#8 key in `key` to `out` encrypted with `pass` (PBES2: PBKDF2-SHA256 and
/// AES-256-CBC, what OpenSSL 3 writes), for `tls-key-file-pass` tests.
pub fn encrypt_key(key: &Path, out: &Path, pass: &str) -> Result<(), String> {
    use pkcs8::der::pem::LineEnding;
    use pkcs8::pkcs5::pbes2::Parameters;
    let pem = std::fs::read_to_string(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let (_, doc) = pkcs8::SecretDocument::from_pem(&pem).map_err(|e| e.to_string())?;
    let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| e.to_string())?;
    let params = Parameters::pbkdf2_sha256_aes256cbc(2048, b"lode-salt", b"lode-iv-16-bytes")
        .map_err(|e| e.to_string())?;
    let encrypted = info
        .encrypt_with_params(params, pass)
        .map_err(|e| e.to_string())?;
    let text = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| e.to_string())?;
    std::fs::write(out, text.as_bytes()).map_err(|e| format!("{}: {e}", out.display()))
}
