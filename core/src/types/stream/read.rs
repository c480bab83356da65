//! XLEN, XRANGE, XREVRANGE.

use super::id::{parse_bound, INVALID_ID};
use super::{write_entry, StreamId};
use crate::command::Ctx;
use crate::keyspace::Value;

/// XLEN key
pub fn xlen(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let len = match db.get_read(key).map(|e| &e.value) {
        None => 0,
        Some(Value::Stream(s)) => s.length as i64,
        Some(_) => {
            drop(db);
            return ctx.wrong_type();
        }
    };
    drop(db);
    ctx.out.int(len);
}

/// XRANGE key start end [COUNT count]
pub fn xrange(ctx: &mut Ctx) {
    range(ctx, false)
}

/// XREVRANGE key end start [COUNT count]
pub fn xrevrange(ctx: &mut Ctx) {
    range(ctx, true)
}

/// Parses an interval's two bounds (`(` for exclusive ones), replying Redis's error on
/// failure.
pub fn interval(ctx: &mut Ctx, start_arg: usize, end_arg: usize) -> Option<(StreamId, StreamId)> {
    let Some((start, start_ex)) = parse_bound(ctx.arg(start_arg), 0, true) else {
        ctx.error(INVALID_ID);
        return None;
    };
    let start = if start_ex {
        let Some(s) = start.next() else {
            ctx.error("ERR invalid start ID for the interval");
            return None;
        };
        s
    } else {
        start
    };
    let Some((end, end_ex)) = parse_bound(ctx.arg(end_arg), u64::MAX, true) else {
        ctx.error(INVALID_ID);
        return None;
    };
    let end = if end_ex {
        let Some(e) = end.prev() else {
            ctx.error("ERR invalid end ID for the interval");
            return None;
        };
        e
    } else {
        end
    };
    Some((start, end))
}

fn range(ctx: &mut Ctx, rev: bool) {
    let (start_arg, end_arg) = if rev { (3, 2) } else { (2, 3) };
    let Some((start, end)) = interval(ctx, start_arg, end_arg) else {
        return;
    };
    let mut count: i64 = -1;
    let mut j = 4;
    while j < ctx.args.len() {
        if ctx.arg(j).eq_ignore_ascii_case(b"count") && j + 1 < ctx.args.len() {
            let Some(n) = ctx.int_arg(j + 1) else { return };
            count = n.max(0);
            j += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let stream = match db.get_read(key).map(|e| &e.value) {
        None => {
            drop(db);
            return ctx.out.array(0);
        }
        Some(Value::Stream(s)) => s,
        Some(_) => {
            drop(db);
            return ctx.wrong_type();
        }
    };
    if count == 0 {
        drop(db);
        return ctx.out.null_array();
    }
    // The reply's length is only known at the end: collect, then write.
    let mut n = 0usize;
    let mut body = crate::resp::ReplyWriter::for_frame(1024, ctx.out.resp3);
    stream.walk(start, end, rev, |id, pairs| {
        write_entry(&mut body, id, pairs);
        n += 1;
        count < 0 || (n as i64) < count
    });
    drop(db);
    ctx.out.array(n);
    ctx.out.raw(&body.buf);
}
