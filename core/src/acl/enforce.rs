//! Where the ACL meets the call boundary: the check every command passes before it runs or
//! is queued, and the ACL log entries refusals leave.

use bytes::Bytes;

use super::check::{check, exec_message, noperm_message, Denied, Reason};
use super::log::{Context, Entry};
use super::user::{Rules, User};
use crate::client::{ClientHandle, ClientState};
use crate::clock::Now;
use crate::command::Command;
use crate::server::Server;

/// Records a refusal in the ACL log. `object` is what was refused (command name, key,
/// channel, or the user name an AUTH tried); `user` the user to log under.
pub fn log_denial(
    server: &Server,
    handle: &ClientHandle,
    reason: Reason,
    context: Context,
    object: &[u8],
    user: Bytes,
    now: Now,
) {
    let info = crate::admin::client_line::client_line(handle, None, &server.commands, now.ms());
    let max = server.config.read().acllog_max_len;
    let entry = Entry {
        count: 1,
        reason,
        context,
        object: Bytes::copy_from_slice(object),
        username: user,
        time_ms: now.ms(),
        client_info: info,
    };
    server.acl.log.lock().add(entry, max);
}

/// The refused object of `denied` for the ACL log: the command's name, or the argument.
fn object_of<'a>(denied: Denied, cmd: &'a Command, args: &'a [Bytes]) -> &'a [u8] {
    match denied.reason {
        Reason::Command => cmd.name.as_bytes(),
        _ => args.get(denied.pos).map_or(&[][..], |a| a.as_ref()),
    }
}

/// Checks the client's permission to run `cmd` with `args` in `context`; on refusal logs it
/// and returns the refusal.
pub fn refusal(
    server: &Server,
    state: &mut ClientState,
    cmd: &Command,
    args: &[Bytes],
    context: Context,
    now: Now,
) -> Option<Denied> {
    let acl = state.acl.as_mut()?;
    let rules = acl.rules(&server.acl);
    if rules.unrestricted {
        return None;
    }
    let denied = check(rules, cmd, args).err()?;
    let user = acl.user.name.clone();
    let object = object_of(denied, cmd, args);
    log_denial(
        server,
        &state.handle,
        denied.reason,
        context,
        object,
        user,
        now,
    );
    Some(denied)
}

/// The check the call boundary makes for a command sent by the client or queued in (or run
/// by) MULTI/EXEC: None when it may go on, else the error line to reply.
pub fn command_refusal(
    server: &Server,
    state: &mut ClientState,
    cmd: &Command,
    args: &[Bytes],
    now: Now,
) -> Option<String> {
    let context = if state.in_exec || state.multi.is_some() {
        Context::Multi
    } else {
        Context::Toplevel
    };
    let denied = refusal(server, state, cmd, args, context, now)?;
    Some(if state.in_exec {
        exec_message(denied.reason)
    } else {
        noperm_message(denied, cmd)
    })
}

/// Closes the clients authenticated as `user` (ACL DELUSER, ACL LOAD): others at once, the
/// caller once its reply is written, as Redis's ACLFreeUserAndKillClients.
pub fn kill_user_clients(server: &Server, me: &mut ClientState, user: &std::sync::Arc<User>) {
    for h in server.clients.snapshot() {
        if crate::admin::client_kill::is_user(&h, user) {
            close(server, me, &h);
        }
    }
}

/// Closes `h`: at once for another client, after its reply for the caller `me`.
fn close(server: &Server, me: &mut ClientState, h: &ClientHandle) {
    if h.id == me.handle.id {
        me.close_after_reply = true;
    } else {
        crate::admin::client_kill::free(server, h);
    }
}

/// After `user`'s rules changed from `old` to `new`, closes its subscribers whose
/// subscriptions the new channel permissions no longer cover (Redis's
/// ACLKillPubsubClientsIfNeeded, with its shortcuts when nothing was revoked).
pub fn kill_revoked_subscribers(
    server: &Server,
    me: &mut ClientState,
    user: &std::sync::Arc<User>,
    old: &Rules,
    new: &Rules,
) {
    if new.selectors.iter().any(|s| s.all_channels) {
        return;
    }
    let upcoming: Vec<Bytes> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let kept = old
        .selectors
        .iter()
        .all(|s| !s.all_channels && s.channels.iter().all(|c| upcoming.contains(c)));
    if kept {
        return;
    }
    for h in server.clients.snapshot() {
        if !h.is_subscriber() || !crate::admin::client_kill::is_user(&h, user) {
            continue;
        }
        let revoked = server
            .pubsub
            .subscriptions_of(h.id)
            .iter()
            .any(|(kind, name)| {
                let pattern = *kind == crate::pubsub::Kind::Pattern;
                !super::selector::channel_in(&upcoming, name, pattern)
            });
        if revoked {
            close(server, me, &h);
        }
    }
}
