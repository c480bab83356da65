//! Redis 7.0's RDB format: the value encodings DUMP/RESTORE exchange and whole RDB files, as
//! pure functions over byte slices (core does no I/O; the host reads and writes the files).
//!
//! Part of the data layer: it reads and builds the value representations of `types/*/` and
//! walks the `keyspace`, and imports no command code.
//!
//! - [`crc64`]: the checksum every payload and file ends with;
//! - [`lzf`]: the compression long strings may be stored with;
//! - [`codec`]: lengths, strings and doubles, the primitives of every encoding;
//! - [`listpack`] and [`intset`]: Redis's compact containers, byte for byte;
//! - [`ziplist`]: the older container, read only (payloads of Redis < 7.0);
//! - [`value`]: one value's type byte and body, both directions;
//! - [`dump`]: DUMP payloads (value + RDB version + CRC64);
//! - [`snapshot`]: whole RDB files written from a point-in-time snapshot, without fork;
//! - [`rdb`]: whole RDB files loaded;
//! - [`aof`]: the multi-part AOF's manifest and command stream;
//! - [`rewrite`]: an AOF base in command form;
//! - [`status`]: where saving and the AOF stand.

pub mod aof;
pub mod codec;
pub mod crc64;
pub mod dump;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod rewrite;
pub mod snapshot;
pub mod status;
pub mod stream;
pub mod value;
pub mod ziplist;

#[cfg(test)]
mod tests;

/// The RDB format version lode writes, as Redis 7.0 does.
pub const RDB_VERSION: u16 = 10;

/// Why a payload could not be decoded. Decoding never panics: anything malformed, truncated or
/// of a type lode does not load becomes one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub &'static str);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The result of a decoding step.
pub type Result<T> = std::result::Result<T, Error>;

/// Bytes from hex text (test vectors captured from redis-server).
#[cfg(test)]
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}
