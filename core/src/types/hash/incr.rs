//! The counters: HINCRBY and HINCRBYFLOAT.

use super::hash_value::Hash;
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::types::string::long_double::{LongDouble, Parsed};
use crate::util::num::parse_i64;

/// Sets `field` of `key` to `next(current value)` with one lookup of the key, creating the
/// hash if needed; the new value (to reply), or None once an error has been replied.
fn update<T>(
    ctx: &mut Ctx,
    next: impl FnOnce(Option<&[u8]>) -> Result<(Vec<u8>, T), &'static str>,
) -> Option<T> {
    let limits = super::limits(ctx);
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.lock();
    let result = match db.slot(key) {
        Slot::Live(mut live) => {
            let Value::Hash(h) = &mut live.entry().value else {
                ctx.wrong_type();
                return None;
            };
            next(h.get(field)).map(|(text, reply)| {
                h.insert(field, &text, &limits);
                reply
            })
        }
        Slot::Vacant(vacant) => next(None).map(|(text, reply)| {
            let mut h = Hash::default();
            h.insert(field, &text, &limits);
            vacant.insert(key, Value::Hash(Box::new(h)), 0);
            reply
        }),
    };
    result.map_err(|e| ctx.error(e)).ok()
}

/// HINCRBY key field increment
pub fn hincrby(ctx: &mut Ctx) {
    let Some(incr) = ctx.int_arg(3) else { return };
    let new = update(ctx, |current| {
        let old = match current {
            None => 0,
            Some(bytes) => parse_i64(bytes).ok_or("ERR hash value is not an integer")?,
        };
        let new = old.checked_add(incr).ok_or(errors::OVERFLOW)?;
        Ok((itoa::Buffer::new().format(new).as_bytes().to_vec(), new))
    });
    if let Some(new) = new {
        ctx.out.int(new);
        ctx.notify(notify::HASH, "hincrby", ctx.arg(1));
    }
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat(ctx: &mut Ctx) {
    let incr = match LongDouble::parse(ctx.arg(3)) {
        None => return ctx.error(errors::NOT_FLOAT),
        Some(Parsed::Infinite) => return ctx.error("ERR value is NaN or Infinity"),
        Some(Parsed::Finite(x)) => x,
    };
    let text = update(ctx, |current| {
        let old = match current {
            None => Parsed::Finite(LongDouble::ZERO),
            Some(bytes) => LongDouble::parse(bytes).ok_or("ERR hash value is not a float")?,
        };
        let sum = match old {
            Parsed::Finite(old) => old.add(incr),
            Parsed::Infinite => None,
        };
        let sum = sum.ok_or("ERR increment would produce NaN or Infinity")?;
        let text = sum.to_human().into_bytes();
        Ok((text.clone(), text))
    });
    if let Some(text) = text {
        let (key, field) = (ctx.arg(1), ctx.arg(2));
        ctx.propagate_as(crate::propagate::cmd(&[b"HSET", key, field, &text]));
        ctx.out.bulk(&text);
        ctx.notify(notify::HASH, "hincrbyfloat", key);
    }
}
