//! One client connection: a hand-written future that moves bytes between the socket and a
//! core `Connection` (which holds the session and every rule about when to read, when to run
//! paused commands, the timer and closing).
//!
//! Each poll reads whatever the socket has (one `read`), lets the session execute every
//! complete command in it, and writes all the replies with one `write`. Tokio clears read
//! readiness on a short read, so the next poll does not spend an `EAGAIN` syscall finding out
//! that the client has nothing more yet. There is no `select!`: readiness, the cross-session
//! wake-up and the timer are polled directly, so the hot path allocates nothing.

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

/// The state of one connection, polled as a future until the connection ends.
pub(crate) struct Connection<S> {
    /// Declared first so it drops first: the session leaves the client list before the
    /// socket closes, so a client that saw the close never finds itself still listed.
    core: Core,
    sock: S,
    /// The timer, armed where the core says.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// A connection serving `sock` as a new client of `server`.
    pub(crate) fn new(server: Arc<Server>, sock: S, info: ClientInfo) -> Self {
        Connection {
            core: Core::new(server, info, now()),
            sock,
            timer: None,
        }
    }

    /// Reads once if the socket has data; `Ready(false)` = the connection is gone.
    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let input = self.core.input_buffer();
        let mut rb = ReadBuf::uninit(input.spare_capacity_mut());
        match Pin::new(&mut self.sock).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(false);
                }
                // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
                unsafe { input.advance_mut(n) };
                self.core.received(now(), n);
                Poll::Ready(true)
            }
            Poll::Ready(Err(_)) => Poll::Ready(false),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Writes pending output until done or the socket is full; `Err(())` = connection gone.
    fn flush(&mut self, cx: &mut Context<'_>) -> Result<(), ()> {
        while !self.core.output().is_empty() {
            match Pin::new(&mut self.sock).poll_write(cx, self.core.output()) {
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

impl<S> Future for Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let mut progressed = this.core.take_wake(now());
            if this.core.resume(now()) {
                progressed = true;
            } else if this.core.wants_input() {
                match this.poll_read_once(cx) {
                    Poll::Ready(true) => progressed = true,
                    Poll::Ready(false) => return Poll::Ready(()),
                    Poll::Pending => {}
                }
            }
            if let Some(sleep) = &mut this.timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    if !this.core.timer_fired(now()) {
                        return Poll::Ready(());
                    }
                    progressed = true;
                }
            }
            if this.flush(cx).is_err() {
                return Poll::Ready(());
            }
            let (next, timer) = this.core.end_round(now(), false, progressed, cx.waker());
            if let Some(change) = timer {
                this.set_timer(change);
            }
            match next {
                Next::Done => return Poll::Ready(()),
                Next::Sleep => return Poll::Pending,
                Next::Again => {}
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
        const OUTPUT_BACKPRESSURE: usize = lode_core::session::OUTPUT_PAUSE_BYTES;
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
