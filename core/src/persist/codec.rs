//! The primitives every RDB encoding is built from: lengths, strings (raw, integer-encoded,
//! LZF-compressed) and doubles, writing into a `Vec<u8>` and reading from a bounds-checked
//! [`Reader`].
//!
//! Lengths: the top two bits of the first byte say the form: `00` a 6-bit length, `01` 14 bits
//! (big-endian, with the next byte), `0x80` a 32-bit and `0x81` a 64-bit big-endian length
//! after it, `11` a special string encoding in the low 6 bits (0, 1, 2: an 8, 16 or 32-bit
//! little-endian integer; 3: LZF).

use super::{lzf, Error, Result};
use crate::util::num::{format_double, parse_i64};

/// First-byte marker of a 32-bit length.
const LEN_32: u8 = 0x80;
/// First-byte marker of a 64-bit length.
const LEN_64: u8 = 0x81;
/// Special string encodings (`0xC0 | kind`).
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Writes a length.
pub fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u64::from(u32::MAX) {
        out.push(LEN_32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(LEN_64);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// The integer-encoded form of `v`, when it fits 32 bits (rdbEncodeInteger).
fn int_encoding(v: i64) -> Option<([u8; 5], usize)> {
    let mut b = [0u8; 5];
    if let Ok(x) = i8::try_from(v) {
        b[0] = 0xC0 | ENC_INT8;
        b[1] = x as u8;
        Some((b, 2))
    } else if let Ok(x) = i16::try_from(v) {
        b[0] = 0xC0 | ENC_INT16;
        b[1..3].copy_from_slice(&x.to_le_bytes());
        Some((b, 3))
    } else if let Ok(x) = i32::try_from(v) {
        b[0] = 0xC0 | ENC_INT32;
        b[1..5].copy_from_slice(&x.to_le_bytes());
        Some((b, 5))
    } else {
        None
    }
}

/// Writes a string as Redis's rdbSaveRawString does: as an integer when it is the canonical
/// spelling of one that fits 32 bits (only tried up to 11 bytes, as Redis), else LZF-compressed
/// when `compress` and longer than 20 bytes and compression saves at least 4 bytes, else raw.
pub fn put_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        // parse_i64 is strict (no sign-only, leading zeros or "-0"), so the text round-trips.
        if let Some((b, n)) = parse_i64(s).and_then(int_encoding) {
            out.extend_from_slice(&b[..n]);
            return;
        }
    }
    if compress && s.len() > 20 {
        // Redis gives liblzf an output buffer of len - 4 bytes and stores raw if it overflows.
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            out.push(0xC0 | ENC_LZF);
            put_len(out, c.len() as u64);
            put_len(out, s.len() as u64);
            out.extend_from_slice(&c);
            return;
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Writes an integer string value (OBJ_ENCODING_INT): integer-encoded when it fits 32 bits,
/// else its decimal text (rdbSaveLongLongAsStringObject).
pub fn put_int_string(out: &mut Vec<u8>, v: i64) {
    match int_encoding(v) {
        Some((b, n)) => out.extend_from_slice(&b[..n]),
        None => {
            let mut buf = itoa::Buffer::new();
            let s = buf.format(v).as_bytes();
            put_len(out, s.len() as u64);
            out.extend_from_slice(s);
        }
    }
}

/// Writes a binary double (ZSET_2 scores): 8 bytes little-endian IEEE 754.
pub fn put_binary_double(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The text a score takes inside a zset listpack, as Redis 7.0.15's zzlInsertAt writes it: an
/// integral score within ±2^62 as that integer (so -0 is 0; the listpack then stores it as an
/// integer), anything else as `%.17g` ("inf", "-inf").
pub fn score_text(v: f64) -> String {
    const LIMIT: f64 = 4611686018427387904.0; // (double)(LLONG_MAX / 2)
    if (-LIMIT..=LIMIT).contains(&v) && v == v.trunc() {
        return (v as i64).to_string();
    }
    format_double(v)
}

/// A read cursor over untrusted bytes: every read is bounds-checked and fails with an
/// [`Error`] instead of panicking.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// What a length field held: a length or a special string encoding.
enum Len {
    Plain(u64),
    Special(u8),
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or(Error("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error("truncated"));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len_or_special(&mut self) -> Result<Len> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3F)),
            1 => Len::Plain(u64::from(b & 0x3F) << 8 | u64::from(self.u8()?)),
            2 => match b {
                LEN_32 => Len::Plain(u64::from(u32::from_be_bytes(self.array()?))),
                LEN_64 => Len::Plain(u64::from_be_bytes(self.array()?)),
                _ => return Err(Error("bad length encoding")),
            },
            _ => Len::Special(b & 0x3F),
        })
    }

    /// A length (not a special encoding).
    pub fn read_len(&mut self) -> Result<u64> {
        match self.len_or_special()? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => Err(Error("unexpected string encoding")),
        }
    }

    /// A count of items each taking at least `min_bytes` of the input: larger counts than the
    /// rest of the input could hold are refused, so no caller allocates for a lying count.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.read_len()?;
        if n > (self.remaining() / min_bytes.max(1)) as u64 {
            return Err(Error("count larger than payload"));
        }
        Ok(n as usize)
    }

    /// A string in any of its encodings, as bytes.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_special()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| Error("truncated"))?;
                Ok(self.take(n)?.to_vec())
            }
            Len::Special(ENC_INT8) => Ok(int_text(i64::from(self.u8()? as i8))),
            Len::Special(ENC_INT16) => Ok(int_text(i64::from(i16::from_le_bytes(self.array()?)))),
            Len::Special(ENC_INT32) => Ok(int_text(i64::from(i32::from_le_bytes(self.array()?)))),
            Len::Special(ENC_LZF) => {
                let clen = usize::try_from(self.read_len()?).map_err(|_| Error("truncated"))?;
                let len = usize::try_from(self.read_len()?).map_err(|_| Error("truncated"))?;
                let body = self.take(clen)?;
                if len == 0 {
                    return Err(Error("empty compressed string"));
                }
                lzf::decompress(body, len).ok_or(Error("bad LZF data"))
            }
            Len::Special(_) => Err(Error("unknown string encoding")),
        }
    }

    /// A binary double (ZSET_2).
    pub fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A double in the old text form (ZSET, type 3): a length byte, with 253/254/255 meaning
    /// NaN/+inf/-inf, then that many ASCII bytes.
    pub fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let t = self.take(usize::from(n))?;
                std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or(Error("bad double"))
            }
        }
    }
}

/// The decimal text of `v`.
fn int_text(v: i64) -> Vec<u8> {
    itoa::Buffer::new().format(v).as_bytes().to_vec()
}
