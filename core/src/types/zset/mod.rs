//! Sorted sets (Redis's t_zset.c), split by concern: score and range parsing (`score`), the
//! packed "listpack" form (`packed`), the order-statistics index of the large form (`order`),
//! the value with its conversions (`value`), and the commands (`add`, `read`, `range`,
//! `remove`, `pop`, `algebra`, `rand`, `scan`).
//!
//! Entry points for the blocking commands (BZPOPMIN, BZPOPMAX, BZMPOP), written elsewhere:
//! - [`pop`]`(db, out, key, end, count, shape) -> PopOutcome`: pops up to `count` (≥ 1)
//!   elements from the [`End::Min`] or [`End::Max`] end of the zset at `key` on a `Locked`,
//!   writes the reply in `shape` (BZPOPMIN/BZPOPMAX: [`PopShape::KeyFlat`] = `[key, member,
//!   score]` with count 1; BZMPOP: [`PopShape::KeyNested`] = `[key, [[member, score], ...]]`),
//!   deletes the key when it empties, and returns [`PopOutcome::Popped`]; it writes nothing
//!   and returns `Missing` or `WrongType` otherwise.
//! - [`parse_mpop`]`(ctx, numkeys_idx) -> Option<MpopArgs>`: parses `numkeys key... MIN|MAX
//!   [COUNT n]` starting at `numkeys_idx` (1 for ZMPOP, 2 for BZMPOP), replying Redis's error
//!   on failure.
//!
//! Every command that adds members calls `Locked::signal_ready(key)` after writing.

mod add;
mod algebra;
mod blocking;
mod order;
mod packed;
mod pop;
mod rand;
mod range;
mod read;
mod remove;
mod scan;
mod score;
mod set_input;
#[cfg(test)]
mod tests;
mod value;

pub(crate) use add::{add_pairs, AddFlags};
pub(crate) use pop::{parse_mpop, pop, End, PopOutcome, PopShape};
pub(crate) use score::parse_score;
pub use value::{Limits, ZSet};

use crate::command::{Ctx, Handler};
use crate::keyspace::{Entry, Value};
use crate::resp::ReplyWriter;

/// The zset commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("zadd", add::zadd),
    ("zincrby", add::zincrby),
    ("zcard", read::zcard),
    ("zscore", read::zscore),
    ("zmscore", read::zmscore),
    ("zrank", read::zrank),
    ("zrevrank", read::zrevrank),
    ("zcount", read::zcount),
    ("zlexcount", read::zlexcount),
    ("zrange", range::zrange),
    ("zrangestore", range::zrangestore),
    ("zrevrange", range::zrevrange),
    ("zrangebyscore", range::zrangebyscore),
    ("zrevrangebyscore", range::zrevrangebyscore),
    ("zrangebylex", range::zrangebylex),
    ("zrevrangebylex", range::zrevrangebylex),
    ("zrem", remove::zrem),
    ("zremrangebyrank", remove::zremrangebyrank),
    ("zremrangebyscore", remove::zremrangebyscore),
    ("zremrangebylex", remove::zremrangebylex),
    ("zpopmin", pop::zpopmin),
    ("zpopmax", pop::zpopmax),
    ("zmpop", pop::zmpop),
    ("bzpopmin", blocking::bzpopmin),
    ("bzpopmax", blocking::bzpopmax),
    ("bzmpop", blocking::bzmpop),
    ("zunion", algebra::zunion),
    ("zinter", algebra::zinter),
    ("zdiff", algebra::zdiff),
    ("zunionstore", algebra::zunionstore),
    ("zinterstore", algebra::zinterstore),
    ("zdiffstore", algebra::zdiffstore),
    ("zintercard", algebra::zintercard),
    ("zrandmember", rand::zrandmember),
    ("zscan", scan::zscan),
];

/// The key's value as a zset: Ok(None) when absent, Err when it holds another type.
fn zset_of(entry: Option<&mut Entry>) -> Result<Option<&mut Box<ZSet>>, ()> {
    match entry {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(()),
        },
    }
}

/// The packed-form thresholds currently configured.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    let cfg = ctx.server.config.read();
    Limits {
        entries: cfg.zset_max_listpack_entries,
        value: cfg.zset_max_listpack_value,
    }
}

/// The array length of a reply of `n` elements: RESP2 flattens WITHSCORES pairs, RESP3 nests
/// them as `[member, score]` arrays.
fn item_count(n: usize, withscores: bool, resp3: bool) -> usize {
    if withscores && !resp3 {
        2 * n
    } else {
        n
    }
}

/// Writes one element of a range-like reply (see [`item_count`]).
fn write_item(out: &mut ReplyWriter, member: &[u8], score: f64, withscores: bool) {
    if withscores {
        if out.resp3 {
            out.array(2);
        }
        out.bulk(member);
        out.double(score);
    } else {
        out.bulk(member);
    }
}
