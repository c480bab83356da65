//! The range reads: ZRANGE (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES), ZRANGESTORE and the legacy
//! ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX.

use super::score::{LexRange, ScoreRange, BAD_LEX_RANGE, BAD_SCORE_RANGE};
use super::{item_count, limits, write_item, zset_of, ZSet};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::Value;
use crate::util::num::parse_i64;
use crate::util::small_bytes::SmallBytes;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &mut Ctx) {
    generic(ctx, 1, false, Kind::Auto, None);
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore(ctx: &mut Ctx) {
    generic(ctx, 2, true, Kind::Auto, None);
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange(ctx: &mut Ctx) {
    generic(ctx, 1, false, Kind::Rank, Some(true));
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore(ctx: &mut Ctx) {
    generic(ctx, 1, false, Kind::Score, Some(false));
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore(ctx: &mut Ctx) {
    generic(ctx, 1, false, Kind::Score, Some(true));
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex(ctx: &mut Ctx) {
    generic(ctx, 1, false, Kind::Lex, Some(false));
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex(ctx: &mut Ctx) {
    generic(ctx, 1, false, Kind::Lex, Some(true));
}

/// What a range selects once resolved against a set: ranks `lo..hi`, walked descending when
/// `rev`.
pub struct Selection {
    /// First ascending rank.
    pub lo: usize,
    /// One past the last ascending rank.
    pub hi: usize,
    /// Whether the reply walks from `hi - 1` down to `lo`.
    pub rev: bool,
}

/// Clamps Redis-style start/stop indexes (negative from the end) to ranks `lo..hi` of a set of
/// `len` elements, counted from the top when `rev`.
pub fn rank_window(start: i64, end: i64, len: usize, rev: bool) -> (usize, usize) {
    let n = len as i64;
    let mut start = if start < 0 { n + start } else { start };
    let end = if end < 0 { n + end } else { end };
    start = start.max(0);
    if start > end || start >= n {
        return (0, 0);
    }
    let end = end.min(n - 1);
    if rev {
        ((n - 1 - end) as usize, (n - start) as usize)
    } else {
        (start as usize, (end + 1) as usize)
    }
}

/// Applies LIMIT offset count to the ranks `lo..hi` walked in direction `rev`.
fn apply_limit(lo: usize, hi: usize, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
    if offset < 0 {
        return (lo, lo);
    }
    let off = usize::try_from(offset).unwrap_or(usize::MAX);
    let avail = (hi - lo).saturating_sub(off);
    let take = if limit < 0 {
        avail
    } else {
        avail.min(usize::try_from(limit).unwrap_or(usize::MAX))
    };
    if rev {
        let top = hi - off.min(hi - lo);
        (top - take, top)
    } else {
        let bottom = lo + off.min(hi - lo);
        (bottom, bottom + take)
    }
}

fn generic(ctx: &mut Ctx, first: usize, store: bool, mut kind: Kind, dir: Option<bool>) {
    let mut rev = dir;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = first + 3;
    while j < ctx.args.len() {
        let a = ctx.arg(j);
        let left = ctx.args.len() - j - 1;
        if !store && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let Some(o) = ctx.int_arg(j + 1) else { return };
            let Some(l) = ctx.int_arg(j + 2) else { return };
            (offset, limit) = (o, l);
            j += 2;
        } else if rev.is_none() && a.eq_ignore_ascii_case(b"rev") {
            rev = Some(true);
        } else if kind == Kind::Auto && a.eq_ignore_ascii_case(b"bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && a.eq_ignore_ascii_case(b"byscore") {
            kind = Kind::Score;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return ctx.error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && kind == Kind::Lex {
        return ctx.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (mut a, mut b) = (ctx.arg(first + 1), ctx.arg(first + 2));
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut a, &mut b);
    }
    enum Spec<'s> {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange<'s>),
    }
    let spec = match kind {
        Kind::Score => match ScoreRange::parse(a, b) {
            Some(r) => Spec::Score(r),
            None => return ctx.error(BAD_SCORE_RANGE),
        },
        Kind::Lex => match LexRange::parse(a, b) {
            Some(r) => Spec::Lex(r),
            None => return ctx.error(BAD_LEX_RANGE),
        },
        _ => match (parse_i64(a), parse_i64(b)) {
            (Some(s), Some(e)) => Spec::Rank(s, e),
            _ => return ctx.error(crate::command::errors::NOT_INT),
        },
    };
    let select = |z: &ZSet| -> Selection {
        let (lo, hi) = match &spec {
            Spec::Rank(s, e) => rank_window(*s, *e, z.len(), rev),
            Spec::Score(r) => {
                let (lo, hi) = r.ranks(z);
                apply_limit(lo, hi, rev, offset, limit)
            }
            Spec::Lex(r) => {
                let (lo, hi) = r.ranks(z);
                apply_limit(lo, hi, rev, offset, limit)
            }
        };
        Selection { lo, hi, rev }
    };
    let src = ctx.arg(first);
    let mut db = ctx.lock();
    let found = match zset_of(db.get_read(src)) {
        Err(_) => return ctx.wrong_type(),
        Ok(z) => z,
    };
    if !store {
        let Some(z) = found else {
            return ctx.out.array(0);
        };
        let sel = select(z);
        ctx.out
            .array(item_count(sel.hi - sel.lo, withscores, ctx.out.resp3));
        let out = &mut *ctx.out;
        z.for_range(sel.lo, sel.hi, sel.rev, |m, s| {
            write_item(out, m, s, withscores)
        });
        return;
    }
    let limits = limits(ctx);
    let mut pairs = Vec::new();
    let mut by_rank_len = None;
    if let Some(z) = found {
        let sel = select(z);
        pairs.reserve_exact(sel.hi - sel.lo);
        z.for_range(sel.lo, sel.hi, sel.rev, |m, s| {
            pairs.push((SmallBytes::new(m), s))
        });
        if kind == Kind::Rank {
            by_rank_len = Some(pairs.len());
        }
    }
    let dst = ctx.arg(1);
    let n = pairs.len();
    if n == 0 {
        if db.delete(dst) {
            ctx.notify(notify::GENERIC, "del", dst);
        }
    } else {
        // Built as Redis builds it: packed unless a rank range is known to be too long, then
        // filled in reply order, converting when it outgrows the packed form (a `-0` score
        // inserted while packed reads back as 0).
        let mut z = match by_rank_len {
            Some(len) if len > limits.entries => ZSet::new_sorted(),
            _ => ZSet::default(),
        };
        for (m, s) in &pairs {
            z.insert(m, *s, limits);
        }
        db.set(dst, Value::ZSet(Box::new(z)));
        db.signal_ready(dst);
        ctx.notify(notify::ZSET, "zrangestore", dst);
    }
    drop(db);
    ctx.out.int(n as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(rank_window(0, -1, 5, false), (0, 5));
        assert_eq!(rank_window(0, 0, 5, true), (4, 5));
        assert_eq!(rank_window(-100, 100, 5, false), (0, 5));
        assert_eq!(rank_window(3, 1, 5, false), (0, 0));
        assert_eq!(rank_window(1, 2, 5, true), (2, 4));
        assert_eq!(apply_limit(2, 8, false, 1, 2), (3, 5));
        assert_eq!(apply_limit(2, 8, true, 1, 2), (5, 7));
        assert_eq!(apply_limit(2, 8, true, 10, -1), (2, 2));
        assert_eq!(apply_limit(2, 8, false, -1, 3), (2, 2));
    }
}
