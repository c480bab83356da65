//! Operations on a whole HLL value, whichever its encoding: raising a register (promoting a
//! sparse value to dense when Redis would), counting, merging into a register array.

use super::layout::{self, Encoding, HllError, HDR, REGISTERS};
use super::{dense, estimate, sparse};

/// Raises register `index` of the HLL `v` to `count`; whether it changed. A sparse value
/// that cannot hold the change becomes dense first (Redis's hllSparseSet / hllDenseSet: the
/// sparse path invalidates the cached cardinality itself, the dense path leaves it to the
/// caller).
pub fn raise(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, HllError> {
    if layout::encoding(v) == Encoding::Sparse {
        match sparse::set(v, index, count, max_bytes) {
            sparse::SetOutcome::Unchanged => return Ok(false),
            sparse::SetOutcome::Updated => return Ok(true),
            sparse::SetOutcome::Corrupt => return Err(HllError::Corrupt),
            sparse::SetOutcome::Promote => {
                to_dense(v)?;
            }
        }
    }
    Ok(dense::raise(&mut v[HDR..], index, count))
}

/// Converts a sparse HLL to dense in place; whether it was sparse.
pub fn to_dense(v: &mut Vec<u8>) -> Result<bool, HllError> {
    if layout::encoding(v) == Encoding::Dense {
        return Ok(false);
    }
    *v = sparse::to_dense(v).ok_or(HllError::Corrupt)?;
    Ok(true)
}

/// The estimated cardinality of the registers of `v` (the cache is not looked at).
pub fn count(v: &[u8]) -> Result<u64, HllError> {
    let mut hist = [0u32; 64];
    match layout::encoding(v) {
        Encoding::Dense => dense::histogram(&v[HDR..], &mut hist),
        Encoding::Sparse => {
            if !sparse::histogram(&v[HDR..], &mut hist) {
                return Err(HllError::Corrupt);
            }
        }
    }
    Ok(estimate::estimate(&hist))
}

/// `max[i] = max(max[i], register i of v)`.
pub fn merge_into(v: &[u8], max: &mut [u8; REGISTERS]) -> Result<(), HllError> {
    match layout::encoding(v) {
        Encoding::Dense => dense::merge_into(&v[HDR..], max),
        Encoding::Sparse => {
            if !sparse::merge_into(&v[HDR..], max) {
                return Err(HllError::Corrupt);
            }
        }
    }
    Ok(())
}
