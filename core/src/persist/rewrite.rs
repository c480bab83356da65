//! An AOF base in command form (`aof-use-rdb-preamble no`): each key as the commands that
//! rebuild it, as Redis's rewriteAppendOnlyFileRio writes them — SET for strings, RPUSH, SADD,
//! ZADD and HMSET in batches of 64 items, PEXPIREAT for a TTL, and SELECT before each
//! database's keys.

use bytes::BytesMut;

use super::codec::score_text;
use super::listpack::Entry as Element;
use crate::keyspace::{Entry, Value};
use crate::propagate::encode_command;
use crate::types::stream::{Stream, StreamId};
use crate::types::{hash::Hash, zset::ZSet};

/// Items per command, as Redis's AOF_REWRITE_ITEMS_PER_CMD.
const ITEMS_PER_CMD: usize = 64;

/// Appends SELECT `db`.
pub fn select(out: &mut BytesMut, db: usize) {
    encode_command(out, &[&b"SELECT"[..], db.to_string().as_bytes()]);
}

/// Appends the commands that rebuild `key` as `entry` holds it.
pub fn key(out: &mut BytesMut, key: &[u8], entry: &Entry) {
    let mut args: Vec<Vec<u8>> = Vec::new();
    // Emits `name key items...` in batches; `items` yields one item's arguments at a time.
    let mut batched =
        |name: &[u8], out: &mut BytesMut, items: &mut dyn Iterator<Item = Vec<Vec<u8>>>| {
            for item in items {
                if args.is_empty() {
                    args.push(name.to_vec());
                    args.push(key.to_vec());
                }
                args.extend(item);
                if (args.len() - 2) / per_item(name) == ITEMS_PER_CMD {
                    encode_command(out, &args);
                    args.clear();
                }
            }
            if !args.is_empty() {
                encode_command(out, &args);
                args.clear();
            }
        };
    match &entry.value {
        Value::Int(n) => encode_command(out, &[&b"SET"[..], key, n.to_string().as_bytes()]),
        Value::Str(s) => encode_command(out, &[&b"SET"[..], key, s]),
        Value::Raw(s) => encode_command(out, &[&b"SET"[..], key, s]),
        Value::List(l) => {
            let mut items = l.iter().map(|e| vec![e.with_bytes(|b| b.to_vec())]);
            batched(b"RPUSH", out, &mut items);
        }
        Value::Set(s) => {
            let mut buf = itoa::Buffer::new();
            let members: Vec<Vec<u8>> = s.iter().map(|m| m.bytes(&mut buf).to_vec()).collect();
            let mut items = members.into_iter().map(|m| vec![m]);
            batched(b"SADD", out, &mut items);
        }
        Value::ZSet(z) => {
            let z: &ZSet = z;
            let mut pairs = Vec::with_capacity(z.len());
            z.for_range(0, z.len(), false, |m, s| {
                pairs.push(vec![score_text(s).into_bytes(), m.to_vec()]);
            });
            batched(b"ZADD", out, &mut pairs.into_iter());
        }
        Value::Stream(s) => stream(out, key, s),
        Value::Hash(h) => {
            let h: &Hash = h;
            let mut items = h.iter().map(|(f, v)| vec![f.to_vec(), v.to_vec()]);
            batched(b"HMSET", out, &mut items);
        }
    }
    if entry.expire_at != 0 {
        encode_command(
            out,
            &[
                &b"PEXPIREAT"[..],
                key,
                entry.expire_at.to_string().as_bytes(),
            ],
        );
    }
}

/// A stream as Redis rewrites it: one XADD per entry (an empty stream as `XADD key MAXLEN 0
/// 0-1 x y`), then XSETID with the last ID, entries added and largest deleted ID.
fn stream(out: &mut BytesMut, key: &[u8], s: &Stream) {
    let mut ints = itoa::Buffer::new();
    let mut args: Vec<Vec<u8>> = Vec::new();
    if s.length > 0 {
        s.walk(StreamId::MIN, StreamId::MAX, false, |id, pairs| {
            args.clear();
            args.extend([b"XADD".to_vec(), key.to_vec(), id.to_string().into_bytes()]);
            for (f, v) in pairs {
                for e in [f, v] {
                    args.push(match e {
                        Element::Str(b) => b.to_vec(),
                        Element::Int(n) => ints.format(*n).as_bytes().to_vec(),
                    });
                }
            }
            encode_command(out, &args);
            true
        });
    } else {
        encode_command(
            out,
            &[&b"XADD"[..], key, b"MAXLEN", b"0", b"0-1", b"x", b"y"],
        );
    }
    encode_command(
        out,
        &[
            &b"XSETID"[..],
            key,
            s.last_id.to_string().as_bytes(),
            b"ENTRIESADDED",
            s.entries_added.to_string().as_bytes(),
            b"MAXDELETEDID",
            s.max_deleted.to_string().as_bytes(),
        ],
    );
    stream_groups(out, key, s);
}

/// The groups of a stream as Redis's AOF rewrite writes them: XGROUP CREATE with the read
/// counter, then per consumer an XCLAIM per pending entry, or XGROUP CREATECONSUMER.
fn stream_groups(out: &mut BytesMut, key: &[u8], s: &Stream) {
    for (name, g) in &s.groups {
        let read = g.entries_read.map_or(-1, |n| n as i64);
        encode_command(
            out,
            &[
                &b"XGROUP"[..],
                b"CREATE",
                key,
                name,
                g.last_id.to_string().as_bytes(),
                b"ENTRIESREAD",
                read.to_string().as_bytes(),
            ],
        );
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                encode_command(out, &[&b"XGROUP"[..], b"CREATECONSUMER", key, name, cname]);
            }
            for id in &c.pel {
                let (time, count) = g
                    .pel
                    .get(id)
                    .map_or((0, 0), |p| (p.delivery_time, p.delivery_count));
                encode_command(
                    out,
                    &[
                        &b"XCLAIM"[..],
                        key,
                        name,
                        cname,
                        b"0",
                        id.to_string().as_bytes(),
                        b"TIME",
                        time.to_string().as_bytes(),
                        b"RETRYCOUNT",
                        count.to_string().as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}

/// Arguments per item of a batched command.
fn per_item(name: &[u8]) -> usize {
    match name {
        b"ZADD" | b"HMSET" => 2,
        _ => 1,
    }
}
