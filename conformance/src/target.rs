//! The servers × transports the suite runs against, and `CONFORMANCE_TARGETS`.

use crate::case::ServerKind;

/// How the suite's clients reach the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP (Tokio for lode).
    Tcp,
    /// A Unix socket.
    Unix,
    /// TCP served by lode's io_uring transport (`io-engine uring`).
    Uring,
    /// QUIC streams from lode's Rust client, all sessions on one QUIC connection.
    Quic,
    /// TCP to a `lode-server --quic-bridge` process, which carries each client over QUIC.
    Bridge,
    /// TLS over TCP to `tls-port` (Tokio for lode), from a rustls client.
    Tls,
}

impl Transport {
    /// Its name in target names and `CONFORMANCE_TARGETS`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Unix => "unix",
            Transport::Uring => "uring",
            Transport::Quic => "quic",
            Transport::Bridge => "bridge",
            Transport::Tls => "tls",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: ServerKind,
    pub transport: Transport,
}

impl Target {
    pub const fn new(kind: ServerKind, transport: Transport) -> Target {
        Target { kind, transport }
    }

    /// `redis-tcp`, `lode-unix`, ...
    pub fn name(&self) -> String {
        let kind = match self.kind {
            ServerKind::Redis => "redis",
            ServerKind::Lode => "lode",
        };
        format!("{kind}-{}", self.transport.name())
    }

    /// Whether `CONFORMANCE_TARGETS` (comma-separated; `redis`, `lode`, `tcp`, `unix`,
    /// `uring`, `quic`, `bridge`, `tls`, `redis-tcp`, ..., `all`) selects this target. Unset selects every target.
    pub fn selected(&self) -> bool {
        selected_by(
            &self.name(),
            std::env::var("CONFORMANCE_TARGETS").ok().as_deref(),
        )
    }
}

fn selected_by(name: &str, spec: Option<&str>) -> bool {
    let Some(spec) = spec.filter(|s| !s.trim().is_empty()) else {
        return true;
    };
    let (kind, transport) = name.split_once('-').unwrap_or((name, ""));
    spec.split(',')
        .map(str::trim)
        .any(|w| w == "all" || w == name || w == kind || w == transport)
}

#[cfg(test)]
mod tests {
    use super::selected_by;

    #[test]
    fn selection() {
        assert!(selected_by("lode-tcp", None));
        assert!(selected_by("lode-tcp", Some("")));
        assert!(selected_by("redis-unix", Some("redis")));
        assert!(!selected_by("lode-unix", Some("redis")));
        assert!(selected_by("lode-unix", Some("redis, unix")));
        assert!(selected_by("lode-tcp", Some("lode-tcp")));
        assert!(!selected_by("lode-unix", Some("lode-tcp")));
        assert!(selected_by("lode-unix", Some("all")));
    }
}
