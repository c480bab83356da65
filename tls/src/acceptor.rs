//! The server configuration new TLS connections start from, replaceable while serving.

use std::sync::Arc;

use parking_lot::RwLock;

use crate::Pump;

/// Hands each accepted connection a TLS session from the current configuration. CONFIG SET
/// of a `tls-*` option swaps the configuration in: connections already up keep the one
/// they started with, new ones get the new one. Cheap to clone (the clones share it).
#[derive(Clone)]
pub struct Acceptor {
    current: Arc<RwLock<Arc<rustls::ServerConfig>>>,
}

impl Acceptor {
    /// An acceptor serving `config`.
    pub fn new(config: rustls::ServerConfig) -> Self {
        Acceptor {
            current: Arc::new(RwLock::new(Arc::new(config))),
        }
    }

    /// Serves `config` to connections accepted from now on.
    pub fn replace(&self, config: rustls::ServerConfig) {
        *self.current.write() = Arc::new(config);
    }

    /// The server side of a new connection's TLS session; `None` if rustls refuses to start
    /// one (it never does with a configuration that was built).
    pub fn accept(&self) -> Option<Pump> {
        let config = self.current.read().clone();
        rustls::ServerConnection::new(config).ok().map(Pump::new)
    }
}
