//! Worker threads, accept loops and the server cron.
//!
//! The default is thread-per-core: `threads` OS threads, each running its own single-threaded
//! Tokio runtime, connections dealt to them round-robin at accept time. A connection then
//! stays on its thread, so its task never migrates and no work-stealing queue sits on the hot
//! path. The work-stealing flavour (one multi-threaded runtime) is kept for comparison.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lode_core::{ClientInfo, Server};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;

use crate::connection::Connection;
use crate::listener::{bind_tcp, BindError, ListenConfig, Listeners};
use crate::now;

/// How the worker threads are organised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// One single-threaded runtime per worker thread; connections pinned round-robin.
    ThreadPerCore,
    /// One multi-threaded (work-stealing) runtime with `threads` workers.
    WorkStealing,
}

/// How to run the transport.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Thread organisation.
    pub flavor: Flavor,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 1,
            flavor: Flavor::ThreadPerCore,
        }
    }
}

/// The reply Redis sends before closing a connection over `maxclients`.
const MAXCLIENTS_ERR: &[u8] = b"-ERR max number of clients reached\r\n";

/// The reply Redis sends to a non-loopback client while in protected mode.
const DENIED_ERR: &[u8] = b"-DENIED Redis is running in protected mode because protected \
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

/// A running transport: its threads serve clients until `shutdown`.
pub struct Running {
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    multi: Option<Runtime>,
    control: Control,
}

/// One TCP accept loop: its listener (shared, so it can be shut down from outside) and task.
struct TcpAccept {
    listener: Arc<tokio::net::TcpListener>,
    task: tokio::task::AbortHandle,
}

/// Changes a running transport's listeners (CONFIG SET port / bind); cheap to clone.
#[derive(Clone)]
pub struct Control {
    inner: Arc<ControlInner>,
}

struct ControlInner {
    /// The runtime the accept loops run on.
    home: Handle,
    dealer: Dealer,
    /// Weak: the server owns the host, which holds this control.
    server: std::sync::Weak<Server>,
    tcp: parking_lot::Mutex<(ListenConfig, Vec<TcpAccept>)>,
}

impl Control {
    /// Replaces the TCP listeners with those of `cfg` (its bind list, port and backlog).
    /// Like Redis, the old listeners close first (so the same address can be bound again);
    /// if the new ones can't all be bound, the old configuration is bound again and the
    /// error returned.
    pub fn rebind_tcp(&self, cfg: &ListenConfig) -> Result<(), BindError> {
        let Some(server) = self.inner.server.upgrade() else {
            return Ok(());
        };
        let mut tcp = self.inner.tcp.lock();
        for old in tcp.1.drain(..) {
            // shutdown() takes a listening socket out of LISTEN at once, freeing its address
            // for the new bind; the aborted task drops (closes) it later.
            let _ = socket2::SockRef::from(&*old.listener).shutdown(std::net::Shutdown::Both);
            old.task.abort();
        }
        match bind_tcp(cfg) {
            Ok(listeners) => {
                tcp.1 = self.spawn_tcp(&server, listeners);
                tcp.0 = cfg.clone();
                Ok(())
            }
            Err(e) => {
                if let Ok(listeners) = bind_tcp(&tcp.0) {
                    tcp.1 = self.spawn_tcp(&server, listeners);
                }
                Err(e)
            }
        }
    }

    fn spawn_tcp(
        &self,
        server: &Arc<Server>,
        listeners: Vec<std::net::TcpListener>,
    ) -> Vec<TcpAccept> {
        let _guard = self.inner.home.enter();
        let mut out = Vec::new();
        for l in listeners {
            let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                continue;
            };
            let listener = Arc::new(l);
            let (server, dealer, l) = (server.clone(), self.inner.dealer.clone(), listener.clone());
            let task = self.inner.home.spawn(async move {
                loop {
                    match l.accept().await {
                        Ok((stream, peer)) => accept_tcp(&server, &dealer, stream, peer),
                        Err(e) => accept_failed(&e).await,
                    }
                }
            });
            out.push(TcpAccept {
                listener,
                task: task.abort_handle(),
            });
        }
        out
    }
}

impl Running {
    /// A handle to change the listeners while serving.
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// Stops accepting, drops every connection (closing its socket) and joins the threads.
    pub fn shutdown(mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(rt) = self.multi.take() {
            rt.shutdown_timeout(Duration::from_millis(500));
        }
    }
}

