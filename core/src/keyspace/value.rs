//! The values a key can hold, with the encodings OBJECT ENCODING reports.

use crate::types::{hash::Hash, list::List, set::Set, stream::Stream, zset::ZSet};
use crate::util::num::parse_i64;

pub use super::db::thin::{Str, STR_INLINE};

/// Strings up to this length are "embstr" in Redis (one allocation with the object header).
pub const EMBSTR_MAX: usize = 44;

/// A value stored under a key: 16 bytes (`Str`'s first byte carries the discriminant; see
/// `db/thin.rs`), so that an [`Entry`](super::Entry) is 32.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string that is the canonical form of a 64-bit integer (encoding "int").
    Int(i64),
    /// A string as set whole (encoding "embstr" up to 44 bytes, else "raw"). Inline up to
    /// [`STR_INLINE`] bytes, else in one exact-size allocation.
    Str(Str),
    /// A string modified in place by APPEND/SETRANGE (encoding "raw", growable).
    // Boxed so that `Value` stays 16 bytes: only strings grown in place pay the indirection.
    Raw(Box<Vec<u8>>),
    /// A list. Collections are boxed for the same reason: `Value` stays 16 bytes.
    List(Box<List>),
    /// A hash.
    Hash(Box<Hash>),
    /// A set.
    Set(Box<Set>),
    /// A sorted set.
    ZSet(Box<ZSet>),
    /// A stream.
    Stream(Box<Stream>),
}

impl Value {
    /// A string value, stored as an integer when Redis would (`SET k 123` → "int").
    pub fn string(bytes: &[u8]) -> Value {
        if bytes.len() <= 20 {
            if let Some(n) = parse_i64(bytes) {
                return Value::Int(n);
            }
        }
        Value::Str(Str::new(bytes))
    }

    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// Whether this is a string value.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Str(_) | Value::Raw(_))
    }

    /// The string bytes, formatting integers into `scratch`; None for non-strings.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(scratch.format(*n).as_bytes()),
            Value::Str(s) => Some(s),
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// Length in bytes of a string value (STRLEN), None for non-strings.
    pub fn string_len(&self) -> Option<usize> {
        match self {
            Value::Int(n) => Some(itoa::Buffer::new().format(*n).len()),
            Value::Str(s) => Some(s.len()),
            Value::Raw(v) => Some(v.len()),
            _ => None,
        }
    }

    /// The value as an owned growable byte string (APPEND/SETRANGE start from this).
    pub fn to_vec(&self) -> Option<Vec<u8>> {
        let mut tmp = itoa::Buffer::new();
        self.as_bytes(&mut tmp).map(|b| b.to_vec())
    }
}
