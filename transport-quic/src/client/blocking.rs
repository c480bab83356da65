//! The client for synchronous callers (the conformance suite): a small Tokio runtime of its
//! own drives the connection in the background, so keep-alives and acknowledgements flow
//! while the caller is not inside a read or write.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::{RecvStream, SendStream};
use tokio::runtime::Runtime;

use super::ClientOptions;

/// A QUIC connection to a lode server, with the runtime that drives it.
pub struct Client {
    runtime: Arc<Runtime>,
    inner: Option<super::Client>,
}

impl Client {
    /// Connects to the server at `addr`.
    pub fn connect(addr: SocketAddr, opts: &ClientOptions) -> io::Result<Client> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lode-quic-client")
            .enable_all()
            .build()?;
        let inner = runtime.block_on(super::Client::connect(addr, opts))?;
        Ok(Client {
            runtime: Arc::new(runtime),
            inner: Some(inner),
        })
    }

    fn inner(&self) -> io::Result<&super::Client> {
        self.inner
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "client closed"))
    }

    /// Opens a new session (its own stream, its own server-side client).
    pub fn open_session(&self) -> io::Result<Session> {
        let inner = self.inner()?;
        let (send, recv) = self
            .runtime
            .block_on(inner.connection().open_bi())
            .map_err(super::connection_error)?;
        Ok(Session {
            runtime: self.runtime.clone(),
            send,
            recv,
            read_timeout: None,
        })
    }

    /// The underlying quinn connection.
    pub fn connection(&self) -> io::Result<&quinn::Connection> {
        Ok(self.inner()?.connection())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Let the close frame go out rather than leave the server to time the connection out.
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(200), inner.close()).await
            });
        }
    }
}

/// One session on its own stream; `Read` gives the reply bytes, `Write` sends commands.
pub struct Session {
    runtime: Arc<Runtime>,
    send: SendStream,
    recv: RecvStream,
    read_timeout: Option<Duration>,
}

impl Session {
    /// Limits how long `read` waits; on expiry it fails with `WouldBlock`. `None` = forever.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        if timeout == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "zero read timeout",
            ));
        }
        self.read_timeout = timeout;
        Ok(())
    }

    /// Finishes the send side: the server sees EOF, flushes its replies and ends the session.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        self.send
            .finish()
            .map_err(|e| io::Error::new(io::ErrorKind::NotConnected, e))
    }
}

impl io::Read for Session {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let read = self.recv.read(buf);
        let got = match self.read_timeout {
            None => self.runtime.block_on(read),
            Some(t) => self
                .runtime
                .block_on(async { tokio::time::timeout(t, read).await })
                .map_err(|_| io::Error::new(io::ErrorKind::WouldBlock, "read timed out"))?,
        };
        match got {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Ok(0),
            Err(e) => Err(io::Error::from(e)),
        }
    }
}

impl io::Write for Session {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.runtime
            .block_on(self.send.write(buf))
            .map_err(io::Error::from)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.runtime
            .block_on(self.send.write_all(buf))
            .map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Written bytes are already queued on the connection, which sends them on its own.
        Ok(())
    }
}
