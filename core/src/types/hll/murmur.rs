//! The hash Redis feeds its HyperLogLogs: MurmurHash64A with Redis's seed, reading 8-byte
//! blocks little-endian on every platform, so lode picks the very register and run length
//! redis-server picks for the same element.

use super::layout::{P, Q, REGISTERS};

/// The seed redis-server hashes HLL elements with.
const SEED: u64 = 0xadc8_3b19;

/// MurmurHash64A of `data` with `seed`, the block reads little-endian (Redis's endian-neutral
/// variant: on little-endian machines it is the original algorithm).
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        let mut k = u64::from_le_bytes(word).wrapping_mul(M);
        k ^= k >> R;
        h ^= k.wrapping_mul(M);
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // The last 1..7 bytes enter as one little-endian word, then one multiplication.
        let word = tail
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        h ^= word;
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// The register `element` updates and the value it offers that register: the position of the
/// first 1 bit above the P index bits, counted from 1 (so 1..=Q+1; bit Q is forced on so the
/// count is bounded).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_bytes_enter_little_endian() {
        // Lengths 0..=16 cover every tail length with and without a full block; the tail
        // fold must equal the byte-by-byte XOR of the reference algorithm.
        let data: Vec<u8> = (1..=16u8).map(|b| b.wrapping_mul(37)).collect();
        for len in 0..=data.len() {
            let bytes = &data[..len];
            let mut reference = SEED ^ (len as u64).wrapping_mul(0xc6a4_a793_5bd1_e995);
            let full = len - len % 8;
            for chunk in bytes[..full].chunks(8) {
                let mut k = u64::from_le_bytes(chunk.try_into().unwrap());
                k = k.wrapping_mul(0xc6a4_a793_5bd1_e995);
                k ^= k >> 47;
                k = k.wrapping_mul(0xc6a4_a793_5bd1_e995);
                reference ^= k;
                reference = reference.wrapping_mul(0xc6a4_a793_5bd1_e995);
            }
            if len % 8 != 0 {
                for (i, &b) in bytes[full..].iter().enumerate() {
                    reference ^= u64::from(b) << (8 * i);
                }
                reference = reference.wrapping_mul(0xc6a4_a793_5bd1_e995);
            }
            reference ^= reference >> 47;
            reference = reference.wrapping_mul(0xc6a4_a793_5bd1_e995);
            reference ^= reference >> 47;
            assert_eq!(murmur64a(bytes, SEED), reference, "length {len}");
        }
    }

    #[test]
    fn pattern_is_bounded() {
        for i in 0..10_000u32 {
            let (index, count) = pattern(&i.to_le_bytes());
            assert!(index < REGISTERS);
            assert!((1..=Q as u8 + 1).contains(&count));
        }
    }
}
