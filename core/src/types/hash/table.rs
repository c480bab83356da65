//! The table ("hashtable") form of a hash: a positional table of field/value pairs.
//!
//! Pairs are appended on insert and removed with `swap_remove`, so they only ever move to
//! lower positions: what HSCAN's top-down cursor needs (see `types::scan_args`), and O(1)
//! random access for HRANDFIELD.

use crate::keyspace::table::{KeyTable, Keyed, TableEntry};
use crate::keyspace::KeyHasher;
use crate::util::small_bytes::SmallBytes;

/// One field and its value (short strings inline).
#[derive(Clone)]
pub struct Pair {
    /// The field.
    pub field: SmallBytes,
    /// The value.
    pub value: SmallBytes,
}

impl Keyed for Pair {
    #[inline]
    fn key(&self) -> &[u8] {
        &self.field
    }
}

/// A large hash: field → value, stored densely by position.
#[derive(Clone)]
pub struct Table {
    pairs: KeyTable<Pair>,
}

impl Table {
    /// An empty table hashing with `seed`.
    pub fn new(seed: u64) -> Table {
        Table {
            pairs: KeyTable::with_hasher(KeyHasher::with_seed(seed)),
        }
    }

    /// Number of pairs.
    #[inline]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.pairs.get(field).map(|p| &p.value[..])
    }

    /// The pair at position `idx`.
    pub fn get_index(&self, idx: usize) -> Option<(&[u8], &[u8])> {
        self.pairs
            .get_index(idx)
            .map(|p| (&p.field[..], &p.value[..]))
    }

    /// Sets `field` to `value` with one lookup; true if the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.pairs.entry(field) {
            TableEntry::Occupied(mut o) => {
                o.get_mut().value = SmallBytes::new(value);
                false
            }
            TableEntry::Vacant(v) => {
                v.insert(Pair {
                    field: SmallBytes::new(field),
                    value: SmallBytes::new(value),
                });
                true
            }
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        self.pairs.swap_remove(field).is_some()
    }

    /// Every pair, by position, as stored.
    pub fn pairs(&self) -> std::slice::Iter<'_, Pair> {
        self.pairs.iter()
    }

    /// Every pair, by position.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.pairs.iter().map(|p| (&p.field[..], &p.value[..]))
    }
}

impl PartialEq for Table {
    /// Same pairs, in any order.
    fn eq(&self, other: &Table) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::debug_pairs(f, self.iter())
    }
}
