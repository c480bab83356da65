//! Which commands CLIENT PAUSE holds back (Redis's check at the end of processCommand): the
//! call boundary asks once a command has passed every check that answers at once (unknown
//! command, arity, subscribed context, refused writes, NO_MULTI), so a command that would fail
//! those still gets its error during a pause. A postponed command is not run: the session
//! keeps it and tries it again when the pause ends.

use super::{Command, CommandFlags};
use crate::client::ClientState;
use crate::pause::PauseMode;
use crate::server::Server;

/// Whether the pause in force at `now_ms` holds `cmd` back for the client in `state`.
/// Only a client's own top-level commands wait: not those EXEC runs (a pause starts after
/// the transaction that set it), not a blocked client's served command, not the AOF loader's,
/// and never a replica's or a monitor's (Redis exempts its CLIENT_SLAVE clients).
pub fn postponed(server: &Server, state: &ClientState, cmd: &Command, now_ms: u64) -> bool {
    let mode = server.keyspace.pause.mode_at(now_ms);
    if mode == PauseMode::Off
        || state.in_exec
        || state.serving_blocked
        || state.deny_blocking
        || state.handle.is_replica_or_monitor()
    {
        return false;
    }
    mode == PauseMode::All || may_replicate(state, cmd)
}

/// Whether `cmd` may change the dataset or add to the replication stream: a write, one of
/// Redis's may-replicate commands (PUBLISH, PFCOUNT...), or an EXEC with such a command queued.
fn may_replicate(state: &ClientState, cmd: &Command) -> bool {
    let flags = cmd.flags;
    if flags.has(CommandFlags::WRITE) || flags.has(CommandFlags::MAY_REPLICATE) {
        return true;
    }
    cmd.name == "exec" && state.multi.as_ref().is_some_and(|m| m.may_replicate)
}
