//! The sparse encoding: runs of registers as opcodes after the header, Redis's layout:
//! ZERO `00llllll` (1..=64 zero registers), XZERO `01llllll llllllll` (1..=16384 zero
//! registers), VAL `1vvvvvll` (1..=4 registers of value 1..=32). Values above 32, or a string
//! that would grow past `hll-sparse-max-bytes`, need the dense encoding.
//!
//! Everything here takes the value as a client may have written it: a run may overshoot the
//! 16384 registers, an XZERO may lack its second byte (read as 0, as Redis reads the string's
//! terminator). Decoding never indexes past the string, and the validity rules are Redis's, so
//! a damaged value is refused (or accepted) exactly where redis-server refuses (or accepts) it.

use super::dense;
use super::layout::{invalidate_cache, DENSE_LEN, HDR, REGISTERS};

/// The largest value a VAL opcode holds.
pub const VAL_MAX: u8 = 32;
/// The most registers one VAL opcode covers.
const VAL_MAX_LEN: usize = 4;
/// The most registers one ZERO opcode covers.
const ZERO_MAX_LEN: usize = 64;

/// One opcode: `len` registers of `value` (0 for ZERO and XZERO), `width` bytes long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The registers' value.
    pub value: u8,
    /// How many registers.
    pub len: usize,
    /// The opcode's size: 2 for XZERO, else 1.
    pub width: usize,
}

/// Whether the byte starts an XZERO opcode.
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

/// Whether the byte is a VAL opcode.
fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

/// A VAL opcode's (value, len).
fn val_of(b: u8) -> (u8, usize) {
    (((b >> 2) & 0x1f) + 1, usize::from(b & 3) + 1)
}

/// The VAL opcode for `len` registers of `value` (1..=32, 1..=4).
fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len - 1) as u8
}

/// The opcode at `pos` (`pos < buf.len()`).
pub fn run_at(buf: &[u8], pos: usize) -> Run {
    let b = buf[pos];
    if is_val(b) {
        let (value, len) = val_of(b);
        Run {
            value,
            len,
            width: 1,
        }
    } else if is_xzero(b) {
        let low = buf.get(pos + 1).copied().unwrap_or(0);
        Run {
            value: 0,
            len: ((usize::from(b & 0x3f) << 8) | usize::from(low)) + 1,
            width: 2,
        }
    } else {
        Run {
            value: 0,
            len: usize::from(b & 0x3f) + 1,
            width: 1,
        }
    }
}

/// Appends the opcode for `len` zero registers (`1..=16384`): ZERO up to 64, else XZERO.
pub fn push_zeros(out: &mut impl Extend<u8>, len: usize) {
    let l = len - 1;
    if len > ZERO_MAX_LEN {
        out.extend([0x40 | (l >> 8) as u8, (l & 0xff) as u8]);
    } else {
        out.extend([l as u8]);
    }
}

/// Calls `f(first_register, run)` for each opcode of the `body` (what follows the header);
/// whether the runs cover exactly the 16384 registers. A run that would pass the last
/// register stops the walk before `f` sees it (the rule of redis-server 7.0.15 as
/// distributions ship it, with the CVE-2025-32023 fix: any overshooting run makes the value
/// corrupt), which also bounds the walk of a huge damaged value.
#[inline(always)]
fn walk(body: &[u8], mut f: impl FnMut(usize, Run)) -> bool {
    let (mut pos, mut idx) = (0, 0);
    while pos < body.len() {
        let run = run_at(body, pos);
        if idx + run.len > REGISTERS {
            return false;
        }
        f(idx, run);
        idx += run.len;
        pos += run.width;
    }
    idx == REGISTERS
}

/// Adds the registers' values to `hist`; false if the value is corrupt.
pub fn histogram(body: &[u8], hist: &mut [u32; 64]) -> bool {
    walk(body, |_, run| {
        hist[usize::from(run.value)] += run.len as u32
    })
}

/// `max[i] = max(max[i], register i)`; false if the value is corrupt.
pub fn merge_into(body: &[u8], max: &mut [u8; REGISTERS]) -> bool {
    walk(body, |first, run| {
        if run.value != 0 {
            for m in &mut max[first..first + run.len] {
                *m = (*m).max(run.value);
            }
        }
    })
}

