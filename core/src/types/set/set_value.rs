//! The `Set` value: an [`IntSet`] while every member is an integer and there are at most
//! set-max-intset-entries of them, a [`Table`] otherwise (and from then on), as Redis 7.0.

use super::intset::IntSet;
use super::table::Table;
use crate::resp::ReplyWriter;
use crate::util::digest::{xor_digest, Digest};
use crate::util::num::parse_i64;
use crate::util::small_bytes::SmallBytes;

/// A set value. 16 bytes: the intset's array pointer doubles as the discriminant.
#[derive(Clone)]
pub enum Set {
    /// Encoding "intset".
    Ints(IntSet),
    /// Encoding "hashtable".
    Table(Box<Table>),
}

/// A member as stored: an integer of an intset or the bytes of a table member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRef<'a> {
    /// An intset element.
    Int(i64),
    /// A table member.
    Bytes(&'a [u8]),
}

/// A member taken out of a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owned {
    /// From an intset.
    Int(i64),
    /// From a table.
    Bytes(SmallBytes),
}

impl<'a> MemberRef<'a> {
    /// The member's bytes (integers formatted into `buf`).
    pub fn bytes<'b>(&self, buf: &'b mut itoa::Buffer) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            MemberRef::Int(v) => buf.format(v).as_bytes(),
            MemberRef::Bytes(b) => b,
        }
    }

    /// Writes the member as a bulk string.
    pub fn reply(&self, out: &mut ReplyWriter) {
        match *self {
            MemberRef::Int(v) => out.bulk_i64(v),
            MemberRef::Bytes(b) => out.bulk(b),
        }
    }
}

impl Owned {
    /// A borrowed view.
    pub fn as_ref(&self) -> MemberRef<'_> {
        match self {
            Owned::Int(v) => MemberRef::Int(*v),
            Owned::Bytes(b) => MemberRef::Bytes(b),
        }
    }
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl Set {
    /// An empty set in the intset encoding: Redis starts every set there and converts on the
    /// first non-integer member.
    pub fn new() -> Self {
        Set::Ints(IntSet::new())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Table(t) => t.len(),
        }
    }

    /// Whether there are no elements (an empty collection is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Whether `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_i64(m).is_some_and(|v| s.contains(v)),
            Set::Table(t) => t.contains(m),
        }
    }

    /// Whether the member `m` of another set is also one of this set.
    pub fn contains_ref(&self, m: MemberRef) -> bool {
        match (self, m) {
            (Set::Ints(s), MemberRef::Int(v)) => s.contains(v),
            (_, MemberRef::Bytes(b)) => self.contains(b),
            (Set::Table(t), MemberRef::Int(v)) => {
                t.contains(itoa::Buffer::new().format(v).as_bytes())
            }
        }
    }

    /// Turns an intset into a table (for good: Redis never converts back).
    fn make_table(&mut self) -> &mut Table {
        if let Set::Ints(s) = self {
            let mut t = Table::new();
            let mut buf = itoa::Buffer::new();
            for v in s.iter() {
                t.insert(buf.format(v).as_bytes());
            }
            *self = Set::Table(Box::new(t));
        }
        match self {
            Set::Table(t) => t,
            Set::Ints(_) => unreachable!("converted just above"),
        }
    }

    /// Adds `m`; false if it was present. `max_intset` is set-max-intset-entries: an intset
    /// that grows past it, or meets a non-integer, becomes a table.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        if let Set::Table(t) = self {
            return t.insert(m);
        }
        match parse_i64(m) {
            Some(v) => self.add_int_to_ints(v, max_intset),
            None => self.make_table().insert(m),
        }
    }

    /// Adds a member taken from another set.
    pub fn add_ref(&mut self, m: MemberRef, max_intset: usize) -> bool {
        match m {
            MemberRef::Bytes(b) => self.add(b, max_intset),
            MemberRef::Int(v) => match self {
                Set::Ints(_) => self.add_int_to_ints(v, max_intset),
                Set::Table(t) => t.insert(itoa::Buffer::new().format(v).as_bytes()),
            },
        }
    }

    /// Adds an integer to an intset-encoded set, converting past the size limit.
    fn add_int_to_ints(&mut self, v: i64, max_intset: usize) -> bool {
        let Set::Ints(s) = self else {
            return false;
        };
        if !s.insert(v) {
            return false;
        }
        if s.len() > max_intset {
            self.make_table();
        }
        true
    }

    /// Removes `m`; false if it was absent.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_i64(m).is_some_and(|v| s.remove(v)),
            Set::Table(t) => t.remove(m),
        }
    }

    /// Removes a member taken from another set.
    pub fn remove_ref(&mut self, m: MemberRef) -> bool {
        match (self, m) {
            (Set::Ints(s), MemberRef::Int(v)) => s.remove(v),
            (Set::Ints(s), MemberRef::Bytes(b)) => parse_i64(b).is_some_and(|v| s.remove(v)),
            (Set::Table(t), MemberRef::Bytes(b)) => t.remove(b),
            (Set::Table(t), MemberRef::Int(v)) => {
                t.remove(itoa::Buffer::new().format(v).as_bytes())
            }
        }
    }

    /// The member at position `idx` (`< len`): sorted position in an intset, table position
    /// otherwise. Used for uniform random picks.
    pub fn get_index(&self, idx: usize) -> Option<MemberRef<'_>> {
        match self {
            Set::Ints(s) => (idx < s.len()).then(|| MemberRef::Int(s.get(idx))),
            Set::Table(t) => t.get_index(idx).map(MemberRef::Bytes),
        }
    }

    /// Removes and returns the member at position `idx` (see [`Set::get_index`]).
    pub fn remove_index(&mut self, idx: usize) -> Option<Owned> {
        match self {
            Set::Ints(s) => (idx < s.len()).then(|| Owned::Int(s.remove_at(idx))),
            Set::Table(t) => t.remove_index(idx).map(Owned::Bytes),
        }
    }

    /// Every member: ascending for an intset, by position for a table.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Ints(s) => Iter::Ints(s, 0),
            Set::Table(t) => Iter::Table(t, 0),
        }
    }

    /// Mixes the elements into `d` as Redis's xorObjectDigest does for a set: each member's
    /// text xored in, so the order does not matter.
    pub fn digest(&self, d: &mut Digest) {
        let mut buf = itoa::Buffer::new();
        for m in self.iter() {
            xor_digest(d, m.bytes(&mut buf));
        }
    }
}

