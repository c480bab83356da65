//! One value in RDB form: the type byte and the body (Redis's rdbSaveObjectType /
//! rdbSaveObject and rdbLoadObject), both directions.
//!
//! Writing picks the RDB type from lode's in-memory encoding, as Redis 7.0 picks it from its
//! own: packed sets/hashes/zsets go out as listpacks or intsets, large ones as plain element
//! lists, lists always as a quicklist of listpack nodes. Reading rebuilds the value through
//! the types' own insertion paths under the configured thresholds, so it lands in the
//! encoding Redis 7.0 would give it (a listpack hash with too many fields becomes a table...),
//! and OBJECT ENCODING survives a round trip.

use super::codec::{put_binary_double, put_int_string, put_len, put_string, score_text, Reader};
use super::listpack::{self, Entry};
use super::{intset, ziplist, Error, Result};
use crate::keyspace::value::Value;
use crate::types::hash::{self, Hash};
use crate::types::list::{End, Fill, List};
use crate::types::set::{IntSet, MemberRef, Set};
use crate::types::zset::{self, ZSet};
use crate::util::num::parse_f64;
use crate::util::small_bytes::SmallBytes;

/// RDB value types (rdb.h). Only the ones lode reads or writes are listed.
pub mod types {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as a plain element sequence (Redis < 3.2).
    pub const LIST: u8 = 1;
    /// A set as a plain member sequence.
    pub const SET: u8 = 2;
    /// A sorted set with scores as text (Redis < 5.0 style).
    pub const ZSET: u8 = 3;
    /// A hash as a plain field/value sequence.
    pub const HASH: u8 = 4;
    /// A sorted set with binary double scores.
    pub const ZSET_2: u8 = 5;
    /// A hash as a zipmap (Redis < 2.6).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist (Redis < 3.2).
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist (Redis < 7.0).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist (Redis < 7.0).
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as a quicklist of ziplists (Redis 3.2 to 6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// A hash as a listpack.
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack.
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as a quicklist of listpack (or plain) nodes.
    pub const LIST_QUICKLIST_2: u8 = 18;
}

/// Quicklist node containers (LIST_QUICKLIST_2).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// The thresholds values are written and rebuilt under (the server's configuration).
pub struct Limits<'a> {
    /// `rdbcompression`: compress strings longer than 20 bytes with LZF.
    pub compress: bool,
    /// `list-max-listpack-size`.
    pub list_fill: Fill,
    /// `set-max-intset-entries`.
    pub set_max_intset: usize,
    /// `hash-max-listpack-entries` / `-value`.
    pub hash: hash::Limits<'a>,
    /// `zset-max-listpack-entries` / `-value`.
    pub zset: zset::Limits,
}

impl Limits<'static> {
    /// Redis 7.0's compiled-in defaults (config.c, not the sample redis.conf), with a fixed hash
    /// seed: for tests and loading without a server.
    pub fn defaults() -> Self {
        Limits {
            compress: true,
            list_fill: Fill::from_config(-2),
            set_max_intset: 512,
            hash: hash::Limits::fixed(512, 64),
            zset: zset::Limits {
                entries: 128,
                value: 64,
            },
        }
    }
}

/// Appends `v`'s type byte and body to `out`.
pub fn encode(out: &mut Vec<u8>, v: &Value, limits: &Limits) {
    let compress = limits.compress;
    match v {
        Value::Int(n) => {
            out.push(types::STRING);
            put_int_string(out, *n);
        }
        Value::Str(s) => {
            out.push(types::STRING);
            put_string(out, s, compress);
        }
        Value::Raw(s) => {
            out.push(types::STRING);
            put_string(out, s, compress);
        }
        Value::List(l) => {
            out.push(types::LIST_QUICKLIST_2);
            encode_list(out, l, limits);
        }
        Value::Set(s) => match &**s {
            Set::Ints(ints) => {
                out.push(types::SET_INTSET);
                let values = s.iter().map(|m| match m {
                    MemberRef::Int(v) => v,
                    MemberRef::Bytes(_) => 0,
                });
                let body = intset::encode(ints.width(), ExactLen(values, s.len()));
                put_string(out, &body, compress);
            }
            Set::Table(_) => {
                out.push(types::SET);
                put_len(out, s.len() as u64);
                let mut buf = itoa::Buffer::new();
                for m in s.iter() {
                    put_string(out, m.bytes(&mut buf), compress);
                }
            }
        },
        Value::ZSet(z) => match &**z {
            ZSet::Packed(_) => {
                out.push(types::ZSET_LISTPACK);
                let mut b = listpack::Builder::new();
                z.for_range(0, z.len(), false, |m, s| {
                    b.push(m);
                    b.push(score_text(s).as_bytes());
                });
                put_string(out, &b.finish(), compress);
            }
            ZSet::Sorted(_) => {
                out.push(types::ZSET_2);
                put_len(out, z.len() as u64);
                // Greatest first, as Redis walks its skiplist from the tail (so a loader's
                // inserts each land at the head).
                z.for_range(0, z.len(), true, |m, s| {
                    put_string(out, m, compress);
                    put_binary_double(out, s);
                });
            }
        },
        Value::Stream(s) => {
            out.push(super::stream::STREAM_LISTPACKS_2);
            super::stream::encode(out, s, compress);
        }
        Value::Hash(h) => match &**h {
            Hash::Packed(_) => {
                out.push(types::HASH_LISTPACK);
                let mut b = listpack::Builder::new();
                for (f, v) in h.iter() {
                    b.push(f);
                    b.push(v);
                }
                put_string(out, &b.finish(), compress);
            }
            Hash::Table(_) => {
                out.push(types::HASH);
                put_len(out, h.len() as u64);
                for (f, v) in h.iter() {
                    put_string(out, f, compress);
                    put_string(out, v, compress);
                }
            }
        },
    }
}

