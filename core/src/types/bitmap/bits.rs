//! Bit arithmetic on byte strings, Redis's bit order (bit 0 is the most significant bit of
//! byte 0): counting, searching and combining, a 64-bit word at a time where the bytes allow.

/// The bits of `bytes` set to one between bit `from` and bit `to`, both included (`to` below
/// `bytes.len() * 8`).
pub fn count(bytes: &[u8], from: u64, to: u64) -> u64 {
    if from > to {
        return 0;
    }
    let (fb, tb) = ((from / 8) as usize, (to / 8) as usize);
    let mut n = popcount(&bytes[fb..=tb]);
    // Bits of the edge bytes outside the range.
    let head = bytes[fb] & !(0xFFu8 >> (from % 8));
    let tail_mask: u8 = if to % 8 == 7 { 0 } else { 0xFF >> (to % 8 + 1) };
    let tail = bytes[tb] & tail_mask;
    n -= u64::from(head.count_ones()) + u64::from(tail.count_ones());
    n
}

/// The bits set to one in `bytes` (whole words first: the compiler vectorises the loop).
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from(u64::from_ne_bytes(w).count_ones());
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>()
}

/// The first bit equal to `bit` between bit `from` and bit `to` (both included), if any.
pub fn find(bytes: &[u8], bit: bool, from: u64, to: u64) -> Option<u64> {
    if from > to {
        return None;
    }
    // A byte that cannot hold the bit: all zeros when looking for a one, and the reverse.
    let skip = if bit { 0x00 } else { 0xFF };
    let (first, last) = ((from / 8) as usize, (to / 8) as usize);
    let mut byte = first;
    while byte <= last {
        if byte > first && byte < last {
            // Whole bytes strictly inside the range: skip the ones that cannot hold the bit
            // 32 bytes at a time.
            byte += skip_run(&bytes[byte..last], skip);
            if byte == last {
                continue;
            }
        }
        let b = bytes[byte];
        if b != skip || byte == first || byte == last {
            let lo = if byte == first { from % 8 } else { 0 };
            let hi = if byte == last { to % 8 } else { 7 };
            for i in lo..=hi {
                if (b >> (7 - i)) & 1 == bit as u8 {
                    return Some(byte as u64 * 8 + i);
                }
            }
        }
        byte += 1;
    }
    None
}

/// How many leading bytes of `bytes` equal `skip`, compared a 32-byte block at a time (four
/// words folded into one test, which the compiler turns into vector compares).
fn skip_run(bytes: &[u8], skip: u8) -> usize {
    let word = u64::from_ne_bytes([skip; 8]);
    let differs = |c: &[u8]| {
        c.chunks_exact(8)
            .map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ word)
            .fold(0, |acc, x| acc | x)
            != 0
    };
    let mut n = 0;
    for block in bytes.chunks_exact(32) {
        if differs(block) {
            break;
        }
        n += 32;
    }
    // Within the block that differs, or the tail shorter than a block.
    n + bytes[n..].iter().take_while(|&&b| b == skip).count()
}

/// BITOP's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// AND.
    And,
    /// OR.
    Or,
    /// XOR.
    Xor,
    /// NOT (one source).
    Not,
}

/// Combines `sources` (missing keys as empty strings, shorter ones padded with zeros) into a
/// string as long as the longest.
pub fn combine(op: Op, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    if op == Op::Not {
        return sources
            .first()
            .map_or_else(Vec::new, |s| s.iter().map(|b| !b).collect());
    }
    let Some((first, rest)) = sources.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(first);
    out.resize(len, 0);
    // Plain zipped byte loops: the compiler vectorises them.
    for s in rest {
        match op {
            Op::And => {
                for (o, b) in out.iter_mut().zip(s.iter()) {
                    *o &= b;
                }
                out[s.len()..].fill(0);
            }
            Op::Or => {
                for (o, b) in out.iter_mut().zip(s.iter()) {
                    *o |= b;
                }
            }
            Op::Xor => {
                for (o, b) in out.iter_mut().zip(s.iter()) {
                    *o ^= b;
                }
            }
            Op::Not => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_ranges_of_bits() {
        let b = [0xFFu8, 0x0F, 0xF0];
        assert_eq!(popcount(&b), 16);
        assert_eq!(count(&b, 0, 23), 16);
        assert_eq!(count(&b, 4, 11), 4);
        assert_eq!(count(&b, 12, 12), 1);
        assert_eq!(count(&b, 5, 3), 0);
        assert_eq!(count(&[0xAAu8; 100], 1, 798), 399);
    }

    #[test]
    fn finds_bits() {
        let b = [0x00u8, 0x00, 0x10, 0xFF];
        assert_eq!(find(&b, true, 0, 31), Some(19));
        assert_eq!(find(&b, false, 0, 31), Some(0));
        assert_eq!(find(&b, false, 24, 31), None);
        assert_eq!(find(&b, true, 20, 23), None);
        assert_eq!(find(&[0xFFu8; 40], false, 0, 319), None);
        let mut long = vec![0u8; 100];
        long[77] = 1;
        assert_eq!(find(&long, true, 3, 799), Some(77 * 8 + 7));
        assert_eq!(find(&long, true, 3, 77 * 8 + 6), None);
        for at in [1usize, 31, 32, 33, 63, 64, 65, 98] {
            let mut v = vec![0xFFu8; 100];
            v[at] = 0xFE;
            assert_eq!(find(&v, false, 0, 799), Some(at as u64 * 8 + 7), "at {at}");
            assert_eq!(find(&v, false, 9, 799), Some(at as u64 * 8 + 7), "at {at}");
        }
    }

    #[test]
    fn combines() {
        assert_eq!(combine(Op::And, &[b"\xff\x0f", b"\x0f"]), b"\x0f\x00");
        assert_eq!(combine(Op::Or, &[b"\x01", b"\x02\x04"]), b"\x03\x04");
        assert_eq!(combine(Op::Xor, &[b"\xff", b"\x0f"]), b"\xf0");
        assert_eq!(combine(Op::Not, &[b"\x0f"]), b"\xf0");
        assert_eq!(combine(Op::And, &[b"", b"\xff"]), b"\x00");
    }
}
