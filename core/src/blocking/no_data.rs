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
    ctx.block(keys, deadline, TimeoutReply::NullArray);
    drop(locked);
}
