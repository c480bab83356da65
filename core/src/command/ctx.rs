//! `Ctx`: everything a command handler sees while it runs.

use std::cell::Cell;
use std::sync::Arc;

use bytes::Bytes;

use super::errors;
use super::table::Command;
use crate::blocking::Waiter;
use crate::client::ClientState;
use crate::clock::Now;
use crate::effects::{AfterEffect, Awaiting, Completion, Effect};
use crate::keyspace::Locked;
use crate::resp::ReplyWriter;
use crate::server::Server;

/// The execution context of one command.
pub struct Ctx<'a> {
    /// State shared by every session.
    pub server: &'a Server,
    /// The command being run (a subcommand for CLIENT LIST and the like).
    pub cmd: &'a Command,
    /// The arguments, command name first.
    pub args: &'a [Bytes],
    /// Where the reply goes.
    pub out: &'a mut ReplyWriter,
    /// The calling client's connection state.
    pub client: &'a mut ClientState,
    /// The current time.
    pub now: Now,
    /// Whether an error reply was written (INFO errorstats, failed_calls).
    pub failed: bool,
    /// The argument indexes of the keys the command actually modified, when it knows better
    /// than "every key it names" (what WATCH sees by default after a successful write).
    /// `Some` of nothing marks a write that changed nothing: it is neither propagated nor
    /// touches watched keys.
    pub modified: Option<smallvec::SmallVec<[usize; 2]>>,
    /// How the command's change is propagated (see [`Propagation`]).
    pub propagation: Propagation,
    /// Indexes of arguments the slow log must not show (passwords), see [`Ctx::redact`].
    pub redacted: smallvec::SmallVec<[usize; 2]>,
    /// The call boundary's view of the shards it locked for this command, until the handler
    /// takes it with [`Ctx::lock`].
    prelocked: Cell<Option<Locked<'a>>>,
    /// Whether the boundary holds locks for this command (then `lock` must not lock again).
    boundary_locked: bool,
}

/// What a command propagates, decided by its handler.
#[derive(Default)]
pub enum Propagation {
    /// A write command that did not fail and changed something propagates its own arguments.
    #[default]
    AsIs,
    /// Nothing (a write that changed nothing, or a command Redis does not propagate).
    Nothing,
    /// These commands instead, in order (EXPIRE as PEXPIREAT, SPOP as SREM, ...).
    Rewritten(Vec<Vec<Bytes>>),
    /// Its own arguments with these replaced (index, value): XADD's generated ID and exact
    /// trim threshold. Cheaper than a rewrite when nobody keeps the stream.
    Patched(smallvec::SmallVec<[(usize, Bytes); 2]>),
}

impl<'a> Ctx<'a> {
    /// A context for running `cmd` with `args`.
    pub fn new(
        server: &'a Server,
        cmd: &'a Command,
        args: &'a [Bytes],
        out: &'a mut ReplyWriter,
        client: &'a mut ClientState,
        now: Now,
    ) -> Self {
        Ctx {
            server,
            cmd,
            args,
            out,
            client,
            now,
            failed: false,
            modified: None,
            propagation: Propagation::AsIs,
            redacted: smallvec::SmallVec::new(),
            prelocked: Cell::new(None),
            boundary_locked: false,
        }
    }

    /// Hands the context the view of the shards the call boundary locked for it.
    pub(crate) fn set_prelocked(&mut self, locked: Option<Locked<'a>>) {
        self.boundary_locked = locked.is_some();
        self.prelocked.set(locked);
    }

    /// Propagates `args` in place of the command (call once per command to propagate).
    pub fn propagate_as(&mut self, args: Vec<Bytes>) {
        match &mut self.propagation {
            Propagation::Rewritten(v) => v.push(args),
            p => *p = Propagation::Rewritten(vec![args]),
        }
    }

    /// Propagates the command with argument `i` replaced by `value` (after any earlier
    /// replacement); no effect once the command propagates nothing or something else.
    pub fn propagate_with(&mut self, i: usize, value: Bytes) {
        match &mut self.propagation {
            Propagation::Patched(v) => v.push((i, value)),
            p @ Propagation::AsIs => *p = Propagation::Patched(smallvec::smallvec![(i, value)]),
            Propagation::Nothing | Propagation::Rewritten(_) => {}
        }
    }