/// Where accepted connections go.
#[derive(Clone)]
struct Dealer {
    workers: Arc<Vec<Handle>>,
    next: Arc<AtomicUsize>,
}

impl Dealer {
    fn pick(&self) -> &Handle {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        &self.workers[n % self.workers.len()]
    }
}

/// Starts serving `listeners` for `server`: worker threads, accept loops and the cron.
/// `listen` is the configuration `listeners` were bound from (the fallback of a failed
/// rebind).
pub fn start(
    server: Arc<Server>,
    listeners: Listeners,
    listen: &ListenConfig,
    opts: &Options,
) -> io::Result<Running> {
    let threads = opts.threads.max(1);
    match opts.flavor {
        Flavor::WorkStealing => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("lode-worker")
                .enable_all()
                .build()?;
            let dealer = Dealer {
                workers: Arc::new(vec![rt.handle().clone()]),
                next: Arc::new(AtomicUsize::new(0)),
            };
            let handle = rt.handle().clone();
            let control = spawn_listeners(&handle, &server, listeners, listen, &dealer)?;
            handle.spawn(cron(server));
            Ok(Running {
                stops: Vec::new(),
                threads: Vec::new(),
                multi: Some(rt),
                control,
            })
        }
        Flavor::ThreadPerCore => {
            let mut handles = Vec::with_capacity(threads);
            let mut stops = Vec::with_capacity(threads);
            let mut joins = Vec::with_capacity(threads);
            for i in 0..threads {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                handles.push(rt.handle().clone());
                let (tx, rx) = oneshot::channel::<()>();
                stops.push(tx);
                let join = std::thread::Builder::new()
                    .name(format!("lode-io-{i}"))
                    .spawn(move || {
                        rt.block_on(async {
                            let _ = rx.await;
                        });
                        // Dropping the runtime drops every connection task, closing sockets.
                        drop(rt);
                    })?;
                joins.push(join);
            }
            let dealer = Dealer {
                workers: Arc::new(handles),
                next: Arc::new(AtomicUsize::new(0)),
            };
            let first = dealer.workers[0].clone();
            let control = spawn_listeners(&first, &server, listeners, listen, &dealer)?;
            first.spawn(cron(server));
            Ok(Running {
                stops,
                threads: joins,
                multi: None,
                control,
            })
        }
    }
}

/// Runs `server.tick` `hz` times a second; wakes every client when `timeout` changes so
/// idle clients re-arm their deadline.
async fn cron(server: Arc<Server>) {
    let mut next = tokio::time::Instant::now();
    let mut last_timeout = server.config.read().timeout;
    loop {
        let hz = server.hz().max(1);
        next += Duration::from_micros(1_000_000 / u64::from(hz));
        let now_instant = tokio::time::Instant::now();
        if next < now_instant {
            // Fell behind (a long command, a suspended process): don't run a burst of ticks.
            next = now_instant;
        }
        tokio::time::sleep_until(next).await;
        server.tick(now());
        let timeout = server.config.read().timeout;
        if timeout != last_timeout {
            last_timeout = timeout;
            for c in server.clients.snapshot() {
                c.waker.wake();
            }
        }
    }
}

fn spawn_listeners(
    on: &Handle,
    server: &Arc<Server>,
    listeners: Listeners,
    listen: &ListenConfig,
    dealer: &Dealer,
) -> io::Result<Control> {
    let _guard = on.enter();
    let control = Control {
        inner: Arc::new(ControlInner {
            home: on.clone(),
            dealer: dealer.clone(),
            server: Arc::downgrade(server),
            tcp: parking_lot::Mutex::new((listen.clone(), Vec::new())),
        }),
    };
    let tcp = control.spawn_tcp(server, listeners.tcp);
    control.inner.tcp.lock().1 = tcp;
    if let Some((l, path)) = listeners.unix {
        let l = tokio::net::UnixListener::from_std(l)?;
        let (server, dealer) = (server.clone(), dealer.clone());
        on.spawn(async move {
            loop {
                match l.accept().await {
                    Ok((stream, _)) => accept_unix(&server, &dealer, stream, &path),
                    Err(e) => accept_failed(&e).await,
                }
            }
        });
    }
    Ok(control)
}