/// The dense form of the sparse HLL `v` (header copied, encoding byte set to dense), or None
/// if the value is corrupt.
pub fn to_dense(v: &[u8]) -> Option<Vec<u8>> {
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HDR].copy_from_slice(&v[..HDR]);
    dense[4] = 0;
    let regs = &mut dense[HDR..];
    let valid = walk(&v[HDR..], |first, run| {
        if run.value != 0 {
            for i in first..first + run.len {
                dense::put(regs, i, run.value);
            }
        }
    });
    valid.then_some(dense)
}

/// PFDEBUG DECODE's text: `z:LEN` (ZERO), `Z:LEN` (XZERO), `v:VALUE,LEN` (VAL), space separated.
pub fn decode(body: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut pos = 0;
    while pos < body.len() {
        let run = run_at(body, pos);
        let _ = match (run.value, run.width) {
            (0, 1) => write!(out, "z:{} ", run.len),
            (0, _) => write!(out, "Z:{} ", run.len),
            (v, _) => write!(out, "v:{},{} ", v, run.len),
        };
        pos += run.width;
    }
    out.truncate(out.trim_end_matches(' ').len());
    out
}

/// What [`set`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOutcome {
    /// The register already held at least the value.
    Unchanged,
    /// The register was raised (and the cached cardinality invalidated).
    Updated,
    /// Nothing was changed: the value needs the dense encoding (a value above 32, or the
    /// string would outgrow `hll-sparse-max-bytes`).
    Promote,
    /// The opcodes do not reach the register.
    Corrupt,
}

