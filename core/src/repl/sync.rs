//! SYNC and PSYNC: a partial resynchronisation from the backlog when PSYNC allows one, else a
//! full one — the snapshot, then the stream (at once here in disk mode; diskless, when and
//! how `fullsync` says).

use crate::command::Ctx;
use std::sync::atomic::Ordering;

/// SYNC: the snapshot (`$<len>\r\n<rdb>` at once, or diskless `$EOF:` later, see
/// `fullsync`), then the propagation stream.
pub(super) fn sync(ctx: &mut Ctx) {
    if !already_replica(ctx) && may_sync(ctx) {
        asks(ctx);
        super::fullsync::full_sync(ctx, false);
    }
}

/// A replica (streaming or waiting for its snapshot) sending SYNC/PSYNC again is ignored,
/// as Redis ignores it.
fn already_replica(ctx: &Ctx) -> bool {
    ctx.client.observer.is_some() || ctx.client.handle.replica.load(Ordering::Relaxed)
}

fn asks(ctx: &Ctx) {
    let name = super::fullsync::replica_name(&ctx.client.handle);
    ctx.server
        .host
        .log(&format!("Replica {name} asks for synchronization"));
}

/// Redis's refusals of SYNC and PSYNC: during a FAILOVER, and on a replica whose own link
/// to its primary is not up.
fn may_sync(ctx: &mut Ctx) -> bool {
    let server = ctx.server;
    if server.repl.failover.active() {
        ctx.error("NOMASTERLINK Can't SYNC while failing over");
        return false;
    }
    if server.repl.replica.link_down() {
        ctx.error("NOMASTERLINK Can't SYNC while not connected with my master");
        return false;
    }
    true
}

/// `PSYNC <replid> <offset> FAILOVER`: the primary hands its role to this replica (Redis's
/// coordinated failover). Accepted when `replid` is this replica's history: it becomes a
/// primary and the PSYNC goes on as any other. Returns false when refused (the error sent).
fn failover_request(ctx: &mut Ctx) -> bool {
    let server = ctx.server;
    let replid = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    server
        .host
        .log(&format!("Failover request received for replid {replid}."));
    if !server.repl.replica.is_replica() {
        ctx.error("ERR PSYNC FAILOVER can't be sent to a master.");
        return false;
    }
    if replid != server.repl.primary.replid() {
        ctx.error("ERR PSYNC FAILOVER replid must match my replid.");
        return false;
    }
    super::replica::become_primary(server);
    server.host.log(&format!(
        "MASTER MODE enabled (failover request from '{}')",
        crate::repl::primary::replica_ip(&ctx.client.handle)
    ));
    true
}

