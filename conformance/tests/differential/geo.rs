//! Geo: random point clouds loaded with GEOADD into both servers, then random GEOSEARCH,
//! GEOSEARCHSTORE, GEORADIUS*, GEOPOS, GEODIST and GEOHASH calls whose replies must be equal
//! byte for byte: members, distances, coordinates, hashes, and their order (also without
//! ASC/DESC, where the order is the cells' scan order, and with COUNT, where equal distances
//! come out in the order Redis's partial quicksort leaves them).

use super::{rng, Pair};

/// Where a cloud's points lie.
#[derive(Clone, Copy, Debug)]
enum Cloud {
    /// Anywhere within the limits.
    World,
    /// Within a few hundred km of a random centre.
    Cluster,
    /// Close to the latitude limits and the antimeridian.
    Edges,
}

const LAT_LIMIT: f64 = 85.05112878;

fn point(rng: &mut fastrand::Rng, cloud: Cloud, centre: (f64, f64)) -> (f64, f64) {
    match cloud {
        Cloud::World => (
            rng.f64() * 360.0 - 180.0,
            rng.f64() * 2.0 * LAT_LIMIT - LAT_LIMIT,
        ),
        Cloud::Cluster => {
            let spread = if rng.bool() { 0.05 } else { 3.0 };
            let lon = (centre.0 + (rng.f64() - 0.5) * spread).clamp(-180.0, 180.0);
            let lat = (centre.1 + (rng.f64() - 0.5) * spread).clamp(-LAT_LIMIT, LAT_LIMIT);
            (lon, lat)
        }
        Cloud::Edges => match rng.u8(0..3) {
            0 => (rng.f64() * 360.0 - 180.0, LAT_LIMIT - rng.f64() * 2.0),
            1 => (rng.f64() * 360.0 - 180.0, -LAT_LIMIT + rng.f64() * 2.0),
            _ => {
                let side = if rng.bool() { 180.0 } else { -180.0 };
                let lon = (side + (rng.f64() - 0.5) * 2.0).clamp(-180.0, 180.0);
                (lon, rng.f64() * 20.0 - 10.0)
            }
        },
    }
}

/// A coordinate as a client might type it: full precision, 6 decimals, or an integer.
fn coord(rng: &mut fastrand::Rng, v: f64) -> String {
    match rng.u8(0..4) {
        0 => format!("{v:.6}"),
        1 => format!("{v:.2}"),
        _ => format!("{v}"),
    }
}

/// A distance and unit with a log-uniform size between 1 m and ~8000 km.
fn extent(rng: &mut fastrand::Rng) -> (f64, &'static str) {
    let metres = 10f64.powf(rng.f64() * 6.9);
    let (unit, per) =
        [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)][rng.usize(0..4)];
    let v = metres / per;
    (if v > 10.0 { v.round() } else { v }, unit)
}

/// The options after the shape: sort, COUNT [ANY], WITH*.
fn options(rng: &mut fastrand::Rng, args: &mut Vec<String>, with: bool) {
    match rng.u8(0..3) {
        0 => args.push("ASC".into()),
        1 => args.push("DESC".into()),
        _ => {}
    }
    if rng.u8(0..3) == 0 {
        args.push("COUNT".into());
        args.push(rng.usize(1..40).to_string());
        if rng.bool() {
            args.push("ANY".into());
        }
    }
    if with {
        for w in ["WITHCOORD", "WITHDIST", "WITHHASH"] {
            if rng.bool() {
                args.push(w.into());
            }
        }
    }
}

