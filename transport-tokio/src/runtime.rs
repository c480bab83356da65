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

use lode_core::util::os_error::strerror;
use lode_core::{ClientInfo, Server};
use lode_tls::Acceptor;
use lode_tokio_driver::{Driver, End, PeerEof};
use tokio::io::AsyncWriteExt;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;

use crate::now;
use crate::tls::TlsStream;

/// How long a closing TLS connection may take to send its `close_notify`.
const CLOSE_NOTIFY_WAIT: Duration = Duration::from_secs(1);

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

/// A running transport: its threads serve clients until `shutdown`.
pub struct Running {
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    multi: Option<Runtime>,
    control: Control,
}

/// One TCP accept loop: its listener (shared, so it can be shut down from outside), task, and
/// the TLS acceptor of a `tls-port` listener.
struct TcpAccept {
    listener: Arc<tokio::net::TcpListener>,
    task: tokio::task::AbortHandle,
    tls: Option<Acceptor>,
}

/// Changes a running transport's listeners (CONFIG SET port / tls-port / bind); cheap to
/// clone.
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
    tcp: parking_lot::Mutex<Vec<TcpAccept>>,
    /// A rescue thread was started (see [`Control::rescue`]).
    rescued: std::sync::atomic::AtomicBool,
}

impl Control {
    /// Stops accepting on every plain TCP listener and closes them, freeing their addresses.
    pub fn close_tcp(&self) {
        self.close_where(false);
    }

    /// Stops accepting on every TLS listener and closes them, freeing their addresses.
    pub fn close_tls(&self) {
        self.close_where(true);
    }

    fn close_where(&self, tls: bool) {
        self.inner.tcp.lock().retain(|old| {
            if old.tls.is_some() != tls {
                return true;
            }
            // shutdown() takes a listening socket out of LISTEN at once, freeing its address
            // for the new bind; the aborted task drops (closes) it later.
            let _ = socket2::SockRef::from(&*old.listener).shutdown(std::net::Shutdown::Both);
            old.task.abort();
            false
        });
    }

