//! The packed ("listpack") form of a small hash: one exact-size buffer of field, value, field,
//! value ... each written as a LEB128 length and the bytes.
//!
//! A field of 2 bytes with a 12-byte value costs 16 bytes here (Redis's listpack: about 18,
//! one encoding byte and one back-length byte per string). Lookups scan the buffer linearly
//! as Redis scans its listpack; that is cheap for the ≤128 short entries this form holds.
//! The buffer is reallocated to its exact size on every change (Vec doubling would waste up
//! to half of it), as Redis reallocates its listpack.

/// A small hash stored as one buffer of length-prefixed field/value strings.
#[derive(Clone, Default, PartialEq)]
pub struct Packed {
    buf: Box<[u8]>,
    /// Number of field/value pairs.
    count: u32,
}

/// Appends `n` as LEB128 (7 bits a byte, low bits first).
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Bytes `put_len` writes for `n`.
fn len_size(n: usize) -> usize {
    let bits = usize::BITS - (n | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

/// Reads a LEB128 length at `*at`, advancing past it. The buffer is only ever written by
/// `put_len`, so it is well formed.
#[inline]
fn get_len(buf: &[u8], at: &mut usize) -> usize {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[*at];
        *at += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            return n;
        }
        shift += 7;
    }
}

/// Where one pair lives in the buffer.
#[derive(Clone, Copy)]
struct Span {
    /// First byte of the pair (its field length).
    start: usize,
    /// First byte of the value's length.
    value_at: usize,
    /// One past the pair's last byte.
    end: usize,
}

impl Packed {
    /// Number of pairs.
    #[inline]
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether there are no pairs.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes in the buffer (what Redis's lpSafeToAdd limits).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Every pair, in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: 0,
        }
    }

    /// Finds `field`: its span.
    fn find(&self, field: &[u8]) -> Option<Span> {
        let buf = &self.buf[..];
        let mut at = 0;
        while at < buf.len() {
            let start = at;
            let flen = get_len(buf, &mut at);
            let f = &buf[at..at + flen];
            at += flen;
            let value_at = at;
            let vlen = get_len(buf, &mut at);
            at += vlen;
            if f == field {
                return Some(Span {
                    start,
                    value_at,
                    end: at,
                });
            }
        }
        None
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let span = self.find(field)?;
        let mut at = span.value_at;
        let vlen = get_len(&self.buf, &mut at);
        Some(&self.buf[at..at + vlen])
    }

    /// The pair at position `idx` (a linear walk).
    pub fn get_index(&self, idx: usize) -> Option<(&[u8], &[u8])> {
        self.iter().nth(idx)
    }

    /// Sets `field` to `value`; true if the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(span) => {
                self.replace_value(span, value);
                false
            }
            None => {
                let extra =
                    len_size(field.len()) + field.len() + len_size(value.len()) + value.len();
                let mut v = std::mem::take(&mut self.buf).into_vec();
                v.reserve_exact(extra);
                put_len(&mut v, field.len());
                v.extend_from_slice(field);
                put_len(&mut v, value.len());
                v.extend_from_slice(value);
                self.buf = v.into_boxed_slice();
                self.count += 1;
                true
            }
        }
    }

    /// Replaces the value of the pair at `span`.
    fn replace_value(&mut self, span: Span, value: &[u8]) {
        let mut at = span.value_at;
        let old_len = get_len(&self.buf, &mut at);
        if old_len == value.len() {
            // Same length: overwrite in place, no reallocation.
            self.buf[at..at + old_len].copy_from_slice(value);
            return;
        }
        let new_size =
            self.buf.len() - (span.end - span.value_at) + len_size(value.len()) + value.len();
        let mut v = Vec::with_capacity(new_size);
        v.extend_from_slice(&self.buf[..span.value_at]);
        put_len(&mut v, value.len());
        v.extend_from_slice(value);
        v.extend_from_slice(&self.buf[span.end..]);
        self.buf = v.into_boxed_slice();
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(span) = self.find(field) else {
            return false;
        };
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.drain(span.start..span.end);
        // into_boxed_slice shrinks the allocation to the new exact size.
        self.buf = v.into_boxed_slice();
        self.count -= 1;
        true
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

/// The pairs of a [`Packed`] hash, in order.
pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let buf = self.buf;
        let flen = get_len(buf, &mut self.at);
        let field = &buf[self.at..self.at + flen];
        self.at += flen;
        let vlen = get_len(buf, &mut self.at);
        let value = &buf[self.at..self.at + vlen];
        self.at += vlen;
        Some((field, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 300, 16383, 16384, 1 << 30] {
            let mut v = Vec::new();
            put_len(&mut v, n);
            assert_eq!(v.len(), len_size(n));
            let mut at = 0;
            assert_eq!(get_len(&v, &mut at), n);
            assert_eq!(at, v.len());
        }
    }

    #[test]
    fn insert_replace_remove_keep_exact_size() {
        let mut p = Packed::default();
        assert!(p.insert(b"f0", b"value-0"));
        assert!(p.insert(b"f1", b"v1"));
        assert!(!p.insert(b"f0", b"v0"));
        assert_eq!(p.get(b"f0"), Some(&b"v0"[..]));
        assert_eq!(p.bytes(), 2 * (1 + 2 + 1 + 2));
        let long = vec![b'x'; 200];
        assert!(!p.insert(b"f1", &long));
        assert_eq!(p.get(b"f1"), Some(&long[..]));
        assert_eq!(p.len(), 2);
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(pairs[0], (&b"f0"[..], &b"v0"[..]));
        assert!(p.remove(b"f0"));
        assert!(!p.remove(b"f0"));
        assert_eq!(p.get_index(0).map(|(f, _)| f), Some(&b"f1"[..]));
        assert!(p.remove(b"f1"));
        assert!(p.is_empty());
        assert_eq!(p.bytes(), 0);
        // Empty strings are fine as fields and values.
        assert!(p.insert(b"", b""));
        assert_eq!(p.get(b""), Some(&b""[..]));
    }
}
