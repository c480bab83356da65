//! Read-only lookups: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT.

use super::score::{LexRange, ScoreRange, BAD_LEX_RANGE, BAD_SCORE_RANGE};
use super::{zset_of, ZSet};
use crate::command::Ctx;

/// ZCARD key
pub fn zcard(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => ctx.wrong_type(),
        Ok(z) => ctx.out.int(z.map_or(0, |z| z.len() as i64)),
    }
}

/// ZSCORE key member
pub fn zscore(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => ctx.wrong_type(),
        Ok(z) => match z.and_then(|z| z.score(ctx.arg(2))) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        },
    }
}

/// ZMSCORE key member [member ...]
pub fn zmscore(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => ctx.wrong_type(),
        Ok(z) => {
            ctx.out.array(ctx.args.len() - 2);
            for m in &ctx.args[2..] {
                match z.as_ref().and_then(|z| z.score(m)) {
                    Some(s) => ctx.out.double(s),
                    None => ctx.out.null(),
                }
            }
        }
    }
}

/// ZRANK key member
pub fn zrank(ctx: &mut Ctx) {
    rank(ctx, false);
}

/// ZREVRANK key member
pub fn zrevrank(ctx: &mut Ctx) {
    rank(ctx, true);
}

fn rank(ctx: &mut Ctx, rev: bool) {
    let mut db = ctx.lock();
    match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => ctx.wrong_type(),
        Ok(z) => match z.and_then(|z| Some((z.rank(ctx.arg(2))?, z.len()))) {
            Some((r, len)) => ctx.out.int(if rev { len - 1 - r } else { r } as i64),
            None => ctx.out.null(),
        },
    }
}

/// ZCOUNT key min max
pub fn zcount(ctx: &mut Ctx) {
    let Some(range) = ScoreRange::parse(ctx.arg(2), ctx.arg(3)) else {
        return ctx.error(BAD_SCORE_RANGE);
    };
    count_in_ranks(ctx, |z| range.ranks(z));
}

/// ZLEXCOUNT key min max
pub fn zlexcount(ctx: &mut Ctx) {
    let Some(range) = LexRange::parse(ctx.arg(2), ctx.arg(3)) else {
        return ctx.error(BAD_LEX_RANGE);
    };
    count_in_ranks(ctx, |z| range.ranks(z));
}

/// Replies with how many members of the key's zset fall in the ranks `ranks` gives.
fn count_in_ranks(ctx: &mut Ctx, ranks: impl Fn(&ZSet) -> (usize, usize)) {
    let mut db = ctx.lock();
    match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => ctx.wrong_type(),
        Ok(z) => {
            let (lo, hi) = z.map_or((0, 0), |z| ranks(z));
            ctx.out.int((hi - lo) as i64);
        }
    }
}
