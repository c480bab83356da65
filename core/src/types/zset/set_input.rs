//! Plain sets as inputs of ZUNION/ZINTER/ZDIFF (each member scores 1). Kept apart so the
//! zset commands depend on the set type only through these two functions.
//!
//! Written against the placeholder `Set` of this branch, which has no members yet; once the
//! set type lands these become `s.iter()` (member bytes, score 1) and `s.contains(member)`.

use crate::types::set::Set;
use crate::util::small_bytes::SmallBytes;

/// The members of `s`, each with score 1.
pub fn members(s: &Set) -> Vec<(SmallBytes, f64)> {
    let _ = s;
    Vec::new()
}

/// Whether `s` holds `member`.
pub fn contains(s: &Set, member: &[u8]) -> bool {
    let _ = (s, member);
    false
}
