//! `Mailbox`: messages other sessions push to a client (PUBLISH, keyspace notifications,
//! invalidations, MONITOR), waiting for the client's own session to move them into its output.
//!
//! A publisher never touches a subscriber's output buffer (it belongs to the subscriber's
//! worker); it appends an already encoded frame here — one allocation shared by every
//! subscriber — and wakes the session, which copies the frames out in arrival order.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::sync::{AtomicUsize, Mutex, Ordering};

/// Frames pushed to one client by other sessions, in arrival order.
#[derive(Default)]
pub struct Mailbox {
    frames: Mutex<VecDeque<Bytes>>,
    /// Bytes queued: read without the lock on the session's fast path and by CLIENT LIST.
    bytes: AtomicUsize,
}

impl Mailbox {
    /// Queues `frame`; the bytes queued after it.
    pub fn push(&self, frame: Bytes) -> usize {
        let len = frame.len();
        let mut frames = self.frames.lock();
        frames.push_back(frame);
        self.bytes.fetch_add(len, Ordering::Relaxed) + len
    }

    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frames queued.
    pub fn frames(&self) -> usize {
        self.frames.lock().len()
    }

    /// Appends every queued frame to `out`, in order, and empties the mailbox.
    pub fn drain_into(&self, out: &mut BytesMut) {
        if self.is_empty() {
            return;
        }
        let mut frames = self.frames.lock();
        let total: usize = frames.iter().map(Bytes::len).sum();
        out.reserve(total);
        for frame in frames.drain(..) {
            out.extend_from_slice(&frame);
        }
        self.bytes.fetch_sub(total, Ordering::Relaxed);
    }

    /// Drops everything queued (the client is being closed).
    pub fn clear(&self) {
        let mut frames = self.frames.lock();
        let total: usize = frames.iter().map(Bytes::len).sum();
        frames.clear();
        self.bytes.fetch_sub(total, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_in_order_and_counts_follow() {
        let m = Mailbox::default();
        assert!(m.is_empty());
        assert_eq!(m.push(Bytes::from_static(b"ab")), 2);
        assert_eq!(m.push(Bytes::from_static(b"cde")), 5);
        assert_eq!(m.frames(), 2);
        let mut out = BytesMut::from(&b">"[..]);
        m.drain_into(&mut out);
        assert_eq!(&out[..], b">abcde");
        assert!(m.is_empty());
        m.push(Bytes::from_static(b"x"));
        m.clear();
        assert_eq!((m.len(), m.frames()), (0, 0));
    }
}
