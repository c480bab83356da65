//! LZF, the compression RDB strings may use (Redis vendors liblzf 3.6). Decompression is
//! exact. Compression follows liblzf's algorithm as Redis builds it (VERY_FAST, a 2^16-slot
//! table of the last position of each 3-byte hash, position 0 never a reference, the same
//! output bounds), so lode's payloads match Redis's byte for byte in the usual case. Not
//! always: liblzf leaves its table uninitialised, so Redis can pick up a match through a stale
//! slot that a clean table does not have; Redis loads any valid LZF, so this only shows when
//! comparing bytes.
//!
//! Hand-written rather than the `lzf` crate: the format is small (two kinds of tokens), a
//! pure-Rust version keeps core free of C build steps and lets decompression be bounded and
//! panic-free on hostile input, which RESTORE needs.
//!
//! Format: a control byte `c`. If `c < 32`, `c + 1` literal bytes follow. Otherwise it is a
//! back reference: length `c >> 5` (7 means "7 + the next byte"), plus 2; offset
//! `((c & 31) << 8 | next byte) + 1` bytes back from the end of the output so far. References
//! may overlap the bytes they produce (run-length style).

/// Longest literal run one control byte covers.
const MAX_LITERAL: usize = 32;
/// Farthest back a reference reaches.
const MAX_OFFSET: usize = 8192;
/// Longest match one reference encodes: (7 + 255) + 2.
const MAX_MATCH: usize = 264;
/// log2 of the match-finder's table size (liblzf's HLOG as Redis builds it).
const HASH_LOG: u32 = 16;

/// Decompresses `input`, which must produce exactly `out_len` bytes. None if the input is
/// malformed, references bytes before the start, or produces more or fewer bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // The caller's `out_len` comes from the payload: cap the up-front allocation by what the
    // input could expand to, so a lying length field cannot allocate unbounded memory.
    let mut out = Vec::with_capacity(out_len.min(input.len().saturating_mul(MAX_MATCH)));
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = input.get(i..i + n)?;
            if out.len() + n > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            len += 2;
            let back = ((ctrl & 31) << 8 | usize::from(*input.get(i)?)) + 1;
            i += 1;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            // Byte by byte: the source may overlap what this reference writes.
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

/// Compresses `input` as liblzf does into at most `out_len` bytes; None when it does not fit
/// (liblzf's "return 0", after which Redis stores the string raw) or `input` is empty.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 || out_len == 0 {
        return None;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        let table = &mut *t;
        table.begin();
        compress_with(input, out_len, table)
    })
}

/// The match finder's hash table, kept per thread: clearing (or allocating) 2^16 slots for
/// every string would cost more than compressing a short one, and a snapshot compresses
/// millions. Each call bumps a generation; a slot written by an earlier call reads as empty,
/// so results are exactly those of a fresh table, as liblzf's.
struct Table {
    generation: u32,
    slots: Vec<u64>,
}

thread_local! {
    static TABLE: std::cell::RefCell<Table> = const {
        std::cell::RefCell::new(Table { generation: 0, slots: Vec::new() })
    };
}

impl Table {
    fn begin(&mut self) {
        if self.slots.is_empty() {
            self.slots = vec![0; 1 << HASH_LOG];
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.fill(0);
            self.generation = 1;
        }
    }
}

impl Table {
    /// The position stored at `slot` by this call (0 = empty: position 0 is never a
    /// reference, as in liblzf).
    #[inline]
    fn get(&self, slot: usize) -> usize {
        let v = self.slots[slot];
        if (v >> 32) as u32 == self.generation {
            (v & 0xffff_ffff) as usize
        } else {
            0
        }
    }

    #[inline]
    fn set(&mut self, slot: usize, pos: usize) {
        self.slots[slot] = (u64::from(self.generation) << 32) | pos as u64;
    }
}

/// Appends one literal byte to the run whose control byte is at `run`, closing the run and
/// opening the next once it holds MAX_LITERAL bytes.
#[inline]
fn push_literal(out: &mut Vec<u8>, run: &mut usize, lit: &mut usize, b: u8) {
    out.push(b);
    *lit += 1;
    if *lit == MAX_LITERAL {
        out[*run] = (*lit - 1) as u8;
        *run = out.len();
        out.push(0);
        *lit = 0;
    }
}

