//! A QUIC client for lode: one connection, any number of sessions (one bidirectional stream
//! each). Async over quinn; [`blocking`] wraps it for synchronous callers.

pub mod blocking;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::BytesMut;
use lode_core::resp::value::{parse, Value};
use quinn::crypto::rustls::QuicClientConfig;
use quinn::{Endpoint, RecvStream, SendStream};

use crate::{config, tls};

/// How a client reaches a server.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// CA certificates the server's certificate must chain to (PEM); default: the system bundle.
    pub ca_cert_file: Option<PathBuf>,
    /// Client certificate chain (PEM), for servers with `tls-auth-clients yes`.
    pub cert_file: Option<PathBuf>,
    /// Client private key (PEM).
    pub key_file: Option<PathBuf>,
    /// Name checked against the server's certificate; default: the remote IP address.
    pub server_name: Option<String>,
    /// Connection idle timeout in milliseconds; 0 = none.
    pub idle_timeout_ms: u64,
    /// Keep-alive interval in milliseconds; 0 = off.
    pub keepalive_ms: u64,
}

/// Streams a client may accept from the server: none (sessions are opened by the client).
const CLIENT_ACCEPTED_STREAMS: u32 = 0;

/// Read chunk for replies.
const READ_CHUNK: usize = 64 * 1024;

/// A client endpoint configured from `opts`, bound to an ephemeral port of `remote`'s family.
pub(crate) fn endpoint(remote: SocketAddr, opts: &ClientOptions) -> io::Result<Endpoint> {
    let tls = tls::client_config(
        opts.ca_cert_file.as_deref(),
        opts.cert_file.as_deref(),
        opts.key_file.as_deref(),
    )?;
    let crypto = QuicClientConfig::try_from(tls)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut cfg = quinn::ClientConfig::new(Arc::new(crypto));
    cfg.transport_config(Arc::new(config::transport(
        opts.idle_timeout_ms,
        opts.keepalive_ms,
        CLIENT_ACCEPTED_STREAMS,
    )?));
    let bind: SocketAddr = if remote.is_ipv6() {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let mut endpoint = Endpoint::client(bind)?;
    endpoint.set_default_client_config(cfg);
    Ok(endpoint)
}

/// Connects `endpoint` to `remote`, checking the certificate against `server_name`.
pub(crate) async fn connect_on(
    endpoint: &Endpoint,
    remote: SocketAddr,
    server_name: Option<&str>,
) -> io::Result<quinn::Connection> {
    let name = server_name
        .map(str::to_string)
        .unwrap_or_else(|| remote.ip().to_string());
    let connecting = endpoint
        .connect(remote, &name)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    connecting.await.map_err(connection_error)
}

/// A QUIC connection error as an io error of the closest kind.
pub(crate) fn connection_error(e: quinn::ConnectionError) -> io::Error {
    let kind = match e {
        quinn::ConnectionError::TimedOut => io::ErrorKind::TimedOut,
        quinn::ConnectionError::LocallyClosed => io::ErrorKind::NotConnected,
        quinn::ConnectionError::ConnectionClosed(_)
        | quinn::ConnectionError::ApplicationClosed(_)
        | quinn::ConnectionError::Reset => io::ErrorKind::ConnectionReset,
        _ => io::ErrorKind::ConnectionRefused,
    };
    io::Error::new(kind, e)
}

/// One QUIC connection to a lode server.
pub struct Client {
    endpoint: Endpoint,
    conn: quinn::Connection,
}

impl Client {
    /// Connects to the server at `addr`.
    pub async fn connect(addr: SocketAddr, opts: &ClientOptions) -> io::Result<Client> {
        let endpoint = endpoint(addr, opts)?;
        let conn = connect_on(&endpoint, addr, opts.server_name.as_deref()).await?;
        Ok(Client { endpoint, conn })
    }

    /// Opens a new session (its own stream, its own server-side client).
    pub async fn open_session(&self) -> io::Result<SessionStream> {
        let (send, recv) = self.conn.open_bi().await.map_err(connection_error)?;
        Ok(SessionStream::new(send, recv))
    }

    /// The underlying quinn connection.
    pub fn connection(&self) -> &quinn::Connection {
        &self.conn
    }

    /// Closes the connection (every session on it) and waits briefly for the close to be sent.
    pub async fn close(self) {
        self.conn
            .close(quinn::VarInt::from_u32(0), b"client closed");
        self.endpoint.wait_idle().await;
    }
}

/// One session: a bidirectional stream carrying RESP.
pub struct SessionStream {
    send: SendStream,
    recv: RecvStream,
    rbuf: BytesMut,
}

impl SessionStream {
    fn new(send: SendStream, recv: RecvStream) -> Self {
        SessionStream {
            send,
            recv,
            rbuf: BytesMut::new(),
        }
    }

    /// Sends raw bytes (RESP or inline commands).
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.send.write_all(bytes).await.map_err(io::Error::from)
    }

    /// Sends one command as a RESP array of bulk strings.
    pub async fn send_command(&mut self, args: &[&[u8]]) -> io::Result<()> {
        self.send(&encode_command(args)).await
    }

    /// Reads the next reply; at the server's EOF, an `UnexpectedEof` error.
    pub async fn read_reply(&mut self) -> io::Result<Value> {
        match self.read_reply_or_eof().await? {
            Some(v) => Ok(v),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the session",
            )),
        }
    }

    /// Reads the next reply, or `None` when the server finished the stream cleanly between
    /// replies.
    pub async fn read_reply_or_eof(&mut self) -> io::Result<Option<Value>> {
        loop {
            match parse(&self.rbuf) {
                Ok(Some((value, n))) => {
                    let _ = self.rbuf.split_to(n);
                    return Ok(Some(value));
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            let start = self.rbuf.len();
            self.rbuf.resize(start + READ_CHUNK, 0);
            let got = self.recv.read(&mut self.rbuf[start..]).await;
            let n = match got {
                Ok(Some(n)) => n,
                Ok(None) => 0,
                Err(e) => {
                    self.rbuf.truncate(start);
                    return Err(io::Error::from(e));
                }
            };
            self.rbuf.truncate(start + n);
            if n == 0 {
                if self.rbuf.is_empty() {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the session mid-reply",
                ));
            }
        }
    }

    /// Finishes the send side (the server sees EOF, flushes its replies and ends the session).
    pub fn finish(&mut self) -> io::Result<()> {
        self.send
            .finish()
            .map_err(|e| io::Error::new(io::ErrorKind::NotConnected, e))
    }

    /// The two halves of the stream, for callers that drive them directly.
    pub fn into_parts(self) -> (SendStream, RecvStream) {
        (self.send, self.recv)
    }
}

/// `args` as a RESP array of bulk strings.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}
