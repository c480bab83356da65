//! The QUIC server: endpoints on their own Tokio runtime, one task per connection accepting
//! bidirectional streams, one lode-tokio-driver task per stream (= per client session).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lode_core::util::os_error::strerror;
use lode_core::{ClientInfo, Server};
use lode_tokio_driver::{Driver, End, PeerEof};
use quinn::crypto::rustls::QuicServerConfig;
use quinn::{Endpoint, EndpointConfig, RecvStream, SendStream, VarInt};

use crate::worker::Worker;
use crate::{config, tls, QuicError, ServerOptions};

/// Application error code for a stream abandoned by the server (stop_sending / reset).
const STREAM_ABANDONED: VarInt = VarInt::from_u32(0);

/// Application error code when the server shuts down.
const SHUTDOWN: VarInt = VarInt::from_u32(0);

/// How long `shutdown` lets close frames reach clients.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// A running QUIC transport: its runtime serves clients until `shutdown`.
pub struct Running {
    worker: Worker,
    endpoints: Vec<Endpoint>,
    server: Arc<Server>,
}

impl Running {
    /// The UDP addresses actually bound (port 0 resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.endpoints
            .iter()
            .filter_map(|e| e.local_addr().ok())
            .collect()
    }

    /// Runs the server cron (`server.tick`, `hz` times a second) on this transport's runtime:
    /// for a process where QUIC is the only transport. The binary's main transport normally
    /// runs it, and two crons would tick twice as fast.
    pub fn spawn_cron(&self) {
        self.worker.handle().spawn(cron(self.server.clone()));
    }

    /// Closes every connection (clients see the connection closed), stops the runtime and
    /// drops every session.
    pub fn shutdown(mut self) {
        for e in &self.endpoints {
            e.close(SHUTDOWN, b"server shutting down");
        }
        let endpoints = std::mem::take(&mut self.endpoints);
        self.worker.stop(SHUTDOWN_GRACE, async move {
            for e in &endpoints {
                e.wait_idle().await;
            }
        });
    }
}

/// Binds UDP on every address in `opts` (synchronously, so a bind failure is reported before
/// serving) and serves `server` there on a runtime of its own; returns at once.
pub fn start(server: Arc<Server>, opts: &ServerOptions) -> Result<Running, QuicError> {
    if opts.addrs.is_empty() {
        return Err(QuicError::new("QUIC needs at least one address to bind"));
    }
    let tls = tls::server_config(
        &opts.cert_file,
        &opts.key_file,
        opts.ca_cert_file.as_deref(),
        opts.auth_clients,
    )?;
    let crypto = QuicServerConfig::try_from(tls)
        .map_err(|e| QuicError::new(format!("QUIC TLS setup: {e}")))?;
    let mut server_config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server_config.transport_config(Arc::new(config::transport(
        opts.idle_timeout_ms,
        opts.keepalive_ms,
        opts.max_streams.max(1),
    )?));
    let worker = Worker::start("lode-quic", opts.threads.max(1))
        .map_err(|e| QuicError::new(format!("QUIC runtime: {}", strerror(&e))))?;
    let mut endpoints = Vec::with_capacity(opts.addrs.len());
    {
        let _guard = worker.handle().enter();
        for addr in &opts.addrs {
            let socket = std::net::UdpSocket::bind(addr).map_err(|e| {
                QuicError::new(format!(
                    "Could not create server UDP listening socket {addr}: {}",
                    strerror(&e)
                ))
            })?;
            let endpoint = Endpoint::new(
                EndpointConfig::default(),
                Some(server_config.clone()),
                socket,
                Arc::new(quinn::TokioRuntime),
            )
            .map_err(|e| QuicError::new(format!("QUIC endpoint {addr}: {}", strerror(&e))))?;
            endpoints.push(endpoint);
        }
    }
    let live = Arc::new(AtomicUsize::new(0));
    let max = opts.max_connections.max(1) as usize;
    for e in &endpoints {
        worker
            .handle()
            .spawn(accept_loop(server.clone(), e.clone(), live.clone(), max));
    }
    Ok(Running {
        worker,
        endpoints,
        server,
    })
}

/// Decrements the live-connection count when a connection task ends, however it ends.
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn accept_loop(server: Arc<Server>, endpoint: Endpoint, live: Arc<AtomicUsize>, max: usize) {
    let bound = endpoint.local_addr().ok();
    while let Some(incoming) = endpoint.accept().await {
        if live.fetch_add(1, Ordering::AcqRel) >= max {
            live.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(
                "Refusing QUIC connection from {}: quic-max-connections reached",
                incoming.remote_address()
            );
            incoming.refuse();
            continue;
        }
        let guard = Live(live.clone());
        let server = server.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let conn = match incoming.await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!("QUIC handshake failed: {e}");
                    return;
                }
            };
            serve_connection(server, conn, bound).await;
        });
    }
}

/// Accepts the connection's streams until it closes; each stream is a client session.
async fn serve_connection(server: Arc<Server>, conn: quinn::Connection, bound: Option<SocketAddr>) {
    let peer = conn.remote_address();
    let local = match (conn.local_ip(), bound) {
        (Some(ip), Some(b)) => SocketAddr::new(ip, b.port()),
        (None, Some(b)) => b,
        _ => peer,
    };
    loop {
        match conn.accept_bi().await {
            Ok((send, recv)) => {
                tokio::spawn(serve_stream(server.clone(), send, recv, peer, local));
            }
            Err(e) => {
                tracing::debug!("QUIC connection from {peer} ended: {e}");
                return;
            }
        }
    }
}

/// One client session on one stream.
async fn serve_stream(
    server: Arc<Server>,
    mut send: SendStream,
    mut recv: RecvStream,
    peer: SocketAddr,
    local: SocketAddr,
) {
    if let Err(line) = server.admit(Some(peer)) {
        let _ = send.write_all(line).await;
        let _ = send.finish();
        let _ = recv.stop(STREAM_ABANDONED);
        return;
    }
    // A stream's FIN only ends the client's side: it still gets the replies to what it sent.
    let stream = tokio::io::join(recv, send);
    let info = ClientInfo::Tcp { peer, local };
    let mut driver = Driver::new(server, stream, info, PeerEof::Drain);
    let end = (&mut driver).await;
    let (mut recv, mut send) = driver.into_stream().into_inner();
    match end {
        End::Finished => {
            let _ = send.finish();
        }
        End::Gone => {
            let _ = send.reset(STREAM_ABANDONED);
        }
    }
    let _ = recv.stop(STREAM_ABANDONED);
}

/// Runs the server cron (`lode_core::cron`) on this runtime.
async fn cron(server: Arc<Server>) {
    let mut cron = lode_core::cron::Cron::new(server, crate::now());
    loop {
        let wait = cron.poll(crate::now());
        tokio::time::sleep(wait).await;
    }
}
