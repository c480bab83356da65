//! Sets (Redis's t_set.c), split by concern: the two encodings (`intset`, `table`), the
//! `Set` value that switches between them, and the commands: membership (`members`), random
//! picks and pops (`pop_rand`), intersection/union/difference (`algebra`), SSCAN (`scan`).

mod algebra;
mod intset;
mod members;
mod pop_rand;
mod scan;
mod set_value;
mod table;

pub use intset::IntSet;
pub use set_value::{MemberRef, Set};

use crate::command::{Ctx, Handler};
use crate::keyspace::Value;

/// The set commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("sadd", members::sadd),
    ("srem", members::srem),
    ("scard", members::scard),
    ("sismember", members::sismember),
    ("smismember", members::smismember),
    ("smembers", algebra::smembers),
    ("smove", members::smove),
    ("spop", pop_rand::spop),
    ("srandmember", pop_rand::srandmember),
    ("sinter", algebra::sinter),
    ("sintercard", algebra::sintercard),
    ("sinterstore", algebra::sinterstore),
    ("sunion", algebra::sunion),
    ("sunionstore", algebra::sunionstore),
    ("sdiff", algebra::sdiff),
    ("sdiffstore", algebra::sdiffstore),
    ("sscan", scan::sscan),
];

/// The set held by `value`; None for another type.
fn as_set(value: &mut Value) -> Option<&mut Set> {
    match value {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// set-max-intset-entries, read once per command.
fn max_intset(ctx: &Ctx) -> usize {
    ctx.server.config.read().set_max_intset_entries
}
