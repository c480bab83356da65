//! Redis's ziplist, read only: the container of the RDB types written before 7.0
//! (LIST_ZIPLIST, LIST_QUICKLIST nodes, ZSET_ZIPLIST, HASH_ZIPLIST), which Redis 7.0 still
//! loads (converting to listpacks), so RESTORE of an older DUMP works.
//!
//! Layout: total bytes (u32 LE), offset of the last entry (u32 LE), count (u16 LE, 65535 =
//! "count them"), entries, 0xFF. An entry: the previous entry's size (1 byte if < 254, else
//! 0xFE + u32 LE), an encoding, the payload. Encodings: `00xxxxxx` string up to 63 bytes,
//! `01xxxxxx yyyyyyyy` up to 16383 (big-endian), `0x80` + u32 BE length; `0xC0` i16, `0xD0`
//! i32, `0xE0` i64, `0xF0` i24, `0xFE` i8 (all LE), `0xF1..=0xFD` the integers 0..=12.

use super::{Error, Result};
use crate::persist::listpack::Entry;

/// Header size: bytes, tail offset, count.
const HEADER: usize = 10;

/// Decodes and validates a ziplist (sizes, every entry's prev-length, the tail offset, the
/// terminator), returning its entries.
pub fn decode(zl: &[u8]) -> Result<Vec<Entry<'_>>> {
    let bad = Error("bad ziplist");
    if zl.len() < HEADER + 1 {
        return Err(bad);
    }
    let total = u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]]) as usize;
    let tail = u32::from_le_bytes([zl[4], zl[5], zl[6], zl[7]]) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    if total != zl.len() || zl[zl.len() - 1] != 0xFF {
        return Err(bad);
    }
    let body = &zl[..zl.len() - 1];
    let mut out = Vec::new();
    let mut p = HEADER;
    let mut prev_len = 0usize;
    let mut last = HEADER;
    while p < body.len() {
        let rest = &body[p..];
        let need = |n: usize| if rest.len() >= n { Ok(()) } else { Err(bad) };
        let (prev, mut q) = if rest[0] < 0xFE {
            (usize::from(rest[0]), 1)
        } else if rest[0] == 0xFE {
            need(5)?;
            (
                u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize,
                5,
            )
        } else {
            return Err(bad);
        };
        if prev != prev_len {
            return Err(bad);
        }
        need(q + 1)?;
        let b = rest[q];
        let entry = match b >> 6 {
            0 => {
                let n = usize::from(b & 0x3F);
                q += 1;
                need(q + n)?;
                q += n;
                Entry::Str(&rest[q - n..q])
            }
            1 => {
                need(q + 2)?;
                let n = usize::from(b & 0x3F) << 8 | usize::from(rest[q + 1]);
                q += 2;
                need(q + n)?;
                q += n;
                Entry::Str(&rest[q - n..q])
            }
            2 => {
                if b != 0x80 {
                    return Err(bad);
                }
                need(q + 5)?;
                let n = u32::from_be_bytes([rest[q + 1], rest[q + 2], rest[q + 3], rest[q + 4]])
                    as usize;
                q += 5;
                need(q.checked_add(n).ok_or(bad)?)?;
                q += n;
                Entry::Str(&rest[q - n..q])
            }
            _ => {
                let (n, v): (usize, fn(&[u8]) -> i64) = match b {
                    0xC0 => (2, |p| i64::from(i16::from_le_bytes([p[0], p[1]]))),
                    0xD0 => (4, |p| {
                        i64::from(i32::from_le_bytes([p[0], p[1], p[2], p[3]]))
                    }),
                    0xE0 => (8, |p| {
                        i64::from_le_bytes([p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]])
                    }),
                    0xF0 => (3, |p| {
                        i64::from(i32::from_le_bytes([0, p[0], p[1], p[2]]) >> 8)
                    }),
                    0xFE => (1, |p| i64::from(p[0] as i8)),
                    0xF1..=0xFD => (0, |_| 0),
                    _ => return Err(bad),
                };
                need(q + 1 + n)?;
                let value = if n == 0 {
                    i64::from(b & 0x0F) - 1
                } else {
                    v(&rest[q + 1..])
                };
                q += 1 + n;
                Entry::Int(value)
            }
        };
        out.push(entry);
        last = p;
        prev_len = q;
        p += q;
    }
    if (!out.is_empty() && tail != last) || (out.is_empty() && tail != HEADER) {
        return Err(bad);
    }
    if count != u16::MAX && usize::from(count) != out.len() {
        return Err(bad);
    }
    Ok(out)
}

