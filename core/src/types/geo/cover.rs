//! Which geohash cells a search scans: a precision (step) estimated from the search's reach,
//! the centre's cell and its eight neighbours at that step, one step coarser when a neighbour
//! would not reach the bounding box's edge, and the neighbours that cannot hold a match
//! dropped. All as Redis decides it, so the same cells are scanned in the same order.

use super::geohash::{decode_wgs84, encode_wgs84, neighbours, Area, Hash, Neighbours};
use super::shape::Shape;

/// Half the Earth's circumference in Web Mercator metres: a search this wide needs step 1.
const MERCATOR_MAX: f64 = 20037726.37;

/// The step whose cells are about as large as a search of `range_m` metres at `lat` needs.
pub fn estimate_step(mut range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    // Bounded: an infinite or NaN range leaves the loop at once (a NaN compares false), and
    // doubling any finite range passes MERCATOR_MAX within ~1100 rounds.
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    // Meridians converge towards the poles, so cells there are narrower than they are tall.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The cells to scan, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW. Dropped
/// neighbours are the zero `Hash`.
pub fn cells(shape: &Shape) -> [Hash; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let [long, lat] = shape.center;
    let mut step = estimate_step(shape.reach_m(), lat);
    let (mut hash, mut near, mut area) = at_step(long, lat, step);
    // Near a cell's edge the estimated step can leave part of the bounding box outside the
    // nine cells: then one step coarser.
    let reach = |h: Hash| decode_wgs84(h);
    let short = reach(near.north).is_some_and(|a| a.lat.max < max_lat)
        || reach(near.south).is_some_and(|a| a.lat.min > min_lat)
        || reach(near.east).is_some_and(|a| a.long.max < max_lon)
        || reach(near.west).is_some_and(|a| a.long.min > min_lon);
    if step > 1 && short {
        step -= 1;
        (hash, near, area) = at_step(long, lat, step);
    }
    if step >= 2 {
        if let Some(a) = area {
            let zero = Hash::default();
            if a.lat.min < min_lat {
                (near.south, near.south_west, near.south_east) = (zero, zero, zero);
            }
            if a.lat.max > max_lat {
                (near.north, near.north_east, near.north_west) = (zero, zero, zero);
            }
            if a.long.min < min_lon {
                (near.west, near.south_west, near.north_west) = (zero, zero, zero);
            }
            if a.long.max > max_lon {
                (near.east, near.south_east, near.north_east) = (zero, zero, zero);
            }
        }
    }
    [
        hash,
        near.north,
        near.south,
        near.east,
        near.west,
        near.north_east,
        near.north_west,
        near.south_east,
        near.south_west,
    ]
}

/// The centre's cell at `step`, its neighbours and its extent.
fn at_step(long: f64, lat: f64, step: u8) -> (Hash, Neighbours, Option<Area>) {
    // The centre was validated against the limits, so it always encodes.
    let hash = encode_wgs84(long, lat, step).unwrap_or(Hash { bits: 0, step });
    (hash, neighbours(hash), decode_wgs84(hash))
}

/// The score range `min..max` (max excluded) of the points inside `cell`.
pub fn score_range(cell: Hash) -> (f64, f64) {
    let next = Hash {
        bits: cell.bits.wrapping_add(1),
        step: cell.step,
    };
    (cell.align52() as f64, next.align52() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::geo::shape::Extent;

    #[test]
    fn steps() {
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1.0, 0.0), 24);
        assert_eq!(estimate_step(1.0, 70.0), 23);
        assert_eq!(estimate_step(1.0, -81.0), 22);
        assert_eq!(estimate_step(5_000_000.0, 0.0), 2);
        assert_eq!(estimate_step(30_000_000.0, 0.0), 1);
        assert_eq!(estimate_step(f64::INFINITY, 0.0), 1);
        assert_eq!(estimate_step(f64::MIN_POSITIVE, 0.0), 26);
    }

    #[test]
    fn nine_cells_around_a_small_circle() {
        let shape = Shape {
            center: [13.361389, 38.115556],
            to_meters: 1000.0,
            extent: Extent::Radius(200.0),
        };
        let cells = cells(&shape);
        assert!(!cells[0].is_zero());
        for c in cells.iter().filter(|c| !c.is_zero()) {
            let (min, max) = score_range(*c);
            assert!(min < max);
        }
    }
}
