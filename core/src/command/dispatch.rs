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
    let Some(cmd) = resolve(server, args, out) else {
        server.stats.record_error(b"ERR");
        if let Some(multi) = state.multi.as_mut() {
            multi.aborted = true;
        }
        return;
    };
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
    *state.handle.last_cmd.lock() = cmd.name.clone();
    let mut ctx = Ctx::new(server, cmd, args, out, state, now);
    handler(&mut ctx);
    let failed = ctx.failed;
    cmd.calls.fetch_add(1, Ordering::Relaxed);
    Stats::add(&server.stats.total_commands_processed, 1);
    if failed {
        // total_error_replies was counted by Ctx::error, per error reply.
        cmd.failed_calls.fetch_add(1, Ordering::Relaxed);
    } else if cmd.write {
        server.watches.touch_command(cmd, args);
    }
}

/// Finds the command (or subcommand) `args` names, replying with Redis's error if none.
pub fn resolve<'s>(
    server: &'s Server,
    args: &[Bytes],
    out: &mut ReplyWriter,
) -> Option<&'s Command> {
    let name = &args[0];
    let Some(cmd) = server.commands.get(name) else {
        let mut msg = b"ERR unknown command '".to_vec();
        msg.extend_from_slice(&name[..name.len().min(128)]);
        msg.extend_from_slice(b"', with args beginning with: ");
        let mut listed: Vec<u8> = Vec::new();
        for a in &args[1..] {
            if listed.len() >= 128 {
                break;
            }
            let take = a.len().min(128 - listed.len());
            listed.push(b'\'');
            listed.extend_from_slice(&a[..take]);
            listed.extend_from_slice(b"' ");
        }
        msg.extend_from_slice(&listed);
        out.error_bytes(&msg);
        return None;
    };
    if cmd.subcommands.is_empty() || args.len() < 2 {
        return Some(cmd);
    }
    match cmd.subcommand(&args[1]) {
        Some(sub) => Some(sub),
        None => {
            let sub = &args[1];
            let mut msg = b"ERR unknown subcommand '".to_vec();
            msg.extend_from_slice(&sub[..sub.len().min(128)]);
            msg.extend_from_slice(b"'. Try ");
            msg.extend_from_slice(cmd.name.to_ascii_uppercase().as_bytes());
            msg.extend_from_slice(b" HELP.");
            out.error_bytes(&msg);
            None
        }
    }
}
