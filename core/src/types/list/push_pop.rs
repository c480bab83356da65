//! LPUSH RPUSH LPUSHX RPUSHX, LPOP RPOP (with a count) and LMPOP, plus the pop-and-reply core
//! the blocking pops reuse.

use super::{fill, parse_end, End, List, WrongType};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Locked, Slot, Value};
use crate::resp::ReplyWriter;
use crate::types::mpop::MpopArgs;
use crate::util::num::parse_i64;

/// LPUSH key element [element ...]
pub fn lpush(ctx: &mut Ctx) {
    push_generic(ctx, End::Left, false);
}

/// RPUSH key element [element ...]
pub fn rpush(ctx: &mut Ctx) {
    push_generic(ctx, End::Right, false);
}

/// LPUSHX key element [element ...]
pub fn lpushx(ctx: &mut Ctx) {
    push_generic(ctx, End::Left, true);
}

/// RPUSHX key element [element ...]
pub fn rpushx(ctx: &mut Ctx) {
    push_generic(ctx, End::Right, true);
}

/// Pushes every element from argument 2 on, creating the list unless `only_existing`.
fn push_generic(ctx: &mut Ctx, end: End, only_existing: bool) {
    let fill = fill(ctx);
    let (key, args) = (ctx.arg(1), ctx.args);
    let mut db = ctx.lock();
    let len = match db.slot(key) {
        Slot::Live(mut live) => match &mut live.entry().value {
            Value::List(list) => {
                for v in &args[2..] {
                    list.push(end, v, fill);
                }
                list.shrink_if_small();
                list.len()
            }
            _ => return ctx.wrong_type(),
        },
        Slot::Vacant(vacant) => {
            if only_existing {
                return ctx.out.int(0);
            }
            let mut list = List::new();
            for v in &args[2..] {
                list.push(end, v, fill);
            }
            list.shrink_if_small();
            let len = list.len();
            vacant.insert(key, Value::List(Box::new(list)), 0);
            len
        }
    };
    db.signal_ready(key);
    ctx.out.int(len as i64);
    ctx.notify(notify::LIST, end.push_event(), key);
}

/// How popped elements are replied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PopShape {
    /// One bulk string (LPOP key).
    Single,
    /// An array of elements (LPOP key count).
    Many,
    /// `[key, element]` (BLPOP, BRPOP).
    KeyAndOne,
    /// `[key, [elements]]` (LMPOP, BLMPOP).
    KeyAndMany,
}

/// Pops up to `count` elements from `end` of the list at `key` and replies with them in
/// `shape`, deleting the key once it is empty (notifying the pop, then `del`). `Ok(false)` when
/// there is no such key (nothing is written), `Err(WrongType)` when it holds another type
/// (nothing is written). A count of 0 on a list replies an empty array (Many) or `[key, []]`
/// (KeyAndMany) and pops nothing.
pub(crate) fn pop_and_reply(
    db: &mut Locked,
    out: &mut ReplyWriter,
    key: &[u8],
    end: End,
    count: usize,
    shape: PopShape,
) -> Result<bool, WrongType> {
    let Slot::Live(mut live) = db.slot(key) else {
        return Ok(false);
    };
    let Value::List(list) = &mut live.entry().value else {
        return Err(WrongType);
    };
    match shape {
        PopShape::Single => {
            list.pop_with(end, |e| e.reply(out));
        }
        PopShape::KeyAndOne => {
            out.array(2);
            out.bulk(key);
            list.pop_with(end, |e| e.reply(out));
        }
        PopShape::Many => pop_many(list, out, end, count),
        PopShape::KeyAndMany => {
            out.array(2);
            out.bulk(key);
            pop_many(list, out, end, count);
        }
    }
    let emptied = list.is_empty();
    if emptied {
        live.remove();
    }
    if popped(shape, count) {
        db.notify(notify::LIST, end.pop_event(), key);
        if emptied {
            db.notify(notify::GENERIC, "del", key);
        }
    }
    Ok(true)
}

/// Whether a pop of `count` in `shape` from an existing list takes anything (a count of 0
/// replies an empty array and changes nothing, so Redis notifies nothing).
fn popped(shape: PopShape, count: usize) -> bool {
    matches!(shape, PopShape::Single | PopShape::KeyAndOne) || count > 0
}

/// Replies with the first `count` elements from `end` (in popping order), then drops them.
fn pop_many(list: &mut List, out: &mut ReplyWriter, end: End, count: usize) {
    let n = count.min(list.len());
    out.array(n);
    if n == 0 {
        return;
    }
    match end {
        End::Left => {
            list.iter().take(n).for_each(|e| e.reply(out));
            list.drop_front(n);
        }
        End::Right => {
            list.iter_rev_from(list.len() - 1)
                .take(n)
                .for_each(|e| e.reply(out));
            list.drop_back(n);
        }
    }
}

/// LPOP key [count]
pub fn lpop(ctx: &mut Ctx) {
    pop_generic(ctx, End::Left);
}

/// RPOP key [count]
pub fn rpop(ctx: &mut Ctx) {
    pop_generic(ctx, End::Right);
}

/// "ERR value is out of range, must be positive" (Redis's getPositiveLong default message).
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

fn pop_generic(ctx: &mut Ctx, end: End) {
    if ctx.args.len() > 3 {
        return ctx.arity_error();
    }
    let count = match ctx.args.get(2) {
        None => None,
        Some(a) => match parse_i64(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return ctx.error(NOT_POSITIVE),
        },
    };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let shape = if count.is_some() {
        PopShape::Many
    } else {
        PopShape::Single
    };
    match pop_and_reply(&mut db, ctx.out, key, end, count.unwrap_or(1), shape) {
        Ok(true) => {}
        Ok(false) if count.is_some() => ctx.out.null_array(),
        Ok(false) => ctx.out.null(),
        Err(WrongType) => ctx.wrong_type(),
    }
}

/// Parses LMPOP/BLMPOP's `numkeys key [key ...] LEFT|RIGHT [COUNT count]` from `numkeys_at`;
/// on `None` Redis's error has been replied.
pub(crate) fn parse_mpop(ctx: &mut Ctx, numkeys_at: usize) -> Option<MpopArgs<End>> {
    crate::types::mpop::parse_mpop(ctx, numkeys_at, parse_end)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop(ctx: &mut Ctx) {
    let Some(a) = parse_mpop(ctx, 1) else {
        return;
    };
    let args = ctx.args;
    let mut db = ctx.lock();
    for key in &args[a.keys.clone()] {
        let len = db.collection_len(key);
        match pop_and_reply(&mut db, ctx.out, key, a.end, a.count, PopShape::KeyAndMany) {
            Ok(true) => {
                // Propagated as the pop it was on the key it found, as Redis 7 does.
                let pop: &[u8] = match a.end {
                    End::Left => b"LPOP",
                    End::Right => b"RPOP",
                };
                let count = crate::propagate::int(a.count.min(len) as i64);
                return ctx.propagate_as(crate::propagate::cmd(&[pop, key, &count]));
            }
            Ok(false) => {}
            Err(WrongType) => return ctx.wrong_type(),
        }
    }
    ctx.unchanged();
    ctx.out.null_array();
}
