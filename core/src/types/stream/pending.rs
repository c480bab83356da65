//! XACK and XPENDING: acknowledging and inspecting a group's pending entries.

use super::id::{strict, StreamId, INVALID_ID};
use super::{no_key_or_group, write_id};
use crate::command::Ctx;
use crate::keyspace::Value;

/// XACK key group id [id ...]
pub fn xack(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let group = match db.get(key).map(|e| &mut e.value) {
        Some(Value::Stream(s)) => s.groups.get_mut(ctx.arg(2)),
        Some(_) => {
            drop(db);
            return ctx.wrong_type();
        }
        None => None,
    };
    let Some(group) = group else {
        drop(db);
        ctx.unchanged();
        return ctx.out.int(0);
    };
    let mut ids = Vec::with_capacity(ctx.args.len() - 3);
    for arg in &ctx.args[3..] {
        match strict(arg) {
            Some(id) => ids.push(id),
            None => {
                drop(db);
                return ctx.error(INVALID_ID);
            }
        }
    }
    let acked = ids.into_iter().filter(|&id| group.ack(id)).count();
    drop(db);
    if acked == 0 {
        ctx.unchanged();
    }
    ctx.out.int(acked as i64);
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub fn xpending(ctx: &mut Ctx) {
    let argc = ctx.args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return ctx.syntax_error();
    }
    let mut range = None;
    let mut min_idle = 0i64;
    let mut consumer = None;
    if argc >= 6 {
        let mut at = 3;
        if ctx.arg(3).eq_ignore_ascii_case(b"idle") {
            let Some(n) = ctx.int_arg(4) else { return };
            min_idle = n;
            if argc < 8 {
                return ctx.syntax_error();
            }
            at += 2;
        }
        let Some(count) = ctx.int_arg(at + 2) else {
            return;
        };
        let Some((start, end)) = super::read::interval(ctx, at, at + 1) else {
            return;
        };
        if at + 3 < argc {
            consumer = Some(ctx.arg(at + 3));
        }
        range = Some((start, end, count.max(0) as usize));
    }
    let (key, gname) = (ctx.arg(1), ctx.arg(2));
    let now = ctx.now.ms() as i64;
    let mut db = ctx.lock();
    let group = match db.get_read(key).map(|e| &e.value) {
        Some(Value::Stream(s)) => s.groups.get(gname),
        Some(_) => {
            drop(db);
            return ctx.wrong_type();
        }
        None => None,
    };
    let Some(g) = group else {
        drop(db);
        return no_key_or_group(ctx, key, gname);
    };
    let out = &mut *ctx.out;
    let Some((start, end, count)) = range else {
        out.array(4);
        out.int(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                write_id(out, first);
                write_id(out, last);
                let owners: Vec<_> = g
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                out.array(owners.len());
                for (name, c) in owners {
                    out.array(2);
                    out.bulk(name);
                    out.bulk_i64(c.pel.len() as i64);
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return;
    };
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => Box::new(c.pel.range(start..=end.max(start)).copied()),
            None => return out.array(0),
        },
        None => Box::new(g.pel.range(start..=end.max(start)).map(|(id, _)| *id)),
    };
    let mut rows = Vec::new();
    for id in ids.filter(|id| *id <= end) {
        if rows.len() == count {
            break;
        }
        let Some(p) = g.pel.get(&id) else { continue };
        let idle = now.wrapping_sub(p.delivery_time as i64);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        rows.push((id, p.consumer.clone(), idle.max(0), p.delivery_count));
    }
    drop(db);
    let out = &mut *ctx.out;
    out.array(rows.len());
    for (id, owner, idle, n) in rows {
        out.array(4);
        write_id(out, id);
        out.bulk(&owner);
        out.int(idle);
        out.int(n as i64);
    }
}
