//! The cardinality estimate from the register histogram: Otmar Ertl's improved estimator
//! ("New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284), the
//! one Redis 7 uses, computed in the same order of floating-point operations so the rounded
//! result is redis-server's to the unit.

use super::layout::{Q, REGISTERS};

/// 0.5 / ln(2), the estimator's constant for an unbounded number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Ertl's sigma: x + sum over k >= 1 of x^(2^k) * 2^(k-1), summed until it stops changing.
fn sigma(x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut x, mut y, mut z) = (x, 1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's tau: (1 - x - sum over k >= 1 of (1 - x^(2^-k))^2 * 2^-k) / 3.
fn tau(x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut x, mut y, mut z) = (x, 1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// The estimate for a register histogram (`hist[v]` = registers holding `v`; values above
/// Q+1, which only a damaged dense value holds, are not counted, as in Redis).
pub fn estimate(hist: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(hist[Q + 1])) / m);
    for &n in hist[1..=Q].iter().rev() {
        z += f64::from(n);
        z *= 0.5;
    }
    z += m * sigma(f64::from(hist[0]) / m);
    round_like_llround(ALPHA_INF * m * m / z)
}

/// `x` rounded half away from zero, as llroundl: a result outside the i64 range (z = 0 when
/// every register holds Q+1, giving infinity) is i64::MIN, what x86-64's conversion yields.
fn round_like_llround(x: f64) -> u64 {
    let r = x.round();
    if r >= -(i64::MIN as f64) || r.is_nan() {
        i64::MIN as u64
    } else {
        r as i64 as u64
    }
}

/// The histogram of an array of one byte per register (PFCOUNT's union of several keys).
pub fn raw_histogram(regs: &[u8; REGISTERS], hist: &mut [u32; 64]) {
    // One histogram per byte lane, so repeated values do not serialise on one counter.
    let mut lanes = [[0u32; 64]; 8];
    let mut zero_words = 0;
    for chunk in regs.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if u64::from_ne_bytes(word) == 0 {
            zero_words += 1;
        } else {
            for (lane, &v) in lanes.iter_mut().zip(chunk) {
                lane[usize::from(v & 63)] += 1;
            }
        }
    }
    hist[0] += zero_words * 8;
    for lane in &lanes {
        for (h, n) in hist.iter_mut().zip(lane) {
            *h += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist_of(regs: &[u8; REGISTERS]) -> [u32; 64] {
        let mut h = [0u32; 64];
        raw_histogram(regs, &mut h);
        h
    }

    #[test]
    fn empty_is_zero_and_full_is_i64_min() {
        assert_eq!(estimate(&hist_of(&[0; REGISTERS])), 0);
        assert_eq!(estimate(&hist_of(&[51; REGISTERS])), i64::MIN as u64);
    }

    #[test]
    fn small_counts_are_exact_enough() {
        // One register at 1: the estimator gives 1, as Redis's PFCOUNT after one PFADD.
        let mut regs = [0u8; REGISTERS];
        regs[7] = 1;
        assert_eq!(estimate(&hist_of(&regs)), 1);
        regs[8] = 2;
        regs[9] = 1;
        assert_eq!(estimate(&hist_of(&regs)), 3);
    }

    #[test]
    fn histogram_counts_every_register_once() {
        // Zero words take the shortcut, the others go through the per-lane histograms.
        let mut rng = fastrand::Rng::with_seed(11);
        let mut regs = [0u8; REGISTERS];
        for (i, r) in regs.iter_mut().enumerate() {
            if i % 64 >= 16 {
                *r = rng.u8(..Q as u8 + 2);
            }
        }
        let mut want = [0u32; 64];
        regs.iter().for_each(|&v| want[usize::from(v)] += 1);
        let mut got = [5u32; 64];
        raw_histogram(&regs, &mut got);
        for (v, (&g, &w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w + 5, "value {v}");
        }
    }

    #[test]
    fn values_above_q_plus_1_are_ignored() {
        let mut regs = [0u8; REGISTERS];
        regs[0] = 1;
        let base = estimate(&hist_of(&regs));
        let mut h = hist_of(&regs);
        h[60] = 1;
        assert_eq!(estimate(&h), base);
        assert_eq!(sigma(0.0), 0.0);
        assert_eq!(tau(1.0), 0.0);
    }
}
