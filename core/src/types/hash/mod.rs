//! Hashes (Redis's t_hash.c), split by concern: the packed and table forms and the `Hash`
//! value that converts between them, then the commands: plain reads and writes, the
//! counters, HRANDFIELD and HSCAN.

mod hash_value;
mod incr;
mod packed;
mod rand;
mod scan;
mod set_get;
mod table;

#[cfg(test)]
mod tests;

pub use hash_value::{Hash, Limits};

use crate::command::Handler;
use crate::keyspace::{Locked, Value};

/// The hash commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("hset", set_get::hset),
    ("hmset", set_get::hmset),
    ("hsetnx", set_get::hsetnx),
    ("hget", set_get::hget),
    ("hmget", set_get::hmget),
    ("hdel", set_get::hdel),
    ("hlen", set_get::hlen),
    ("hstrlen", set_get::hstrlen),
    ("hexists", set_get::hexists),
    ("hkeys", set_get::hkeys),
    ("hvals", set_get::hvals),
    ("hgetall", set_get::hgetall),
    ("hincrby", incr::hincrby),
    ("hincrbyfloat", incr::hincrbyfloat),
    ("hrandfield", rand::hrandfield),
    ("hscan", scan::hscan),
];

/// The listpack conversion thresholds for this command, read once from the configuration.
fn limits<'a>(ctx: &crate::command::Ctx<'a>) -> hash_value::Limits<'a> {
    let server = ctx.server;
    let config = server.config.read();
    hash_value::Limits::new(
        config.hash_max_listpack_entries,
        config.hash_max_listpack_value,
        &server.rng,
    )
}

/// A hash looked up for reading.
enum Found<'d> {
    /// The key does not exist.
    Missing,
    /// The key holds a hash.
    Hash(&'d Hash),
    /// The key holds another type.
    WrongType,
}

/// Looks `key` up the way Redis's lookupKeyRead does (counting a keyspace hit or miss).
fn read<'d>(db: &'d mut Locked, key: &[u8]) -> Found<'d> {
    match db.get_read(key) {
        None => Found::Missing,
        Some(e) => match &e.value {
            Value::Hash(h) => Found::Hash(h),
            _ => Found::WrongType,
        },
    }
}

/// Formats field/value pairs as a map of lossy UTF-8 (Debug of both encodings).
fn debug_pairs<'a>(
    f: &mut std::fmt::Formatter<'_>,
    pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> std::fmt::Result {
    f.debug_map()
        .entries(pairs.map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))))
        .finish()
}
