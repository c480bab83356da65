//! The forms libraries are saved in: RDB_OPCODE_FUNCTION2 entries (in an RDB file, before the
//! databases, and in FUNCTION DUMP's payload, which adds the RDB version and a CRC-64 as a key's
//! DUMP payload does), and FUNCTION LOAD commands (in an AOF base written as commands).

use bytes::BytesMut;

use crate::persist::codec::{put_string, Reader};
use crate::persist::crc64::crc64;
use crate::persist::rdb::{read_function, OP_FUNCTION, OP_FUNCTION2};
use crate::persist::RDB_VERSION;
use crate::propagate::encode_command;

/// Version + checksum trailer of a DUMP payload.
const FOOTER: usize = 10;

/// One RDB_OPCODE_FUNCTION2 entry per library code, as rdbSaveFunctions writes them
/// (`compress`: `rdbcompression`).
pub fn rdb_entries<'a>(codes: impl Iterator<Item = &'a [u8]>, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OP_FUNCTION2);
        put_string(&mut out, code, compress);
    }
    out
}

/// FUNCTION DUMP's payload: the entries, the RDB version (2 bytes, little-endian) and the
/// CRC-64 of everything before it (8 bytes, little-endian).
pub fn dump<'a>(codes: impl Iterator<Item = &'a [u8]>, compress: bool) -> Vec<u8> {
    let mut out = rdb_entries(codes, compress);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// One `FUNCTION LOAD <code>` command per library, as Redis's AOF rewrite writes them.
pub fn aof_commands<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = BytesMut::new();
    for code in codes {
        encode_command(&mut out, &[&b"FUNCTION"[..], b"LOAD", code]);
    }
    out.to_vec()
}

/// Reads the library codes of a FUNCTION RESTORE payload whose footer was verified, handing
/// each to `each` as it is read (Redis creates each library before reading the next). Errors
/// are Redis's messages, without "ERR ".
pub fn read_restore(
    payload: &[u8],
    mut each: impl FnMut(Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    let mut r = Reader::new(payload);
    while r.remaining() > FOOTER {
        let ty = r.u8().map_err(|_| "can not read data type".to_string())?;
        if ty != OP_FUNCTION2 && ty != OP_FUNCTION {
            return Err("given type is not a function".into());
        }
        let code = read_function(&mut r, ty).map_err(|e| e.0.to_string())?;
        each(code)?;
    }
    Ok(())
}