/// An iterator with a known length (intset::encode writes the count first).
struct ExactLen<I>(I, usize);

impl<I: Iterator<Item = i64>> Iterator for ExactLen<I> {
    type Item = i64;
    fn next(&mut self) -> Option<i64> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<I: Iterator<Item = i64>> ExactSizeIterator for ExactLen<I> {}

/// A list as LIST_QUICKLIST_2: node count, then per node its container and a listpack. Nodes
/// are cut where Redis's quicklist cuts a list built by pushes at its tail under
/// `list-max-listpack-size` (a list edited in the middle may be cut differently in Redis; the
/// payload loads the same either way).
fn encode_list(out: &mut Vec<u8>, l: &List, limits: &Limits) {
    let fill = limits.list_fill;
    let mut nodes: Vec<Vec<u8>> = Vec::new();
    let mut b = listpack::Builder::new();
    for e in l.iter() {
        // Redis's _quicklistNodeAllowInsert for a push: the node's listpack bytes plus the
        // element's length plus an 8-byte overestimate must stay within the size limit (and,
        // for a count limit, within 8 KiB and under the count).
        let estimate = b.size() + e.with_bytes(|s| s.len()) + 8;
        if b.count() > 0 && !(estimate <= fill.bytes && b.count() < fill.count) {
            nodes.push(std::mem::take(&mut b).finish());
        }
        match e {
            crate::types::list::Elem::Int(v) => b.push_int(v),
            crate::types::list::Elem::Str(s) => b.push(s),
        }
    }
    if b.count() > 0 {
        nodes.push(b.finish());
    }
    put_len(out, nodes.len() as u64);
    for n in &nodes {
        put_len(out, CONTAINER_PACKED);
        put_string(out, n, limits.compress);
    }
}

/// Reads a value of RDB type `ty` from `r`. Every structure is validated; an empty
/// collection, a duplicate member or field, a NaN score or an unknown type is an error.
pub fn decode(ty: u8, r: &mut Reader, limits: &Limits) -> Result<Value> {
    let v = match ty {
        types::STRING => Value::string(&r.string()?),
        types::LIST => {
            let n = r.count(1)?;
            let mut l = List::new();
            for _ in 0..n {
                l.push(End::Right, &r.string()?, limits.list_fill);
            }
            Value::List(Box::new(l))
        }
        types::LIST_ZIPLIST => {
            let zl = r.string()?;
            let mut l = List::new();
            push_entries(&mut l, &ziplist::decode(&zl)?, limits.list_fill);
            Value::List(Box::new(l))
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = r.count(2)?;
            let mut l = List::new();
            for _ in 0..nodes {
                let container = if ty == types::LIST_QUICKLIST_2 {
                    r.read_len()?
                } else {
                    CONTAINER_PACKED
                };
                let body = r.string()?;
                if body.is_empty() {
                    return Err(Error("empty quicklist node"));
                }
                match container {
                    CONTAINER_PLAIN => l.push(End::Right, &body, limits.list_fill),
                    CONTAINER_PACKED if ty == types::LIST_QUICKLIST => {
                        push_entries(&mut l, &ziplist::decode(&body)?, limits.list_fill)
                    }
                    CONTAINER_PACKED => {
                        push_entries(&mut l, &listpack::decode(&body)?, limits.list_fill)
                    }
                    _ => return Err(Error("bad quicklist container")),
                }
            }
            Value::List(Box::new(l))
        }
        types::SET => {
            let n = r.count(1)?;
            let mut s = Set::new();
            for _ in 0..n {
                if !s.add(&r.string()?, limits.set_max_intset) {
                    return Err(Error("duplicate set member"));
                }
            }
            Value::Set(Box::new(s))
        }
        types::SET_INTSET => {
            let body = r.string()?;
            let (width, values) = intset::decode(&body)?;
            // Kept as is (its width included) within set-max-intset-entries, else a table, as
            // Redis 7.0's loader does.
            let s = if values.len() <= limits.set_max_intset {
                Set::Ints(IntSet::from_sorted(width, &values).ok_or(Error("bad intset"))?)
            } else {
                let mut s = Set::new();
                let mut buf = itoa::Buffer::new();
                for v in values {
                    s.add(buf.format(v).as_bytes(), 0);
                }
                s
            };
            Value::Set(Box::new(s))
        }
        types::ZSET | types::ZSET_2 => {
            let n = r.count(2)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.string()?;
                let score = if ty == types::ZSET_2 {
                    r.binary_double()?
                } else {
                    r.text_double()?
                };
                pairs.push((SmallBytes::new(&m), score));
            }
            zset_from_pairs(pairs, limits.zset)?
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let body = r.string()?;
            let entries = if ty == types::ZSET_LISTPACK {
                listpack::decode(&body)?
            } else {
                ziplist::decode(&body)?
            };
            if entries.len() % 2 != 0 {
                return Err(Error("odd zset listpack"));
            }
            let mut pairs = Vec::with_capacity(entries.len() / 2);
            for p in entries.chunks_exact(2) {
                let score = match p[1] {
                    Entry::Int(v) => v as f64,
                    Entry::Str(s) => parse_f64(s).ok_or(Error("bad score"))?,
                };
                pairs.push((SmallBytes::new(&p[0].to_vec()), score));
            }
            // A packed zset converts on its entry count only (not member length), as in
            // Redis 7.0's loader.
            let packed = zset::Limits {
                entries: limits.zset.entries,
                value: usize::MAX,
            };
            zset_from_pairs(pairs, packed)?
        }
        types::HASH => {
            let n = r.count(2)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let f = r.string()?;
                let v = r.string()?;
                pairs.push((f, v));
            }
            hash_from_pairs(pairs, &limits.hash)?
        }
        types::HASH_ZIPMAP => hash_from_pairs(ziplist::decode_zipmap(&r.string()?)?, &limits.hash)?,
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let body = r.string()?;
            let entries = if ty == types::HASH_LISTPACK {
                listpack::decode(&body)?
            } else {
                ziplist::decode(&body)?
            };
            if entries.len() % 2 != 0 {
                return Err(Error("odd hash listpack"));
            }
            let pairs = entries
                .chunks_exact(2)
                .map(|p| (p[0].to_vec(), p[1].to_vec()))
                .collect();
            // Converts on the entry count only, as Redis 7.0's loader does for packed hashes.
            hash_from_pairs(pairs, &limits.hash.with_value(usize::MAX))?
        }
        6 | 7 => return Err(Error("module values (RDB type 6/7) are not supported")),
        super::stream::STREAM_LISTPACKS
        | super::stream::STREAM_LISTPACKS_2
        | super::stream::STREAM_LISTPACKS_3 => {
            Value::Stream(Box::new(super::stream::decode(ty, r)?))
        }
        _ => return Err(Error("unknown RDB value type")),
    };
    let empty = match &v {
        Value::List(l) => l.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::ZSet(z) => z.is_empty(),
        Value::Hash(h) => h.is_empty(),
        _ => false,
    };
    if empty {
        return Err(Error("empty collection"));
    }
    Ok(v)
}

