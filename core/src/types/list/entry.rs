//! One packed list entry: a header (which also says how the payload is stored), the payload,
//! then a "back length" (the size of header + payload, written so it can be read from its last
//! byte backwards). The back length is what lets a chunk be walked from its end as cheaply as
//! from its start.
//!
//! Headers (first byte):
//! - `0x00..=0x7F`: the integer 0..=127 itself, no payload;
//! - `0x80..=0xBF`: a string of 0..=63 bytes;
//! - `0xC0..=0xDF`: a string of up to 8191 bytes, length's high 5 bits here, low 8 in the next byte;
//! - `0xE0..=0xE7`: an integer in 1..=8 little-endian two's-complement bytes;
//! - `0xF0`: a string whose length follows as 8 little-endian bytes.
//!
//! A string is stored as an integer only when it is the exact decimal spelling of that integer
//! (Redis's strict `string2ll`), so it reads back byte for byte.

use crate::resp::ReplyWriter;
use crate::util::num::parse_i64;

const STR6: u8 = 0x80;
const STR13: u8 = 0xC0;
const INT_N: u8 = 0xE0;
const STR64: u8 = 0xF0;

/// An element as stored: raw bytes or an integer kept in binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    /// A string element, straight from the chunk.
    Str(&'a [u8]),
    /// An element whose text is the decimal spelling of this integer.
    Int(i64),
}

impl Elem<'_> {
    /// Calls `f` with the element's text.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Str(s) => f(s),
            Elem::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
        }
    }

    /// The element's text, owned.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// Writes the element as a bulk string.
    pub fn reply(self, out: &mut ReplyWriter) {
        match self {
            Elem::Str(s) => out.bulk(s),
            Elem::Int(n) => out.bulk_i64(n),
        }
    }
}

/// A value to compare elements against (LREM, LPOS, LINSERT's pivot), pre-classified the way
/// elements are stored so a comparison never formats or parses.
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    /// Prepares `bytes` for matching.
    pub fn new(bytes: &'a [u8]) -> Self {
        Needle {
            bytes,
            int: parse_i64(bytes),
        }
    }

    /// Whether `e` has exactly this text.
    pub fn matches(&self, e: &Elem) -> bool {
        // Canonical integer spellings are always stored as integers, so the kinds must agree.
        match (*e, self.int) {
            (Elem::Int(n), Some(m)) => n == m,
            (Elem::Str(s), None) => s == self.bytes,
            _ => false,
        }
    }
}

/// An element encoded and ready to be copied into a chunk.
pub struct Encoded<'a> {
    head: [u8; 9],
    head_len: u8,
    payload: &'a [u8],
    back: [u8; 5],
    back_len: u8,
}

impl<'a> Encoded<'a> {
    /// Encodes `v` (as an integer when it is one's canonical spelling).
    pub fn new(v: &'a [u8]) -> Self {
        let mut head = [0u8; 9];
        let (head_len, payload): (usize, &[u8]) = match parse_i64(v) {
            Some(n) if (0..=0x7F).contains(&n) => {
                head[0] = n as u8;
                (1, &[])
            }
            Some(n) => {
                let bytes = n.to_le_bytes();
                // Fewest bytes that sign-extend back to n.
                let mut w = 8;
                while w > 1 && i64::from_le_bytes(sign_extend(&bytes[..w - 1])) == n {
                    w -= 1;
                }
                head[0] = INT_N + (w as u8 - 1);
                head[1..=w].copy_from_slice(&bytes[..w]);
                (1 + w, &[])
            }
            None if v.len() < 64 => {
                head[0] = STR6 | v.len() as u8;
                (1, v)
            }
            None if v.len() < 8192 => {
                head[0] = STR13 | (v.len() >> 8) as u8;
                head[1] = v.len() as u8;
                (2, v)
            }
            None => {
                head[0] = STR64;
                head[1..9].copy_from_slice(&(v.len() as u64).to_le_bytes());
                (9, v)
            }
        };
        let body = head_len + payload.len();
        let mut back = [0u8; 5];
        let back_len = write_back_len(body, &mut back);
        Encoded {
            head,
            head_len: head_len as u8,
            payload,
            back,
            back_len: back_len as u8,
        }
    }

    /// Total bytes the entry takes in a chunk.
    pub fn len(&self) -> usize {
        self.head_len as usize + self.payload.len() + self.back_len as usize
    }