/// Raises register `index` of the sparse HLL `v` to `count` if it is lower, splitting the
/// opcode that covers it, then merging equal neighbouring VAL opcodes around the change as
/// Redis's hllSparseSet does (so the bytes stay redis-server's).
pub fn set(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> SetOutcome {
    if count > VAL_MAX {
        return SetOutcome::Promote;
    }
    // Find the opcode covering `index`, and the one before it.
    let (mut pos, mut first, mut prev) = (HDR, 0, None);
    let mut run = None;
    while pos < v.len() {
        let r = run_at(v, pos);
        if index < first + r.len {
            run = Some(r);
            break;
        }
        prev = Some(pos);
        pos += r.width;
        first += r.len;
    }
    let Some(run) = run else {
        return SetOutcome::Corrupt;
    };
    if run.value >= count {
        return SetOutcome::Unchanged;
    }
    if run.len == 1 && run.width == 1 {
        // A VAL or ZERO of one register becomes a VAL in place.
        v[pos] = val_op(count, 1);
    } else {
        let mut seq = smallvec::SmallVec::<[u8; 5]>::new();
        let (before, after) = (index - first, first + run.len - 1 - index);
        if before > 0 {
            push_run(&mut seq, run.value, before);
        }
        seq.push(val_op(count, 1));
        if after > 0 {
            push_run(&mut seq, run.value, after);
        }
        let new_len = (v.len() + seq.len()) as isize - run.width as isize;
        if seq.len() > run.width && new_len as usize > max_bytes {
            return SetOutcome::Promote;
        }
        let old_end = (pos + run.width).min(v.len());
        v.splice(pos..old_end, seq);
        // An XZERO cut short by the end of the string counted as 2 bytes (Redis's length
        // arithmetic), so the spliced string is one byte shorter than the splice made it.
        v.truncate(new_len as usize);
    }
    merge_neighbours(v, prev.unwrap_or(HDR));
    invalidate_cache(v);
    SetOutcome::Updated
}

/// Appends the opcode for `len` registers of `value`, part of a split run (a VAL run is at
/// most 4 long, so its parts fit one opcode).
fn push_run(seq: &mut smallvec::SmallVec<[u8; 5]>, value: u8, len: usize) {
    if value == 0 {
        push_zeros(seq, len);
    } else {
        seq.push(val_op(value, len));
    }
}

/// Merges adjacent VAL opcodes of equal value (when their total length fits one opcode),
/// looking at up to 5 opcodes from `pos`, as Redis does after each change.
fn merge_neighbours(v: &mut Vec<u8>, mut pos: usize) {
    let mut budget = 5;
    while pos < v.len() && budget > 0 {
        budget -= 1;
        let b = v[pos];
        if !is_val(b) {
            pos += if is_xzero(b) { 2 } else { 1 };
            continue;
        }
        if let Some(&next) = v.get(pos + 1).filter(|&&n| is_val(n)) {
            let ((v1, l1), (v2, l2)) = (val_of(b), val_of(next));
            if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                v[pos + 1] = val_op(v1, l1 + l2);
                v.remove(pos);
                // Try again from here: the merged opcode may merge with the next one.
                continue;
            }
        }
        pos += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout::new_sparse;
    use super::*;

    fn body(v: &[u8]) -> String {
        decode(&v[HDR..])
    }

    #[test]
    fn splits_and_merges_like_redis() {
        let mut v = new_sparse();
        assert_eq!(body(&v), "Z:16384");
        assert_eq!(set(&mut v, 1000, 3, 3000), SetOutcome::Updated);
        assert_eq!(body(&v), "Z:1000 v:3,1 Z:15383");
        assert_eq!(set(&mut v, 1000, 2, 3000), SetOutcome::Unchanged);
        assert_eq!(set(&mut v, 1001, 3, 3000), SetOutcome::Updated);
        assert_eq!(body(&v), "Z:1000 v:3,2 Z:15382");
        assert_eq!(set(&mut v, 0, 32, 3000), SetOutcome::Updated);
        assert_eq!(body(&v), "v:32,1 Z:999 v:3,2 Z:15382");
        assert_eq!(set(&mut v, 2, 33, 3000), SetOutcome::Promote);
        assert_eq!(set(&mut v, 16383, 1, 3000), SetOutcome::Updated);
        assert_eq!(body(&v), "v:32,1 Z:999 v:3,2 Z:15381 v:1,1");
        assert_eq!(set(&mut v, 1003, 1, 3000), SetOutcome::Updated);
        assert_eq!(body(&v), "v:32,1 Z:999 v:3,2 z:1 v:1,1 Z:15379 v:1,1");
        // Too big for the configured limit: nothing changes, the caller promotes.
        let before = v.clone();
        let limit = v.len();
        assert_eq!(set(&mut v, 5000, 1, limit), SetOutcome::Promote);
        assert_eq!(v, before);
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut v = new_sparse();
        let mut rng = fastrand::Rng::with_seed(1);
        let mut want = [0u8; REGISTERS];
        for _ in 0..2000 {
            let (i, c) = (rng.usize(..REGISTERS), rng.u8(1..=32));
            let changed = set(&mut v, i, c, usize::MAX);
            assert_eq!(changed == SetOutcome::Updated, c > want[i]);
            want[i] = want[i].max(c);
        }
        let mut max = [0u8; REGISTERS];
        assert!(merge_into(&v[HDR..], &mut max));
        assert_eq!(max, want);
        let dense = to_dense(&v).unwrap();
        let mut max = [0u8; REGISTERS];
        dense::merge_into(&dense[HDR..], &mut max);
        assert_eq!(max, want);
        let (mut h1, mut h2) = ([0u32; 64], [0u32; 64]);
        assert!(histogram(&v[HDR..], &mut h1));
        dense::histogram(&dense[HDR..], &mut h2);
        assert_eq!(h1, h2);
    }

    #[test]
    fn damaged_streams_are_refused() {
        let mut max = [0u8; REGISTERS];
        let mut hist = [0u32; 64];
        // Too few registers, a zero run past the end, a truncated XZERO, a trailing VAL.
        for bad in [&b"\x7f\xfe"[..], b"\x7f\xff\x00", b"\x7f", b"\x7f\xff\x80"] {
            assert!(!histogram(bad, &mut hist), "{bad:?}");
            assert!(!merge_into(bad, &mut max), "{bad:?}");
        }
        // Two XZEROs of 16129 and 255 registers; the same with the long one cut short, its
        // missing byte read as 0.
        assert!(histogram(b"\x7f\x00\x40\xfe", &mut hist));
        assert!(merge_into(b"\x40\xfe\x7f", &mut max));
        let mut v = new_sparse();
        v.truncate(HDR);
        assert_eq!(set(&mut v, 0, 1, 3000), SetOutcome::Corrupt);
        let mut v = new_sparse();
        v.pop();
        // "Z:16129" (0x3f00 + 1) does not reach register 16200.
        assert_eq!(set(&mut v, 16200, 1, 3000), SetOutcome::Corrupt);
        assert_eq!(set(&mut v, 5, 1, 3000), SetOutcome::Updated);
    }
}
