//! The call boundary (Redis's `call()`): every command — top-level, queued inside EXEC, served
//! for a blocked client — passes through [`execute`], which locks the command's shards from its
//! key specs (every shard for WHOLE_KEYSPACE commands), runs the handler over that view, and
//! records *before releasing the locks* what happened: the propagated form of the change, the
//! watched keys it touched, the statistics. Handlers describe ([`Ctx::propagate_as`],
//! [`Ctx::modified`]); the boundary records. See docs/ARCHITECTURE.md, "The call boundary".

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{observe, Command, CommandFlags, Ctx, Propagation};
use crate::client::ClientState;
use crate::clock::Now;
use crate::keyspace::LockSet;
use crate::propagate::Op;
use crate::resp::ReplyWriter;
use crate::server::Server;
use crate::stats::Stats;

/// What became of a command handed to the boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Called {
    /// It ran, was queued, or was refused: its reply (if any) is written.
    Done,
    /// CLIENT PAUSE holds it back: nothing ran, nothing was written. The caller keeps the
    /// arguments and calls again once the pause is over.
    Postponed,
}

/// Resolves, checks and runs (or, inside MULTI, queues) one command, writing its reply.
pub fn call(
    server: &Server,
    state: &mut ClientState,
    out: &mut ReplyWriter,
    args: &[Bytes],
    now: Now,
) -> Called {
    call_resolved(server, state, out, args, server.commands.resolve(args), now)
}

/// [`call`] for a command the caller already looked up (`resolved` is what
/// `CommandTable::resolve` gave for `args`).
pub fn call_resolved(
    server: &Server,
    state: &mut ClientState,
    out: &mut ReplyWriter,
    args: &[Bytes],
    resolved: Result<&Command, Vec<u8>>,
    now: Now,
) -> Called {
    let cmd = match resolved {
        Ok(cmd) => cmd,
        Err(msg) => {
            if state.multi.is_none() {
                state.handle.clear_last_cmd();
            }
            out.error_bytes(&msg);
            server.stats.record_error(b"ERR");
            if let Some(multi) = state.multi.as_mut() {
                multi.aborted = true;
            }
            return Called::Done;
        }
    };
    // Inside EXEC the client's last command stays EXEC, as in Redis.
    if !state.in_exec {
        state.handle.set_last_cmd(cmd.id);
    }
    if !cmd.arity_ok(args.len()) {
        let msg = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        reject(server, state, out, cmd, &msg);
        return Called::Done;
    }
    if cmd.flags.has(CommandFlags::PROTECTED) {
        if let Some(msg) = server.protected_refusal(&cmd.name, &state.handle.info) {
            reject(server, state, out, cmd, msg);
            return Called::Done;
        }
    }
    if !state.authenticated && !cmd.flags.has(CommandFlags::NO_AUTH) && server.auth_required() {
        reject(server, state, out, cmd, "NOAUTH Authentication required.");
        return Called::Done;
    }
    if state.multi.is_some() && cmd.flags.has(CommandFlags::NO_MULTI) {
        reject(
            server,
            state,
            out,
            cmd,
            "ERR Command not allowed inside a transaction",
        );
        return Called::Done;
    }
    if state.acl.is_some() {
        if let Some(msg) = crate::acl::enforce::command_refusal(server, state, cmd, args, now) {
            reject(server, state, out, cmd, &msg);
            return Called::Done;
        }
    }
    match memory_check(server, state, out, cmd, now) {
        MemoryCheck::Run => {}
        MemoryCheck::Refuse => {
            reject(server, state, out, cmd, crate::evict::OOM_ERROR);
            return Called::Done;
        }
        // Client eviction closed this very client: the command is dropped with it.
        MemoryCheck::Evicted => return Called::Done,
    }
    // A read-only replica refuses writes from anyone but its primary (Redis's processCommand
    // checks this after the memory and disk checks, before the Pub/Sub context).
    if let Some(msg) = crate::repl::replica::refusal(server, state, cmd, true) {
        reject(server, state, out, cmd, msg);
        return Called::Done;
    }
    if !state.subs.is_empty() && !out.resp3 && !cmd.flags.has(CommandFlags::SUBSCRIBED_CONTEXT) {
        let msg = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context",
            cmd.name
        );
        reject(server, state, out, cmd, &msg);
        return Called::Done;
    }
    if cmd.flags.has(CommandFlags::WRITE) || cmd.name == "ping" {
        if let Some(msg) = server.write_refusal() {
            reject(server, state, out, cmd, &msg);
            return Called::Done;
        }
    }
    if cmd.flags.has(CommandFlags::WRITE) && !state.replaying {
        if let Some(msg) = crate::repl::primary::min_replicas_refusal(server) {
            reject(server, state, out, cmd, msg);
            return Called::Done;
        }
    }
    if let Some(msg) = crate::repl::replica::refusal(server, state, cmd, false) {
        reject(server, state, out, cmd, msg);
        return Called::Done;
    }
    if super::postpone::postponed(server, state, cmd, now.ms()) {
        return Called::Postponed;
    }
    if let Some(multi) = state.multi.as_mut() {
        if !cmd.flags.has(CommandFlags::RUNS_IN_MULTI) {
            // A transaction bound to fail (a rejected command, a touched WATCH) keeps
            // nothing more, as Redis 7.0 saves the memory; the reply is the same.
            if !multi.aborted && !state.watched.is_dirty() {
                let writes = cmd.flags.has(CommandFlags::WRITE)
                    || cmd.flags.has(CommandFlags::MAY_REPLICATE);
                multi.push(args, writes, cmd.flags.has(CommandFlags::DENYOOM));
                let h = &state.handle;
                h.multi.store(multi.queue.len() as isize, Ordering::Relaxed);
                h.multi_mem.store(multi.argv_len_sums, Ordering::Relaxed);
            }
            out.simple(b"QUEUED");
            return Called::Done;
        }
    }
    let before = server.keyspace.log.changes();
    execute(server, cmd, state, out, args, now);
    // A writable replica remembers the keys its own clients gave a TTL, to expire them.
    if server.repl.replica.is_replica() && !state.replaying && cmd.flags.has(CommandFlags::WRITE) {
        crate::repl::replica::writable::note_write(server, state.db, cmd, args, now.ms());
    }
    // What WAIT waits for: the stream's offset after this client's last write.
    if server.keyspace.log.changes() != before {
        state.woff = server.keyspace.log.offset();
    }
    Called::Done
}

