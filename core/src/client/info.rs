//! How a client is connected, and how core wakes its transport.

use std::net::SocketAddr;

/// Called by the core when another session made this one ready; the transport then polls it.
pub trait Waker: Send + Sync {
    /// Schedules the session to be polled.
    fn wake(&self);
}

/// A waker that does nothing (tests, simulations that poll every session anyway).
pub struct NoopWaker;

impl Waker for NoopWaker {
    fn wake(&self) {}
}

/// How the client is connected.
#[derive(Clone, Debug)]
pub enum ClientInfo {
    /// A TCP connection: peer and local address.
    Tcp { peer: SocketAddr, local: SocketAddr },
    /// A Unix-socket connection to the socket at `path`.
    Unix { path: String },
    /// An in-process client (tests, simulation).
    Internal,
    /// The client scripts run their commands as (MONITOR shows it as "lua").
    Lua,
}

impl ClientInfo {
    /// The client's address as Redis prints it ("ip:port", "[ipv6]:port", "/path:0").
    pub fn peer_id(&self) -> String {
        match self {
            ClientInfo::Tcp { peer, .. } => peer.to_string(),
            ClientInfo::Unix { path } => format!("{path}:0"),
            ClientInfo::Internal => "?:0".into(),
            ClientInfo::Lua => "lua".into(),
        }
    }

    /// The local address the client connected to, as Redis prints it.
    pub fn local_id(&self) -> String {
        match self {
            ClientInfo::Tcp { local, .. } => local.to_string(),
            ClientInfo::Unix { path } => format!("{path}:0"),
            ClientInfo::Internal | ClientInfo::Lua => "?:0".into(),
        }
    }
}
