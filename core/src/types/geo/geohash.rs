//! The geohash arithmetic Redis stores in sorted-set scores: longitude and latitude each cut
//! into 2^step cells, their cell numbers interleaved bit by bit (latitude in the even bits,
//! longitude in the odd ones), decoding back to a cell's centre, and moving to neighbouring
//! cells. Every operation is done in the same order and width as Redis's, so a score, a
//! decoded coordinate or a neighbour is the same double or integer to the last bit.

/// Longitude limits.
pub const LONG_MIN: f64 = -180.0;
/// Longitude limits.
pub const LONG_MAX: f64 = 180.0;
/// Latitude limits: Web Mercator's (EPSG:3857), which cannot reach the poles.
pub const LAT_MIN: f64 = -85.05112878;
/// Latitude limits.
pub const LAT_MAX: f64 = 85.05112878;
/// The precision of stored points: 26 steps per axis, 52 bits, exact in a double.
pub const STEP_MAX: u8 = 26;

/// A coordinate range an axis is divided over.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// The longitude range of stored points.
pub const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
/// The latitude range of stored points.
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A cell: its interleaved bits at `step` bits per axis. The all-zero value (step 0) stands
/// for "no cell", as Redis marks a neighbour it excluded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hash {
    /// Interleaved cell numbers, `2 * step` bits.
    pub bits: u64,
    /// Bits per axis.
    pub step: u8,
}

impl Hash {
    /// Whether this is the "no cell" marker.
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The bits shifted to a 52-bit score's alignment (a cell's lowest score).
    pub fn align52(self) -> u64 {
        self.bits << (52 - 2 * u32::from(self.step))
    }
}

/// A cell's extent.
#[derive(Clone, Copy, Debug)]
pub struct Area {
    /// Longitude extent.
    pub long: Range,
    /// Latitude extent.
    pub lat: Range,
}

/// Spreads the low 32 bits of `v` to the even bit positions.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bit positions of `v` into the low 32 bits.
fn gather(v: u64) -> u64 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
}

/// Interleaves latitude cell `lat` (even bits) with longitude cell `long` (odd bits).
fn interleave(lat: u32, long: u32) -> u64 {
    spread(lat) | (spread(long) << 1)
}

