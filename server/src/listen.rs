//! Binding the listening sockets the way redis-server does: every `bind` address on `port`
//! and on `tls-port` (a leading `-` marks an address that may be missing), plus an optional
//! Unix socket.
//!
//! Binding is synchronous and happens before any runtime starts, so the binary can report a
//! failure (port in use, bad address) and exit like redis-server before serving anything.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;

use lode_core::util::os_error::strerror;
use lode_tls::Acceptor;
use socket2::{Domain, SockAddr, Socket, Type};

/// What to listen on, in redis.conf terms.
#[derive(Clone, Debug, Default)]
pub struct ListenConfig {
    /// `bind` addresses ("127.0.0.1", "-::1", "*", "::*", host names).
    pub bind: Vec<String>,
    /// `port`; 0 = no TCP listener.
    pub port: u16,
    /// `tls-port`; 0 = no TLS listener.
    pub tls_port: u16,
    /// `unixsocket` path; empty = none.
    pub unixsocket: String,
    /// `unixsocketperm` (0 = leave the mode the umask gave).
    pub unixsocketperm: u32,
    /// `tcp-backlog`.
    pub backlog: u32,
}

/// Listening sockets, bound and listening, not yet attached to a runtime.
#[derive(Debug, Default)]
pub struct Listeners {
    /// The TCP listeners.
    pub tcp: Vec<std::net::TcpListener>,
    /// The Unix-socket listener and its path.
    pub unix: Option<(std::os::unix::net::UnixListener, String)>,
}

/// Why binding failed: the line redis-server logs just before exiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindError {
    /// A TCP address could not be bound ("Failed listening on port N (TCP), aborting.").
    Tcp { port: u16 },
    /// A TLS address could not be bound ("Failed listening on port N (TLS), aborting.").
    Tls { port: u16 },
    /// The Unix socket could not be created; the text follows "Failed opening Unix socket: ".
    Unix(String),
    /// No TCP listener and no Unix socket.
    Nowhere,
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindError::Tcp { port } => {
                write!(f, "Failed listening on port {port} (TCP), aborting.")
            }
            BindError::Tls { port } => {
                write!(f, "Failed listening on port {port} (TLS), aborting.")
            }
            BindError::Unix(e) => write!(f, "Failed opening Unix socket: {e}"),
            BindError::Nowhere => write!(f, "Configured to not listen anywhere, exiting."),
        }
    }
}

impl std::error::Error for BindError {}

/// Errors that mean "this address family isn't available here": Redis skips such addresses.
fn family_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ENOPROTOOPT
                | libc::EPROTONOSUPPORT
                | libc::ESOCKTNOSUPPORT
                | libc::EPFNOSUPPORT
                | libc::EAFNOSUPPORT
        )
    )
}

/// Resolves one bind address for the family its spelling implies (a ':' means IPv6).
pub fn resolve(addr: &str, port: u16) -> Result<SocketAddr, (Option<io::Error>, String)> {
    let v6 = addr.contains(':');
    if addr == "*" {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
    }
    if addr == "::*" {
        return Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
    }
    if let Ok(ip) = addr.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    match (addr, port).to_socket_addrs() {
        Ok(mut found) => found.find(|a| a.is_ipv6() == v6).ok_or((
            None,
            "Address family for hostname not supported".to_string(),
        )),
        Err(e) => {
            let text = e.to_string();
            let text = text
                .strip_prefix("failed to lookup address information: ")
                .unwrap_or(&text)
                .to_string();
            Err((None, text))
        }
    }
}

fn tcp_listener(
    sa: SocketAddr,
    backlog: u32,
) -> Result<std::net::TcpListener, (io::Error, String)> {
    let domain = if sa.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let sock = Socket::new(domain, Type::STREAM, None).map_err(|e| {
        let t = format!("socket: {}", strerror(&e));
        (e, t)
    })?;
    if sa.is_ipv6() {
        // Like Redis: IPv4 and IPv6 are separate listeners, so a v6 socket takes v6 only.
        sock.set_only_v6(true).map_err(|e| {
            let t = format!("setsockopt: {}", strerror(&e));
            (e, t)
        })?;
    }
    sock.set_reuse_address(true).map_err(|e| {
        let t = format!("setsockopt SO_REUSEADDR: {}", strerror(&e));
        (e, t)
    })?;
    sock.bind(&sa.into()).map_err(|e| {
        let t = format!("bind: {}", strerror(&e));
        (e, t)
    })?;
    sock.listen(backlog_arg(backlog)).map_err(|e| {
        let t = format!("listen: {}", strerror(&e));
        (e, t)
    })?;
    sock.set_nonblocking(true).map_err(|e| {
        let t = format!("fcntl: {}", strerror(&e));
        (e, t)
    })?;
    Ok(sock.into())
}

fn backlog_arg(backlog: u32) -> i32 {
    i32::try_from(backlog).unwrap_or(i32::MAX).max(1)
}

