//! FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: a primary hands its role to one of
//! its replicas without losing a write (Redis 7's coordinated failover).
//!
//! The primary holds writes (a pause of its own) and waits until a replica — the one named,
//! or any — has acknowledged the whole stream (`waiting-for-sync`). Then it becomes that
//! replica's replica and sends `PSYNC <replid> <offset> FAILOVER` (`failover-in-progress`);
//! the replica, seeing its own history, becomes a primary and continues the stream with
//! `+CONTINUE`. When the link is up the failover is over and writes flow again (to be
//! refused as a replica's). A timeout without FORCE, FAILOVER ABORT, or a target that
//! refuses the PSYNC puts everything back: this server is a primary again.

use crate::command::Ctx;
use crate::server::Server;
use crate::sync::Mutex;

use super::primary::{replica_ip, replicas};

/// Where a failover is (INFO's `master_failover_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum State {
    /// No failover.
    #[default]
    None,
    /// Writes are held until a replica acknowledged the whole stream.
    WaitForSync,
    /// This server follows the target and asked it, with PSYNC FAILOVER, to take over.
    InProgress,
}

#[derive(Default)]
struct Plan {
    state: State,
    /// When waiting for a replica stops (server clock, ms); None waits for ever.
    end_ms: Option<u64>,
    /// At the timeout, fail over to the target anyway.
    force: bool,
    /// The replica named by TO, or the one found caught up.
    target: Option<(String, u16)>,
}

/// The failover's state (see the module docs).
#[derive(Default)]
pub struct Failover {
    plan: Mutex<Plan>,
}

impl Failover {
    /// `master_failover_state`.
    pub fn state_name(&self) -> &'static str {
        match self.plan.lock().state {
            State::None => "no-failover",
            State::WaitForSync => "waiting-for-sync",
            State::InProgress => "failover-in-progress",
        }
    }

    /// Whether a failover is under way (SYNC, PSYNC and REPLICAOF are refused then).
    pub fn active(&self) -> bool {
        self.plan.lock().state != State::None
    }

    /// Whether this server asked its target to take over: the replica driver's PSYNC carries
    /// FAILOVER.
    pub fn in_progress(&self) -> bool {
        self.plan.lock().state == State::InProgress
    }
}

/// FAILOVER's arguments, parsed as Redis's failoverCommand does.
struct Request {
    to: Option<(String, u16)>,
    force: bool,
    timeout_ms: u64,
}

fn parse(ctx: &mut Ctx) -> Option<Request> {
    let mut req = Request {
        to: None,
        force: false,
        timeout_ms: 0,
    };
    let n = ctx.args.len();
    let mut j = 1;
    while j < n {
        let word = ctx.arg(j);
        if word.eq_ignore_ascii_case(b"timeout") && j + 1 < n && req.timeout_ms == 0 {
            let Some(ms) = crate::util::num::parse_i64(ctx.arg(j + 1)) else {
                ctx.error("ERR value is not an integer or out of range");
                return None;
            };
            if ms <= 0 {
                ctx.error("ERR FAILOVER timeout must be greater than 0");
                return None;
            }
            req.timeout_ms = ms as u64;
            j += 2;
        } else if word.eq_ignore_ascii_case(b"to") && j + 2 < n && req.to.is_none() {
            let Some(port) = crate::util::num::parse_i64(ctx.arg(j + 2)) else {
                ctx.error("ERR value is not an integer or out of range");
                return None;
            };
            // A port no replica can have simply names no replica (Redis keeps the long).
            let port = u16::try_from(port).unwrap_or(0);
            let host = String::from_utf8_lossy(ctx.arg(j + 1)).into_owned();
            req.to = Some((host, port));
            j += 3;
        } else if word.eq_ignore_ascii_case(b"force") && !req.force {
            req.force = true;
            j += 1;
        } else {
            ctx.error("ERR syntax error");
            return None;
        }
    }
    Some(req)
}

