//! `Table`: the "hashtable" encoding, a positional hash set of byte strings.
//!
//! Built on [`KeyTable`]: members sit densely in a `Vec` (24-byte `SmallBytes`, inline up to
//! 22 bytes) with a hashbrown index of `u32` positions, so a 12-byte member costs ~24 bytes
//! of slot plus ~6 of index instead of Redis's dictEntry, sds and bucket pointer (~56). The
//! positional layout gives SPOP/SRANDMEMBER an O(1) uniform pick (random position) and SSCAN
//! its top-down cursor: members only move down (append on insert, `swap_remove` on delete).

use std::sync::OnceLock;

use crate::keyspace::table::{KeyTable, Keyed, TableEntry};
use crate::keyspace::KeyHasher;
use crate::util::small_bytes::SmallBytes;

/// One member; a newtype so the table can hash its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Member(pub SmallBytes);

impl Keyed for Member {
    fn key(&self) -> &[u8] {
        &self.0
    }
}

/// The hash seed shared by every set table, random per process so that members cannot be
/// chosen to collide. Replies never depend on it: iteration follows positions, not hashes.
fn hasher() -> KeyHasher {
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0x5e7_u64)
    });
    KeyHasher::with_seed(seed)
}

/// A hash set of byte strings with positional access.
#[derive(Clone)]
pub struct Table {
    members: KeyTable<Member>,
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table {
            members: KeyTable::with_hasher(hasher()),
        }
    }

    /// Number of members.
    #[inline]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether `m` is a member.
    #[inline]
    pub fn contains(&self, m: &[u8]) -> bool {
        self.members.get_index_of(m).is_some()
    }

    /// Adds `m`; false if it was already present.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        match self.members.entry(m) {
            TableEntry::Occupied(_) => false,
            TableEntry::Vacant(v) => {
                v.insert(Member(SmallBytes::new(m)));
                true
            }
        }
    }

    /// Removes `m`; false if it was absent. The last member moves into its place.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.members.entry(m) {
            TableEntry::Occupied(o) => {
                o.swap_remove();
                true
            }
            TableEntry::Vacant(_) => false,
        }
    }

    /// The member at position `idx`, if any.
    #[inline]
    pub fn get_index(&self, idx: usize) -> Option<&[u8]> {
        self.members.get_index(idx).map(|m| &m.0[..])
    }

    /// Removes and returns the member at position `idx` (the last one moves into its place).
    pub fn remove_index(&mut self, idx: usize) -> Option<SmallBytes> {
        let m = self.members.get_index(idx)?.0.clone();
        self.members.swap_remove(&m).map(|m| m.0)
    }

    /// The members by position.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.members.iter().map(|m| &m.0[..])
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn insert_remove_positions() {
        let mut t = Table::new();
        assert!(t.insert(b"a"));
        assert!(t.insert(b"b"));
        assert!(t.insert(b"c"));
        assert!(!t.insert(b"b"));
        assert!(t.remove(b"a"));
        // The last member moved down into the hole.
        assert_eq!(t.get_index(0), Some(&b"c"[..]));
        assert_eq!(t.remove_index(1).as_deref(), Some(&b"b"[..]));
        assert_eq!(t.len(), 1);
        assert!(t.contains(b"c") && !t.contains(b"b"));
        assert!(!t.remove(b"zz"));
    }
}
