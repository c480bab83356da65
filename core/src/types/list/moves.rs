//! LMOVE and RPOPLPUSH, and the move core BLMOVE and BRPOPLPUSH reuse.

use super::{fill, parse_end, End, Fill, List, WrongType};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Locked, Slot, Value};
use crate::resp::ReplyWriter;

/// Moves one element from `from` of the list at `src` to `to` of the list at `dst` (created if
/// missing; `src` is deleted once empty) and replies with it as a bulk string, signalling `dst`
/// ready. `Ok(false)`: `src` does not exist, nothing written. `Err(WrongType)`: `src` or `dst`
/// holds another type, nothing changed or written.
pub(crate) fn move_element(
    db: &mut Locked,
    out: &mut ReplyWriter,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    fill: Fill,
) -> Result<bool, WrongType> {
    match db.get(src).map(|e| &e.value) {
        None => return Ok(false),
        Some(Value::List(_)) => {}
        Some(_) => return Err(WrongType),
    }
    if let Some(e) = db.get(dst) {
        if !matches!(e.value, Value::List(_)) {
            return Err(WrongType);
        }
    }
    if src == dst {
        // Rotating one list in place: it never empties, so the key (and its TTL) stays.
        let Some(Value::List(list)) = db.get(src).map(|e| &mut e.value) else {
            return Ok(false);
        };
        let Some(value) = list.pop(from) else {
            return Ok(false);
        };
        list.push(to, &value, fill);
        db.signal_ready(dst);
        out.bulk(&value);
        db.notify(notify::LIST, to.push_event(), dst);
        db.notify(notify::LIST, from.pop_event(), src);
        return Ok(true);
    }
    let (value, emptied) = match db.slot(src) {
        Slot::Live(mut live) => {
            let Value::List(list) = &mut live.entry().value else {
                return Err(WrongType);
            };
            let Some(v) = list.pop(from) else {
                return Ok(false);
            };
            let emptied = list.is_empty();
            if emptied {
                live.remove();
            }
            (v, emptied)
        }
        Slot::Vacant(_) => return Ok(false),
    };
    match db.slot(dst) {
        Slot::Live(mut live) => {
            if let Value::List(list) = &mut live.entry().value {
                list.push(to, &value, fill);
                list.shrink_if_small();
            }
        }
        Slot::Vacant(vacant) => {
            let mut list = List::new();
            list.push(to, &value, fill);
            list.shrink_if_small();
            vacant.insert(dst, Value::List(Box::new(list)), 0);
        }
    }
    db.signal_ready(dst);
    out.bulk(&value);
    // Redis notifies the push (after the destination's `new`), then the pop and `del`.
    db.notify(notify::LIST, to.push_event(), dst);
    db.notify(notify::LIST, from.pop_event(), src);
    if emptied {
        db.notify(notify::GENERIC, "del", src);
    }
    Ok(true)
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx) {
    let (Some(from), Some(to)) = (parse_end(ctx.arg(3)), parse_end(ctx.arg(4))) else {
        return ctx.syntax_error();
    };
    move_command(ctx, from, to);
}

/// RPOPLPUSH source destination
pub fn rpoplpush(ctx: &mut Ctx) {
    move_command(ctx, End::Right, End::Left);
}

fn move_command(ctx: &mut Ctx, from: End, to: End) {
    let fill = fill(ctx);
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.lock();
    match move_element(&mut db, ctx.out, src, dst, from, to, fill) {
        Ok(true) => {}
        Ok(false) => ctx.out.null(),
        Err(WrongType) => ctx.wrong_type(),
    }
}
