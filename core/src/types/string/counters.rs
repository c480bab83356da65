//! The counters: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT. All keep the key's TTL.

use super::long_double::{LongDouble, Parsed};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::value::Str;
use crate::keyspace::{Slot, Value};
use crate::util::num::parse_i64;

/// INCR key
pub fn incr(ctx: &mut Ctx) {
    incr_by(ctx, 1);
}

/// DECR key
pub fn decr(ctx: &mut Ctx) {
    incr_by(ctx, -1);
}

/// INCRBY key increment
pub fn incrby(ctx: &mut Ctx) {
    if let Some(n) = ctx.int_arg(2) {
        incr_by(ctx, n);
    }
}

/// DECRBY key decrement
pub fn decrby(ctx: &mut Ctx) {
    let Some(n) = ctx.int_arg(2) else { return };
    // -i64::MIN does not exist.
    match n.checked_neg() {
        Some(neg) => incr_by(ctx, neg),
        None => ctx.error("ERR decrement would overflow"),
    }
}

fn incr_by(ctx: &mut Ctx, delta: i64) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let slot = db.slot(key);
    match slot {
        Slot::Vacant(vacant) => {
            vacant.insert(key, Value::Int(delta), 0);
            ctx.out.int(delta);
        }
        Slot::Live(mut live) => {
            let entry = live.entry();
            let current = match &entry.value {
                Value::Int(n) => Some(*n),
                other => {
                    let mut tmp = itoa::Buffer::new();
                    let Some(bytes) = other.as_bytes(&mut tmp) else {
                        return ctx.wrong_type();
                    };
                    parse_i64(bytes)
                }
            };
            let Some(current) = current else {
                return ctx.error(errors::NOT_INT);
            };
            let Some(new) = current.checked_add(delta) else {
                return ctx.error(errors::OVERFLOW);
            };
            entry.value = Value::Int(new);
            ctx.out.int(new);
        }
    }
    ctx.notify(notify::STRING, "incrby", key);
}

/// INCRBYFLOAT key increment
pub fn incrbyfloat(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let mut slot = db.slot(key);
    let current = match &mut slot {
        Slot::Vacant(_) => Some(Parsed::Finite(LongDouble::ZERO)),
        Slot::Live(live) => match &live.entry().value {
            Value::Int(n) => Some(Parsed::Finite(LongDouble::from_i64(*n))),
            other => {
                let mut tmp = itoa::Buffer::new();
                let Some(bytes) = other.as_bytes(&mut tmp) else {
                    return ctx.wrong_type();
                };
                LongDouble::parse(bytes)
            }
        },
    };
    let (Some(current), Some(incr)) = (current, LongDouble::parse(ctx.arg(2))) else {
        return ctx.error(errors::NOT_FLOAT);
    };
    let sum = match (current, incr) {
        (Parsed::Finite(a), Parsed::Finite(b)) => a.add(b),
        _ => None,
    };
    let Some(sum) = sum else {
        return ctx.error("ERR increment would produce NaN or Infinity");
    };
    // Stored as the text replied, never as an integer: Redis reports "embstr" even for "3".
    let text = sum.to_human();
    let value = Value::Str(Str::new(text.as_bytes()));
    match slot {
        Slot::Vacant(vacant) => vacant.insert(key, value, 0),
        Slot::Live(mut live) => {
            let ttl = live.entry().expire_at;
            live.replace(value, ttl);
        }
    }
    ctx.notify(notify::STRING, "incrbyfloat", key);
    // The result, not the increment: float arithmetic must not be redone by a replica.
    ctx.propagate_as(crate::propagate::cmd(&[
        b"SET",
        key,
        text.as_bytes(),
        b"KEEPTTL",
    ]));
    ctx.out.bulk(text.as_bytes());
}
