//! Whole RDB files as Redis 7.0 writes them (format version 10): "REDIS0010", AUX fields, per
//! non-empty database SELECTDB + RESIZEDB + its entries (EXPIRETIME_MS before a key with a
//! TTL), EOF, then the CRC-64 of everything before it, 8 bytes little-endian.

use super::codec::{put_len, put_string, Reader};
use super::crc64::crc64;
use super::value::{self, Limits};
use super::{Error, Result, RDB_VERSION};
use crate::keyspace::value::Value;
use crate::keyspace::Keyspace;

/// Opcodes (rdb.h).
const OP_FUNCTION2: u8 = 245;
const OP_MODULE_AUX: u8 = 247;
const OP_IDLE: u8 = 248;
const OP_FREQ: u8 = 249;
const OP_AUX: u8 = 250;
const OP_RESIZEDB: u8 = 251;
const OP_EXPIRETIME_MS: u8 = 252;
const OP_EXPIRETIME: u8 = 253;
const OP_SELECTDB: u8 = 254;
const OP_EOF: u8 = 255;

/// One loaded key: database, name, value, absolute expiry in ms (0 = none).
pub type Loaded = (usize, Vec<u8>, Value, u64);

/// An RDB file of the whole keyspace at `now_ms`, with the AUX fields `aux` (written as given,
/// in order). Keys already expired at `now_ms` are left out. Shards are locked one at a time,
/// so the file is consistent per shard, not across shards (a background save in Redis is a
/// point-in-time copy; callers wanting that stop writers first).
pub fn snapshot(ks: &Keyspace, now_ms: u64, aux: &[(&str, String)]) -> Vec<u8> {
    let limits = Limits::defaults();
    let mut out = b"REDIS0010".to_vec();
    debug_assert_eq!(RDB_VERSION, 10);
    for (k, v) in aux {
        out.push(OP_AUX);
        put_string(&mut out, k.as_bytes(), false);
        put_string(&mut out, v.as_bytes(), false);
    }
    for db in 0..ks.databases() {
        let mut body = Vec::new();
        let (mut keys, mut expires) = (0u64, 0u64);
        for shard in 0..ks.shard_count() {
            let mut locked = ks.lock_shard(db, shard, now_ms);
            for s in locked.shards_mut() {
                for (key, entry) in s.iter() {
                    if entry.is_expired(now_ms) {
                        continue;
                    }
                    if entry.expire_at != 0 {
                        body.push(OP_EXPIRETIME_MS);
                        body.extend_from_slice(&entry.expire_at.to_le_bytes());
                        expires += 1;
                    }
                    keys += 1;
                    // The type byte precedes the key, so encode then splice the key in.
                    let mut v = Vec::new();
                    value::encode(&mut v, &entry.value, &limits);
                    body.push(v[0]);
                    put_string(&mut body, key, limits.compress);
                    body.extend_from_slice(&v[1..]);
                }
            }
        }
        if keys == 0 {
            continue;
        }
        out.push(OP_SELECTDB);
        put_len(&mut out, db as u64);
        out.push(OP_RESIZEDB);
        put_len(&mut out, keys);
        put_len(&mut out, expires);
        out.extend_from_slice(&body);
    }
    out.push(OP_EOF);
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Parses an RDB file of version 1 to 10: its keys with their databases and expiry times.
/// The checksum is verified unless it is zero (Redis writes zero when `rdbchecksum no`). AUX,
/// RESIZEDB, IDLE and FREQ are read and skipped; module data and functions are refused.
pub fn load(bytes: &[u8]) -> std::result::Result<Vec<Loaded>, String> {
    load_with(bytes, &Limits::defaults()).map_err(|e| e.0.to_string())
}

/// [`load`] under explicit thresholds.
pub fn load_with(bytes: &[u8], limits: &Limits) -> Result<Vec<Loaded>> {
    let mut r = Reader::new(bytes);
    let magic = r.take(9)?;
    if &magic[..5] != b"REDIS" {
        return Err(Error("wrong signature"));
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse::<u16>().ok())
        .filter(|v| (1..=RDB_VERSION).contains(v))
        .ok_or(Error("unsupported RDB version"))?;
    let mut out = Vec::new();
    let mut db = 0usize;
    let mut expire_at = 0u64;
    loop {
        let op = r.u8()?;
        match op {
            OP_EOF => break,
            OP_SELECTDB => {
                db = usize::try_from(r.read_len()?).map_err(|_| Error("bad db"))?;
            }
            OP_RESIZEDB => {
                r.read_len()?;
                r.read_len()?;
            }
            OP_AUX => {
                r.string()?;
                r.string()?;
            }
            OP_EXPIRETIME_MS => expire_at = u64::from_le_bytes(r.array()?),
            OP_EXPIRETIME => {
                expire_at = u64::from(u32::from_le_bytes(r.array()?)) * 1000;
            }
            OP_IDLE => {
                r.read_len()?;
            }
            OP_FREQ => {
                r.u8()?;
            }
            OP_MODULE_AUX | OP_FUNCTION2 => return Err(Error("unsupported opcode")),
            ty => {
                let key = r.string()?;
                let v = value::decode(ty, &mut r, limits)?;
                out.push((db, key, v, expire_at));
                expire_at = 0;
            }
        }
    }
    // Version 5 added the trailing checksum.
    if version >= 5 {
        let at = r.position();
        let crc = u64::from_le_bytes(r.array()?);
        if crc != 0 && crc != crc64(&bytes[..at]) {
            return Err(Error("wrong RDB checksum"));
        }
    }
    Ok(out)
}
