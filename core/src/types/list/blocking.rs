//! The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! Each looks for data the way its non-blocking twin does; finding none it blocks (see
//! `crate::blocking`), and when a key it waits on becomes ready the same handler runs again on
//! the client's behalf, in serving mode: it then writes nothing if there is still no data.
//! Keys of another type are WRONGTYPE when the command first runs; while serving they are
//! skipped, so a waiter is never failed by a key it did not come for.

use super::{fill, move_element, parse_end, parse_mpop, pop_and_reply, End, PopShape};
use crate::blocking::{block_or_reply, first_key_or_block, parse_timeout, TimeoutReply, Tried};
use crate::command::Ctx;
use crate::propagate::{cmd, int};

/// BLPOP key [key ...] timeout.
pub(super) fn blpop(ctx: &mut Ctx) {
    bpop(ctx, End::Left);
}

/// BRPOP key [key ...] timeout.
pub(super) fn brpop(ctx: &mut Ctx) {
    bpop(ctx, End::Right);
}

fn bpop(ctx: &mut Ctx, end: End) {
    let last = ctx.args.len() - 1;
    let Some(deadline) = parse_timeout(ctx, last) else {
        return;
    };
    if let Some((key, _)) = first_with_data(ctx, 1..last, end, 1, PopShape::KeyAndOne, deadline) {
        // Served: propagated as the pop it was, never as a command that could block.
        ctx.propagate_as(cmd(&[end_pop(end), &key]));
    }
}

/// LPOP or RPOP, the non-blocking pop from `end`.
fn end_pop(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LPOP",
        End::Right => b"RPOP",
    }
}

/// LEFT or RIGHT.
fn end_name(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LEFT",
        End::Right => b"RIGHT",
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
pub(super) fn blmpop(ctx: &mut Ctx) {
    let Some(deadline) = parse_timeout(ctx, 1) else {
        return;
    };
    let Some(spec) = parse_mpop(ctx, 2) else {
        return;
    };
    let (end, count) = (spec.end, spec.count);
    if let Some((key, popped)) =
        first_with_data(ctx, spec.keys, end, count, PopShape::KeyAndMany, deadline)
    {
        ctx.propagate_as(cmd(&[end_pop(end), &key, &int(popped as i64)]));
    }
}

/// Pops from the first of the keys (argument indexes `keys`) holding a list, or blocks on all of them.
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
            match pop_and_reply(db, out, key, end, count, shape) {
                Ok(true) => {
                    popped = count.min(len);
                    Tried::Served
                }
                Ok(false) => Tried::Empty,
                Err(_) => Tried::WrongType,
            }
        },
    );
    key.map(|k| (k, popped))
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
pub(super) fn blmove(ctx: &mut Ctx) {
    let (Some(from), Some(to)) = (parse_end(ctx.arg(3)), parse_end(ctx.arg(4))) else {
        return ctx.syntax_error();
    };
    bmove(ctx, from, to, 5, false);
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT, propagated
/// as RPOPLPUSH (as Redis 7.0 does; BLMOVE propagates as LMOVE).
pub(super) fn brpoplpush(ctx: &mut Ctx) {
    bmove(ctx, End::Right, End::Left, 3, true);
}

fn bmove(ctx: &mut Ctx, from: End, to: End, timeout_at: usize, rpoplpush: bool) {
    let Some(deadline) = parse_timeout(ctx, timeout_at) else {
        return;
    };
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let fill = fill(ctx);
    let mut locked = ctx.lock();
    match move_element(&mut locked, ctx.out, src, dst, from, to, fill) {
        Ok(true) if rpoplpush => ctx.propagate_as(cmd(&[b"RPOPLPUSH", src, dst])),
        Ok(true) => ctx.propagate_as(cmd(&[b"LMOVE", src, dst, end_name(from), end_name(to)])),
        // A destination of another type fails the waiter too (the element stays where it
        // is); a source that stopped being a list only leaves it waiting.
        Err(_) if !ctx.client.serving_blocked || src_is_list(&mut locked, src) => {
            drop(locked);
            ctx.wrong_type();
        }
        // Inside MULTI an empty source gives a null bulk, though a timeout gives a null array.
        Ok(false) | Err(_) => block_or_reply(ctx, locked, &[src], deadline, TimeoutReply::Null),
    }
}

fn src_is_list(db: &mut crate::keyspace::Locked, src: &[u8]) -> bool {
    db.get(src)
        .is_some_and(|e| matches!(e.value, crate::keyspace::Value::List(_)))
}