/// Decodes a zipmap (HASH_ZIPMAP, Redis < 2.6) into field/value pairs, validating it. Layout:
/// count byte (254 = "count them"), then per pair: field length, field, value length, a free
/// byte count, value, free bytes; 0xFF ends. Lengths are one byte below 254, else 254 + u32 LE.
pub fn decode_zipmap(zm: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let bad = Error("bad zipmap");
    let mut p = 1usize;
    let len = |p: &mut usize| -> Result<usize> {
        let b = *zm.get(*p).ok_or(bad)?;
        match b {
            0..=253 => {
                *p += 1;
                Ok(usize::from(b))
            }
            254 => {
                let s = zm.get(*p + 1..*p + 5).ok_or(bad)?;
                *p += 5;
                Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
            }
            _ => Err(bad),
        }
    };
    let mut out = Vec::new();
    loop {
        match zm.get(p) {
            None => return Err(bad),
            Some(0xFF) => {
                if p + 1 != zm.len() {
                    return Err(bad);
                }
                break;
            }
            Some(_) => {}
        }
        let flen = len(&mut p)?;
        let field = zm
            .get(p..p.checked_add(flen).ok_or(bad)?)
            .ok_or(bad)?
            .to_vec();
        p += flen;
        let vlen = len(&mut p)?;
        let free = usize::from(*zm.get(p).ok_or(bad)?);
        p += 1;
        let value = zm
            .get(p..p.checked_add(vlen).ok_or(bad)?)
            .ok_or(bad)?
            .to_vec();
        p += vlen + free;
        out.push((field, value));
    }
    let count = *zm.first().ok_or(bad)?;
    if count < 254 && usize::from(count) != out.len() {
        return Err(bad);
    }
    Ok(out)
}

/// A ziplist of `entries`, each given as its encoding and payload (the prev-length and the
/// header are filled in), laid out per ziplist.c: test input for the loaders.
#[cfg(test)]
pub(crate) fn build(entries: &[&[u8]]) -> Vec<u8> {
    let mut zl = vec![0u8; HEADER];
    let mut prev = 0;
    let mut last = HEADER;
    for e in entries {
        last = zl.len();
        zl.push(prev as u8);
        zl.extend_from_slice(e);
        prev = e.len() + 1;
    }
    zl.push(0xFF);
    let total = zl.len() as u32;
    zl[0..4].copy_from_slice(&total.to_le_bytes());
    zl[4..8].copy_from_slice(&(last as u32).to_le_bytes());
    zl[8..10].copy_from_slice(&(entries.len() as u16).to_le_bytes());
    zl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_encoding() {
        // Built by hand per ziplist.c: "ab", 5 (immediate), -2 (i8), 300 (i16), 70000 (i24).
        let entries: &[&[u8]] = &[
            &[0x02, b'a', b'b'],
            &[0xF6],
            &[0xFE, 0xFE],
            &[0xC0, 0x2C, 0x01],
            &[0xF0, 0x70, 0x11, 0x01],
        ];
        let zl = build(entries);
        let got: Vec<Vec<u8>> = decode(&zl)
            .unwrap()
            .into_iter()
            .map(Entry::to_vec)
            .collect();
        let want: Vec<&[u8]> = vec![b"ab", b"5", b"-2", b"300", b"70000"];
        assert_eq!(got, want);
        for n in 0..zl.len() {
            assert!(decode(&zl[..n]).is_err());
        }
    }
}
