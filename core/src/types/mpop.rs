//! What LMPOP, BLMPOP, ZMPOP and BZMPOP share: `numkeys key [key ...] <where> [COUNT count]`.

use std::ops::Range;

use crate::command::Ctx;
use crate::util::c_str::is_option;
use crate::util::num::parse_i64;

/// The parsed arguments; `E` is the type's end (LEFT/RIGHT, MIN/MAX).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpopArgs<E> {
    /// Argument indexes of the keys.
    pub keys: Range<usize>,
    /// Which end to pop from.
    pub end: E,
    /// Most elements to pop (COUNT, default 1).
    pub count: usize,
}

/// Parses the arguments from numkeys (at `numkeys_at`: 1 for LMPOP/ZMPOP, 2 after the timeout
/// of the blocking forms) with `parse_end` reading the end word; on `None` Redis's error has
/// been replied.
pub fn parse_mpop<E>(
    ctx: &mut Ctx,
    numkeys_at: usize,
    parse_end: impl Fn(&[u8]) -> Option<E>,
) -> Option<MpopArgs<E>> {
    let numkeys = match parse_i64(ctx.arg(numkeys_at)) {
        Some(n) if n >= 1 => n as u64,
        _ => {
            ctx.error("ERR numkeys should be greater than 0");
            return None;
        }
    };
    let argc = ctx.args.len();
    let where_at = match (numkeys_at as u64).checked_add(numkeys + 1) {
        Some(w) if w < argc as u64 => w as usize,
        _ => {
            ctx.syntax_error();
            return None;
        }
    };
    let Some(end) = parse_end(ctx.arg(where_at)) else {
        ctx.syntax_error();
        return None;
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argc {
        if count.is_none() && is_option(ctx.arg(j), "count") && j + 1 < argc {
            j += 1;
            match parse_i64(ctx.arg(j)) {
                Some(n) if n >= 1 => count = Some(n as usize),
                _ => {
                    ctx.error("ERR count should be greater than 0");
                    return None;
                }
            }
        } else {
            ctx.syntax_error();
            return None;
        }
        j += 1;
    }
    Some(MpopArgs {
        keys: numkeys_at + 1..where_at,
        end,
        count: count.unwrap_or(1),
    })
}
