//! One session on one stream: a hand-written future that moves bytes between a QUIC stream's
//! two halves and a core `Session`, like a TCP connection in transport-tokio.
//!
//! Each poll reads what the stream has, lets the session execute every complete command, and
//! writes the replies. Readiness, the cross-session wake-up and the deadline timer are polled
//! directly (no `select!`), so a wake-up that races with going to sleep is never lost.

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

/// Read buffer size: a deep pipeline of small commands fits in one read.
const READ_CHUNK: usize = 16 * 1024;

/// Below this much free space the read buffer grows before the next read.
const MIN_SPARE: usize = 4 * 1024;

/// An idle read buffer above this capacity is shrunk, so one large request does not pin
/// memory for the session's lifetime.
const SHRINK_ABOVE: usize = 256 * 1024;

/// Pending output at which reading and executing pause until the client drained its replies.
const OUTPUT_BACKPRESSURE: usize = lode_core::session::OUTPUT_PAUSE_BYTES;

/// How long a closing session may take to flush its last replies.
const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// The session's waker: another session sets the flag and wakes the stream's task.
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

/// How a session's stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Replies flushed (QUIT, CLIENT KILL, protocol error, client EOF): finish the stream.
    Finished,
    /// The stream broke, or a closing client never drained its replies: abandon it.
    Gone,
}

/// What one read produced.
enum ReadOutcome {
    Data,
    Eof,
    Failed,
}

/// One session's state, polled as a future until the stream ends.
pub(crate) struct Driver<R, W> {
    recv: R,
    send: W,
    session: Session,
    wake: Arc<WakeSlot>,
    rbuf: BytesMut,
    /// The deadline timer and the instant (Unix µs) it is armed for.
    timer: Option<(Pin<Box<Sleep>>, u64)>,
    /// Set once the session asked to close or the client finished its side: stop reading,
    /// flush, then end.
    closing: bool,
    /// Earliest instant (Unix µs) the timer may be re-armed for after it fired, so a deadline
    /// that did not move after `handle_timeout` cannot make the task spin.
    min_rearm: u64,
    /// Commands were left in `rbuf` at the output limit: run them once output drained.
    input_pending: bool,
}

impl<R, W> Driver<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    /// A driver serving a new session of `server` on (`recv`, `send`).
    pub(crate) fn new(server: Arc<Server>, recv: R, send: W, info: ClientInfo) -> Self {
        let wake = Arc::new(WakeSlot::default());
        let session = Session::new(server, info, wake.clone(), now());
        Driver {
            recv,
            send,
            session,
            wake,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            timer: None,
            closing: false,
            min_rearm: 0,
            input_pending: false,
        }
    }

    /// The stream halves, once the driver is done with them.
    pub(crate) fn into_streams(self) -> (R, W) {
        (self.recv, self.send)
    }

    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<ReadOutcome> {
        if self.rbuf.capacity() - self.rbuf.len() < MIN_SPARE {
            self.rbuf.reserve(READ_CHUNK);
        }
        let mut rb = ReadBuf::uninit(self.rbuf.spare_capacity_mut());
        match Pin::new(&mut self.recv).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(ReadOutcome::Eof);
                }
                // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
                unsafe { self.rbuf.advance_mut(n) };
                lode_core::stats::Stats::add(
                    &self.session.server().stats.total_net_input_bytes,
                    n as u64,
                );
                Poll::Ready(ReadOutcome::Data)
            }
            Poll::Ready(Err(_)) => Poll::Ready(ReadOutcome::Failed),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Writes pending output until done or the stream is blocked; `Err` = stream gone.
    fn flush(&mut self, cx: &mut Context<'_>) -> Result<(), ()> {
        while !self.session.pending_output().is_empty() {
            match Pin::new(&mut self.send).poll_write(cx, self.session.pending_output()) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(()),
                Poll::Ready(Ok(n)) => self.session.consume_output(n),
                Poll::Pending => break,
            }
        }
        Ok(())
    }

    /// Arms the timer for the session's next deadline; `true` if it must be polled once to
    /// register. Only an earlier deadline moves it: a later one is picked up when it fires.
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
        let when = Instant::now() + Duration::from_micros(at.saturating_sub(now().micros()));
        match &mut self.timer {
            Some((sleep, armed)) => {
                sleep.as_mut().reset(when);
                *armed = at;
            }
            None => self.timer = Some((Box::pin(tokio::time::sleep_until(when)), at)),
        }
        true
    }

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

