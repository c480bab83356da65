//! SYNC and PSYNC: a full resynchronisation — the snapshot, then the stream.

use crate::command::Ctx;

/// SYNC: `$<len>\r\n<rdb>` (no trailing CRLF), then the propagation stream.
pub(super) fn sync(ctx: &mut Ctx) {
    full_resync(ctx, false);
}

/// PSYNC replid offset: lode keeps no backlog to continue from yet, so every PSYNC is answered
/// `+FULLRESYNC <replid> <offset>` and a full resynchronisation, as Redis answers a PSYNC it
/// cannot continue.
pub(super) fn psync(ctx: &mut Ctx) {
    full_resync(ctx, true);
}

fn full_resync(ctx: &mut Ctx, psync: bool) {
    // Already streaming: Redis ignores a second SYNC from a replica.
    if ctx.client.observer.is_some() {
        return;
    }
    let server = ctx.server;
    let ks = &server.keyspace;
    // The exec gate is held exclusively (SYNC and PSYNC are EXCLUSIVE): no command runs, so the
    // snapshot is exactly the dataset at the stream offset the reader starts from.
    let handle = ctx.client.handle.clone();
    let reader = ks
        .log
        .subscribe_waking(Some(Box::new(move || handle.waker.wake())));
    let offset = reader.offset();
    let aux = [
        ("redis-ver", crate::admin::hello::REDIS_VERSION.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", ctx.now.secs().to_string()),
        ("repl-id", server.run_id.clone()),
        ("repl-offset", offset.to_string()),
    ];
    let compress = server.config.read().rdbcompression;
    let snapshot = crate::persist::snapshot::Snapshot::at_once(ks, ctx.now.ms(), compress);
    snapshot.set_preamble(server.scripting.functions.rdb_entries(compress));
    let rdb = snapshot.to_bytes(ks, &aux);
    if psync {
        let line = format!("FULLRESYNC {} {offset}", server.run_id);
        ctx.out.simple(line.as_bytes());
    }
    ctx.out.raw(format!("${}\r\n", rdb.len()).as_bytes());
    ctx.out.raw(&rdb);
    ctx.client.observer = Some(reader);
    ctx.client
        .handle
        .replica
        .store(true, std::sync::atomic::Ordering::Relaxed);
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
            text.starts_with(&format!("+FULLRESYNC {} 0\r\n$", srv.run_id)),
            "{text}"
        );
    }
}
