//! The `Hash` value: packed while small, a positional table once Redis would convert its
//! listpack to a hashtable (never back, as in Redis).

use super::packed::{self, Packed};
use super::table::{Pair, Table};
use crate::sync::Mutex;
use crate::util::digest::{mix_digest, xor_digest, Digest};

/// Redis refuses to grow a listpack past 1 GiB (lpSafeToAdd) and converts instead.
const PACKED_SAFETY_SIZE: usize = 1 << 30;

/// The conversion thresholds of one command, read once from the configuration.
pub struct Limits<'a> {
    /// hash-max-listpack-entries.
    pub entries: usize,
    /// hash-max-listpack-value.
    pub value: usize,
    /// Seeds a new table's hasher; only locked when a hash converts.
    rng: Option<&'a Mutex<fastrand::Rng>>,
}

impl<'a> Limits<'a> {
    /// Thresholds `entries` and `value`, seeding new tables' hashers from `rng`.
    pub fn new(entries: usize, value: usize, rng: &'a Mutex<fastrand::Rng>) -> Limits<'a> {
        Limits {
            entries,
            value,
            rng: Some(rng),
        }
    }

    /// The same limits with another value-length threshold (loading a listpack hash from an
    /// RDB payload converts on the entry count only, as Redis 7.0 does).
    pub fn with_value(&self, value: usize) -> Limits<'a> {
        Limits {
            entries: self.entries,
            value,
            rng: self.rng,
        }
    }

    /// Fixed thresholds and a fixed hasher seed (unit tests, and loading an RDB file, where no
    /// server's generator is at hand).
    pub fn fixed(entries: usize, value: usize) -> Limits<'static> {
        Limits {
            entries,
            value,
            rng: None,
        }
    }

    fn seed(&self) -> u64 {
        self.rng.map_or(0x5eed, |rng| rng.lock().u64(..))
    }
}

/// A hash value.
#[derive(Clone, Debug, PartialEq)]
pub enum Hash {
    /// Small: one buffer scanned linearly (OBJECT ENCODING "listpack").
    Packed(Packed),
    /// Large: a hash table (OBJECT ENCODING "hashtable").
    Table(Box<Table>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Packed(Packed::default())
    }
}

impl Hash {
    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Packed(p) => p.len(),
            Hash::Table(t) => t.len(),
        }
    }

    /// Whether there are no elements (an empty collection is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Packed(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Mixes the elements into `d` as Redis's xorObjectDigest does for this type: each pair
    /// gets its own digest (field then value mixed into zeros), xored into `d` so the order
    /// of the pairs does not matter.
    pub fn digest(&self, d: &mut Digest) {
        for (field, value) in self.iter() {
            let mut pair = [0u8; 20];
            mix_digest(&mut pair, field);
            mix_digest(&mut pair, value);
            xor_digest(d, &pair);
        }
    }

    /// The value of `field`.
    #[inline]
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Packed(p) => p.get(field),
            Hash::Table(t) => t.get(field),
        }
    }

    /// The pair at position `idx` (constant time in a table, a walk in the packed form).
    pub fn get_index(&self, idx: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Packed(p) => p.get_index(idx),
            Hash::Table(t) => t.get_index(idx),
        }
    }

    /// Every pair: insertion order when packed, table positions otherwise.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Packed(p) => Iter::Packed(p.iter()),
            Hash::Table(t) => Iter::Table(t.pairs()),
        }
    }

    /// Converts to the table form if writing strings of these lengths (`sizes`) would take
    /// the packed form past hash-max-listpack-value (or its 1 GiB safety limit), as Redis's
    /// hashTypeTryConversion does before HSET/HSETNX/HMSET write.
    pub fn prepare_write(&mut self, sizes: impl Iterator<Item = usize>, limits: &Limits) {
        let Hash::Packed(p) = self else { return };
        let mut sum = 0usize;
        for len in sizes {
            if len > limits.value {
                return self.convert(limits);
            }
            sum = sum.saturating_add(len);
        }
        if p.bytes().saturating_add(sum) > PACKED_SAFETY_SIZE {
            self.convert(limits);
        }
    }

    /// Sets `field` to `value`; true if the field is new. Converts to the table form when the
    /// strings are too long for the packed form or the pair count passes the limit.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        if let Hash::Packed(_) = self {
            if field.len() > limits.value || value.len() > limits.value {
                self.convert(limits);
            }
        }
        match self {
            Hash::Packed(p) => {
                let added = p.insert(field, value);
                if p.len() > limits.entries {
                    self.convert(limits);
                }
                added
            }
            Hash::Table(t) => t.insert(field, value),
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Packed(p) => p.remove(field),
            Hash::Table(t) => t.remove(field),
        }
    }

    /// Moves the pairs into a table, keeping their order.
    fn convert(&mut self, limits: &Limits) {
        let Hash::Packed(p) = self else { return };
        let mut table = Table::new(limits.seed());
        for (field, value) in p.iter() {
            table.insert(field, value);
        }
        *self = Hash::Table(Box::new(table));
    }
}

/// The pairs of a [`Hash`].
pub enum Iter<'a> {
    /// Walking the packed buffer.
    Packed(packed::Iter<'a>),
    /// Table pairs by position.
    Table(std::slice::Iter<'a, Pair>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => it.next(),
            Iter::Table(it) => it.next().map(|p| (&p.field[..], &p.value[..])),
        }
    }
}