    /// A script keeps a worker thread busy, and with it every client and accept loop that
    /// thread serves. Once per process, starts one more worker thread that accepts on the same
    /// TCP listeners and serves what it accepts itself, so a new connection can always reach
    /// the server: to get -BUSY, or to send SCRIPT KILL, FUNCTION KILL or SHUTDOWN NOSAVE.
    /// The thread then stays as one more worker.
    pub fn rescue(&self) {
        if self.inner.rescued.swap(true, Ordering::AcqRel) {
            return;
        }
        let listeners: Vec<(std::net::TcpListener, Option<Acceptor>)> = self
            .inner
            .tcp
            .lock()
            .iter()
            .filter_map(|a| {
                let sock = socket2::SockRef::from(&*a.listener).try_clone().ok()?;
                Some((std::net::TcpListener::from(sock), a.tls.clone()))
            })
            .collect();
        let server = self.inner.server.clone();
        let spawned = std::thread::Builder::new()
            .name("lode-rescue".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let dealer = Dealer {
                    workers: Arc::new(vec![rt.handle().clone()]),
                    next: Arc::new(AtomicUsize::new(0)),
                };
                rt.block_on(async move {
                    for (l, tls) in listeners {
                        if l.set_nonblocking(true).is_err() {
                            continue;
                        }
                        let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                            continue;
                        };
                        let (server, dealer) = (server.clone(), dealer.clone());
                        tokio::spawn(async move {
                            loop {
                                match l.accept().await {
                                    Ok((stream, peer)) => match server.upgrade() {
                                        Some(s) => {
                                            accept_tcp(&s, &dealer, stream, peer, tls.as_ref())
                                        }
                                        None => return,
                                    },
                                    Err(e) => accept_failed(&e).await,
                                }
                            }
                        });
                    }
                    std::future::pending::<()>().await
                });
            });
        if let Err(e) = spawned {
            tracing::warn!("Starting a thread to serve clients while a script is busy: {e}");
        }
    }

    /// Starts accepting on `listeners` (bound, listening, non-blocking).
    pub fn serve_tcp(&self, listeners: Vec<std::net::TcpListener>) {
        self.serve(listeners, None);
    }

    /// Starts accepting TLS clients on `listeners` (bound, listening, non-blocking), each
    /// given a session from `tls`'s configuration of the moment.
    pub fn serve_tls(&self, listeners: Vec<std::net::TcpListener>, tls: Acceptor) {
        self.serve(listeners, Some(tls));
    }

    fn serve(&self, listeners: Vec<std::net::TcpListener>, tls: Option<Acceptor>) {
        let Some(server) = self.inner.server.upgrade() else {
            return;
        };
        let accepts = self.spawn_tcp(&server, listeners, tls);
        self.inner.tcp.lock().extend(accepts);
    }

    fn spawn_tcp(
        &self,
        server: &Arc<Server>,
        listeners: Vec<std::net::TcpListener>,
        tls: Option<Acceptor>,
    ) -> Vec<TcpAccept> {
        let _guard = self.inner.home.enter();
        let mut out = Vec::new();
        for l in listeners {
            let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                continue;
            };
            let listener = Arc::new(l);
            let (server, dealer, l) = (server.clone(), self.inner.dealer.clone(), listener.clone());
            let acceptor = tls.clone();
            let task = self.inner.home.spawn(async move {
                loop {
                    match l.accept().await {
                        Ok((stream, peer)) => {
                            accept_tcp(&server, &dealer, stream, peer, acceptor.as_ref())
                        }
                        Err(e) => accept_failed(&e).await,
                    }
                }
            });
            out.push(TcpAccept {
                listener,
                task: task.abort_handle(),
                tls: tls.clone(),
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

/// Starts serving `tcp` and `unix` (bound, listening, non-blocking; the Unix listener with
/// its path) for `server`: worker threads, accept loops and the cron.
pub fn start(
    server: Arc<Server>,
    tcp: Vec<std::net::TcpListener>,
    unix: Option<(std::os::unix::net::UnixListener, String)>,
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
            let control = spawn_listeners(&handle, &server, tcp, unix, &dealer)?;
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
            let control = spawn_listeners(&first, &server, tcp, unix, &dealer)?;
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

/// Runs the server cron (`lode_core::cron`) on this runtime.
async fn cron(server: Arc<Server>) {
    let mut cron = lode_core::cron::Cron::new(server, now());
    loop {
        let wait = cron.poll(now());
        tokio::time::sleep(wait).await;
    }
}

fn spawn_listeners(
    on: &Handle,
    server: &Arc<Server>,
    tcp: Vec<std::net::TcpListener>,
    unix: Option<(std::os::unix::net::UnixListener, String)>,
    dealer: &Dealer,
) -> io::Result<Control> {
    let _guard = on.enter();
    let control = Control {
        inner: Arc::new(ControlInner {
            home: on.clone(),
            dealer: dealer.clone(),
            server: Arc::downgrade(server),
            tcp: parking_lot::Mutex::new(Vec::new()),
            rescued: std::sync::atomic::AtomicBool::new(false),
        }),
    };
    let tcp = control.spawn_tcp(server, tcp, None);
    control.inner.tcp.lock().extend(tcp);
    if let Some((l, path)) = unix {
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
    tracing::warn!("Accepting client connection: {}", strerror(e));
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// Applies `maxclients` and protected mode; a refused client gets Redis's error line
/// (best effort) and its socket is closed on drop.
fn admit(server: &Server, fd: socket2::SockRef<'_>, peer: Option<SocketAddr>) -> bool {
    match server.admit(peer) {
        Ok(()) => true,
        Err(line) => {
            let _ = fd.send(line);
            false
        }
    }
}

fn accept_tcp(
    server: &Arc<Server>,
    dealer: &Dealer,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: Option<&Acceptor>,
) {
    if !admit(server, socket2::SockRef::from(&stream), Some(peer)) {
        return;
    }
    let _ = stream.set_nodelay(true);
    if let Some(k) = server.tcp_keepalive() {
        let ka = socket2::TcpKeepalive::new()
            .with_time(k.idle)
            .with_interval(k.interval)
            .with_retries(k.retries);
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&ka);
    }
    let local = stream.local_addr().unwrap_or(peer);
    let info = ClientInfo::Tcp { peer, local };
    let server = server.clone();
    match tls {
        None => serve_on(dealer.pick(), stream, move |s| driver(server, s, info)),
        Some(tls) => {
            let Some(pump) = tls.accept() else {
                return;
            };
            serve_on(dealer.pick(), stream, move |s| {
                serve_tls(server, TlsStream::new(s, pump), info)
            });
        }
    }
}

fn accept_unix(server: &Arc<Server>, dealer: &Dealer, stream: tokio::net::UnixStream, path: &str) {
    if !admit(server, socket2::SockRef::from(&stream), None) {
        return;
    }
    let info = ClientInfo::Unix {
        path: path.to_string(),
    };
    let server = server.clone();
    serve_on(dealer.pick(), stream, move |s| driver(server, s, info));
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

/// Serves `stream` with the future `serve` makes of it on the worker `target`, moving the
/// socket to that worker's reactor when the accept ran on another one.
fn serve_on<S, F, Fut>(target: &Handle, stream: S, serve: F)
where
    S: Movable,
    F: FnOnce(S) -> Fut + Send + 'static,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send,
{
    if same_runtime(target) {
        tokio::spawn(serve(stream));
        return;
    }
    let Ok(std) = stream.into_std_stream() else {
        return;
    };
    target.spawn(async move {
        if let Ok(stream) = S::from_std_stream(std) {
            serve(stream).await;
        }
    });
}

/// The I/O loop serving one socket. A socket's end of stream closes the client at once,
/// unflushed replies dropped, as redis-server does; how the connection ended does not matter
/// here, since dropping the socket is the only way to close it.
fn driver<S: Movable>(server: Arc<Server>, stream: S, info: ClientInfo) -> Driver<S> {
    Driver::new(server, stream, info, PeerEof::Close)
}

/// The I/O loop serving one TLS client. A connection the server ends (QUIT, CLIENT KILL, a
/// protocol error) sends `close_notify` once its replies are out, within a bound, so the
/// client sees a clean end of session; a client that went away gets nothing more.
async fn serve_tls(
    server: Arc<Server>,
    stream: TlsStream<tokio::net::TcpStream>,
    info: ClientInfo,
) {
    let mut driver = Driver::new(server, stream, info, PeerEof::Close);
    if (&mut driver).await == End::Finished {
        let mut stream = driver.into_stream();
        let _ = tokio::time::timeout(CLOSE_NOTIFY_WAIT, stream.shutdown()).await;
    }
}

fn same_runtime(target: &Handle) -> bool {
    Handle::try_current().is_ok_and(|h| h.id() == target.id())
}