impl<R, W> Future for Driver<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    type Output = End;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<End> {
        let this = self.get_mut();
        loop {
            let mut progressed = false;
            if this.wake.woken.swap(false, Ordering::Acquire) {
                progressed = true;
                // A settled blocking command's reply is delivered by handle_input, and the
                // commands pipelined behind it run, even with no new bytes.
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
                    Poll::Ready(ReadOutcome::Data) => {
                        this.process_input();
                        progressed = true;
                    }
                    // The client finished its side: like a TCP half-close, it is gone once
                    // the replies to what it sent are flushed.
                    Poll::Ready(ReadOutcome::Eof) => {
                        this.start_closing();
                        progressed = true;
                    }
                    Poll::Ready(ReadOutcome::Failed) => return Poll::Ready(End::Gone),
                    Poll::Pending => {}
                }
            }

            if let Some((sleep, _)) = &mut this.timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    if this.closing {
                        // The client never drained its last replies: give up on them.
                        return Poll::Ready(End::Gone);
                    }
                    let t = now();
                    this.session.handle_timeout(t);
                    this.min_rearm = t.micros() + 1000;
                    this.process_input();
                    progressed = true;
                }
            }

            if this.flush(cx).is_err() {
                return Poll::Ready(End::Gone);
            }
            // One flush may have drained everything: the paused commands must run now, as
            // nothing else would wake this task.
            if this.input_pending
                && !this.closing
                && this.session.pending_output().len() < OUTPUT_BACKPRESSURE
            {
                progressed = true;
            }

            if this.session.is_closing() || this.closing {
                if this.session.pending_output().is_empty() {
                    return Poll::Ready(End::Finished);
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

    /// A client that finishes its side after a command still gets the reply, then EOF.
    #[tokio::test(flavor = "current_thread")]
    async fn half_close_flushes_then_finishes() {
        let server = lode_core::testkit::server();
        let (client, sock) = tokio::io::duplex(64 * 1024);
        let (recv, send) = tokio::io::split(sock);
        let (mut c_read, mut c_write) = tokio::io::split(client);
        let task = tokio::spawn(Driver::new(server, recv, send, ClientInfo::Internal));
        c_write.write_all(b"PING\r\n").await.expect("write");
        c_write.shutdown().await.expect("shutdown");
        let mut buf = [0u8; 7];
        c_read.read_exact(&mut buf).await.expect("read");
        assert_eq!(&buf, b"+PONG\r\n");
        assert_eq!(task.await.expect("join"), End::Finished);
    }

    /// Replies beyond the pause threshold stop execution; once a client that reads through
    /// a wide pipe drains them in one flush, the paused commands still run.
    #[tokio::test(flavor = "current_thread")]
    async fn paused_commands_resume_after_the_output_drains() {
        const VALUE: usize = 1 << 20;
        const GETS: usize = OUTPUT_BACKPRESSURE / VALUE + 16;
        let server = lode_core::testkit::server();
        let (client, sock) = tokio::io::duplex(2 * OUTPUT_BACKPRESSURE + 4 * VALUE);
        let (recv, send) = tokio::io::split(sock);
        let (mut c_read, mut c_write) = tokio::io::split(client);
        tokio::spawn(Driver::new(server, recv, send, ClientInfo::Internal));
        let set = lode_core::testkit::frame(&[b"SET".as_slice(), b"k", &vec![b'v'; VALUE]]);
        c_write.write_all(&set).await.expect("write");
        let mut ok = [0u8; 5];
        c_read.read_exact(&mut ok).await.expect("read");
        assert_eq!(&ok, b"+OK\r\n");
        let mut batch = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(GETS);
        batch.extend_from_slice(b"PING\r\n");
        c_write.write_all(&batch).await.expect("write batch");
        let reply_len = format!("${VALUE}\r\n").len() + VALUE + 2;
        let mut all = vec![0u8; GETS * reply_len + 7];
        let read = tokio::time::timeout(Duration::from_secs(30), c_read.read_exact(&mut all));
        read.await.expect("replies stalled").expect("read");
        assert!(all.ends_with(b"+PONG\r\n"));
    }
}
