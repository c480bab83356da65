//! The dense encoding: 16384 registers of 6 bits packed into 12288 bytes, register `i` at bit
//! `6 * i` of the byte string read as one little-endian bit stream (its low bits in the low
//! bits of byte `6i / 8`), as Redis packs them.

use super::layout::REGISTERS;

/// The registers' byte length.
pub const BYTES: usize = REGISTERS * 6 / 8;

/// Register `i` (`i < REGISTERS`) of the packed `regs`.
pub fn get(regs: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let byte = bit / 8;
    // The last register ends exactly at the last byte, so the byte after it is never needed.
    let pair = u16::from(regs[byte]) | u16::from(regs.get(byte + 1).copied().unwrap_or(0)) << 8;
    ((pair >> (bit % 8)) & 63) as u8
}

/// Sets register `i` to `value` (`value < 64`).
pub fn put(regs: &mut [u8], i: usize, value: u8) {
    let bit = i * 6;
    let byte = bit / 8;
    let shift = bit % 8;
    let bits = u16::from(value & 63) << shift;
    let mask = 63u16 << shift;
    regs[byte] = (regs[byte] & !(mask as u8)) | bits as u8;
    if shift > 2 {
        // The register straddles two bytes.
        regs[byte + 1] = (regs[byte + 1] & !((mask >> 8) as u8)) | (bits >> 8) as u8;
    }
}

/// Raises register `i` to `value` if it is lower; whether it changed (Redis's hllDenseSet).
pub fn raise(regs: &mut [u8], i: usize, value: u8) -> bool {
    if value > get(regs, i) {
        put(regs, i, value);
        true
    } else {
        false
    }
}

/// The 4 registers packed in 3 bytes.
#[inline(always)]
fn unpack(c: &[u8]) -> [u8; 4] {
    let w = u32::from(c[0]) | u32::from(c[1]) << 8 | u32::from(c[2]) << 16;
    [
        (w & 63) as u8,
        ((w >> 6) & 63) as u8,
        ((w >> 12) & 63) as u8,
        ((w >> 18) & 63) as u8,
    ]
}

/// Adds the registers' values to the histogram `hist` (index = register value).
pub fn histogram(regs: &[u8], hist: &mut [u32; 64]) {
    // One histogram per lane: consecutive increments of the same bucket (most registers
    // hold 0..3) would otherwise wait on each other's store.
    let mut lanes = [[0u32; 64]; 4];
    for c in regs[..BYTES].chunks_exact(3) {
        let r = unpack(c);
        for (lane, v) in lanes.iter_mut().zip(r) {
            lane[usize::from(v)] += 1;
        }
    }
    for lane in &lanes {
        for (h, n) in hist.iter_mut().zip(lane) {
            *h += n;
        }
    }
}

/// `max[i] = max(max[i], register i)` for every register: the union of HLLs.
pub fn merge_into(regs: &[u8], max: &mut [u8; REGISTERS]) {
    // Branch-free maxima: whether a register raises the union is a coin toss the branch
    // predictor loses.
    for (c, m) in regs[..BYTES].chunks_exact(3).zip(max.chunks_exact_mut(4)) {
        for (m, v) in m.iter_mut().zip(unpack(c)) {
            *m = (*m).max(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_do_not_disturb_their_neighbours() {
        let mut regs = vec![0u8; BYTES];
        let mut want = vec![0u8; REGISTERS];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..3 {
            for (i, w) in want.iter_mut().enumerate() {
                *w = rng.u8(..64);
                put(&mut regs, i, *w);
            }
            for (i, &w) in want.iter().enumerate() {
                assert_eq!(get(&regs, i), w, "register {i}");
            }
            let mut hist = [0u32; 64];
            histogram(&regs, &mut hist);
            for (v, &n) in hist.iter().enumerate() {
                assert_eq!(
                    n as usize,
                    want.iter().filter(|&&w| w as usize == v).count()
                );
            }
            let mut max = [0u8; REGISTERS];
            merge_into(&regs, &mut max);
            assert_eq!(&max[..], &want[..]);
        }
    }

    #[test]
    fn packing_is_redis_s() {
        let mut regs = vec![0u8; BYTES];
        put(&mut regs, 0, 1);
        put(&mut regs, 1, 63);
        assert_eq!(&regs[..2], &[0b1100_0001, 0b0000_1111]);
        put(&mut regs, REGISTERS - 1, 63);
        assert_eq!(regs[BYTES - 1], 0b1111_1100);
        assert!(!raise(&mut regs, 1, 5));
        assert!(raise(&mut regs, 2, 5));
        assert_eq!(get(&regs, 2), 5);
    }
}