    /// Hides argument `i` from the slow log, which shows "(redacted)" instead (Redis's
    /// redactClientCommandArgument: passwords given to HELLO AUTH, MIGRATE, CONFIG SET).
    pub fn redact(&mut self, i: usize) {
        if !self.redacted.contains(&i) {
            self.redacted.push(i);
        }
    }

    /// Marks a write that changed nothing: not propagated, no watched key touched.
    pub fn unchanged(&mut self) {
        self.modified = Some(smallvec::SmallVec::new());
    }

    /// Propagates nothing for this command (its write changed nothing).
    pub fn propagate_nothing(&mut self) {
        self.propagation = Propagation::Nothing;
    }

    /// The keyspace view of the selected database over the shards of the command's keys (found
    /// by its key specs; every shard if the specs find none, or for commands flagged
    /// WHOLE_KEYSPACE). The call boundary locked them before the handler ran and releases them
    /// after recording the command's effects; a handler takes the view once. The view borrows
    /// the server, not the context, so replies can be written while it is held.
    pub fn lock(&self) -> Locked<'a> {
        if let Some(mut locked) = self.prelocked.take() {
            locked.db = self.client.db;
            locked.touch = !self.client.no_touch;
            locked.set_events(self.server);
            return locked;
        }
        // Locking again would deadlock on the boundary's own locks: a handler bug.
        assert!(
            !self.boundary_locked,
            "command '{}' took its keyspace view twice",
            self.cmd.name
        );
        let mut idx: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
        for spec in &self.cmd.key_specs {
            spec.extract(self.args, &mut idx);
        }
        let ks = &self.server.keyspace;
        let now = self.now.ms();
        let mut locked = match idx.len() {
            0 => ks.lock_all(self.client.db, now),
            1 => ks.lock_one(self.client.db, &self.args[idx[0]], now),
            _ => {
                let keys: smallvec::SmallVec<[&[u8]; 8]> =
                    idx.iter().map(|&i| &self.args[i][..]).collect();
                ks.lock(self.client.db, &keys, now)
            }
        };
        locked.touch = !self.client.no_touch;
        locked.set_events(self.server);
        locked
    }

    /// Blocks the client on `keys` until one of them is served to it, its deadline (Unix ms,
    /// 0 = none) passes, or CLIENT UNBLOCK. Call while still holding the keys' locks (the
    /// `Locked` the command looked through), so no write slips between the look and this.
    pub fn block(&mut self, keys: &[&[u8]], deadline_ms: u64) {
        let args = self.args.to_vec();
        self.block_as(keys, deadline_ms, args);
    }

    /// As [`Ctx::block`], re-running `args` instead of the command as sent when served (XREAD
    /// blocks with `$` resolved to the ID it stood for).
    pub fn block_as(&mut self, keys: &[&[u8]], deadline_ms: u64, args: Vec<Bytes>) {
        let mut distinct: Vec<Bytes> = Vec::with_capacity(keys.len());
        for key in keys {
            if !distinct.iter().any(|k| k == key) {
                distinct.push(Bytes::copy_from_slice(key));
            }
        }
        let waiter = Arc::new(Waiter::new(
            self.client.handle.clone(),
            self.client.db,
            distinct,
            args,
            self.out.resp3,
            self.client.no_touch,
            deadline_ms,
        ));
        self.server.keyspace.blocking.add(&waiter);
        *self.client.handle.blocked.lock() = Some(waiter.clone());
        self.client.blocked = Some(waiter);
    }

    /// Asks the host for `effect`; the reply follows from its outcome as `then` says. The client
    /// waits (reading no more input) until the host's runner completes it; inside EXEC, or
    /// without a runner, it is carried out at once and the reply written now.
    pub fn request_effect(&mut self, effect: Effect, then: AfterEffect) {
        let server = self.server;
        if !self.client.may_wait() {
            let outcome = effect.perform(server);
            return self.finish_effect(then, outcome);
        }
        let handle = self.client.handle.clone();
        let completion = Arc::new(Completion::new(Some(Box::new(move || handle.waker.wake()))));
        server.effects.submit(server, effect, completion.clone());
        match completion.take() {
            Some(outcome) => self.finish_effect(then, outcome),
            None => self.client.awaiting = Some(Awaiting { completion, then }),
        }
    }

    /// Hands `effect` to the host and leaves the client waiting for it, even if it completes
    /// at once: `then` runs in the session after this command, so it may lock keys this command
    /// holds now (MIGRATE's deletions). Only for a client that may wait (`may_wait`).
    pub fn await_effect(&mut self, effect: Effect, then: AfterEffect) {
        let server = self.server;
        let handle = self.client.handle.clone();
        let completion = Arc::new(Completion::new(Some(Box::new(move || handle.waker.wake()))));
        server.effects.submit(server, effect, completion.clone());
        self.client.awaiting = Some(Awaiting { completion, then });
    }

    fn finish_effect(&mut self, then: AfterEffect, outcome: Result<(), String>) {
        if let Some(msg) = finish_effect(self.server, self.client, self.out, then, outcome) {
            self.failed = true;
            self.server.stats.record_error(msg.as_bytes());
        }
    }

    /// Argument `i` (0 = command name).
    pub fn arg(&self, i: usize) -> &'a [u8] {
        &self.args[i]
    }

    /// Replies with an error and records it as a failed call.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// Replies with an error built from raw bytes and records it.
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.failed = true;
        // Counted here, per error reply, as Redis counts total_error_replies and errorstats.
        self.server.stats.record_error(msg);
        self.out.error_bytes(msg);
    }

    /// "ERR syntax error".
    pub fn syntax_error(&mut self) {
        self.error(errors::SYNTAX);
    }

    /// The WRONGTYPE error.
    pub fn wrong_type(&mut self) {
        self.error(errors::WRONGTYPE);
    }

    /// "ERR wrong number of arguments for '<cmd>' command".
    pub fn arity_error(&mut self) {
        let msg = format!(
            "ERR wrong number of arguments for '{}' command",
            self.cmd.name
        );
        self.error(&msg);
    }

    /// Parses argument `i` as an integer, replying with Redis's error if it is not one.
    pub fn int_arg(&mut self, i: usize) -> Option<i64> {
        let v = crate::util::num::parse_i64(&self.args[i]);
        if v.is_none() {
            self.error(errors::NOT_INT);
        }
        v
    }
}

