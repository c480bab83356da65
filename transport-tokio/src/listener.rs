//! TCP and Unix-socket listeners: accept, enforce maxclients, spawn a connection task.

use std::net::SocketAddr;
use std::sync::Arc;

use lode_core::{ClientInfo, Server};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UnixListener};

use crate::connection::drive;

/// What to listen on.
#[derive(Clone, Debug, Default)]
pub struct ListenConfig {
    /// TCP addresses to bind (empty with port 0 = no TCP).
    pub tcp: Vec<SocketAddr>,
    /// Unix socket path, if any.
    pub unix: Option<String>,
    /// Permissions of the Unix socket file (0 = leave as created).
    pub unix_perm: u32,
    /// Listen backlog.
    pub backlog: u32,
    /// TCP keepalive interval in seconds (0 = off).
    pub keepalive_secs: u64,
}

/// Bound listeners, ready to serve.
pub struct Listeners {
    tcp: Vec<TcpListener>,
    unix: Option<UnixListener>,
}

impl Listeners {
    /// Binds every configured address.
    pub fn bind(cfg: &ListenConfig) -> std::io::Result<Listeners> {
        let mut tcp = Vec::new();
        for addr in &cfg.tcp {
            let sock = match addr {
                SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
            };
            sock.set_reuseaddr(true)?;
            sock.bind(*addr)?;
            tcp.push(sock.listen(cfg.backlog.max(1))?);
        }
        let unix = match &cfg.unix {
            Some(path) => {
                let _ = std::fs::remove_file(path);
                let l = UnixListener::bind(path)?;
                if cfg.unix_perm != 0 {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(cfg.unix_perm))?;
                }
                Some(l)
            }
            None => None,
        };
        Ok(Listeners { tcp, unix })
    }

    /// The local addresses of the TCP listeners.
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.tcp
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }
}

/// Accepts connections on every listener until the future is dropped.
pub async fn serve(server: Arc<Server>, listeners: Listeners, keepalive_secs: u64) {
    let mut tasks = tokio::task::JoinSet::new();
    for l in listeners.tcp {
        let server = server.clone();
        tasks.spawn(async move {
            loop {
                let Ok((stream, peer)) = l.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                if keepalive_secs > 0 {
                    let sock = socket2::SockRef::from(&stream);
                    let ka = socket2::TcpKeepalive::new()
                        .with_time(std::time::Duration::from_secs(keepalive_secs));
                    let _ = sock.set_tcp_keepalive(&ka);
                }
                let local = stream.local_addr().unwrap_or(peer);
                spawn_client(&server, stream, ClientInfo::Tcp { peer, local });
            }
        });
    }
    if let Some(l) = listeners.unix {
        let server = server.clone();
        let path = l
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
            .unwrap_or_default();
        tasks.spawn(async move {
            loop {
                let Ok((stream, _)) = l.accept().await else {
                    continue;
                };
                spawn_client(&server, stream, ClientInfo::Unix { path: path.clone() });
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

fn spawn_client<S>(server: &Arc<Server>, mut stream: S, info: ClientInfo)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let server = server.clone();
    let maxclients = server.config.read().maxclients;
    if server.clients.len() >= maxclients {
        server
            .stats
            .rejected_connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::spawn(async move {
            let _ = stream
                .write_all(b"-ERR max number of clients reached\r\n")
                .await;
        });
        return;
    }
    tokio::spawn(drive(server, stream, info));
}
