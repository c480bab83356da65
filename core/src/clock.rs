//! Time as the transport hands it in: the core never reads a clock itself.

/// A wall-clock instant in Unix microseconds, supplied by the transport with every input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Now(pub u64);

impl Now {
    /// Unix time in milliseconds (the unit of key expiry, as in Redis).
    pub fn ms(self) -> u64 {
        self.0 / 1000
    }
    /// Unix time in whole seconds.
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000
    }
    /// Unix time in microseconds.
    pub fn micros(self) -> u64 {
        self.0
    }
    /// The instant `ms` milliseconds in the past or future of Unix epoch.
    pub fn from_ms(ms: u64) -> Self {
        Now(ms.saturating_mul(1000))
    }
}
