//! One client connection: a hand-written future that moves bytes between an async byte
//! stream and a core `Connection` (which holds the session and every rule about when to read,
//! when to run paused commands, the timer and closing).
//!
//! Each poll reads whatever the stream has (one `read`), lets the session execute every
//! complete command in it, and writes all the replies with one `write`. Tokio clears read
//! readiness on a short read, so the next poll does not spend an `EAGAIN` syscall finding out
//! that the client has nothing more yet. There is no `select!`: readiness, the cross-session
//! wake-up and the timer are polled directly, so the hot path allocates nothing and a wake-up
//! that races with going to sleep is never lost.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::BufMut;
use lode_core::connection::{Connection as Core, Next};
use lode_core::{ClientInfo, Server};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::now;
use crate::timer::Timer;

/// What the client's end of stream means; the transports differ here and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerEof {
    /// The client is gone: end at once, dropping replies not yet written. What Redis does
    /// when `read` returns 0 on a TCP or Unix socket.
    Close,
    /// The client only finished sending (a QUIC stream's FIN): like a TCP half-close, it is
    /// gone once the replies to what it sent are flushed.
    Drain,
}

/// How a connection ended, for a transport that closes its stream differently in each case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Replies flushed (QUIT, CLIENT KILL, protocol error, a drained client EOF): finish the
    /// stream.
    Finished,
    /// The stream broke, the client went away ([`PeerEof::Close`]), or a closing client never
    /// drained its replies: abandon the stream.
    Gone,
}

/// What one read produced.
enum ReadOutcome {
    Data,
    Eof,
    Failed,
}

/// The state of one connection, polled as a future until the connection ends.
pub struct Driver<S> {
    /// Declared first so it drops first: the session leaves the client list before the
    /// stream closes, so a client that saw the close never finds itself still listed.
    core: Core,
    stream: S,
    timer: Timer,
    on_eof: PeerEof,
}

impl<S> Driver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// A driver serving `stream` as a new client of `server`; `on_eof` says what the client's
    /// end of stream means on this transport. A stream that comes as two halves (a QUIC
    /// stream's receive and send sides) is passed joined by `tokio::io::join`.
    pub fn new(server: Arc<Server>, stream: S, info: ClientInfo, on_eof: PeerEof) -> Self {
        Driver {
            core: Core::new(server, info, now()),
            stream,
            timer: Timer::default(),
            on_eof,
        }
    }

    /// The stream, once the driver is done with it, for a transport that closes it according
    /// to the [`End`]. The session is dropped here, before the stream is closed.
    pub fn into_stream(self) -> S {
        self.stream
    }

    /// Reads once if the stream has data.
    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<ReadOutcome> {
        let input = self.core.input_buffer();
        let mut rb = ReadBuf::uninit(input.spare_capacity_mut());
        match Pin::new(&mut self.stream).poll_read(cx, &mut rb) {
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

    /// Writes pending output until done or the stream is full, then flushes the stream;
    /// `Ok(true)` = bytes are still on their way (the session's output, or what a layer
    /// such as TLS holds), `Err(())` = stream gone. A socket's flush does nothing, so the
    /// plain path pays nothing for it.
    fn flush(&mut self, cx: &mut Context<'_>) -> Result<bool, ()> {
        while !self.core.output().is_empty() {
            match Pin::new(&mut self.stream).poll_write(cx, self.core.output()) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(()),
                Poll::Ready(Ok(n)) => self.core.consume_output(n),
                Poll::Pending => return Ok(true),
            }
        }
        match Pin::new(&mut self.stream).poll_flush(cx) {
            Poll::Ready(Ok(())) => Ok(false),
            Poll::Ready(Err(_)) => Err(()),
            Poll::Pending => Ok(true),
        }
    }
}

impl<S> Future for Driver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
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
                    Poll::Ready(ReadOutcome::Eof) => match this.on_eof {
                        PeerEof::Close => return Poll::Ready(End::Gone),
                        PeerEof::Drain => {
                            this.core.peer_finished();
                            progressed = true;
                        }
                    },
                    Poll::Ready(ReadOutcome::Failed) => return Poll::Ready(End::Gone),
                    Poll::Pending => {}
                }
            }
            if this.timer.poll_fired(cx) {
                if !this.core.timer_fired(now()) {
                    // The client never drained its last replies: give up on them.
                    return Poll::Ready(End::Gone);
                }
                progressed = true;
            }
            let Ok(sending) = this.flush(cx) else {
                return Poll::Ready(End::Gone);
            };
            let (next, timer) = this.core.end_round(now(), sending, progressed, cx.waker());
            if let Some(change) = timer {
                this.timer.apply(change);
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
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const OUTPUT_BACKPRESSURE: usize = lode_core::session::OUTPUT_PAUSE_BYTES;

    /// A client that pipelines more replies than the pause threshold and then drains a pipe
    /// wide enough to take all pending output in one flush: the paused commands must still
    /// run. (A task that flushed everything, saw no progress and slept would never wake.)
    #[tokio::test(flavor = "current_thread")]
    async fn paused_commands_resume_after_the_output_drains() {
        const VALUE: usize = 1 << 20;
        const GETS: usize = OUTPUT_BACKPRESSURE / VALUE + 16;
        let server = lode_core::testkit::server();
        let (mut client, sock) = tokio::io::duplex(2 * OUTPUT_BACKPRESSURE + 4 * VALUE);
        tokio::spawn(Driver::new(
            server,
            sock,
            ClientInfo::Internal,
            PeerEof::Close,
        ));
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
        let read = tokio::time::timeout(Duration::from_secs(30), client.read_exact(&mut all));
        read.await.expect("replies stalled").expect("read");
        assert!(all.ends_with(b"+PONG\r\n"));
    }

    /// With `Drain`, a client that finishes its side after a command still gets the reply,
    /// then the stream is finished. The stream comes as two halves, as QUIC's does.
    #[tokio::test(flavor = "current_thread")]
    async fn drain_flushes_then_finishes() {
        let server = lode_core::testkit::server();
        let (client, sock) = tokio::io::duplex(64 * 1024);
        let (recv, send) = tokio::io::split(sock);
        let stream = tokio::io::join(recv, send);
        let (mut c_read, mut c_write) = tokio::io::split(client);
        let task = tokio::spawn(Driver::new(
            server,
            stream,
            ClientInfo::Internal,
            PeerEof::Drain,
        ));
        c_write.write_all(b"PING\r\n").await.expect("write");
        c_write.shutdown().await.expect("shutdown");
        let mut buf = [0u8; 7];
        c_read.read_exact(&mut buf).await.expect("read");
        assert_eq!(&buf, b"+PONG\r\n");
        assert_eq!(task.await.expect("join"), End::Finished);
    }

    /// With `Close`, the client's end of stream ends the connection as gone.
    #[tokio::test(flavor = "current_thread")]
    async fn close_ends_at_eof() {
        let server = lode_core::testkit::server();
        let (mut client, sock) = tokio::io::duplex(64 * 1024);
        let task = tokio::spawn(Driver::new(
            server,
            sock,
            ClientInfo::Internal,
            PeerEof::Close,
        ));
        client.write_all(b"PING\r\n").await.expect("write");
        let mut buf = [0u8; 7];
        client.read_exact(&mut buf).await.expect("read");
        assert_eq!(&buf, b"+PONG\r\n");
        client.shutdown().await.expect("shutdown");
        assert_eq!(task.await.expect("join"), End::Gone);
    }
}
