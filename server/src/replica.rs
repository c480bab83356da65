//! The replica side's I/O: one thread that follows the primary core's REPLICAOF state names
//! (`server.repl.replica.target()`), as Redis's replicationCron and syncWithMaster do. It
//! connects (within `repl-timeout`, again every second while the link is down), drives core's
//! handshake state machine, loads a full sync's RDB (the whole payload buffered, then loaded
//! into a flushed dataset: `repl-diskless-load disabled`), applies the command stream through
//! core's master client, and sends `REPLCONF ACK <offset>` every second.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_core::repl::failover;
use lode_core::repl::replica::apply::{ack_frame, Applier};
use lode_core::repl::replica::handshake::{Event, Handshake, Params};
use lode_core::Server;
use lode_transport_tokio::now;

use crate::log::{self, LogLevel};

/// How long one read waits before the loop looks at the epoch, the ACK timer and the timeout.
const POLL: Duration = Duration::from_millis(100);

/// Starts the driver thread; it idles while this server is a primary.
pub fn start(server: &Arc<Server>) -> std::io::Result<()> {
    let server = server.clone();
    std::thread::Builder::new()
        .name("lode-replica".into())
        .spawn(move || run(&server))
        .map(drop)
}

fn notice(msg: &str) {
    log::line(LogLevel::Notice, msg);
}

fn warning(msg: &str) {
    log::line(LogLevel::Warning, msg);
}

fn run(server: &Server) {
    let me = std::thread::current();
    server.repl.replica.set_waker(Box::new(move || me.unpark()));
    // The master client survives a broken link (Redis's cached master): a +CONTINUE resumes
    // with its database and MULTI state.
    let mut applier: Option<Applier> = None;
    loop {
        let Some((host, port, epoch)) = server.repl.replica.target() else {
            applier = None;
            // REPLICAOF unparks this thread: the link starts at once, as in Redis.
            std::thread::park_timeout(POLL);
            continue;
        };
        if server.repl.replica.cached().is_none() {
            applier = None;
        }
        let started = Instant::now();
        let was_up = follow(server, &host, port, epoch, &mut applier);
        let repl = &server.repl.replica;
        repl.update(epoch, |s| {
            if was_up {
                s.down_since_ms = Some(now().ms());
            }
            s.state = "connect";
            s.link_up = false;
            s.sync_in_progress = false;
        });
        if let Some(a) = applier.as_mut() {
            a.discard_pending();
            a.disconnect(server);
        }
        // Redis's cron tries again once a second.
        while started.elapsed() < Duration::from_secs(1) && repl.epoch() == epoch {
            std::thread::park_timeout(POLL);
        }
    }
}

fn connect(host: &str, port: u16, timeout: Duration) -> std::io::Result<TcpStream> {
    let mut last = None;
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no address")))
}

fn params(server: &Server) -> Params {
    let c = server.config.read();
    let get = |name: &str| c.get(name).filter(|v| !v.is_empty());
    let announce_port = get("replica-announce-port")
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p != 0);
    Params {
        auth: get("masterauth").map(|pass| (get("masteruser"), pass)),
        listening_port: announce_port.unwrap_or(c.port),
        announce_ip: get("replica-announce-ip"),
        cached: server.repl.replica.cached(),
        failover: server.repl.failover.in_progress(),
    }
}

