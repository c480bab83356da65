//! Reading and writing fields: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
//! HEXISTS, HKEYS, HVALS, HGETALL.

use bytes::Bytes;

use super::hash_value::{Hash, Limits};
use super::{read, Found};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Slot, Value};

/// HSET key field value [field value ...]
pub fn hset(ctx: &mut Ctx) {
    if let Some(added) = set_pairs(ctx) {
        ctx.out.int(added as i64);
    }
}

/// HMSET key field value [field value ...] (HSET replying OK)
pub fn hmset(ctx: &mut Ctx) {
    if set_pairs(ctx).is_some() {
        ctx.out.ok();
    }
}

/// Writes the pairs of HSET/HMSET with one lookup of the key; the number of new fields, or
/// None once an error has been replied.
fn set_pairs(ctx: &mut Ctx) -> Option<usize> {
    // The arity table only knows "at least 4": pairs must be complete.
    if ctx.args.len() % 2 == 1 {
        ctx.arity_error();
        return None;
    }
    let limits = super::limits(ctx);
    let key = ctx.arg(1);
    let pairs = &ctx.args[2..];
    let mut db = ctx.lock();
    let added = match db.slot(key) {
        Slot::Live(mut live) => {
            let Value::Hash(h) = &mut live.entry().value else {
                ctx.wrong_type();
                return None;
            };
            write_pairs(h, pairs, &limits)
        }
        Slot::Vacant(vacant) => {
            let mut h = Hash::default();
            let added = write_pairs(&mut h, pairs, &limits);
            vacant.insert(key, Value::Hash(Box::new(h)), 0);
            added
        }
    };
    ctx.notify(notify::HASH, "hset", key);
    Some(added)
}

/// Sets each field/value pair of `pairs`; the number of new fields.
fn write_pairs(h: &mut Hash, pairs: &[Bytes], limits: &Limits) -> usize {
    // Redis converts up front if any field or value is too long for the packed form.
    h.prepare_write(pairs.iter().map(|a| a.len()), limits);
    pairs
        .chunks_exact(2)
        .filter(|p| h.insert(&p[0], &p[1], limits))
        .count()
}

/// HSETNX key field value
pub fn hsetnx(ctx: &mut Ctx) {
    let limits = super::limits(ctx);
    let (key, field, value) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let mut db = ctx.lock();
    match db.slot(key) {
        Slot::Live(mut live) => {
            let Value::Hash(h) = &mut live.entry().value else {
                return ctx.wrong_type();
            };
            if h.get(field).is_some() {
                return ctx.out.int(0);
            }
            h.prepare_write([field.len(), value.len()].into_iter(), &limits);
            h.insert(field, value, &limits);
        }
        Slot::Vacant(vacant) => {
            let mut h = Hash::default();
            h.prepare_write([field.len(), value.len()].into_iter(), &limits);
            h.insert(field, value, &limits);
            vacant.insert(key, Value::Hash(Box::new(h)), 0);
        }
    }
    ctx.notify(notify::HASH, "hset", key);
    ctx.out.int(1);
}

/// HGET key field
pub fn hget(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match read(&mut db, ctx.arg(1)) {
        Found::Missing => ctx.out.null(),
        Found::WrongType => ctx.wrong_type(),
        Found::Hash(h) => match h.get(ctx.arg(2)) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        },
    }
}

/// HMGET key field [field ...]
pub fn hmget(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    let h = match read(&mut db, ctx.arg(1)) {
        Found::Missing => None,
        Found::WrongType => return ctx.wrong_type(),
        Found::Hash(h) => Some(h),
    };
    let fields = &ctx.args[2..];
    ctx.out.array(fields.len());
    for f in fields {
        match h.and_then(|h| h.get(f)) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
}

/// HDEL key field [field ...]
pub fn hdel(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Slot::Live(mut live) = db.slot(key) else {
        return ctx.out.int(0);
    };
    let Value::Hash(h) = &mut live.entry().value else {
        return ctx.wrong_type();
    };
    let mut deleted = 0;
    for f in &ctx.args[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if emptied {
        // Redis never keeps an empty hash.
        live.remove();
    }
    if deleted > 0 {
        ctx.notify(notify::HASH, "hdel", key);
        if emptied {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(deleted);
}

/// HLEN key
pub fn hlen(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match read(&mut db, ctx.arg(1)) {
        Found::Missing => ctx.out.int(0),
        Found::WrongType => ctx.wrong_type(),
        Found::Hash(h) => ctx.out.int(h.len() as i64),
    }
}

/// HSTRLEN key field
pub fn hstrlen(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match read(&mut db, ctx.arg(1)) {
        Found::Missing => ctx.out.int(0),
        Found::WrongType => ctx.wrong_type(),
        Found::Hash(h) => ctx.out.int(h.get(ctx.arg(2)).map_or(0, |v| v.len() as i64)),
    }
}

/// HEXISTS key field
pub fn hexists(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match read(&mut db, ctx.arg(1)) {
        Found::Missing => ctx.out.int(0),
        Found::WrongType => ctx.wrong_type(),
        Found::Hash(h) => ctx.out.int(h.get(ctx.arg(2)).is_some() as i64),
    }
}

/// Which parts of each pair HKEYS, HVALS and HGETALL reply with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

fn get_all(ctx: &mut Ctx, parts: Parts) {
    let mut db = ctx.lock();
    let h = match read(&mut db, ctx.arg(1)) {
        Found::Missing => None,
        Found::WrongType => return ctx.wrong_type(),
        Found::Hash(h) => Some(h),
    };
    let len = h.map_or(0, |h| h.len());
    // HGETALL is a map in RESP3 (even when empty); HKEYS and HVALS are arrays.
    if parts == Parts::Both {
        ctx.out.map(len);
    } else {
        ctx.out.array(len);
    }
    for (f, v) in h.into_iter().flat_map(|h| h.iter()) {
        if parts != Parts::Values {
            ctx.out.bulk(f);
        }
        if parts != Parts::Fields {
            ctx.out.bulk(v);
        }
    }
}

/// HKEYS key
pub fn hkeys(ctx: &mut Ctx) {
    get_all(ctx, Parts::Fields);
}

/// HVALS key
pub fn hvals(ctx: &mut Ctx) {
    get_all(ctx, Parts::Values);
}

/// HGETALL key
pub fn hgetall(ctx: &mut Ctx) {
    get_all(ctx, Parts::Both);
}
