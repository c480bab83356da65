//! LLEN, LRANGE, LINDEX and LTRIM.

use super::{clamp_range, resolve_index};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::util::num::parse_i64;

/// LLEN key
pub fn llen(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    match db.get_read(key).map(|e| &e.value) {
        None => ctx.out.int(0),
        Some(Value::List(l)) => ctx.out.int(l.len() as i64),
        Some(_) => ctx.wrong_type(),
    }
}

/// Parses LRANGE/LTRIM's start and stop (replying the error if either is not an integer).
fn start_stop(ctx: &mut Ctx) -> Option<(i64, i64)> {
    match (parse_i64(ctx.arg(2)), parse_i64(ctx.arg(3))) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => {
            ctx.error(errors::NOT_INT);
            None
        }
    }
}

/// LRANGE key start stop
pub fn lrange(ctx: &mut Ctx) {
    let Some((start, stop)) = start_stop(ctx) else {
        return;
    };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let list = match db.get_read(key).map(|e| &e.value) {
        None => return ctx.out.array(0),
        Some(Value::List(l)) => l,
        Some(_) => return ctx.wrong_type(),
    };
    let Some((from, to)) = clamp_range(start, stop, list.len()) else {
        return ctx.out.array(0);
    };
    let n = to - from + 1;
    ctx.out.array(n);
    // Elements go straight from the chunks into the output buffer.
    for e in list.iter_from(from).take(n) {
        e.reply(ctx.out);
    }
}

/// LINDEX key index
pub fn lindex(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let list = match db.get_read(key).map(|e| &e.value) {
        None => return ctx.out.null(),
        Some(Value::List(l)) => l,
        Some(_) => return ctx.wrong_type(),
    };
    let Some(i) = parse_i64(ctx.arg(2)) else {
        return ctx.error(errors::NOT_INT);
    };
    match resolve_index(i, list.len()).and_then(|i| list.get(i)) {
        Some(e) => e.reply(ctx.out),
        None => ctx.out.null(),
    }
}

/// LTRIM key start stop
pub fn ltrim(ctx: &mut Ctx) {
    let Some((start, stop)) = start_stop(ctx) else {
        return;
    };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    if let Slot::Live(mut live) = db.slot(key) {
        let Value::List(list) = &mut live.entry().value else {
            return ctx.wrong_type();
        };
        let len = list.len();
        match clamp_range(start, stop, len) {
            None => list.drop_front(len),
            Some((from, to)) => {
                list.drop_back(len - 1 - to);
                list.drop_front(from);
            }
        }
        let emptied = list.is_empty();
        if emptied {
            live.remove();
        }
        ctx.notify(notify::LIST, "ltrim", key);
        if emptied {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.ok();
}