/// PSYNC replid offset: `+CONTINUE` and the stream from `offset` when `replid` is this
/// server's history and the backlog still holds that offset (counted from 1, as Redis counts);
/// otherwise `+FULLRESYNC <replid> <offset>` and a full resynchronisation.
pub(super) fn psync(ctx: &mut Ctx) {
    if already_replica(ctx) {
        return;
    }
    if ctx.args.len() > 3 && ctx.arg(3).eq_ignore_ascii_case(b"failover") && !failover_request(ctx)
    {
        return;
    }
    if !may_sync(ctx) {
        return;
    }
    asks(ctx);
    let stats = &ctx.server.stats;
    if continue_from_backlog(ctx) {
        stats.sync_partial_ok.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if ctx.arg(1).starts_with(b"?") {
        let name = super::fullsync::replica_name(&ctx.client.handle);
        ctx.server
            .host
            .log(&format!("Full resync requested by replica {name}"));
    } else {
        stats.sync_partial_err.fetch_add(1, Ordering::Relaxed);
    }
    super::fullsync::full_sync(ctx, true);
}

/// The partial resynchronisation, if PSYNC's id and offset allow it.
fn continue_from_backlog(ctx: &mut Ctx) -> bool {
    let server = ctx.server;
    let primary = &server.repl.primary;
    let replid = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let Some(offset) = crate::util::num::parse_i64(ctx.arg(2)).and_then(|o| u64::try_from(o).ok())
    else {
        return false;
    };
    if offset == 0 || !primary.knows(&replid, offset) {
        return false;
    }
    let handle = ctx.client.handle.clone();
    let wake = Box::new(move || handle.waker.wake());
    let Some(reader) = server.keyspace.log.subscribe_at(offset - 1, Some(wake)) else {
        return false;
    };
    let line = if ctx.client.handle.repl.psync2.load(Ordering::Relaxed) {
        format!("+CONTINUE {}\r\n", primary.replid())
    } else {
        "+CONTINUE\r\n".to_string()
    };
    ctx.out.raw(line.as_bytes());
    attach(ctx, reader);
    server.host.log(&format!(
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog \
         starting from offset {offset}.",
        crate::repl::primary::replica_ip(&ctx.client.handle),
        server.keyspace.log.offset() + 1 - offset
    ));
    true
}

/// Makes the client a replica streaming from `reader`.
fn attach(ctx: &mut Ctx, reader: crate::propagate::LogReader) {
    ctx.client.observer = Some(reader);
    // Its lag counts from now until its first ACK (Redis's "prevent false timeout").
    let h = &ctx.client.handle;
    h.repl.ack_ms.store(ctx.now.ms(), Ordering::Relaxed);
    h.replica.store(true, Ordering::Relaxed);
}

/// Disk mode: `+FULLRESYNC` (PSYNC only) and `$<len>\r\n<rdb>` now, the stream right after
/// it. Runs under the exclusive exec gate (SYNC and PSYNC are EXCLUSIVE): no command runs,
/// so the snapshot is exactly the dataset at the stream offset the reader starts from.
pub(super) fn disk_full_resync(ctx: &mut Ctx, psync: bool) {
    let server = ctx.server;
    let handle = ctx.client.handle.clone();
    // The backlog exists from the first replica on, so a replica whose link breaks later can
    // continue from it.
    let backlog = server.config.read().repl_backlog_size.max(1) as usize;
    server.keyspace.log.set_backlog(backlog);
    let reader = server
        .keyspace
        .log
        .subscribe_replica(Some(Box::new(move || handle.waker.wake())));
    let offset = reader.offset();
    let replid = server.repl.primary.replid();
    let rdb = snapshot_rdb(server, ctx.now.ms(), &replid, offset);
    if psync {
        let line = format!("FULLRESYNC {replid} {offset}");
        ctx.out.simple(line.as_bytes());
    }
    ctx.out.raw(format!("${}\r\n", rdb.len()).as_bytes());
    ctx.out.raw(&rdb);
    attach(ctx, reader);
    let name = super::fullsync::replica_name(&ctx.client.handle);
    server
        .host
        .log(&format!("Synchronization with replica {name} succeeded"));
}

/// The dataset as an RDB file whose AUX fields name `replid` and `offset`; the caller holds
/// the exec gate exclusively.
pub(super) fn snapshot_rdb(
    server: &crate::server::Server,
    now_ms: u64,
    replid: &str,
    offset: u64,
) -> Vec<u8> {
    let aux = [
        ("redis-ver", crate::admin::hello::REDIS_VERSION.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", (now_ms / 1000).to_string()),
        ("repl-id", replid.to_string()),
        ("repl-offset", offset.to_string()),
    ];
    let ks = &server.keyspace;
    let compress = server.config.read().rdbcompression;
    let snapshot = crate::persist::snapshot::Snapshot::at_once(ks, now_ms, compress);
    snapshot.set_preamble(server.scripting.functions.rdb_entries(compress));
    snapshot.to_bytes(ks, &aux)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn sync_sends_the_snapshot_then_streams_every_change() {
        let srv = server();
        let mut writer = TestClient::new(&srv);
        writer.cmd(&["SET", "before", "1"]);
        let mut observer = TestClient::new(&srv);
        let first = observer.raw(&crate::testkit::frame(&["SYNC"]));
        let text = String::from_utf8_lossy(&first).into_owned();
        let header_end = text.find("\r\n").expect("a bulk header");
        let len: usize = text[1..header_end].parse().expect("a length");
        assert!(text.starts_with('$'));
        assert_eq!(
            first.len(),
            header_end + 2 + len,
            "nothing after the payload yet"
        );
        assert!(first[header_end + 2..].starts_with(b"REDIS0010"));
        writer.cmd(&["SET", "k", "v"]);
        writer.cmd(&["SELECT", "2"]);
        writer.cmd(&["INCR", "n"]);
        assert_eq!(
            observer.poll(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
        );
        drop(observer);
        // With the observer gone nothing is retained any more.
        writer.cmd(&["SET", "k", "w"]);
    }

    #[test]
    fn psync_answers_fullresync_with_the_offset() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let out = c.raw(&crate::testkit::frame(&["PSYNC", "?", "-1"]));
        let text = String::from_utf8_lossy(&out).into_owned();
        assert!(
            text.starts_with(&format!("+FULLRESYNC {} 0\r\n$", srv.repl.primary.replid())),
            "{text}"
        );
    }
}

#[cfg(all(test, not(loom)))]
mod backlog_tests {
    use crate::testkit::{frame, server, TestClient};

    /// The `+FULLRESYNC <id> <offset>` line and the RDB of a PSYNC's reply, skipped.
    fn replid_after_full_sync(c: &mut TestClient, args: &[&str]) -> String {
        let out = c.raw(&frame(args));
        let text = String::from_utf8_lossy(&out).into_owned();
        let line = text.lines().next().unwrap_or_default().to_string();
        assert!(line.starts_with("+FULLRESYNC "), "{line}");
        line.split(' ').nth(1).unwrap_or_default().to_string()
    }

    #[test]
    fn psync_continues_from_the_backlog_and_refuses_what_it_lost() {
        let srv = server();
        let mut writer = TestClient::new(&srv);
        let mut first = TestClient::new(&srv);
        assert_eq!(
            // Without capa eof: the disk-mode reply, at once.
            first.cmd(&["REPLCONF", "capa", "psync2"]),
            "+OK\r\n"
        );
        let replid = replid_after_full_sync(&mut first, &["PSYNC", "?", "-1"]);
        writer.cmd(&["SET", "k", "v"]);
        let streamed = first.poll();
        let offset = srv.keyspace.log.offset();
        assert_eq!(offset as usize, streamed.len());
        drop(first);
        writer.cmd(&["SET", "k2", "v2"]);
        // A replica that had read everything up to `offset` continues after it.
        let mut again = TestClient::new(&srv);
        again.cmd(&["REPLCONF", "capa", "psync2"]);
        let next = (offset + 1).to_string();
        let reply = again.raw(&frame(&["PSYNC", &replid, &next]));
        let text = String::from_utf8_lossy(&reply).into_owned();
        assert!(
            text.starts_with(&format!("+CONTINUE {replid}\r\n")),
            "{text}"
        );
        let text = text + &again.poll();
        assert!(
            text.ends_with("*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$2\r\nv2\r\n"),
            "{text}"
        );
        // An offset past the end, and an unknown id, need a full resync.
        let mut far = TestClient::new(&srv);
        let beyond = (srv.keyspace.log.offset() + 10).to_string();
        replid_after_full_sync(&mut far, &["PSYNC", &replid, &beyond]);
        let mut other = TestClient::new(&srv);
        replid_after_full_sync(
            &mut other,
            &["PSYNC", "0123456789012345678901234567890123456789", "1"],
        );
    }

    #[test]
    fn the_backlog_keeps_only_its_size_once_every_replica_read_it() {
        let srv = server();
        let log = &srv.keyspace.log;
        assert_eq!(log.backlog(), None);
        log.set_backlog(100);
        let mut writer = TestClient::new(&srv);
        for i in 0..50 {
            writer.cmd(&["SET", "key", &i.to_string()]);
        }
        let (size, first, histlen) = log.backlog().expect("a backlog");
        assert_eq!(size, 100);
        assert!((100..200).contains(&histlen), "{histlen}");
        assert_eq!(first + histlen, log.offset() + 1);
        // Only offsets the backlog holds can be continued from.
        assert!(log.subscribe_at(first - 1, None).is_some());
        assert!(log.subscribe_at(first - 2, None).is_none());
        assert!(log.subscribe_at(log.offset() + 1, None).is_none());
    }

    #[test]
    fn replconf_wait_and_role_as_redis_answers_them() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["REPLCONF", "listening-port", "6380"]), "+OK\r\n");
        assert_eq!(
            c.cmd(&["REPLCONF", "listening-port"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            c.cmd(&["REPLCONF", "nosuch", "1"]),
            "-ERR Unrecognized REPLCONF option: nosuch\r\n"
        );
        assert_eq!(
            c.cmd(&["REPLCONF", "listening-port", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        // Not a replica: ACK is ignored, without a reply; WAIT with no replicas answers 0.
        assert_eq!(c.raw(&frame(&["REPLCONF", "ACK", "10"])), b"");
        assert_eq!(c.cmd(&["WAIT", "0", "0"]), ":0\r\n");
        assert_eq!(c.cmd(&["WAIT", "1", "-1"]), "-ERR timeout is negative\r\n");
        assert_eq!(c.cmd(&["ROLE"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
        // A replica that acknowledges what a writer wrote lets the writer's WAIT return.
        let mut replica = TestClient::new(&srv);
        replica.cmd(&["REPLCONF", "listening-port", "6380"]);
        replid_after_full_sync(&mut replica, &["PSYNC", "?", "-1"]);
        c.cmd(&["SET", "k", "v"]);
        let woff = srv.keyspace.log.offset();
        assert_eq!(c.cmd(&["WAIT", "1", "0"]), "");
        replica.raw(&frame(&["REPLCONF", "ACK", &woff.to_string()]));
        assert_eq!(c.poll(), ":1\r\n");
        let role = c.cmd(&["ROLE"]);
        assert!(
            role.contains("$9\r\n127.0.0.1\r\n$4\r\n6380\r\n") || role.contains("$4\r\n6380\r\n"),
            "{role}"
        );
    }
}
