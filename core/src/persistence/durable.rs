//! `Durability`: with `appendfsync always`, no reply leaves before the AOF holds, fsynced,
//! every write it could have observed. A session holds the replies of a batch until the
//! propagation stream is durable up to the offset it had reached when the batch ended: that
//! covers the batch's own writes and every write its reads saw, since a change enters the
//! stream before its shard lock is released and so before anyone can see it. The AOF writer
//! fsyncs whatever accumulated meanwhile in one go (group commit) and wakes the sessions whose
//! offsets it passed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::client::Waker;
use crate::sync::Mutex;

/// Replies held for the AOF's fsync (see the module docs).
#[derive(Default)]
pub struct Durability {
    holding: AtomicBool,
    durable: AtomicU64,
    waiters: Mutex<Vec<(u64, Arc<dyn Waker>)>>,
}

impl Durability {
    /// Turns holding on (the AOF writer runs with `appendfsync always`) or off; `durable` is
    /// the stream offset already on disk.
    pub fn set_holding(&self, on: bool, durable: u64) {
        self.durable.fetch_max(durable, Ordering::AcqRel);
        self.holding.store(on, Ordering::Release);
        if !on {
            self.wake_all();
        }
    }

    /// Whether replies are held at all.
    #[inline]
    pub fn holding(&self) -> bool {
        self.holding.load(Ordering::Acquire)
    }

    /// The stream offset the AOF has fsynced (everything, when not holding).
    pub fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// Whether replies that need `offset` must wait; if so `waker` is called once they need
    /// not (registered before the final check, so a concurrent advance is never missed).
    pub fn wait_for(&self, offset: u64, waker: &Arc<dyn Waker>) -> bool {
        if !self.holding() || self.durable() >= offset {
            return false;
        }
        let mut waiters = self.waiters.lock();
        if self.durable() >= offset || !self.holding() {
            return false;
        }
        waiters.push((offset, waker.clone()));
        true
    }

    /// Whether replies needing `offset` may go out.
    pub fn released(&self, offset: u64) -> bool {
        !self.holding() || self.durable() >= offset
    }

    /// The AOF has fsynced the stream up to `offset`: wakes the sessions that waited for it.
    pub fn advance(&self, offset: u64) {
        self.durable.fetch_max(offset, Ordering::AcqRel);
        let ready: Vec<Arc<dyn Waker>> = {
            let mut waiters = self.waiters.lock();
            if waiters.is_empty() {
                return;
            }
            let mut ready = Vec::new();
            waiters.retain(|(need, w)| {
                if *need <= offset {
                    ready.push(w.clone());
                    false
                } else {
                    true
                }
            });
            ready
        };
        ready.iter().for_each(|w| w.wake());
    }

    fn wake_all(&self) {
        let all = std::mem::take(&mut *self.waiters.lock());
        all.iter().for_each(|(_, w)| w.wake());
    }
}
