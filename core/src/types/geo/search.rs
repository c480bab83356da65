//! The area search: the score ranges of the nine cells (`cover`) walked in the sorted set's
//! own order, each point tested against the shape, matches gathered into a buffer each
//! worker thread reuses from one search to the next.

use std::cell::RefCell;

use super::cover::{cells, score_range};
use super::shape::Shape;
use crate::types::zset::ZSet;

/// A point found by a search.
#[derive(Clone, Copy, Debug)]
pub struct Found {
    /// Decoded `[longitude, latitude]`.
    pub pos: [f64; 2],
    /// Distance from the centre, in metres until the reply converts it.
    pub dist: f64,
    /// The stored score (its geohash).
    pub score: f64,
    /// Where its member's bytes are in [`Matches::names`].
    name: (u32, u32),
}

/// What a search found, in scan order: the points and, side by side, their members' bytes
/// (copied, so the set may be written to, as a STORE into the source key does, while they are
/// in use).
#[derive(Default)]
pub struct Matches {
    /// The points.
    pub found: Vec<Found>,
    names: Vec<u8>,
}

impl Matches {
    /// The member of `f`.
    pub fn name(&self, f: &Found) -> &[u8] {
        let (start, len) = (f.name.0 as usize, f.name.1 as usize);
        &self.names[start..start + len]
    }

    fn push(&mut self, member: &[u8], score: f64, pos: [f64; 2], dist: f64) {
        // The buffers are capped far below 4 GiB by the largest reply a set can produce;
        // saturating keeps a pathological case from wrapping silently.
        let start = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(member.len()).unwrap_or(u32::MAX);
        self.names.extend_from_slice(member);
        self.found.push(Found {
            pos,
            dist,
            score,
            name: (start, len),
        });
    }

    fn clear(&mut self) {
        self.found.clear();
        self.names.clear();
    }
}

thread_local! {
    /// The reused match buffer of this thread.
    static SCRATCH: RefCell<Matches> = RefCell::new(Matches::default());
}

/// Buffers larger than this are dropped after use rather than kept for the next search.
const KEEP_BYTES: usize = 1 << 20;

/// This thread's match buffer, empty (left with an empty one until [`recycle`]d).
pub fn take_matches() -> Matches {
    SCRATCH.with(|cell| cell.take())
}

/// Returns a buffer from [`take_matches`] for the next search, unless it grew too large to
/// keep around.
pub fn recycle(mut m: Matches) {
    let size = m.found.capacity() * std::mem::size_of::<Found>() + m.names.capacity();
    if size <= KEEP_BYTES {
        m.clear();
        SCRATCH.with(|cell| cell.replace(m));
    }
}

/// Appends to `out` the points of `z` inside `shape`, scanning its cells in Redis's order and
/// skipping a cell equal to the one scanned just before (huge radii make neighbours
/// coincide). With `limit` (ANY), stops once that many were found.
pub fn search(z: &ZSet, shape: &Shape, limit: Option<usize>, out: &mut Matches) {
    let cells = cells(shape);
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Redis remembers the last scanned cell by index, and index 0 reads as "none", so a
        // neighbour equal to the centre cell is scanned again (duplicates and all).
        if let Some(prev) = last.filter(|&p| p != 0) {
            if cells[prev] == *cell {
                continue;
            }
        }
        let full = |out: &Matches| limit.is_some_and(|l| out.found.len() >= l);
        if full(out) {
            break;
        }
        let (min, max) = score_range(*cell);
        z.for_score_range(min, max, |member, score| {
            if let Some(hit) = shape.test(score) {
                out.push(member, score, hit.pos, hit.dist);
            }
            !full(out)
        });
        last = Some(i);
    }
}
