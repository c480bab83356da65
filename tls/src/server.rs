//! A rustls `ServerConfig` from [`TlsOptions`], with Redis's checks and log lines
//! (tls.c's `tlsConfigure`).

use std::path::Path;
use std::sync::Arc;

use lode_core::util::os_error::strerror;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::InconsistentKeys;

use crate::pem::{load_certs, load_key, roots};
use crate::{suites, ClientAuth, TlsError, TlsOptions};

/// Sessions remembered when `tls-session-cache-size` is 0 (OpenSSL's "no limit").
const UNLIMITED_SESSIONS: usize = 1 << 20;

fn is_set(p: &Path) -> bool {
    !p.as_os_str().is_empty()
}

/// The server's certificate chain with its key, which must be the certificate's. A
/// certificate webpki cannot read (an X.509 v1 certificate, which `openssl x509 -req` makes
/// without extensions, as Redis's gen-test-certs.sh makes `redis.crt`) is served as it is,
/// as OpenSSL serves it: only the client has to accept it.
fn certified_key(
    opts: &TlsOptions,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let signing = provider.key_provider.load_private_key(key).map_err(|e| {
        TlsError::new(format!(
            "Failed to load private key: {}: {e}",
            opts.key_file.display()
        ))
    })?;
    let certified = CertifiedKey::new(certs, signing);
    match certified.keys_match() {
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::new(format!(
                "Failed to load private key: tls-key-file {} does not match tls-cert-file {}",
                opts.key_file.display(),
                opts.cert_file.display()
            )))
        }
        _ => Ok(certified),
    }
}

/// The server configuration `opts` describe, or the line to log about why not.
pub fn server_config(opts: &TlsOptions) -> Result<rustls::ServerConfig, TlsError> {
    if !is_set(&opts.cert_file) {
        return Err(TlsError::new("No tls-cert-file configured!"));
    }
    if !is_set(&opts.key_file) {
        return Err(TlsError::new("No tls-key-file configured!"));
    }
    let ca_file = opts.ca_cert_file.as_deref().filter(|p| is_set(p));
    let ca_dir = opts.ca_cert_dir.as_deref().filter(|p| is_set(p));
    let has_ca = ca_file.is_some() || ca_dir.is_some();
    if (opts.auth_clients != ClientAuth::No || opts.peers_need_ca) && !has_ca {
        return Err(TlsError::new(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, \
             tls-replication or tls-auth-clients are enabled!",
        ));
    }
    let versions = suites::protocols(&opts.protocols)?;
    let certs = load_certs(&opts.cert_file, "tls-cert-file")?;
    let key = load_key(&opts.key_file, "tls-key-file", &opts.key_file_pass)?;
    let provider = Arc::new(suites::provider(&opts.ciphers, &opts.ciphersuites));
    let verifier = match opts.auth_clients {
        ClientAuth::No => WebPkiClientVerifier::no_client_auth(),
        auth => {
            let store = Arc::new(roots(ca_file, ca_dir)?);
            let builder = WebPkiClientVerifier::builder_with_provider(store, provider.clone());
            let builder = match auth {
                ClientAuth::Optional => builder.allow_unauthenticated(),
                _ => builder,
            };
            builder.build().map_err(|e| {
                TlsError::new(format!(
                    "Failed to configure CA certificate(s) file/directory: {e}"
                ))
            })?
        }
    };
    if has_ca && opts.auth_clients == ClientAuth::No {
        // Not used to verify anyone, but Redis refuses to start with a CA it cannot load.
        roots(ca_file, ca_dir)?;
    }
    if let Some(dh) = opts.dh_params_file.as_deref().filter(|p| is_set(p)) {
        std::fs::metadata(dh)
            .and_then(|_| std::fs::File::open(dh))
            .map_err(|e| {
                TlsError::new(format!("Failed to load {}: {}", dh.display(), strerror(&e)))
            })?;
    }
    if let Some((cert, key)) = &opts.client_cert {
        load_certs(cert, "tls-client-cert-file")?;
        load_key(key, "tls-client-key-file", &opts.client_key_file_pass)?;
    }
    let certified = certified_key(opts, certs, key, &provider)?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| TlsError::new(format!("Failed to configure ciphers: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    cfg.ignore_client_order = opts.prefer_server_ciphers;
    if opts.session_caching {
        let size = match opts.session_cache_size {
            0 => UNLIMITED_SESSIONS,
            n => n,
        };
        cfg.session_storage = ServerSessionMemoryCache::new(size);
    } else {
        cfg.session_storage = Arc::new(NoServerSessionStorage {});
        cfg.send_tls13_tickets = 0;
    }
    cfg.alpn_protocols = opts.alpn.clone();
    Ok(cfg)
}
