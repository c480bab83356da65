//! The process's allocator: jemalloc, counting the bytes it hands out.
//!
//! `used_memory` (INFO, `maxmemory` eviction, MEMORY STATS) is read before every command when
//! a memory limit is set, so it must cost a few loads, not jemalloc's `epoch` refresh (a
//! mallctl that walks every arena). Redis keeps the same kind of counter in zmalloc. Each
//! thread adds to one of [`SLOTS`] cache-line-sized counters (threads beyond that share them,
//! which the atomic add makes safe); a reading sums the slots. A slot keeps what its threads
//! allocated even after they exit, so no count is lost with a thread.
//!
//! The count is of jemalloc's size classes, not of requested sizes: a 33-byte request takes
//! a 48-byte region, and used_memory should say 48 as Redis's `zmalloc_size` does.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use tikv_jemallocator::Jemalloc;

/// How many counters threads spread over.
const SLOTS: usize = 16;

/// One counter on its own cache lines, so threads do not contend for them.
#[repr(align(128))]
struct Slot(AtomicI64);

static COUNTERS: [Slot; SLOTS] = [const { Slot(AtomicI64::new(0)) }; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Const-initialised and without a destructor: safe to touch from inside the allocator,
    // even while a thread is being torn down.
    static MY_SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn counter() -> &'static AtomicI64 {
    let i = MY_SLOT.with(|s| {
        let mut i = s.get();
        if i == usize::MAX {
            i = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS;
            s.set(i);
        }
        i
    });
    &COUNTERS[i].0
}

/// The size of the jemalloc region a request of `n` bytes gets: 8, then multiples of 16 up
/// to 128, then four classes per doubling (160, 192, 224, 256, 320, …), small and large alike
/// (jemalloc 5's size classes with 16-byte quantum and 4 KiB pages).
#[inline]
pub fn size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return (n + 15) & !15;
    }
    let lg = usize::BITS - 1 - (n - 1).leading_zeros();
    let step = 1usize << (lg - 2);
    n.saturating_add(step - 1) & !(step - 1)
}

#[inline]
fn charge(bytes: usize) {
    counter().fetch_add(bytes as i64, Ordering::Relaxed);
}

#[inline]
fn credit(bytes: usize) {
    counter().fetch_sub(bytes as i64, Ordering::Relaxed);
}

/// Bytes allocated through this allocator right now (used_memory).
pub fn used() -> u64 {
    let sum: i64 = COUNTERS.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
    sum.max(0) as u64
}

/// jemalloc, counting every region it hands out in [`used`].
pub struct CountingJemalloc;

// SAFETY: every call is forwarded to jemalloc unchanged; the counting has no effect on the
// memory handed out.
unsafe impl GlobalAlloc for CountingJemalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { Jemalloc.alloc(layout) };
        if !p.is_null() {
            charge(size_class(layout.size()));
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { Jemalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            charge(size_class(layout.size()));
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        credit(size_class(layout.size()));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { Jemalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let (old, new) = (size_class(layout.size()), size_class(new_size));
            if new >= old {
                charge(new - old);
            } else {
                credit(old - new);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_jemallocs() {
        let expect = [
            (1, 8),
            (8, 8),
            (9, 16),
            (16, 16),
            (17, 32),
            (33, 48),
            (100, 112),
            (128, 128),
            (129, 160),
            (160, 160),
            (161, 192),
            (256, 256),
            (257, 320),
            (4096, 4096),
            (4097, 5120),
            (16385, 20480),
            (1 << 20, 1 << 20),
            ((1 << 20) + 1, (1 << 20) + (1 << 18)),
        ];
        for (n, class) in expect {
            assert_eq!(size_class(n), class, "request of {n}");
        }
    }

    #[test]
    fn size_class_matches_jemalloc_nallocx() {
        for n in (1..70_000).step_by(7) {
            // SAFETY: nallocx only computes a size; flags 0 is the default alignment.
            let real = unsafe { tikv_jemalloc_sys::nallocx(n, 0) };
            assert_eq!(size_class(n), real, "request of {n}");
        }
    }
}