/// Iterator over a set's members (see [`Set::iter`]).
pub enum Iter<'a> {
    /// Over an intset, at a position.
    Ints(&'a IntSet, usize),
    /// Over a table, at a position.
    Table(&'a Table, usize),
}

impl<'a> Iterator for Iter<'a> {
    type Item = MemberRef<'a>;

    fn next(&mut self) -> Option<MemberRef<'a>> {
        match self {
            Iter::Ints(s, i) => {
                if *i >= s.len() {
                    return None;
                }
                *i += 1;
                Some(MemberRef::Int(s.get(*i - 1)))
            }
            Iter::Table(t, i) => {
                let m = t.get_index(*i)?;
                *i += 1;
                Some(MemberRef::Bytes(m))
            }
        }
    }
}

impl PartialEq for Set {
    /// Same members, whatever the encoding or order.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_ref(m))
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = itoa::Buffer::new();
        let mut set = f.debug_set();
        for m in self.iter() {
            set.entry(&String::from_utf8_lossy(m.bytes(&mut buf)));
        }
        set.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{MemberRef, Set};

    #[test]
    fn layout_is_two_words() {
        assert_eq!(std::mem::size_of::<Set>(), 16);
    }

    #[test]
    fn intset_until_non_integer() {
        let mut s = Set::new();
        assert!(s.add(b"3", 512));
        assert!(s.add(b"-1", 512));
        assert!(!s.add(b"3", 512));
        assert_eq!(s.encoding(), "intset");
        // Not canonical integers: these are strings.
        assert!(!s.contains(b"03") && !s.contains(b"+3"));
        assert!(s.add(b"03", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"3") && s.contains(b"-1") && s.contains(b"03"));
        assert!(s.remove(b"03"));
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn intset_past_limit_converts() {
        let mut s = Set::new();
        for i in 0..4 {
            s.add(i.to_string().as_bytes(), 4);
        }
        assert_eq!(s.encoding(), "intset");
        s.add(b"4", 4);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 5);
        assert!(s.contains_ref(MemberRef::Int(4)));
    }

    #[test]
    fn equality_ignores_encoding() {
        let mut a = Set::new();
        let mut b = Set::new();
        for i in 0..3 {
            a.add(i.to_string().as_bytes(), 512);
            b.add(i.to_string().as_bytes(), 1);
        }
        assert_eq!(a.encoding(), "intset");
        assert_eq!(b.encoding(), "hashtable");
        assert_eq!(a, b);
    }

    #[test]
    fn remove_index_and_iter() {
        let mut s = Set::new();
        for m in [&b"x"[..], b"y", b"z"] {
            s.add(m, 512);
        }
        let got = s.remove_index(0);
        assert!(got.is_some());
        assert_eq!(s.len(), 2);
        assert_eq!(s.iter().count(), 2);
        assert!(s.remove_index(5).is_none());
    }
}
