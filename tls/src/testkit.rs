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
