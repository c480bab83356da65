//! XREAD and XREADGROUP: reading new entries (or a consumer's history) from several streams,
//! blocking until some arrive.
//!
//! A blocked reader is served by running its command again (see `crate::blocking`), so the
//! command it blocks with names concrete IDs: `$` is resolved to the stream's last ID when it
//! blocks. XREADGROUP keeps `>`, which always means "after the group's last delivered ID".

use bytes::Bytes;

use super::group::Group;
use super::id::{strict, StreamId, INVALID_ID};
use super::{error_naming, stream_of, write_entry, Stream};
use crate::command::Ctx;
use crate::config::notify;
use crate::resp::ReplyWriter;

/// Entries a blocked reader without COUNT gets at most (Redis's XREAD_BLOCKED_DEFAULT_COUNT).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// `>`: new entries for the group. Redis marks it with the largest ID, and so does lode.
const NEW_FOR_GROUP: StreamId = StreamId::MAX;

/// The parsed options of XREAD / XREADGROUP.
struct ReadArgs {
    count: usize,
    /// Deadline in Unix ms (0 = forever) when BLOCK was given.
    block: Option<u64>,
    group: Option<(Bytes, Bytes)>,
    noack: bool,
    /// Index of the first key.
    keys_at: usize,
    /// Number of streams.
    n: usize,
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
pub fn xread(ctx: &mut Ctx) {
    read(ctx, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key ...
pub fn xreadgroup(ctx: &mut Ctx) {
    read(ctx, true)
}

fn parse(ctx: &mut Ctx, xreadgroup: bool) -> Option<ReadArgs> {
    let mut a = ReadArgs {
        count: 0,
        block: None,
        group: None,
        noack: false,
        keys_at: 0,
        n: 0,
    };
    let argc = ctx.args.len();
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = ctx.arg(i);
        if o.eq_ignore_ascii_case(b"block") && more > 0 {
            if ctx.client.in_script {
                let name = String::from_utf8_lossy(ctx.arg(0)).into_owned();
                ctx.error(&format!(
                    "ERR {name} command is not allowed with BLOCK option from scripts"
                ));
                return None;
            }
            i += 1;
            let Some(ms) = crate::util::num::parse_i64(ctx.arg(i)) else {
                ctx.error("ERR timeout is not an integer or out of range");
                return None;
            };
            if ms < 0 {
                ctx.error("ERR timeout is negative");
                return None;
            }
            a.block = Some(if ms == 0 {
                0
            } else {
                ctx.now.ms().saturating_add(ms as u64)
            });
        } else if o.eq_ignore_ascii_case(b"count") && more > 0 {
            i += 1;
            a.count = ctx.int_arg(i)?.max(0) as usize;
        } else if o.eq_ignore_ascii_case(b"streams") && more > 0 {
            a.keys_at = i + 1;
            let rest = argc - a.keys_at;
            if !rest.is_multiple_of(2) {
                ctx.error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' \
                     must be specified.",
                );
                return None;
            }
            a.n = rest / 2;
            break;
        } else if o.eq_ignore_ascii_case(b"group") && more >= 2 {
            if !xreadgroup {
                ctx.error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD \
                     instead.",
                );
                return None;
            }
            a.group = Some((ctx.args[i + 1].clone(), ctx.args[i + 2].clone()));
            i += 2;
        } else if o.eq_ignore_ascii_case(b"noack") {
            if !xreadgroup {
                ctx.error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD \
                     instead.",
                );
                return None;
            }
            a.noack = true;
        } else {
            ctx.syntax_error();
            return None;
        }
        i += 1;
    }
    if a.keys_at == 0 {
        ctx.syntax_error();
        return None;
    }
    if xreadgroup && a.group.is_none() {
        ctx.error("ERR Missing GROUP option for XREADGROUP");
        return None;
    }
    Some(a)
}

