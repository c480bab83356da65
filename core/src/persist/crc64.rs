//! The CRC-64 Redis appends to DUMP payloads and RDB files: Jones polynomial
//! (0xad93d23594c935a9), reflected, initial value 0, no final xor. The `crc` crate's catalogue
//! has it as `CRC_64_REDIS`, whose check value is Redis's own test vector
//! (crc64("123456789") = 0xe9c6d914c4b8d9ca).

use crc::{Crc, CRC_64_REDIS};

/// The table-driven CRC engine, built at compile time.
static REDIS: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

/// The CRC-64 of `bytes` as Redis's `crc64(0, bytes, len)` computes it.
pub fn crc64(bytes: &[u8]) -> u64 {
    REDIS.checksum(bytes)
}

/// A CRC-64 computed piece by piece (a file written in chunks).
pub struct Digest(crc::Digest<'static, u64>);

impl Digest {
    /// The digest of nothing yet.
    pub fn new() -> Self {
        Digest(REDIS.digest())
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The CRC-64 of everything added.
    pub fn finish(self) -> u64 {
        self.0.finalize()
    }
}

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_test_vector() {
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut d = Digest::new();
        d.update(b"1234");
        d.update(b"56789");
        assert_eq!(d.finish(), 0xe9c6d914c4b8d9ca);
    }
}