/// What the memory checks before a command decided.
enum MemoryCheck {
    Run,
    /// Over `maxmemory` with nothing to evict: refuse with -OOM.
    Refuse,
    /// Client eviction closed the caller.
    Evicted,
}

/// Evicts clients over `maxmemory-clients` (the caller included), then runs an eviction pass
/// when `maxmemory` is set (Redis's processCommand does so before
/// every command a client sends, not inside EXEC, scripts or loading) and says whether `cmd`
/// must be refused because memory stays over the limit: DENYOOM commands, an EXEC whose
/// queue holds one, and anything but EXEC/DISCARD/QUIT/RESET inside MULTI (queueing costs
/// memory too).
fn memory_check(
    server: &Server,
    state: &mut ClientState,
    out: &ReplyWriter,
    cmd: &Command,
    now: Now,
) -> MemoryCheck {
    if state.in_exec || state.in_script {
        return MemoryCheck::Run;
    }
    if server.eviction.clients.limit.load(Ordering::Relaxed) != 0 {
        // The replies this batch produced so far count as this client's output.
        let h = &state.handle;
        let pending = out.buf.len() + h.mailbox.len();
        h.omem.fetch_max(pending, Ordering::Relaxed);
        h.obuf_capacity
            .fetch_max(out.buf.capacity(), Ordering::Relaxed);
    }
    // Clients go before keys (Redis evicts clients first); over maxmemory they are looked at
    // whatever their running total says.
    if server.eviction.clients.limit.load(Ordering::Relaxed) != 0 {
        server.eviction.clients.account(&state.handle);
        crate::evict::clients::evict(server, crate::evict::over_limit(server));
    }
    // (A killed master client stops between commands, in its applier: the commands it runs
    // must run, or the offset it acknowledges would cover a command it skipped.)
    if state.handle.killed.load(Ordering::Relaxed) && !state.replaying {
        return MemoryCheck::Evicted;
    }
    if server.eviction.maxmemory.load(Ordering::Relaxed) == 0 || state.replaying {
        state.oom_at_start = false;
        return MemoryCheck::Run;
    }
    let oom = crate::evict::perform(server, now) == crate::evict::Outcome::Fail;
    state.oom_at_start = oom;
    let exec = cmd.name == "exec";
    let refuse = oom
        && (cmd.flags.has(CommandFlags::DENYOOM)
            || (exec && state.multi.as_ref().is_some_and(|m| m.deny_oom))
            || (state.multi.is_some()
                && !matches!(&*cmd.name, "exec" | "discard" | "quit" | "reset")));
    if refuse {
        MemoryCheck::Refuse
    } else {
        MemoryCheck::Run
    }
}

