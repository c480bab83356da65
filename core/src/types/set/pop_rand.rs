//! Random members: SPOP (remove) and SRANDMEMBER (leave in place).
//!
//! Every pick is a uniform random position (sorted position in an intset, table position in
//! a hashtable), so one pick is O(1) for a table and a pop is a `swap_remove`.

use std::collections::HashSet;

use super::{as_set, max_intset, MemberRef, Set};
use crate::command::errors::NOT_INT;
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::propagate::cmd;
use crate::util::num::parse_i64;

/// Members per propagated SREM of a large SPOP (Redis's SPOP_MOVE_STRATEGY_MUL batching).
const SREM_BATCH: usize = 1024;
/// SPOP's count must be a non-negative integer.
const NEGATIVE_COUNT: &str = "ERR value is out of range, must be positive";
/// SRANDMEMBER's count must fit -LONG_MAX..=LONG_MAX.
const RAND_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// Largest repeated-pick reply (negative SRANDMEMBER count) lode builds. Redis would try to
/// write any count up to 2^63 into the client's buffer; lode answers a range error instead
/// of allocating without bound.
const MAX_REPEATS: u64 = 1 << 24;
/// The error for a repeated-pick count past [`MAX_REPEATS`].
const TOO_MANY: &str = "ERR value is out of range";

/// SPOP key [count]
pub fn spop(ctx: &mut Ctx) {
    match ctx.args.len() {
        2 => pop_one(ctx),
        3 => pop_count(ctx),
        _ => ctx.syntax_error(),
    }
}

/// SPOP key: one random member, or nil.
fn pop_one(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Slot::Live(mut live) = db.slot(key) else {
        ctx.unchanged();
        return ctx.out.null();
    };
    let Some(set) = as_set(&mut live.entry().value) else {
        return ctx.wrong_type();
    };
    let idx = ctx.server.rng.lock().usize(..set.len());
    if let Some(m) = set.remove_index(idx) {
        m.as_ref().reply(ctx.out);
        // The random choice is made here once; a replica removes the member chosen.
        let mut buf = itoa::Buffer::new();
        let member = m.as_ref().bytes(&mut buf).to_vec();
        ctx.propagate_as(cmd(&[b"SREM", key, &member]));
        ctx.notify(notify::SET, "spop", key);
    }
    if set.is_empty() {
        live.remove();
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// SPOP key count: up to `count` distinct random members, as a set reply.
fn pop_count(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    // Redis gives the same error for a count that is not an integer at all.
    let Some(Ok(count)) = parse_i64(ctx.arg(2)).map(usize::try_from) else {
        return ctx.error(NEGATIVE_COUNT);
    };
    let max = max_intset(ctx);
    let mut db = ctx.lock();
    let Slot::Live(mut live) = db.slot(key) else {
        ctx.unchanged();
        return ctx.out.set(0);
    };
    let Some(set) = as_set(&mut live.entry().value) else {
        return ctx.wrong_type();
    };
    if count == 0 {
        ctx.unchanged();
        return ctx.out.set(0);
    }
    let size = set.len();
    ctx.notify(notify::SET, "spop", key);
    if count >= size {
        ctx.out.set(size);
        for m in set.iter() {
            m.reply(ctx.out);
        }
        live.remove();
        ctx.propagate_as(cmd(&[b"DEL", key]));
        ctx.notify(notify::GENERIC, "del", key);
        return;
    }
    ctx.out.set(count);
    let mut srem = cmd(&[b"SREM", key]);
    {
        let mut rng = ctx.server.rng.lock();
        let mut buf = itoa::Buffer::new();
        for _ in 0..count {
            let idx = rng.usize(..set.len());
            if let Some(m) = set.remove_index(idx) {
                m.as_ref().reply(ctx.out);
                srem.push(bytes::Bytes::copy_from_slice(m.as_ref().bytes(&mut buf)));
            }
            // In batches, as Redis propagates a large SPOP.
            if srem.len() == 2 + SREM_BATCH {
                ctx.propagate_as(std::mem::replace(&mut srem, cmd(&[b"SREM", key])));
            }
        }
    }
    if srem.len() > 2 {
        ctx.propagate_as(srem);
    }
    // When few members remain, Redis moves them into a freshly created set, which starts as
    // an intset again: rebuild likewise so OBJECT ENCODING agrees.
    let remaining = size - count;
    if remaining.saturating_mul(5) <= count && matches!(set, Set::Table(_)) {
        let mut fresh = Set::new();
        for m in set.iter() {
            fresh.add_ref(m, max);
        }
        *set = fresh;
    }
}

/// SRANDMEMBER key [count]
pub fn srandmember(ctx: &mut Ctx) {
    match ctx.args.len() {
        2 => rand_one(ctx),
        3 => rand_count(ctx),
        _ => ctx.syntax_error(),
    }
}

/// SRANDMEMBER key: one random member, or nil.
fn rand_one(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Some(e) = db.get_read(key) else {
        return ctx.out.null();
    };
    let Value::Set(set) = &e.value else {
        return ctx.wrong_type();
    };
    let idx = ctx.server.rng.lock().usize(..set.len());
    if let Some(m) = set.get_index(idx) {
        m.reply(ctx.out);
    }
}

/// SRANDMEMBER key count: `count` distinct members (at most the whole set), or with a
/// negative count `-count` independent picks that may repeat.
fn rand_count(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let Some(count) = parse_i64(ctx.arg(2)) else {
        return ctx.error(NOT_INT);
    };
    if count == i64::MIN {
        return ctx.error(RAND_RANGE);
    }
    let mut db = ctx.lock();
    let Some(e) = db.get_read(key) else {
        return ctx.out.array(0);
    };
    let Value::Set(set) = &e.value else {
        return ctx.wrong_type();
    };
    let set: &Set = set;
    let n = count.unsigned_abs();
    if n == 0 {
        return ctx.out.array(0);
    }
    let size = set.len();
    let mut rng = ctx.server.rng.lock();
    if count < 0 || n == 1 {
        if n > MAX_REPEATS {
            drop(rng);
            return ctx.error(TOO_MANY);
        }
        ctx.out.array(n as usize);
        for _ in 0..n {
            if let Some(m) = set.get_index(rng.usize(..size)) {
                m.reply(ctx.out);
            }
        }
        return;
    }
    if n >= size as u64 {
        ctx.out.array(size);
        for m in set.iter() {
            m.reply(ctx.out);
        }
        return;
    }
    // Here count < size, so every buffer below is bounded by the set's own size.
    let count = n as usize;
    let picked: Vec<MemberRef> = if count * 3 > size {
        // Many of the members: a partial shuffle of all positions.
        let mut pos: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = rng.usize(i..size);
            pos.swap(i, j);
        }
        pos[..count]
            .iter()
            .filter_map(|&i| set.get_index(i))
            .collect()
    } else {
        // Few of the members: draw positions until enough distinct ones came up.
        let mut seen = HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let i = rng.usize(..size);
            if seen.insert(i) {
                out.extend(set.get_index(i));
            }
        }
        out
    };
    drop(rng);
    ctx.out.array(picked.len());
    for m in picked {
        m.reply(ctx.out);
    }
}
