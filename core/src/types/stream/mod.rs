//! Streams (Redis's t_stream.c): the value in `stream_value.rs` (nodes in `node.rs`, IDs in
//! `id.rs`, consumer groups in `group.rs`, read counters in `lag.rs`), XADD and XTRIM in
//! `add.rs`, the range reads in `read.rs`, XREAD/XREADGROUP in `xread.rs`, the group commands
//! in `xgroup.rs`, `pending.rs` and `claim.rs`, XINFO in `info.rs`.

mod add;
mod claim;
pub mod group;
pub mod id;
mod index;
mod info;
mod lag;
pub mod node;
mod pending;
mod read;
pub mod stream_value;
#[cfg(test)]
mod tests;
mod xgroup;
mod xread;

pub use id::StreamId;
pub use stream_value::{NodeLimits, Stream};

use crate::command::{Ctx, Handler};
use crate::keyspace::{Entry, Value};
use crate::persist::listpack::Entry as Element;
use crate::resp::ReplyWriter;

/// The stream commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("xadd", add::xadd),
    ("xtrim", add::xtrim),
    ("xdel", add::xdel),
    ("xsetid", add::xsetid),
    ("xlen", read::xlen),
    ("xrange", read::xrange),
    ("xrevrange", read::xrevrange),
    ("xread", xread::xread),
    ("xreadgroup", xread::xreadgroup),
    ("xack", pending::xack),
    ("xpending", pending::xpending),
    ("xclaim", claim::xclaim),
    ("xautoclaim", claim::xautoclaim),
    ("xgroup|create", xgroup::create),
    ("xgroup|setid", xgroup::setid),
    ("xgroup|destroy", xgroup::destroy),
    ("xgroup|createconsumer", xgroup::createconsumer),
    ("xgroup|delconsumer", xgroup::delconsumer),
    ("xgroup|help", xgroup::help),
    ("xinfo|stream", info::stream),
    ("xinfo|groups", info::groups),
    ("xinfo|consumers", info::consumers),
    ("xinfo|help", info::help),
];

/// Replies with an error made of `parts` (Redis's messages quote key and group names as
/// given, whatever their bytes).
fn error_naming(ctx: &mut Ctx, parts: &[&[u8]]) {
    ctx.error_bytes(&parts.concat());
}

/// "NOGROUP No such key 'k' or consumer group 'g'" (XPENDING, XCLAIM, XAUTOCLAIM).
fn no_key_or_group(ctx: &mut Ctx, key: &[u8], group: &[u8]) {
    error_naming(
        ctx,
        &[
            b"NOGROUP No such key '",
            key,
            b"' or consumer group '",
            group,
            b"'",
        ],
    );
}

/// "NOGROUP No such consumer group 'g' for key name 'k'" (XGROUP, XINFO CONSUMERS).
fn no_group_for_key(ctx: &mut Ctx, group: &[u8], key: &[u8]) {
    error_naming(
        ctx,
        &[
            b"NOGROUP No such consumer group '",
            group,
            b"' for key name '",
            key,
            b"'",
        ],
    );
}

/// The stream in `entry`: Ok(None) when there is no entry, Err for another type.
fn stream_of(entry: Option<&mut Entry>) -> Result<Option<&mut Box<Stream>>, ()> {
    match entry {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Stream(s) => Ok(Some(s)),
            _ => Err(()),
        },
    }
}

/// The configured node limits.
fn node_limits(ctx: &Ctx) -> NodeLimits {
    let cfg = ctx.server.config.read();
    NodeLimits {
        max_bytes: cfg.stream_node_max_bytes,
        max_entries: cfg.stream_node_max_entries,
    }
}

/// Writes an ID as a bulk string.
fn write_id(out: &mut ReplyWriter, id: StreamId) {
    out.bulk(id.write(&mut [0; 41]));
}

/// Writes a node element as a bulk string (integers as their decimal text).
fn write_element(out: &mut ReplyWriter, e: Element<'_>) {
    match e {
        Element::Str(s) => out.bulk(s),
        Element::Int(v) => out.bulk_i64(v),
    }
}

/// Writes one entry as Redis does: `[id, [field, value, ...]]`.
fn write_entry(out: &mut ReplyWriter, id: StreamId, pairs: &[(Element<'_>, Element<'_>)]) {
    out.array(2);
    write_id(out, id);
    out.array(pairs.len() * 2);
    for (f, v) in pairs {
        write_element(out, *f);
        write_element(out, *v);
    }
}
