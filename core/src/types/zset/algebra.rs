//! ZUNION, ZINTER, ZDIFF, their *STORE forms and ZINTERCARD. Plain sets are accepted as
//! inputs, every member scoring 1.

use std::collections::HashMap;

use super::packed::cmp_item;
use super::score::parse_score;
use super::set_input;
use super::{item_count, limits, write_item, ZSet};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Locked, Value};
use crate::util::small_bytes::SmallBytes;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Folds `v` into `acc`; a SUM of +inf and -inf is 0, as Redis defines it.
    fn apply(self, acc: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *acc += v;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *acc {
                    *acc = v;
                }
            }
            Aggregate::Max => {
                if v > *acc {
                    *acc = v;
                }
            }
        }
    }
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zunion(ctx: &mut Ctx) {
    generic(ctx, Op::Union, 1, false, false);
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zinter(ctx: &mut Ctx) {
    generic(ctx, Op::Inter, 1, false, false);
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff(ctx: &mut Ctx) {
    generic(ctx, Op::Diff, 1, false, false);
}

/// ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore(ctx: &mut Ctx) {
    generic(ctx, Op::Union, 2, true, false);
}

/// ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore(ctx: &mut Ctx) {
    generic(ctx, Op::Inter, 2, true, false);
}

/// ZDIFFSTORE dst numkeys key [key ...]
pub fn zdiffstore(ctx: &mut Ctx) {
    generic(ctx, Op::Diff, 2, true, false);
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard(ctx: &mut Ctx) {
    generic(ctx, Op::Inter, 1, false, true);
}

/// One input's members and scores (copied out, as several keys are read under one lock).
fn load(db: &mut Locked, key: &[u8]) -> Vec<(SmallBytes, f64)> {
    let Some(entry) = db.get(key) else {
        return Vec::new();
    };
    match &entry.value {
        Value::ZSet(z) => {
            let mut v = Vec::with_capacity(z.len());
            z.for_range(0, z.len(), false, |m, s| v.push((SmallBytes::new(m), s)));
            v
        }
        Value::Set(s) => set_input::members(s),
        _ => Vec::new(),
    }
}

/// Whether `key` holds `member` (a set member scores 1).
fn score_in(db: &mut Locked, key: &[u8], member: &[u8]) -> Option<f64> {
    match &db.get(key)?.value {
        Value::ZSet(z) => z.score(member),
        Value::Set(s) => set_input::contains(s, member).then_some(1.0),
        _ => None,
    }
}

fn generic(ctx: &mut Ctx, op: Op, numkeys_idx: usize, store: bool, card_only: bool) {
    let Some(numkeys) = ctx.int_arg(numkeys_idx) else {
        return;
    };
    if numkeys < 1 {
        let msg = format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        );
        return ctx.error(&msg);
    }
    if numkeys as u64 > (ctx.args.len() - numkeys_idx - 1) as u64 {
        return ctx.syntax_error();
    }
    let n = numkeys as usize;
    let first = numkeys_idx + 1;
    let mut db = ctx.lock();
    // Keys are looked up (and type-checked) before the options are parsed, as in Redis.
    let mut lens = Vec::with_capacity(n);
    for i in 0..n {
        let len = match db.get_read(ctx.arg(first + i)) {
            None => 0,
            Some(e) => match &e.value {
                Value::ZSet(z) => z.len(),
                Value::Set(s) => s.len(),
                _ => return ctx.wrong_type(),
            },
        };
        lens.push(len);
    }
    let mut weights = vec![1.0f64; n];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = first + n;
    while j < ctx.args.len() {
        let a = ctx.arg(j);
        let remaining = ctx.args.len() - j;
        if op != Op::Diff && !card_only && remaining > n && a.eq_ignore_ascii_case(b"weights") {
            for (w, arg) in weights.iter_mut().zip(&ctx.args[j + 1..]) {
                match parse_score(arg) {
                    Some(v) => *w = v,
                    None => return ctx.error("ERR weight value is not a float"),
                }
            }
            j += n + 1;
        } else if op != Op::Diff
            && !card_only
            && remaining >= 2
            && a.eq_ignore_ascii_case(b"aggregate")
        {
            let v = ctx.arg(j + 1);
            agg = if v.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if v.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if v.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return ctx.syntax_error();
            };
            j += 2;
        } else if !store && !card_only && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && a.eq_ignore_ascii_case(b"limit") {
            match crate::util::num::parse_i64(ctx.arg(j + 1)) {
                Some(l) if l >= 0 => limit = l as usize,
                _ => return ctx.error("ERR LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    // Smallest input first (Redis's order, which also fixes the order scores are summed in).
    let mut order: Vec<usize> = (0..n).collect();
    if op != Op::Diff {
        order.sort_by_key(|&i| lens[i]);
    }
    let key_of = |i: usize| ctx.arg(first + i);
    let weighted = |w: f64, s: f64| {
        let v = w * s;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let result: Vec<(SmallBytes, f64)> = match op {
        Op::Union => {
            let mut acc: HashMap<SmallBytes, f64> = HashMap::new();
            for &i in &order {
                for (m, s) in load(&mut db, key_of(i)) {
                    let v = weighted(weights[i], s);
                    match acc.get_mut(&m) {
                        Some(cur) => agg.apply(cur, v),
                        None => {
                            acc.insert(m, v);
                        }
                    }
                }
            }
            acc.into_iter().collect()
        }
        Op::Inter => {
            let mut out = Vec::new();
            let base = order[0];
            if lens[base] > 0 {
                'each: for (m, s) in load(&mut db, key_of(base)) {
                    let mut acc = weighted(weights[base], s);
                    for &i in &order[1..] {
                        match score_in(&mut db, key_of(i), &m) {
                            Some(v) => agg.apply(&mut acc, v * weights[i]),
                            None => continue 'each,
                        }
                    }
                    out.push((m, acc));
                    if card_only && limit > 0 && out.len() >= limit {
                        break;
                    }
                }
            }
            out
        }
        Op::Diff => load(&mut db, key_of(0))
            .into_iter()
            .filter(|(m, _)| (1..n).all(|i| score_in(&mut db, key_of(i), m).is_none()))
            .collect(),
    };
    if card_only {
        drop(db);
        return ctx.out.int(result.len() as i64);
    }
    if store {
        let dst = ctx.arg(1);
        let count = result.len();
        if count == 0 {
            if db.delete(dst) {
                ctx.notify(notify::GENERIC, "del", dst);
            }
        } else {
            let z = ZSet::from_pairs(result, limits(ctx));
            db.set(dst, Value::ZSet(Box::new(z)));
            db.signal_ready(dst);
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            ctx.notify(notify::ZSET, event, dst);
        }
        drop(db);
        return ctx.out.int(count as i64);
    }
    drop(db);
    // Replied straight from the sorted result, as Redis replies from its skiplist: a `-0`
    // score survives here (a stored result in the packed form would read back as 0).
    let mut result = result;
    result.sort_by(|a, b| cmp_item(a.1, &a.0, b.1, &b.0));
    ctx.out
        .array(item_count(result.len(), withscores, ctx.out.resp3));
    for (m, s) in &result {
        write_item(ctx.out, m, *s, withscores);
    }
}
