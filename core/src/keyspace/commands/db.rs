//! Whole-database commands, as Redis's db.c keeps them: SELECT, SWAPDB, DBSIZE, FLUSHDB,
//! FLUSHALL.

use std::sync::atomic::Ordering;

use crate::command::{errors, Ctx};
use crate::keyspace::{DbShard, Release};

/// Parses an integer that must fit a C int (Redis's getIntFromObject).
fn parse_c_int(s: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(s).filter(|v| i32::try_from(*v).is_ok())
}

/// SELECT index. Redis parses the index as a 64-bit integer, then requires it to fit a C int,
/// then to name a database, each with its own error.
pub(super) fn select(ctx: &mut Ctx) {
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

pub(super) fn swapdb(ctx: &mut Ctx) {
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

pub(super) fn dbsize(ctx: &mut Ctx) {
    let n = ctx.server.keyspace.db_size(ctx.client.db);
    ctx.out.int(n as i64);
}

/// FLUSHDB/FLUSHALL's optional SYNC|ASYNC: whether the flush is asynchronous (without
/// either, as `lazyfree-lazy-user-flush` says), None after replying a syntax error.
fn flush_async(ctx: &mut Ctx) -> Option<bool> {
    match ctx.args.len() {
        1 => Some(ctx.server.keyspace.lazyfree.lazy(Release::UserFlush)),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"sync") => Some(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"async") => Some(true),
        _ => {
            ctx.syntax_error();
            None
        }
    }
}

/// The keys of emptied tables an asynchronous flush hands to the background freer as one
/// job counted by its keys (Redis's emptyDbAsync); a synchronous one clears in place.
#[derive(Default)]
struct Flushed {
    tables: Vec<DbShard>,
    keys: u64,
}

impl Flushed {
    /// Empties `table`: into the garbage when flushing asynchronously, in place otherwise.
    fn empty(&mut self, table: &mut DbShard, lazy: bool) {
        if !lazy || table.is_empty() {
            table.clear();
            return;
        }
        self.keys += table.len() as u64;
        let fresh = DbShard::new(*table.volatile.hasher());
        self.tables.push(std::mem::replace(table, fresh));
    }

    /// Hands the emptied tables to the host's background freer.
    fn free(self, ctx: &Ctx) {
        if !self.tables.is_empty() {
            let server = ctx.server;
            (server.keyspace.lazyfree).free_tables(&*server.host, self.tables, self.keys);
        }
    }
}

pub(super) fn flushdb(ctx: &mut Ctx) {
    let Some(lazy) = flush_async(ctx) else {
        return;
    };
    let db = ctx.client.db;
    let mut locked = ctx.lock();
    touch_flushed(&mut locked, db);
    let mut flushed = Flushed::default();
    for shard in locked.shards_mut() {
        flushed.empty(shard, lazy);
    }
    flushed.free(ctx);
    // Stream group readers blocked here learn their streams are gone.
    ctx.server.keyspace.blocking.signal_dbs(&[db]);
    // Caches are not per database: every tracking client drops everything, as in Redis.
    ctx.server.tracking.invalidate_all(&ctx.server.clients);
    ctx.out.ok();
}

/// Touches the watched keys of `db` that exist (stale or not) before it is emptied.
fn touch_flushed(locked: &mut crate::keyspace::Locked<'_>, db: usize) {
    let ks = locked.keyspace();
    if !ks.watches.any() {
        return;
    }
    let saved = locked.db;
    locked.db = db;
    ks.watches
        .touch_emptied(db, |key| locked.shard_mut(key).peek(key).is_some(), None);
    locked.db = saved;
}

pub(super) fn flushall(ctx: &mut Ctx) {
    let Some(lazy) = flush_async(ctx) else {
        return;
    };
    let mut locked = ctx.lock();
    for db in 0..ctx.server.keyspace.databases() {
        touch_flushed(&mut locked, db);
    }
    let mut flushed = Flushed::default();
    for shard in locked.all_dbs_mut() {
        for db in shard.dbs.iter_mut() {
            flushed.empty(db, lazy);
        }
    }
    flushed.free(ctx);
    let all: Vec<usize> = (0..ctx.server.keyspace.databases()).collect();
    ctx.server.keyspace.blocking.signal_dbs(&all);
    ctx.server.tracking.invalidate_all(&ctx.server.clients);
    drop(locked);
    crate::persistence::save_after_flushall(ctx);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

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
    fn dbsize_and_flushes() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["SET", "b", "1"]);
        c.cmd(&["SELECT", "1"]);
        c.cmd(&["SET", "c", "1"]);
        assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n");
        assert_eq!(
            c.cmd(&["DBSIZE", "x"]),
            "-ERR wrong number of arguments for 'dbsize' command\r\n"
        );
        assert_eq!(c.cmd(&["FLUSHDB", "x"]), "-ERR syntax error\r\n");
        assert_eq!(c.cmd(&["FLUSHDB", "SYNC"]), "+OK\r\n");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
        c.cmd(&["SELECT", "0"]);
        assert_eq!(c.cmd(&["DBSIZE"]), ":2\r\n");
        assert_eq!(
            c.cmd(&["FLUSHALL", "async", "sync"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(c.cmd(&["FLUSHALL", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
    }
}
