//! The keyspace's two hand-laid allocations, the only `unsafe` in `keyspace/`:
//!
//! - [`Node`]: a key's entry and its key bytes in one allocation, addressed by a thin pointer.
//!   The table stores a `Node` (9 bytes: the pointer and a 1-byte key length) per key.
//! - [`Str`]: a string value in 16 bytes — up to 14 bytes inline, longer ones behind a thin
//!   pointer to an exact-size allocation — so that [`Value`](super::Value) is 16 bytes and an
//!   [`Entry`](super::Entry) (value, expiry, access time) is 32.
//!
//! Together: a 16-byte key with a 32-byte value is a 48-byte node plus a 32-byte string, 80
//! bytes in two jemalloc size classes where `Box<(SmallBytes, Entry)>` plus a `Box<[u8]>` took
//! 64 + 32. Why not the value bytes in the node too: callers borrow `&mut Entry` and may move
//! its `Value` out (`mem::replace`), so a string living inside the node could outlive it; a
//! `Str` always owns its bytes.
//!
//! Why the key length lives in the table's element and not in the node: a node's header is
//! the `Entry`, which safe code may overwrite whole (`*entry = other`) or swap with another
//! key's; a length kept there could then describe a different allocation. The `Node` element
//! is private to the table and always moves as one piece (pointer and length together).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ptr::NonNull;

use crate::util::small_bytes::byte_string_traits;

/// Key lengths from this one up are stored as a `u64` before the key bytes (the element's
/// length byte then says only "long").
const LONG_KEY: u8 = u8::MAX;

/// An entry of type `H` and its key, in one allocation: `H` at offset 0, then the key bytes
/// (preceded by their `u64` length when the key is `LONG_KEY` bytes or longer).
///
/// Packed so that a table of nodes spends 9 bytes per key rather than 16; the pointer is only
/// ever copied out of the struct, never borrowed in place.
#[repr(C, packed)]
pub struct Node<H> {
    ptr: NonNull<u8>,
    klen: u8,
    _owns: PhantomData<H>,
}

// SAFETY: a `Node<H>` uniquely owns its allocation (an `H` and plain bytes), like a `Box<H>`.
unsafe impl<H: Send> Send for Node<H> {}
// SAFETY: shared access only reads, as through `&Box<H>`.
unsafe impl<H: Sync> Sync for Node<H> {}

impl<H> Node<H> {
    /// Offset of the key area: right after `H` (whose size is a multiple of its alignment).
    const KEY_AT: usize = size_of::<H>();

    fn layout(key_area: usize) -> Layout {
        // `H`'s own size plus a key: a key never comes near `isize::MAX` (it is in memory
        // already), so this cannot fail.
        Layout::from_size_align(Self::KEY_AT + key_area, align_of::<H>())
            .expect("node layout fits isize")
    }

    /// Bytes of the key area for a key of `len` bytes.
    fn key_area(len: usize) -> usize {
        if len < LONG_KEY as usize {
            len
        } else {
            8 + len
        }
    }

