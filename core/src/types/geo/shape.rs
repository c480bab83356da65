//! The area a search covers: a circle (BYRADIUS, GEORADIUS*) or a box (BYBOX) around a centre,
//! its bounding box in degrees, and the test of one stored point against it.

use super::distance::{distance, in_box, rad_deg, EARTH_RADIUS_M};
use super::geohash::decode_score;

/// The extent of a search, in the unit the client gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extent {
    /// A circle of this radius.
    Radius(f64),
    /// A box of this width (east-west) and height (north-south).
    Box {
        /// East-west size.
        width: f64,
        /// North-south size.
        height: f64,
    },
}

/// A search area.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// The centre, `[longitude, latitude]`.
    pub center: [f64; 2],
    /// Metres per unit of `extent` (and of the distances replied).
    pub to_meters: f64,
    /// The circle or box.
    pub extent: Extent,
}

/// A stored point found inside a shape.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    /// Its decoded position.
    pub pos: [f64; 2],
    /// Its distance from the centre, in metres.
    pub dist: f64,
}

impl Shape {
    /// The radius, in metres, of a circle around the centre that holds the whole shape (a
    /// box's half-diagonal), from which the geohash precision of the search is estimated.
    pub fn reach_m(&self) -> f64 {
        let r = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.to_meters
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` in degrees. Longitude spans are
    /// widest on the parallel nearer a pole, so the polar-side edge sets them.
    pub fn bounds(&self) -> [f64; 4] {
        let [long, lat] = self.center;
        let (half_h, half_w) = match self.extent {
            Extent::Radius(r) => (self.to_meters * r, self.to_meters * r),
            Extent::Box { width, height } => (
                self.to_meters * (height / 2.0),
                self.to_meters * (width / 2.0),
            ),
        };
        let lat_delta = rad_deg(half_h / EARTH_RADIUS_M);
        let long_delta =
            |at_lat: f64| rad_deg(half_w / EARTH_RADIUS_M / super::distance::deg_rad(at_lat).cos());
        let long_delta = if lat < 0.0 {
            long_delta(lat - lat_delta)
        } else {
            long_delta(lat + lat_delta)
        };
        [
            long - long_delta,
            lat - lat_delta,
            long + long_delta,
            lat + lat_delta,
        ]
    }

    /// The stored point with score `score`, if it lies inside the shape.
    pub fn test(&self, score: f64) -> Option<Hit> {
        let pos = decode_score(score);
        let [cx, cy] = self.center;
        let dist = match self.extent {
            Extent::Radius(r) => {
                let d = distance(cx, cy, pos[0], pos[1]);
                if d > r * self.to_meters {
                    return None;
                }
                d
            }
            Extent::Box { width, height } => in_box(
                width * self.to_meters,
                height * self.to_meters,
                cx,
                cy,
                pos[0],
                pos[1],
            )?,
        };
        Some(Hit { pos, dist })
    }
}
