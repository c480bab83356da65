//! SSCAN: an intset is returned whole with cursor 0; a table is walked top down by position
//! (see `types::scan_args`).

use super::set_value::MemberRef;
use crate::command::Ctx;
use crate::keyspace::Value;
use crate::types::scan_args::{reply_empty, ElementScan};

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub fn sscan(ctx: &mut Ctx) {
    let Some(cursor) = ElementScan::cursor(ctx) else {
        return;
    };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Some(e) = db.get_read(key) else {
        return reply_empty(ctx.out);
    };
    let Value::Set(set) = &e.value else {
        return ctx.wrong_type();
    };
    let Some(scan) = ElementScan::options(ctx, cursor) else {
        return;
    };
    let mut buf = itoa::Buffer::new();
    let (found, next): (Vec<MemberRef>, u64) = match &**set {
        super::Set::Ints(_) => (
            set.iter()
                .filter(|m| scan.matches(m.bytes(&mut buf)))
                .collect(),
            0,
        ),
        super::Set::Table(_) => {
            let (range, next) = scan.window(set.len());
            let found = range
                .rev()
                .filter_map(|i| set.get_index(i))
                .filter(|m| scan.matches(m.bytes(&mut buf)))
                .collect();
            (found, next)
        }
    };
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array(found.len());
    for m in found {
        m.reply(ctx.out);
    }
}