/// One link to the primary, until it breaks or REPLICAOF changes the primary. Returns whether
/// the link was up (the stream flowing) when it ended.
fn follow(
    server: &Server,
    host: &str,
    port: u16,
    epoch: u64,
    applier: &mut Option<Applier>,
) -> bool {
    let repl = &server.repl.replica;
    let timeout = {
        let secs = server
            .config
            .read()
            .get("repl-timeout")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(60);
        Duration::from_secs(secs.max(1))
    };
    notice(&format!("Connecting to MASTER {host}:{port}"));
    repl.update(epoch, |s| s.state = "connecting");
    let mut sock = match connect(host, port, timeout) {
        Ok(s) => s,
        Err(e) => {
            warning(&format!("Error condition on socket for SYNC: {e}"));
            return false;
        }
    };
    notice("MASTER <-> REPLICA sync started");
    let _ = sock.set_nodelay(true);
    let _ = sock.set_read_timeout(Some(POLL));
    if !repl.update(epoch, |s| s.state = "handshake") {
        return false;
    }
    let params = params(server);
    let mut hs = Handshake::new(params);
    let mut replid = String::new();
    let mut up = false;
    let mut last_read = Instant::now();
    let mut last_ack = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let out = hs.take_output();
        if !out.is_empty() && sock.write_all(&out).is_err() {
            return up;
        }
        if repl.epoch() != epoch {
            return up;
        }
        if applier.as_ref().is_some_and(Applier::killed) {
            notice("Connection with master lost (CLIENT KILL).");
            return up;
        }
        if up && last_ack.elapsed() >= Duration::from_secs(1) {
            if let Some(a) = applier.as_ref() {
                if sock.write_all(&ack_frame(a.applied_offset)).is_err() {
                    return up;
                }
            }
            last_ack = Instant::now();
        }
        let n = match sock.read(&mut buf) {
            Ok(0) => {
                notice("MASTER closed the connection");
                return up;
            }
            Ok(n) => n,
            // A read with a timeout is not restarted after a stop signal (SIGSTOP, then
            // SIGCONT): EINTR is no reason to drop the link.
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if last_read.elapsed() > timeout {
                    // Redis's words for each stage of the link.
                    warning(match hs.state() {
                        "sync" => {
                            "Timeout receiving bulk data from MASTER... If the problem persists \
                             try to set the 'repl-timeout' parameter in redis.conf to a larger \
                             value."
                        }
                        "connected" => "MASTER timeout: no data nor PING received...",
                        _ => "Timeout connecting to the MASTER...",
                    });
                    return up;
                }
                continue;
            }
            Err(e) => {
                warning(&format!("Error reading from MASTER: {e}"));
                return up;
            }
        };
        last_read = Instant::now();
        let io_ms = now().ms();
        repl.update(epoch, |s| s.last_io_ms = Some(io_ms));
        let psync_sent = hs.awaiting_psync_reply();
        let events = match hs.feed(&buf[..n]) {
            Ok(ev) => ev,
            Err(e) => {
                warning(&e);
                if psync_sent {
                    failover::target_rejected(server);
                }
                return up;
            }
        };
        for ev in events {
            match ev {
                Event::FullResync { replid: id, offset } => {
                    notice(&format!("Full resync from master: {id}:{offset}"));
                    failover::link_established(server);
                    replid = id;
                    let mut a = Applier::new(offset, now());
                    a.connect(server, link_info(&sock), now());
                    *applier = Some(a);
                    repl.update_cached(epoch, None, |s| {
                        s.state = "sync";
                        s.sync_in_progress = true;
                        s.read_offset = offset;
                        s.applied_offset = offset;
                    });
                }
                Event::Rdb(rdb) => {
                    notice(&format!(
                        "MASTER <-> REPLICA sync: receiving {} bytes from master to disk",
                        rdb.len()
                    ));
                    if repl.epoch() != epoch {
                        return false;
                    }
                    // Replicas of this server follow a dataset replaced now: they are
                    // disconnected and sync again (Redis's replicationAttachToNewMaster).
                    for h in server.clients.snapshot() {
                        if h.replica.load(std::sync::atomic::Ordering::Relaxed) {
                            h.kill();
                        }
                    }
                    notice("MASTER <-> REPLICA sync: Flushing old data");
                    server.repl.replica.written.clear();
                    let loaded = {
                        let _gate = server.exec_gate.write();
                        lode_core::persistence::install_rdb(server, &rdb, now(), true, false)
                    };
                    if let Err(e) = loaded {
                        warning(&format!(
                            "Failed trying to load the MASTER synchronization DB from socket: {e}"
                        ));
                        if let Some(mut a) = applier.take() {
                            a.disconnect(server);
                        }
                        return false;
                    }
                    // From here this server's stream is the primary's, verbatim (its own
                    // commands' appends are muted): the primary's id and offsets, a backlog
                    // of its own for sub-replicas, as Redis's replica proxies the stream.
                    let offset = applier.as_ref().map_or(0, |a| a.applied_offset);
                    let log = &server.keyspace.log;
                    log.set_muted(true);
                    log.restart_at(offset.max(0) as u64);
                    log.set_backlog(server.config.read().repl_backlog_size.max(1) as usize);
                    server.repl.primary.set_replid(replid.clone());
                    notice("MASTER <-> REPLICA sync: Finished with success");
                    if server.config.read().appendonly {
                        // The AOF holds none of the dataset just loaded: a rewrite puts it
                        // there (Redis's restartAOFAfterSYNC).
                        server
                            .persist
                            .rewrite_scheduled
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    // The first ACK goes at once: a Redis primary holds the stream after a
                    // diskless sync until the replica acknowledges the load. It may not have
                    // counted the transfer as done yet (its save child's exit is noticed
                    // later) and ignore that ACK, so the next one follows in 100 ms, not 1 s.
                    if sock.write_all(&ack_frame(offset)).is_err() {
                        return false;
                    }
                    last_ack = Instant::now()
                        .checked_sub(Duration::from_millis(900))
                        .unwrap_or_else(Instant::now);
                    up = true;
                    repl.update_cached(epoch, Some((replid.clone(), offset)), connected);
                }
                Event::Continue { replid: new_id } => {
                    failover::link_established(server);
                    let Some((old_id, offset)) = repl.cached() else {
                        return false;
                    };
                    let db = repl.stream_db();
                    let a = applier.get_or_insert_with(|| Applier::new(offset, now()).in_db(db));
                    a.connect(server, link_info(&sock), now());
                    server.keyspace.log.set_muted(true);
                    if let Some(new_id) = new_id.as_ref().filter(|id| **id != old_id) {
                        // The primary's history goes on under a new id (it was promoted):
                        // the old one stays valid up to here, as Redis's PSYNC2.
                        server.repl.primary.set_replid(old_id.clone());
                        server
                            .repl
                            .primary
                            .shift_replid(new_id.clone(), offset.max(0) as u64);
                        // Sub-replicas learn the new id by reconnecting (they continue
                        // with PSYNC), as Redis disconnects them here.
                        for h in lode_core::repl::primary::replicas(server) {
                            h.kill();
                        }
                    }
                    replid = new_id.unwrap_or(old_id);
                    notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
                    up = true;
                    repl.update_cached(epoch, Some((replid.clone(), offset)), |s| {
                        connected(s);
                        s.read_offset = offset;
                        s.applied_offset = offset;
                    });
                }
                Event::Stream(bytes) => {
                    let Some(a) = applier.as_mut() else {
                        return false;
                    };
                    if bytes.is_empty() {
                        continue;
                    }
                    let done = a.apply(server, &bytes, now());
                    if !done.reply.is_empty() && sock.write_all(&done.reply).is_err() {
                        return up;
                    }
                    let (read, applied) = (a.read_offset, a.applied_offset);
                    let current = repl.update_cached(epoch, Some((replid.clone(), applied)), |s| {
                        s.read_offset = read;
                        s.applied_offset = applied;
                    });
                    if done.killed {
                        notice("Connection with master lost (CLIENT KILL).");
                        return up;
                    }
                    if done.malformed {
                        warning("Protocol error from MASTER: the stream is not RESP");
                        return up;
                    }
                    if !current {
                        return up;
                    }
                }
            }
        }
        let state = hs.state();
        if state == "sync" {
            repl.update(epoch, |s| {
                s.state = "sync";
                s.sync_in_progress = true;
            });
        }
    }
}

/// The master client's connection details (CLIENT LIST's addr and laddr).
fn link_info(sock: &TcpStream) -> lode_core::client::ClientInfo {
    let unknown = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    lode_core::client::ClientInfo::Tcp {
        peer: sock.peer_addr().unwrap_or(unknown),
        local: sock.local_addr().unwrap_or(unknown),
    }
}

/// The link's status once the stream flows.
fn connected(s: &mut lode_core::repl::replica::MasterStatus) {
    s.state = "connected";
    s.link_up = true;
    s.sync_in_progress = false;
    s.down_since_ms = None;
}