/// Writes the reply of a command whose effect completed with `outcome`, as `then` says (the
/// session calls it when a waited-for effect completes), and records the call's duration,
/// which ran until now. Returns the error line it replied, if any, for the caller's statistics.
pub fn finish_effect(
    server: &Server,
    client: &mut ClientState,
    out: &mut ReplyWriter,
    then: AfterEffect,
    outcome: Result<(), String>,
) -> Option<String> {
    let error = reply_after_effect(server, client, out, then, outcome);
    super::observe::finish_deferred(server, client, error.is_some());
    error
}

fn reply_after_effect(
    server: &Server,
    client: &mut ClientState,
    out: &mut ReplyWriter,
    then: AfterEffect,
    outcome: Result<(), String>,
) -> Option<String> {
    match (then, outcome) {
        (AfterEffect::ReplyOk, Ok(())) => out.ok(),
        (AfterEffect::CountAcks { offset }, _) => {
            out.int(crate::repl::primary::acked_at_least(server, offset) as i64)
        }
        (AfterEffect::Close, Ok(())) => client.close_after_reply = true,
        (AfterEffect::InstallConfig { config, .. }, Ok(())) => {
            server.install_config(*config);
            out.ok();
        }
        (AfterEffect::AclLoad { path, file }, Ok(())) => {
            let text = file.lock().take().unwrap_or_default();
            match crate::admin::acl::loaded(server, client, &path, &text) {
                Ok(()) => out.ok(),
                Err(e) => {
                    out.error(&e);
                    return Some(e);
                }
            }
        }
        (AfterEffect::Migrate(done), outcome) => {
            return crate::keyspace::commands::migrate::finish(server, client, out, *done, outcome)
        }
        // The host's error names the parameter that failed and is the whole reply.
        (AfterEffect::InstallConfig { .. }, Err(e)) => {
            out.error(&e);
            return Some(e);
        }
        (_, Err(e)) => {
            out.error(&e);
            return Some(e);
        }
    }
    None
}
