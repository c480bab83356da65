//! Plain sets as inputs of ZUNION/ZINTER/ZDIFF (each member scores 1). Kept apart so the
//! zset commands depend on the set type only through these two functions.

use crate::types::set::Set;
use crate::util::small_bytes::SmallBytes;

/// The members of `s`, each with score 1.
pub fn members(s: &Set) -> Vec<(SmallBytes, f64)> {
    let mut buf = itoa::Buffer::new();
    s.iter()
        .map(|m| (SmallBytes::new(m.bytes(&mut buf)), 1.0))
        .collect()
}

/// Whether `s` holds `member`.
pub fn contains(s: &Set, member: &[u8]) -> bool {
    s.contains(member)
}
