//! Whole RDB files as Redis 7.0 writes them (format version 10): "REDIS0010", AUX fields, per
//! non-empty database SELECTDB + RESIZEDB + its entries (EXPIRETIME_MS before a key with a
//! TTL), EOF, then the CRC-64 of everything before it, 8 bytes little-endian. Writing is
//! `snapshot`'s; this module loads.

use super::codec::Reader;
use super::crc64::crc64;
use super::snapshot::{Snapshot, OP_AUX, OP_EOF, OP_EXPIRETIME_MS, OP_SELECTDB};
use super::value::{self, Limits};
use super::{Error, Result, RDB_VERSION};
use crate::keyspace::value::Value;
use crate::keyspace::Keyspace;

/// A library's code (RDB_OPCODE_FUNCTION2, Redis 7.0 on): the code, metadata line included.
pub const OP_FUNCTION2: u8 = 245;
/// A library as Redis 7.0's release candidates wrote it (RDB_OPCODE_FUNCTION): name, engine,
/// an optional description and the code without its metadata line.
pub const OP_FUNCTION: u8 = 246;
/// Opcodes (rdb.h) only the loader meets.
const OP_MODULE_AUX: u8 = 247;
const OP_IDLE: u8 = 248;
const OP_FREQ: u8 = 249;
const OP_RESIZEDB: u8 = 251;
const OP_EXPIRETIME: u8 = 253;

/// One loaded key: database, name, value, absolute expiry in ms (0 = none).
pub type Loaded = (usize, Vec<u8>, Value, u64);

/// An RDB file of the whole keyspace at `now_ms`, with the AUX fields `aux` (written as given,
/// in order), serialised at once: call with the exec gate held exclusively so it is one
/// instant. Keys already expired at `now_ms` are left out.
pub fn snapshot(ks: &Keyspace, now_ms: u64, aux: &[(&str, String)]) -> Vec<u8> {
    Snapshot::at_once(ks, now_ms, true).to_bytes(ks, aux)
}

/// Parses an RDB file of version 1 to 10: its keys with their databases and expiry times.
/// The checksum is verified unless it is zero (Redis writes zero when `rdbchecksum no`). AUX,
/// RESIZEDB, IDLE and FREQ are read and skipped, and so are functions (see [`load_items`]);
/// module data is refused.
pub fn load(bytes: &[u8]) -> std::result::Result<Vec<Loaded>, String> {
    load_with(bytes, &Limits::defaults()).map_err(|e| e.to_string())
}

/// [`load`] under explicit thresholds.
pub fn load_with(bytes: &[u8], limits: &Limits) -> std::result::Result<Vec<Loaded>, LoadError> {
    let mut out = Vec::new();
    load_each(bytes, limits, |k| {
        out.push(k);
        Ok(())
    })?;
    Ok(out)
}

/// Why a file could not be loaded, and the offset where that was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Byte offset into the file.
    pub offset: usize,
    /// What was wrong.
    pub what: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.what, self.offset)
    }
}

/// What an RDB file holds, in the order it holds them.
pub enum Item {
    /// A key.
    Key(Loaded),
    /// A library's code (metadata line included), read from either function opcode.
    Function(Vec<u8>),
    /// An AUX field: name and value.
    Aux(Vec<u8>, Vec<u8>),
}

/// Parses an RDB file, handing each key to `each` as it is read, so a large file is never
/// held twice (as bytes and as a list of values); functions are skipped. An error from `each`
/// stops the load. Returns the offset just past the file (an AOF with an RDB preamble
/// continues there).
pub fn load_each(
    bytes: &[u8],
    limits: &Limits,
    mut each: impl FnMut(Loaded) -> std::result::Result<(), String>,
) -> std::result::Result<usize, LoadError> {
    load_items(bytes, limits, |item| match item {
        Item::Key(k) => each(k),
        Item::Function(_) | Item::Aux(..) => Ok(()),
    })
}

