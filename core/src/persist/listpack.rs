//! Redis's listpack, byte for byte: the container inside LIST_QUICKLIST_2 nodes,
//! ZSET_LISTPACK and HASH_LISTPACK (lode's own packed forms use a different layout, so values
//! are converted on the way in and out).
//!
//! Layout: total bytes (u32 LE), element count (u16 LE, 65535 = "count them"), the entries,
//! 0xFF. Each entry is an encoding byte (with its payload) followed by its "back length": the
//! size of encoding + payload as base-128 digits, most significant first, every digit but the
//! first flagged with 0x80, so it can be read from its last byte backwards.
//!
//! Encodings: `0xxxxxxx` 7-bit unsigned integer; `10xxxxxx` string of up to 63 bytes;
//! `110xxxxx yyyyyyyy` 13-bit signed integer; `1110xxxx yyyyyyyy` string of up to 4095 bytes;
//! `0xF0` + u32 LE length: longer string; `0xF1`..`0xF4`: 16, 24, 32, 64-bit signed integer LE.

use super::{Error, Result};
use crate::util::num::parse_i64;

/// Header size: total bytes + count.
const HEADER: usize = 6;
/// The terminator.
const EOF: u8 = 0xFF;
/// Count value meaning "too many to count in the header".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// A listpack entry as decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A string entry.
    Str(&'a [u8]),
    /// An integer entry (its text is the decimal spelling).
    Int(i64),
}

impl Entry<'_> {
    /// The entry's text.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Entry::Str(s) => s.to_vec(),
            Entry::Int(v) => itoa::Buffer::new().format(v).as_bytes().to_vec(),
        }
    }
}

