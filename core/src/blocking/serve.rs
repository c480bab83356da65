//! Serving blocked clients once the keys they wait on are ready.

use std::sync::Arc;

use crate::client::ClientState;
use crate::client::{WaitState, Waiter};
use crate::clock::Now;
use crate::command::dispatch;
use crate::server::Server;

/// Serves the clients blocked on every key signalled ready, oldest waiter first per key, until
/// no key is left ready (serving one client can make another key ready: BLMOVE). Called by a
/// session after each top-level command, with the exec gate held as for that command.
pub fn serve_ready(server: &Server, now: Now) {
    let registry = &server.keyspace.blocking;
    if !registry.has_ready() {
        return;
    }
    let _serving = registry.serve_lock();
    while let Some(key) = registry.take_ready() {
        for waiter in registry.waiters(&key) {
            serve_one(server, &waiter, now);
        }
    }
}

/// Re-runs `waiter`'s command on its behalf; if it produced a reply, settles the waiter with it
/// and wakes its session. A command that found no data leaves the waiter blocked.
fn serve_one(server: &Server, waiter: &Arc<Waiter>, now: Now) {
    let mut slot = waiter.lock();
    if !matches!(*slot, WaitState::Blocked) {
        return;
    }
    let Ok(cmd) = server.commands.resolve(&waiter.args) else {
        return;
    };
    let mut state = ClientState::serving(waiter);
    let mut out = waiter.writer();
    dispatch::execute(server, cmd, &mut state, &mut out, &waiter.args, now);
    if out.buf.is_empty() {
        return;
    }
    *slot = WaitState::Settled(out.buf);
    server.keyspace.blocking.remove(waiter);
    drop(slot);
    // After the slot is released: `ClientHandle::is_blocked` takes these locks the other way.
    waiter.client.clear_blocked(waiter);
    waiter.client.waker.wake();
}

/// Settles a still-blocked waiter with `reply` (timeout, CLIENT UNBLOCK); false if it was
/// already settled or gone.
pub(crate) fn settle(server: &Server, waiter: &Arc<Waiter>, reply: bytes::BytesMut) -> bool {
    let mut slot = waiter.lock();
    if !matches!(*slot, WaitState::Blocked) {
        return false;
    }
    if reply.first() == Some(&b'-') {
        // CLIENT UNBLOCK ... ERROR: the error reply and a failed call of the blocked command
        // count as if the command had replied it, as in Redis.
        crate::command::observe::unblocked_with_error(server, &waiter.args, &reply);
    }
    *slot = WaitState::Settled(reply);
    server.keyspace.blocking.remove(waiter);
    drop(slot);
    waiter.client.clear_blocked(waiter);
    waiter.client.waker.wake();
    true
}