/// Refuses a command before it runs (a queued one makes EXEC fail with EXECABORT).
fn reject(
    server: &Server,
    state: &mut ClientState,
    out: &mut ReplyWriter,
    cmd: &Command,
    msg: &str,
) {
    cmd.rejected_calls.fetch_add(1, Ordering::Relaxed);
    if cmd.name == "exec" && state.multi.is_some() {
        // A refused EXEC ends the transaction, saying why (Redis's execCommandAbort).
        state.reset_transaction(&server.keyspace.watches);
        let line = format!("EXECABORT Transaction discarded because of: {msg}");
        server.stats.record_error(line.as_bytes());
        out.error(&line);
        return;
    }
    server.stats.record_error(msg.as_bytes());
    out.error(msg);
    if let Some(multi) = state.multi.as_mut() {
        multi.aborted = true;
    }
}

/// The shards the boundary locks for `cmd`: its keys' (every shard when its specs find none),
/// every shard for WHOLE_KEYSPACE commands, none for commands without keys.
fn lock_for<'s>(server: &'s Server, cmd: &Command, args: &[Bytes]) -> Option<LockSet<'s>> {
    let whole = cmd.flags.has(CommandFlags::WHOLE_KEYSPACE);
    if (cmd.key_specs.is_empty() && !whole) || cmd.flags.has(CommandFlags::SCRIPT) {
        return None;
    }
    let mut idx: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
    if !whole {
        for spec in &cmd.key_specs {
            spec.extract(args, &mut idx);
        }
    }
    Some(server.keyspace.acquire(args, &idx))
}