fn compress_with(input: &[u8], out_len: usize, table: &mut Table) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out: Vec<u8> = Vec::with_capacity(out_len + 1);
    // `run` is the index of the current literal run's control byte, `lit` its length so far.
    let mut run = 0;
    out.push(0);
    let mut lit = 0usize;
    let mut ip = 0usize;
    // Only used once three bytes are left, so a shorter input needs no hash.
    let mut h = if n >= 2 { first(input, 0) } else { 0 };
    while ip + 2 < n {
        h = next(h, input, ip);
        let slot = index(h);
        let r = table.get(slot);
        table.set(slot, ip);
        if r > 0 && ip - r - 1 < MAX_OFFSET && input[r..r + 3] == input[ip..ip + 3] {
            let off = ip - r - 1;
            // The output bounds liblzf checks before a reference.
            if out.len() + 4 >= out_len && out.len() - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            let maxlen = (n - ip - 2).min(MAX_MATCH);
            let len = match_len(input, r, ip, maxlen);
            // Close the literal run, or take back its unused control byte.
            if lit == 0 {
                out.pop();
            } else {
                out[run] = (lit - 1) as u8;
            }
            let l = len - 2;
            if l < 7 {
                out.push(((off >> 8) + (l << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((l - 7) as u8);
            }
            out.push(off as u8);
            run = out.len();
            out.push(0);
            lit = 0;
            ip += len;
            if ip + 2 >= n {
                break;
            }
            // Hash the two positions before the new one (VERY_FAST).
            let p = ip - 2;
            h = next(first(input, p), input, p);
            table.set(index(h), p);
            h = next(h, input, p + 1);
            table.set(index(h), p + 1);
        } else {
            if out.len() >= out_len {
                return None;
            }
            push_literal(&mut out, &mut run, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if out.len() + 3 > out_len {
        return None;
    }
    while ip < n {
        push_literal(&mut out, &mut run, &mut lit, input[ip]);
        ip += 1;
    }
    if lit == 0 {
        out.pop();
    } else {
        out[run] = (lit - 1) as u8;
    }
    // liblzf writes at most 3 bytes past its last check, so it can overrun `out_len` by a
    // little and still report success; Redis then stores what it got. Mirror that.
    Some(out)
}

/// liblzf's match length for a 3-byte match of `r` at `ip`: it compares 16 bytes unbounded
/// when more than 16 may match, then steps until `maxlen`; never less than 3.
fn match_len(input: &[u8], r: usize, ip: usize, maxlen: usize) -> usize {
    let mut len = 2;
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if input[r + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < maxlen && input[r + len] == input[ip + len]) {
            return len;
        }
    }
}

/// liblzf's FRST: the first two bytes at `p`.
fn first(input: &[u8], p: usize) -> u32 {
    u32::from(input[p]) << 8 | u32::from(input[p + 1])
}

/// liblzf's NEXT: shifts in the third byte at `p`.
fn next(h: u32, input: &[u8], p: usize) -> u32 {
    h << 8 | u32::from(input[p + 2])
}

/// liblzf's IDX under VERY_FAST, for a 2^16-slot table.
fn index(h: u32) -> usize {
    ((h >> (24 - HASH_LOG)).wrapping_sub(h.wrapping_mul(5)) & ((1 << HASH_LOG) - 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompresses_redis_output() {
        // The LZF body of DUMP of `SET k <100 x 'a'>` from redis-server 7.0.
        let body = [0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61];
        assert_eq!(decompress(&body, 100), Some(vec![b'a'; 100]));
        assert_eq!(decompress(&body, 99), None);
        assert_eq!(decompress(&body, 101), None);
        assert_eq!(decompress(&body[..8], 100), None);
        // A reference before the start.
        assert_eq!(decompress(&[0x20, 0x00], 3), None);
    }

    #[test]
    fn compresses_as_redis() {
        let body = [0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61];
        assert_eq!(compress(&[b'a'; 100], 96).as_deref(), Some(&body[..]));
    }

    #[test]
    fn round_trips() {
        let mut rng = fastrand::Rng::with_seed(7);
        for n in [0, 1, 2, 3, 31, 32, 33, 100, 1000, 70000] {
            let text: Vec<u8> = (0..n).map(|i| b"abcab"[(i * 7 + i / 13) % 5]).collect();
            let noise: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            for input in [text, noise, vec![0u8; n]] {
                // Unbounded, then within Redis's len - 4 bound when it fits.
                if let Some(c) = compress(&input, input.len() * 2 + 16) {
                    assert_eq!(decompress(&c, input.len()).as_deref(), Some(&input[..]));
                }
                if let Some(c) = compress(&input, input.len().saturating_sub(4)) {
                    assert_eq!(decompress(&c, input.len()).as_deref(), Some(&input[..]));
                }
            }
        }
        assert!(compress(&[b'x'; 1000], 996).unwrap().len() < 20);
    }
}
