//! Command dispatch: from parsed arguments to an executed command, shared by the session (one
//! command at a time) and EXEC (the queued commands of a transaction).

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{Command, Ctx};
use crate::clock::Now;
use crate::resp::ReplyWriter;
use crate::server::Server;
use crate::session::ClientState;
use crate::stats::Stats;

/// Commands that run immediately even inside MULTI (Redis's processCommand exceptions).
fn runs_inside_multi(cmd: &Command) -> bool {
    matches!(
        cmd.name.as_str(),
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Resolves, checks and runs (or, inside MULTI, queues) one command, writing its reply.
pub fn call(
    server: &Server,
    state: &mut ClientState,
    out: &mut ReplyWriter,
    args: &[Bytes],
    now: Now,
) {
    let cmd = match server.commands.resolve(args) {
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
            return;
        }
    };
    // Inside EXEC the client's last command stays EXEC, as in Redis.
    if !state.in_exec {
        state.handle.set_last_cmd(cmd);
    }
    if !cmd.arity_ok(args.len()) {
        let msg = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        out.error(&msg);
        cmd.rejected_calls.fetch_add(1, Ordering::Relaxed);
        server.stats.record_error(msg.as_bytes());
        if let Some(multi) = state.multi.as_mut() {
            multi.aborted = true;
        }
        return;
    }
    if let Some(multi) = state.multi.as_mut() {
        if !runs_inside_multi(cmd) {
            multi.queue.push(args.to_vec());
            state
                .handle
                .multi
                .store(multi.queue.len() as isize, Ordering::Relaxed);
            out.simple(b"QUEUED");
            return;
        }
    }
    execute(server, cmd, state, out, args, now);
}

/// Runs a resolved, arity-checked command.
pub fn execute(
    server: &Server,
    cmd: &Command,
    state: &mut ClientState,
    out: &mut ReplyWriter,
    args: &[Bytes],
    now: Now,
) {
    let Some(handler) = cmd.handler else { return };
    let mut ctx = Ctx::new(server, cmd, args, out, state, now);
    handler(&mut ctx);
    let failed = ctx.failed;
    let modified = ctx.modified.take();
    // A blocked client's command was counted when it blocked (as in Redis 7.0); serving it
    // later counts only a failure.
    if !state.serving_blocked {
        cmd.calls.fetch_add(1, Ordering::Relaxed);
        Stats::add(&server.stats.total_commands_processed, 1);
    }
    if failed {
        // total_error_replies was counted by Ctx::error, per error reply.
        cmd.failed_calls.fetch_add(1, Ordering::Relaxed);
    } else if let Some(keys) = modified {
        server.watches.touch_args(args, &keys);
    } else if cmd.write {
        server.watches.touch_command(cmd, args);
    }
}
