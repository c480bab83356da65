//! Scores and ranges: parsing a score the way Redis's `string2d` does, score ranges with `(`
//! exclusive bounds and `-inf`/`+inf`, and lex ranges with `[` `(` `-` `+`.

use super::ZSet;
use crate::util::num::parse_f64;

/// The error for a malformed score range bound.
pub const BAD_SCORE_RANGE: &str = "ERR min or max is not a float";
/// The error for a malformed lex range bound.
pub const BAD_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// Parses a score as Redis's `string2d`: the whole text, no leading space, no NaN, and no
/// overflow to infinity or underflow to zero (those are errors, unlike a spelled-out "inf").
pub fn parse_score(s: &[u8]) -> Option<f64> {
    if s.first().is_none_or(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let v = parse_f64(s)?;
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() && !spells_infinity(s) {
        return None;
    }
    if v == 0.0 && has_nonzero_mantissa(s) {
        return None;
    }
    Some(v)
}

/// Parses a range bound's number as `strtod` over the whole text does: overflow is allowed,
/// leading white space is skipped, and an empty text is 0 (nothing converted, nothing left).
fn parse_bound(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let v = parse_f64(&s[start..])?;
    (!v.is_nan()).then_some(v)
}

/// Whether the text names infinity rather than overflowing to it.
fn spells_infinity(s: &[u8]) -> bool {
    let body = s
        .strip_prefix(b"-")
        .or_else(|| s.strip_prefix(b"+"))
        .unwrap_or(s);
    body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity")
}

/// Whether a decimal or hex mantissa has a non-zero digit (so a zero result underflowed).
fn has_nonzero_mantissa(s: &[u8]) -> bool {
    let body = s
        .strip_prefix(b"-")
        .or_else(|| s.strip_prefix(b"+"))
        .unwrap_or(s);
    let (digits, exp_chars): (&[u8], &[u8]) =
        if body.len() > 2 && body[0] == b'0' && matches!(body[1], b'x' | b'X') {
            (&body[2..], b"pP")
        } else {
            (body, b"eE")
        };
    digits
        .iter()
        .take_while(|b| !exp_chars.contains(b))
        .any(|b| b.is_ascii_alphanumeric() && *b != b'0')
}

/// A score range: `min`/`max` with exclusivity flags.
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// `(min`: the bound itself is excluded.
    pub minex: bool,
    /// `(max`: the bound itself is excluded.
    pub maxex: bool,
}

impl ScoreRange {
    /// Parses `min` and `max` (`(` prefix = exclusive).
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, minex) = parse_score_bound(min)?;
        let (max, maxex) = parse_score_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// Whether `s` lies below the range (a prefix of the sorted order).
    pub fn below(&self, s: f64) -> bool {
        if self.minex {
            s <= self.min
        } else {
            s < self.min
        }
    }

    /// Whether `s` is at most the upper bound (a prefix of the sorted order).
    pub fn not_above(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    /// The ranks `lo..hi` of `z`'s elements inside the range (lo == hi when none).
    pub fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let lo = z.count_while(|s, _| self.below(s));
        let hi = z.count_while(|s, _| self.not_above(s));
        (lo, hi.max(lo))
    }
}

fn parse_score_bound(s: &[u8]) -> Option<(f64, bool)> {
    match s.strip_prefix(b"(") {
        Some(rest) => Some((parse_bound(rest)?, true)),
        None => Some((parse_bound(s)?, false)),
    }
}

/// One end of a lex range.
#[derive(Clone, Copy, Debug)]
pub enum LexBound<'a> {
    /// `-`: before every string.
    Min,
    /// `+`: after every string.
    Max,
    /// `[x` (true) or `(x` (false).
    Value(&'a [u8], bool),
}

/// A lex range.
#[derive(Clone, Copy, Debug)]
pub struct LexRange<'a> {
    /// Lower end.
    pub min: LexBound<'a>,
    /// Upper end.
    pub max: LexBound<'a>,
}

impl<'a> LexRange<'a> {
    /// Parses `min` and `max`.
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Option<LexRange<'a>> {
        Some(LexRange {
            min: parse_lex_bound(min)?,
            max: parse_lex_bound(max)?,
        })
    }

    /// Whether `m` sorts before the range.
    pub fn below(&self, m: &[u8]) -> bool {
        match self.min {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Value(v, true) => m < v,
            LexBound::Value(v, false) => m <= v,
        }
    }

    /// Whether `m` is at most the upper end.
    pub fn not_above(&self, m: &[u8]) -> bool {
        match self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Value(v, true) => m <= v,
            LexBound::Value(v, false) => m < v,
        }
    }

    /// The ranks `lo..hi` of `z`'s elements inside the range (lo == hi when none).
    pub fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let lo = z.count_while(|_, m| self.below(m));
        let hi = z.count_while(|_, m| self.not_above(m));
        (lo, hi.max(lo))
    }
}

fn parse_lex_bound(s: &[u8]) -> Option<LexBound<'_>> {
    match s.first()? {
        b'+' if s.len() == 1 => Some(LexBound::Max),
        b'-' if s.len() == 1 => Some(LexBound::Min),
        b'[' => Some(LexBound::Value(&s[1..], true)),
        b'(' => Some(LexBound::Value(&s[1..], false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_like_string2d() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"nan"), None);
        assert_eq!(parse_score(b" 1"), None);
        assert_eq!(parse_score(b""), None);
        assert_eq!(parse_score(b"1e400"), None);
        assert_eq!(parse_score(b"1e-400"), None);
        assert_eq!(parse_score(b"0e-400"), Some(0.0));
        assert_eq!(parse_score(b"abc"), None);
    }

    #[test]
    fn ranges() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(r.below(1.0) && !r.below(1.5) && r.not_above(1e300));
        assert_eq!(
            ScoreRange::parse(b"(", b"").map(|r| (r.min, r.max)),
            Some((0.0, 0.0))
        );
        assert!(ScoreRange::parse(b" ", b"1").is_none());
        assert_eq!(ScoreRange::parse(b" 1", b"2").map(|r| r.min), Some(1.0));
        assert!(ScoreRange::parse(b"x", b"1").is_none());
        let l = LexRange::parse(b"[b", b"(d").unwrap();
        assert!(l.below(b"a") && !l.below(b"b") && l.not_above(b"c") && !l.not_above(b"d"));
        assert!(LexRange::parse(b"b", b"+").is_none());
        assert!(LexRange::parse(b"-x", b"+").is_none());
    }
}
