//! XCLAIM and XAUTOCLAIM: moving pending entries to another consumer. Both propagate an
//! idempotent XCLAIM per entry they touch, as Redis does, so replicas and the AOF end with
//! the same PELs.

use bytes::Bytes;

use super::group::Group;
use super::id::{parse_bound, strict, StreamId, INVALID_ID};
use super::{no_key_or_group, stream_of, write_id, Stream};
use crate::command::Ctx;
use crate::config::notify;
use crate::resp::ReplyWriter;

/// The XCLAIM Redis propagates for a delivery or claim of `id` (time and count as left).
pub fn xclaim_record(
    key: &Bytes,
    group: &Bytes,
    consumer: &Bytes,
    id: StreamId,
    (time, count): (u64, u64),
    last_id: StreamId,
) -> Vec<Bytes> {
    let text = |s: &str| Bytes::copy_from_slice(s.as_bytes());
    vec![
        Bytes::from_static(b"XCLAIM"),
        key.clone(),
        group.clone(),
        consumer.clone(),
        Bytes::from_static(b"0"),
        text(&id.to_string()),
        Bytes::from_static(b"TIME"),
        text(&time.to_string()),
        Bytes::from_static(b"RETRYCOUNT"),
        text(&count.to_string()),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        text(&last_id.to_string()),
    ]
}

/// The XGROUP SETID Redis propagates when a group's last ID moved without an XCLAIM to carry
/// it.
pub fn setid_record(key: &Bytes, group: &Bytes, g: &Group) -> Vec<Bytes> {
    let read = g.entries_read.map_or(-1, |n| n as i64);
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        key.clone(),
        group.clone(),
        Bytes::from(g.last_id.to_string()),
        Bytes::from_static(b"ENTRIESREAD"),
        Bytes::from(read.to_string()),
    ]
}

/// An integer argument, replying `msg` (an "ERR ..." line) when it is not one.
fn int_or(ctx: &mut Ctx, i: usize, msg: &str) -> Option<i64> {
    let v = crate::util::num::parse_i64(ctx.arg(i));
    if v.is_none() {
        ctx.error(msg);
    }
    v
}

/// Writes entry `id` of `s` whole (it must exist) or, with `justid`, its ID alone.
fn write_claimed(out: &mut ReplyWriter, s: &Stream, id: StreamId, justid: bool) {
    if justid {
        return write_id(out, id);
    }
    s.walk(id, id, false, |id, pairs| {
        super::write_entry(out, id, pairs);
        false
    });
}

/// Takes group `name` out of the stream at `key` for editing (put back with `put_back`):
/// Err(true) for another type, Err(false) when the key or group is missing.
fn take_group(
    db: &mut crate::keyspace::Locked<'_>,
    key: &[u8],
    name: &[u8],
) -> Result<Group, bool> {
    match stream_of(db.get(key)) {
        Ok(Some(s)) => s.groups.remove(name).ok_or(false),
        Err(()) => Err(true),
        Ok(None) => Err(false),
    }
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let gname = ctx.args[2].clone();
    let mut db = ctx.lock();
    let mut g = match take_group(&mut db, key, &gname) {
        Ok(g) => g,
        Err(wrong) => {
            drop(db);
            return if wrong {
                ctx.wrong_type()
            } else {
                no_key_or_group(ctx, ctx.arg(1), ctx.arg(2))
            };
        }
    };
    // From here on the group is out of the stream: every path puts it back.
    let outcome = claim_ids(ctx, &mut db, &mut g);
    if let Some(s) = stream_of(db.get(key)).ok().flatten() {
        s.groups.insert(gname.clone(), g);
    }
    drop(db);
    let Some((body, n, props, created)) = outcome else {
        return;
    };
    ctx.out.array(n);
    ctx.out.raw(&body.buf);
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    finish(ctx, props);
}

