//! MIGRATE (Redis's cluster.c): keys sent to another server as RESTORE commands and, unless
//! COPY, deleted here once the target acknowledged them. The handler serialises the keys under
//! their locks; the network part is the host's (an effect); the deletion runs when the effect
//! completes, propagated as DEL of the keys the target took.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use crate::client::ClientState;
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::effects::{AfterEffect, Effect};
use crate::persist::dump;
use crate::resp::ReplyWriter;
use crate::server::Server;
use crate::sync::Mutex;

/// What the host sends: to `host:port`, AUTH if given, SELECT `db`, then per key RESTORE key
/// ttl payload [REPLACE]; `acked[i]` is set when the target answered key `i` with +OK.
pub struct MigrateRequest {
    /// Target host.
    pub host: String,
    /// Target port.
    pub port: u16,
    /// Target database.
    pub db: i64,
    /// Connect, write and read timeout.
    pub timeout_ms: u64,
    /// AUTH [username] password.
    pub auth: Option<(Option<Bytes>, Bytes)>,
    /// RESTORE ... REPLACE.
    pub replace: bool,
    /// (key, TTL in ms or 0, DUMP payload).
    pub items: Vec<(Bytes, i64, Vec<u8>)>,
    /// Which keys the target acknowledged.
    pub acked: Arc<Mutex<Vec<bool>>>,
}

/// What the client's connection does once the host is done.
pub struct MigrateDone {
    db: usize,
    copy: bool,
    keys: Vec<Bytes>,
    payloads: Vec<Vec<u8>>,
    acked: Arc<Mutex<Vec<bool>>>,
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
/// AUTH2 username password] [KEYS key ...].
pub(super) fn migrate(ctx: &mut Ctx) {
    let (mut copy, mut replace) = (false, false);
    let mut auth = None;
    let (mut first_key, mut num_keys) = (3, 1);
    let mut j = 6;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"copy") {
            copy = true;
        } else if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"auth") && more >= 1 {
            auth = Some((None, ctx.args[j + 1].clone()));
            ctx.redact(j + 1);
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"auth2") && more >= 2 {
            auth = Some((Some(ctx.args[j + 1].clone()), ctx.args[j + 2].clone()));
            ctx.redact(j + 1);
            ctx.redact(j + 2);
            j += 2;
        } else if opt.eq_ignore_ascii_case(b"keys") {
            if !ctx.arg(3).is_empty() {
                return ctx.error(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the \
                     empty string",
                );
            }
            first_key = j + 1;
            num_keys = ctx.args.len() - j - 1;
            break;
        } else {
            return ctx.error(errors::SYNTAX);
        }
        j += 1;
    }
    let Some(timeout) = ctx.int_arg(5) else {
        return;
    };
    let Some(db) = ctx.int_arg(4) else { return };
    let timeout_ms = if timeout <= 0 { 1000 } else { timeout as u64 };
    let port = std::str::from_utf8(ctx.arg(2))
        .ok()
        .and_then(|p| p.parse::<u16>().ok());
    let host = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let server = ctx.server;
    let limits = server.rdb_limits();
    let now = ctx.now.ms();
    let (db_index, may_wait) = (ctx.client.db, ctx.client.may_wait());
    let keys: Vec<Bytes> = ctx.args[first_key..first_key + num_keys].to_vec();
    ctx.propagate_nothing();
    let mut view = ctx.lock();
    let mut items = Vec::new();
    for k in &keys {
        let Some(e) = view.get_read(k) else { continue };
        // A key about to expire goes with at least 1 ms left, as Redis sends it.
        let ttl = if e.expire_at == 0 {
            0
        } else {
            (e.expire_at as i64 - now as i64).max(1)
        };
        items.push((k.clone(), ttl, dump::create(&e.value, &limits)));
    }
    if items.is_empty() {
        drop(view);
        return ctx.out.simple(b"NOKEY");
    }
    let Some(port) = port else {
        drop(view);
        return ctx.error("IOERR error or timeout connecting to the client");
    };
    let acked = Arc::new(Mutex::new(vec![false; items.len()]));
    let done = MigrateDone {
        db: db_index,
        copy,
        keys: items.iter().map(|(k, _, _)| k.clone()).collect(),
        payloads: items.iter().map(|(_, _, p)| p.clone()).collect(),
        acked: acked.clone(),
    };
    let request = MigrateRequest {
        host,
        port,
        db,
        timeout_ms,
        auth,
        replace,
        items,
        acked,
    };
    if may_wait {
        // The deletion locks the keys this command holds: after it, in the session.
        drop(view);
        return ctx.await_effect(
            Effect::Migrate(Box::new(request)),
            AfterEffect::Migrate(Box::new(done)),
        );
    }
    // Inside EXEC (the server stalled, as Redis's MIGRATE stalls it): at once, deleting
    // under the locks this command holds.
    let outcome = Effect::Migrate(Box::new(request)).perform(server);
    delete_acked(server, &mut view, &done);
    drop(view);
    match outcome {
        Ok(()) => ctx.out.ok(),
        Err(e) => ctx.error(&e),
    }
}