/// The FAILOVER command.
pub fn failover(ctx: &mut Ctx) {
    let server = ctx.server;
    if ctx.args.len() == 2 && ctx.arg(1).eq_ignore_ascii_case(b"abort") {
        if !server.repl.failover.active() {
            ctx.error("ERR No failover in progress.");
            return;
        }
        abort(server, "Failover manually aborted");
        ctx.out.ok();
        return;
    }
    let Some(req) = parse(ctx) else {
        return;
    };
    if server.repl.failover.active() {
        ctx.error("ERR FAILOVER already in progress.");
        return;
    }
    if server.repl.replica.is_replica() {
        ctx.error("ERR FAILOVER is not valid when server is a replica.");
        return;
    }
    if replicas(server).is_empty() {
        ctx.error("ERR FAILOVER requires connected replicas.");
        return;
    }
    if req.force && (req.timeout_ms == 0 || req.to.is_none()) {
        ctx.error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
        return;
    }
    if let Some((host, port)) = &req.to {
        let Some(target) = find_replica(server, host, *port) else {
            ctx.error("ERR FAILOVER target HOST and PORT is not a replica.");
            return;
        };
        if target.repl.full.phase() != super::fullsync::Phase::Online {
            ctx.error("ERR FAILOVER target replica is not online.");
            return;
        }
        server
            .host
            .log(&format!("FAILOVER requested to {host}:{port}."));
    } else {
        server.host.log("FAILOVER requested to any replica.");
    }
    *server.repl.failover.plan.lock() = Plan {
        state: State::WaitForSync,
        end_ms: (req.timeout_ms > 0).then(|| ctx.now.ms().saturating_add(req.timeout_ms)),
        force: req.force,
        target: req.to,
    };
    server.keyspace.pause.set_failover(true);
    ctx.out.ok();
}

/// The attached replica announcing `host:port`, as Redis's findReplica.
fn find_replica(
    server: &Server,
    host: &str,
    port: u16,
) -> Option<std::sync::Arc<crate::client::ClientHandle>> {
    use std::sync::atomic::Ordering;
    replicas(server).into_iter().find(|h| {
        h.repl.listening_port.load(Ordering::Relaxed) == u32::from(port)
            && replica_ip(h).eq_ignore_ascii_case(host)
    })
}

/// The failover's periodic step (Redis's updateFailoverStatus): while waiting, hand over to
/// a replica that acknowledged the whole stream, or at the timeout force it or give up.
pub fn cron(server: &Server, now_ms: u64) {
    let offset = server.keyspace.log.offset();
    let go = {
        let mut plan = server.repl.failover.plan.lock();
        if plan.state != State::WaitForSync {
            return;
        }
        if plan.end_ms.is_some_and(|end| end <= now_ms) {
            if !plan.force {
                drop(plan);
                abort(server, "Replica never caught up before timeout");
                return;
            }
            let Some((host, port)) = plan.target.clone() else {
                return;
            };
            server.host.log(&format!(
                "FAILOVER to {host}:{port} time out exceeded, failing over."
            ));
            plan.state = State::InProgress;
            (host, port)
        } else {
            let caught_up = |h: &crate::client::ClientHandle| h.repl.acked() == Some(offset);
            let found = match &plan.target {
                Some((host, port)) => find_replica(server, host, *port)
                    .filter(|h| caught_up(h))
                    .map(|_| (host.clone(), *port)),
                None => replicas(server)
                    .into_iter()
                    .find(|h| caught_up(h))
                    .map(|h| {
                        let port = h
                            .repl
                            .listening_port
                            .load(std::sync::atomic::Ordering::Relaxed);
                        (replica_ip(&h), port as u16)
                    }),
            };
            let Some((host, port)) = found else {
                return;
            };
            server.host.log(&format!(
                "Failover target {host}:{port} is synced, failing over."
            ));
            plan.target = Some((host.clone(), port));
            plan.state = State::InProgress;
            (host, port)
        }
    };
    super::replica::become_replica(server, &go.0, go.1);
}

/// The link to the target is up (it answered the PSYNC FAILOVER): the failover is over.
pub fn link_established(server: &Server) {
    if server.repl.failover.in_progress() {
        clear(server);
    }
}

/// The target refused the PSYNC FAILOVER: this server becomes a primary again.
pub fn target_rejected(server: &Server) {
    if server.repl.failover.in_progress() {
        abort(server, "Failover target rejected psync request");
    }
}

/// Gives up a failover (Redis's abortFailover): a server that already follows the target
/// becomes a primary again, and writes flow.
pub fn abort(server: &Server, why: &str) {
    let (state, target) = {
        let plan = server.repl.failover.plan.lock();
        (plan.state, plan.target.clone())
    };
    if state == State::None {
        return;
    }
    match target {
        Some((host, port)) => server
            .host
            .log(&format!("FAILOVER to {host}:{port} aborted: {why}")),
        None => server
            .host
            .log(&format!("FAILOVER to any replica aborted: {why}")),
    }
    if state == State::InProgress {
        super::replica::become_primary(server);
    }
    clear(server);
}

/// Ends the failover and lets the writes it held run (Redis's clearFailoverState).
fn clear(server: &Server) {
    *server.repl.failover.plan.lock() = Plan::default();
    server.keyspace.pause.set_failover(false);
    crate::admin::client_pause::wake_paused(server);
}
