//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP, with Redis
//! 7.0's fields in Redis's order.

use super::id::StreamId;
use super::{no_group_for_key, write_entry, write_id, Stream};
use crate::admin::util::{help as help_reply, subcommand_syntax_error};
use crate::command::{errors, Ctx};
use crate::keyspace::Value;
use crate::resp::ReplyWriter;

/// Runs `f` on the stream at argument 2, replying Redis's errors when there is none.
fn with_stream(ctx: &mut Ctx, f: impl FnOnce(&Stream, &mut ReplyWriter, u64) -> Option<String>) {
    let now = ctx.now.ms();
    let key = ctx.arg(2);
    let db = ctx.lock();
    let mut db = db;
    let err = match db.get_read(key).map(|e| &e.value) {
        None => Some(errors::NO_SUCH_KEY.to_string()),
        Some(Value::Stream(s)) => f(s, ctx.out, now),
        Some(_) => Some(errors::WRONGTYPE.to_string()),
    };
    drop(db);
    if let Some(e) = err {
        ctx.error(&e);
    }
}

/// XINFO CONSUMERS key group
pub fn consumers(ctx: &mut Ctx) {
    let (key, group) = (ctx.arg(2), ctx.arg(3));
    let mut missing = false;
    with_stream(ctx, |s, out, now| {
        let Some(g) = s.groups.get(group) else {
            missing = true;
            return None;
        };
        out.array(g.consumers.len());
        for (name, c) in &g.consumers {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"pending");
            out.int(c.pel.len() as i64);
            out.bulk(b"idle");
            out.int((now as i64).wrapping_sub(c.seen_time as i64).max(0));
        }
        None
    });
    if missing {
        no_group_for_key(ctx, group, key);
    }
}

/// Writes a group's entries-read counter (null when unknown) and lag.
fn write_read_and_lag(out: &mut ReplyWriter, s: &Stream, g: &super::group::Group) {
    out.bulk(b"entries-read");
    match g.entries_read {
        Some(n) => out.int(n as i64),
        None => out.null(),
    }
    out.bulk(b"lag");
    match s.lag(g) {
        Some(n) => out.int(n),
        None => out.null(),
    }
}

/// XINFO GROUPS key
pub fn groups(ctx: &mut Ctx) {
    with_stream(ctx, |s, out, _| {
        out.array(s.groups.len());
        for (name, g) in &s.groups {
            out.map(6);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"consumers");
            out.int(g.consumers.len() as i64);
            out.bulk(b"pending");
            out.int(g.pel.len() as i64);
            out.bulk(b"last-delivered-id");
            write_id(out, g.last_id);
            write_read_and_lag(out, s, g);
        }
        None
    });
}

/// XINFO STREAM key [FULL [COUNT count]]
pub fn stream(ctx: &mut Ctx) {
    let opts = ctx.args.len() - 3;
    let mut full = None;
    if opts > 0 {
        let well_formed = (opts == 1 || opts == 3)
            && ctx.arg(3).eq_ignore_ascii_case(b"full")
            && (opts == 1 || ctx.arg(4).eq_ignore_ascii_case(b"count"));
        if !well_formed {
            return subcommand_syntax_error(ctx);
        }
        let mut count = 10;
        if opts == 3 {
            let Some(n) = ctx.int_arg(5) else { return };
            count = if n < 0 { 10 } else { n as usize };
        }
        full = Some(count);
    }
    with_stream(ctx, |s, out, _| {
        out.map(if full.is_some() { 9 } else { 10 });
        out.bulk(b"length");
        out.int(s.length as i64);
        out.bulk(b"radix-tree-keys");
        out.int(s.node_count() as i64);
        out.bulk(b"radix-tree-nodes");
        out.int(s.radix_nodes() as i64);
        for (name, id) in [
            (&b"last-generated-id"[..], s.last_id),
            (b"max-deleted-entry-id", s.max_deleted),
        ] {
            out.bulk(name);
            write_id(out, id);
        }
        out.bulk(b"entries-added");
        out.int(s.entries_added as i64);
        out.bulk(b"recorded-first-entry-id");
        write_id(out, s.first_id);
        match full {
            None => summary(s, out),
            Some(count) => details(s, out, count),
        }
        None
    });
}

/// The end of XINFO STREAM: the number of groups, the first and last entries.
fn summary(s: &Stream, out: &mut ReplyWriter) {
    out.bulk(b"groups");
    out.int(s.groups.len() as i64);
    for (name, rev) in [(&b"first-entry"[..], false), (b"last-entry", true)] {
        out.bulk(name);
        let mut found = false;
        s.walk(StreamId::MIN, StreamId::MAX, rev, |id, pairs| {
            write_entry(out, id, pairs);
            found = true;
            false
        });
        if !found {
            out.null();
        }
    }
}

/// The end of XINFO STREAM FULL: up to `count` entries (0 = all), then every group with up
/// to `count` pending entries and its consumers with theirs.
fn details(s: &Stream, out: &mut ReplyWriter, count: usize) {
    let limit = if count == 0 { usize::MAX } else { count };
    out.bulk(b"entries");
    let mut entries = ReplyWriter::for_frame(256, out.resp3);
    let mut n = 0;
    s.walk(StreamId::MIN, StreamId::MAX, false, |id, pairs| {
        write_entry(&mut entries, id, pairs);
        n += 1;
        n < limit
    });
    out.array(n);
    out.raw(&entries.buf);
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        write_id(out, g.last_id);
        write_read_and_lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        out.array(g.pel.len().min(limit));
        for (id, p) in g.pel.iter().take(limit) {
            out.array(4);
            write_id(out, *id);
            out.bulk(&p.consumer);
            out.int(p.delivery_time as i64);
            out.int(p.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            out.array(c.pel.len().min(limit));
            for id in c.pel.iter().take(limit) {
                let p = g.pel.get(id);
                out.array(3);
                write_id(out, *id);
                out.int(p.map_or(0, |p| p.delivery_time as i64));
                out.int(p.map_or(0, |p| p.delivery_count as i64));
            }
        }
    }
}

/// XINFO HELP
pub fn help(ctx: &mut Ctx) {
    help_reply(
        ctx,
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
}
