//! Whether a new connection may become a client: Redis's `maxclients` and protected-mode
//! checks, shared by every transport so each refuses with the same bytes.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::stats::Stats;
use crate::Server;

/// The reply Redis sends before closing a connection over `maxclients`.
pub const MAXCLIENTS_ERR: &[u8] = b"-ERR max number of clients reached\r\n";

/// The reply Redis sends to a non-loopback client while in protected mode.
pub const DENIED_ERR: &[u8] = b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. In this mode connections are \
only accepted from the loopback interface. If you want to connect from external computers \
to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending \
the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis \
from the same host the server is running, however MAKE SURE Redis is not publicly accessible \
from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) \
Alternatively you can just disable the protected mode by editing the Redis configuration \
file, and setting the protected mode option to 'no', and then restarting the server. 3) If \
you started the server manually just for testing, restart it with the '--protected-mode no' \
option. 4) Setup a an authentication password for the default user. NOTE: You only need to \
do one of the above things in order for the server to start accepting connections from the \
outside.\r\n";

/// Whether Redis counts `ip` as loopback: it compares the textual address with exactly
/// `127.0.0.1` and `::1`.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.octets() == [127, 0, 0, 1],
        IpAddr::V6(a) => a.is_loopback(),
    }
}

/// TCP keepalive probing for an accepted client, as Redis's anetKeepAlive sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe (`tcp-keepalive` seconds).
    pub idle: Duration,
    /// Time between probes: a third of `idle`, at least a second.
    pub interval: Duration,
    /// Unanswered probes before the connection is dropped.
    pub retries: u32,
}

impl Server {
    /// The keepalive an accepted TCP client gets, `None` with `tcp-keepalive 0`.
    pub fn tcp_keepalive(&self) -> Option<Keepalive> {
        let secs = self.config.read().tcp_keepalive;
        (secs > 0).then(|| Keepalive {
            idle: Duration::from_secs(secs),
            interval: Duration::from_secs((secs / 3).max(1)),
            retries: 3,
        })
    }

    /// Decides on a connection from `peer` (`None` for a Unix socket): `Err` holds the line
    /// to send before closing it, and the refusal is counted in `rejected_connections`.
    pub fn admit(&self, peer: Option<SocketAddr>) -> Result<(), &'static [u8]> {
        let refusal = {
            let c = self.config.read();
            if self.clients.len() >= c.maxclients {
                Some(MAXCLIENTS_ERR)
            } else if peer.is_some_and(|p| !is_loopback(p.ip()))
                // Protected mode, as Redis 7.0 applies it: while the default user has no
                // password, only loopback clients are served, whatever `bind` says.
                && c.protected_mode
                && self.acl.default_user().rules().nopass
            {
                Some(DENIED_ERR)
            } else {
                None
            }
        };
        match refusal {
            Some(line) => {
                Stats::add(&self.stats.rejected_connections, 1);
                Err(line)
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxclients_and_protected_mode() {
        let server = crate::testkit::server();
        let remote: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        let local: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        {
            let mut c = server.config.write();
            c.maxclients = 10;
            c.protected_mode = true;
        }
        assert_eq!(server.admit(Some(local)), Ok(()));
        assert_eq!(server.admit(None), Ok(()));
        assert_eq!(server.admit(Some(remote)), Err(DENIED_ERR));
        server.acl.set_requirepass(&server.commands, b"pw");
        assert_eq!(server.admit(Some(remote)), Ok(()));
        server.config.write().maxclients = 0;
        assert_eq!(server.admit(None), Err(MAXCLIENTS_ERR));
        let rejected = server
            .stats
            .rejected_connections
            .load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(rejected, 2);
        assert!(!is_loopback("127.0.0.2".parse().expect("ip")));
        assert!(is_loopback("::1".parse().expect("ip")));
    }

    #[test]
    fn keepalive_follows_redis() {
        let server = crate::testkit::server();
        server.config.write().tcp_keepalive = 0;
        assert_eq!(server.tcp_keepalive(), None);
        server.config.write().tcp_keepalive = 300;
        let k = server.tcp_keepalive().expect("on");
        assert_eq!(
            (k.idle.as_secs(), k.interval.as_secs(), k.retries),
            (300, 100, 3)
        );
        server.config.write().tcp_keepalive = 2;
        let k = server.tcp_keepalive().expect("on");
        assert_eq!(k.interval.as_secs(), 1);
    }
}
