//! REPLICAOF / SLAVEOF host port | NO ONE, as Redis 7.0's replicaofCommand.

use crate::command::Ctx;
use crate::server::Server;

/// REPLICAOF host port, REPLICAOF NO ONE (SLAVEOF is the same handler). The link itself is
/// made by the host's replication driver, which follows [`super::Replica::target`]; the
/// reply comes at once, as in Redis.
pub fn replicaof(ctx: &mut Ctx) {
    let (host, port) = (ctx.arg(1), ctx.arg(2));
    if ctx.server.repl.failover.active() {
        ctx.error("ERR REPLICAOF not allowed while failing over.");
        return;
    }
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        if ctx.server.repl.replica.is_replica() {
            become_primary(ctx.server);
            ctx.server.host.log("MASTER MODE enabled (user request)");
        }
        ctx.out.ok();
        return;
    }
    if ctx
        .client
        .handle
        .replica
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        ctx.error("ERR Command is not valid when client is a replica.");
        return;
    }
    let port = match crate::util::num::parse_i64(port) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => {
            ctx.error("ERR Invalid master port");
            return;
        }
    };
    let host = String::from_utf8_lossy(host).into_owned();
    if !become_replica(ctx.server, &host, port) {
        ctx.out.simple(b"OK Already connected to specified master");
        return;
    }
    ctx.server
        .host
        .log(&format!("REPLICAOF {host}:{port} enabled (user request)"));
    ctx.out.ok();
}

/// Follows `host:port` from now on (Redis's replicationSetMaster): false when it already
/// does. Expiry is held, blocked commands end, this server's replicas are disconnected (they
/// learn the new history when they reconnect, with PSYNC), and a primary keeps its own
/// history as the cached primary, so it can continue from it with PSYNC.
pub fn become_replica(server: &Server, host: &str, port: u16) -> bool {
    let repl = &server.repl.replica;
    let was_primary = !repl.is_replica();
    server.keyspace.pause.hold_for_replica(true);
    // Cached before the primary is set: the driver may start the handshake at once.
    if was_primary {
        let own = (
            server.repl.primary.replid(),
            server.keyspace.log.offset() as i64,
        );
        repl.set_cached(Some(own));
    }
    if !repl.set_primary(host, port) {
        return false;
    }
    for h in crate::repl::primary::replicas(server) {
        h.kill();
    }
    unblock_all(server);
    true
}

/// Ends every blocked command with Redis's error when this server becomes a replica (its
/// disconnectAllBlockedClients): served later by the primary's stream, a pop would take an
/// element the primary still has.
fn unblock_all(server: &Server) {
    for h in server.clients.snapshot() {
        let waiter = h.blocked.lock().clone();
        if let Some(w) = waiter {
            let mut out = w.writer();
            out.error(
                "UNBLOCKED force unblock from blocking operation, instance state changed \
                 (master -> replica?)",
            );
            crate::blocking::settle(server, &w, out.buf);
        }
    }
}

/// Stops following a primary (REPLICAOF NO ONE, a FAILOVER handing this replica the role,
/// or one aborted half way): this server's history continues the primary's under a new id
/// (the old one stays valid for PSYNC up to here, Redis's shiftReplicationId); its own
/// writes enter the stream again, and its replicas are disconnected to learn the new id
/// (they can continue with PSYNC).
pub fn become_primary(server: &Server) {
    if !server.repl.replica.promote() {
        return;
    }
    server.keyspace.pause.hold_for_replica(false);
    let log = &server.keyspace.log;
    let new_id = crate::repl::primary::random_id(&mut server.rng.lock());
    server.repl.primary.shift_replid(new_id, log.offset());
    log.set_muted(false);
    log.force_select();
    for h in crate::repl::primary::replicas(server) {
        h.kill();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn replicaof_sets_and_clears_the_primary() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
        assert!(!srv.repl.replica.is_replica());
        assert_eq!(
            c.cmd(&["REPLICAOF", "127.0.0.1", "70000"]),
            "-ERR Invalid master port\r\n"
        );
        assert_eq!(
            c.cmd(&["REPLICAOF", "127.0.0.1", "x"]),
            "-ERR Invalid master port\r\n"
        );
        assert_eq!(c.cmd(&["REPLICAOF", "127.0.0.1", "6379"]), "+OK\r\n");
        let st = srv.repl.replica.status().expect("a replica");
        assert_eq!(
            (st.host.as_str(), st.port, st.state),
            ("127.0.0.1", 6379, "connect")
        );
        assert_eq!(
            c.cmd(&["SLAVEOF", "127.0.0.1", "6379"]),
            "+OK Already connected to specified master\r\n"
        );
        assert_eq!(
            c.cmd(&["SET", "k", "v"]),
            "-READONLY You can't write against a read only replica.\r\n"
        );
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n");
        c.cmd(&["CONFIG", "SET", "replica-serve-stale-data", "no"]);
        assert_eq!(
            c.cmd(&["GET", "k"]),
            "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
        );
        let id = srv.repl.primary.replid();
        assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
        // The history goes on under a new id; the old one stays valid up to here.
        assert_ne!(srv.repl.primary.replid(), id);
        assert_eq!(srv.repl.primary.replid2(), (id, 1));
    }

    #[test]
    fn becoming_a_replica_ends_blocked_commands() {
        let srv = server();
        let mut blocked = TestClient::new(&srv);
        assert_eq!(blocked.cmd(&["BLPOP", "foo", "0"]), "");
        let mut admin = TestClient::new(&srv);
        assert_eq!(admin.cmd(&["REPLICAOF", "127.0.0.1", "1"]), "+OK\r\n");
        assert_eq!(
            blocked.poll(),
            "-UNBLOCKED force unblock from blocking operation, instance state changed \
             (master -> replica?)\r\n"
        );
        admin.cmd(&["REPLICAOF", "NO", "ONE"]);
    }
}
