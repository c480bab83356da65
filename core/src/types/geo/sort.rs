//! Ordering the matches by distance exactly as Redis orders them, ties included: a stable
//! sort when every match is replied (glibc's qsort, which Redis calls then, is a merge sort),
//! and Redis's partial quicksort (`pqsort`, a Bentley-McIlroy three-way quicksort that skips
//! the partitions outside the wanted ranks) when COUNT keeps fewer, since the order it leaves
//! equal distances in is the one clients see.

use std::cmp::Ordering;

use super::search::Found;

/// The requested order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Scan order.
    None,
    /// Nearest first.
    Asc,
    /// Farthest first.
    Desc,
}

/// Redis's comparison of two distances (NaN compares as smaller, consistently with it).
fn asc(a: &Found, b: &Found) -> Ordering {
    if a.dist > b.dist {
        Ordering::Greater
    } else if a.dist == b.dist {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// Sorts `v` in `order` so that its first `keep` elements are the ones Redis replies, in its
/// order.
pub fn sort(v: &mut [Found], order: Sort, keep: usize) {
    let cmp: fn(&Found, &Found) -> Ordering = match order {
        Sort::None => return,
        Sort::Asc => asc,
        Sort::Desc => |a, b| asc(b, a),
    };
    if keep >= v.len() {
        // total_cmp equals Redis's comparison on distances (never -0) and keeps the sort
        // panic-free should one be NaN.
        match order {
            Sort::Desc => v.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
            _ => v.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        }
    } else if keep > 0 {
        partial(v, 0, v.len(), cmp, 0, keep - 1);
    }
}

/// The median of three elements by index, chosen as Redis's quicksort chooses it.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: fn(&T, &T) -> Ordering) -> usize {
    use Ordering::{Greater, Less};
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pairwise in order.
fn swap_run<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Sorts `v[start..start + n]` far enough that ranks `lo..=hi` of the whole slice hold their
/// sorted elements: partitions lying entirely outside that range are left unsorted.
fn partial<T>(
    v: &mut [T],
    mut start: usize,
    mut n: usize,
    cmp: fn(&T, &T) -> Ordering,
    lo: usize,
    hi: usize,
) {
    use Ordering::{Equal, Greater, Less};
    let outside = |s: usize, m: usize| (lo < s && hi < s) || (lo >= s + m && hi >= s + m);
    loop {
        let a = start;
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        // Three-way partition around v[a]: equal keys gather at both ends, then move to the
        // middle.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Greater {
                    break;
                }
                if c == Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Less {
                    break;
                }
                if c == Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_run(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_run(v, pb, pn - r, r);
        let left = pb - pa;
        if left > 1 && !outside(a, left) {
            partial(v, a, left, cmp, lo, hi);
        }
        let right = pd - pc;
        if right > 1 {
            start = pn - right;
            n = right;
            if !outside(start, n) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &(u32, u32), b: &(u32, u32)) -> Ordering {
        a.0.cmp(&b.0)
    }

    #[test]
    fn partial_sort_orders_the_wanted_prefix() {
        let mut rng = 12345u64;
        for len in [1usize, 5, 7, 8, 40, 41, 100, 1000] {
            for keep in [1usize, 3, 10, 99] {
                let mut v: Vec<(u32, u32)> = (0..len as u32)
                    .map(|i| {
                        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (((rng >> 33) % 50) as u32, i)
                    })
                    .collect();
                let mut want: Vec<u32> = v.iter().map(|e| e.0).collect();
                want.sort();
                let keep = keep.min(len);
                partial(&mut v, 0, len, cmp, 0, keep - 1);
                let got: Vec<u32> = v[..keep].iter().map(|e| e.0).collect();
                assert_eq!(got, want[..keep]);
            }
        }
    }
}