    /// A node holding `head` and a copy of `key`.
    pub fn new(key: &[u8], head: H) -> Self {
        let area = Self::key_area(key.len());
        let layout = Self::layout(area);
        // SAFETY: `layout` has non-zero size (`H` is never zero-sized here: `Entry`; and a
        // zero-sized `H` with an empty key is excluded by the assert).
        assert!(layout.size() > 0);
        let ptr = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(ptr) else {
            handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is a fresh allocation of `layout`: `H` fits at offset 0 with its
        // alignment, and `area` bytes follow it at `KEY_AT`.
        unsafe {
            ptr.as_ptr().cast::<H>().write(head);
            let mut at = ptr.as_ptr().add(Self::KEY_AT);
            if area != key.len() {
                std::ptr::copy_nonoverlapping((key.len() as u64).to_le_bytes().as_ptr(), at, 8);
                at = at.add(8);
            }
            std::ptr::copy_nonoverlapping(key.as_ptr(), at, key.len());
        }
        Node {
            ptr,
            klen: key.len().min(LONG_KEY as usize) as u8,
            _owns: PhantomData,
        }
    }

    #[inline]
    fn raw(&self) -> *mut u8 {
        // A by-value copy out of the packed struct (never a reference to the field).
        let ptr = self.ptr;
        ptr.as_ptr()
    }

    /// The key's length and where its bytes start.
    #[inline]
    fn key_parts(&self) -> (usize, *const u8) {
        let klen = self.klen;
        // SAFETY: the key area starts `KEY_AT` bytes into the allocation; a long key's area
        // starts with its 8-byte length (read unaligned: the area is only `H`-aligned).
        unsafe {
            let at = self.raw().add(Self::KEY_AT);
            if klen < LONG_KEY {
                (klen as usize, at)
            } else {
                let len = at.cast::<[u8; 8]>().read_unaligned();
                (u64::from_le_bytes(len) as usize, at.add(8))
            }
        }
    }

    /// The key bytes.
    #[inline]
    pub fn key(&self) -> &[u8] {
        let (len, at) = self.key_parts();
        // SAFETY: `new` wrote `len` key bytes at `at`, inside the allocation this node owns,
        // and nothing writes them afterwards; the borrow is tied to `&self`.
        unsafe { std::slice::from_raw_parts(at, len) }
    }

    /// The entry.
    #[inline]
    pub fn head(&self) -> &H {
        // SAFETY: an initialised `H` sits at offset 0 for the node's whole life.
        unsafe { &*self.raw().cast::<H>() }
    }

    /// The entry, mutably. (The key bytes are outside `H`, so they cannot be changed through
    /// it.)
    #[inline]
    pub fn head_mut(&mut self) -> &mut H {
        // SAFETY: as in `head`; `&mut self` makes the access unique.
        unsafe { &mut *self.raw().cast::<H>() }
    }

    /// Takes the entry out and frees the node.
    pub fn into_head(self) -> H {
        let this = std::mem::ManuallyDrop::new(self);
        let (len, _) = this.key_parts();
        // SAFETY: the `H` is read out exactly once and the node is not dropped afterwards
        // (`ManuallyDrop`), so the `H` is neither dropped twice nor used after the free; the
        // layout is the one `new` allocated with (same key length).
        unsafe {
            let head = this.raw().cast::<H>().read();
            dealloc(this.raw(), Self::layout(Self::key_area(len)));
            head
        }
    }
}

impl<H> Drop for Node<H> {
    fn drop(&mut self) {
        let (len, _) = self.key_parts();
        // SAFETY: the node owns an initialised `H` at offset 0, dropped once here, and the
        // allocation made by `new` with this same layout.
        unsafe {
            std::ptr::drop_in_place(self.raw().cast::<H>());
            dealloc(self.raw(), Self::layout(Self::key_area(len)));
        }
    }
}

impl<H: Clone> Clone for Node<H> {
    fn clone(&self) -> Self {
        Node::new(self.key(), self.head().clone())
    }
}

impl<H: fmt::Debug> fmt::Debug for Node<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("head", self.head())
            .finish()
    }
}

/// Longest string kept inline in a [`Str`].
pub const STR_INLINE: usize = 14;

/// The length of an inline string, as a type with 15 valid values: its 241 invalid ones are
/// the niche that lets `Str` and then `Value` fold their discriminants into this byte.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[rustfmt::skip]
enum InlineLen { L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14 }

impl InlineLen {
    /// Every length, indexed by itself.
    #[rustfmt::skip]
    const ALL: [InlineLen; STR_INLINE + 1] = {
        use InlineLen::*;
        [L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14]
    };
}

/// The heap form's first byte: one valid value, so 255 niches at offset 0.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum HeapTag {
    Heap,
}

/// A heap string: `len` bytes at `ptr` in an allocation of exactly that size (alignment 1).
/// Lengths of `u32::MAX` or more are stored as a `u64` prefix of the allocation instead.
/// `repr(C)` puts the tag at offset 0, which is what lets the inline form (15 bytes) fit
/// beside it.
#[repr(C)]
struct Heap {
    tag: HeapTag,
    len: u32,
    ptr: NonNull<u8>,
}

enum Repr {
    Inline(InlineLen, [u8; STR_INLINE]),
    Heap(Heap),
}

/// An immutable byte string in 16 bytes (see the module docs).
pub struct Str(Repr);

// SAFETY: a heap `Str` uniquely owns plain bytes, like a `Box<[u8]>`.
unsafe impl Send for Str {}
// SAFETY: shared access only reads, as through `&Box<[u8]>`.
unsafe impl Sync for Str {}

impl Heap {
    fn alloc_len(len: u32, bytes: *const u8) -> usize {
        if len < u32::MAX {
            len as usize
        } else {
            // SAFETY: a long string's allocation starts with its 8-byte length.
            let l = unsafe { bytes.cast::<[u8; 8]>().read_unaligned() };
            8 + u64::from_le_bytes(l) as usize
        }
    }

    fn layout(size: usize) -> Layout {
        Layout::array::<u8>(size).expect("string length fits isize")
    }
}

