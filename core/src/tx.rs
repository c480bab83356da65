//! Transactions: MULTI/EXEC/DISCARD and optimistic locking with WATCH/UNWATCH.
//!
//! EXEC runs its queued commands while holding the server's exec gate exclusively (sessions
//! hold it shared while they execute a batch), so no other command interleaves — the isolation
//! Redis gets from its single thread. WATCH is conservative: any successful write command that
//! names a watched key (in any database) marks its watchers dirty, as does any keyless write
//! (FLUSHALL, SWAPDB, ...); Redis is finer in a few corners (a SET NX that did nothing), so lode
//! may abort an EXEC Redis would run, never the reverse.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::command::{dispatch, Command, Ctx, Handler};
use crate::util::small_bytes::SmallBytes;

/// The transaction commands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

/// An open transaction: the commands queued since MULTI.
#[derive(Default)]
pub struct Multi {
    /// Queued commands, arguments included.
    pub queue: Vec<Vec<Bytes>>,
    /// A command was rejected while queueing: EXEC must fail with EXECABORT.
    pub aborted: bool,
}

/// Which clients watch which keys, server-wide.
#[derive(Default)]
pub struct WatchRegistry {
    watching: AtomicUsize,
    keys: Mutex<HashMap<SmallBytes, Vec<Arc<AtomicBool>>>>,
}

impl WatchRegistry {
    /// Marks the watchers of the keys a successful write command touched as dirty.
    pub fn touch_command(&self, cmd: &Command, args: &[Bytes]) {
        if self.watching.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut idx: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
        for spec in &cmd.key_specs {
            spec.extract(args, &mut idx);
        }
        let keys = self.keys.lock();
        if idx.is_empty() {
            keys.values()
                .flatten()
                .for_each(|f| f.store(true, Ordering::Relaxed));
            return;
        }
        for i in idx {
            if let Some(flags) = keys.get(&args[i][..]) {
                flags.iter().for_each(|f| f.store(true, Ordering::Relaxed));
            }
        }
    }
}

impl WatchRegistry {
    /// Marks the watchers of `args[i]` for each `i` in `keys` as dirty: the keys a command
    /// reported it modified ([`Ctx::modified`]).
    pub fn touch_args(&self, args: &[Bytes], keys: &[usize]) {
        if self.watching.load(Ordering::Relaxed) == 0 || keys.is_empty() {
            return;
        }
        let map = self.keys.lock();
        for &i in keys {
            if let Some(flags) = args.get(i).and_then(|k| map.get(&k[..])) {
                flags.iter().for_each(|f| f.store(true, Ordering::Relaxed));
            }
        }
    }
}

/// The keys one client watches.
#[derive(Default)]
pub struct Watched {
    dirty: Arc<AtomicBool>,
    /// (db, key, whether the key existed when watched).
    keys: Vec<(usize, SmallBytes, bool)>,
}

impl Watched {
    /// Stops watching everything.
    pub fn clear(&mut self, registry: &WatchRegistry) {
        if self.keys.is_empty() {
            return;
        }
        let mut map = registry.keys.lock();
        for (_, key, _) in self.keys.drain(..) {
            if let Some(flags) = map.get_mut(&*key) {
                flags.retain(|f| !Arc::ptr_eq(f, &self.dirty));
                if flags.is_empty() {
                    map.remove(&*key);
                }
            }
        }
        registry.watching.store(map.len(), Ordering::Relaxed);
        self.dirty.store(false, Ordering::Relaxed);
    }
}

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
    ctx.client.reset_transaction(ctx.server);
    ctx.out.ok();
}

fn watch(ctx: &mut Ctx) {
    if ctx.client.multi.is_some() {
        return ctx.error("ERR WATCH inside MULTI is not allowed");
    }
    let db = ctx.client.db;
    let mut locked = ctx.lock();
    let mut map = ctx.server.watches.keys.lock();
    for key in &ctx.args[1..] {
        if ctx
            .client
            .watched
            .keys
            .iter()
            .any(|(d, k, _)| *d == db && **k == key[..])
        {
            continue;
        }
        let exists = locked.contains(key);
        let key = SmallBytes::new(key);
        map.entry(key.clone())
            .or_default()
            .push(ctx.client.watched.dirty.clone());
        ctx.client.watched.keys.push((db, key, exists));
    }
    ctx.server
        .watches
        .watching
        .store(map.len(), Ordering::Relaxed);
    ctx.out.ok();
}

fn unwatch(ctx: &mut Ctx) {
    ctx.client.watched.clear(&ctx.server.watches);
    ctx.out.ok();
}

/// Whether a watched key changed, including by expiry (which runs no command).
fn watched_dirty(ctx: &mut Ctx) -> bool {
    let w = &ctx.client.watched;
    if w.dirty.load(Ordering::Relaxed) {
        return true;
    }
    let ks = &ctx.server.keyspace;
    w.keys
        .iter()
        .any(|(db, key, existed)| *existed && !ks.lock_one(*db, key, ctx.now.ms()).contains(key))
}

fn exec(ctx: &mut Ctx) {
    let Some(multi) = ctx.client.multi.take() else {
        return ctx.error("ERR EXEC without MULTI");
    };
    if multi.aborted {
        ctx.client.reset_transaction(ctx.server);
        return ctx.error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watched_dirty(ctx) {
        ctx.client.reset_transaction(ctx.server);
        return ctx.out.null_array();
    }
    ctx.client.watched.clear(&ctx.server.watches);
    ctx.out.array(multi.queue.len());
    // CLIENT LIST keeps showing the transaction (flag x, multi=N) while it executes.
    ctx.client.in_exec = true;
    for args in &multi.queue {
        dispatch::call(ctx.server, ctx.client, ctx.out, args, ctx.now);
    }
    ctx.client.in_exec = false;
    ctx.client.handle.multi.store(-1, Ordering::Relaxed);
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
