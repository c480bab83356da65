//! Redis's intset layout, the body of SET_INTSET: encoding (element width in bytes: 2, 4 or 8;
//! u32 LE), length (u32 LE), then the elements ascending, little-endian at that width.

use super::{Error, Result};

/// Size of the two header fields.
const HEADER: usize = 8;

/// Encodes `values` (ascending, distinct) at `width` bytes each. `width` must hold them all:
/// lode keeps the width its intset grew to, as Redis does, so the bytes match Redis's.
pub fn encode(width: usize, values: impl ExactSizeIterator<Item = i64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Decodes and validates an intset (Redis's intsetValidateIntegrity with deep checks): a known
/// width, a size that matches the length exactly, at least one element, strictly ascending.
pub fn decode(buf: &[u8]) -> Result<(usize, Vec<i64>)> {
    let bad = Error("bad intset");
    if buf.len() < HEADER {
        return Err(bad);
    }
    let width = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let len = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) || len == 0 || Some(buf.len() - HEADER) != width.checked_mul(len)
    {
        return Err(bad);
    }
    let mut out = Vec::with_capacity(len);
    for c in buf[HEADER..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if out.last().is_some_and(|&last| last >= v) {
            return Err(bad);
        }
        out.push(v);
    }
    Ok((width, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_layout() {
        // The body of DUMP of `SADD s 1 2 -3 100000` from redis-server 7.0.
        let body = super::super::unhex("0400000004000000fdffffff0100000002000000a0860100");
        assert_eq!(decode(&body).unwrap(), (4, vec![-3, 1, 2, 100000]));
        assert_eq!(encode(4, [-3, 1, 2, 100000].into_iter()), body);
        assert!(decode(&body[..body.len() - 1]).is_err());
        let mut unsorted = body.clone();
        unsorted[8..12].copy_from_slice(&5i32.to_le_bytes());
        assert!(decode(&unsorted).is_err());
        assert!(decode(&encode(2, std::iter::empty())).is_err());
    }
}
