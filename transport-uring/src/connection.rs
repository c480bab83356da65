//! One client connection: a hand-written future that moves bytes between the socket and a
//! core `Session` with io_uring operations (compio's owned-buffer `Recv` and `Send`).
//!
//! A receive and a send can be in flight at once, each owning its buffer while the kernel
//! works on it; both buffers come back on completion and are reused, so the hot path does
//! not allocate. Received bytes end up in the session's input buffer (`rbuf`, which the
//! connection always owns), so a wake-up from another session can run `handle_input` while
//! a receive is still in flight. When `rbuf` is empty its own allocation is lent to the
//! receive (and comes back as `rbuf` without a copy), so a request/response client costs one
//! receive buffer, like the Tokio transport; a second one is allocated, once, only when a
//! receive must start while `rbuf` holds a partial or waiting command. The receive is never dropped to make way for anything else:
//! dropping an io_uring operation cancels it, and bytes it had already received would be lost.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use atomic_waker::AtomicWaker;
use bytes::BytesMut;
use compio::buf::IntoInner;
use compio::driver::op::{Recv, RecvFlags, Send, SendFlags};
use compio::driver::PollFirst;
use compio::runtime::Submit;
use compio::BufResult;
use lode_core::{ClientInfo, Server, Session};

use crate::now;

/// Receive size: large enough for a deep pipeline of small commands in one receive.
const READ_CHUNK: usize = 16 * 1024;

/// Receive size while a request larger than `READ_CHUNK` is arriving.
const READ_BIG: usize = 256 * 1024;

/// The most pending output copied into one send.
const WRITE_CHUNK: usize = 1024 * 1024;

/// A send buffer up to this capacity is kept for the next send; a larger one (left by a big
/// reply) is freed so an idle connection does not pin it.
const WBUF_KEEP: usize = 64 * 1024;

/// An idle connection's buffers are shrunk back above this capacity, so a single large
/// request or reply does not pin memory for the connection's lifetime.
const SHRINK_ABOVE: usize = 256 * 1024;

/// Pending output at which the connection stops reading, and the session stops executing,
/// until the client has drained its replies.
const OUTPUT_BACKPRESSURE: usize = lode_core::session::OUTPUT_PAUSE_BYTES;

/// How long a closing connection may take to flush its last replies to a client that does
/// not read them.
const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// The socket as the io_uring operations hold it: each in-flight operation keeps a clone, so
/// the descriptor is closed only after the kernel is done with it.
type Fd = Rc<OwnedFd>;

/// The session's waker: another session (on any thread) sets the flag and wakes the
/// connection task through compio's task waker, which queues the task on its own worker and
/// wakes that worker's ring.
#[derive(Default)]
pub(crate) struct WakeSlot {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl lode_core::Waker for WakeSlot {
    fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// An armed timer and the instant (Unix µs) it is armed for.
type Timer = (Pin<Box<dyn Future<Output = ()>>>, u64);

/// The state of one connection, polled as a future until the connection ends.
pub(crate) struct Connection {
    fd: Fd,
    session: Session,
    wake: Arc<WakeSlot>,
    /// The session's input: complete commands not yet executed, or the start of one.
    rbuf: BytesMut,
    /// A second receive buffer, for receives started while `rbuf` is not empty.
    spare: Option<BytesMut>,
    recv: Option<Submit<Recv<BytesMut, Fd>>>,
    /// The send buffer, here while no send is in flight.
    wbuf: Option<Vec<u8>>,
    send: Option<Submit<Send<Vec<u8>, Fd>>>,
    /// The idle/blocking deadline timer, or the closing flush limit.
    timer: Option<Timer>,
    /// Set once the session asked to close: stop reading, flush, then end.
    closing: bool,
    /// Whether the backpressure notice was logged for this connection.
    throttled_logged: bool,
    /// Earliest instant (Unix µs) the timer may be armed for after it fired: a session whose
    /// deadline did not move after `handle_timeout` must not make the task spin.
    min_rearm: u64,
    /// The session stopped at the output limit with commands left in `rbuf`: run them once
    /// the output has drained, even if no new bytes arrive.
    input_pending: bool,
    /// The last receive did not fill its buffer, so the socket was empty then: the next
    /// receive most likely waits for the client, and can skip the kernel's first attempt.
    drained: bool,
}

impl Connection {
    /// A connection serving `fd` as a new client of `server`.
    pub(crate) fn new(server: Arc<Server>, fd: OwnedFd, info: ClientInfo) -> Self {
        let wake = Arc::new(WakeSlot::default());
        let session = Session::new(server, info, wake.clone(), now());
        Connection {
            fd: Rc::new(fd),
            session,
            wake,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            spare: None,
            recv: None,
            wbuf: Some(Vec::new()),
            send: None,
            timer: None,
            closing: false,
            throttled_logged: false,
            min_rearm: 0,
            input_pending: false,
            drained: true,
        }
    }