// Test-only switch for the loom models: record after releasing the locks, breaking the
// ordering rule on purpose to show the model catches it. (Loom runs a model's threads on the
// test's own thread, so a thread-local reaches them all without touching models that other
// tests run at the same time.)
#[cfg(loom)]
thread_local! {
    /// Set by `loom_propagation_order_broken_is_caught` only.
    pub static RECORD_AFTER_UNLOCK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a resolved, arity-checked command through the call boundary.
pub fn execute(
    server: &Server,
    cmd: &Command,
    state: &mut ClientState,
    out: &mut ReplyWriter,
    args: &[Bytes],
    now: Now,
) {
    let Some(handler) = cmd.handler else { return };
    let db = state.db;
    let mut locks = lock_for(server, cmd, args);
    let reply_at = out.buf.len();
    let started_us = server.host.monotonic_us();
    let (failed, mut modified, propagation, redacted) = {
        let view = locks.as_mut().map(|l| l.view(db, now.ms()));
        let mut ctx = Ctx::new(server, cmd, args, out, state, now);
        ctx.set_prelocked(view);
        handler(&mut ctx);
        (
            ctx.failed,
            ctx.modified.take(),
            std::mem::take(&mut ctx.propagation),
            std::mem::take(&mut ctx.redacted),
        )
    };
    let elapsed_us = server.host.monotonic_us().saturating_sub(started_us);
    // A blocked client's command was counted when it blocked (as in Redis 7.0); serving it
    // later counts only a failure.
    if !state.serving_blocked {
        cmd.calls.fetch_add(1, Ordering::Relaxed);
        Stats::add(&server.stats.total_commands_processed, 1);
    }
    if cmd.flags.has(CommandFlags::UNCHANGED_ON_ZERO) && out.buf.get(reply_at..) == Some(b":0\r\n")
    {
        modified = Some(smallvec::SmallVec::new());
    }
    #[cfg(loom)]
    if RECORD_AFTER_UNLOCK.with(|c| c.get()) {
        drop(locks.take());
    }
    if failed {
        // total_error_replies was counted by Ctx::error, per error reply.
        cmd.failed_calls.fetch_add(1, Ordering::Relaxed);
    } else {
        let writer = state.handle.id;
        record(
            server,
            cmd,
            args,
            db,
            modified,
            propagation,
            locks.as_ref(),
            writer,
        );
    }
    if cmd.flags.has(CommandFlags::READONLY) {
        remember_read(server, cmd, state, args);
    }
    // Only now may another command touch these keys.
    drop(locks);
    if server.monitors.any()
        && !state.serving_blocked
        && !cmd.flags.has(CommandFlags::ADMIN)
        && !cmd.flags.has(CommandFlags::SKIP_MONITOR)
    {
        let from = if state.in_script {
            &crate::client::ClientInfo::Lua
        } else {
            &state.handle.info
        };
        server
            .monitors
            .feed(now.micros(), state.db, from, args, &redacted);
    }
    let call = observe::Call {
        cmd,
        args,
        redacted: &redacted,
        now,
        started_us,
        elapsed_us,
        replied: out.buf.len() > reply_at,
    };
    observe::record(server, state, &call);
}

/// Records what a successful command changed: its propagated form, and the watched keys it
/// touched. Runs with the command's shard locks still held.
#[allow(clippy::too_many_arguments)]
fn record(
    server: &Server,
    cmd: &Command,
    args: &[Bytes],
    db: usize,
    modified: Option<smallvec::SmallVec<[usize; 2]>>,
    propagation: Propagation,
    locks: Option<&LockSet<'_>>,
    writer: u64,
) {
    let no_op = modified.as_ref().is_some_and(|m| m.is_empty());
    let ks = &server.keyspace;
    match propagation {
        Propagation::Nothing => return,
        Propagation::Rewritten(list) => {
            let ops: Vec<Op> = list.into_iter().map(|a| (db, a)).collect();
            ks.log.append(&ops, false);
        }
        Propagation::Patched(patches) => ks.log.append_patched(db, args, &patches),
        // Blocking commands propagate only what they served, as a rewrite.
        Propagation::AsIs
            if cmd.flags.has(CommandFlags::WRITE)
                && !no_op
                && !cmd.flags.has(CommandFlags::BLOCKING) =>
        {
            ks.log.append_one(db, args);
        }
        Propagation::AsIs => return,
    }
    let watching = ks.watches.any();
    let tracking = server.tracking.active();
    if !watching && !tracking {
        return;
    }
    let present = |key: &[u8]| locks.is_some_and(|l| l.present(db, key));
    let mut idx: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
    match &modified {
        Some(touched) => idx.extend(touched.iter().copied()),
        None => {
            for spec in cmd.key_specs.iter().filter(|s| s.writes) {
                spec.extract(args, &mut idx);
            }
        }
    }
    for key in idx.iter().filter_map(|&i| args.get(i)) {
        if watching {
            ks.watches.touch(db, key, present(key));
        }
        if tracking {
            server
                .tracking
                .invalidate(&server.clients, key, Some(writer));
        }
    }
}

/// A tracking client read keys: remember them for invalidation, under the read's shard locks
/// (so a write of the same key either sees the registration or happened before the read).
/// OPTIN clients are tracked only after CLIENT CACHING YES, OPTOUT ones unless CACHING NO.
fn remember_read(server: &Server, cmd: &Command, state: &ClientState, args: &[Bytes]) {
    use crate::tracking::TrackingFlags as T;
    let flags = state.handle.tracking.flags();
    if !flags.has(T::ON) || flags.has(T::BCAST) || cmd.flags.has(CommandFlags::PUBSUB) {
        return;
    }
    let caching = flags.has(T::CACHING);
    if (flags.has(T::OPTIN) && !caching) || (flags.has(T::OPTOUT) && caching) {
        return;
    }
    let mut idx: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
    for spec in &cmd.key_specs {
        spec.extract(args, &mut idx);
    }
    if idx.is_empty() {
        return;
    }
    let keys: smallvec::SmallVec<[&[u8]; 8]> = idx.iter().map(|&i| &args[i][..]).collect();
    let max = server.config.read().tracking_table_max_keys;
    server
        .tracking
        .remember(&server.clients, state.handle.id, &keys, max);
}