/// Logs an accept error and pauses briefly: with EMFILE the listener stays readable, and
/// retrying at once would spin a core.
async fn accept_failed(e: &io::Error) {
    tracing::warn!(
        "Accepting client connection: {}",
        crate::listener::strerror(e)
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// Best-effort error line to a client about to be refused; the socket is closed on drop.
fn refuse(fd: socket2::SockRef<'_>, server: &Server, msg: &[u8]) {
    let _ = fd.send(msg);
    lode_core::stats::Stats::add(&server.stats.rejected_connections, 1);
}

/// Applies `maxclients`; `false` = refused.
fn admit(server: &Server, fd: socket2::SockRef<'_>) -> bool {
    let maxclients = server.config.read().maxclients;
    if server.clients.len() >= maxclients {
        refuse(fd, server, MAXCLIENTS_ERR);
        return false;
    }
    true
}

fn is_loopback(peer: &SocketAddr) -> bool {
    // Redis compares the textual address with exactly these two.
    match peer {
        SocketAddr::V4(a) => a.ip().octets() == [127, 0, 0, 1],
        SocketAddr::V6(a) => a.ip().is_loopback(),
    }
}

fn accept_tcp(
    server: &Arc<Server>,
    dealer: &Dealer,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) {
    let fd = socket2::SockRef::from(&stream);
    if !admit(server, fd) {
        return;
    }
    let (protected, keepalive) = {
        let c = server.config.read();
        // Protected mode, as Redis 7.0 applies it: while the default user has no password
        // (`requirepass` sets it; ACL users will too), only loopback clients are served,
        // whatever `bind` says.
        (
            c.protected_mode && c.requirepass.is_empty(),
            c.tcp_keepalive,
        )
    };
    if protected && !is_loopback(&peer) {
        refuse(socket2::SockRef::from(&stream), server, DENIED_ERR);
        return;
    }
    let _ = stream.set_nodelay(true);
    if keepalive > 0 {
        // Redis's anetKeepAlive: first probe after `keepalive` s, then every third of it.
        let ka = socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(keepalive))
            .with_interval(Duration::from_secs((keepalive / 3).max(1)))
            .with_retries(3);
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&ka);
    }
    let local = stream.local_addr().unwrap_or(peer);
    let info = ClientInfo::Tcp { peer, local };
    serve_on(dealer.pick(), server, stream, info);
}

fn accept_unix(server: &Arc<Server>, dealer: &Dealer, stream: tokio::net::UnixStream, path: &str) {
    if !admit(server, socket2::SockRef::from(&stream)) {
        return;
    }
    let info = ClientInfo::Unix {
        path: path.to_string(),
    };
    serve_on(dealer.pick(), server, stream, info);
}

/// A Tokio stream that can leave one runtime's reactor and join another's.
trait Movable: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + Sized + 'static {
    type Std: Send + 'static;
    fn into_std_stream(self) -> std::io::Result<Self::Std>;
    fn from_std_stream(std: Self::Std) -> std::io::Result<Self>;
}

impl Movable for tokio::net::TcpStream {
    type Std = std::net::TcpStream;
    fn into_std_stream(self) -> std::io::Result<Self::Std> {
        self.into_std()
    }
    fn from_std_stream(std: Self::Std) -> std::io::Result<Self> {
        Self::from_std(std)
    }
}

impl Movable for tokio::net::UnixStream {
    type Std = std::os::unix::net::UnixStream;
    fn into_std_stream(self) -> std::io::Result<Self::Std> {
        self.into_std()
    }
    fn from_std_stream(std: Self::Std) -> std::io::Result<Self> {
        Self::from_std(std)
    }
}

/// Serves `stream` on the worker `target`, moving the socket to that worker's reactor when the
/// accept ran on another one.
fn serve_on<S: Movable>(target: &Handle, server: &Arc<Server>, stream: S, info: ClientInfo) {
    if same_runtime(target) {
        tokio::spawn(Connection::new(server.clone(), stream, info));
        return;
    }
    let Ok(std) = stream.into_std_stream() else {
        return;
    };
    let server = server.clone();
    target.spawn(async move {
        if let Ok(stream) = S::from_std_stream(std) {
            Connection::new(server, stream, info).await;
        }
    });
}

fn same_runtime(target: &Handle) -> bool {
    Handle::try_current().is_ok_and(|h| h.id() == target.id())
}
