//! GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and GEOSEARCHSTORE: one search
//! (Redis's georadiusGeneric) replied as members with their options, or stored as a sorted
//! set of geohashes or distances.

use super::args::{parse, Kind, Query};
use super::format::{distance, score_i64, write_coordinate};
use super::search::{recycle, search, take_matches, Matches};
use super::sort::{sort, Sort};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Entry, Locked, Value};
use crate::types::zset::{self, Limits, ZSet};
use crate::util::small_bytes::SmallBytes;

/// GEORADIUS key longitude latitude radius unit [options] [STORE key] [STOREDIST key]
pub fn georadius(ctx: &mut Ctx) {
    generic(ctx, Kind::Radius, false);
}

/// GEORADIUS_RO key longitude latitude radius unit [options]
pub fn georadius_ro(ctx: &mut Ctx) {
    generic(ctx, Kind::Radius, true);
}

/// GEORADIUSBYMEMBER key member radius unit [options] [STORE key] [STOREDIST key]
pub fn georadiusbymember(ctx: &mut Ctx) {
    generic(ctx, Kind::ByMember, false);
}

/// GEORADIUSBYMEMBER_RO key member radius unit [options]
pub fn georadiusbymember_ro(ctx: &mut Ctx) {
    generic(ctx, Kind::ByMember, true);
}

/// GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [options]
pub fn geosearch(ctx: &mut Ctx) {
    generic(ctx, Kind::Search, true);
}

/// GEOSEARCHSTORE dest src FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX ... [options] [STOREDIST]
pub fn geosearchstore(ctx: &mut Ctx) {
    generic(ctx, Kind::SearchStore, false);
}

/// The sorted set in `entry`: Ok(None) when absent, Err for another type.
fn as_zset(entry: Option<&mut Entry>) -> Result<Option<&ZSet>, ()> {
    match entry {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(()),
        },
    }
}

fn generic(ctx: &mut Ctx, kind: Kind, nostore: bool) {
    let src_idx = if kind == Kind::SearchStore { 2 } else { 1 };
    let src = ctx.arg(src_idx);
    let mut db = ctx.lock();
    let Ok(z) = as_zset(db.get_read(src)) else {
        drop(db);
        ctx.unchanged();
        return ctx.wrong_type();
    };
    let Some(mut q) = parse(ctx, kind, nostore, z) else {
        drop(db);
        ctx.unchanged();
        return;
    };
    let Some(z) = z else {
        if let Some(dst) = q.store {
            store_nothing(ctx, &mut db, dst);
            ctx.out.int(0);
        } else {
            ctx.unchanged();
            ctx.out.array(0);
        }
        return;
    };
    // COUNT without ANY wants the nearest points, so it implies ASC.
    if q.count != 0 && q.sort == Sort::None && !q.any {
        q.sort = Sort::Asc;
    }
    let limit = (q.any && q.count > 0).then_some(q.count);
    let limits = zset::limits(ctx);
    let mut m = take_matches();
    search(z, &q.shape, limit, &mut m);
    let keep = if q.count == 0 {
        m.found.len()
    } else {
        q.count.min(m.found.len())
    };
    sort(&mut m.found, q.sort, keep);
    for f in &mut m.found[..keep] {
        f.dist /= q.shape.to_meters;
    }
    if q.store.is_some() {
        let event = if kind == Kind::Radius || kind == Kind::ByMember {
            "georadiusstore"
        } else {
            "geosearchstore"
        };
        store(ctx, &mut db, &q, &m, keep, limits, event);
        ctx.out.int(keep as i64);
    } else {
        drop(db);
        ctx.unchanged();
        reply(ctx, &q, &m, keep);
    }
    recycle(m);
}

/// Writes the found points, each with the options asked for.
fn reply(ctx: &mut Ctx, q: &Query, m: &Matches, keep: usize) {
    let out = &mut *ctx.out;
    out.array(keep);
    let extras = usize::from(q.withdist) + usize::from(q.withhash) + usize::from(q.withcoord);
    for f in &m.found[..keep] {
        if extras > 0 {
            out.array(extras + 1);
        }
        out.bulk(m.name(f));
        if q.withdist {
            out.bulk(distance(f.dist).as_bytes());
        }
        if q.withhash {
            out.int(score_i64(f.score));
        }
        if q.withcoord {
            out.array(2);
            write_coordinate(out, f.pos[0]);
            write_coordinate(out, f.pos[1]);
        }
    }
}

/// Stores the first `keep` points at the query's destination (deleting it when there are
/// none), announcing it as `event`.
fn store(
    ctx: &mut Ctx,
    db: &mut Locked,
    q: &Query,
    m: &Matches,
    keep: usize,
    limits: Limits,
    event: &str,
) {
    let Some(dst) = q.store else { return };
    if keep == 0 {
        return store_nothing(ctx, db, dst);
    }
    let pairs = m.found[..keep]
        .iter()
        .map(|f| {
            let score = if q.storedist { f.dist } else { f.score };
            (SmallBytes::new(m.name(f)), score)
        })
        .collect();
    db.set(dst, Value::ZSet(Box::new(ZSet::from_pairs(pairs, limits))));
    db.signal_ready(dst);
    ctx.notify(notify::ZSET, event, dst);
}

/// An empty result stored: the destination is deleted (a change only if it existed).
fn store_nothing(ctx: &mut Ctx, db: &mut Locked, dst: &[u8]) {
    if db.delete(dst) {
        ctx.notify(notify::GENERIC, "del", dst);
    } else {
        ctx.unchanged();
    }
}
