//! The packed ("listpack") form of a small hash: one exact-size buffer holding a 2-byte pair
//! count, then each pair as a length header, the field bytes and the value bytes.
//!
//! A pair's header is one byte when the field is shorter than 8 bytes and the value shorter
//! than 28 (`field_len * 28 + value_len`, below 0xE0): the usual small hash costs one byte
//! of overhead per pair. Other pairs write 0xE0 and both lengths as LEB128. A 2-byte field
//! with a 12-byte value so costs 15 bytes (Redis's listpack: 20, an encoding byte and a
//! back-length byte per string). Lookups scan the buffer linearly as Redis scans its
//! listpack; that is cheap for the few short entries this form holds. The buffer is
//! reallocated to its exact size on every change (Vec doubling would waste up to half of
//! it), as Redis reallocates its listpack.
//!
//! The count lives in the buffer, not beside it, so that `Hash` is 16 bytes and its box takes
//! a 16-byte allocation instead of 32. Like a listpack's header, it saturates: at `u16::MAX`
//! the pairs are counted by walking (only with hash-max-listpack-entries raised past it).

/// Bytes of the count header.
const HEADER: usize = 2;

/// The header value meaning "count by walking".
const SATURATED: u16 = u16::MAX;

/// One-byte pair headers: field lengths below this...
const SHORT_FIELD: usize = 8;
/// ...and value lengths below this.
const SHORT_VALUE: usize = 28;
/// The header byte announcing two LEB128 lengths.
const LONG_PAIR: u8 = (SHORT_FIELD * SHORT_VALUE) as u8;

/// A small hash stored as one buffer of length-prefixed field/value pairs. An empty hash
/// has an empty buffer (no header, no allocation).
#[derive(Clone, Default, PartialEq)]
pub struct Packed {
    buf: Box<[u8]>,
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
/// this module, so it is well formed.
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

/// Appends the header of a pair with these lengths.
fn put_header(out: &mut Vec<u8>, flen: usize, vlen: usize) {
    if flen < SHORT_FIELD && vlen < SHORT_VALUE {
        out.push((flen * SHORT_VALUE + vlen) as u8);
    } else {
        out.push(LONG_PAIR);
        put_len(out, flen);
        put_len(out, vlen);
    }
}

/// Bytes `put_header` writes.
fn header_size(flen: usize, vlen: usize) -> usize {
    if flen < SHORT_FIELD && vlen < SHORT_VALUE {
        1
    } else {
        1 + len_size(flen) + len_size(vlen)
    }
}

/// Reads a pair header at `*at`, advancing past it: (field length, value length).
#[inline]
fn get_header(buf: &[u8], at: &mut usize) -> (usize, usize) {
    let h = buf[*at];
    *at += 1;
    if h < LONG_PAIR {
        let h = h as usize;
        (h / SHORT_VALUE, h % SHORT_VALUE)
    } else {
        let flen = get_len(buf, at);
        (flen, get_len(buf, at))
    }
}

/// Where one pair lives in the buffer.
#[derive(Clone, Copy)]
struct Span {
    /// First byte of the pair (its header).
    start: usize,
    /// First byte of the field.
    field_at: usize,
    flen: usize,
    /// First byte of the value.
    value_at: usize,
    vlen: usize,
}

impl Span {
    /// One past the pair's last byte.
    fn end(&self) -> usize {
        self.value_at + self.vlen
    }
}

/// Reads the pair at `*at`, advancing past it.
#[inline]
fn next_pair(buf: &[u8], at: &mut usize) -> Span {
    let start = *at;
    let (flen, vlen) = get_header(buf, at);
    let field_at = *at;
    let value_at = field_at + flen;
    *at = value_at + vlen;
    Span {
        start,
        field_at,
        flen,
        value_at,
        vlen,
    }
}

impl Packed {
    /// Number of pairs.
    #[inline]
    pub fn len(&self) -> usize {
        match self.header() {
            SATURATED => self.iter().count(),
            n => n as usize,
        }
    }

    /// The count header (0 for the empty buffer).
    #[inline]
    fn header(&self) -> u16 {
        match self.buf.get(..HEADER) {
            Some(h) => u16::from_le_bytes([h[0], h[1]]),
            None => 0,
        }
    }

    /// Writes the count header (the buffer must have one).
    fn set_len(buf: &mut [u8], n: usize) {
        let h = u16::try_from(n).unwrap_or(SATURATED);
        buf[..HEADER].copy_from_slice(&h.to_le_bytes());
    }

