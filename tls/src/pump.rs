//! The TLS byte pump: a rustls server session between a transport's socket bytes and the
//! core's plaintext, sans I/O. The transport feeds it what it received ([`Pump::read_tls`]),
//! takes the plaintext out for the session ([`Pump::take_plain`]), hands it the session's
//! replies ([`Pump::write_plain`]) and sends whatever ciphertext it produced
//! ([`Pump::write_tls`]) — handshake messages, records, alerts — so every transport (a Tokio
//! stream, io_uring's owned buffers) runs the same TLS the same way.

use std::io::{self, BufRead, Read, Write};

use bytes::BytesMut;

/// One connection's TLS session (server side).
pub struct Pump {
    conn: rustls::ServerConnection,
    /// Ciphertext has been sent.
    sent: bool,
    /// The client did not speak TLS at all: send it nothing (not even the alert rustls
    /// queued), as OpenSSL sends nothing to a client whose first bytes are not TLS.
    mute: bool,
}

/// What [`Pump::take_plain`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plain {
    /// This many plaintext bytes were appended (possibly 0: the session needs more input).
    Data(usize),
    /// The client closed the session with `close_notify` (after the bytes taken before).
    Closed,
}

impl Pump {
    pub(crate) fn new(conn: rustls::ServerConnection) -> Self {
        Pump {
            conn,
            sent: false,
            mute: false,
        }
    }

    /// Reads ciphertext from `rd` (one read) and processes the records it completes.
    /// `Ok(0)` = `rd` is at its end. A TLS error (bad record, failed handshake, refused
    /// certificate) is an `InvalidData` error; the alert telling the client why is then
    /// queued, and worth sending before closing.
    pub fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        let n = self.conn.read_tls(rd)?;
        if let Err(e) = self.conn.process_new_packets() {
            if !self.sent && matches!(e, rustls::Error::InvalidMessage(_)) {
                self.mute = true;
            }
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        Ok(n)
    }

    /// Feeds every byte of `data` (ciphertext received) and appends the plaintext it
    /// carried to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut BytesMut) -> io::Result<Plain> {
        let mut taken = 0;
        while !data.is_empty() {
            if self.read_tls(&mut data)? == 0 {
                break;
            }
            match self.take_plain(out)? {
                Plain::Data(n) => taken += n,
                Plain::Closed => return Ok(Plain::Closed),
            }
        }
        Ok(Plain::Data(taken))
    }

    /// Appends the plaintext received so far to `out`, without zeroing or an extra copy
    /// (rustls lends its buffer). A client gone without `close_notify` is an
    /// `UnexpectedEof` error.
    pub fn take_plain(&mut self, out: &mut BytesMut) -> io::Result<Plain> {
        let mut taken = 0;
        loop {
            let mut reader = self.conn.reader();
            match reader.fill_buf() {
                Ok([]) => {
                    return Ok(if taken > 0 {
                        Plain::Data(taken)
                    } else {
                        Plain::Closed
                    })
                }
                Ok(chunk) => {
                    let n = chunk.len();
                    out.extend_from_slice(chunk);
                    reader.consume(n);
                    taken += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Plain::Data(taken)),
                Err(e) if taken > 0 && e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Plain::Data(taken))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The next chunk of plaintext received, lent by rustls: empty = the client closed the
    /// session, `WouldBlock` = nothing yet, `UnexpectedEof` = gone without `close_notify`.
    /// [`Pump::consume_plain`] says how much of it was taken.
    pub fn plain_chunk(&mut self) -> io::Result<&[u8]> {
        self.conn.reader().into_first_chunk()
    }

    /// `n` bytes of the chunk [`Pump::plain_chunk`] lent were taken.
    pub fn consume_plain(&mut self, n: usize) {
        self.conn.reader().consume(n);
    }

    /// Encrypts as much of `data` (replies) as the session's buffer takes; returns how much.
    /// The buffer is bounded (64 KiB of ciphertext), so a client that does not read holds
    /// the replies back in the session, where the output limits see them.
    pub fn write_plain(&mut self, data: &[u8]) -> usize {
        self.conn.writer().write(data).unwrap_or(0)
    }

    /// Whether ciphertext waits to be sent.
    pub fn wants_write(&self) -> bool {
        !self.mute && self.conn.wants_write()
    }

    /// Writes waiting ciphertext to `wr` (one write).
    pub fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
        if self.mute {
            return Ok(0);
        }
        let n = self.conn.write_tls(wr)?;
        self.sent |= n > 0;
        Ok(n)
    }

    /// Moves all waiting ciphertext to the end of `out`.
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        while self.wants_write() {
            if !matches!(self.write_tls(out), Ok(n) if n > 0) {
                break;
            }
        }
    }

    /// Queues `close_notify`: the session ends cleanly once it is sent.
    pub fn close(&mut self) {
        self.conn.send_close_notify();
    }

    /// Whether the handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }
}
