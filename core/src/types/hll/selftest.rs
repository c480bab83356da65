//! PFSELFTEST: checks that the packed registers hold what is written to them, and that the
//! estimate stays within six standard errors at every power of ten up to 10 million elements,
//! with the sparse and the dense encodings agreeing at each of those points.

use super::layout::{self, Encoding, HllError, HDR, REGISTERS};
use super::{dense, murmur, ops, sparse};
use crate::command::Ctx;

/// Rounds of random register writes and reads.
const CYCLES: usize = 1000;
/// Elements added in the estimator check.
const ELEMENTS: u64 = 10_000_000;

/// PFSELFTEST
pub fn pfselftest(ctx: &mut Ctx) {
    let seed = ctx.server.rng.lock().u64(..);
    let max_bytes = ctx.server.config.read().hll_sparse_max_bytes;
    match run(seed, CYCLES, ELEMENTS, max_bytes) {
        Ok(()) => ctx.out.ok(),
        Err(msg) => ctx.error(&msg),
    }
}

/// Both checks, with `cycles` register rounds and `elements` elements.
fn run(seed: u64, cycles: usize, elements: u64, max_bytes: usize) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    registers_hold(&mut rng, cycles)?;
    estimates_hold(rng.u64(..), elements, max_bytes)
}

/// Random values written to every register read back unchanged.
fn registers_hold(rng: &mut fastrand::Rng, cycles: usize) -> Result<(), String> {
    let mut regs = vec![0u8; dense::BYTES];
    let mut want = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, w) in want.iter_mut().enumerate() {
            *w = rng.u8(..64);
            dense::put(&mut regs, i, *w);
        }
        for (i, &w) in want.iter().enumerate() {
            let got = dense::get(&regs, i);
            if got != w {
                return Err(format!(
                    "TESTFAILED Register {i} should be {w} but is {got}"
                ));
            }
        }
    }
    Ok(())
}

/// Adds `elements` distinct elements to a dense and a sparse HLL, checking at 1, 10, 100...
fn estimates_hold(seed: u64, elements: u64, max_bytes: usize) -> Result<(), String> {
    let corrupt = |e: HllError| e.message().to_string();
    let mut sparse_v = layout::new_sparse();
    let mut dense_v = sparse::to_dense(&sparse_v).ok_or("TESTFAILED empty HLL")?;
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let (index, count) = murmur::pattern(&(j ^ seed).to_le_bytes());
        dense::raise(&mut dense_v[HDR..], index, count);
        ops::raise(&mut sparse_v, index, count, max_bytes).map_err(corrupt)?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < max_bytes / 2 && layout::encoding(&sparse_v) != Encoding::Sparse {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = ops::count(&dense_v).map_err(corrupt)?;
        if card != ops::count(&sparse_v).map_err(corrupt)? {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(card);
        // At 10 a single collision is already a large relative error: allow exactly one.
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_self_test_passes() {
        // 100,000 elements: past the sparse-to-dense switch at the default limit.
        for seed in 0..3 {
            assert_eq!(run(seed, 3, 100_000, 3000), Ok(()));
        }
    }
}
