//! HSCAN: the packed form is returned whole with cursor 0, as Redis returns a listpack; the
//! table form is walked top down by position (see `types::scan_args`).

use super::hash_value::Hash;
use super::{read, Found};
use crate::command::Ctx;
use crate::types::scan_args::{reply, reply_empty, ElementScan};

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan(ctx: &mut Ctx) {
    let Some(cursor) = ElementScan::cursor(ctx) else {
        return;
    };
    let mut db = ctx.lock();
    let h = match read(&mut db, ctx.arg(1)) {
        // Redis replies before parsing the options when the key is missing.
        Found::Missing => return reply_empty(ctx.out),
        Found::WrongType => return ctx.wrong_type(),
        Found::Hash(h) => h,
    };
    let Some(scan) = ElementScan::options(ctx, cursor) else {
        return;
    };
    let mut items: Vec<&[u8]> = Vec::new();
    let next = match h {
        Hash::Packed(p) => {
            for pair in p.iter() {
                keep(&scan, pair, &mut items);
            }
            0
        }
        Hash::Table(t) => {
            let (range, next) = scan.window(t.len());
            for i in range.rev() {
                if let Some(pair) = t.get_index(i) {
                    keep(&scan, pair, &mut items);
                }
            }
            next
        }
    };
    reply(ctx.out, next, &items);
}

/// Adds a pair to the reply items if its field passes MATCH.
fn keep<'h>(scan: &ElementScan, (f, v): (&'h [u8], &'h [u8]), items: &mut Vec<&'h [u8]>) {
    if scan.matches(f) {
        items.push(f);
        items.push(v);
    }
}
