//! One client connection: a hand-written future that moves bytes between the socket and a
//! core `Connection` (the session and every rule about reading, timers and closing) with
//! io_uring operations (compio's owned-buffer `Recv` and `Send`).
//!
//! A receive and a send can be in flight at once, each owning its buffer while the kernel
//! works on it; both buffers come back on completion and are reused, so the hot path does
//! not allocate. Received bytes end up in the core's input buffer, which the connection
//! always owns, so a wake-up from another session can run `handle_input` while a receive is
//! still in flight. When the input is empty its own allocation is lent to the receive (and
//! comes back as the input without a copy), so a request/response client costs one receive
//! buffer, like the Tokio transport; a second one is allocated, once, only when a receive must
//! start while the input holds a partial or waiting command. The receive is never dropped to
//! make way for anything else: dropping an io_uring operation cancels it, and bytes it had
//! already received would be lost.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use compio::buf::IntoInner;
use compio::driver::op::{Recv, RecvFlags, Send, SendFlags};
use compio::driver::PollFirst;
use compio::runtime::Submit;
use compio::BufResult;
use lode_core::connection::{Connection as Core, Next, TimerChange, READ_CHUNK};
use lode_core::{ClientInfo, Server};

use crate::now;
use crate::wire::Wire;

/// Receive size while a request larger than `READ_CHUNK` is arriving.
const READ_BIG: usize = 256 * 1024;

/// A send buffer up to this capacity is kept for the next send; a larger one (left by a big
/// reply) is freed so an idle connection does not pin it.
const WBUF_KEEP: usize = 64 * 1024;

/// The socket as the io_uring operations hold it: each in-flight operation keeps a clone, so
/// the descriptor is closed only after the kernel is done with it.
type Fd = Rc<OwnedFd>;

/// The state of one connection, polled as a future until the connection ends; `W` is what
/// lies between the socket and the session (nothing, or TLS).
pub(crate) struct Connection<W> {
    /// The session, its input buffer and the rules of reading, timers and closing. Declared
    /// first so it drops first: the session leaves the client list before the socket closes,
    /// so a client that saw the close never finds itself still listed (CLIENT LIST, INFO).
    core: Core,
    fd: Fd,
    /// A second receive buffer, for receives started while the input is not empty (with
    /// TLS, the ciphertext receive buffer).
    spare: Option<BytesMut>,
    recv: Option<Submit<Recv<BytesMut, Fd>>>,
    /// The send buffer, here while no send is in flight.
    wbuf: Option<Vec<u8>>,
    send: Option<Submit<Send<Vec<u8>, Fd>>>,
    /// The timer, armed where the core says.
    timer: Option<Pin<Box<dyn Future<Output = ()>>>>,
    /// The last receive did not fill its buffer, so the socket was empty then: the next
    /// receive most likely waits for the client, and can skip the kernel's first attempt.
    drained: bool,
    wire: W,
}

impl<W: Wire> Connection<W> {
    /// A connection serving `fd` as a new client of `server`, through `wire`.
    pub(crate) fn new(server: Arc<Server>, fd: OwnedFd, info: ClientInfo, wire: W) -> Self {
        Connection {
            core: Core::new(server, info, now()),
            fd: Rc::new(fd),
            spare: None,
            recv: None,
            wbuf: Some(Vec::new()),
            send: None,
            timer: None,
            drained: true,
            wire,
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
        self.wire
            .received(&mut self.core, &mut self.spare, buf, now())
    }

    /// Submits a receive unless one is in flight or input is paused; `true` if it did.
    fn start_recv(&mut self) -> bool {
        if self.recv.is_some() || !self.core.wants_input() {
            return false;
        }
        // A partial request bigger than a chunk is arriving: take more per receive.
        let want = if self.core.input_mut().len() >= READ_CHUNK {
            READ_BIG
        } else {
            READ_CHUNK
        };
        let mut buf = self.wire.recv_buf(&mut self.core, &mut self.spare);
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
        if self.send.is_some() {
            return false;
        }
        let mut buf = self.wbuf.take().unwrap_or_default();
        if !self.wire.fill_send(&mut self.core, &mut buf) {
            self.wbuf = Some(buf);
            return false;
        }
        // NOSIGNAL: a client that went away must not raise SIGPIPE.
        let op = Send::new(self.fd.clone(), buf, SendFlags::NOSIGNAL);
        self.send = Some(compio::runtime::submit(op));
        true
    }

    /// Takes a completed send; `false` = the client is gone.
    fn sent(&mut self, res: std::io::Result<usize>, mut buf: Vec<u8>) -> bool {
        match res {
            Ok(n) if n > 0 => self.wire.sent(&mut self.core, n, &mut buf),
            _ => return false,
        }
        if buf.is_empty() && buf.capacity() > WBUF_KEEP {
            buf = Vec::new();
        }
        self.wbuf = Some(buf);
        true
    }

    fn set_timer(&mut self, change: TimerChange) {
        self.timer = match change {
            TimerChange::Disarm => None,
            TimerChange::Arm(at) => {
                let wait = Duration::from_micros(at.micros().saturating_sub(now().micros()));
                Some(Box::pin(compio::time::sleep(wait)))
            }
        };
    }
}

impl<W: Wire> Connection<W> {
    /// The client left, broke the protocol or stopped reading its last replies.
    fn gone(&mut self) -> Poll<()> {
        self.wire.abandon(&self.fd, self.send.is_some());
        Poll::Ready(())
    }
}

impl<W: Wire + Unpin> Future for Connection<W> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let mut progressed = this.core.take_wake(now());
            if let Some(op) = this.recv.as_mut() {
                if let Poll::Ready(BufResult(res, op)) = Pin::new(op).poll(cx) {
                    this.recv = None;
                    if !this.received(res, op.into_inner()) {
                        return this.gone();
                    }
                    progressed = true;
                }
            }
            if this.core.resume(now()) {
                progressed = true;
            }
            if this.start_recv() {
                progressed = true;
            }
            if let Some(sleep) = &mut this.timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    if !this.core.timer_fired(now()) {
                        // The client never drained its last replies: give up on them.
                        return this.gone();
                    }
                    progressed = true;
                }
            }
            if let Some(op) = this.send.as_mut() {
                if let Poll::Ready(BufResult(res, op)) = Pin::new(op).poll(cx) {
                    this.send = None;
                    if !this.sent(res, op.into_inner()) {
                        return this.gone();
                    }
                    progressed = true;
                }
            }
            if this.start_send() {
                progressed = true;
            }
            let sending = this.send.is_some() || this.wire.holds_output();
            let (next, timer) = this.core.end_round(now(), sending, progressed, cx.waker());
            if let Some(change) = timer {
                this.set_timer(change);
            }
            match next {
                Next::Done => {
                    this.wire.finish(&this.fd);
                    return Poll::Ready(());
                }
                Next::Sleep => return Poll::Pending,
                Next::Again => {}
            }
        }
    }
}
