//! One client connection: a hand-written future that moves bytes between the socket and a
//! core `Session`.
//!
//! Each poll reads whatever the socket has (one `read`), lets the session execute every
//! complete command in it, and writes all the replies with one `write`. Tokio clears read
//! readiness on a short read, so the next poll does not spend an `EAGAIN` syscall finding out
//! that the client has nothing more yet. There is no `select!`: readiness, the cross-session
//! wake-up and the idle timer are polled directly, so the hot path allocates nothing.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use atomic_waker::AtomicWaker;
use bytes::{BufMut, BytesMut};
use lode_core::{ClientInfo, Server, Session};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::now;

/// Read buffer size: large enough for a deep pipeline of small commands in one `read`.
const READ_CHUNK: usize = 16 * 1024;

/// Below this much free space the read buffer is grown before the next read.
const MIN_SPARE: usize = 4 * 1024;

/// An idle connection's read buffer is shrunk back to `READ_CHUNK` above this capacity, so a
/// single large request does not pin memory for the connection's lifetime.
const SHRINK_ABOVE: usize = 256 * 1024;

/// Pending output at which the connection stops reading, and the session stops executing,
/// until the client has drained its replies: what a client pipelining without reading can
/// make the server hold is bounded by this plus one command's reply (output buffer limits
/// proper are the core's, later).
const OUTPUT_BACKPRESSURE: usize = lode_core::session::OUTPUT_PAUSE_BYTES;

/// How long a closing connection may take to flush its last replies to a client that does
/// not read them.
const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// The session's waker: another session (PUBLISH, CLIENT KILL, a push serving BLPOP) sets the
/// flag and wakes the connection task, which then polls the session again.
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

/// The state of one connection, polled as a future until the connection ends.
pub(crate) struct Connection<S> {
    sock: S,
    session: Session,
    wake: Arc<WakeSlot>,
    rbuf: BytesMut,
    /// The idle/blocking deadline timer and the instant (Unix µs) it is armed for.
    timer: Option<(Pin<Box<Sleep>>, u64)>,
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
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// A connection serving `sock` as a new client of `server`.
    pub(crate) fn new(server: Arc<Server>, sock: S, info: ClientInfo) -> Self {
        let wake = Arc::new(WakeSlot::default());
        let session = Session::new(server, info, wake.clone(), now());
        Connection {
            sock,
            session,
            wake,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            timer: None,
            closing: false,
            throttled_logged: false,
            input_pending: false,
            min_rearm: 0,
        }
    }

    /// Reads once if the socket has data; `Ready(false)` = the connection is gone.
    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.rbuf.capacity() - self.rbuf.len() < MIN_SPARE {
            self.rbuf.reserve(READ_CHUNK);
        }
        let spare = self.rbuf.spare_capacity_mut();
        let mut rb = ReadBuf::uninit(spare);
        match Pin::new(&mut self.sock).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(false);
                }
                // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
                unsafe { self.rbuf.advance_mut(n) };
                lode_core::stats::Stats::add(
                    &self.session.server().stats.total_net_input_bytes,
                    n as u64,
                );
                Poll::Ready(true)
            }
            Poll::Ready(Err(_)) => Poll::Ready(false),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Writes pending output until done or the socket is full; `Err(())` = connection gone.
    fn flush(&mut self, cx: &mut Context<'_>) -> Result<(), ()> {
        while !self.session.pending_output().is_empty() {
            match Pin::new(&mut self.sock).poll_write(cx, self.session.pending_output()) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(()),
                Poll::Ready(Ok(n)) => self.session.consume_output(n),
                Poll::Pending => break,
            }
        }
        Ok(())
    }

    /// Arms the timer for the session's next deadline; `true` if it must be polled once
    /// to register. The timer is moved only when the deadline comes earlier: a later
    /// deadline (new input pushed the idle timeout back) is picked up when the timer fires,
    /// so a busy connection does not touch the timer wheel per request.
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
        let when = Instant::now() + wait;
        match &mut self.timer {
            Some((sleep, armed)) => {
                sleep.as_mut().reset(when);
                *armed = at;
            }
            None => self.timer = Some((Box::pin(tokio::time::sleep_until(when)), at)),
        }
        true
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

    fn start_closing(&mut self) {
        if !self.closing {
            self.closing = true;
            let limit = now().micros() + CLOSE_FLUSH_LIMIT.as_micros() as u64;
            let when = Instant::now() + CLOSE_FLUSH_LIMIT;
            self.timer = Some((Box::pin(tokio::time::sleep_until(when)), limit));
        }
    }
}

impl<S> Future for Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let mut progressed = false;
            // A wake-up needs no work of its own here yet: the loop below writes whatever the
            // waking session queued and notices a CLIENT KILL through `is_closing`.
            if this.wake.woken.swap(false, Ordering::Acquire) {
                progressed = true;
                // A blocking command may have been settled: deliver its reply and run the
                // commands that waited behind it.
                if !this.closing {
                    this.process_input();
                }
            }

            let pending = this.session.pending_output().len();
            if !this.closing && pending < OUTPUT_BACKPRESSURE && this.input_pending {
                this.input_pending = false;
                this.process_input();
                progressed = true;
            } else if !this.closing && pending < OUTPUT_BACKPRESSURE {
                match this.poll_read_once(cx) {
                    Poll::Ready(true) => {
                        this.process_input();
                        progressed = true;
                    }
                    Poll::Ready(false) => return Poll::Ready(()),
                    Poll::Pending => {}
                }
            } else if !this.closing && !this.throttled_logged {
                this.throttled_logged = true;
                tracing::debug!(
                    "Client id={} has {pending} bytes of unread replies: pausing its input",
                    this.session.id()
                );
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

            if this.flush(cx).is_err() {
                return Poll::Ready(());
            }
            // The flush may have drained the output below the limit: the paused commands must
            // run now, since nothing else will wake this task once the output is all written.
            if this.input_pending
                && !this.closing
                && this.session.pending_output().len() < OUTPUT_BACKPRESSURE
            {
                progressed = true;
            }

            if this.session.is_closing() {
                if this.session.pending_output().is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A client that pipelines more replies than the pause threshold and then drains a pipe
    /// wide enough to take all pending output in one flush: the paused commands must still
    /// run. (A task that flushed everything, saw no progress and slept would never wake.)
    #[tokio::test(flavor = "current_thread")]
    async fn paused_input_resumes_when_one_flush_drains_everything() {
        const VALUE: usize = 1 << 20;
        const GETS: usize = 300;
        let server = lode_core::testkit::server();
        let (mut client, sock) = tokio::io::duplex(2 * OUTPUT_BACKPRESSURE + 4 * VALUE);
        tokio::spawn(Connection::new(server, sock, ClientInfo::Internal));
        let set = lode_core::testkit::frame(&[b"SET".as_slice(), b"k", &vec![b'v'; VALUE]]);
        client.write_all(&set).await.expect("write");
        let mut ok = [0u8; 5];
        client.read_exact(&mut ok).await.expect("read");
        assert_eq!(&ok, b"+OK\r\n");
        let mut batch = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(GETS);
        batch.extend_from_slice(b"PING\r\n");
        client.write_all(&batch).await.expect("write batch");
        let reply_len = format!("${VALUE}\r\n").len() + VALUE + 2;
        let mut all = vec![0u8; GETS * reply_len + 7];
        let read = tokio::time::timeout(Duration::from_secs(20), client.read_exact(&mut all));
        read.await.expect("replies stalled").expect("read");
        assert!(all.ends_with(b"+PONG\r\n"));
    }
}
