//! LZF, the compression RDB strings may use (Redis vendors liblzf). Decompression is exact.
//! Compression only has to produce valid LZF, not liblzf's exact bytes: Redis decompresses
//! whatever it is given, and its own output depends on liblzf's hash table details.
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
/// log2 of the match-finder's table size.
const HASH_LOG: u32 = 14;

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

/// Compresses `input` into valid LZF (greedy, one-entry hash table of 3-byte prefixes).
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / MAX_LITERAL + 1);
    // Positions + 1, so 0 means "none".
    let mut table = vec![0usize; 1 << HASH_LOG];
    let mut lit_start = 0;
    let mut i = 0;
    while i + 2 < input.len() {
        let h = hash(&input[i..i + 3]);
        let cand = table[h];
        table[h] = i + 1;
        if cand != 0 {
            let c = cand - 1;
            if i - c <= MAX_OFFSET && input[c..c + 3] == input[i..i + 3] {
                let max = MAX_MATCH.min(input.len() - i);
                let mut len = 3;
                while len < max && input[c + len] == input[i + len] {
                    len += 1;
                }
                literals(&mut out, &input[lit_start..i]);
                let off = i - c - 1;
                let l = len - 2;
                if l < 7 {
                    out.push((l << 5 | off >> 8) as u8);
                } else {
                    out.push((7 << 5 | off >> 8) as u8);
                    out.push((l - 7) as u8);
                }
                out.push(off as u8);
                i += len;
                lit_start = i;
                continue;
            }
        }
        i += 1;
    }
    literals(&mut out, &input[lit_start..]);
    out
}

/// Bucket of a 3-byte prefix.
fn hash(b: &[u8]) -> usize {
    let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
    (v.wrapping_mul(2654435761) >> (32 - HASH_LOG)) as usize
}

/// Emits `lit` as literal runs of at most 32 bytes.
fn literals(out: &mut Vec<u8>, lit: &[u8]) {
    for run in lit.chunks(MAX_LITERAL) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
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
    fn round_trips() {
        let mut rng = fastrand::Rng::with_seed(7);
        for n in [0, 1, 2, 3, 31, 32, 33, 100, 1000, 70000] {
            let text: Vec<u8> = (0..n).map(|i| b"abcab"[(i * 7 + i / 13) % 5]).collect();
            let noise: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            for input in [text, noise, vec![0u8; n]] {
                let c = compress(&input);
                assert_eq!(decompress(&c, input.len()).as_deref(), Some(&input[..]));
            }
        }
        assert!(compress(&[b'x'; 1000]).len() < 20);
    }
}