    /// Lets the session execute what `rbuf` holds.
    fn process_input(&mut self) {
        self.session.handle_input(now(), &mut self.rbuf);
        if self.session.pending_output().len() >= OUTPUT_BACKPRESSURE && !self.rbuf.is_empty() {
            self.input_pending = true;
        }
        if self.rbuf.is_empty() && self.rbuf.capacity() > SHRINK_ABOVE {
            self.rbuf = BytesMut::with_capacity(READ_CHUNK);
        }
    }

    /// Takes a completed receive of `n` bytes into `buf`; `false` = the client is gone.
    fn received(&mut self, res: std::io::Result<usize>, mut buf: BytesMut) -> bool {
        let n = match res {
            Ok(n) if n > 0 && n <= buf.capacity() => n,
            _ => return false,
        };
        // SAFETY: `Recv` hands the kernel the buffer's whole capacity from offset 0 (it was
        // empty), and the kernel reports `n` bytes written there; `n` is within capacity.
        unsafe { buf.set_len(n) };
        self.drained = n < buf.capacity();
        lode_core::stats::Stats::add(&self.session.server().stats.total_net_input_bytes, n as u64);
        if !self.closing {
            if self.rbuf.is_empty() {
                // The common case: no partial command waits, so the received buffer becomes
                // the input buffer as it is, without a copy.
                std::mem::swap(&mut self.rbuf, &mut buf);
            } else {
                self.rbuf.extend_from_slice(&buf);
            }
            self.process_input();
        }
        buf.clear();
        // After the swap `buf` is the old, empty `rbuf`: often capacity 0, then not worth
        // keeping; a big one is not kept either.
        if self.spare.is_none() && buf.capacity() >= READ_CHUNK && buf.capacity() <= SHRINK_ABOVE {
            self.spare = Some(buf);
        }
        true
    }

    /// Submits a receive unless one is in flight or input is paused; `true` if it did.
    fn start_recv(&mut self) -> bool {
        if self.recv.is_some()
            || self.closing
            || self.input_pending
            || self.session.pending_output().len() >= OUTPUT_BACKPRESSURE
        {
            return false;
        }
        let mut buf = if self.rbuf.is_empty() {
            std::mem::take(&mut self.rbuf)
        } else {
            self.spare.take().unwrap_or_default()
        };
        // A partial request bigger than a chunk is arriving: take more per receive.
        let want = if self.rbuf.len() >= READ_CHUNK {
            READ_BIG
        } else {
            READ_CHUNK
        };
        if buf.capacity() < want {
            buf.reserve(want);
        }
        let mut op = Recv::new(self.fd.clone(), buf, RecvFlags::empty());
        if self.drained {
            // IORING_RECVSEND_POLL_FIRST: arm the poll straight away instead of trying a
            // receive that would find nothing.
            op.poll_first();
        }
        self.recv = Some(compio::runtime::submit(op));
        true
    }

    /// Submits a send of the pending output unless one is in flight; `true` if it did.
    fn start_send(&mut self) -> bool {
        if self.send.is_some() || self.session.pending_output().is_empty() {
            return false;
        }
        let mut buf = self.wbuf.take().unwrap_or_default();
        let out = self.session.pending_output();
        buf.extend_from_slice(&out[..out.len().min(WRITE_CHUNK)]);
        // NOSIGNAL: a client that went away must not raise SIGPIPE.
        let op = Send::new(self.fd.clone(), buf, SendFlags::NOSIGNAL);
        self.send = Some(compio::runtime::submit(op));
        true
    }

