//! Transactions: MULTI/EXEC/DISCARD and optimistic locking with WATCH/UNWATCH.
//!
//! EXEC runs its queued commands while holding the server's exec gate exclusively (sessions
//! hold it shared while they execute a batch, the active expiry cycle while it runs), so no
//! other command interleaves — the isolation Redis gets from its single thread. What the queued
//! commands propagate is gathered and appended to the propagation stream as one unit (wrapped in
//! MULTI … EXEC when there is more than one). WATCH follows Redis 7.0's rules exactly; the
//! bookkeeping lives in `keyspace::watch`.

use std::sync::atomic::Ordering;

use crate::command::{dispatch, Ctx, Handler};

/// The transaction commands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

pub use crate::client::Multi;

fn multi(ctx: &mut Ctx) {
    if ctx.client.multi.is_some() {
        return ctx.error("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Multi::default());
    ctx.client.handle.multi.store(0, Ordering::Relaxed);
    ctx.out.ok();
}

fn discard(ctx: &mut Ctx) {
    if ctx.client.multi.is_none() {
        return ctx.error("ERR DISCARD without MULTI");
    }
    ctx.client.reset_transaction(&ctx.server.keyspace.watches);
    ctx.out.ok();
}

fn watch(ctx: &mut Ctx) {
    if ctx.client.multi.is_some() {
        return ctx.error("ERR WATCH inside MULTI is not allowed");
    }
    let db = ctx.client.db;
    let now = ctx.now.ms();
    let ks = &ctx.server.keyspace;
    let mut locked = ctx.lock();
    for key in &ctx.args[1..] {
        // Looked at without expiring it: a key that is already stale is watched as such.
        let stale = locked
            .shard_mut(key)
            .peek(key)
            .is_some_and(|e| e.is_expired(now));
        ks.watches.watch(&mut ctx.client.watched, db, key, stale);
    }
    drop(locked);
    ctx.out.ok();
}

fn unwatch(ctx: &mut Ctx) {
    ctx.server.keyspace.watches.clear(&mut ctx.client.watched);
    ctx.out.ok();
}

/// Whether a watched key changed, or has expired since it was watched (Redis's
/// isWatchedKeyExpired: expiry that no command has acted on yet still counts).
fn watched_dirty(ctx: &mut Ctx) -> bool {
    let w = &ctx.client.watched;
    if w.is_dirty() {
        return true;
    }
    let ks = &ctx.server.keyspace;
    let now = ctx.now.ms();
    w.live_keys().any(|(db, key)| {
        ks.lock_one(db, key, now)
            .shard_mut(key)
            .peek(key)
            .is_some_and(|e| e.is_expired(now))
    })
}

fn exec(ctx: &mut Ctx) {
    let Some(multi) = ctx.client.multi.take() else {
        return ctx.error("ERR EXEC without MULTI");
    };
    if multi.aborted {
        ctx.client.reset_transaction(&ctx.server.keyspace.watches);
        return ctx.error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watched_dirty(ctx) {
        ctx.client.reset_transaction(&ctx.server.keyspace.watches);
        return ctx.out.null_array();
    }
    ctx.server.keyspace.watches.clear(&mut ctx.client.watched);
    ctx.out.array(multi.queue.len());
    // CLIENT LIST keeps showing the transaction (flag x, multi=N) while it executes.
    ctx.client.in_exec = true;
    // EXEC holds the exec gate exclusively: whatever is appended meanwhile is this
    // transaction's, and enters the stream as one unit.
    let log = &ctx.server.keyspace.log;
    log.begin_capture();
    // Once a queued command closes the client (CLIENT KILL of itself), the rest still run
    // but, as Redis adds no reply to a client about to close, reply nothing.
    let mut closed_at = None;
    for args in &multi.queue {
        dispatch::call(ctx.server, ctx.client, ctx.out, args, ctx.now);
        match closed_at {
            Some(at) => ctx.out.buf.truncate(at),
            None if ctx.client.close_after_reply => closed_at = Some(ctx.out.buf.len()),
            None => {}
        }
    }
    log.end_capture();
    ctx.client.in_exec = false;
    ctx.client.handle.multi.store(-1, Ordering::Relaxed);
    ctx.client.handle.multi_mem.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn exec_runs_queued_commands_and_watch_aborts() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        let mut b = TestClient::new(&srv);
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(a.cmd(&["SET", "k", "1"]), "+QUEUED\r\n");
        assert_eq!(a.cmd(&["INCR", "k"]), "+QUEUED\r\n");
        assert_eq!(b.cmd(&["GET", "k"]), "$-1\r\n");
        assert_eq!(a.cmd(&["EXEC"]), "*2\r\n+OK\r\n:2\r\n");
        assert_eq!(a.cmd(&["WATCH", "k"]), "+OK\r\n");
        assert_eq!(b.cmd(&["SET", "k", "5"]), "+OK\r\n");
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(a.cmd(&["INCR", "k"]), "+QUEUED\r\n");
        assert_eq!(a.cmd(&["EXEC"]), "*-1\r\n");
        assert_eq!(a.cmd(&["WATCH", "other"]), "+OK\r\n");
        assert_eq!(b.cmd(&["SET", "k", "6"]), "+OK\r\n");
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(a.cmd(&["INCR", "k"]), "+QUEUED\r\n");
        assert_eq!(a.cmd(&["EXEC"]), "*1\r\n:7\r\n");
    }

    #[test]
    fn queueing_errors_abort_and_state_errors() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        assert_eq!(a.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
        assert_eq!(a.cmd(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(a.cmd(&["MULTI"]), "-ERR MULTI calls can not be nested\r\n");
        assert_eq!(
            a.cmd(&["WATCH", "k"]),
            "-ERR WATCH inside MULTI is not allowed\r\n"
        );
        assert_eq!(
            a.cmd(&["GET"]),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(
            a.cmd(&["EXEC"]),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(a.cmd(&["SET", "k", "v"]), "+QUEUED\r\n");
        assert_eq!(a.cmd(&["DISCARD"]), "+OK\r\n");
        assert_eq!(a.cmd(&["EXISTS", "k"]), ":0\r\n");
    }

    #[test]
    fn no_reply_follows_the_client_killing_itself_in_exec() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        let id = a.session.id().to_string();
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "ID", &id, "SKIPME", "no"]),
            "+QUEUED\r\n"
        );
        assert_eq!(a.cmd(&["SET", "k", "v"]), "+QUEUED\r\n");
        assert_eq!(a.cmd(&["EXEC"]), "*2\r\n:1\r\n");
        assert!(a.session.is_closing());
        let mut b = TestClient::new(&srv);
        assert_eq!(b.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    }

    #[test]
    fn watched_key_expiring_aborts() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        assert_eq!(a.cmd(&["SET", "k", "v", "PX", "20"]), "+OK\r\n");
        assert_eq!(a.cmd(&["WATCH", "k"]), "+OK\r\n");
        a.advance_ms(60);
        assert_eq!(a.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(a.cmd(&["GET", "k"]), "+QUEUED\r\n");
        assert_eq!(a.cmd(&["EXEC"]), "*-1\r\n");
    }
}