/// Builds a listpack by appending entries (Redis's lpAppend).
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// An empty listpack.
    pub fn new() -> Self {
        Builder {
            buf: vec![0; HEADER],
            count: 0,
        }
    }

    /// A builder of bare elements (no header, no terminator): one element to splice in.
    fn elements() -> Self {
        Builder {
            buf: Vec::new(),
            count: 0,
        }
    }

    /// A finished listpack reopened for appending (its terminator dropped).
    pub fn reopen(mut lp: Vec<u8>) -> Self {
        let header = u16::from_le_bytes([lp[4], lp[5]]);
        let count = if header == COUNT_UNKNOWN {
            let mut n = 0;
            let mut p = FIRST;
            while let Some((_, q)) = next(&lp, p) {
                n += 1;
                p = q;
            }
            n
        } else {
            usize::from(header)
        };
        lp.pop();
        Builder { buf: lp, count }
    }

    /// Bytes the finished listpack would take.
    pub fn size(&self) -> usize {
        self.buf.len() + 1
    }

    /// Entries appended so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends `s`, stored as an integer when it is the canonical spelling of one, as Redis
    /// does.
    pub fn push(&mut self, s: &[u8]) {
        if s.len() <= 20 {
            if let Some(v) = parse_i64(s) {
                self.push_int(v);
                return;
            }
        }
        let start = self.buf.len();
        let n = s.len();
        if n < 64 {
            self.buf.push(0x80 | n as u8);
        } else if n < 4096 {
            self.buf.push(0xE0 | (n >> 8) as u8);
            self.buf.push(n as u8);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Appends an integer in the smallest encoding that holds it.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1FFF;
            self.buf.push(0xC0 | (u >> 8) as u8);
            self.buf.push(u as u8);
        } else if let Ok(x) = i16::try_from(v) {
            self.buf.push(0xF1);
            self.buf.extend_from_slice(&x.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(0xF2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(x) = i32::try_from(v) {
            self.buf.push(0xF3);
            self.buf.extend_from_slice(&x.to_le_bytes());
        } else {
            self.buf.push(0xF4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    /// Writes the back length of the entry that began at `start`.
    fn finish_entry(&mut self, start: usize) {
        let l = self.buf.len() - start;
        let mut back = [0u8; 5];
        let n = backlen(l, &mut back);
        self.buf.extend_from_slice(&back[..n]);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count).unwrap_or(COUNT_UNKNOWN);
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// A listpack of `items`.
pub fn encode<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut b = Builder::new();
    for s in items {
        b.push(s);
    }
    b.finish()
}

/// Writes the back length of an entry of `l` bytes into `out`, returning its size. The size
/// follows Redis's lpEncodeBacklen thresholds (which are one short of the powers of 128, so
/// e.g. 16383 takes three bytes, the first a zero digit), so lode's listpacks match Redis's.
fn backlen(l: usize, out: &mut [u8; 5]) -> usize {
    let l = l as u64;
    let n = match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    for (i, b) in out[..n].iter_mut().enumerate() {
        // out[0] is the most significant digit, the only one without the 0x80 flag.
        let shift = 7 * (n - 1 - i);
        *b = if i == 0 {
            (l >> shift) as u8
        } else {
            ((l >> shift) & 127) as u8 | 0x80
        };
    }
    n
}

/// Reads `n` little-endian bytes at `p` as a signed integer of `n * 8` bits.
fn le_signed(p: &[u8], n: usize) -> i64 {
    let mut v: u64 = 0;
    for (i, b) in p[..n].iter().enumerate() {
        v |= u64::from(*b) << (8 * i);
    }
    let shift = 64 - 8 * n as u32;
    ((v << shift) as i64) >> shift
}

/// The entry at the start of `rest` and its size without the back length; None if it is
/// malformed or runs past `rest`.
fn parse_entry(rest: &[u8]) -> Option<(Entry<'_>, usize)> {
    let b = *rest.first()?;
    let need = |n: usize| (rest.len() >= n).then_some(());
    Some(if b < 0x80 {
        (Entry::Int(i64::from(b)), 1)
    } else if b & 0xC0 == 0x80 {
        let n = usize::from(b & 0x3F);
        need(1 + n)?;
        (Entry::Str(&rest[1..1 + n]), 1 + n)
    } else if b & 0xE0 == 0xC0 {
        need(2)?;
        let u = u16::from(b & 0x1F) << 8 | u16::from(rest[1]);
        // Sign-extend 13 bits.
        let v = i64::from(((u << 3) as i16) >> 3);
        (Entry::Int(v), 2)
    } else if b & 0xF0 == 0xE0 {
        need(2)?;
        let n = usize::from(b & 0x0F) << 8 | usize::from(rest[1]);
        need(2 + n)?;
        (Entry::Str(&rest[2..2 + n]), 2 + n)
    } else {
        match b {
            0xF0 => {
                need(5)?;
                let n = u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
                need(5usize.checked_add(n)?)?;
                (Entry::Str(&rest[5..5 + n]), 5 + n)
            }
            0xF1..=0xF4 => {
                let n = [2, 3, 4, 8][usize::from(b - 0xF1)];
                need(1 + n)?;
                (Entry::Int(le_signed(&rest[1..], n)), 1 + n)
            }
            _ => return None,
        }
    })
}

/// Where the first entry of a listpack starts.
pub const FIRST: usize = HEADER;

/// The entry starting at byte `p` of a validated listpack and where the next one starts;
/// None at the terminator (or past it).
pub fn next(lp: &[u8], p: usize) -> Option<(Entry<'_>, usize)> {
    let rest = lp.get(p..lp.len().checked_sub(1)?)?;
    let (entry, len) = parse_entry(rest)?;
    Some((entry, p + len + backlen_size(len)))
}

/// Where the entry that ends just before byte `p` (an entry's start or the terminator's
/// position) starts, read from its back length; None before the first entry.
pub fn prev(lp: &[u8], p: usize) -> Option<usize> {
    if p <= HEADER {
        return None;
    }
    // The back length's digits run backwards from p - 1; all but the first carry 0x80.
    let (mut len, mut shift, mut q) = (0usize, 0, p);
    loop {
        q -= 1;
        let b = lp[q];
        len |= usize::from(b & 0x7F) << shift;
        shift += 7;
        if b & 0x80 == 0 || q <= HEADER {
            break;
        }
    }
    q.checked_sub(len).filter(|&start| start >= HEADER)
}

/// The size of the back length of an entry of `len` bytes.
fn backlen_size(len: usize) -> usize {
    backlen(len, &mut [0u8; 5])
}

/// Replaces the entry at `p` of a listpack with the integer `v` (Redis's lpReplaceInteger),
/// moving the rest when the encoding's size changes; returns where the next entry starts.
pub fn replace_int(lp: &mut Vec<u8>, p: usize, v: i64) -> usize {
    let old_end = next(lp, p).map_or(p, |(_, n)| n);
    let mut b = Builder::elements();
    b.push_int(v);
    let new_len = b.buf.len();
    if new_len == old_end - p {
        // The usual case (a count that keeps its width): overwrite in place.
        lp[p..old_end].copy_from_slice(&b.buf);
        return p + new_len;
    }
    lp.splice(p..old_end, b.buf);
    let total = lp.len() as u32;
    lp[0..4].copy_from_slice(&total.to_le_bytes());
    p + new_len
}

/// Decodes and fully validates a listpack (header size and count, every entry's encoding and
/// back length, the terminator, nothing after it), returning its entries.
pub fn decode(lp: &[u8]) -> Result<Vec<Entry<'_>>> {
    let bad = Error("bad listpack");
    if lp.len() < HEADER + 1 {
        return Err(bad);
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    if total != lp.len() || lp[lp.len() - 1] != EOF {
        return Err(bad);
    }
    let body = &lp[..lp.len() - 1];
    let mut out = Vec::new();
    let mut p = HEADER;
    while p < body.len() {
        let rest = &body[p..];
        let (entry, len) = parse_entry(rest).ok_or(bad)?;
        // The back length must follow and say `len`, in the size Redis gives it.
        let mut want = [0u8; 5];
        let bl = backlen(len, &mut want);
        if rest.get(len..len + bl) != Some(&want[..bl]) {
            return Err(bad);
        }
        out.push(entry);
        p += len + bl;
    }
    if count != COUNT_UNKNOWN && usize::from(count) != out.len() {
        return Err(bad);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_string_encodings_round_trip() {
        let items: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-32768",
            "32767",
            "32768",
            "-8388608",
            "8388607",
            "8388608",
            "2147483647",
            "-2147483649",
            "9223372036854775807",
            "-9223372036854775808",
            "01",
            "-0",
            "",
            "hello",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
        ])
        .chain([vec![b'v'; 200_000]])
        .collect();
        let lp = encode(items.iter().map(|v| &v[..]));
        let back: Vec<Vec<u8>> = decode(&lp)
            .unwrap()
            .into_iter()
            .map(Entry::to_vec)
            .collect();
        assert_eq!(back, items);
    }

    #[test]
    fn redis_layout() {
        // The listpack inside DUMP of `RPUSH l a 1 -5 300 hello 70000 -9000000000` (7.0).
        let lp = super::super::unhex(
            "2800000007008161020101dffb02c12c028568656c6c6f06f270110104f400e68ee7fdffffff09ff",
        );
        let want: [&[u8]; 7] = [
            b"a",
            b"1",
            b"-5",
            b"300",
            b"hello",
            b"70000",
            b"-9000000000",
        ];
        assert_eq!(encode(want.iter().copied()), lp);
        let got: Vec<Vec<u8>> = decode(&lp)
            .unwrap()
            .into_iter()
            .map(Entry::to_vec)
            .collect();
        assert_eq!(got, want.map(|s| s.to_vec()));
    }

    #[test]
    fn refuses_malformed() {
        let lp = encode([&b"abc"[..], b"12"]);
        for n in 0..lp.len() {
            assert!(decode(&lp[..n]).is_err());
        }
        let mut bad = lp.clone();
        bad[4] = 5;
        assert!(decode(&bad).is_err());
        let mut bad = lp.clone();
        bad[10] ^= 0x40;
        assert!(decode(&bad).is_err());
    }
}
