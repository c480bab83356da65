//! Accept loops (all on worker 0), admission, socket options, and dealing admitted clients
//! to the workers round-robin.
//!
//! One acceptor per listener rather than one per worker: connections are spread evenly and
//! predictably (the n-th client goes to worker n mod threads) instead of to whichever ring's
//! accept happens to win, and the cost is one cross-thread hand-off per new connection,
//! which is cheap next to a connection's lifetime.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use compio::buf::IntoInner;
use compio::driver::op::Accept;
use compio::BufResult;
use lode_core::util::os_error::strerror;
use lode_core::{ClientInfo, Server};
use lode_tls::Acceptor;

use crate::inbox::{Inbox, Msg};

/// A listening socket shared between its accept loop and the `Control` that may close it.
pub(crate) struct Listening {
    sock: OwnedFd,
    /// Set by `Control::close_tcp`: the accept loop ends at its next completion.
    closed: AtomicBool,
    /// A `tls-port` listener's acceptor: its clients speak TLS.
    pub(crate) tls: Option<Acceptor>,
}

impl AsFd for Listening {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl Listening {
    /// Wraps a bound, listening socket; its clients speak TLS if `tls` is given.
    pub(crate) fn new(sock: impl Into<OwnedFd>, tls: Option<Acceptor>) -> Arc<Self> {
        Arc::new(Listening {
            sock: sock.into(),
            closed: AtomicBool::new(false),
            tls,
        })
    }

    /// Stops accepting: `shutdown` takes a listening TCP socket out of LISTEN at once, which
    /// frees its address for a new bind and fails the accept in flight on the ring, so the
    /// loop sees the flag and drops (closes) the socket.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let _ = socket2::SockRef::from(&self.sock).shutdown(std::net::Shutdown::Both);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Where admitted connections go: the workers' inboxes, in turn.
#[derive(Clone)]
pub(crate) struct Dealer {
    workers: Arc<Vec<Arc<Inbox>>>,
    next: Rc<Cell<usize>>,
}

impl Dealer {
    pub(crate) fn new(workers: Arc<Vec<Arc<Inbox>>>) -> Self {
        Dealer {
            workers,
            next: Rc::new(Cell::new(0)),
        }
    }

    fn deal(&self, fd: OwnedFd, info: ClientInfo, tls: Option<&Acceptor>) {
        // A TLS session from the configuration of the moment (CONFIG SET may replace it).
        let tls = match tls {
            Some(acceptor) => match acceptor.accept() {
                Some(pump) => Some(Box::new(pump)),
                None => return,
            },
            None => None,
        };
        let n = self.next.get();
        self.next.set(n.wrapping_add(1));
        if let Some(w) = self.workers.get(n % self.workers.len().max(1)) {
            w.push(Msg::Conn { fd, info, tls });
        }
    }
}

/// Accepts one connection on `l`; `None` once the listener was closed.
async fn accept_one(l: &Arc<Listening>) -> Option<io::Result<OwnedFd>> {
    let BufResult(res, op) = compio::runtime::submit(Accept::new(l.clone())).await;
    if l.is_closed() {
        return None;
    }
    Some(res.map(|_| {
        let (sock, _addr) = op.into_inner();
        OwnedFd::from(sock)
    }))
}

/// Serves a TCP listener until it is closed.
pub(crate) async fn tcp_loop(server: Arc<Server>, dealer: Dealer, l: Arc<Listening>) {
    while let Some(res) = accept_one(&l).await {
        match res {
            Ok(fd) => admit_tcp(&server, &dealer, std::net::TcpStream::from(fd), &l),
            Err(e) => accept_failed(&e).await,
        }
    }
}

/// Serves the Unix listener until the worker stops.
pub(crate) async fn unix_loop(
    server: Arc<Server>,
    dealer: Dealer,
    l: Arc<Listening>,
    path: String,
) {
    while let Some(res) = accept_one(&l).await {
        match res {
            Ok(fd) => admit_unix(&server, &dealer, fd, &path),
            Err(e) => accept_failed(&e).await,
        }
    }
}

/// Logs an accept error and pauses briefly: with EMFILE the listener stays readable, and
/// retrying at once would spin a core.
async fn accept_failed(e: &io::Error) {
    tracing::warn!("Accepting client connection: {}", strerror(e));
    compio::time::sleep(Duration::from_millis(10)).await;
}

/// Applies `maxclients` and protected mode; a refused client gets Redis's error line
/// (best effort, never blocking) and its socket is closed on drop.
fn admit(server: &Server, fd: socket2::SockRef<'_>, peer: Option<SocketAddr>) -> bool {
    match server.admit(peer) {
        Ok(()) => true,
        Err(line) => {
            let _ = fd.set_nonblocking(true);
            let _ = fd.send(line);
            false
        }
    }
}

fn admit_tcp(server: &Arc<Server>, dealer: &Dealer, stream: std::net::TcpStream, l: &Listening) {
    let Ok(peer) = stream.peer_addr() else {
        return;
    };
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
    dealer.deal(
        stream.into(),
        ClientInfo::Tcp { peer, local },
        l.tls.as_ref(),
    );
}

fn admit_unix(server: &Arc<Server>, dealer: &Dealer, fd: OwnedFd, path: &str) {
    if !admit(server, socket2::SockRef::from(&fd), None) {
        return;
    }
    let info = ClientInfo::Unix {
        path: path.to_string(),
    };
    dealer.deal(fd, info, None);
}
