//! TLS over a Tokio byte stream: lode-tls's [`Pump`] behind `AsyncRead`/`AsyncWrite`, so the
//! shared driver serves a TLS client exactly as it serves a plain one (and the plain path,
//! a `Driver<TcpStream>`, is untouched by it).
//!
//! Reading runs the handshake as it goes (the handshake's replies are sent from the read
//! side too), writing encrypts into the pump's bounded buffer and sends at once, and
//! `poll_flush` sends what the socket could not take before, which the driver calls every
//! round, so no ciphertext is left behind once the session's output is written.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use lode_tls::Pump;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A server-side TLS session over the stream `S`.
pub(crate) struct TlsStream<S> {
    io: S,
    pump: Pump,
    /// `close_notify` was queued (shutdown).
    closing: bool,
}

/// The async stream seen as a blocking one for rustls: `Pending` becomes `WouldBlock`, with
/// the task registered for readiness.
struct SyncIo<'a, 'b, S> {
    io: &'a mut S,
    cx: &'a mut Context<'b>,
}

impl<S: AsyncRead + Unpin> Read for SyncIo<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut rb) {
            Poll::Ready(Ok(())) => Ok(rb.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncWrite + Unpin> Write for SyncIo<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// A write of several records in one syscall (rustls hands over its queued chunks).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write_vectored(self.cx, bufs) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Serves the TLS session `pump` over `io`; the handshake starts with the first read.
    pub(crate) fn new(io: S, pump: Pump) -> Self {
        TlsStream {
            io,
            pump,
            closing: false,
        }
    }

    /// Sends the waiting ciphertext; `Pending` = the socket is full (the task is registered).
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pump.wants_write() {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match self.pump.write_tls(&mut io) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this.pump.plain_chunk() {
                // Empty: the client closed the session, which reads as end of stream.
                Ok(chunk) => {
                    let n = chunk.len().min(buf.remaining());
                    buf.put_slice(&chunk[..n]);
                    this.pump.consume_plain(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // The handshake's own messages must leave while the driver only reads.
            if let Poll::Ready(Err(e)) = this.poll_send(cx) {
                return Poll::Ready(Err(e));
            }
            let mut io = SyncIo {
                io: &mut this.io,
                cx,
            };
            match this.pump.read_tls(&mut io) {
                // Data, or the socket's end (which the next `plain_chunk` reports).
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => {
                    // Tell the client why (the alert rustls queued), if the socket takes it.
                    let _ = this.poll_send(cx);
                    return Poll::Ready(Err(e));
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Make room first: what the socket refused last time goes before new records.
        let before = this.poll_send(cx);
        if let Poll::Ready(Err(e)) = before {
            return Poll::Ready(Err(e));
        }
        let n = this.pump.write_plain(data);
        if n > 0 {
            if let Poll::Ready(Err(e)) = this.poll_send(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(n));
        }
        // Nothing taken: the buffer is full of ciphertext the socket refuses (the task waits
        // for it), or the handshake is not done and its plaintext buffer is full (the task
        // waits for the client's handshake bytes, which the read side takes).
        Poll::Pending
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            this.closing = true;
            this.pump.close();
        }
        std::task::ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
