//! DUMP payloads (Redis's createDumpPayload / verifyDumpPayload): the value's type byte and
//! body, the RDB version as 2 bytes little-endian, then the CRC-64 of everything before it as
//! 8 bytes little-endian.

use super::codec::Reader;
use super::crc64::crc64;
use super::value::{self, Limits};
use super::{Result, RDB_VERSION};
use crate::keyspace::value::Value;

/// Version + checksum trailer size.
const FOOTER: usize = 10;

/// The DUMP payload of `v`.
pub fn create(v: &Value, limits: &Limits) -> Vec<u8> {
    let mut out = Vec::new();
    value::encode(&mut out, v, limits);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Whether `payload`'s footer is acceptable: long enough, an RDB version this server reads,
/// and a matching checksum (Redis checks a DUMP payload's checksum even when it is zero).
pub fn verify(payload: &[u8]) -> bool {
    verify_with(payload, true)
}

/// [`verify`], optionally without the checksum (DEBUG SET-SKIP-CHECKSUM-VALIDATION).
pub fn verify_with(payload: &[u8], checksum: bool) -> bool {
    if payload.len() < FOOTER {
        return false;
    }
    let at = payload.len() - FOOTER;
    let version = u16::from_le_bytes([payload[at], payload[at + 1]]);
    if version > RDB_VERSION {
        return false;
    }
    if !checksum {
        return true;
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&payload[at + 2..]);
    crc64(&payload[..at + 2]) == u64::from_le_bytes(crc)
}

/// The value in a payload that passed [`verify`]. As in Redis, the value is read from the
/// whole buffer, footer included, and bytes it does not use are ignored; running past the end
/// is an error.
pub fn load(payload: &[u8], limits: &Limits) -> Result<Value> {
    let mut r = Reader::new(payload);
    let ty = r.u8()?;
    value::decode(ty, &mut r, limits)
}
