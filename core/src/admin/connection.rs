//! Connection commands: PING, ECHO, SELECT, SWAPDB, QUIT, RESET.

use std::sync::atomic::Ordering;

use super::util::parse_c_int;
use crate::command::{errors, Ctx, Handler};

/// The connection commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("select", select),
    ("swapdb", swapdb),
    ("quit", quit),
    ("reset", reset),
];

// The RESP2 subscribed-client form ("*2 pong <msg>") belongs with pub/sub, which tracks
// whether the client is subscribed.
fn ping(ctx: &mut Ctx) {
    match ctx.args.len() {
        1 => ctx.out.simple(b"PONG"),
        2 => ctx.out.bulk(ctx.arg(1)),
        _ => ctx.arity_error(),
    }
}

fn echo(ctx: &mut Ctx) {
    ctx.out.bulk(ctx.arg(1));
}

/// SELECT index. Redis parses the index as a 64-bit integer, then requires it to fit a C int,
/// then to name a database, each with its own error.
fn select(ctx: &mut Ctx) {
    let Some(db) = ctx.int_arg(1) else { return };
    if i32::try_from(db).is_err() {
        return ctx.error(errors::NOT_INT32);
    }
    let Some(db) = usize::try_from(db)
        .ok()
        .filter(|&db| db < ctx.server.keyspace.databases())
    else {
        return ctx.error(errors::DB_RANGE);
    };
    ctx.client.db = db;
    ctx.client.handle.db.store(db, Ordering::Relaxed);
    ctx.out.ok();
}

fn swapdb(ctx: &mut Ctx) {
    let Some(a) = parse_c_int(ctx.arg(1)) else {
        return ctx.error("ERR invalid first DB index");
    };
    let Some(b) = parse_c_int(ctx.arg(2)) else {
        return ctx.error("ERR invalid second DB index");
    };
    let n = ctx.server.keyspace.databases() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return ctx.error(errors::DB_RANGE);
    }
    if a != b {
        // Every shard (SWAPDB is WHOLE_KEYSPACE): the swap is atomic to all other commands.
        let (a, b) = (a as usize, b as usize);
        let mut all = ctx.lock();
        touch_swapped(&mut all, a, b, ctx.now.ms());
        touch_swapped(&mut all, b, a, ctx.now.ms());
        for shard in all.all_dbs_mut() {
            shard.dbs.swap(a, b);
        }
        // Clients blocked on keys of either database look again: the keys may now hold data.
        ctx.server.keyspace.blocking.signal_dbs(&[a, b]);
    }
    ctx.out.ok();
}

/// Touches the watched keys of `db` that SWAPDB changes when `other` takes its place (Redis's
/// touchAllWatchedKeysInDb: keys in either database, with its rules for stale keys).
fn touch_swapped(all: &mut crate::keyspace::Locked<'_>, db: usize, other: usize, now: u64) {
    let ks = all.keyspace();
    if !ks.watches.any() {
        return;
    }
    let saved = all.db;
    let all = std::cell::RefCell::new(all);
    let look = |d: usize, key: &[u8]| {
        let mut l = all.borrow_mut();
        l.db = d;
        let e = l.shard_mut(key).peek(key);
        (e.is_some(), e.is_some_and(|e| e.is_expired(now)))
    };
    let replaced = |key: &[u8]| look(other, key);
    ks.watches
        .touch_emptied(db, |key| look(db, key).0, Some(&replaced));
    all.borrow_mut().db = saved;
}

fn quit(ctx: &mut Ctx) {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
}

/// RESET: back to a freshly connected client's state (db 0, RESP2, no name, no-evict and
/// no-touch off). State owned by other modules (transactions, subscriptions, tracking) is
/// reset by those modules when they exist.
fn reset(ctx: &mut Ctx) {
    ctx.client.reset_transaction(ctx.server);
    ctx.client.reply = crate::session::ReplyMode::On;
    ctx.client.db = 0;
    ctx.client.no_evict = false;
    ctx.client.no_touch = false;
    ctx.out.resp3 = false;
    let h = &ctx.client.handle;
    h.db.store(0, Ordering::Relaxed);
    h.resp.store(2, Ordering::Relaxed);
    h.no_evict.store(false, Ordering::Relaxed);
    h.no_touch.store(false, Ordering::Relaxed);
    *h.name.lock() = None;
    ctx.out.simple(b"RESET");
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn ping_echo_select() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
        assert_eq!(c.cmd(&["PING", "hi"]), "$2\r\nhi\r\n");
        assert_eq!(
            c.cmd(&["PING", "a", "b"]),
            "-ERR wrong number of arguments for 'ping' command\r\n"
        );
        assert_eq!(
            c.cmd(&["ECHO"]),
            "-ERR wrong number of arguments for 'echo' command\r\n"
        );
        assert_eq!(
            c.cmd(&["SELECT", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["SELECT", "-1"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["SELECT", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        // Each answer below is what redis-server 7.0.15 replied.
        let not_int32 =
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n";
        for outside_int in [
            "2147483648",
            "-2147483649",
            "4294967296",
            "9223372036854775807",
        ] {
            assert_eq!(c.cmd(&["SELECT", outside_int]), not_int32, "{outside_int}");
        }
        for not_int in ["9223372036854775808", "1.5", "", " 1", "0x1", "-0", "1e3"] {
            assert_eq!(
                c.cmd(&["SELECT", not_int]),
                "-ERR value is not an integer or out of range\r\n",
                "{not_int:?}"
            );
        }
        for no_db in ["2147483647", "-2147483648", "-1", "16"] {
            assert_eq!(
                c.cmd(&["SELECT", no_db]),
                "-ERR DB index is out of range\r\n",
                "{no_db}"
            );
        }
        assert_eq!(c.cmd(&["SELECT", "3"]), "+OK\r\n");
    }

    #[test]
    fn swapdb_swaps_every_shard() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(
            c.cmd(&["SWAPDB", "0", "x"]),
            "-ERR invalid second DB index\r\n"
        );
        assert_eq!(
            c.cmd(&["SWAPDB", "x", "0"]),
            "-ERR invalid first DB index\r\n"
        );
        assert_eq!(
            c.cmd(&["SWAPDB", "0", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["SWAPDB", "-1", "0"]),
            "-ERR DB index is out of range\r\n"
        );
        for k in ["a", "b", "c", "{x}1", "zz"] {
            c.cmd(&["SET", k, "v"]);
        }
        assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), "+OK\r\n");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
        c.cmd(&["SELECT", "1"]);
        assert_eq!(c.cmd(&["DBSIZE"]), ":5\r\n");
        assert_eq!(c.cmd(&["GET", "zz"]), "$1\r\nv\r\n");
        assert_eq!(c.cmd(&["SWAPDB", "1", "1"]), "+OK\r\n");
    }

    #[test]
    fn quit_and_reset() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["SELECT", "2"]);
        c.cmd(&["CLIENT", "SETNAME", "me"]);
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
        c.cmd(&["SELECT", "2"]);
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n");
        assert_eq!(c.cmd(&["QUIT"]), "+OK\r\n");
        assert!(c.session.is_closing());
    }
}
