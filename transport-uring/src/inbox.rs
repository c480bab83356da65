//! A worker's mailbox: how other threads hand it work (a new connection, listeners to serve)
//! and tell it to stop. A worker's compio runtime is not `Send`, so nothing can be spawned on
//! it from outside; instead the sender queues a message and wakes the worker's inbox task,
//! whose waker reaches the worker's ring from any thread.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use lode_core::ClientInfo;
use lode_tls::Pump;

use crate::accept::Listening;

/// Work for a worker thread.
pub(crate) enum Msg {
    /// An admitted client: serve it on this worker (through its TLS session, if it came on
    /// a TLS listener).
    Conn {
        fd: OwnedFd,
        info: ClientInfo,
        tls: Option<Box<Pump>>,
    },
    /// Start accepting on these TCP listeners (sent to worker 0 only).
    ListenTcp(Vec<Arc<Listening>>),
}

/// One worker's queue of messages, its stop flag, and the waker of the task reading them.
#[derive(Default)]
pub(crate) struct Inbox {
    queue: parking_lot::Mutex<Vec<Msg>>,
    stop: AtomicBool,
    task: AtomicWaker,
}

impl Inbox {
    /// Queues `msg` and wakes the worker.
    /// Once the worker was told to stop, `msg` is dropped instead (a connection dealt to it
    /// then is closed at once rather than left open in a queue nobody reads).
    pub(crate) fn push(&self, msg: Msg) {
        let mut queue = self.queue.lock();
        if self.stop.load(Ordering::Acquire) {
            drop(queue);
            drop(msg);
            return;
        }
        queue.push(msg);
        drop(queue);
        self.task.wake();
    }

    /// Asks the worker to stop: it drops every connection and its runtime, then exits.
    /// Messages it has not taken yet are dropped (their sockets closed).
    pub(crate) fn stop(&self) {
        let unread = {
            let mut queue = self.queue.lock();
            self.stop.store(true, Ordering::Release);
            std::mem::take(&mut *queue)
        };
        drop(unread);
        self.task.wake();
    }

    /// Moves the queued messages into `out`; `Ready(false)` once the worker must stop.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>, out: &mut Vec<Msg>) -> Poll<bool> {
        // Register first: a push or stop after this point wakes the task again.
        self.task.register(cx.waker());
        if self.stop.load(Ordering::Acquire) {
            return Poll::Ready(false);
        }
        std::mem::swap(&mut *self.queue.lock(), out);
        if out.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(true)
        }
    }
}
