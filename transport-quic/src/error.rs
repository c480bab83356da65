//! The error `start` reports: one line, fit for the log before the server exits.

use std::fmt;

/// Why the QUIC transport could not start; `Display` is the line the server logs before
/// exiting with status 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuicError(pub(crate) String);

impl QuicError {
    /// An error carrying `msg` as its log line.
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        QuicError(msg.into())
    }
}

impl fmt::Display for QuicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QuicError {}

impl From<QuicError> for std::io::Error {
    fn from(e: QuicError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e.0)
    }
}
