//! The `ZSet` value type (placeholder until the type is implemented).

use crate::admin::digest::Digest;

/// A sorted-set value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSet {}

impl ZSet {
    /// Number of elements.
    pub fn len(&self) -> usize {
        0
    }

    /// Whether there are no elements (an empty collection is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Mixes the elements into `d` as Redis's xorObjectDigest does for this type.
    pub fn digest(&self, _d: &mut Digest) {}
}
