//! ZREM and ZREMRANGEBYRANK / BYSCORE / BYLEX.

use super::range::rank_window;
use super::score::{LexRange, ScoreRange, BAD_LEX_RANGE, BAD_SCORE_RANGE};
use super::{zset_of, ZSet};
use crate::command::Ctx;
use crate::config::notify;

/// ZREM key member [member ...]
pub fn zrem(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let (removed, empty) = match zset_of(db.get(key)) {
        Err(_) => return ctx.wrong_type(),
        Ok(None) => (0, false),
        Ok(Some(z)) => {
            let mut n = 0;
            for m in &ctx.args[2..] {
                if z.remove(m).is_some() {
                    n += 1;
                }
                if z.is_empty() {
                    break;
                }
            }
            (n, z.is_empty())
        }
    };
    if empty {
        db.remove(key);
    }
    drop(db);
    if removed > 0 {
        ctx.notify(notify::ZSET, "zrem", key);
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(removed);
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank(ctx: &mut Ctx) {
    let Some(start) = ctx.int_arg(2) else { return };
    let Some(stop) = ctx.int_arg(3) else { return };
    remove_range(ctx, "zremrangebyrank", |z| {
        rank_window(start, stop, z.len(), false)
    });
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore(ctx: &mut Ctx) {
    let Some(range) = ScoreRange::parse(ctx.arg(2), ctx.arg(3)) else {
        return ctx.error(BAD_SCORE_RANGE);
    };
    remove_range(ctx, "zremrangebyscore", |z| range.ranks(z));
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex(ctx: &mut Ctx) {
    let Some(range) = LexRange::parse(ctx.arg(2), ctx.arg(3)) else {
        return ctx.error(BAD_LEX_RANGE);
    };
    remove_range(ctx, "zremrangebylex", |z| range.ranks(z));
}

/// Removes the ranks `select` picks, notifying `event` (and `del` if the key empties).
fn remove_range(ctx: &mut Ctx, event: &str, select: impl Fn(&ZSet) -> (usize, usize)) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let (removed, empty) = match zset_of(db.get(key)) {
        Err(_) => return ctx.wrong_type(),
        Ok(None) => (0, false),
        Ok(Some(z)) => {
            let (lo, hi) = select(z);
            z.remove_ranks(lo, hi, |_, _| {});
            (hi - lo, z.is_empty())
        }
    };
    if empty {
        db.remove(key);
    }
    drop(db);
    if removed > 0 {
        ctx.notify(notify::ZSET, event, key);
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(removed as i64);
}
