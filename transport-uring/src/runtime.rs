//! Worker threads, each with its own compio runtime (its own io_uring), the cron, and the
//! handles the server keeps: `Running` to shut down, `Control` to change TCP listeners.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use lode_core::Server;
use lode_tls::Acceptor;

use crate::accept::{tcp_loop, unix_loop, Dealer, Listening};
use crate::connection::Connection;
use crate::inbox::{Inbox, Msg};
use crate::now;
use crate::wire::{Plain, Tls};

/// How to run the transport.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (at least 1), each with its own ring.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { threads: 1 }
    }
}

/// A running transport: its threads serve clients until `shutdown`.
pub struct Running {
    inboxes: Arc<Vec<Arc<Inbox>>>,
    threads: Vec<JoinHandle<()>>,
    control: Control,
}

/// Changes a running transport's TCP listeners (CONFIG SET port / tls-port / bind); cheap to
/// clone, usable from any thread.
#[derive(Clone)]
pub struct Control {
    inner: Arc<ControlInner>,
}

struct ControlInner {
    /// Worker 0, which runs the accept loops.
    home: Arc<Inbox>,
    tcp: parking_lot::Mutex<Vec<Arc<Listening>>>,
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
        self.inner.tcp.lock().retain(|l| {
            if l.tls.is_some() != tls {
                return true;
            }
            l.close();
            false
        });
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
        let ls: Vec<Arc<Listening>> = listeners
            .into_iter()
            .map(|l| Listening::new(l, tls.clone()))
            .collect();
        if ls.is_empty() {
            return;
        }
        self.inner.tcp.lock().extend(ls.iter().cloned());
        self.inner.home.push(Msg::ListenTcp(ls));
    }
}

impl Running {
    /// A handle to change the listeners while serving.
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// Stops accepting, drops every connection (closing its socket) and joins the threads.
    pub fn shutdown(mut self) {
        // The control may outlive the workers (the server keeps it): close the TCP
        // listeners it shares with them, so nothing stays listening on the port.
        self.control.close_tcp();
        self.control.close_tls();
        for inbox in self.inboxes.iter() {
            inbox.stop();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A compio runtime on io_uring; fails when the kernel refuses io_uring (compio is built
/// without its `polling` fallback, so this never silently degrades to epoll).
pub(crate) fn new_ring() -> io::Result<compio::runtime::Runtime> {
    // Each ring is created, submitted to and reaped by its own worker thread, which lets the
    // kernel run completion work only when the worker asks for completions (DEFER_TASKRUN)
    // instead of interrupting it for every packet that arrives: measured here, that takes
    // about 40% off the kernel time per request of one-request-at-a-time clients. Kernels
    // older than 6.1 refuse the flags, and then the ring is set up plainly.
    let mut tuned = compio::driver::ProactorBuilder::new();
    tuned
        .single_issuer(true)
        .defer_taskrun(true)
        .coop_taskrun(true)
        .taskrun_flag(true);
    let rt = match compio::runtime::Runtime::builder()
        .with_proactor(tuned)
        .build()
    {
        Ok(rt) => rt,
        Err(_) => compio::runtime::Runtime::new()?,
    };
    if !rt.driver_type().is_iouring() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "compio did not set up an io_uring driver",
        ));
    }
    Ok(rt)
}

/// Starts serving `tcp` and `unix` (bound, listening, non-blocking; the Unix listener with
/// its path) for `server`: `threads` workers, the accept loops and the cron on worker 0.
/// Fails, serving nothing, if any worker cannot set up its ring.
pub fn start(
    server: Arc<Server>,
    tcp: Vec<std::net::TcpListener>,
    unix: Option<(std::os::unix::net::UnixListener, String)>,
    opts: &Options,
) -> io::Result<Running> {
    let threads = opts.threads.max(1);
    let inboxes: Arc<Vec<Arc<Inbox>>> =
        Arc::new((0..threads).map(|_| Arc::new(Inbox::default())).collect());
    let tcp: Vec<Arc<Listening>> = tcp.into_iter().map(|l| Listening::new(l, None)).collect();
    let unix = unix.map(|(l, path)| (Listening::new(l, None), path));
    let control = Control {
        inner: Arc::new(ControlInner {
            home: inboxes[0].clone(),
            tcp: parking_lot::Mutex::new(tcp.clone()),
        }),
    };
    let mut running = Running {
        inboxes: inboxes.clone(),
        threads: Vec::with_capacity(threads),
        control,
    };
    let mut first = Some(Initial { tcp, unix });
    for i in 0..threads {
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<io::Result<()>>(1);
        let job = Worker {
            index: i,
            server: server.clone(),
            inboxes: inboxes.clone(),
            listeners: first.take(),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("lode-uring-{i}"))
            .spawn(move || job.run(ready_tx));
        let started = match spawned {
            Ok(t) => {
                running.threads.push(t);
                ready_rx
                    .recv()
                    .unwrap_or_else(|_| Err(io::Error::other("worker thread exited")))
            }
            Err(e) => Err(e),
        };
        if let Err(e) = started {
            running.shutdown();
            return Err(e);
        }
    }
    Ok(running)
}

/// What one worker thread starts with.
struct Worker {
    index: usize,
    server: Arc<Server>,
    inboxes: Arc<Vec<Arc<Inbox>>>,
    /// Worker 0's initial listeners.
    listeners: Option<Initial>,
}

/// The listeners `start` was given, served by worker 0.
struct Initial {
    tcp: Vec<Arc<Listening>>,
    unix: Option<(Arc<Listening>, String)>,
}

impl Worker {
    /// Sets up the ring (reporting the outcome on `ready`), then serves until told to stop.
    fn run(self, ready: std::sync::mpsc::SyncSender<io::Result<()>>) {
        let rt = match new_ring() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let inbox = self.inboxes[self.index].clone();
        rt.block_on(self.serve(inbox));
        // Dropping the runtime drops every connection task and then the ring, whose
        // in-flight operations release their sockets: every client sees its connection close.
        drop(rt);
    }

