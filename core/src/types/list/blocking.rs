//! The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! Each looks for data the way its non-blocking twin does; finding none it blocks (see
//! `crate::blocking`), and when a key it waits on becomes ready the same handler runs again on
//! the client's behalf, in serving mode: it then writes nothing if there is still no data.
//! Keys of another type are WRONGTYPE when the command first runs; while serving they are
//! skipped, so a waiter is never failed by a key it did not come for.

use super::ops::{self, End, Taken};
use crate::blocking::{block_or_reply, parse_timeout, TimeoutReply};
use crate::command::Ctx;

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
    let keys = &ctx.args[1..last];
    let mut locked = ctx.lock();
    for key in keys {
        match ops::pop(&mut locked, key, end, 1) {
            Taken::WrongType if !ctx.client.serving_blocked => {
                drop(locked);
                return ctx.wrong_type();
            }
            Taken::Elements(elements) => {
                drop(locked);
                ctx.out.array(2);
                ctx.out.bulk(key);
                for e in &elements {
                    ctx.out.bulk(e);
                }
                return;
            }
            _ => {}
        }
    }
    let keys: smallvec::SmallVec<[&[u8]; 4]> = keys.iter().map(|k| &k[..]).collect();
    block_or_reply(ctx, locked, &keys, deadline, TimeoutReply::NullArray);
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
pub(super) fn blmove(ctx: &mut Ctx) {
    let (Some(from), Some(to)) = (End::parse(ctx.arg(3)), End::parse(ctx.arg(4))) else {
        return ctx.syntax_error();
    };
    bmove(ctx, from, to, 5);
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT.
pub(super) fn brpoplpush(ctx: &mut Ctx) {
    bmove(ctx, End::Right, End::Left, 3);
}

fn bmove(ctx: &mut Ctx, from: End, to: End, timeout_at: usize) {
    let Some(deadline) = parse_timeout(ctx, timeout_at) else {
        return;
    };
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let mut locked = ctx.lock();
    match ops::lmove(&mut locked, src, dst, from, to) {
        ops::Moved::Element(e) => {
            drop(locked);
            ctx.out.bulk(&e);
        }
        ops::Moved::WrongType if !ctx.client.serving_blocked => {
            drop(locked);
            ctx.wrong_type();
        }
        ops::Moved::WrongType | ops::Moved::Empty => {
            block_or_reply(ctx, locked, &[src], deadline, TimeoutReply::Null);
        }
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
pub(super) fn blmpop(ctx: &mut Ctx) {
    let Some(deadline) = parse_timeout(ctx, 1) else {
        return;
    };
    let Some(spec) = ops::parse_mpop(ctx, 2) else {
        return;
    };
    let keys = &ctx.args[spec.keys.clone()];
    let mut locked = ctx.lock();
    for key in keys {
        match ops::pop(&mut locked, key, spec.end, spec.count) {
            Taken::WrongType if !ctx.client.serving_blocked => {
                drop(locked);
                return ctx.wrong_type();
            }
            Taken::Elements(elements) => {
                drop(locked);
                ops::reply_mpop(ctx, key, &elements);
                return;
            }
            _ => {}
        }
    }
    let keys: smallvec::SmallVec<[&[u8]; 4]> = keys.iter().map(|k| &k[..]).collect();
    block_or_reply(ctx, locked, &keys, deadline, TimeoutReply::NullArray);
}