fn unix_listener(
    path: &str,
    perm: u32,
    backlog: u32,
) -> Result<std::os::unix::net::UnixListener, String> {
    // sun_path holds 108 bytes including the terminating NUL.
    const SUN_PATH: usize = 108;
    if path.len() > SUN_PATH - 1 {
        return Err(format!(
            "unix socket path too long ({}), must be under {SUN_PATH}",
            path.len()
        ));
    }
    // A stale socket file from an earlier run would make bind fail.
    let _ = std::fs::remove_file(path);
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None)
        .map_err(|e| format!("socket: {}", strerror(&e)))?;
    let addr = SockAddr::unix(path).map_err(|e| format!("bind: {}", strerror(&e)))?;
    sock.bind(&addr)
        .map_err(|e| format!("bind: {}", strerror(&e)))?;
    if perm != 0 {
        // Best effort, as Redis does: a chmod failure does not stop the server.
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm));
    }
    sock.listen(backlog_arg(backlog))
        .map_err(|e| format!("listen: {}", strerror(&e)))?;
    sock.set_nonblocking(true)
        .map_err(|e| format!("fcntl: {}", strerror(&e)))?;
    Ok(sock.into())
}

/// Binds the TCP listeners of `cfg` (none with port 0), logging each failure as
/// redis-server does; an address marked optional with '-' may be missing.
pub fn bind_tcp(cfg: &ListenConfig) -> Result<Vec<std::net::TcpListener>, BindError> {
    bind_port(cfg, cfg.port).map_err(|port| BindError::Tcp { port })
}

/// Binds the TLS listeners of `cfg` (none with tls-port 0), as [`bind_tcp`] binds `port`.
pub fn bind_tls(cfg: &ListenConfig) -> Result<Vec<std::net::TcpListener>, BindError> {
    bind_port(cfg, cfg.tls_port).map_err(|port| BindError::Tls { port })
}

/// Every `bind` address on `port`; `Err(port)` when one that must be bound cannot be.
fn bind_port(cfg: &ListenConfig, port: u16) -> Result<Vec<std::net::TcpListener>, u16> {
    let mut out = Vec::new();
    if port == 0 {
        return Ok(out);
    }
    // `bind "a b"` arrives as one argument from some callers: split it like Redis does.
    for spec in cfg.bind.iter().flat_map(|b| b.split_whitespace()) {
        let optional = spec.starts_with('-');
        let addr = spec.strip_prefix('-').unwrap_or(spec);
        let bound = resolve(addr, port)
            .and_then(|sa| tcp_listener(sa, cfg.backlog).map_err(|(e, t)| (Some(e), t)));
        match bound {
            Ok(l) => out.push(l),
            Err((err, text)) => {
                tracing::warn!(
                    "Warning: Could not create server TCP listening socket {addr}:{port}: {text}"
                );
                let skip = err.as_ref().is_some_and(|e| {
                    (optional && e.raw_os_error() == Some(libc::EADDRNOTAVAIL))
                        || family_unsupported(e)
                });
                if !skip {
                    return Err(port);
                }
            }
        }
    }
    Ok(out)
}

impl Listeners {
    /// Binds every configured address but the TLS ones ([`bind_tls`]), logging each failure
    /// as redis-server does.
    pub fn bind(cfg: &ListenConfig) -> Result<Listeners, BindError> {
        let mut out = Listeners {
            tcp: bind_tcp(cfg)?,
            unix: None,
        };
        if !cfg.unixsocket.is_empty() {
            let l = unix_listener(&cfg.unixsocket, cfg.unixsocketperm, cfg.backlog)
                .map_err(BindError::Unix)?;
            out.unix = Some((l, cfg.unixsocket.clone()));
        }
        if out.tcp.is_empty() && out.unix.is_none() && cfg.tls_port == 0 {
            return Err(BindError::Nowhere);
        }
        Ok(out)
    }

    /// The local addresses of the TCP listeners.
    #[cfg(test)]
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.tcp
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// The Unix socket path, if one is bound.
    pub fn unix_path(&self) -> Option<&str> {
        self.unix.as_ref().map(|(_, p)| p.as_str())
    }
}

/// What a running transport offers for CONFIG SET port / tls-port / bind: its TCP and TLS
/// listeners can be closed and new ones handed over.
pub trait TcpControl: Send + Sync {
    /// Stops accepting on every plain TCP listener and closes them, freeing their addresses.
    fn close_tcp(&self);
    /// Starts accepting on `listeners`.
    fn serve_tcp(&self, listeners: Vec<std::net::TcpListener>);
    /// Stops accepting on every TLS listener and closes them, freeing their addresses.
    fn close_tls(&self);
    /// Starts accepting TLS clients on `listeners`, with sessions from `tls`.
    fn serve_tls(&self, listeners: Vec<std::net::TcpListener>, tls: Acceptor);
    /// A script keeps a worker thread busy: serve new connections on a thread of their own.
    fn rescue(&self) {}
}

