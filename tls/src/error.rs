//! The error a TLS configuration reports: one line, fit for the server log.

use std::fmt;

/// Why a TLS configuration could not be built; `Display` is the line the server logs (before
/// exiting at start-up, or before CONFIG SET fails).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsError(String);

impl TlsError {
    /// An error carrying `msg` as its log line.
    pub fn new(msg: impl Into<String>) -> Self {
        TlsError(msg.into())
    }

    /// The log line.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}
