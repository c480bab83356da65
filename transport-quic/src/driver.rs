//! One session on one stream: a hand-written future that moves bytes between a QUIC stream's
//! two halves and a core `Connection` (the session and every rule about reading, timers and
//! closing), like a TCP connection in transport-tokio.
//!
//! Each poll reads what the stream has, lets the session execute every complete command, and
//! writes the replies. Readiness, the cross-session wake-up and the deadline timer are polled
//! directly (no `select!`), so a wake-up that races with going to sleep is never lost.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BufMut;
use lode_core::connection::{Connection as Core, Next, TimerChange};
use lode_core::{ClientInfo, Server};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::now;

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
    /// The session and every rule about reading, timers and closing.
    core: Core,
    /// The timer, armed where the core says.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<R, W> Driver<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    /// A driver serving a new session of `server` on (`recv`, `send`).
    pub(crate) fn new(server: Arc<Server>, recv: R, send: W, info: ClientInfo) -> Self {
        Driver {
            recv,
            send,
            core: Core::new(server, info, now()),
            timer: None,
        }
    }

    /// The stream halves, once the driver is done with them.
    pub(crate) fn into_streams(self) -> (R, W) {
        (self.recv, self.send)
    }

    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<ReadOutcome> {
        let input = self.core.input_buffer();
        let mut rb = ReadBuf::uninit(input.spare_capacity_mut());
        match Pin::new(&mut self.recv).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(ReadOutcome::Eof);
                }
                // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
                unsafe { input.advance_mut(n) };
                self.core.received(now(), n);
                Poll::Ready(ReadOutcome::Data)
            }
            Poll::Ready(Err(_)) => Poll::Ready(ReadOutcome::Failed),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Writes pending output until done or the stream is blocked; `Err` = stream gone.
    fn flush(&mut self, cx: &mut Context<'_>) -> Result<(), ()> {
        while !self.core.output().is_empty() {
            match Pin::new(&mut self.send).poll_write(cx, self.core.output()) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(()),
                Poll::Ready(Ok(n)) => self.core.consume_output(n),
                Poll::Pending => break,
            }
        }
        Ok(())
    }

    fn set_timer(&mut self, change: TimerChange) {
        match change {
            TimerChange::Disarm => self.timer = None,
            TimerChange::Arm(at) => {
                let wait = Duration::from_micros(at.micros().saturating_sub(now().micros()));
                let when = Instant::now() + wait;
                match &mut self.timer {
                    Some(sleep) => sleep.as_mut().reset(when),
                    None => self.timer = Some(Box::pin(tokio::time::sleep_until(when))),
                }
            }
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
            let mut progressed = this.core.take_wake(now());
            if this.core.resume(now()) {
                progressed = true;
            } else if this.core.wants_input() {
                match this.poll_read_once(cx) {
                    Poll::Ready(ReadOutcome::Data) => progressed = true,
                    // The client finished its side: like a TCP half-close, it is gone once
                    // the replies to what it sent are flushed.
                    Poll::Ready(ReadOutcome::Eof) => {
                        this.core.peer_finished();
                        progressed = true;
                    }
                    Poll::Ready(ReadOutcome::Failed) => return Poll::Ready(End::Gone),
                    Poll::Pending => {}
                }
            }
            if let Some(sleep) = &mut this.timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    if !this.core.timer_fired(now()) {
                        // The client never drained its last replies: give up on them.
                        return Poll::Ready(End::Gone);
                    }
                    progressed = true;
                }
            }
            if this.flush(cx).is_err() {
                return Poll::Ready(End::Gone);
            }
            let (next, timer) = this.core.end_round(now(), false, progressed, cx.waker());
            if let Some(change) = timer {
                this.set_timer(change);
            }
            match next {
                Next::Done => return Poll::Ready(End::Finished),
                Next::Sleep => return Poll::Pending,
                Next::Again => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    const OUTPUT_BACKPRESSURE: usize = lode_core::session::OUTPUT_PAUSE_BYTES;
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
