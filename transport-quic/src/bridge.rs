//! The TCP-to-QUIC bridge: stock Redis clients connect over plain TCP or a Unix socket, and
//! each gets its own bidirectional stream on one shared QUIC connection to a lode server.
//!
//! The bridge does not parse RESP: it copies bytes both ways with large buffers. Client EOF
//! finishes the stream (the server flushes its replies and finishes too); the stream's end
//! (finish or reset) closes the client socket.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lode_core::util::os_error::strerror;
use quinn::{Endpoint, RecvStream, SendStream, VarInt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use tokio::sync::Mutex;

use crate::client::{self, ClientOptions};
use crate::worker::Worker;

/// Copy buffer per direction per client.
const COPY_BUF: usize = 64 * 1024;

/// Application error code for streams the bridge abandons.
const ABANDONED: VarInt = VarInt::from_u32(0);

/// Pause after a failed accept (EMFILE keeps the listener readable).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// Where the bridge listens for plain Redis clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Local {
    /// A TCP address (port 0 = any free port; see [`Bridge::local_addr`]).
    Tcp(SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

/// A running bridge; it serves until `shutdown` (or drop).
pub struct Bridge {
    worker: Worker,
    local: Local,
    endpoint: Endpoint,
}

impl Bridge {
    /// Where clients connect (a TCP port 0 resolved to the bound port).
    pub fn local_addr(&self) -> Local {
        self.local.clone()
    }

    /// Stops accepting, closes the QUIC connection and every client socket.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.endpoint.close(ABANDONED, b"bridge shutting down");
        let endpoint = self.endpoint.clone();
        self.worker.stop(Duration::from_millis(200), async move {
            endpoint.wait_idle().await
        });
        if let Local::Unix(path) = &self.local {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a bridge from `local` to the QUIC server at `remote`; binds `local` before returning.
/// The QUIC connection is made at once in the background and remade when it is lost.
pub fn start(local: Local, remote: SocketAddr, opts: ClientOptions) -> io::Result<Bridge> {
    // One thread: clients' bytes go out in the order they arrived, so commands sent on two
    // connections one after the other reach the server in that order, as over plain TCP.
    let worker = Worker::start("lode-quic-bridge", 1)?;
    let _guard = worker.handle().enter();
    let endpoint = client::endpoint(remote, &opts)?;
    let upstream = std::sync::Arc::new(Upstream {
        endpoint: endpoint.clone(),
        remote,
        server_name: opts.server_name.clone(),
        conn: Mutex::new(None),
    });
    let bound = match &local {
        Local::Tcp(addr) => {
            let l = std::net::TcpListener::bind(addr)?;
            l.set_nonblocking(true)?;
            let bound = Local::Tcp(l.local_addr()?);
            let l = tokio::net::TcpListener::from_std(l)?;
            worker.handle().spawn(accept_tcp(l, upstream.clone()));
            bound
        }
        Local::Unix(path) => {
            let l = std::os::unix::net::UnixListener::bind(path)?;
            l.set_nonblocking(true)?;
            let l = tokio::net::UnixListener::from_std(l)?;
            worker.handle().spawn(accept_unix(l, upstream.clone()));
            local.clone()
        }
    };
    // Connect ahead of the first client; a failure is logged and retried per client.
    let warm = upstream.clone();
    worker.handle().spawn(async move {
        if let Err(e) = warm.connection().await {
            tracing::warn!("QUIC bridge: connecting to {}: {e}", warm.remote);
        }
    });
    drop(_guard);
    Ok(Bridge {
        worker,
        local: bound,
        endpoint,
    })
}

/// The shared QUIC connection, (re)made on demand.
struct Upstream {
    endpoint: Endpoint,
    remote: SocketAddr,
    server_name: Option<String>,
    conn: Mutex<Option<quinn::Connection>>,
}

impl Upstream {
    /// The live connection, connecting first if there is none or it was lost.
    async fn connection(&self) -> io::Result<quinn::Connection> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            if c.close_reason().is_none() {
                return Ok(c.clone());
            }
        }
        let c =
            client::connect_on(&self.endpoint, self.remote, self.server_name.as_deref()).await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// A new stream; one retry on a fresh connection if the current one just died.
    async fn open(&self) -> io::Result<(SendStream, RecvStream)> {
        let conn = self.connection().await?;
        match conn.open_bi().await {
            Ok(s) => Ok(s),
            Err(_) => {
                let conn = self.connection().await?;
                conn.open_bi().await.map_err(client::connection_error)
            }
        }
    }
}

async fn accept_tcp(l: tokio::net::TcpListener, up: std::sync::Arc<Upstream>) {
    loop {
        match l.accept().await {
            Ok((sock, _)) => {
                let _ = sock.set_nodelay(true);
                tokio::spawn(serve_client(sock, up.clone()));
            }
            Err(e) => accept_failed(&e).await,
        }
    }
}

async fn accept_unix(l: tokio::net::UnixListener, up: std::sync::Arc<Upstream>) {
    loop {
        match l.accept().await {
            Ok((sock, _)) => {
                tokio::spawn(serve_client(sock, up.clone()));
            }
            Err(e) => accept_failed(&e).await,
        }
    }
}

async fn accept_failed(e: &io::Error) {
    tracing::warn!("QUIC bridge: accepting client connection: {}", strerror(e));
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// Copies one client's bytes to its stream and back until either side ends.
async fn serve_client<S>(sock: S, up: std::sync::Arc<Upstream>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (send, recv) = match up.open().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("QUIC bridge: no stream to {}: {e}", up.remote);
            return; // dropping the socket closes the client
        }
    };
    let (client_rd, client_wr) = tokio::io::split(sock);
    let upward = tokio::spawn(upward(client_rd, send));
    downward(recv, client_wr).await;
    // The stream ended: the client's socket closes once the upward half is dropped too.
    upward.abort();
    let _ = upward.await;
}

/// Client → stream. EOF finishes the stream; a client error resets it.
async fn upward<R: AsyncRead + Unpin>(mut client: R, mut send: SendStream) {
    let mut buf = vec![0u8; COPY_BUF];
    loop {
        match client.read(&mut buf).await {
            Ok(0) => {
                let _ = send.finish();
                return;
            }
            Ok(n) => {
                if send.write_all(&buf[..n]).await.is_err() {
                    // The server stopped the stream: `downward` sees its end and closes.
                    return;
                }
            }
            Err(_) => {
                let _ = send.reset(ABANDONED);
                return;
            }
        }
    }
}

/// Stream → client, until the stream ends or the client stops taking bytes.
async fn downward<W: AsyncWrite + Unpin>(mut recv: RecvStream, mut client: W) {
    let mut buf = vec![0u8; COPY_BUF];
    loop {
        match recv.read(&mut buf).await {
            Ok(Some(n)) => {
                if client.write_all(&buf[..n]).await.is_err() {
                    let _ = recv.stop(ABANDONED);
                    return;
                }
            }
            Ok(None) => {
                let _ = client.shutdown().await;
                return;
            }
            Err(_) => return,
        }
    }
}
