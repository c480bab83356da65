//! Set algebra: SMEMBERS, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
//! SDIFFSTORE.
//!
//! The sources are looked up one by one first (lazy expiry, hit/miss stats, WRONGTYPE in
//! argument order), then borrowed together from the locked shards to compute the result.
//! Results that are stored are built by adding members in the order Redis adds them, so the
//! destination gets the encoding Redis would give it (intset while all integers and small).

use bytes::Bytes;

use super::set_value::MemberRef;
use super::{max_intset, Set};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{DbShard, Locked, Release, Value};

/// SINTERCARD's numkeys must be a positive integer.
const NUMKEYS: &str = "ERR numkeys should be greater than 0";
/// SINTERCARD's numkeys cannot exceed the arguments given.
const NUMKEYS_ARGS: &str = "ERR Number of keys can't be greater than number of args";
/// SINTERCARD's LIMIT must be a non-negative integer.
const LIMIT: &str = "ERR LIMIT can't be negative";

/// Looks every source key up as Redis's lookupKeyRead does; false (WRONGTYPE replied) if one
/// holds another type.
fn check_sources(ctx: &mut Ctx, db: &mut Locked, keys: &[Bytes]) -> bool {
    for key in keys {
        if let Some(e) = db.get_read(key) {
            if !matches!(e.value, Value::Set(_)) {
                ctx.wrong_type();
                return false;
            }
        }
    }
    true
}

/// The sets under `keys` (None for a missing key), borrowed together. Call after
/// [`check_sources`], which already dropped expired keys.
fn borrow_sets<'s>(shards: &[&'s DbShard], keys: &[Bytes]) -> Vec<Option<&'s Set>> {
    keys.iter()
        .map(|k| {
            shards.iter().find_map(|s| match s.peek(k) {
                Some(e) => match &e.value {
                    Value::Set(set) => Some(&**set),
                    _ => None,
                },
                None => None,
            })
        })
        .collect()
}

/// Replies a computed set as a set reply.
fn reply_set(ctx: &mut Ctx, set: &Set) {
    ctx.out.set(set.len());
    for m in set.iter() {
        m.reply(ctx.out);
    }
}

/// Stores `result` at `dst` (deleting `dst` when it is empty), notifies `event` (or `del`)
/// and replies its size.
fn store(ctx: &mut Ctx, db: &mut Locked, dst: &[u8], result: Set, event: &str) {
    let n = result.len();
    if n == 0 {
        if db.delete(dst) {
            ctx.notify(notify::GENERIC, "del", dst);
        }
    } else {
        db.set(dst, Value::Set(Box::new(result)));
        ctx.notify(notify::SET, event, dst);
    }
    ctx.out.int(n as i64);
}

/// What an intersection produces.
enum InterMode<'k> {
    /// SINTER / SMEMBERS: reply the members.
    Reply,
    /// SINTERSTORE: store at the key.
    Store(&'k [u8]),
    /// SINTERCARD: reply the count, stopping at the limit (0 = none).
    Card(usize),
}

/// SMEMBERS key
pub fn smembers(ctx: &mut Ctx) {
    inter(ctx, &ctx.args[1..2], InterMode::Reply);
}

