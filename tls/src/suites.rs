//! `tls-protocols`, `tls-ciphers` and `tls-ciphersuites` mapped onto what rustls (ring) has.
//!
//! Redis hands these strings to OpenSSL. rustls has TLS 1.2 and 1.3 only, and a fixed set of
//! AEAD suites, so: protocol names are checked as Redis checks them (an unknown one is an
//! error), TLSv1 and TLSv1.1 are accepted but cannot be served; suite names rustls knows (by
//! their OpenSSL or IANA spelling) narrow the suites offered, and a list naming none of them
//! keeps rustls's defaults.

use rustls::crypto::ring::cipher_suite as cs;
use rustls::crypto::CryptoProvider;
use rustls::{SupportedCipherSuite, SupportedProtocolVersion};

use crate::TlsError;

/// The TLS versions `tls-protocols` enables (empty = TLS 1.2 and 1.3).
pub fn protocols(spec: &str) -> Result<Vec<&'static SupportedProtocolVersion>, TlsError> {
    let (mut v12, mut v13, mut any) = (false, false, false);
    for token in spec.split_whitespace() {
        any = true;
        match token.to_ascii_lowercase().as_str() {
            "tlsv1" | "tlsv1.1" => {}
            "tlsv1.2" => v12 = true,
            "tlsv1.3" => v13 = true,
            _ => {
                return Err(TlsError::new(
                    "Invalid tls-protocols specified. Use a combination of 'TLSv1', \
                     'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
                ))
            }
        }
    }
    if !any {
        return Ok(vec![&rustls::version::TLS13, &rustls::version::TLS12]);
    }
    let mut out: Vec<&'static SupportedProtocolVersion> = Vec::new();
    if v13 {
        out.push(&rustls::version::TLS13);
    }
    if v12 {
        out.push(&rustls::version::TLS12);
    }
    if out.is_empty() {
        return Err(TlsError::new(format!(
            "tls-protocols \"{spec}\": TLSv1 and TLSv1.1 are not supported, enable TLSv1.2 or TLSv1.3"
        )));
    }
    Ok(out)
}

/// The TLS 1.3 suites by their OpenSSL (= IANA) names.
const TLS13: &[(&str, SupportedCipherSuite)] = &[
    ("TLS_AES_256_GCM_SHA384", cs::TLS13_AES_256_GCM_SHA384),
    ("TLS_AES_128_GCM_SHA256", cs::TLS13_AES_128_GCM_SHA256),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        cs::TLS13_CHACHA20_POLY1305_SHA256,
    ),
];

/// The TLS 1.2 suites by their OpenSSL names (the IANA names are accepted too).
const TLS12: &[(&str, SupportedCipherSuite)] = &[
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

/// The suites of `table` that `list` (OpenSSL's ':'-separated syntax) names, in `list`'s
/// order; `None` when it names none (then rustls's defaults stay).
fn pick(table: &[(&str, SupportedCipherSuite)], list: &str) -> Option<Vec<SupportedCipherSuite>> {
    let mut out: Vec<SupportedCipherSuite> = Vec::new();
    for name in list.split([':', ',', ' ']).filter(|n| !n.is_empty()) {
        let found = table.iter().find(|(openssl, suite)| {
            openssl.eq_ignore_ascii_case(name)
                || suite
                    .suite()
                    .as_str()
                    .is_some_and(|iana| iana.eq_ignore_ascii_case(name))
        });
        if let Some((_, suite)) = found {
            if !out.contains(suite) {
                out.push(*suite);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The ring provider with the suites `ciphersuites` (TLS 1.3) and `ciphers` (TLS 1.2) select.
pub fn provider(ciphers: &str, ciphersuites: &str) -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    let defaults = |v13: bool| -> Vec<SupportedCipherSuite> {
        provider_suites()
            .into_iter()
            .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)) == v13)
            .collect()
    };
    let mut suites = pick(TLS13, ciphersuites).unwrap_or_else(|| defaults(true));
    suites.extend(pick(TLS12, ciphers).unwrap_or_else(|| defaults(false)));
    provider.cipher_suites = suites;
    provider
}

fn provider_suites() -> Vec<SupportedCipherSuite> {
    rustls::crypto::ring::default_provider().cipher_suites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_follow_redis_names() {
        assert_eq!(protocols("").expect("default").len(), 2);
        assert_eq!(protocols("TLSv1.2 TLSv1.3").expect("both").len(), 2);
        let only13 = protocols("tlsv1.3").expect("1.3");
        assert_eq!(only13, vec![&rustls::version::TLS13]);
        assert_eq!(protocols("TLSv1 TLSv1.2").expect("1.2").len(), 1);
        assert!(protocols("TLSv1.1").is_err());
        let bad = protocols("TLSv1.2 SSLv3").expect_err("unknown");
        assert!(bad
            .message()
            .starts_with("Invalid tls-protocols specified."));
    }

    #[test]
    fn suites_narrow_only_by_known_names() {
        let p = provider("", "TLS_CHACHA20_POLY1305_SHA256");
        let v13: Vec<_> = p
            .cipher_suites
            .iter()
            .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)))
            .collect();
        assert_eq!(v13.len(), 1);
        assert_eq!(p.cipher_suites.len(), 1 + 6);
        let p = provider("ECDHE-RSA-AES128-GCM-SHA256:!aNULL", "nonsense");
        assert_eq!(p.cipher_suites.len(), 3 + 1);
        assert_eq!(provider("DEFAULT:!MEDIUM", "").cipher_suites.len(), 9);
    }
}
