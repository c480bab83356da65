//! Stream entry IDs: `<ms>-<seq>`, two unsigned 64-bit numbers ordered as one 128-bit number,
//! parsed as Redis parses them (its strtoull fallback included, so `+5` and `007` are ids).

use std::fmt;

use crate::util::num::parse_i64;

/// A stream entry ID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence within the millisecond.
    pub seq: u64,
}

/// An ID argument where `-` and `+` are not allowed (Redis's strict parse).
pub fn strict_id(arg: &[u8]) -> Option<ParsedId> {
    match ParsedId::parse(arg)? {
        ParsedId::Min | ParsedId::Max => None,
        p => Some(p),
    }
}

/// A complete ID argument, strictly parsed (a missing sequence is 0; no `-`, `+` or `ms-*`).
pub fn strict(arg: &[u8]) -> Option<StreamId> {
    strict_id(arg)?.with_seq(0)
}

/// A complete ID argument where `-` and `+` stand for the smallest and largest IDs.
pub fn loose(arg: &[u8]) -> Option<StreamId> {
    ParsedId::parse(arg)?.with_seq(0)
}

/// Redis's error for any unparsable ID.
pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

impl StreamId {
    /// The smallest ID, `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID, what `+` stands for.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An ID.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID, None after MAX.
    pub fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => self.ms.checked_add(1).map(|ms| StreamId::new(ms, 0)),
        }
    }

    /// The previous ID, None before MIN.
    pub fn prev(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => self.ms.checked_sub(1).map(|ms| StreamId::new(ms, u64::MAX)),
        }
    }

    /// The ID as the 16 big-endian bytes Redis keys its radix tree (and RDB nodes) with.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// The ID from 16 big-endian bytes.
    pub fn from_be_bytes(b: [u8; 16]) -> StreamId {
        let (ms, seq) = b.split_at(8);
        let word = |s: &[u8]| u64::from_be_bytes(s.try_into().unwrap_or([0; 8]));
        StreamId::new(word(ms), word(seq))
    }

    /// Formats the ID into `buf` (up to 41 bytes) and returns the text.
    pub fn write(self, buf: &mut [u8; 41]) -> &[u8] {
        let mut n = 0;
        for (i, part) in [self.ms, self.seq].into_iter().enumerate() {
            if i == 1 {
                buf[n] = b'-';
                n += 1;
            }
            let mut tmp = itoa::Buffer::new();
            let s = tmp.format(part).as_bytes();
            buf[n..n + s.len()].copy_from_slice(s);
            n += s.len();
        }
        &buf[..n]
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An ID argument as parsed, before the command decides what a missing sequence means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParsedId {
    /// `-`
    Min,
    /// `+`
    Max,
    /// `<ms>` alone.
    Ms(u64),
    /// `<ms>-*` (XADD only).
    MsAuto(u64),
    /// `<ms>-<seq>`.
    Full(StreamId),
}

impl ParsedId {
    /// Parses an ID argument. Redis copies it into a 128-byte C buffer, so longer ones are
    /// invalid and an embedded NUL ends it.
    pub fn parse(arg: &[u8]) -> Option<ParsedId> {
        if arg.len() > 127 {
            return None;
        }
        let arg = arg.split(|&b| b == 0).next().unwrap_or(&[]);
        match arg {
            b"-" => return Some(ParsedId::Min),
            b"+" => return Some(ParsedId::Max),
            _ => {}
        }
        match arg.iter().position(|&b| b == b'-') {
            None => Some(ParsedId::Ms(parse_part(arg)?)),
            Some(dash) => {
                let ms = parse_part(&arg[..dash])?;
                let seq = &arg[dash + 1..];
                if seq == b"*" {
                    return Some(ParsedId::MsAuto(ms));
                }
                Some(ParsedId::Full(StreamId::new(ms, parse_part(seq)?)))
            }
        }
    }

    /// The ID with a missing sequence filled in with `missing_seq`, `-`/`+` as MIN/MAX; None
    /// for `ms-*`.
    pub fn with_seq(self, missing_seq: u64) -> Option<StreamId> {
        match self {
            ParsedId::Min => Some(StreamId::MIN),
            ParsedId::Max => Some(StreamId::MAX),
            ParsedId::Ms(ms) => Some(StreamId::new(ms, missing_seq)),
            ParsedId::MsAuto(_) => None,
            ParsedId::Full(id) => Some(id),
        }
    }
}

/// One part of an ID as Redis's string2ull reads it: a strict integer that must not be
/// negative, else whatever C's strtoull accepts whole (leading blanks, a sign, leading zeros;
/// a `-` wraps).
fn parse_part(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    // C's isspace: space, \t, \n, \v, \f, \r.
    let t = &s[s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'..=b'\r'))
        .count()..];
    let (neg, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// A range bound: `-`, `+`, an ID, an incomplete ID, or (when `exclusive_ok`) `(` before an
/// ID for an open interval. `missing_seq` completes `<ms>` (0 for starts, MAX for ends).
/// Returns (id, exclusive).
pub fn parse_bound(arg: &[u8], missing_seq: u64, exclusive_ok: bool) -> Option<(StreamId, bool)> {
    if exclusive_ok && arg.len() > 1 && arg[0] == b'(' {
        let id = match ParsedId::parse(&arg[1..])? {
            ParsedId::Min | ParsedId::Max | ParsedId::MsAuto(_) => return None,
            p => p.with_seq(missing_seq)?,
        };
        return Some((id, true));
    }
    Some((ParsedId::parse(arg)?.with_seq(missing_seq)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_as_redis() {
        assert_eq!(
            ParsedId::parse(b"1-2"),
            Some(ParsedId::Full(StreamId::new(1, 2)))
        );
        assert_eq!(ParsedId::parse(b"5"), Some(ParsedId::Ms(5)));
        assert_eq!(ParsedId::parse(b"5-*"), Some(ParsedId::MsAuto(5)));
        assert_eq!(ParsedId::parse(b"-"), Some(ParsedId::Min));
        assert_eq!(ParsedId::parse(b"+7"), Some(ParsedId::Ms(7)));
        assert_eq!(
            ParsedId::parse(b"007-01"),
            Some(ParsedId::Full(StreamId::new(7, 1)))
        );
        assert_eq!(
            ParsedId::parse(b"18446744073709551615-0"),
            Some(ParsedId::Full(StreamId::new(u64::MAX, 0)))
        );
        assert_eq!(ParsedId::parse(b"18446744073709551616"), None);
        assert_eq!(ParsedId::parse(b"-1"), None);
        assert_eq!(ParsedId::parse(b"x"), None);
        assert_eq!(ParsedId::parse(b"1-"), None);
        assert_eq!(ParsedId::parse(b""), None);
        assert_eq!(
            parse_bound(b"(1-2", 0, true),
            Some((StreamId::new(1, 2), true))
        );
        assert_eq!(parse_bound(b"(-", 0, true), None);
        assert_eq!(parse_bound(b"(", 0, true), None);
        assert_eq!(
            parse_bound(b"3", u64::MAX, true),
            Some((StreamId::new(3, u64::MAX), false))
        );
    }

    #[test]
    fn ids_order_and_step() {
        assert!(StreamId::new(1, 5) < StreamId::new(2, 0));
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        let id = StreamId::new(12, 34);
        assert_eq!(StreamId::from_be_bytes(id.to_be_bytes()), id);
        assert_eq!(id.write(&mut [0; 41]), b"12-34");
    }
}
