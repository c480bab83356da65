//! Argument parsing shared by the GEORADIUS* and GEOSEARCH* commands: the centre, the extent
//! and its unit, the options, with Redis's errors in Redis's order (the source's type first,
//! then each argument as it is reached).

use super::geohash::{decode_score, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN};
use super::shape::{Extent, Shape};
use super::sort::Sort;
use crate::command::Ctx;
use crate::types::zset::{parse_score, ZSet};

/// Which command is parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// GEORADIUS / GEORADIUS_RO: `key lon lat radius unit ...`.
    Radius,
    /// GEORADIUSBYMEMBER / _RO: `key member radius unit ...`.
    ByMember,
    /// GEOSEARCH: `key FROM... BY... ...`.
    Search,
    /// GEOSEARCHSTORE: `dest key FROM... BY... ...`.
    SearchStore,
}

/// A parsed search.
#[derive(Debug)]
pub struct Query<'a> {
    /// The area (unset fields when the source key is missing: it is not searched then).
    pub shape: Shape,
    /// WITHDIST.
    pub withdist: bool,
    /// WITHHASH.
    pub withhash: bool,
    /// WITHCOORD.
    pub withcoord: bool,
    /// ASC / DESC (COUNT without ANY implies ASC).
    pub sort: Sort,
    /// ANY: stop scanning once COUNT points were found.
    pub any: bool,
    /// COUNT, 0 when not given.
    pub count: usize,
    /// The destination of STORE / STOREDIST / GEOSEARCHSTORE.
    pub store: Option<&'a [u8]>,
    /// Store distances instead of geohashes.
    pub storedist: bool,
}

/// A float argument as Redis's getDoubleFromObject reads it, or the error `msg`.
fn float(ctx: &mut Ctx, i: usize, msg: &str) -> Option<f64> {
    let v = parse_score(ctx.arg(i));
    if v.is_none() {
        ctx.error(msg);
    }
    v
}

const NOT_FLOAT: &str = crate::command::errors::NOT_FLOAT;

/// `lon lat` at argument `i`, within the limits.
pub fn lon_lat(ctx: &mut Ctx, i: usize) -> Option<[f64; 2]> {
    let long = float(ctx, i, NOT_FLOAT)?;
    let lat = float(ctx, i + 1, NOT_FLOAT)?;
    if !(LONG_MIN..=LONG_MAX).contains(&long) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        ctx.error(&format!(
            "ERR invalid longitude,latitude pair {long:.6},{lat:.6}"
        ));
        return None;
    }
    Some([long, lat])
}

/// The metres in one `unit`, or Redis's error.
pub fn unit(ctx: &mut Ctx, i: usize) -> Option<f64> {
    let u = ctx.arg(i);
    let m = if u.eq_ignore_ascii_case(b"m") {
        1.0
    } else if u.eq_ignore_ascii_case(b"km") {
        1000.0
    } else if u.eq_ignore_ascii_case(b"ft") {
        0.3048
    } else if u.eq_ignore_ascii_case(b"mi") {
        1609.34
    } else {
        ctx.error("ERR unsupported unit provided. please use M, KM, FT, MI");
        return None;
    };
    Some(m)
}

/// `radius unit` at argument `i`.
fn radius(ctx: &mut Ctx, i: usize, shape: &mut Shape) -> Option<()> {
    let r = float(ctx, i, "ERR need numeric radius")?;
    if r < 0.0 {
        ctx.error("ERR radius cannot be negative");
        return None;
    }
    shape.to_meters = unit(ctx, i + 1)?;
    shape.extent = Extent::Radius(r);
    Some(())
}

/// `width height unit` at argument `i`.
fn bybox(ctx: &mut Ctx, i: usize, shape: &mut Shape) -> Option<()> {
    let width = float(ctx, i, "ERR need numeric width")?;
    let height = float(ctx, i + 1, "ERR need numeric height")?;
    if height < 0.0 || width < 0.0 {
        ctx.error("ERR height or width cannot be negative");
        return None;
    }
    shape.to_meters = unit(ctx, i + 2)?;
    shape.extent = Extent::Box { width, height };
    Some(())
}

