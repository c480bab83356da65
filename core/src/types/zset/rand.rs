//! ZRANDMEMBER.

use super::{item_count, write_item, zset_of, ZSet};
use crate::command::Ctx;

/// Redis's bound for the count: -LONG_MAX..=LONG_MAX.
const RAND_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// Largest repeated-pick reply (negative count) lode builds: Redis would stream any count into
/// the client's buffer until the output limit closes it; lode refuses instead of allocating
/// without bound.
const MAX_REPEATS: u64 = 1 << 24;

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember(ctx: &mut Ctx) {
    if ctx.args.len() == 2 {
        return single(ctx);
    }
    let count = match crate::util::num::parse_i64(ctx.arg(2)) {
        Some(n) if n != i64::MIN => n,
        Some(_) => return ctx.error(RAND_RANGE),
        None => return ctx.error(crate::command::errors::NOT_INT),
    };
    let withscores = match ctx.args.len() {
        3 => false,
        4 if ctx.arg(3).eq_ignore_ascii_case(b"withscores") => true,
        _ => return ctx.syntax_error(),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return ctx.error("ERR value is out of range");
    }
    let mut db = ctx.lock();
    let z = match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => return ctx.wrong_type(),
        Ok(None) => return ctx.out.array(0),
        Ok(Some(z)) => z,
    };
    if count == 0 {
        return ctx.out.array(0);
    }
    let len = z.len();
    let mut rng = ctx.server.rng.lock();
    // Picks by rank: a packed set is walked once into a table (it is small), the large form
    // answers a rank in O(log n), so no pick costs more than that.
    let mut table = Vec::new();
    if let ZSet::Packed(_) = &**z {
        z.for_range(0, len, false, |m, s| table.push((m, s)));
    }
    let at = |r: usize| -> (&[u8], f64) {
        match table.get(r) {
            Some(&item) => item,
            None => z.at(r).unwrap_or((&[], 0.0)),
        }
    };
    if count < 0 || count == 1 {
        let n = count.unsigned_abs();
        if n > MAX_REPEATS {
            drop(rng);
            return ctx.error("ERR value is out of range");
        }
        ctx.out
            .array(item_count(n as usize, withscores, ctx.out.resp3));
        for _ in 0..n {
            let (m, s) = at(rng.usize(0..len));
            write_item(ctx.out, m, s, withscores);
        }
        return;
    }
    let n = (count as u64).min(len as u64) as usize;
    let ranks: Vec<usize> = if n == len {
        (0..len).collect()
    } else if n.saturating_mul(3) > len {
        // Many picks: a partial Fisher-Yates shuffle over every rank (bounded by the set).
        let mut ranks: Vec<usize> = (0..len).collect();
        for i in 0..n {
            let j = rng.usize(i..len);
            ranks.swap(i, j);
        }
        ranks.truncate(n);
        ranks
    } else {
        // Few picks: draw ranks until n distinct ones (bounded by the count, as n < len / 3).
        let mut seen = std::collections::HashSet::with_capacity(n);
        let mut ranks = Vec::with_capacity(n);
        while ranks.len() < n {
            let r = rng.usize(0..len);
            if seen.insert(r) {
                ranks.push(r);
            }
        }
        ranks
    };
    ctx.out.array(item_count(n, withscores, ctx.out.resp3));
    for r in ranks {
        let (m, s) = at(r);
        write_item(ctx.out, m, s, withscores);
    }
}

fn single(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => ctx.wrong_type(),
        Ok(None) => ctx.out.null(),
        Ok(Some(z)) => {
            let r = ctx.server.rng.lock().usize(0..z.len());
            match z.at(r) {
                Some((m, _)) => ctx.out.bulk(m),
                None => ctx.out.null(),
            }
        }
    }
}
