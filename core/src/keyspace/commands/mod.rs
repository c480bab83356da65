//! Generic key and database commands (Redis's db.c, expire.c and object.c), one file per
//! concern.

mod db;
mod del_exists;
mod dump;
mod expire;
pub mod migrate;
mod object;
mod rename_copy;
mod scan;

#[cfg(test)]
mod tests;

use crate::command::errors;
use crate::command::{Ctx, Handler};

/// The generic key commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("select", db::select),
    ("swapdb", db::swapdb),
    ("dbsize", db::dbsize),
    ("flushdb", db::flushdb),
    ("flushall", db::flushall),
    ("del", del_exists::del),
    ("unlink", del_exists::unlink),
    ("exists", del_exists::exists),
    ("touch", del_exists::touch),
    ("type", del_exists::type_),
    ("rename", rename_copy::rename),
    ("renamenx", rename_copy::renamenx),
    ("copy", rename_copy::copy),
    ("move", rename_copy::move_),
    ("keys", scan::keys),
    ("scan", scan::scan),
    ("randomkey", scan::randomkey),
    ("expire", expire::expire),
    ("pexpire", expire::pexpire),
    ("expireat", expire::expireat),
    ("pexpireat", expire::pexpireat),
    ("ttl", expire::ttl),
    ("pttl", expire::pttl),
    ("expiretime", expire::expiretime),
    ("pexpiretime", expire::pexpiretime),
    ("persist", expire::persist),
    ("dump", dump::dump),
    ("restore", dump::restore),
    ("migrate", migrate::migrate),
    ("object|encoding", object::encoding),
    ("object|freq", object::freq),
    ("object|idletime", object::idletime),
    ("object|refcount", object::refcount),
    ("object|help", object::help),
];

/// Parses argument `i` as a database number the way Redis's MOVE and COPY ... DB do: an
/// integer, that fits 32 bits, naming an existing database, each with its own error. Replies
/// with the error and returns None on failure.
fn db_index_arg(ctx: &mut Ctx, i: usize) -> Option<usize> {
    let n = ctx.int_arg(i)?;
    let Ok(n) = i32::try_from(n) else {
        ctx.error(errors::NOT_INT32);
        return None;
    };
    match usize::try_from(n) {
        Ok(db) if db < ctx.server.keyspace.databases() => Some(db),
        _ => {
            ctx.error(errors::DB_RANGE);
            None
        }
    }
}