/// [`load_each`] for keys and functions alike.
pub fn load_items(
    bytes: &[u8],
    limits: &Limits,
    mut each: impl FnMut(Item) -> std::result::Result<(), String>,
) -> std::result::Result<usize, LoadError> {
    let mut r = Reader::new(bytes);
    let fail = |r: &Reader, e: Error| LoadError {
        offset: r.position(),
        what: e.0.to_string(),
    };
    let magic = r.take(9).map_err(|e| fail(&r, e))?;
    if &magic[..5] != b"REDIS" {
        return Err(fail(
            &r,
            Error("wrong signature trying to load DB from file"),
        ));
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse::<u16>().ok())
        .filter(|v| (1..=RDB_VERSION).contains(v))
        .ok_or_else(|| fail(&r, Error("unsupported RDB version")))?;
    let (mut db, mut expire_at) = (0usize, 0u64);
    loop {
        let mut item = None;
        let more =
            step(&mut r, limits, &mut db, &mut expire_at, &mut item).map_err(|e| fail(&r, e))?;
        if let Some(item) = item {
            each(item).map_err(|what| LoadError {
                offset: r.position(),
                what,
            })?;
        }
        if !more {
            break;
        }
    }
    // Version 5 added the trailing checksum.
    if version >= 5 {
        let at = r.position();
        let crc: [u8; 8] = r.array().map_err(|e| fail(&r, e))?;
        let crc = u64::from_le_bytes(crc);
        let want = crc64(&bytes[..at]);
        if crc != 0 && crc != want {
            return Err(LoadError {
                offset: at,
                what: format!("wrong RDB checksum expected: ({want:x}) got ({crc:x})"),
            });
        }
    }
    Ok(r.position())
}

/// Reads one opcode and what follows it; a key or function read is left in `item`. False at
/// EOF.
fn step(
    r: &mut Reader,
    limits: &Limits,
    db: &mut usize,
    expire_at: &mut u64,
    item: &mut Option<Item>,
) -> Result<bool> {
    match r.u8()? {
        OP_EOF => return Ok(false),
        OP_SELECTDB => *db = usize::try_from(r.read_len()?).map_err(|_| Error("bad db"))?,
        OP_RESIZEDB => {
            r.read_len()?;
            r.read_len()?;
        }
        OP_AUX => {
            let name = r.string()?;
            let value = r.string()?;
            *item = Some(Item::Aux(name, value));
        }
        OP_EXPIRETIME_MS => *expire_at = u64::from_le_bytes(r.array()?),
        OP_EXPIRETIME => *expire_at = u64::from(u32::from_le_bytes(r.array()?)) * 1000,
        OP_IDLE => {
            r.read_len()?;
        }
        OP_FREQ => {
            r.u8()?;
        }
        OP_MODULE_AUX => return Err(Error("module data (opcode 247) is not supported")),
        ty @ (OP_FUNCTION2 | OP_FUNCTION) => {
            *item = Some(Item::Function(read_function(r, ty)?));
        }
        ty => {
            let name = r.string()?;
            let v = value::decode(ty, r, limits)?;
            *item = Some(Item::Key((*db, name, v, std::mem::take(expire_at))));
        }
    }
    Ok(true)
}

/// Reads the library after a function opcode `ty` (Redis's rdbFunctionLoad): its code, with
/// the metadata line a release candidate's entry lacks put in front. Errors are Redis's.
pub fn read_function(r: &mut Reader, ty: u8) -> Result<Vec<u8>> {
    let string = |r: &mut Reader, what: &'static str| r.string().map_err(|_| Error(what));
    if ty == OP_FUNCTION2 {
        return string(r, "Failed loading library payload");
    }
    let name = string(r, "Failed loading library name")?;
    let engine = string(r, "Failed loading engine name")?;
    let has_desc = r
        .read_len()
        .map_err(|_| Error("Failed loading library description indicator"))?;
    if has_desc != 0 {
        string(r, "Failed loading library description")?;
    }
    let blob = string(r, "Failed loading library blob")?;
    let mut code = Vec::with_capacity(blob.len() + name.len() + engine.len() + 9);
    code.extend_from_slice(b"#!");
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&blob);
    Ok(code)
}