    /// Copies the entry into `dst`, which is exactly `len()` bytes.
    pub fn write(&self, dst: &mut [u8]) {
        let h = self.head_len as usize;
        let p = self.payload.len();
        dst[..h].copy_from_slice(&self.head[..h]);
        dst[h..h + p].copy_from_slice(self.payload);
        dst[h + p..].copy_from_slice(&self.back[..self.back_len as usize]);
    }
}

/// Sign-extends up to 8 little-endian bytes to an i64's bytes.
fn sign_extend(b: &[u8]) -> [u8; 8] {
    let fill = if b.last().is_some_and(|&x| x & 0x80 != 0) {
        0xFF
    } else {
        0
    };
    let mut out = [fill; 8];
    out[..b.len()].copy_from_slice(b);
    out
}

/// Bytes the back length of an entry body of `body` bytes takes.
fn back_len_size(body: usize) -> usize {
    match body {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0xFFF_FFFF => 4,
        _ => 5,
    }
}

/// Writes `body` as a back length into `dst`, returning how many bytes it used. Read from the
/// last byte backwards, each byte gives 7 bits (least significant first) and its high bit says
/// whether another byte precedes it.
fn write_back_len(body: usize, dst: &mut [u8; 5]) -> usize {
    let n = back_len_size(body);
    for i in 0..n {
        let more = if i + 1 < n { 0x80 } else { 0 };
        dst[n - 1 - i] = ((body >> (7 * i)) & 0x7F) as u8 | more;
    }
    n
}

/// Decodes the entry starting at `off`: the element and the offset just past the entry.
pub fn decode(buf: &[u8], off: usize) -> (Elem<'_>, usize) {
    let h = buf[off];
    let (elem, body) = match h {
        0..=0x7F => (Elem::Int(h as i64), 1),
        0x80..=0xBF => {
            let n = (h & 0x3F) as usize;
            (Elem::Str(&buf[off + 1..off + 1 + n]), 1 + n)
        }
        0xC0..=0xDF => {
            let n = (((h & 0x1F) as usize) << 8) | buf[off + 1] as usize;
            (Elem::Str(&buf[off + 2..off + 2 + n]), 2 + n)
        }
        0xE0..=0xE7 => {
            let w = (h - INT_N) as usize + 1;
            let n = i64::from_le_bytes(sign_extend(&buf[off + 1..off + 1 + w]));
            (Elem::Int(n), 1 + w)
        }
        _ => {
            let mut len = [0u8; 8];
            len.copy_from_slice(&buf[off + 1..off + 9]);
            let n = u64::from_le_bytes(len) as usize;
            (Elem::Str(&buf[off + 9..off + 9 + n]), 9 + n)
        }
    };
    (elem, off + body + back_len_size(body))
}

/// The offset where the entry ending at `end` starts.
pub fn start_before(buf: &[u8], end: usize) -> usize {
    let mut body = 0usize;
    let mut i = 0;
    loop {
        let b = buf[end - 1 - i];
        body |= ((b & 0x7F) as usize) << (7 * i);
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    end - i - body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(v: &[u8]) -> usize {
        let e = Encoded::new(v);
        let mut buf = vec![0xAA; 3];
        let at = buf.len();
        buf.resize(at + e.len(), 0);
        e.write(&mut buf[at..]);
        buf.push(0x55);
        let (elem, next) = decode(&buf, at);
        assert_eq!(next, at + e.len());
        assert_eq!(elem.to_vec(), v);
        assert_eq!(start_before(&buf, next), at);
        e.len()
    }

    #[test]
    fn entries_read_back_byte_identical() {
        for v in [
            &b""[..],
            b"0",
            b"-0",
            b"007",
            b"+1",
            b"127",
            b"128",
            b"-1",
            b"-128",
            b"-129",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"9223372036854775808",
            b"hello",
            b"1 ",
            b"\x00\xff",
        ] {
            roundtrip(v);
        }
        for n in [63usize, 64, 127, 128, 8191, 8192, 16383, 16384, 70000] {
            roundtrip(&vec![b'x'; n]);
        }
    }

    #[test]
    fn short_entries_cost_two_bytes() {
        assert_eq!(roundtrip(b"5"), 2);
        assert_eq!(roundtrip(b"hello world12345"), 18);
        assert_eq!(roundtrip(b"1000"), 4);
    }

    #[test]
    fn needles_match_by_text() {
        let n = Needle::new(b"12");
        assert!(n.matches(&Elem::Int(12)));
        assert!(!n.matches(&Elem::Str(b"12x")));
        let s = Needle::new(b"012");
        assert!(s.matches(&Elem::Str(b"012")));
        assert!(!s.matches(&Elem::Int(12)));
    }
}
