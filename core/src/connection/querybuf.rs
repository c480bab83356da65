//! The input buffer's size, as Redis accounts for its query buffer and trims it
//! (clientsCronResizeQueryBuffer): the allocation behind the buffer (CLIENT LIST `qbuf` plus
//! `qbuf-free`), trimmed when it is much bigger than what recent batches needed, released
//! when the client is idle.
//!
//! A `BytesMut` forgets the bytes its reader consumed: its capacity counts from the current
//! start. Redis moves what is left to the front of the same allocation, so its free room
//! stays. The allocation is therefore found from the buffer's own pointers: while its end
//! stays put the buffer is the same allocation, consumed from the front.

use bytes::BytesMut;

/// Redis trims only a buffer with more free room than this.
const TRIM_ABOVE_FREE: usize = 4 * 1024;
/// Redis trims an active client's buffer only above this size (PROTO_RESIZE_THRESHOLD).
const RESIZE_THRESHOLD: usize = 32 * 1024;
/// How often (ms) the trim rule is applied and the peak starts over: Redis's cron visits a
/// client every tick when it has few clients, at the default `hz` every 100 ms.
const RESIZE_PERIOD_MS: u64 = 100;
/// Idle time (ms) after which free room is released: Redis waits for more than two whole
/// seconds.
const IDLE_FREE_AFTER_MS: u64 = 3000;

/// Where the input buffer's allocation is, and what recent batches needed of it.
#[derive(Default)]
pub(super) struct QueryBuf {
    /// Address of the allocation's first byte and one past its last.
    start: usize,
    end: usize,
    /// Most bytes the buffer held at once since the last trim check (Redis's querybuf_peak).
    peak: usize,
    /// When (Unix ms) the trim rule last ran.
    checked_ms: u64,
}

impl QueryBuf {
    /// The size of the allocation holding `buf`, found again when the buffer grew, moved or
    /// was reclaimed to the front of its allocation.
    pub(super) fn room(&mut self, buf: &BytesMut) -> usize {
        let ptr = buf.as_ptr() as usize;
        let end = ptr + buf.capacity();
        if end != self.end || ptr < self.start {
            self.start = ptr;
            self.end = end;
        }
        self.end - self.start
    }

    /// A batch is about to run on `buf`: it counts towards the peak.
    pub(super) fn saw(&mut self, buf: &BytesMut) {
        self.peak = self.peak.max(buf.len());
    }

    /// Redis's trim of an active client's buffer, at most once per period: a buffer above the
    /// threshold and more than twice the recent peak shrinks to that peak (or what it holds).
    /// `true` if `buf` was replaced.
    pub(super) fn trim(&mut self, buf: &mut BytesMut, now_ms: u64) -> bool {
        if now_ms < self.checked_ms.saturating_add(RESIZE_PERIOD_MS) {
            return false;
        }
        self.checked_ms = now_ms;
        let room = self.room(buf);
        let trimmed =
            room - buf.len() > TRIM_ABOVE_FREE && room > RESIZE_THRESHOLD && room / 2 > self.peak;
        if trimmed {
            let keep = buf.len().max(self.peak);
            *buf = copy_into(buf, keep);
        }
        self.peak = buf.len();
        trimmed
    }

    /// When the free room of `buf` is due to be released, given the client's last
    /// interaction (Unix ms), if it has room worth releasing.
    pub(super) fn idle_deadline_ms(buf: &BytesMut, last_ms: u64) -> Option<u64> {
        (buf.capacity() - buf.len() > TRIM_ABOVE_FREE)
            .then(|| last_ms.saturating_add(IDLE_FREE_AFTER_MS))
    }

    /// Releases the free room of `buf` if its client has been idle long enough; `true` if it
    /// did. Its next read allocates again.
    pub(super) fn free_if_idle(buf: &mut BytesMut, last_ms: u64, now_ms: u64) -> bool {
        if Self::idle_deadline_ms(buf, last_ms).is_none_or(|at| now_ms < at) {
            return false;
        }
        *buf = copy_into(buf, buf.len());
        true
    }
}

/// A buffer of capacity `cap` holding what `buf` holds, at the same offsets (the decoder's
/// position in a partial command stays valid).
fn copy_into(buf: &BytesMut, cap: usize) -> BytesMut {
    if buf.is_empty() && cap == 0 {
        return BytesMut::new();
    }
    let mut fresh = BytesMut::with_capacity(cap.max(buf.len()));
    fresh.extend_from_slice(buf);
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Buf;

    #[test]
    fn room_is_the_allocation_however_much_was_consumed() {
        let mut q = QueryBuf::default();
        let mut buf = BytesMut::with_capacity(16384);
        buf.extend_from_slice(&[b'x'; 100]);
        assert_eq!(q.room(&buf), 16384);
        buf.advance(60);
        assert_eq!(q.room(&buf), 16384);
        buf.reserve(64 * 1024);
        assert!(q.room(&buf) >= 64 * 1024 + 40);
    }

    #[test]
    fn a_buffer_much_bigger_than_its_peak_shrinks_to_it() {
        let mut q = QueryBuf::default();
        let mut buf = BytesMut::with_capacity(512 * 1024);
        buf.extend_from_slice(&[b'x'; 1000]);
        q.saw(&buf);
        assert!(q.trim(&mut buf, 1000));
        assert_eq!((buf.len(), q.room(&buf)), (1000, 1000));
        // Not again within the period.
        buf.reserve(100 * 1024);
        assert!(!q.trim(&mut buf, 1050));
        // Small buffers are left alone.
        let mut small = BytesMut::with_capacity(16384);
        assert!(!QueryBuf::default().trim(&mut small, 5000));
    }

    #[test]
    fn idle_buffers_are_released() {
        let mut buf = BytesMut::with_capacity(16384);
        assert_eq!(QueryBuf::idle_deadline_ms(&buf, 1000), Some(4000));
        assert!(!QueryBuf::free_if_idle(&mut buf, 1000, 3999));
        assert!(QueryBuf::free_if_idle(&mut buf, 1000, 4000));
        assert_eq!(buf.capacity(), 0);
        assert_eq!(QueryBuf::idle_deadline_ms(&buf, 1000), None);
    }
}
