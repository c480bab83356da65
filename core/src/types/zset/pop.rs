//! ZPOPMIN, ZPOPMAX and ZMPOP, plus the pop primitive and ZMPOP argument parser that the
//! blocking variants (BZPOPMIN, BZPOPMAX, BZMPOP) build on.

use super::zset_of;
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::Locked;
use crate::resp::ReplyWriter;
use crate::types::mpop::MpopArgs;

/// Which end of the order a pop takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Lowest scores first.
    Min,
    /// Highest scores first.
    Max,
}

impl End {
    /// The notification a pop from this end publishes.
    fn event(self) -> &'static str {
        match self {
            End::Min => "zpopmin",
            End::Max => "zpopmax",
        }
    }
}

/// The reply shape of a pop (the four shapes Redis's genericZpopCommand writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopShape {
    /// `[member, score, ...]`: ZPOPMIN/ZPOPMAX without COUNT, or any RESP2 reply.
    Flat,
    /// `[[member, score], ...]`: ZPOPMIN/ZPOPMAX with COUNT in RESP3.
    Nested,
    /// `[key, member, score]`: BZPOPMIN/BZPOPMAX.
    #[allow(dead_code)]
    KeyFlat,
    /// `[key, [[member, score], ...]]`: ZMPOP/BZMPOP.
    KeyNested,
}

/// What a pop found under the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopOutcome {
    /// Elements were popped and the reply written.
    Popped,
    /// No key: nothing written.
    Missing,
    /// The key holds another type: nothing written (the caller replies WRONGTYPE).
    WrongType,
}

/// Pops up to `count` (≥ 1) elements from `end` of the zset at `key`, writing the reply in
/// `shape` and deleting the key when it empties. Writes nothing unless it returns `Popped`.
pub fn pop(
    db: &mut Locked,
    out: &mut ReplyWriter,
    key: &[u8],
    end: End,
    count: usize,
    shape: PopShape,
) -> PopOutcome {
    let z = match zset_of(db.get(key)) {
        Err(_) => return PopOutcome::WrongType,
        Ok(None) => return PopOutcome::Missing,
        Ok(Some(z)) => z,
    };
    let n = count.min(z.len());
    let (lo, hi) = match end {
        End::Min => (0, n),
        End::Max => (z.len() - n, z.len()),
    };
    let mut popped = Vec::with_capacity(n);
    z.remove_ranks(lo, hi, |m, s| popped.push((m.to_vec(), s)));
    if end == End::Max {
        popped.reverse();
    }
    let empty = z.is_empty();
    if empty {
        db.remove(key);
    }
    if n > 0 {
        db.notify(notify::ZSET, end.event(), key);
        if empty {
            db.notify(notify::GENERIC, "del", key);
        }
    }
    let nested = match shape {
        PopShape::Flat => {
            out.array(2 * n);
            false
        }
        PopShape::Nested => {
            out.array(n);
            true
        }
        PopShape::KeyFlat => {
            out.array(2 * n + 1);
            out.bulk(key);
            false
        }
        PopShape::KeyNested => {
            out.array(2);
            out.bulk(key);
            out.array(n);
            true
        }
    };
    for (m, s) in &popped {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(*s);
    }
    PopOutcome::Popped
}

/// Parses ZMPOP/BZMPOP's `numkeys key [key ...] MIN|MAX [COUNT count]` with numkeys at
/// `numkeys_idx`; on `None` Redis's error has been replied.
pub fn parse_mpop(ctx: &mut Ctx, numkeys_idx: usize) -> Option<MpopArgs<End>> {
    crate::types::mpop::parse_mpop(ctx, numkeys_idx, |w| {
        if w.eq_ignore_ascii_case(b"min") {
            Some(End::Min)
        } else if w.eq_ignore_ascii_case(b"max") {
            Some(End::Max)
        } else {
            None
        }
    })
}

/// ZPOPMIN key [count]
pub fn zpopmin(ctx: &mut Ctx) {
    zpop(ctx, End::Min);
}

/// ZPOPMAX key [count]
pub fn zpopmax(ctx: &mut Ctx) {
    zpop(ctx, End::Max);
}

fn zpop(ctx: &mut Ctx, end: End) {
    if ctx.args.len() > 3 {
        return ctx.syntax_error();
    }
    let mut count = None;
    if ctx.args.len() == 3 {
        match crate::util::num::parse_i64(ctx.arg(2)) {
            Some(n) if n >= 0 => count = Some(n as usize),
            _ => return ctx.error("ERR value is out of range, must be positive"),
        }
    }
    let shape = if ctx.out.resp3 && count.is_some() {
        PopShape::Nested
    } else {
        PopShape::Flat
    };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    if count == Some(0) {
        return match zset_of(db.get(key)) {
            Err(_) => ctx.wrong_type(),
            Ok(_) => ctx.out.array(0),
        };
    }
    match pop(&mut db, ctx.out, key, end, count.unwrap_or(1), shape) {
        PopOutcome::Popped => {}
        PopOutcome::Missing => ctx.out.array(0),
        PopOutcome::WrongType => ctx.wrong_type(),
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx) {
    let Some(args) = parse_mpop(ctx, 1) else {
        return;
    };
    let mut db = ctx.lock();
    for i in args.keys {
        let key = ctx.arg(i);
        let len = db.collection_len(key);
        match pop(
            &mut db,
            ctx.out,
            key,
            args.end,
            args.count,
            PopShape::KeyNested,
        ) {
            PopOutcome::Popped => {
                // Propagated as the pop it was on the key it found, as Redis 7 does.
                let pop: &[u8] = match args.end {
                    End::Min => b"ZPOPMIN",
                    End::Max => b"ZPOPMAX",
                };
                let count = crate::propagate::int(args.count.min(len) as i64);
                return ctx.propagate_as(crate::propagate::cmd(&[pop, key, &count]));
            }
            PopOutcome::Missing => {}
            PopOutcome::WrongType => return ctx.wrong_type(),
        }
    }
    ctx.unchanged();
    ctx.out.null_array();
}