    /// Whether there are no pairs.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes in the buffer (what Redis's lpSafeToAdd limits).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Every pair, in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: HEADER,
        }
    }

    /// Finds `field`: its span.
    #[inline]
    fn find(&self, field: &[u8]) -> Option<Span> {
        let buf = &self.buf[..];
        let mut at = HEADER;
        while at < buf.len() {
            let span = next_pair(buf, &mut at);
            if span.flen == field.len() && &buf[span.field_at..span.value_at] == field {
                return Some(span);
            }
        }
        None
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let span = self.find(field)?;
        Some(&self.buf[span.value_at..span.end()])
    }

    /// The pair at position `idx` (a linear walk).
    pub fn get_index(&self, idx: usize) -> Option<(&[u8], &[u8])> {
        self.iter().nth(idx)
    }

    /// Sets `field` to `value`; true if the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some(span) = self.find(field) {
            self.replace_value(span, value);
            return false;
        }
        let n = self.len() + 1;
        let extra = header_size(field.len(), value.len()) + field.len() + value.len();
        let mut v = std::mem::take(&mut self.buf).into_vec();
        if v.is_empty() {
            v.reserve_exact(HEADER + extra);
            v.extend_from_slice(&[0; HEADER]);
        } else {
            v.reserve_exact(extra);
        }
        put_header(&mut v, field.len(), value.len());
        v.extend_from_slice(field);
        v.extend_from_slice(value);
        Self::set_len(&mut v, n);
        self.buf = v.into_boxed_slice();
        true
    }

    /// Replaces the value of the pair at `span`.
    fn replace_value(&mut self, span: Span, value: &[u8]) {
        if span.vlen == value.len() {
            // Same length: overwrite in place, no reallocation.
            self.buf[span.value_at..span.end()].copy_from_slice(value);
            return;
        }
        let new_size = self.buf.len() - (span.end() - span.start)
            + header_size(span.flen, value.len())
            + span.flen
            + value.len();
        let mut v = Vec::with_capacity(new_size);
        v.extend_from_slice(&self.buf[..span.start]);
        put_header(&mut v, span.flen, value.len());
        v.extend_from_slice(&self.buf[span.field_at..span.value_at]);
        v.extend_from_slice(value);
        v.extend_from_slice(&self.buf[span.end()..]);
        self.buf = v.into_boxed_slice();
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(span) = self.find(field) else {
            return false;
        };
        let n = self.len() - 1;
        if n == 0 {
            self.buf = Box::default();
            return true;
        }
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.drain(span.start..span.end());
        Self::set_len(&mut v, n);
        // into_boxed_slice shrinks the allocation to the new exact size.
        self.buf = v.into_boxed_slice();
        true
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::debug_pairs(f, self.iter())
    }
}

/// The pairs of a [`Packed`] hash, in order.
pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // Also ends at once on the empty buffer, which has no header.
        if self.at >= self.buf.len() {
            return None;
        }
        let s = next_pair(self.buf, &mut self.at);
        Some((
            &self.buf[s.field_at..s.value_at],
            &self.buf[s.value_at..s.end()],
        ))
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
    fn pair_headers_round_trip() {
        for flen in [0usize, 1, 7, 8, 200] {
            for vlen in [0usize, 1, 27, 28, 64, 1 << 20] {
                let mut v = Vec::new();
                put_header(&mut v, flen, vlen);
                assert_eq!(v.len(), header_size(flen, vlen));
                assert_eq!(v.len() == 1, flen < 8 && vlen < 28);
                let mut at = 0;
                assert_eq!(get_header(&v, &mut at), (flen, vlen));
                assert_eq!(at, v.len());
            }
        }
    }

    #[test]
    fn insert_replace_remove_keep_exact_size() {
        let mut p = Packed::default();
        assert!(p.insert(b"f0", b"value-0"));
        assert!(p.insert(b"f1", b"v1"));
        assert!(!p.insert(b"f0", b"v0"));
        assert_eq!(p.get(b"f0"), Some(&b"v0"[..]));
        assert_eq!(p.bytes(), HEADER + 2 * (1 + 2 + 2));
        // A long value takes the long header, and back.
        let long = vec![b'x'; 200];
        assert!(!p.insert(b"f1", &long));
        assert_eq!(p.get(b"f1"), Some(&long[..]));
        assert_eq!(p.bytes(), HEADER + 5 + (1 + 1 + 2) + 2 + 200);
        assert!(!p.insert(b"f1", b"v1"));
        assert_eq!(p.bytes(), HEADER + 2 * (1 + 2 + 2));
        assert_eq!(p.len(), 2);
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(pairs[0], (&b"f0"[..], &b"v0"[..]));
        assert!(p.remove(b"f0"));
        assert!(!p.remove(b"f0"));
        assert_eq!(p.get_index(0).map(|(f, _)| f), Some(&b"f1"[..]));
        assert!(p.remove(b"f1"));
        assert!(p.is_empty());
        assert_eq!(p.bytes(), 0);
        assert_eq!(p.get(b"f1"), None);
        assert_eq!(p.iter().count(), 0);
        // Empty strings are fine as fields and values; a field is not found by its prefix.
        assert!(p.insert(b"", b""));
        assert!(p.insert(b"ab", b"1"));
        assert_eq!(p.get(b""), Some(&b""[..]));
        assert_eq!(p.get(b"a"), None);
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn count_saturates_and_is_then_walked() {
        // Built directly: 65k inserts, each scanning the buffer, are slow in a debug build.
        let n = SATURATED as usize + 3;
        let mut v = SATURATED.to_le_bytes().to_vec();
        for i in 0..n {
            put_header(&mut v, 4, 0);
            v.extend_from_slice(&(i as u32).to_le_bytes());
        }
        let mut p = Packed {
            buf: v.into_boxed_slice(),
        };
        assert_eq!(p.header(), SATURATED);
        assert_eq!(p.len(), n);
        for i in 0..5u32 {
            assert!(p.remove(&i.to_le_bytes()));
        }
        assert_eq!(p.len(), n - 5);
        assert_eq!(p.header() as usize, n - 5);
    }
}