/// The position of `member` in `z`, or Redis's error.
fn member_pos(ctx: &mut Ctx, z: &ZSet, i: usize) -> Option<[f64; 2]> {
    match z.score(ctx.arg(i)) {
        Some(s) => Some(decode_score(s)),
        None => {
            ctx.error("ERR could not decode requested zset member");
            None
        }
    }
}

/// Parses the arguments of a `kind` command whose source set is `src` (None when missing);
/// `nostore` for the _RO forms. None after replying an error.
pub fn parse<'a>(
    ctx: &mut Ctx<'a>,
    kind: Kind,
    nostore: bool,
    src: Option<&ZSet>,
) -> Option<Query<'a>> {
    let mut q = Query {
        shape: Shape {
            center: [0.0, 0.0],
            to_meters: 1.0,
            extent: Extent::Radius(0.0),
        },
        withdist: false,
        withhash: false,
        withcoord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: None,
        storedist: false,
    };
    let base = match kind {
        Kind::Radius => {
            q.shape.center = lon_lat(ctx, 2)?;
            radius(ctx, 4, &mut q.shape)?;
            6
        }
        Kind::ByMember => {
            if let Some(z) = src {
                q.shape.center = member_pos(ctx, z, 2)?;
                radius(ctx, 3, &mut q.shape)?;
            }
            5
        }
        Kind::Search => 2,
        Kind::SearchStore => {
            q.store = Some(ctx.arg(1));
            3
        }
    };
    let search = matches!(kind, Kind::Search | Kind::SearchStore);
    let (mut frommember, mut fromloc, mut byradius, mut bybox_given) = (false, false, false, false);
    let argc = ctx.args.len();
    let mut i = base;
    while i < argc {
        let a = ctx.arg(i).to_ascii_lowercase();
        let left = argc - i - 1;
        match a.as_slice() {
            b"withdist" => q.withdist = true,
            b"withhash" => q.withhash = true,
            b"withcoord" => q.withcoord = true,
            b"any" => q.any = true,
            b"asc" => q.sort = Sort::Asc,
            b"desc" => q.sort = Sort::Desc,
            b"count" if left >= 1 => {
                let n = ctx.int_arg(i + 1)?;
                if n <= 0 {
                    ctx.error("ERR COUNT must be > 0");
                    return None;
                }
                q.count = usize::try_from(n).unwrap_or(usize::MAX);
                i += 1;
            }
            b"store" | b"storedist" if left >= 1 && !nostore && !search => {
                q.store = Some(ctx.arg(i + 1));
                q.storedist = a == b"storedist";
                i += 1;
            }
            b"storedist" if kind == Kind::SearchStore => q.storedist = true,
            b"frommember" if left >= 1 && search && !fromloc => {
                // Without a source set the member cannot be looked up; parsing goes on so
                // that the reply fits the rest of the arguments.
                if let Some(z) = src {
                    q.shape.center = member_pos(ctx, z, i + 1)?;
                }
                frommember = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && search && !frommember => {
                q.shape.center = lon_lat(ctx, i + 1)?;
                fromloc = true;
                i += 2;
            }
            b"byradius" if left >= 2 && search && !bybox_given => {
                radius(ctx, i + 1, &mut q.shape)?;
                byradius = true;
                i += 2;
            }
            b"bybox" if left >= 3 && search && !byradius => {
                bybox(ctx, i + 1, &mut q.shape)?;
                bybox_given = true;
                i += 3;
            }
            _ => {
                ctx.syntax_error();
                return None;
            }
        }
        i += 1;
    }
    if q.store.is_some() && (q.withdist || q.withhash || q.withcoord) {
        let who = if kind == Kind::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        ctx.error(&format!(
            "ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        ));
        return None;
    }
    let name = String::from_utf8_lossy(ctx.arg(0)).into_owned();
    if search && !(frommember || fromloc) {
        ctx.error(&format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        ));
        return None;
    }
    if search && !(byradius || bybox_given) {
        ctx.error(&format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        ));
        return None;
    }
    if q.any && q.count == 0 {
        ctx.error("ERR the ANY argument requires COUNT argument");
        return None;
    }
    Some(q)
}