/// The cell of `(long, lat)` at `step` over the given ranges; None outside the stored limits
/// or the ranges (Redis refuses those too).
pub fn encode(long_r: Range, lat_r: Range, long: f64, lat: f64, step: u8) -> Option<Hash> {
    if step == 0 || step > 32 {
        return None;
    }
    let outside = |v: f64, min: f64, max: f64| v > max || v < min || v.is_nan();
    if outside(long, LONG_MIN, LONG_MAX) || outside(lat, LAT_MIN, LAT_MAX) {
        return None;
    }
    if outside(lat, lat_r.min, lat_r.max) || outside(long, long_r.min, long_r.max) {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * cells;
    let long_off = (long - long_r.min) / (long_r.max - long_r.min) * cells;
    // The offsets are in 0..=2^step, so the conversion truncates exactly as C's does.
    Some(Hash {
        bits: interleave(lat_off as u32, long_off as u32),
        step,
    })
}

/// The stored-point cell of `(long, lat)` (the coordinates must be within the limits).
pub fn encode_wgs84(long: f64, lat: f64, step: u8) -> Option<Hash> {
    encode(LONG_RANGE, LAT_RANGE, long, lat, step)
}

/// The extent of `hash` over the given ranges (None for the "no cell" marker).
pub fn decode(long_r: Range, lat_r: Range, hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = gather(hash.bits) | (gather(hash.bits >> 1) << 32);
    let lat_cell = sep as u32;
    let long_cell = (sep >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    let lat_scale = lat_r.max - lat_r.min;
    let long_scale = long_r.max - long_r.min;
    // `cell + 1` is 32-bit arithmetic in Redis: it wraps for a cell of all ones.
    let edge = |min: f64, cell: u32, scale: f64| min + (f64::from(cell) / cells) * scale;
    Some(Area {
        lat: Range {
            min: edge(lat_r.min, lat_cell, lat_scale),
            max: edge(lat_r.min, lat_cell.wrapping_add(1), lat_scale),
        },
        long: Range {
            min: edge(long_r.min, long_cell, long_scale),
            max: edge(long_r.min, long_cell.wrapping_add(1), long_scale),
        },
    })
}

/// The extent of a stored-point cell.
pub fn decode_wgs84(hash: Hash) -> Option<Area> {
    decode(LONG_RANGE, LAT_RANGE, hash)
}

/// A score as C converts a double to `uint64_t` on x86-64: in-range values truncate, and the
/// out-of-range ones (negative, huge, NaN: any score a client ZADDed) wrap the way the
/// `cvttsd2si` sequence compilers emit does, so GEOPOS of such a member matches Redis.
pub fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let cvtt = |d: f64| -> u64 {
        if (-TWO63..TWO63).contains(&d) {
            d as i64 as u64
        } else {
            1u64 << 63 // the "integer indefinite" value
        }
    };
    if score >= TWO63 {
        cvtt(score - TWO63) ^ (1u64 << 63)
    } else {
        cvtt(score)
    }
}

/// The position a score decodes to: the centre of its 52-bit cell, clamped to the limits.
pub fn decode_score(score: f64) -> [f64; 2] {
    let hash = Hash {
        bits: score_bits(score),
        step: STEP_MAX,
    };
    // A step of 26 is never the "no cell" marker, so decoding cannot fail.
    let area = decode_wgs84(hash).unwrap_or(Area {
        long: LONG_RANGE,
        lat: LAT_RANGE,
    });
    let long = ((area.long.min + area.long.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [long, lat]
}

/// The score GEOADD stores for a position within the limits.
pub fn score_of(long: f64, lat: f64) -> Option<u64> {
    encode_wgs84(long, lat, STEP_MAX).map(Hash::align52)
}

/// Even bits: the latitude's.
const LAT_BITS: u64 = 0x5555_5555_5555_5555;
/// Odd bits: the longitude's.
const LONG_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// Moves one cell along the axis whose bits are `axis` (LONG_BITS: east for `d > 0`, else
/// west; LAT_BITS: north or south), wrapping around at the grid's edge. Filling the other
/// axis's bit positions with ones makes the carry or borrow run across them.
fn move_along(hash: &mut Hash, d: i8, axis: u64) {
    if d == 0 {
        return;
    }
    let shift = 64 - 2 * u32::from(hash.step);
    let other = hash.bits & !axis;
    let mut mine = hash.bits & axis;
    let zz = !axis >> shift;
    mine = if d > 0 {
        mine.wrapping_add(zz + 1)
    } else {
        (mine | zz).wrapping_sub(zz + 1)
    };
    hash.bits = (mine & (axis >> shift)) | other;
}

/// A cell's eight neighbours.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbours {
    /// North.
    pub north: Hash,
    /// South.
    pub south: Hash,
    /// East.
    pub east: Hash,
    /// West.
    pub west: Hash,
    /// North-east.
    pub north_east: Hash,
    /// North-west.
    pub north_west: Hash,
    /// South-east.
    pub south_east: Hash,
    /// South-west.
    pub south_west: Hash,
}

/// The eight cells around `hash` (wrapping at the edges of the grid, as Redis's do).
pub fn neighbours(hash: Hash) -> Neighbours {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        move_along(&mut h, dx, LONG_BITS);
        move_along(&mut h, dy, LAT_BITS);
        h
    };
    Neighbours {
        north: at(0, 1),
        south: at(0, -1),
        east: at(1, 0),
        west: at(-1, 0),
        north_east: at(1, 1),
        north_west: at(-1, 1),
        south_east: at(1, -1),
        south_west: at(-1, -1),
    }
}

/// GEOHASH's 11-character string: the position re-encoded over the standard -90..90 latitude
/// range, 10 base-32 characters of its 52 bits and a final '0' (there is no 53rd-55th bit).
pub fn standard_string(pos: [f64; 2]) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let world = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode(LONG_RANGE, world, pos[0], pos[1], STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for (lat, long) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3FF_FFFF, 0x155_5555),
            (7, 9),
        ] {
            let bits = interleave(lat, long);
            assert_eq!(gather(bits) as u32, lat);
            assert_eq!(gather(bits >> 1) as u32, long);
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
    }

    #[test]
    fn scores_match_redis() {
        // Palermo and Catania, from Redis's GEOADD documentation example.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        assert_eq!(score_of(f64::NAN, 0.0), None);
        // The upper limits are accepted and land one past the last cell, as in Redis.
        assert_eq!(score_of(180.0, 0.0).map(|s| s >> 52), Some(2));
    }

    #[test]
    fn decodes_to_the_cell_centre() {
        let [long, lat] = decode_score(3479099956230698.0);
        assert_eq!(format!("{long:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        let [long, lat] = decode_score(0.0);
        assert!(long > -180.0 && long < -179.99999);
        assert!(lat > -85.06 && lat < -85.05);
        // Garbage scores decode without panicking, clamped to the limits.
        for s in [-1.0, f64::NAN, f64::INFINITY, 1e300, -1e300, 2f64.powi(63)] {
            let [long, lat] = decode_score(s);
            assert!((LONG_MIN..=LONG_MAX).contains(&long));
            assert!((LAT_MIN..=LAT_MAX).contains(&lat));
        }
    }

    #[test]
    fn c_conversion_of_out_of_range_scores() {
        assert_eq!(score_bits(3.7), 3);
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::NAN), 1 << 63);
        assert_eq!(score_bits(-1e300), 1 << 63);
        assert_eq!(score_bits(2f64.powi(63)), 1 << 63);
        assert_eq!(score_bits(1e300), 0);
    }

    #[test]
    fn neighbours_move_one_cell_and_wrap() {
        let h = encode_wgs84(0.0, 0.0, 4).unwrap();
        let a = decode_wgs84(h).unwrap();
        let n = neighbours(h);
        let north = decode_wgs84(n.north).unwrap();
        assert_eq!(north.lat.min, a.lat.max);
        assert_eq!(north.long.min, a.long.min);
        let east = decode_wgs84(n.east).unwrap();
        assert_eq!(east.long.min, a.long.max);
        let sw = decode_wgs84(n.south_west).unwrap();
        assert_eq!(sw.lat.max, a.lat.min);
        assert_eq!(sw.long.max, a.long.min);
        // West of the westmost column is the eastmost one.
        let edge = encode_wgs84(-180.0, 0.0, 3).unwrap();
        let w = decode_wgs84(neighbours(edge).west).unwrap();
        assert_eq!(w.long.max, 180.0);
    }

    #[test]
    fn standard_geohash_strings() {
        let pos = decode_score(3479099956230698.0);
        assert_eq!(&standard_string(pos), b"sqc8b49rny0");
        let pos = decode_score(3479447370796909.0);
        assert_eq!(&standard_string(pos), b"sqdtr74hyu0");
    }
}