/// Deletes, through `view`, the keys the target acknowledged (unless COPY) whose value is still
/// the one sent, and records them as one DEL.
fn delete_acked(server: &Server, view: &mut crate::keyspace::Locked<'_>, done: &MigrateDone) {
    if done.copy {
        return;
    }
    let acked = done.acked.lock().clone();
    let ks = &server.keyspace;
    let limits = server.rdb_limits();
    let mut del = vec![Bytes::from_static(b"DEL")];
    for (i, key) in done.keys.iter().enumerate() {
        if !acked.get(i).copied().unwrap_or(false) {
            continue;
        }
        // lode's own check, not a client's read: no `keymiss` if the key went meanwhile.
        let unchanged = view
            .get_read_quiet(key)
            .is_some_and(|e| dump::create(&e.value, &limits) == done.payloads[i]);
        if unchanged {
            view.delete(key);
            view.notify(notify::GENERIC, "del", key);
            ks.watches.touch(done.db, key, false);
            del.push(key.clone());
        }
    }
    if del.len() > 1 {
        ks.log.append_one(done.db, &del);
    }
}

/// The host is done: the keys the target acknowledged are deleted here (unless COPY) and
/// propagated as one DEL; the reply is +OK or the error. A key changed while the transfer was
/// in flight is left alone: what the target holds is its old value.
pub fn finish(
    server: &Server,
    _client: &mut ClientState,
    out: &mut ReplyWriter,
    done: MigrateDone,
    outcome: Result<(), String>,
) -> Option<String> {
    if !done.copy {
        let now = server.last_now.load(Ordering::Relaxed) / 1000;
        let mut view = server.keyspace.lock(done.db, &done.keys, now);
        view.set_events(server);
        delete_acked(server, &mut view, &done);
    }
    match outcome {
        Ok(()) => {
            out.ok();
            None
        }
        Err(e) => {
            out.error(&e);
            Some(e)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use crate::testkit::{TestClient, EPOCH_MS};

    /// A host whose target stores everything MIGRATE sends.
    struct Accepting;
    impl crate::host::Host for Accepting {
        fn migrate(&self, req: &super::MigrateRequest) -> Result<(), String> {
            req.acked.lock().iter_mut().for_each(|a| *a = true);
            Ok(())
        }
    }

    #[test]
    fn acknowledged_keys_go_both_at_once_inside_exec_and_after_the_command() {
        let srv = Arc::new(crate::server::Server::new(
            crate::config::Config::default(),
            1,
            Box::new(Accepting),
            crate::Now::from_ms(EPOCH_MS),
        ));
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["SET", "b", "2"]);
        c.cmd(&["SET", "kept", "3"]);
        // Without a runner the effect completes at once; the deletion still waits for the
        // command to release its locks.
        let first = c.cmd(&["MIGRATE", "h", "1", "a", "0", "10"]);
        assert_eq!(first + &c.poll(), "+OK\r\n");
        c.cmd(&["MULTI"]);
        c.cmd(&["MIGRATE", "h", "1", "", "0", "10", "KEYS", "b", "none"]);
        c.cmd(&["MIGRATE", "h", "1", "kept", "0", "10", "COPY"]);
        assert_eq!(c.cmd(&["EXEC"]), "*2\r\n+OK\r\n+OK\r\n");
        assert_eq!(c.cmd(&["EXISTS", "a", "b", "kept"]), ":1\r\n");
        assert_eq!(c.cmd(&["MIGRATE", "h", "1", "a", "0", "10"]), "+NOKEY\r\n");
    }
}
