//! Great-circle distances as Redis computes them: the haversine formula on a sphere of Redis's
//! Earth radius, with the same shortcuts (same longitude: the latitude difference alone), in
//! the same operation order, so distances agree to the last bit with redis-server's.

/// The Earth's radius Redis uses, in metres.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;

/// Degrees to radians, by Redis's constant (π/180 rounded once).
pub fn deg_rad(deg: f64) -> f64 {
    deg * (std::f64::consts::PI / 180.0)
}

/// Radians to degrees.
pub fn rad_deg(rad: f64) -> f64 {
    rad / (std::f64::consts::PI / 180.0)
}

/// The distance between two latitudes along a meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in metres between `(lon1, lat1)` and `(lon2, lat2)`, in degrees.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    // On one meridian the formula reduces to the latitude difference (and skips the trig).
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// Whether `(x2, y2)` lies in the box of `width_m` by `height_m` metres centred on `(x1, y1)`,
/// measured as Redis does (latitude distance, then the distance along the point's parallel),
/// and if so its distance from the centre.
pub fn in_box(width_m: f64, height_m: f64, x1: f64, y1: f64, x2: f64, y2: f64) -> Option<f64> {
    // The latitude test is the cheap one, so it goes first.
    if lat_distance(y2, y1) > height_m / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > width_m / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palermo_catania() {
        // GEODIST Sicily Palermo Catania replies "166274.1516" in Redis.
        let [x1, y1] = crate::types::geo::geohash::decode_score(3479099956230698.0);
        let [x2, y2] = crate::types::geo::geohash::decode_score(3479447370796909.0);
        let d = distance(x1, y1, x2, y2);
        assert_eq!(format!("{:.4}", d), "166274.1516");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(distance(10.0, 20.0, 10.0, 20.0), 0.0);
        // Same meridian: the exact latitude arc.
        assert_eq!(distance(5.0, 0.0, 5.0, 1.0), lat_distance(0.0, 1.0));
        // Antipodes across the antimeridian: half the circumference.
        let half = distance(-180.0, 0.0, 0.0, 0.0);
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-6);
        assert!(distance(179.9, 0.0, -179.9, 0.0) < 23000.0);
        // Symmetry.
        assert_eq!(distance(1.0, 2.0, 3.0, 4.0), distance(3.0, 4.0, 1.0, 2.0));
        assert!(in_box(1000.0, 1000.0, 0.0, 0.0, 0.0, 0.001).is_some());
        assert!(in_box(100.0, 1000.0, 0.0, 0.0, 0.001, 0.0).is_none());
        assert!(in_box(1000.0, 100.0, 0.0, 0.0, 0.0, 0.001).is_none());
    }
}