fn read(ctx: &mut Ctx, xreadgroup: bool) {
    let Some(a) = parse(ctx, xreadgroup) else {
        return;
    };
    let serving = ctx.client.serving_blocked;
    let ids_at = a.keys_at + a.n;
    let mut db = ctx.lock();
    // Check every key and ID first, in order, as Redis does before serving anything.
    let mut ids = Vec::with_capacity(a.n);
    for i in 0..a.n {
        let key = ctx.arg(a.keys_at + i);
        let arg = ctx.arg(ids_at + i);
        // Ok(has the group) for a stream, Err(wrong type) otherwise.
        let found = match stream_of(db.get(key)) {
            Ok(Some(s)) => Ok(Some(
                a.group
                    .as_ref()
                    .is_some_and(|(g, _)| s.groups.contains_key(&g[..])),
            )),
            Ok(None) => Ok(None),
            Err(()) => Err(()),
        };
        if let Some((group, _)) = &a.group {
            if found != Ok(Some(true)) {
                drop(db);
                return match (serving, found) {
                    (true, Ok(Some(_))) => ctx.error(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    ),
                    (true, _) => ctx.error("UNBLOCKED the stream key no longer exists"),
                    (false, Err(())) => ctx.wrong_type(),
                    (false, Ok(_)) => error_naming(
                        ctx,
                        &[
                            b"NOGROUP No such key '",
                            key,
                            b"' or consumer group '",
                            group,
                            b"' in XREADGROUP with GROUP option",
                        ],
                    ),
                };
            }
        } else if found.is_err() && !serving {
            drop(db);
            return ctx.wrong_type();
        }
        let id = if arg == b"$" {
            if xreadgroup {
                drop(db);
                return ctx.error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read \
                     the history of this consumer by specifying a proper ID, or use the > ID to \
                     get new messages. The $ ID would just return an empty result set.",
                );
            }
            match stream_of(db.get(key)) {
                Ok(Some(s)) => s.last_id,
                _ => StreamId::MIN,
            }
        } else if arg == b">" {
            if !xreadgroup {
                drop(db);
                return ctx.error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP \
                     <group> <consumer> option.",
                );
            }
            NEW_FOR_GROUP
        } else {
            match strict(arg) {
                Some(id) => id,
                None => {
                    drop(db);
                    return ctx.error(INVALID_ID);
                }
            }
        };
        ids.push(id);
    }
    let count = match a.count {
        0 if serving => BLOCKED_DEFAULT_COUNT,
        n => n,
    };
    let now = ctx.now.ms();
    let mut body = ReplyWriter::for_frame(256, ctx.out.resp3);
    let mut served = 0;
    let mut effects = Effects::default();
    for (i, &gt) in ids.iter().enumerate() {
        let key = ctx.arg(a.keys_at + i);
        let Ok(Some(s)) = stream_of(db.get(key)) else {
            continue;
        };
        let read = Read {
            out: &mut body,
            count,
            key,
            now,
        };
        let any = match &a.group {
            Some((group, consumer)) => {
                serve_group(s, group, consumer, gt, a.noack, read, &mut effects)
            }
            None => serve_plain(s, gt, read),
        };
        served += usize::from(any);
    }
    if served > 0 {
        drop(db);
        if ctx.out.resp3 {
            ctx.out.map(served);
        } else {
            ctx.out.array(served);
        }
        ctx.out.raw(&body.buf);
        return finish(ctx, &a, effects);
    }
    match a.block {
        Some(deadline) if !serving && ctx.client.may_block() => {
            // Block with `$` resolved, so that service later reads from here.
            let mut args = ctx.args.to_vec();
            for (i, id) in ids.iter().enumerate() {
                if ctx.arg(ids_at + i) == b"$" {
                    args[ids_at + i] = Bytes::from(id.to_string());
                }
            }
            let keys: Vec<&[u8]> = ctx.args[a.keys_at..ids_at].iter().map(|k| &k[..]).collect();
            ctx.block_as(&keys, deadline, args);
            drop(db);
        }
        // Served again and still nothing: stay blocked (write nothing).
        Some(_) if serving => drop(db),
        _ => {
            drop(db);
            ctx.out.null_array();
        }
    }
    finish(ctx, &a, effects)
}

/// Where and how much one stream's part of the reply is written.
struct Read<'r> {
    out: &'r mut ReplyWriter,
    count: usize,
    key: &'r [u8],
    now: u64,
}

impl Read<'_> {
    /// Opens the stream's part of the reply: `[key, entries]` (RESP2) or `key => entries`.
    fn open(&mut self) {
        if !self.out.resp3 {
            self.out.array(2);
        }
        self.out.bulk(self.key);
    }
}

/// What XREADGROUP changed, to be notified and propagated once the keys are released.
#[derive(Default)]
struct Effects {
    /// Commands to propagate in its place.
    propagate: Vec<Vec<Bytes>>,
    /// Keys whose group gained a consumer.
    created: Vec<Bytes>,
    /// Whether the groups changed at all.
    changed: bool,
}

/// XREAD's part for one stream: entries after `gt`, if there are any.
fn serve_plain(s: &Stream, gt: StreamId, mut r: Read<'_>) -> bool {
    if s.length == 0 || s.edge(true).is_none_or(|last| last <= gt) {
        return false;
    }
    let Some(start) = gt.next() else {
        return false;
    };
    r.open();
    write_range(s, start, r.count, r.out, |_| {});
    true
}