    async fn serve(self, inbox: Arc<Inbox>) {
        let dealer = Dealer::new(self.inboxes.clone());
        if let Some(Initial { tcp, unix }) = self.listeners {
            for l in tcp {
                compio::runtime::spawn(tcp_loop(self.server.clone(), dealer.clone(), l)).detach();
            }
            if let Some((l, path)) = unix {
                let task = unix_loop(self.server.clone(), dealer.clone(), l, path);
                compio::runtime::spawn(task).detach();
            }
        }
        if self.index == 0 {
            compio::runtime::spawn(cron(self.server.clone())).detach();
        }
        let mut msgs = Vec::new();
        while std::future::poll_fn(|cx| inbox.poll_recv(cx, &mut msgs)).await {
            for msg in msgs.drain(..) {
                match msg {
                    Msg::Conn {
                        fd,
                        info,
                        tls: None,
                    } => {
                        let conn = Connection::new(self.server.clone(), fd, info, Plain);
                        compio::runtime::spawn(conn).detach();
                    }
                    Msg::Conn {
                        fd,
                        info,
                        tls: Some(pump),
                    } => {
                        let conn = Connection::new(self.server.clone(), fd, info, Tls(*pump));
                        compio::runtime::spawn(conn).detach();
                    }
                    Msg::ListenTcp(ls) => {
                        for l in ls {
                            let task = tcp_loop(self.server.clone(), dealer.clone(), l);
                            compio::runtime::spawn(task).detach();
                        }
                    }
                }
            }
        }
    }
}

/// Runs the server cron (`lode_core::cron`) on this worker.
async fn cron(server: Arc<Server>) {
    let mut cron = lode_core::cron::Cron::new(server, now());
    loop {
        let wait = cron.poll(now());
        compio::time::sleep(wait).await;
    }
}
