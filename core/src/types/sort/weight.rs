//! How SORT compares elements: numeric weights parsed as C's strtod would, and byte order
//! for ALPHA.

use std::cmp::Ordering;

/// Parses a numeric sort weight as Redis does (strtod over the whole string): leading
/// whitespace is skipped, the empty string is 0, and trailing garbage, NaN or a value out of
/// a double's range is an error.
pub fn parse_weight(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s.iter().position(|b| !b" \t\n\r\x0b\x0c".contains(b))?;
    let text = std::str::from_utf8(&s[start..]).ok()?;
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    let v: f64 = if let Some(hex) = unsigned.strip_prefix("0x") {
        // strtod reads hexadecimal integers (and hex floats, which are left out here).
        let n = u64::from_str_radix(hex, 16).ok()? as f64;
        if lower.starts_with('-') {
            -n
        } else {
            n
        }
    } else {
        lower.parse().ok()?
    };
    if v.is_nan() {
        return None;
    }
    let spelled_inf = unsigned == "inf" || unsigned == "infinity";
    if v.is_infinite() && !spelled_inf {
        return None; // overflow: ERANGE
    }
    if v == 0.0 && has_nonzero_mantissa(unsigned) {
        return None; // underflow: ERANGE
    }
    Some(v)
}

/// Whether the digits before any exponent include a non-zero one.
fn has_nonzero_mantissa(s: &str) -> bool {
    s.split('e')
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

/// Numeric order, ties broken by the elements' bytes so the result is deterministic.
pub fn by_score(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

/// ALPHA order of BY values: a missing value sorts first.
pub fn by_alpha(a: Option<&[u8]>, b: Option<&[u8]>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_weight;

    #[test]
    fn weights_parse_as_strtod() {
        assert_eq!(parse_weight(b""), Some(0.0));
        assert_eq!(parse_weight(b" 1.5"), Some(1.5));
        assert_eq!(parse_weight(b"-3"), Some(-3.0));
        assert_eq!(parse_weight(b"1e3"), Some(1000.0));
        assert_eq!(parse_weight(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_weight(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_weight(b"0x10"), Some(16.0));
        assert_eq!(parse_weight(b"0"), Some(0.0));
        assert_eq!(parse_weight(b"0.000"), Some(0.0));
        assert_eq!(parse_weight(b"nan"), None);
        assert_eq!(parse_weight(b"1x"), None);
        assert_eq!(parse_weight(b"1 "), None);
        assert_eq!(parse_weight(b"   "), None);
        assert_eq!(parse_weight(b"1e400"), None);
        assert_eq!(parse_weight(b"1e-400"), None);
    }
}
