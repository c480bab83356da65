//! The blocking sorted-set pops: BZPOPMIN, BZPOPMAX, BZMPOP (see `crate::blocking` and the
//! list module's blocking commands, which work the same way).

use super::{parse_mpop, pop, End, PopOutcome, PopShape};
use crate::blocking::{first_key_or_block, parse_timeout, TimeoutReply, Tried};
use crate::command::Ctx;
use crate::propagate::{cmd, int};

/// BZPOPMIN key [key ...] timeout.
pub fn bzpopmin(ctx: &mut Ctx) {
    bzpop(ctx, End::Min);
}

/// BZPOPMAX key [key ...] timeout.
pub fn bzpopmax(ctx: &mut Ctx) {
    bzpop(ctx, End::Max);
}

fn bzpop(ctx: &mut Ctx, end: End) {
    let last = ctx.args.len() - 1;
    let Some(deadline) = parse_timeout(ctx, last) else {
        return;
    };
    if let Some((key, _)) = first_with_data(ctx, 1..last, end, 1, PopShape::KeyFlat, deadline) {
        // Served: propagated as the pop it was, never as a command that could block.
        ctx.propagate_as(cmd(&[end_pop(end), &key]));
    }
}

/// ZPOPMIN or ZPOPMAX, the non-blocking pop from `end`.
fn end_pop(end: End) -> &'static [u8] {
    match end {
        End::Min => b"ZPOPMIN",
        End::Max => b"ZPOPMAX",
    }
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx) {
    let Some(deadline) = parse_timeout(ctx, 1) else {
        return;
    };
    let Some(spec) = parse_mpop(ctx, 2) else {
        return;
    };
    let (end, count) = (spec.end, spec.count);
    if let Some((key, popped)) =
        first_with_data(ctx, spec.keys, end, count, PopShape::KeyNested, deadline)
    {
        ctx.propagate_as(cmd(&[end_pop(end), &key, &int(popped as i64)]));
    }
}

/// Pops from the first of the keys (argument indexes `keys`) holding a sorted set, or blocks on all of them.
fn first_with_data(
    ctx: &mut Ctx,
    keys: std::ops::Range<usize>,
    end: End,
    count: usize,
    shape: PopShape,
    deadline: u64,
) -> Option<(bytes::Bytes, usize)> {
    // How many elements the pop took: min(count, length), what its propagated form says.
    let mut popped = 0;
    let key = first_key_or_block(
        ctx,
        keys,
        deadline,
        TimeoutReply::NullArray,
        |db, out, key| {
            let len = db.collection_len(key);
            match pop(db, out, key, end, count, shape) {
                PopOutcome::Popped => {
                    popped = count.min(len);
                    Tried::Served
                }
                PopOutcome::Missing => Tried::Empty,
                PopOutcome::WrongType => Tried::WrongType,
            }
        },
    );
    key.map(|k| (k, popped))
}
