//! What a blocking command does when none of its keys has data.

use super::TimeoutReply;
use crate::command::Ctx;
use crate::keyspace::Locked;

/// No key had data: block (a timeout then replies with a null array, as Redis 7.0 does for
/// every list and sorted-set command), or inside MULTI/EXEC reply `in_multi` at once, or
/// (serving a blocked client) write nothing so the client stays blocked. `locked` is held
/// until the client is registered, so no write can slip in between.
pub fn block_or_reply(
    ctx: &mut Ctx,
    locked: Locked<'_>,
    keys: &[&[u8]],
    deadline: u64,
    in_multi: TimeoutReply,
) {
    if ctx.client.serving_blocked {
        return;
    }
    if !ctx.client.may_block() {
        drop(locked);
        match in_multi {
            TimeoutReply::NullArray => ctx.out.null_array(),
            TimeoutReply::Null => ctx.out.null(),
        }
        return;
    }
    ctx.block(keys, deadline);
    drop(locked);
}

/// What trying one key of a blocking pop gave.
pub enum Tried {
    /// Data was popped and the reply written.
    Served,
    /// The key is missing (or empty): try the next one.
    Empty,
    /// The key holds another type (nothing written).
    WrongType,
}

/// Tries the keys at argument indexes `keys` in order with `try_key` and stops at the first
/// that serves, returning it; WRONGTYPE on a key of another type (skipped instead while
/// serving a blocked client, which is never failed by a key it did not come for); with no data
/// anywhere, [`block_or_reply`].
pub fn first_key_or_block(
    ctx: &mut Ctx,
    keys: std::ops::Range<usize>,
    deadline: u64,
    in_multi: TimeoutReply,
    mut try_key: impl FnMut(&mut Locked<'_>, &mut crate::resp::ReplyWriter, &[u8]) -> Tried,
) -> Option<bytes::Bytes> {
    let keys = &ctx.args[keys];
    let mut locked = ctx.lock();
    for key in keys {
        match try_key(&mut locked, ctx.out, key) {
            Tried::Served => return Some(key.clone()),
            Tried::WrongType if !ctx.client.serving_blocked => {
                drop(locked);
                ctx.wrong_type();
                return None;
            }
            Tried::WrongType | Tried::Empty => {}
        }
    }
    let keys: smallvec::SmallVec<[&[u8]; 4]> = keys.iter().map(|k| &k[..]).collect();
    block_or_reply(ctx, locked, &keys, deadline, in_multi);
    None
}