/// Writes entries from `start` on (at most `count`, 0 = all) as an array, calling `each` on
/// every ID written.
fn write_range(
    s: &Stream,
    start: StreamId,
    count: usize,
    out: &mut ReplyWriter,
    mut each: impl FnMut(StreamId),
) {
    let mut entries = ReplyWriter::for_frame(256, out.resp3);
    let mut n = 0;
    s.walk(start, StreamId::MAX, false, |id, pairs| {
        write_entry(&mut entries, id, pairs);
        each(id);
        n += 1;
        count == 0 || n < count
    });
    out.array(n);
    out.raw(&entries.buf);
}

/// XREADGROUP's part for one stream: new entries for the group (`gt` = `>`) or the consumer's
/// own history after `gt`.
fn serve_group(
    s: &mut Stream,
    group_name: &Bytes,
    consumer: &Bytes,
    gt: StreamId,
    noack: bool,
    mut r: Read<'_>,
    fx: &mut Effects,
) -> bool {
    let Some(mut g) = s.groups.remove(&group_name[..]) else {
        return false;
    };
    let history = gt != NEW_FOR_GROUP;
    let fresh = !history && s.length > 0 && s.edge(true).is_some_and(|last| last > g.last_id);
    if history || fresh {
        r.open();
        let (_, created) = g.consumer(consumer, r.now, true);
        if created {
            fx.created.push(Bytes::copy_from_slice(r.key));
            if noack {
                fx.propagate.push(vec![
                    Bytes::from_static(b"XGROUP"),
                    Bytes::from_static(b"CREATECONSUMER"),
                    Bytes::copy_from_slice(r.key),
                    group_name.clone(),
                    consumer.clone(),
                ]);
            }
        }
        fx.changed = true;
        if history {
            serve_history(s, &mut g, consumer, gt, &mut r);
        } else {
            deliver(s, &mut g, group_name, consumer, noack, &mut r, fx);
        }
    }
    s.groups.insert(group_name.clone(), g);
    history || fresh
}

/// Delivers the entries after the group's last ID to `consumer`, recording them as pending
/// (unless `noack`) and propagating each as Redis does: an XCLAIM per entry, or with NOACK
/// one XGROUP SETID.
fn deliver(
    s: &Stream,
    g: &mut Group,
    group_name: &Bytes,
    consumer: &Bytes,
    noack: bool,
    r: &mut Read<'_>,
    fx: &mut Effects,
) {
    let Some(start) = g.last_id.next() else {
        r.out.array(0);
        return;
    };
    let key = Bytes::copy_from_slice(r.key);
    let now = r.now;
    write_range(s, start, r.count, r.out, |id| {
        s.advance_group(g, id);
        if noack {
            return;
        }
        let p = g.assign(id, consumer, now);
        p.delivery_time = now;
        p.delivery_count = 1;
        fx.propagate.push(super::claim::xclaim_record(
            &key,
            group_name,
            consumer,
            id,
            (now, 1),
            g.last_id,
        ));
    });
    if noack {
        fx.propagate
            .push(super::claim::setid_record(&key, group_name, g));
    }
}

/// Re-delivers the consumer's pending entries after `gt` (deleted ones as `[id, nil]`).
fn serve_history(s: &Stream, g: &mut Group, consumer: &[u8], gt: StreamId, r: &mut Read<'_>) {
    let Some(start) = gt.next() else {
        r.out.array(0);
        return;
    };
    let ids: Vec<StreamId> = match g.consumers.get(consumer) {
        Some(c) => c
            .pel
            .range(start..)
            .take(if r.count == 0 { usize::MAX } else { r.count })
            .copied()
            .collect(),
        None => Vec::new(),
    };
    r.out.array(ids.len());
    for id in ids {
        let mut found = false;
        s.walk(id, id, false, |id, pairs| {
            write_entry(r.out, id, pairs);
            found = true;
            false
        });
        if found {
            if let Some(p) = g.pel.get_mut(&id) {
                p.delivery_time = r.now;
                p.delivery_count += 1;
            }
        } else {
            r.out.array(2);
            super::write_id(r.out, id);
            r.out.null_array();
        }
    }
}

/// Notifies consumer creation and propagates what XREADGROUP did in its place.
fn finish(ctx: &mut Ctx, a: &ReadArgs, fx: Effects) {
    if a.group.is_none() {
        return;
    }
    for key in &fx.created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    if !fx.changed {
        ctx.unchanged();
    }
    if fx.propagate.is_empty() {
        ctx.propagate_nothing();
    }
    for cmd in fx.propagate {
        ctx.propagate_as(cmd);
    }
}