/// Appends decoded container entries to a list.
fn push_entries(l: &mut List, entries: &[Entry], fill: Fill) {
    let mut buf = itoa::Buffer::new();
    for e in entries {
        let bytes = match *e {
            Entry::Str(s) => s,
            Entry::Int(v) => buf.format(v).as_bytes(),
        };
        l.push(End::Right, bytes, fill);
    }
}

/// A sorted set from loaded pairs, refusing NaN scores and duplicate members.
fn zset_from_pairs(pairs: Vec<(SmallBytes, f64)>, limits: zset::Limits) -> Result<Value> {
    if pairs.iter().any(|p| p.1.is_nan()) {
        return Err(Error("NaN score"));
    }
    let mut seen = std::collections::HashSet::with_capacity(pairs.len());
    if !pairs.iter().all(|p| seen.insert(&p.0[..])) {
        return Err(Error("duplicate zset member"));
    }
    let z = ZSet::from_pairs(pairs, limits);
    Ok(Value::ZSet(Box::new(z)))
}

/// A hash from loaded pairs, refusing duplicate fields.
fn hash_from_pairs(pairs: Vec<(Vec<u8>, Vec<u8>)>, limits: &hash::Limits) -> Result<Value> {
    let mut h = Hash::default();
    for (f, v) in &pairs {
        if !h.insert(f, v, limits) {
            return Err(Error("duplicate hash field"));
        }
    }
    Ok(Value::Hash(Box::new(h)))
}