/// Propagates `props` in the command's place (nothing if empty).
fn finish(ctx: &mut Ctx, props: Vec<Vec<Bytes>>) {
    if props.is_empty() {
        ctx.unchanged();
        ctx.propagate_nothing();
    }
    for p in props {
        ctx.propagate_as(p);
    }
}

/// XCLAIM's work on group `g`: the reply body, its length, what to propagate and whether the
/// consumer was created; None after replying an error.
#[allow(clippy::type_complexity)]
fn claim_ids(
    ctx: &mut Ctx,
    db: &mut crate::keyspace::Locked<'_>,
    g: &mut Group,
) -> Option<(ReplyWriter, usize, Vec<Vec<Bytes>>, bool)> {
    let min_idle = int_or(ctx, 4, "ERR Invalid min-idle-time argument for XCLAIM")?.max(0) as u64;
    let mut ids = Vec::new();
    let mut j = 5;
    while j < ctx.args.len() {
        match strict(ctx.arg(j)) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = ctx.now.ms();
    let (mut force, mut justid) = (false, false);
    let mut retry: Option<i64> = None;
    let mut time: Option<i64> = None;
    let mut last = StreamId::MIN;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"force") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else if opt.eq_ignore_ascii_case(b"idle") && more > 0 {
            j += 1;
            let idle = int_or(ctx, j, "ERR Invalid IDLE option argument for XCLAIM")?;
            time = Some((now as i64).wrapping_sub(idle));
        } else if opt.eq_ignore_ascii_case(b"time") && more > 0 {
            j += 1;
            time = Some(int_or(
                ctx,
                j,
                "ERR Invalid TIME option argument for XCLAIM",
            )?);
        } else if opt.eq_ignore_ascii_case(b"retrycount") && more > 0 {
            j += 1;
            retry = Some(int_or(
                ctx,
                j,
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            )?);
        } else if opt.eq_ignore_ascii_case(b"lastid") && more > 0 {
            j += 1;
            let Some(id) = strict(ctx.arg(j)) else {
                ctx.error(INVALID_ID);
                return None;
            };
            last = id;
        } else {
            let opt = String::from_utf8_lossy(opt).into_owned();
            ctx.error(&format!("ERR Unrecognized XCLAIM option '{opt}'"));
            return None;
        }
        j += 1;
    }
    let mut propagate_last = false;
    if last > g.last_id {
        g.last_id = last;
        propagate_last = true;
    }
    let delivery_time = match time {
        Some(t) if t >= 0 && (t as u64) <= now => t as u64,
        _ => now,
    };
    let (key, gname) = (ctx.args[1].clone(), ctx.args[2].clone());
    let cname = ctx.args[3].clone();
    let s = stream_of(db.get(&key)).ok().flatten()?;
    let mut body = ReplyWriter::for_frame(256, ctx.out.resp3);
    let (mut n, mut props, mut created) = (0, Vec::new(), false);
    let mut have_consumer = false;
    for id in ids {
        let pending = g
            .pel
            .get(&id)
            .map(|p| (p.delivery_time, p.delivery_count, p.consumer.clone()));
        if !s.contains(id) {
            // Pending but deleted from the stream: dropped from the PEL.
            if let Some((t, c, owner)) = pending {
                props.push(xclaim_record(&key, &gname, &owner, id, (t, c), g.last_id));
                propagate_last = false;
                g.ack(id);
            }
            continue;
        }
        if pending.is_none() && !force {
            continue;
        }
        if let Some((t, _, _)) = &pending {
            if min_idle > 0 && (now as i64).wrapping_sub(*t as i64) < min_idle as i64 {
                continue;
            }
        }
        if !have_consumer {
            created |= g.consumer(&cname, now, true).1;
            have_consumer = true;
        }
        let p = g.assign(id, &cname, now);
        p.delivery_time = delivery_time;
        match retry {
            Some(r) if r >= 0 => p.delivery_count = r as u64,
            _ if !justid => p.delivery_count += 1,
            _ => {}
        }
        let record = (p.delivery_time, p.delivery_count);
        write_claimed(&mut body, s, id, justid);
        n += 1;
        props.push(xclaim_record(&key, &gname, &cname, id, record, g.last_id));
        propagate_last = false;
    }
    if propagate_last {
        props.push(setid_record(&key, &gname, g));
    }
    Some((body, n, props, created))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub fn xautoclaim(ctx: &mut Ctx) {
    let Some(min_idle) = int_or(ctx, 4, "ERR Invalid min-idle-time argument for XAUTOCLAIM") else {
        return;
    };
    let min_idle = min_idle.max(0) as u64;
    let Some((start, exclusive)) = parse_bound(ctx.arg(5), 0, true) else {
        return ctx.error(INVALID_ID);
    };
    let start = if exclusive {
        match start.next() {
            Some(s) => s,
            None => return ctx.error("ERR invalid start ID for the interval"),
        }
    } else {
        start
    };
    let mut count: u64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"count") && more > 0 {
            // Redis bounds COUNT so that COUNT * 10 attempts cannot overflow.
            const MAX: i64 = i64::MAX / 16;
            match crate::util::num::parse_i64(ctx.arg(j + 1)) {
                Some(c) if (1..=MAX).contains(&c) => count = c as u64,
                _ => return ctx.error("ERR COUNT must be > 0"),
            }
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let key = ctx.args[1].clone();
    let gname = ctx.args[2].clone();
    let cname = ctx.args[3].clone();
    let now = ctx.now.ms();
    let mut db = ctx.lock();
    let mut g = match take_group(&mut db, &key, &gname) {
        Ok(g) => g,
        Err(wrong) => {
            drop(db);
            return if wrong {
                ctx.wrong_type()
            } else {
                no_key_or_group(ctx, ctx.arg(1), ctx.arg(2))
            };
        }
    };
    let Some(s) = stream_of(db.get(&key)).ok().flatten() else {
        return;
    };
    let mut body = ReplyWriter::for_frame(256, ctx.out.resp3);
    let (mut n, mut deleted, mut props) = (0usize, Vec::new(), Vec::new());
    let mut attempts = count.saturating_mul(10);
    let mut have_consumer = false;
    let mut created = false;
    let mut cursor = start;
    let mut next = StreamId::MIN;
    while let Some((&id, p)) = g.pel.range(cursor..).next() {
        if attempts == 0 || count == 0 {
            next = id;
            break;
        }
        attempts -= 1;
        cursor = match id.next() {
            Some(c) => c,
            None => StreamId::MAX,
        };
        let (t, c, owner) = (p.delivery_time, p.delivery_count, p.consumer.clone());
        if !s.contains(id) {
            props.push(xclaim_record(&key, &gname, &owner, id, (t, c), g.last_id));
            g.ack(id);
            deleted.push(id);
            count -= 1;
        } else if min_idle == 0 || (now as i64).wrapping_sub(t as i64) >= min_idle as i64 {
            if !have_consumer {
                created |= g.consumer(&cname, now, true).1;
                have_consumer = true;
            }
            let p = g.assign(id, &cname, now);
            p.delivery_time = now;
            if !justid {
                p.delivery_count += 1;
            }
            let record = (p.delivery_time, p.delivery_count);
            write_claimed(&mut body, s, id, justid);
            n += 1;
            count -= 1;
            props.push(xclaim_record(&key, &gname, &cname, id, record, g.last_id));
        }
        if id == StreamId::MAX {
            break;
        }
    }
    s.groups.insert(gname, g);
    drop(db);
    ctx.out.array(3);
    write_id(ctx.out, next);
    ctx.out.array(n);
    ctx.out.raw(&body.buf);
    ctx.out.array(deleted.len());
    for id in deleted {
        write_id(ctx.out, id);
    }
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", &key);
    }
    finish(ctx, props);
}