    /// Takes a completed send; `false` = the client is gone.
    fn sent(&mut self, res: std::io::Result<usize>, mut buf: Vec<u8>) -> bool {
        match res {
            Ok(n) if n > 0 => self.session.consume_output(n),
            _ => return false,
        }
        buf.clear();
        if buf.capacity() > WBUF_KEEP {
            buf = Vec::new();
        }
        self.wbuf = Some(buf);
        true
    }

    /// Arms the timer for the session's next deadline; `true` if it must be polled once
    /// to register. The timer is moved only when the deadline comes earlier: a later
    /// deadline (new input pushed the idle timeout back) is picked up when the timer fires,
    /// so a busy connection does not touch the timer per request.
    fn sync_timer(&mut self) -> bool {
        let Some(deadline) = self.session.poll_timeout() else {
            self.timer = None;
            return false;
        };
        let at = deadline.micros().max(self.min_rearm);
        if let Some((_, armed)) = &self.timer {
            if *armed <= at {
                return false;
            }
        }
        let wait = Duration::from_micros(at.saturating_sub(now().micros()));
        self.timer = Some((Box::pin(compio::time::sleep(wait)), at));
        true
    }

    fn start_closing(&mut self) {
        if !self.closing {
            self.closing = true;
            let limit = now().micros() + CLOSE_FLUSH_LIMIT.as_micros() as u64;
            let when = Instant::now() + CLOSE_FLUSH_LIMIT;
            self.timer = Some((Box::pin(compio::time::sleep_until(when)), limit));
        }
    }
}

impl Future for Connection {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let mut progressed = false;
            if this.wake.woken.swap(false, Ordering::Acquire) {
                progressed = true;
                // A blocking command may have been settled: deliver its reply and run the
                // commands that waited behind it. (A CLIENT KILL shows in `is_closing`.)
                if !this.closing {
                    this.process_input();
                }
            }

            if let Some(op) = this.recv.as_mut() {
                if let Poll::Ready(BufResult(res, op)) = Pin::new(op).poll(cx) {
                    this.recv = None;
                    if !this.received(res, op.into_inner()) {
                        return Poll::Ready(());
                    }
                    progressed = true;
                }
            }

            let pending = this.session.pending_output().len();
            if !this.closing && pending < OUTPUT_BACKPRESSURE && this.input_pending {
                this.input_pending = false;
                this.process_input();
                progressed = true;
            } else if !this.closing && pending >= OUTPUT_BACKPRESSURE && !this.throttled_logged {
                this.throttled_logged = true;
                tracing::debug!(
                    "Client id={} has {pending} bytes of unread replies: pausing its input",
                    this.session.id()
                );
            }
            if this.start_recv() {
                progressed = true;
            }

            if let Some((sleep, _)) = &mut this.timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    if this.closing {
                        // The client never drained its last replies: give up on them.
                        return Poll::Ready(());
                    }
                    let t = now();
                    this.session.handle_timeout(t);
                    this.min_rearm = t.micros() + 1000;
                    this.process_input();
                    progressed = true;
                }
            }

            if let Some(op) = this.send.as_mut() {
                if let Poll::Ready(BufResult(res, op)) = Pin::new(op).poll(cx) {
                    this.send = None;
                    if !this.sent(res, op.into_inner()) {
                        return Poll::Ready(());
                    }
                    // Also covers output drained below the limit: the next round resumes
                    // the paused commands, as nothing else would wake this task.
                    progressed = true;
                }
            }
            if this.start_send() {
                progressed = true;
            }

            if this.session.is_closing() {
                if this.session.pending_output().is_empty() && this.send.is_none() {
                    return Poll::Ready(());
                }
                if !this.closing {
                    this.start_closing();
                    progressed = true;
                }
            } else if this.sync_timer() {
                progressed = true;
            }

            if !progressed {
                this.wake.task.register(cx.waker());
                // A wake that raced with the registration must not be lost.
                if !this.wake.woken.load(Ordering::Acquire) {
                    return Poll::Pending;
                }
            }
        }
    }
}
