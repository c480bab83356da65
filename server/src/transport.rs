//! Choosing and starting the transports: TCP and Unix clients on Tokio or io_uring
//! (`io-engine`), plus QUIC when `quic-port` is set.

use std::path::PathBuf;
use std::sync::Arc;

use lode_core::config::Config;
use lode_core::util::os_error::strerror;
use lode_core::Server;
use lode_transport_quic::{ClientAuth, ServerOptions};

use crate::listen::{ListenConfig, Listeners, TcpControl};
use crate::log::{self, LogLevel};

/// The running TCP/Unix transport.
pub enum Running {
    /// Tokio (epoll).
    Tokio(lode_transport_tokio::Running),
    /// io_uring on compio.
    Uring(lode_transport_uring::Running),
}

impl Running {
    /// The handle CONFIG SET port/bind uses.
    pub fn control(&self) -> Box<dyn TcpControl> {
        match self {
            Running::Tokio(r) => Box::new(r.control()),
            Running::Uring(r) => Box::new(r.control()),
        }
    }

    /// Stops accepting, closes every client and joins the worker threads.
    pub fn shutdown(self) {
        match self {
            Running::Tokio(r) => r.shutdown(),
            Running::Uring(r) => r.shutdown(),
        }
    }
}

impl TcpControl for lode_transport_uring::Control {
    fn close_tcp(&self) {
        lode_transport_uring::Control::close_tcp(self);
    }
    fn serve_tcp(&self, listeners: Vec<std::net::TcpListener>) {
        lode_transport_uring::Control::serve_tcp(self, listeners);
    }
    fn close_tls(&self) {
        lode_transport_uring::Control::close_tls(self);
    }
    fn serve_tls(&self, listeners: Vec<std::net::TcpListener>, tls: lode_tls::Acceptor) {
        lode_transport_uring::Control::serve_tls(self, listeners, tls);
    }
}

/// How many worker threads serve clients.
#[derive(Clone, Copy, Debug)]
pub struct Workers {
    /// `io-threads`.
    pub io_threads: usize,
    /// Whether `io-threads` was configured; if not, io_uring runs one worker (and ring) per
    /// core, while Tokio keeps Redis's default of one.
    pub given: bool,
}

impl Workers {
    fn uring(self) -> usize {
        if self.given {
            self.io_threads
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

/// Whether `io-engine` asks for io_uring: `uring`, or `auto` (io_uring wherever the kernel
/// allows it).
fn wants_uring(config: &Config) -> bool {
    matches!(config.get("io-engine").as_deref(), Some("uring" | "auto"))
}

/// Starts the TCP/Unix transport `config` selects on `listeners`. io_uring falls back to Tokio,
/// with a log line, when the kernel refuses it.
pub fn start(
    server: Arc<Server>,
    config: &Config,
    listen: &ListenConfig,
    listeners: Listeners,
    workers: Workers,
) -> std::io::Result<Running> {
    let mut listeners = Some(listeners);
    if wants_uring(config) {
        match lode_transport_uring::probe() {
            Ok(()) => {
                let l = listeners.take().unwrap_or_default();
                let threads = workers.uring();
                let opts = lode_transport_uring::Options { threads };
                match lode_transport_uring::start(server.clone(), l.tcp, l.unix, &opts) {
                    Ok(r) => {
                        let s = if threads == 1 { "" } else { "s" };
                        let line = format!("Serving clients with io_uring ({threads} worker{s})");
                        log::line(LogLevel::Notice, &line);
                        return Ok(Running::Uring(r));
                    }
                    Err(e) => uring_refused(&e),
                }
            }
            Err(e) => uring_refused(&e),
        }
    }
    // A failed io_uring start consumed the sockets: bind them again.
    let l = match listeners {
        Some(l) => l,
        None => Listeners::bind(listen).map_err(std::io::Error::other)?,
    };
    let opts = lode_transport_tokio::Options {
        threads: workers.io_threads,
        flavor: match std::env::var("LODE_TOKIO_FLAVOR").as_deref() {
            Ok("work-stealing") => lode_transport_tokio::Flavor::WorkStealing,
            _ => lode_transport_tokio::Flavor::ThreadPerCore,
        },
    };
    lode_transport_tokio::start(server, l.tcp, l.unix, &opts).map(Running::Tokio)
}

fn uring_refused(e: &std::io::Error) {
    log::line(
        LogLevel::Warning,
        &format!(
            "io_uring is not available ({}): serving clients with Tokio instead",
            strerror(e)
        ),
    );
}

/// The QUIC listener's settings from `config`, or `None` when `quic-port` is 0.
pub fn quic_options(config: &Config, threads: usize) -> Result<Option<ServerOptions>, String> {
    let get = |name: &str| config.get(name).unwrap_or_default();
    let num = |name: &str| get(name).parse::<u64>().unwrap_or(0);
    let port = num("quic-port") as u16;
    if port == 0 {
        return Ok(None);
    }
    let mut addrs = Vec::new();
    for spec in config.bind.iter().flat_map(|b| b.split_whitespace()) {
        let optional = spec.starts_with('-');
        let addr = spec.strip_prefix('-').unwrap_or(spec);
        match crate::listen::resolve(addr, port) {
            Ok(a) => addrs.push(a),
            Err(_) if optional => {}
            Err((_, why)) => return Err(format!("QUIC: bad bind address {addr}: {why}")),
        }
    }
    let path = |name: &str| Some(get(name)).filter(|p| !p.is_empty()).map(PathBuf::from);
    Ok(Some(ServerOptions {
        addrs,
        cert_file: path("tls-cert-file").unwrap_or_default(),
        key_file: path("tls-key-file").unwrap_or_default(),
        ca_cert_file: path("tls-ca-cert-file"),
        auth_clients: match get("tls-auth-clients").as_str() {
            "no" => ClientAuth::No,
            "optional" => ClientAuth::Optional,
            _ => ClientAuth::Yes,
        },
        idle_timeout_ms: num("quic-idle-timeout"),
        keepalive_ms: num("quic-keepalive-interval"),
        max_streams: num("quic-max-streams") as u32,
        max_connections: num("quic-max-connections") as u32,
        threads,
    }))
}
