//! Lists (Redis's t_list.c), split by concern: the packed entry, the chunk, the chunked list
//! value, then the commands: pushes and pops, ranges, in-place edits, LPOS, moves.
//!
//! Entry points for the blocking commands (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH), which
//! serve a blocked client with the same code the non-blocking commands run:
//! - [`pop_and_reply`]`(db, out, key, end, count, shape) -> Result<bool, WrongType>`: pops up to
//!   `count` elements from `end` of the list at `key`, replies in `shape` (BLPOP/BRPOP use
//!   [`PopShape::KeyAndOne`], BLMPOP [`PopShape::KeyAndMany`]) and deletes the key if emptied,
//!   publishing `lpop`/`rpop` (then `del`).
//!   `Ok(false)`: no such key, nothing written; `Err(WrongType)`: another type, nothing written.
//! - [`move_element`]`(db, out, src, dst, from, to, fill) -> Result<bool, WrongType>`: LMOVE's
//!   core; on `Ok(true)` the moved element has been replied, `dst` signalled ready and the
//!   push, pop (and `del` of an emptied `src`) published.
//!   `Ok(false)`: `src` missing, nothing written; `Err(WrongType)`: either key holds another
//!   type, nothing written.
//! - [`parse_mpop`]`(ctx, numkeys_at) -> Option<MpopArgs>`: LMPOP/BLMPOP's arguments from
//!   numkeys on (`numkeys_at` = where numkeys is: 1 for LMPOP, 2 for BLMPOP, whose timeout the
//!   caller parses); keys are `ctx.args[keys]`. On `None` Redis's
//!   error has been replied.
//! - Every command that adds elements calls `Locked::signal_ready(key)` after adding.
//! - [`parse_end`] reads LEFT/RIGHT; [`fill`] reads `list-max-listpack-size` for a command.

mod blocking;
mod chunk;
mod edit;
mod entry;
mod list_value;
mod moves;
mod pos;
mod push_pop;
mod range;

#[cfg(test)]
mod tests;

pub use chunk::Fill;
pub use entry::Elem;
pub use list_value::{End, List};
pub(crate) use moves::move_element;
pub(crate) use push_pop::{parse_mpop, pop_and_reply, PopShape};

use crate::command::{Ctx, Handler};
use crate::util::c_str::is_option;

/// The list commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("lpush", push_pop::lpush),
    ("rpush", push_pop::rpush),
    ("lpushx", push_pop::lpushx),
    ("rpushx", push_pop::rpushx),
    ("lpop", push_pop::lpop),
    ("rpop", push_pop::rpop),
    ("lmpop", push_pop::lmpop),
    ("llen", range::llen),
    ("lrange", range::lrange),
    ("lindex", range::lindex),
    ("ltrim", range::ltrim),
    ("lset", edit::lset),
    ("linsert", edit::linsert),
    ("lrem", edit::lrem),
    ("lpos", pos::lpos),
    ("lmove", moves::lmove),
    ("rpoplpush", moves::rpoplpush),
    ("blpop", blocking::blpop),
    ("brpop", blocking::brpop),
    ("blmove", blocking::blmove),
    ("brpoplpush", blocking::brpoplpush),
    ("blmpop", blocking::blmpop),
];

/// A key holds a value of another type (the caller replies WRONGTYPE).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WrongType;

/// The chunk limits for lists the current command creates or edits.
pub(crate) fn fill(ctx: &Ctx) -> Fill {
    Fill::from_config(ctx.server.config.read().list_max_listpack_size)
}

/// LEFT or RIGHT (any case; like Redis's strcasecmp, the text ends at a NUL byte).
pub(crate) fn parse_end(arg: &[u8]) -> Option<End> {
    if is_option(arg, "left") {
        Some(End::Left)
    } else if is_option(arg, "right") {
        Some(End::Right)
    } else {
        None
    }
}

impl End {
    /// The notification a push to this end publishes.
    pub(crate) fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    /// The notification a pop from this end publishes.
    pub(crate) fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
}

/// Resolves a Redis index (negative counts from the tail) against a length.
fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if i < 0 { i.checked_add(len)? } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

/// Clamps LRANGE/LTRIM's start and stop to a length: `None` when the range is empty.
fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let l = len as i64;
    let mut start = if start < 0 {
        start.saturating_add(l)
    } else {
        start
    };
    let mut stop = if stop < 0 {
        stop.saturating_add(l)
    } else {
        stop
    };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= l {
        return None;
    }
    if stop >= l {
        stop = l - 1;
    }
    Some((start as usize, stop as usize))
}