/// SINTER key [key ...]
pub fn sinter(ctx: &mut Ctx) {
    inter(ctx, &ctx.args[1..], InterMode::Reply);
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore(ctx: &mut Ctx) {
    let dst = ctx.arg(1);
    inter(ctx, &ctx.args[2..], InterMode::Store(dst));
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(ctx: &mut Ctx) {
    let numkeys = match crate::util::num::parse_i64(ctx.arg(1)) {
        Some(n) if n >= 1 => n,
        _ => return ctx.error(NUMKEYS),
    };
    let given = ctx.args.len() - 2;
    let numkeys = match usize::try_from(numkeys) {
        Ok(n) if n <= given => n,
        _ => return ctx.error(NUMKEYS_ARGS),
    };
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < ctx.args.len() {
        if ctx.arg(i).eq_ignore_ascii_case(b"limit") && i + 1 < ctx.args.len() {
            match crate::util::num::parse_i64(ctx.arg(i + 1)) {
                Some(l) if l >= 0 => limit = usize::try_from(l).unwrap_or(usize::MAX),
                _ => return ctx.error(LIMIT),
            }
            i += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    inter(ctx, &ctx.args[2..2 + numkeys], InterMode::Card(limit));
}

/// The intersection of the sets under `keys`, replied, stored or counted.
fn inter(ctx: &mut Ctx, keys: &[Bytes], mode: InterMode) {
    let max = max_intset(ctx);
    let mut db = ctx.lock();
    if !check_sources(ctx, &mut db, keys) {
        return;
    }
    let shards: Vec<&DbShard> = db.shards_mut().map(|s| &*s).collect();
    let sets = borrow_sets(&shards, keys);
    let Some(mut sets) = sets.into_iter().collect::<Option<Vec<&Set>>>() else {
        // A missing key is an empty set, and so is the intersection.
        drop(shards);
        return match mode {
            InterMode::Reply => ctx.out.set(0),
            InterMode::Card(_) => ctx.out.int(0),
            InterMode::Store(dst) => store(ctx, &mut db, dst, Set::new(), "sinterstore"),
        };
    };
    // Walk the smallest set, probing the others.
    sets.sort_by_key(|s| s.len());
    let first = sets[0];
    let rest: Vec<&Set> = sets[1..]
        .iter()
        .copied()
        .filter(|s| !std::ptr::eq(*s, first))
        .collect();
    let common = first
        .iter()
        .filter(|m| rest.iter().all(|s| s.contains_ref(*m)));
    match mode {
        InterMode::Card(limit) => {
            let n = if limit == 0 {
                common.count()
            } else {
                common.take(limit).count()
            };
            ctx.out.int(n as i64);
        }
        InterMode::Reply => {
            let found: Vec<MemberRef> = common.collect();
            ctx.out.set(found.len());
            for m in found {
                m.reply(ctx.out);
            }
        }
        InterMode::Store(dst) => {
            let mut result = Set::new();
            for m in common {
                result.add_ref(m, max);
            }
            drop(rest);
            drop(sets);
            drop(shards);
            store(ctx, &mut db, dst, result, "sinterstore");
        }
    }
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// SUNION key [key ...]
pub fn sunion(ctx: &mut Ctx) {
    union_diff(ctx, &ctx.args[1..], None, Op::Union);
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore(ctx: &mut Ctx) {
    union_diff(ctx, &ctx.args[2..], Some(ctx.arg(1)), Op::Union);
}

/// SDIFF key [key ...]
pub fn sdiff(ctx: &mut Ctx) {
    union_diff(ctx, &ctx.args[1..], None, Op::Diff);
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore(ctx: &mut Ctx) {
    union_diff(ctx, &ctx.args[2..], Some(ctx.arg(1)), Op::Diff);
}

/// The union or difference of the sets under `keys`, replied or stored at `dst`.
fn union_diff(ctx: &mut Ctx, keys: &[Bytes], dst: Option<&[u8]>, op: Op) {
    let max = max_intset(ctx);
    let mut db = ctx.lock();
    if !check_sources(ctx, &mut db, keys) {
        return;
    }
    let shards: Vec<&DbShard> = db.shards_mut().map(|s| &*s).collect();
    let sets = borrow_sets(&shards, keys);
    let result = match op {
        Op::Union => union(&sets, max),
        Op::Diff => diff(&sets, max),
    };
    drop(sets);
    drop(shards);
    match dst {
        Some(dst) => {
            let event = match op {
                Op::Union => "sunionstore",
                Op::Diff => "sdiffstore",
            };
            store(ctx, &mut db, dst, result, event);
        }
        None => {
            reply_set(ctx, &result);
            // Redis frees the result as it frees a deleted value (lazyfree-lazy-server-del).
            if db.keyspace().lazyfree.lazy(Release::ServerDel) {
                db.release(Value::Set(Box::new(result)), Release::ServerDel);
            }
        }
    }
}

/// Every member of every set.
fn union(sets: &[Option<&Set>], max: usize) -> Set {
    let mut result = Set::new();
    for set in sets.iter().flatten() {
        for m in set.iter() {
            result.add_ref(m, max);
        }
    }
    result
}

/// The members of the first set in none of the others, computed with the algorithm Redis
/// would pick (it decides which members pass through the result, hence its encoding).
fn diff(sets: &[Option<&Set>], max: usize) -> Set {
    let mut result = Set::new();
    let Some(first) = sets[0] else {
        return result;
    };
    let mut others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
    if others.iter().any(|s| std::ptr::eq(*s, first)) {
        return result;
    }
    // Probing each member of the first set in every other set costs |first| per set (Redis
    // gives it a 2x edge); adding the first set and removing the others costs their sizes.
    let present = 1 + others.len() as u64;
    let probe_work = first.len() as u64 * present / 2;
    let sweep_work = first.len() as u64 + others.iter().map(|s| s.len() as u64).sum::<u64>();
    if probe_work <= sweep_work {
        // Larger sets first: a member found early is rejected early.
        others.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for m in first.iter() {
            if !others.iter().any(|s| s.contains_ref(m)) {
                result.add_ref(m, max);
            }
        }
    } else {
        for m in first.iter() {
            result.add_ref(m, max);
        }
        for set in others {
            for m in set.iter() {
                result.remove_ref(m);
            }
            if result.is_empty() {
                break;
            }
        }
    }
    result
}