impl Str {
    /// Copies `bytes` into a new string.
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= STR_INLINE {
            let mut data = [0u8; STR_INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            return Str(Repr::Inline(InlineLen::ALL[bytes.len()], data));
        }
        let (len, prefix) = match u32::try_from(bytes.len()) {
            Ok(l) if l < u32::MAX => (l, 0),
            _ => (u32::MAX, 8),
        };
        let layout = Heap::layout(prefix + bytes.len());
        // SAFETY: the size is non-zero (more than STR_INLINE bytes).
        let ptr = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(ptr) else {
            handle_alloc_error(layout)
        };
        // SAFETY: a fresh allocation of `prefix + bytes.len()` bytes.
        unsafe {
            if prefix > 0 {
                let l = (bytes.len() as u64).to_le_bytes();
                std::ptr::copy_nonoverlapping(l.as_ptr(), ptr.as_ptr(), 8);
            }
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr().add(prefix), bytes.len());
        }
        Str(Repr::Heap(Heap {
            tag: HeapTag::Heap,
            len,
            ptr,
        }))
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(len, data) => &data[..*len as usize],
            Repr::Heap(h) => {
                let total = Heap::alloc_len(h.len, h.ptr.as_ptr());
                let prefix = if h.len < u32::MAX { 0 } else { 8 };
                // SAFETY: `new` wrote `total - prefix` bytes after the prefix, in the
                // allocation this `Str` owns; nothing writes them afterwards.
                unsafe { std::slice::from_raw_parts(h.ptr.as_ptr().add(prefix), total - prefix) }
            }
        }
    }

    /// Whether the bytes are on the heap (more than [`STR_INLINE`] of them).
    pub fn is_heap(&self) -> bool {
        matches!(self.0, Repr::Heap(_))
    }
}

impl Drop for Str {
    fn drop(&mut self) {
        if let Repr::Heap(h) = &self.0 {
            let size = Heap::alloc_len(h.len, h.ptr.as_ptr());
            // SAFETY: the allocation `new` made with this size, freed once.
            unsafe { dealloc(h.ptr.as_ptr(), Heap::layout(size)) }
        }
    }
}

impl Clone for Str {
    fn clone(&self) -> Self {
        Str::new(self.as_slice())
    }
}

byte_string_traits!(Str);

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn str_is_16_bytes_and_round_trips() {
        assert_eq!(size_of::<Str>(), 16);
        assert_eq!(size_of::<Option<Str>>(), 16);
        for len in [
            0usize, 1, 13, 14, 15, 16, 31, 32, 44, 45, 100, 255, 256, 70_000,
        ] {
            let v: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let s = Str::new(&v);
            assert_eq!(&*s, &v[..]);
            assert_eq!(s.is_heap(), len > STR_INLINE);
            let c = s.clone();
            drop(s);
            assert_eq!(&*c, &v[..]);
            assert_eq!(c, Str::from(&v[..]));
        }
    }

    /// A header that counts its drops, to check a node drops its head exactly once.
    #[derive(Clone, Debug)]
    struct Head {
        val: u64,
        drops: Rc<Cell<u32>>,
    }

    impl Drop for Head {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
        }
    }

    #[test]
    fn nodes_keep_key_and_head() {
        assert_eq!(size_of::<Node<u64>>(), 9);
        let drops = Rc::new(Cell::new(0));
        let mut rng = fastrand::Rng::with_seed(9);
        let mut lens: Vec<usize> = (0..300).collect();
        lens.extend([254, 255, 256, 1000, 70_000]);
        for len in lens {
            let key: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let head = Head {
                val: len as u64,
                drops: drops.clone(),
            };
            let before = drops.get();
            let mut n = Node::new(&key, head);
            assert_eq!(n.key(), &key[..]);
            assert_eq!(n.head().val, len as u64);
            n.head_mut().val += 1;
            let c = n.clone();
            assert_eq!(c.key(), &key[..]);
            assert_eq!(c.head().val, len as u64 + 1);
            drop(n);
            assert_eq!(drops.get(), before + 1);
            let h = c.into_head();
            assert_eq!(drops.get(), before + 1, "into_head does not drop the head");
            assert_eq!(h.val, len as u64 + 1);
            drop(h);
            assert_eq!(drops.get(), before + 2);
        }
    }

    #[test]
    fn nodes_move_and_swap_whole() {
        let mut v: Vec<Node<Str>> = (0..100)
            .map(|i| Node::new(format!("k{i}").as_bytes(), Str::new(&[i as u8; 40])))
            .collect();
        v.swap(3, 97);
        let last = v.swap_remove(10);
        assert_eq!(last.key(), b"k10");
        assert_eq!(v[10].key(), b"k99");
        assert_eq!(v[3].key(), b"k97");
        assert_eq!(&**v[97].head(), &[3u8; 40][..]);
        // Overwriting a head through `&mut` leaves the key alone.
        *v[0].head_mut() = Str::new(b"short");
        assert_eq!(v[0].key(), b"k0");
        assert_eq!(&**v[0].head(), b"short");
    }
}
