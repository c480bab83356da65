//! In-place edits: LSET, LINSERT, LREM.

use super::{fill, is_option, resolve_index};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::util::num::parse_i64;

/// LSET key index element
pub fn lset(ctx: &mut Ctx) {
    let fill = fill(ctx);
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let list = match db.get(key).map(|e| &mut e.value) {
        None => return ctx.error(errors::NO_SUCH_KEY),
        Some(Value::List(l)) => l,
        Some(_) => return ctx.wrong_type(),
    };
    let Some(i) = parse_i64(ctx.arg(2)) else {
        return ctx.error(errors::NOT_INT);
    };
    match resolve_index(i, list.len()) {
        Some(i) if list.set(i, ctx.arg(3), fill) => {
            ctx.out.ok();
            ctx.notify(notify::LIST, "lset", key);
        }
        _ => ctx.error("ERR index out of range"),
    }
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert(ctx: &mut Ctx) {
    let after = if is_option(ctx.arg(2), "after") {
        true
    } else if is_option(ctx.arg(2), "before") {
        false
    } else {
        return ctx.syntax_error();
    };
    let fill = fill(ctx);
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let list = match db.get(key).map(|e| &mut e.value) {
        None => return ctx.out.int(0),
        Some(Value::List(l)) => l,
        Some(_) => return ctx.wrong_type(),
    };
    if !list.insert_at_pivot(ctx.arg(3), after, ctx.arg(4), fill) {
        return ctx.out.int(-1);
    }
    let len = list.len();
    db.signal_ready(key);
    ctx.out.int(len as i64);
    ctx.notify(notify::LIST, "linsert", key);
}

/// LREM key count element
pub fn lrem(ctx: &mut Ctx) {
    let Some(count) = parse_i64(ctx.arg(2)) else {
        return ctx.error(errors::NOT_INT);
    };
    let fill = fill(ctx);
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let (removed, emptied) = match db.slot(key) {
        Slot::Vacant(_) => (0, false),
        Slot::Live(mut live) => {
            let Value::List(list) = &mut live.entry().value else {
                return ctx.wrong_type();
            };
            // |i64::MIN| is beyond any list's length, so it removes every match, as in Redis.
            let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            let removed = list.remove_matching(ctx.arg(3), limit, count < 0, fill);
            let emptied = list.is_empty();
            if emptied {
                live.remove();
            }
            (removed, emptied)
        }
    };
    if removed > 0 {
        ctx.notify(notify::LIST, "lrem", key);
    }
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
    ctx.out.int(removed as i64);
}
