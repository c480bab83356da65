//! A small synchronous RESP client over TCP, a Unix socket, TLS or a QUIC stream: sends commands as
//! multibulk or raw bytes, reads one reply (or exact bytes) with a deadline, notices a closed
//! connection.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_tls::rustls::pki_types::ServerName;
use lode_tls::rustls::{ClientConfig, ClientConnection, StreamOwned};
use lode_transport_quic::client::{blocking, ClientOptions};

use crate::{parse, ParseError, Value};

/// Where a server listens.
#[derive(Clone, Debug)]
pub enum Endpoint {
    Tcp(SocketAddr),
    Unix(PathBuf),
    /// A lode QUIC port: each connection is a new stream on the endpoint's one QUIC connection.
    Quic(QuicEndpoint),
    /// A `tls-port`: each connection is a TLS session over a new TCP connection.
    Tls(TlsEndpoint),
}

/// A TLS port and the client configuration (trusting the test CA) every connection uses.
#[derive(Clone)]
pub struct TlsEndpoint {
    addr: SocketAddr,
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TlsEndpoint({})", self.addr)
    }
}

impl TlsEndpoint {
    /// The TLS port at `addr`, whose certificate the CA in `ca` signed.
    pub fn new(addr: SocketAddr, ca: &Path) -> Result<TlsEndpoint, String> {
        let config = lode_tls::client_config(Some(ca), None, None, "", &[])
            .map_err(|e| format!("TLS client: {e}"))?;
        Ok(TlsEndpoint {
            addr,
            config: Arc::new(config),
        })
    }
}

/// One QUIC connection to a server, shared by every client of the suite.
#[derive(Clone)]
pub struct QuicEndpoint {
    addr: SocketAddr,
    client: Arc<blocking::Client>,
}

impl std::fmt::Debug for QuicEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuicEndpoint({})", self.addr)
    }
}

