//! Geospatial commands (Redis's geo.c) on sorted sets whose scores are 52-bit geohashes:
//! the arithmetic in `geohash` (encode, decode, neighbours), `distance` (haversine), `shape`
//! (circle or box), `cover` (which cells a search scans), `search` (the scan itself), `sort`
//! (Redis's orders, ties included), `format` (how numbers print), `args` (option parsing);
//! the search commands in `query`, and GEOADD, GEOPOS, GEOHASH, GEODIST here.

mod args;
mod cover;
mod distance;
mod format;
mod geohash;
mod query;
mod search;
mod shape;
mod sort;

use bytes::Bytes;

use crate::command::{Ctx, Handler};
use crate::keyspace::Value;
use crate::resp::ReplyWriter;
use crate::types::zset::{add_pairs, AddFlags, ZSet};

/// The geo commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("geoadd", geoadd),
    ("geopos", geopos),
    ("geohash", geohash_cmd),
    ("geodist", geodist),
    ("georadius", query::georadius),
    ("georadius_ro", query::georadius_ro),
    ("georadiusbymember", query::georadiusbymember),
    ("georadiusbymember_ro", query::georadiusbymember_ro),
    ("geosearch", query::geosearch),
    ("geosearchstore", query::geosearchstore),
];

/// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
///
/// A ZADD of each position's geohash, propagated as that ZADD (as Redis rewrites it).
fn geoadd(ctx: &mut Ctx) {
    let mut f = AddFlags::default();
    let mut first = 2;
    while first < ctx.args.len() {
        let a = ctx.arg(first);
        if a.eq_ignore_ascii_case(b"nx") {
            f.nx = true;
        } else if a.eq_ignore_ascii_case(b"xx") {
            f.xx = true;
        } else if !a.eq_ignore_ascii_case(b"ch") {
            break;
        }
        first += 1;
    }
    let n = ctx.args.len() - first;
    if n == 0 || !n.is_multiple_of(3) || (f.xx && f.nx) {
        return ctx.syntax_error();
    }
    f.ch = ctx.args[2..first]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(b"ch"));
    let mut scored = Vec::with_capacity(n / 3);
    let mut zadd: Vec<Bytes> = Vec::with_capacity(first + 2 * n / 3);
    zadd.push(Bytes::from_static(b"zadd"));
    zadd.extend(ctx.args[1..first].iter().cloned());
    for p in (first..ctx.args.len()).step_by(3) {
        let Some([long, lat]) = args::lon_lat(ctx, p) else {
            return;
        };
        let Some(score) = geohash::score_of(long, lat) else {
            return ctx.syntax_error();
        };
        let member = ctx.arg(p + 2);
        scored.push((score as f64, member));
        zadd.push(Bytes::from(itoa::Buffer::new().format(score).to_owned()));
        zadd.push(ctx.args[p + 2].clone());
    }
    if add_pairs(ctx, &f, &scored) {
        ctx.propagate_as(zadd);
    }
}

/// Runs `f` on the sorted set at argument 1 (None when missing), read in place; WRONGTYPE for
/// another type.
fn with_zset(ctx: &mut Ctx, f: impl FnOnce(&mut Ctx, Option<&ZSet>)) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    match db.get_read(key) {
        None => f(ctx, None),
        Some(e) => match &e.value {
            Value::ZSet(z) => f(ctx, Some(z)),
            _ => ctx.wrong_type(),
        },
    }
}

/// Replies one element per member argument: `found` with the member's score, or `missing`.
fn per_member(ctx: &mut Ctx, missing: fn(&mut ReplyWriter), found: fn(&mut ReplyWriter, f64)) {
    with_zset(ctx, |ctx, z| {
        let members = &ctx.args[2..];
        ctx.out.array(members.len());
        for m in members {
            match z.and_then(|z| z.score(m)) {
                None => missing(ctx.out),
                Some(score) => found(ctx.out, score),
            }
        }
    });
}

/// GEOPOS key [member ...]
fn geopos(ctx: &mut Ctx) {
    per_member(ctx, ReplyWriter::null_array, |out, score| {
        let [long, lat] = geohash::decode_score(score);
        out.array(2);
        format::write_coordinate(out, long);
        format::write_coordinate(out, lat);
    });
}

/// GEOHASH key [member ...]
fn geohash_cmd(ctx: &mut Ctx) {
    per_member(ctx, ReplyWriter::null, |out, score| {
        out.bulk(&geohash::standard_string(geohash::decode_score(score)));
    });
}

/// GEODIST key member1 member2 [M|KM|FT|MI]
fn geodist(ctx: &mut Ctx) {
    // The unit is checked before the key is looked at, as in Redis.
    let to_meters = match ctx.args.len() {
        5 => match args::unit(ctx, 4) {
            Some(u) => u,
            None => return,
        },
        n if n > 5 => return ctx.syntax_error(),
        _ => 1.0,
    };
    with_zset(ctx, |ctx, z| {
        let Some(z) = z else {
            return ctx.out.null();
        };
        match (z.score(ctx.arg(2)), z.score(ctx.arg(3))) {
            (Some(a), Some(b)) => {
                let [x1, y1] = geohash::decode_score(a);
                let [x2, y2] = geohash::decode_score(b);
                let d = distance::distance(x1, y1, x2, y2) / to_meters;
                ctx.out.bulk(format::distance(d).as_bytes());
            }
            _ => ctx.out.null(),
        }
    });
}
