//! `IntSet`: the "intset" encoding, a sorted array of integers in one exact-size allocation.
//!
//! Layout: byte 0 holds the element width (2, 4 or 8 bytes), then the elements, sorted
//! ascending, each in native byte order at that width. The width is the smallest one that
//! fits every element ever added: like Redis's intset it only grows (an insert that needs a
//! wider type rewrites the array), and a removal never narrows it. Lookups are a binary search;
//! inserts and removals move the tail, which is cheap because the encoding is capped at
//! set-max-intset-entries (512 by default). One byte of header instead of Redis's eight.

/// A sorted set of 64-bit integers stored at the narrowest width that fits them.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    buf: Box<[u8]>,
}

/// The width an integer needs: 2, 4 or 8 bytes.
fn width_of(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Reads the element of `width` bytes at the start of `bytes`.
#[inline]
fn read(bytes: &[u8], width: usize) -> i64 {
    match width {
        2 => i64::from(i16::from_ne_bytes([bytes[0], bytes[1]])),
        4 => i64::from(i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[..8]);
            i64::from_ne_bytes(b)
        }
    }
}

/// Writes `v` at `width` bytes into the start of `out` (`v` must fit).
#[inline]
fn write(out: &mut [u8], width: usize, v: i64) {
    match width {
        2 => out[..2].copy_from_slice(&(v as i16).to_ne_bytes()),
        4 => out[..4].copy_from_slice(&(v as i32).to_ne_bytes()),
        _ => out[..8].copy_from_slice(&v.to_ne_bytes()),
    }
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::new()
    }
}

impl IntSet {
    /// An empty set (16-bit width).
    pub fn new() -> Self {
        IntSet {
            buf: Box::new([2u8]),
        }
    }

    /// The element width in bytes.
    #[inline]
    pub fn width(&self) -> usize {
        usize::from(self.buf[0])
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        (self.buf.len() - 1) / self.width()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at sorted position `idx` (must be `< len`).
    #[inline]
    pub fn get(&self, idx: usize) -> i64 {
        let w = self.width();
        read(&self.buf[1 + idx * w..], w)
    }

    /// Binary search: `Ok(position)` if present, else `Err(insertion point)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        // A value wider than the encoding cannot be present; it would go at one end.
        if width_of(v) > self.width() {
            return Err(if v < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Whether `v` is a member.
    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// A set of `values` (strictly ascending, each fitting `width`) stored at `width` bytes (2,
    /// 4 or 8), which may be wider than they need: RESTORE keeps the width of the payload's
    /// intset, as Redis does. None if the width or the order is wrong.
    pub fn from_sorted(width: usize, values: &[i64]) -> Option<IntSet> {
        if !matches!(width, 2 | 4 | 8)
            || values.windows(2).any(|w| w[0] >= w[1])
            || values.iter().any(|&v| width_of(v) > width)
        {
            return None;
        }
        let mut buf = vec![0u8; 1 + values.len() * width].into_boxed_slice();
        buf[0] = width as u8;
        for (i, &v) in values.iter().enumerate() {
            write(&mut buf[1 + i * width..], width, v);
        }
        Some(IntSet { buf })
    }

    /// Adds `v`; false if it was already present.
    pub fn insert(&mut self, v: i64) -> bool {
        let at = match self.search(v) {
            Ok(_) => return false,
            Err(at) => at,
        };
        let (old_w, new_w) = (self.width(), self.width().max(width_of(v)));
        let len = self.len();
        let mut buf = vec![0u8; 1 + (len + 1) * new_w].into_boxed_slice();
        buf[0] = new_w as u8;
        if old_w == new_w {
            let split = 1 + at * old_w;
            buf[..split].copy_from_slice(&self.buf[..split]);
            buf[split + new_w..].copy_from_slice(&self.buf[split..]);
        } else {
            for i in 0..len {
                let dst = if i < at { i } else { i + 1 };
                write(&mut buf[1 + dst * new_w..], new_w, self.get(i));
            }
        }
        write(&mut buf[1 + at * new_w..], new_w, v);
        self.buf = buf;
        true
    }

    /// Removes the element at sorted position `idx` (must be `< len`) and returns it.
    pub fn remove_at(&mut self, idx: usize) -> i64 {
        let w = self.width();
        let v = self.get(idx);
        let start = 1 + idx * w;
        let mut buf = Vec::with_capacity(self.buf.len() - w);
        buf.extend_from_slice(&self.buf[..start]);
        buf.extend_from_slice(&self.buf[start + w..]);
        self.buf = buf.into_boxed_slice();
        v
    }

    /// Removes `v`; false if it was absent.
    pub fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(idx) => {
                self.remove_at(idx);
                true
            }
            Err(_) => false,
        }
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let w = self.width();
        self.buf[1..].chunks_exact(w).map(move |c| read(c, w))
    }

    /// Bytes allocated for the array (header included).
    pub fn alloc_size(&self) -> usize {
        self.buf.len()
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::IntSet;

    #[test]
    fn sorted_and_upgrades_width() {
        let mut s = IntSet::new();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.width(), 2);
        assert_eq!(s.alloc_size(), 1 + 2 * 2);
        assert!(s.insert(70000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 70000]);
        assert_eq!(s.alloc_size(), 1 + 4 * 8);
        assert!(s.contains(70000) && s.contains(i64::MIN) && !s.contains(6));
    }

    #[test]
    fn remove_keeps_width_and_order() {
        let mut s = IntSet::new();
        for v in [10, -40000, 3, 99] {
            s.insert(v);
        }
        assert!(s.remove(-40000));
        assert!(!s.remove(-40000));
        assert_eq!(s.width(), 4);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![3, 10, 99]);
        assert_eq!(s.remove_at(1), 10);
        assert_eq!(s.len(), 2);
        assert!(!s.contains(i64::MAX));
    }

    #[test]
    fn wide_value_search_in_narrow_set() {
        let mut s = IntSet::new();
        s.insert(1);
        assert!(!s.contains(1 << 40));
        assert!(!s.contains(-(1 << 40)));
        s.insert(-(1 << 40));
        assert_eq!(s.get(0), -(1 << 40));
    }
}
