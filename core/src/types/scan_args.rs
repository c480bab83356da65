//! What HSCAN, SSCAN and ZSCAN share: their options, the position cursor over a positional
//! table, and the reply.
//!
//! The cursor over a hashtable-encoded collection works like the keyspace SCAN cursor (see
//! `keyspace::scan`): positions are visited from the top down, and a table whose elements only
//! ever move to lower positions (append on insert, `swap_remove` on delete) then returns every
//! element present for the whole scan at least once. A cursor `c > 0` means "positions `c..`
//! have been visited"; 0 starts a scan and ends one. Packed encodings are returned whole with
//! cursor 0, as Redis does.

use crate::command::Ctx;
use crate::resp::ReplyWriter;
use crate::util::glob::string_match;

/// The parsed options of an element SCAN.
pub struct ElementScan<'a> {
    /// The cursor the client sent.
    pub cursor: u64,
    /// COUNT (default 10).
    pub count: usize,
    /// MATCH pattern; None when absent or exactly `*`.
    pub pattern: Option<&'a [u8]>,
}

impl<'a> ElementScan<'a> {
    /// Parses the cursor at `args[2]`, replying "ERR invalid cursor" if it is not one. Redis
    /// checks the cursor before it looks the key up, and the options after.
    pub fn cursor(ctx: &mut Ctx) -> Option<u64> {
        let c = crate::util::num::parse_scan_cursor(ctx.arg(2));
        if c.is_none() {
            ctx.error("ERR invalid cursor");
        }
        c
    }

    /// Parses `[MATCH pattern] [COUNT count]` from `args[3..]` (Redis's errors on failure).
    pub fn options(ctx: &mut Ctx<'a>, cursor: u64) -> Option<ElementScan<'a>> {
        let mut scan = ElementScan {
            cursor,
            count: 10,
            pattern: None,
        };
        let mut i = 3;
        while i < ctx.args.len() {
            let opt = ctx.arg(i);
            if i + 1 >= ctx.args.len() {
                ctx.syntax_error();
                return None;
            }
            if opt.eq_ignore_ascii_case(b"count") {
                let n = ctx.int_arg(i + 1)?;
                if n < 1 {
                    ctx.syntax_error();
                    return None;
                }
                scan.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if opt.eq_ignore_ascii_case(b"match") {
                let p = ctx.arg(i + 1);
                scan.pattern = (p != b"*").then_some(p);
            } else {
                ctx.syntax_error();
                return None;
            }
            i += 2;
        }
        Some(scan)
    }

    /// Whether `element` passes MATCH.
    pub fn matches(&self, element: &[u8]) -> bool {
        self.pattern.is_none_or(|p| string_match(p, element, false))
    }

    /// The positions to visit in a table of `len` elements, top down, and the next cursor.
    /// Visits about `count` positions (at least one), as Redis's COUNT is a hint.
    pub fn window(&self, len: usize) -> (std::ops::Range<usize>, u64) {
        let upper = if self.cursor == 0 {
            len
        } else {
            usize::try_from(self.cursor).unwrap_or(usize::MAX).min(len)
        };
        let lower = upper.saturating_sub(self.count.max(1));
        (lower..upper, lower as u64)
    }
}

/// Writes a SCAN reply: the next cursor, then the flat list of items.
pub fn reply(out: &mut ReplyWriter, next: u64, items: &[&[u8]]) {
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(items.len());
    for item in items {
        out.bulk(item);
    }
}

/// The reply for a missing key: cursor 0, no items.
pub fn reply_empty(out: &mut ReplyWriter) {
    reply(out, 0, &[]);
}

#[cfg(test)]
mod tests {
    use super::ElementScan;

    #[test]
    fn window_walks_down_to_zero() {
        let mut scan = ElementScan {
            cursor: 0,
            count: 4,
            pattern: None,
        };
        let mut seen = Vec::new();
        loop {
            let (range, next) = scan.window(10);
            seen.extend(range.rev());
            if next == 0 {
                break;
            }
            scan.cursor = next;
        }
        assert_eq!(seen, (0..10).rev().collect::<Vec<_>>());
        // A cursor beyond a shrunken table starts from its top.
        scan.cursor = 100;
        assert_eq!(scan.window(3), (0..3, 0));
    }
}
