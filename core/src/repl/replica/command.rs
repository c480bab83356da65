//! REPLICAOF / SLAVEOF host port | NO ONE, as Redis 7.0's replicaofCommand.

use crate::command::Ctx;

/// REPLICAOF host port, REPLICAOF NO ONE (SLAVEOF is the same handler). The link itself is
/// made by the host's replication driver, which follows [`super::Replica::target`]; the
/// reply comes at once, as in Redis.
pub fn replicaof(ctx: &mut Ctx) {
    let (host, port) = (ctx.arg(1), ctx.arg(2));
    let repl = &ctx.server.repl.replica;
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        if repl.promote() {
            promote(ctx);
        }
        ctx.server.keyspace.pause.hold_for_replica(false);
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
    ctx.server.keyspace.pause.hold_for_replica(true);
    if !repl.set_primary(&host, port) {
        ctx.out.simple(b"OK Already connected to specified master");
        return;
    }
    unblock_all(ctx);
    ctx.out.ok();
}

/// Ends every blocked command with Redis's error when this server becomes a replica (its
/// disconnectAllBlockedClients): served later by the primary's stream, a pop would take an
/// element the primary still has.
fn unblock_all(ctx: &mut Ctx) {
    let server = ctx.server;
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

/// This server's history continues the primary's under a new id (the old one stays valid
/// for PSYNC up to here, Redis's shiftReplicationId); its own writes enter the stream again,
/// and its replicas are disconnected to learn the new id (they can continue with PSYNC).
fn promote(ctx: &mut Ctx) {
    let server = ctx.server;
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
        assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
        assert_eq!(srv.repl.replica.promoted_from(), None);
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
