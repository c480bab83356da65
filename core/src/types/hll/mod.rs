//! HyperLogLog (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE here, PFDEBUG in `debug.rs`,
//! PFSELFTEST in `selftest.rs`. An HLL is a plain string holding Redis's exact layout (`layout.rs`: header
//! and cached cardinality; `dense.rs`, `sparse.rs`: the two register encodings; `murmur.rs`:
//! the element hash; `estimate.rs`: the estimator), so GET, SET, DUMP and RESTORE move HLLs
//! between lode and redis-server unchanged. Values can be written by clients, so every decode
//! is bounds-checked and a damaged value is refused with Redis's error, never trusted.

mod debug;
mod dense;
mod estimate;
mod layout;
mod murmur;
mod ops;
mod selftest;
mod sparse;

use bytes::Bytes;

use crate::command::{Ctx, Handler};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use layout::{Encoding, HllError, REGISTERS};

/// The HyperLogLog commands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("pfadd", pfadd),
    ("pfcount", pfcount),
    ("pfmerge", pfmerge),
    ("pfdebug", debug::pfdebug),
    ("pfselftest", selftest::pfselftest),
];

/// The HLL held by `value`, read in place: Redis's isHLLObjectOrReply checks (an
/// integer-encoded string is never an HLL).
fn hll_ref(value: &Value) -> Result<&[u8], HllError> {
    let bytes: &[u8] = match value {
        Value::Str(s) => s,
        Value::Raw(v) => v,
        Value::Int(_) => return Err(HllError::NotHll),
        _ => return Err(HllError::WrongType),
    };
    layout::check(bytes)?;
    Ok(bytes)
}

/// The HLL held by `value`, checked and made a growable string owned by the key (Redis's
/// dbUnshareStringValue: a short HLL stored as "embstr" becomes "raw").
fn hll_mut(value: &mut Value) -> Result<&mut Vec<u8>, HllError> {
    hll_ref(value)?;
    crate::types::string::make_raw(value).ok_or(HllError::WrongType)
}

/// Adds `elements` to the HLL `v`; how many raised a register. The cached cardinality is left
/// to the caller (a sparse change invalidates it on its own, as in Redis).
fn add(v: &mut Vec<u8>, elements: &[Bytes], max_bytes: usize) -> Result<usize, HllError> {
    let mut updated = 0;
    for element in elements {
        let (index, count) = murmur::pattern(element);
        if ops::raise(v, index, count, max_bytes)? {
            updated += 1;
        }
    }
    Ok(updated)
}

/// PFADD key [element ...]
fn pfadd(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let elements = &ctx.args[2..];
    let max_bytes = ctx.server.config.read().hll_sparse_max_bytes;
    let mut db = ctx.lock();
    let result = match db.slot(key) {
        Slot::Vacant(vacant) => {
            // Creating the key is a change even with no element.
            let mut v = layout::new_sparse();
            let result = add(&mut v, elements, max_bytes).map(|n| n + 1);
            layout::invalidate_cache(&mut v);
            vacant.insert(key, Value::Raw(Box::new(v)), 0);
            result
        }
        Slot::Live(mut live) => hll_mut(&mut live.entry().value).and_then(|v| {
            let n = add(v, elements, max_bytes)?;
            if n > 0 {
                layout::invalidate_cache(v);
            }
            Ok(n)
        }),
    };
    drop(db);
    match result {
        Err(e) => ctx.error(e.message()),
        Ok(0) => {
            ctx.unchanged();
            ctx.out.int(0);
        }
        Ok(_) => {
            ctx.notify(notify::STRING, "pfadd", key);
            ctx.out.int(1);
        }
    }
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx) {
    if ctx.args.len() > 2 {
        return pfcount_union(ctx);
    }
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Some(entry) = db.get_read(key) else {
        drop(db);
        return ctx.out.int(0);
    };
    let result = hll_mut(&mut entry.value).and_then(|v| match layout::cached(v) {
        Some(card) => Ok((card, false)),
        None => {
            let card = ops::count(v)?;
            layout::store_cache(v, card);
            Ok((card, true))
        }
    });
    drop(db);
    match result {
        Err(e) => ctx.error(e.message()),
        Ok((card, stored)) => {
            if stored {
                // Writing the cache changes the string: Redis propagates this read-only
                // command and signals the key modified (WATCH, tracking).
                ctx.propagate_as(ctx.args.to_vec());
                ctx.modified = Some(smallvec::smallvec![1]);
            }
            ctx.out.int(card as i64);
        }
    }
}

/// Merges the HLLs at `keys` into `max` (missing keys are empty HLLs); whether any of them
/// was dense.
fn merge_keys(
    db: &mut crate::keyspace::Locked<'_>,
    keys: &[Bytes],
    max: &mut [u8; REGISTERS],
) -> Result<bool, HllError> {
    let mut any_dense = false;
    for key in keys {
        let Some(entry) = db.get_read(key) else {
            continue;
        };
        let v = hll_ref(&entry.value)?;
        any_dense |= layout::encoding(v) == Encoding::Dense;
        ops::merge_into(v, max)?;
    }
    Ok(any_dense)
}

/// PFCOUNT with several keys: the cardinality of their union, computed over a register array
/// (nothing is cached or written).
fn pfcount_union(ctx: &mut Ctx) {
    let mut max = [0u8; REGISTERS];
    let mut db = ctx.lock();
    let merged = merge_keys(&mut db, &ctx.args[1..], &mut max);
    drop(db);
    if let Err(e) = merged {
        return ctx.error(e.message());
    }
    let mut hist = [0u32; 64];
    estimate::raw_histogram(&max, &mut hist);
    ctx.out.int(estimate::estimate(&hist) as i64);
}

/// Raises the registers of the HLL `v` to the union `max`, converting it to dense first when
/// a source was dense (as Redis does, to skip growing a sparse string step by step).
fn store_union(
    v: &mut Vec<u8>,
    max: &[u8; REGISTERS],
    to_dense: bool,
    max_bytes: usize,
) -> Result<(), HllError> {
    if to_dense {
        ops::to_dense(v)?;
    }
    for (index, &m) in max.iter().enumerate() {
        if m != 0 {
            // The destination was checked as a source, so this cannot fail; Redis ignores
            // the outcome here too.
            let _ = ops::raise(v, index, m, max_bytes);
        }
    }
    layout::invalidate_cache(v);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]
fn pfmerge(ctx: &mut Ctx) {
    let dest = ctx.arg(1);
    let max_bytes = ctx.server.config.read().hll_sparse_max_bytes;
    let mut max = [0u8; REGISTERS];
    let mut db = ctx.lock();
    // The destination is merged too (it is the first key Redis reads).
    let result =
        merge_keys(&mut db, &ctx.args[1..], &mut max).and_then(|dense| match db.slot(dest) {
            Slot::Vacant(vacant) => {
                let mut v = layout::new_sparse();
                let result = store_union(&mut v, &max, dense, max_bytes);
                vacant.insert(dest, Value::Raw(Box::new(v)), 0);
                result
            }
            Slot::Live(mut live) => hll_mut(&mut live.entry().value)
                .and_then(|v| store_union(v, &max, dense, max_bytes)),
        });
    drop(db);
    if let Err(e) = result {
        return ctx.error(e.message());
    }
    ctx.modified = Some(smallvec::smallvec![1]);
    // Redis reports a merge as a "pfadd": a mass add of elements.
    ctx.notify(notify::STRING, "pfadd", dest);
    ctx.out.ok();
}