#[test]
fn geo_random_clouds_and_searches() {
    let Some(mut p) = Pair::start("geo") else {
        return;
    };
    let mut rng = rng("geo");
    for (ci, cloud) in [Cloud::World, Cloud::Cluster, Cloud::Edges, Cloud::Cluster]
        .into_iter()
        .enumerate()
    {
        let key = format!("g{ci}");
        let centre = point(&mut rng, Cloud::World, (0.0, 0.0));
        let n = [2500, 2500, 1500, 100][ci];
        let mut pts: Vec<(f64, f64)> = Vec::with_capacity(n);
        let mut i = 0;
        while i < n {
            let mut args = vec!["GEOADD".to_string(), key.clone()];
            for _ in 0..250.min(n - i) {
                // Some points repeat an earlier position exactly: equal distances test the
                // sorts' handling of ties.
                let pt = if !pts.is_empty() && rng.u8(0..20) == 0 {
                    pts[rng.usize(0..pts.len())]
                } else {
                    point(&mut rng, cloud, centre)
                };
                pts.push(pt);
                args.push(format!("{}", pt.0));
                args.push(format!("{}", pt.1));
                args.push(format!("m{i}"));
                i += 1;
            }
            p.same(&args);
        }
        p.same(&["ZCARD", &key]);
        for _ in 0..200 {
            let from_member = rng.bool();
            let centre_pt = if rng.bool() {
                pts[rng.usize(0..pts.len())]
            } else {
                point(&mut rng, cloud, centre)
            };
            let member = format!("m{}", rng.usize(0..n + 5));
            let (lon, lat) = (coord(&mut rng, centre_pt.0), coord(&mut rng, centre_pt.1));
            let by_box = rng.bool();
            let store = rng.u8(0..5) == 0;
            let mut args: Vec<String> = if store {
                vec!["GEOSEARCHSTORE".into(), "dst".into(), key.clone()]
            } else {
                vec!["GEOSEARCH".into(), key.clone()]
            };
            if from_member {
                args.extend(["FROMMEMBER".into(), member.clone()]);
            } else {
                args.extend(["FROMLONLAT".into(), lon.clone(), lat.clone()]);
            }
            if by_box {
                let (w, unit) = extent(&mut rng);
                let (h, _) = extent(&mut rng);
                args.extend(["BYBOX".into(), w.to_string(), h.to_string(), unit.into()]);
            } else {
                let (r, unit) = extent(&mut rng);
                args.extend(["BYRADIUS".into(), r.to_string(), unit.into()]);
            }
            options(&mut rng, &mut args, !store);
            if store && rng.bool() {
                args.push("STOREDIST".into());
            }
            p.same(&args);
            if store {
                p.same(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
            }
            // The legacy forms around the same centre.
            let (r, unit) = extent(&mut rng);
            let mut legacy: Vec<String> = match rng.u8(0..4) {
                0 => vec!["GEORADIUS".into(), key.clone(), lon, lat],
                1 => vec!["GEORADIUS_RO".into(), key.clone(), lon, lat],
                2 => vec!["GEORADIUSBYMEMBER".into(), key.clone(), member.clone()],
                _ => vec!["GEORADIUSBYMEMBER_RO".into(), key.clone(), member.clone()],
            };
            legacy.extend([r.to_string(), unit.into()]);
            let legacy_store = !legacy[0].ends_with("_RO") && rng.u8(0..4) == 0;
            options(&mut rng, &mut legacy, !legacy_store);
            if legacy_store {
                legacy.extend([
                    if rng.bool() { "STORE" } else { "STOREDIST" }.into(),
                    "dst2".into(),
                ]);
            }
            p.same(&legacy);
            if legacy_store {
                p.same(&["ZRANGE", "dst2", "0", "-1", "WITHSCORES"]);
            }
            let m1 = format!("m{}", rng.usize(0..n + 2));
            let m2 = format!("m{}", rng.usize(0..n + 2));
            p.same(&["GEOPOS", &key, &m1, &m2]);
            p.same(&["GEOHASH", &key, &m1, &m2]);
            let unit = ["m", "km", "ft", "mi"][rng.usize(0..4)];
            p.same(&["GEODIST", &key, &m1, &m2, unit]);
        }
    }
}
