//! `SmallBytes`: an immutable byte string that stores up to 22 bytes inline.
//!
//! Hand-written because it sits in every key and most values: 24 bytes with no heap allocation
//! for short keys and values (Redis's embstr plays the same role), one exact-size allocation
//! otherwise.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

const INLINE: usize = 22;

/// What every immutable byte string type with `new(&[u8])` and `as_slice()` implements alike:
/// it derefs to, compares as, converts from and prints as its bytes. (`SmallBytes` here, and
/// the keyspace's 16-byte `Str`.)
macro_rules! byte_string_traits {
    ($t:ty) => {
        impl std::ops::Deref for $t {
            type Target = [u8];
            #[inline]
            fn deref(&self) -> &[u8] {
                self.as_slice()
            }
        }

        impl AsRef<[u8]> for $t {
            fn as_ref(&self) -> &[u8] {
                self.as_slice()
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.as_slice() == other.as_slice()
            }
        }

        impl Eq for $t {}

        impl From<&[u8]> for $t {
            fn from(b: &[u8]) -> Self {
                <$t>::new(b)
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{:?}", String::from_utf8_lossy(self))
            }
        }
    };
}
pub(crate) use byte_string_traits;

/// A binary-safe immutable byte string, inline when short.
#[derive(Clone)]
pub enum SmallBytes {
    /// Up to 22 bytes stored in place: (length, bytes).
    Inline(u8, [u8; INLINE]),
    /// Longer strings in one exact-size heap allocation.
    Heap(Box<[u8]>),
}

impl SmallBytes {
    /// Copies `bytes` into a new value.
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            SmallBytes::Inline(bytes.len() as u8, data)
        } else {
            SmallBytes::Heap(bytes.into())
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline(len, data) => &data[..*len as usize],
            SmallBytes::Heap(b) => b,
        }
    }

    /// Heap bytes owned beyond the value itself (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline(..) => 0,
            SmallBytes::Heap(b) => b.len(),
        }
    }
}

impl Default for SmallBytes {
    fn default() -> Self {
        SmallBytes::Inline(0, [0; INLINE])
    }
}

byte_string_traits!(SmallBytes);

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Hash for SmallBytes {
    // Must hash exactly like `[u8]` so maps keyed by SmallBytes can be probed with `&[u8]`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_round_trip() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        for len in [0usize, 1, 21, 22, 23, 100] {
            let v: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let s = SmallBytes::new(&v);
            assert_eq!(&*s, &v[..]);
            assert_eq!(matches!(s, SmallBytes::Inline(..)), len <= INLINE);
        }
    }
}
