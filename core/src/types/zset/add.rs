//! ZADD and ZINCRBY.

use super::score::parse_score;
use super::{limits, zset_of, ZSet};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::Value;

const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";

/// ZADD's options (GEOADD passes NX, XX and CH).
#[derive(Default)]
pub(crate) struct AddFlags {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is less.
    pub lt: bool,
    /// Reply with added plus updated members.
    pub ch: bool,
    /// Increment the score (ZINCRBY, ZADD INCR).
    pub incr: bool,
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd(ctx: &mut Ctx) {
    let mut f = AddFlags::default();
    let mut i = 2;
    while i < ctx.args.len() {
        let a = ctx.arg(i);
        let flag = match a.to_ascii_lowercase().as_slice() {
            b"nx" => &mut f.nx,
            b"xx" => &mut f.xx,
            b"gt" => &mut f.gt,
            b"lt" => &mut f.lt,
            b"ch" => &mut f.ch,
            b"incr" => &mut f.incr,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    add_generic(ctx, f, i);
}

/// ZINCRBY key increment member
pub fn zincrby(ctx: &mut Ctx) {
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    add_generic(ctx, f, 2);
}

fn add_generic(ctx: &mut Ctx, f: AddFlags, first: usize) {
    let pairs = ctx.args.len() - first;
    if pairs == 0 || !pairs.is_multiple_of(2) {
        return ctx.syntax_error();
    }
    let pairs = pairs / 2;
    if f.nx && f.xx {
        return ctx.error("ERR XX and NX options at the same time are not compatible");
    }
    if [f.gt, f.lt, f.nx].iter().filter(|&&b| b).count() > 1 {
        return ctx.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && pairs > 1 {
        return ctx.error("ERR INCR option supports a single increment-element pair");
    }
    // Every score is checked before anything changes: the command is all or nothing.
    let mut scored = Vec::with_capacity(pairs);
    for p in 0..pairs {
        match parse_score(ctx.arg(first + 2 * p)) {
            Some(s) => scored.push((s, ctx.arg(first + 2 * p + 1))),
            None => return ctx.error(errors::NOT_FLOAT),
        }
    }
    add_pairs(ctx, &f, &scored);
}

/// Adds or updates the `(score, member)` pairs in the zset at argument 1 as ZADD does with the
/// options `f` (already checked for conflicts), replying as ZADD; whether anything changed.
/// GEOADD's scores are geohashes.
pub(crate) fn add_pairs(ctx: &mut Ctx, f: &AddFlags, scored: &[(f64, &[u8])]) -> bool {
    let limits = limits(ctx);
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let zs = match zset_of(db.get(key)) {
        Err(_) => {
            ctx.wrong_type();
            return false;
        }
        Ok(Some(z)) => z,
        Ok(None) => {
            if f.xx {
                ctx.unchanged();
                reply(ctx, f, 0, 0, None);
                return false;
            }
            let first_len = scored.first().map_or(0, |p| p.1.len());
            db.set(key, Value::ZSet(Box::new(ZSet::new_for(first_len, limits))));
            match zset_of(db.get(key)) {
                Ok(Some(z)) => z,
                _ => return false,
            }
        }
    };
    let (mut added, mut updated) = (0, 0);
    let mut last = None;
    for &(score, member) in scored {
        match zs.score(member) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let new = if f.incr { score + cur } else { score };
                if new.is_nan() {
                    drop(db);
                    ctx.error(NAN_ERR);
                    return false;
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                last = Some(new);
                // -0 and 0 compare equal, so an update between them is not made (as Redis).
                if new != cur {
                    zs.update(member, cur, new);
                    updated += 1;
                }
            }
            None => {
                if f.xx {
                    continue;
                }
                zs.insert(member, score, limits);
                last = Some(score);
                added += 1;
            }
        }
    }
    if added > 0 {
        db.signal_ready(key);
    }
    drop(db);
    let changed = added > 0 || updated > 0;
    if changed {
        ctx.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    } else {
        // Nothing changed: Redis neither propagates this nor touches watchers.
        ctx.unchanged();
    }
    reply(ctx, f, added, updated, last);
    changed
}

fn reply(ctx: &mut Ctx, f: &AddFlags, added: i64, updated: i64, last: Option<f64>) {
    if f.incr {
        match last {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.int(if f.ch { added + updated } else { added });
    }
}