/// Replaces the TCP listeners of `old` with those of `new`. When the port changes, the new
/// ones are bound while the old still serve, so a port in use fails the change and leaves
/// the server listening where it was. When it does not (only `bind` changed), the old
/// listeners close first, as Redis does, so the same port can be bound again; if the new
/// ones can't all be bound, the old configuration is bound again and the error returned.
pub fn rebind_tcp(
    control: &dyn TcpControl,
    old: &ListenConfig,
    new: &ListenConfig,
) -> Result<(), BindError> {
    swap(
        old.port == new.port,
        &|| control.close_tcp(),
        &|c: &ListenConfig| bind_tcp(c),
        &|l| control.serve_tcp(l),
        old,
        new,
    )
}

/// Replaces the TLS listeners of `old` with those of `new` (serving `tls`), as
/// [`rebind_tcp`] does for the plain ones.
pub fn rebind_tls(
    control: &dyn TcpControl,
    old: &ListenConfig,
    new: &ListenConfig,
    tls: &Acceptor,
) -> Result<(), BindError> {
    swap(
        old.tls_port == new.tls_port,
        &|| control.close_tls(),
        &|c: &ListenConfig| bind_tls(c),
        &|l| control.serve_tls(l, tls.clone()),
        old,
        new,
    )
}

/// The listener swap of [`rebind_tcp`] and [`rebind_tls`]: `same_port` says whether the new
/// addresses may collide with the old ones.
fn swap(
    same_port: bool,
    close: &dyn Fn(),
    bind: &dyn Fn(&ListenConfig) -> Result<Vec<std::net::TcpListener>, BindError>,
    serve: &dyn Fn(Vec<std::net::TcpListener>),
    old: &ListenConfig,
    new: &ListenConfig,
) -> Result<(), BindError> {
    if !same_port {
        let listeners = bind(new)?;
        close();
        serve(listeners);
        return Ok(());
    }
    close();
    match bind(new) {
        Ok(listeners) => {
            serve(listeners);
            Ok(())
        }
        Err(e) => {
            if let Ok(listeners) = bind(old) {
                serve(listeners);
            }
            Err(e)
        }
    }
}

impl TcpControl for lode_transport_tokio::Control {
    fn close_tcp(&self) {
        lode_transport_tokio::Control::close_tcp(self);
    }
    fn serve_tcp(&self, listeners: Vec<std::net::TcpListener>) {
        lode_transport_tokio::Control::serve_tcp(self, listeners);
    }
    fn close_tls(&self) {
        lode_transport_tokio::Control::close_tls(self);
    }
    fn serve_tls(&self, listeners: Vec<std::net::TcpListener>, tls: Acceptor) {
        lode_transport_tokio::Control::serve_tls(self, listeners, tls);
    }
    fn rescue(&self) {
        lode_transport_tokio::Control::rescue(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port()
    }

    #[test]
    fn bind_errors_follow_redis() {
        let nowhere = ListenConfig {
            port: 0,
            ..ListenConfig::default()
        };
        assert_eq!(
            Listeners::bind(&nowhere).map(|_| ()),
            Err(BindError::Nowhere)
        );
        // An address this host does not have: fatal unless marked optional with '-'.
        let port = free_port();
        let foreign = ListenConfig {
            bind: vec!["192.0.2.1".into()],
            port,
            ..ListenConfig::default()
        };
        assert_eq!(
            Listeners::bind(&foreign).map(|_| ()),
            Err(BindError::Tcp { port })
        );
        let optional = ListenConfig {
            bind: vec!["-192.0.2.1".into(), "127.0.0.1".into(), "-::1".into()],
            port,
            ..ListenConfig::default()
        };
        let bound = Listeners::bind(&optional).expect("bind");
        assert!(bound
            .tcp_addrs()
            .contains(&SocketAddr::from(([127, 0, 0, 1], port))));
        let long = ListenConfig {
            unixsocket: format!("/tmp/{}", "x".repeat(200)),
            ..ListenConfig::default()
        };
        assert_eq!(
            Listeners::bind(&long).map(|_| ()),
            Err(BindError::Unix(
                "unix socket path too long (205), must be under 108".into()
            ))
        );
    }

    #[test]
    fn unix_socket_gets_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("lode-listen-{}.sock", std::process::id()));
        let cfg = ListenConfig {
            unixsocket: path.display().to_string(),
            unixsocketperm: 0o700,
            backlog: 128,
            ..ListenConfig::default()
        };
        let bound = Listeners::bind(&cfg).expect("bind");
        assert_eq!(bound.unix_path(), Some(cfg.unixsocket.as_str()));
        let mode = std::fs::metadata(&path)
            .expect("socket file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let _ = std::fs::remove_file(&path);
    }
}
