//! Membership commands: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMOVE.

use super::{as_set, max_intset, Set};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Slot, Value};

/// SADD key member [member ...]
pub fn sadd(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let max = max_intset(ctx);
    let members = &ctx.args[2..];
    let mut db = ctx.lock();
    let added = match db.slot(key) {
        Slot::Live(mut live) => {
            let Some(set) = as_set(&mut live.entry().value) else {
                return ctx.wrong_type();
            };
            members.iter().filter(|m| set.add(m, max)).count()
        }
        Slot::Vacant(vacant) => {
            let mut set = Set::new();
            let n = members.iter().filter(|m| set.add(m, max)).count();
            vacant.insert(key, Value::Set(Box::new(set)), 0);
            n
        }
    };
    if added > 0 {
        ctx.notify(notify::SET, "sadd", key);
    }
    ctx.out.int(added as i64);
}

/// SREM key member [member ...]
pub fn srem(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Slot::Live(mut live) = db.slot(key) else {
        return ctx.out.int(0);
    };
    let Some(set) = as_set(&mut live.entry().value) else {
        return ctx.wrong_type();
    };
    let mut removed = 0;
    for m in &ctx.args[2..] {
        if set.remove(m) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if emptied {
        live.remove();
    }
    if removed > 0 {
        ctx.notify(notify::SET, "srem", key);
        if emptied {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(removed);
}

/// SCARD key
pub fn scard(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    match db
        .get_read(key)
        .map(|e| as_set(&mut e.value).map(|s| s.len()))
    {
        None => ctx.out.int(0),
        Some(Some(n)) => ctx.out.int(n as i64),
        Some(None) => ctx.wrong_type(),
    }
}

/// SISMEMBER key member
pub fn sismember(ctx: &mut Ctx) {
    let (key, m) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.lock();
    match db
        .get_read(key)
        .map(|e| as_set(&mut e.value).map(|s| s.contains(m)))
    {
        None => ctx.out.int(0),
        Some(Some(found)) => ctx.out.int(i64::from(found)),
        Some(None) => ctx.wrong_type(),
    }
}

/// SMISMEMBER key member [member ...]
pub fn smismember(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let members = &ctx.args[2..];
    let mut db = ctx.lock();
    let set = match db.get_read(key) {
        None => None,
        Some(e) => match as_set(&mut e.value) {
            Some(s) => Some(&*s),
            None => return ctx.wrong_type(),
        },
    };
    ctx.out.array(members.len());
    for m in members {
        ctx.out.int(i64::from(set.is_some_and(|s| s.contains(m))));
    }
}

/// SMOVE source destination member
pub fn smove(ctx: &mut Ctx) {
    let (src, dst, m) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let max = max_intset(ctx);
    let mut db = ctx.lock();
    // Redis looks both keys up first: a missing source answers 0 before any type check.
    let dst_kind = db.get(dst).map(|e| matches!(e.value, Value::Set(_)));
    let Slot::Live(mut live) = db.slot(src) else {
        ctx.modified = Some(smallvec::SmallVec::new());
        return ctx.out.int(0);
    };
    let Some(set) = as_set(&mut live.entry().value) else {
        return ctx.wrong_type();
    };
    if dst_kind == Some(false) {
        return ctx.wrong_type();
    }
    // As in Redis, WATCH sees only the sets that changed.
    if src == dst {
        let found = set.contains(m);
        ctx.modified = Some(smallvec::SmallVec::new());
        return ctx.out.int(i64::from(found));
    }
    if !set.remove(m) {
        ctx.modified = Some(smallvec::SmallVec::new());
        return ctx.out.int(0);
    }
    ctx.notify(notify::SET, "srem", src);
    if set.is_empty() {
        live.remove();
        ctx.notify(notify::GENERIC, "del", src);
    }
    // The destination's `new` (when created) follows the source's events, as in Redis.
    let added = match db.slot(dst) {
        Slot::Live(mut live) => {
            let added = as_set(&mut live.entry().value).is_some_and(|set| set.add(m, max));
            if !added {
                ctx.modified = Some(smallvec::smallvec![1]);
            }
            added
        }
        Slot::Vacant(vacant) => {
            let mut set = Set::new();
            set.add(m, max);
            vacant.insert(dst, Value::Set(Box::new(set)), 0);
            true
        }
    };
    if added {
        ctx.notify(notify::SET, "sadd", dst);
    }
    ctx.out.int(1);
}