impl QuicEndpoint {
    /// Connects to the QUIC port at `addr`, trusting the CA certificate in `ca`.
    pub fn connect(addr: SocketAddr, ca: &Path) -> Result<QuicEndpoint, String> {
        let opts = ClientOptions {
            ca_cert_file: Some(ca.to_path_buf()),
            cert_file: None,
            key_file: None,
            server_name: None,
            idle_timeout_ms: 30_000,
            keepalive_ms: 5_000,
        };
        let client = blocking::Client::connect(addr, &opts)
            .map_err(|e| format!("QUIC connect to {addr}: {e}"))?;
        Ok(QuicEndpoint {
            addr,
            client: Arc::new(client),
        })
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Quic(q) => write!(f, "quic://{}", q.addr),
            Endpoint::Tls(t) => write!(f, "tls://{}", t.addr),
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Quic(blocking::Session),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// What a read produced, when it did not produce what was asked for.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing (complete) arrived before the deadline; holds what did arrive.
    Timeout(Vec<u8>),
    /// The server closed the connection; holds the unparsed bytes that came before.
    Closed(Vec<u8>),
    /// The bytes received are not RESP.
    Protocol(ParseError, Vec<u8>),
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |b: &[u8]| crate::case::quote::escape(b, 300);
        match self {
            ReadError::Timeout(b) if b.is_empty() => f.write_str("timed out, nothing received"),
            ReadError::Timeout(b) => write!(f, "timed out after receiving {}", show(b)),
            ReadError::Closed(b) if b.is_empty() => f.write_str("connection closed"),
            ReadError::Closed(b) => write!(f, "connection closed after {}", show(b)),
            ReadError::Protocol(e, b) => write!(f, "not RESP ({e}): {}", show(b)),
            ReadError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

/// One client connection.
pub struct Conn {
    stream: Stream,
    buf: Vec<u8>,
}

/// Outcome of one socket read.
enum Filled {
    Data,
    Eof,
    Timeout,
}

impl Conn {
    pub fn connect(ep: &Endpoint, timeout: Duration) -> io::Result<Conn> {
        let stream = match ep {
            Endpoint::Tcp(addr) => {
                let s = TcpStream::connect_timeout(addr, timeout)?;
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
            Endpoint::Unix(path) => Stream::Unix(UnixStream::connect(path)?),
            Endpoint::Quic(q) => Stream::Quic(q.client.open_session()?),
            Endpoint::Tls(t) => {
                let s = TcpStream::connect_timeout(&t.addr, timeout)?;
                s.set_nodelay(true)?;
                let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
                let conn =
                    ClientConnection::new(t.config.clone(), name).map_err(io::Error::other)?;
                Stream::Tls(Box::new(StreamOwned::new(conn, s)))
            }
        };
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Writes `bytes` in one `write_all`.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.stream {
            Stream::Tcp(s) => s.write_all(bytes),
            Stream::Unix(s) => s.write_all(bytes),
            Stream::Quic(s) => s.write_all(bytes),
            Stream::Tls(s) => s.write_all(bytes),
        }
    }

    /// Sends one command as a RESP multibulk.
    pub fn send_command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        self.send_raw(&encode_command(args))
    }

    /// Sends a command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(
        &mut self,
        args: &[A],
        timeout: Duration,
    ) -> Result<Value, ReadError> {
        self.send_command(args).map_err(ReadError::Io)?;
        self.read_reply(timeout)
    }

    /// Bytes received but not consumed yet.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    fn fill(&mut self, deadline: Instant) -> io::Result<Filled> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Filled::Timeout);
        }
        let mut chunk = [0u8; 16 * 1024];
        let r = match &mut self.stream {
            Stream::Tcp(s) => s
                .set_read_timeout(Some(left))
                .and_then(|_| s.read(&mut chunk)),
            Stream::Unix(s) => s
                .set_read_timeout(Some(left))
                .and_then(|_| s.read(&mut chunk)),
            Stream::Quic(s) => s
                .set_read_timeout(Some(left))
                .and_then(|_| s.read(&mut chunk)),
            Stream::Tls(s) => s
                .sock
                .set_read_timeout(Some(left))
                .and_then(|_| s.read(&mut chunk)),
        };
        match r {
            Ok(0) => Ok(Filled::Eof),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(Filled::Data)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(Filled::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(Filled::Data),
            Err(e) if is_reset(&e) => Ok(Filled::Eof),
            Err(e) => Err(e),
        }
    }

    /// Reads one reply (out-of-band pushes included: they are replies like any other).
    pub fn read_reply(&mut self, timeout: Duration) -> Result<Value, ReadError> {
        let deadline = Instant::now() + timeout;
        loop {
            match parse(&self.buf) {
                Ok(Some((v, n))) => {
                    self.buf.drain(..n);
                    return Ok(v);
                }
                Ok(None) => {}
                Err(e) => return Err(ReadError::Protocol(e, std::mem::take(&mut self.buf))),
            }
            match self.fill(deadline).map_err(ReadError::Io)? {
                Filled::Data => {}
                Filled::Eof => return Err(ReadError::Closed(std::mem::take(&mut self.buf))),
                Filled::Timeout => return Err(ReadError::Timeout(std::mem::take(&mut self.buf))),
            }
        }
    }

    /// Reads exactly `n` bytes.
    pub fn read_exact_bytes(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, ReadError> {
        let deadline = Instant::now() + timeout;
        while self.buf.len() < n {
            match self.fill(deadline).map_err(ReadError::Io)? {
                Filled::Data => {}
                Filled::Eof => return Err(ReadError::Closed(std::mem::take(&mut self.buf))),
                Filled::Timeout => return Err(ReadError::Timeout(std::mem::take(&mut self.buf))),
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Waits for the server to close the connection. `Ok(())` when it did with nothing
    /// left unread; otherwise what happened instead.
    pub fn expect_closed(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.buf.is_empty() {
                let extra = std::mem::take(&mut self.buf);
                return Err(format!(
                    "received {} instead of a close",
                    crate::case::quote::escape(&extra, 300)
                ));
            }
            match self.fill(deadline) {
                Ok(Filled::Eof) => return Ok(()),
                Ok(Filled::Data) => {}
                Ok(Filled::Timeout) => return Err("connection still open".into()),
                Err(e) => return Err(format!("I/O error: {e}")),
            }
        }
    }

    /// `Ok(())` when nothing arrives for `wait` (the connection staying open).
    pub fn expect_silence(&mut self, wait: Duration) -> Result<(), String> {
        let deadline = Instant::now() + wait;
        loop {
            if !self.buf.is_empty() {
                let extra = std::mem::take(&mut self.buf);
                return Err(format!(
                    "received {}",
                    crate::case::quote::escape(&extra, 300)
                ));
            }
            match self.fill(deadline) {
                Ok(Filled::Timeout) => return Ok(()),
                Ok(Filled::Data) => {}
                Ok(Filled::Eof) => return Err("connection closed".into()),
                Err(e) => return Err(format!("I/O error: {e}")),
            }
        }
    }

    /// Half-closes and waits (up to `timeout`) for the server to drop its side, so the
    /// server has freed this client before the next case looks at CLIENT LIST.
    pub fn close(mut self, timeout: Duration) {
        let _ = match &mut self.stream {
            Stream::Tcp(s) => s.shutdown(Shutdown::Write),
            Stream::Unix(s) => s.shutdown(Shutdown::Write),
            Stream::Quic(s) => s.shutdown_write(),
            Stream::Tls(s) => {
                s.conn.send_close_notify();
                s.flush().and_then(|_| s.sock.shutdown(Shutdown::Write))
            }
        };
        let deadline = Instant::now() + timeout;
        loop {
            self.buf.clear();
            match self.fill(deadline) {
                Ok(Filled::Data) => {}
                _ => return,
            }
        }
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            // A TLS session the server ended without close_notify.
            | io::ErrorKind::UnexpectedEof
    )
}

/// The RESP multibulk encoding of a command.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}
