//! The blocking sorted-set pops: BZPOPMIN, BZPOPMAX, BZMPOP (see `crate::blocking` and the
//! list module's blocking commands, which work the same way).

use super::{parse_mpop, pop, End, PopOutcome, PopShape};
use crate::blocking::{first_key_or_block, parse_timeout, TimeoutReply, Tried};
use crate::command::Ctx;

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
    first_with_data(ctx, 1..last, end, 1, PopShape::KeyFlat, deadline);
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx) {
    let Some(deadline) = parse_timeout(ctx, 1) else {
        return;
    };
    let Some(spec) = parse_mpop(ctx, 2) else {
        return;
    };
    first_with_data(
        ctx,
        spec.keys,
        spec.end,
        spec.count,
        PopShape::KeyNested,
        deadline,
    );
}

/// Pops from the first of the keys (argument indexes `keys`) holding a sorted set, or blocks on all of them.
fn first_with_data(
    ctx: &mut Ctx,
    keys: std::ops::Range<usize>,
    end: End,
    count: usize,
    shape: PopShape,
    deadline: u64,
) {
    first_key_or_block(
        ctx,
        keys,
        deadline,
        TimeoutReply::NullArray,
        |db, out, key| match pop(db, out, key, end, count, shape) {
            PopOutcome::Popped => Tried::Served,
            PopOutcome::Missing => Tried::Empty,
            PopOutcome::WrongType => Tried::WrongType,
        },
    );
}
