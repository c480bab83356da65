//! The multi-key commands: MGET, MSET, MSETNX.

use super::reply_string;
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Locked, Release, Slot, Value};

/// MGET key [key ...]
pub fn mget(ctx: &mut Ctx) {
    let args = ctx.args;
    let keys = &args[1..];
    let mut db = ctx.lock();
    ctx.out.array(keys.len());
    for key in keys {
        // A key of another type is a nil here, not an error.
        let found = db
            .get_read(key)
            .is_some_and(|e| reply_string(ctx.out, &e.value));
        if !found {
            ctx.out.null();
        }
    }
}

/// MSET key value [key value ...]
pub fn mset(ctx: &mut Ctx) {
    if ctx.args.len().is_multiple_of(2) {
        return ctx.arity_error();
    }
    let mut db = ctx.lock();
    set_pairs(ctx, &mut db);
    ctx.out.ok();
}

/// MSETNX key value [key value ...]
pub fn msetnx(ctx: &mut Ctx) {
    if ctx.args.len().is_multiple_of(2) {
        return ctx.arity_error();
    }
    let mut db = ctx.lock();
    if ctx.args[1..].iter().step_by(2).any(|k| db.contains(k)) {
        return ctx.out.int(0);
    }
    set_pairs(ctx, &mut db);
    ctx.out.int(1);
}

/// Sets every key/value pair of the arguments, clearing TTLs as SET does.
fn set_pairs(ctx: &Ctx, db: &mut Locked) {
    for pair in ctx.args[1..].chunks_exact(2) {
        let (key, val) = (&pair[0][..], &pair[1][..]);
        let overwritten = match db.slot(key) {
            Slot::Live(mut live) => {
                // The old value may be freed in the background (lazyfree-lazy-server-del).
                let old = std::mem::replace(&mut live.entry().value, Value::Int(0));
                live.replace(Value::string(val), 0);
                Some(old)
            }
            Slot::Vacant(vacant) => {
                vacant.insert(key, Value::string(val), 0);
                None
            }
        };
        if let Some(old) = overwritten {
            db.release(old, Release::ServerDel);
        }
        ctx.notify(notify::STRING, "set", key);
    }
}
