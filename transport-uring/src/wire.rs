//! What lies between a connection's socket and its session: nothing ([`Plain`], TCP and Unix
//! clients) or a TLS session ([`Tls`], `tls-port` clients). `Connection` is generic over it,
//! so the plain path is the same code it always was, with no branch or indirection added.

use std::os::fd::OwnedFd;

use bytes::BytesMut;
use lode_core::connection::{Connection as Core, READ_CHUNK, SHRINK_ABOVE};
use lode_core::Now;
use lode_tls::{Plain as Taken, Pump};

/// The most pending output copied into one send.
const WRITE_CHUNK: usize = 1024 * 1024;

/// How received bytes reach the session and replies reach the socket.
pub(crate) trait Wire {
    /// The buffer the next receive fills (empty, any capacity).
    fn recv_buf(&mut self, core: &mut Core, spare: &mut Option<BytesMut>) -> BytesMut;

    /// A receive filled `buf`: hands its bytes to the session. `false` = the client is gone
    /// (or its TLS session failed or ended).
    fn received(
        &mut self,
        core: &mut Core,
        spare: &mut Option<BytesMut>,
        buf: BytesMut,
        now: Now,
    ) -> bool;

    /// Puts what is to be sent next into `buf` (which may still hold bytes a partial send
    /// left); `false` = nothing to send.
    fn fill_send(&mut self, core: &mut Core, buf: &mut Vec<u8>) -> bool;

    /// `n` bytes of `buf` were sent; what is left of it (if anything) goes next.
    fn sent(&mut self, core: &mut Core, n: usize, buf: &mut Vec<u8>);

    /// Bytes are waiting inside this layer (TLS records not yet handed to a send).
    fn holds_output(&self) -> bool;

    /// The connection ends on the server's decision (QUIT, CLIENT KILL...): last words on
    /// the socket, best effort and without blocking.
    fn finish(&mut self, fd: &OwnedFd);

    /// The connection ends because the client left or broke the protocol; `sending`: a send
    /// is still in flight (nothing may be written beside it).
    fn abandon(&mut self, fd: &OwnedFd, sending: bool);
}

/// A plain socket: the session's bytes go as they are.
pub(crate) struct Plain;

impl Wire for Plain {
    #[inline]
    fn recv_buf(&mut self, core: &mut Core, spare: &mut Option<BytesMut>) -> BytesMut {
        let input = core.input_mut();
        if input.is_empty() {
            // The input's own allocation is lent to the receive and comes back as the input.
            std::mem::take(input)
        } else {
            spare.take().unwrap_or_default()
        }
    }

    #[inline]
    fn received(
        &mut self,
        core: &mut Core,
        spare: &mut Option<BytesMut>,
        mut buf: BytesMut,
        now: Now,
    ) -> bool {
        let n = buf.len();
        let input = core.input_mut();
        if input.is_empty() {
            // The common case: no partial command waits, so the received buffer becomes
            // the input buffer as it is, without a copy.
            std::mem::swap(input, &mut buf);
        } else {
            input.extend_from_slice(&buf);
        }
        core.received(now, n);
        buf.clear();
        // After the swap `buf` is the old, empty input: often capacity 0, then not worth
        // keeping; a big one is not kept either.
        if spare.is_none() && buf.capacity() >= READ_CHUNK && buf.capacity() <= SHRINK_ABOVE {
            *spare = Some(buf);
        }
        true
    }

    #[inline]
    fn fill_send(&mut self, core: &mut Core, buf: &mut Vec<u8>) -> bool {
        let out = core.output();
        if out.is_empty() {
            return false;
        }
        buf.extend_from_slice(&out[..out.len().min(WRITE_CHUNK)]);
        true
    }

    #[inline]
    fn sent(&mut self, core: &mut Core, n: usize, buf: &mut Vec<u8>) {
        core.consume_output(n);
        buf.clear();
    }

    #[inline]
    fn holds_output(&self) -> bool {
        false
    }

    #[inline]
    fn finish(&mut self, _fd: &OwnedFd) {}

    #[inline]
    fn abandon(&mut self, _fd: &OwnedFd, _sending: bool) {}
}

/// A TLS session: ciphertext in the receive and send buffers, plaintext in the session.
pub(crate) struct Tls(pub(crate) Pump);

impl Tls {
    /// Sends what the session has queued (an alert, `close_notify`) straight on the socket,
    /// without waiting: the connection is about to close.
    fn send_last(&mut self, fd: &OwnedFd) {
        let mut last = Vec::new();
        self.0.drain_into(&mut last);
        if !last.is_empty() {
            let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
            let _ = socket2::SockRef::from(fd).send_with_flags(&last, flags);
        }
    }
}

impl Wire for Tls {
    fn recv_buf(&mut self, _core: &mut Core, spare: &mut Option<BytesMut>) -> BytesMut {
        // Ciphertext never becomes the input, so the receive buffer is the TLS layer's own,
        // kept from one receive to the next.
        spare.take().unwrap_or_default()
    }

    fn received(
        &mut self,
        core: &mut Core,
        spare: &mut Option<BytesMut>,
        mut buf: BytesMut,
        now: Now,
    ) -> bool {
        let fed = self.0.feed(&buf, core.input_mut());
        buf.clear();
        if buf.capacity() <= SHRINK_ABOVE {
            *spare = Some(buf);
        }
        match fed {
            Ok(Taken::Data(0)) => true,
            Ok(Taken::Data(n)) => {
                core.received(now, n);
                true
            }
            // close_notify: the client is done, as a socket's end of stream.
            Ok(Taken::Closed) => false,
            // A bad record or a refused handshake: the alert saying why is queued (`abandon`
            // sends it), and the connection ends.
            Err(_) => false,
        }
    }

    fn fill_send(&mut self, core: &mut Core, buf: &mut Vec<u8>) -> bool {
        let out = core.output();
        if !out.is_empty() {
            let n = self.0.write_plain(out);
            core.consume_output(n);
        }
        self.0.drain_into(buf);
        !buf.is_empty()
    }

    fn sent(&mut self, _core: &mut Core, n: usize, buf: &mut Vec<u8>) {
        buf.drain(..n.min(buf.len()));
    }

    fn holds_output(&self) -> bool {
        self.0.wants_write()
    }

    fn finish(&mut self, fd: &OwnedFd) {
        self.0.close();
        self.send_last(fd);
    }

    fn abandon(&mut self, fd: &OwnedFd, sending: bool) {
        if !sending {
            self.send_last(fd);
        }
    }
}
