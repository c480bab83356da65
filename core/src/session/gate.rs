//! Taking the exec gate while a script may be running. A script holds the gate exclusively for
//! its whole run; a session waits for it as for any EXEC, until the script passes
//! `busy-reply-threshold`: from then on the session stops waiting and answers -BUSY to
//! everything but the ALLOW_BUSY commands (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE...),
//! which it runs without the gate, as Redis serves clients between a slow script's steps.

use crate::server::Server;
use crate::sync::{RwLockReadGuard, RwLockWriteGuard};

/// How long one wait for the gate lasts before the session looks at the running script again.
/// (A lock wait, not a reading of the clock: nothing in core depends on the time it took.)
#[cfg(not(loom))]
const POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// The gate, shared, or None while a script runs past the busy threshold.
pub(super) fn shared(server: &Server) -> Option<RwLockReadGuard<'_, ()>> {
    #[cfg(loom)]
    {
        Some(server.exec_gate.read())
    }
    #[cfg(not(loom))]
    loop {
        if let Some(g) = server.exec_gate.try_read_for(POLL) {
            return Some(g);
        }
        if server.scripting.busy.timed_out() {
            return None;
        }
    }
}

/// The gate, exclusively, or None while a script runs past the busy threshold.
pub(super) fn exclusive(server: &Server) -> Option<RwLockWriteGuard<'_, ()>> {
    #[cfg(loom)]
    {
        Some(server.exec_gate.write())
    }
    #[cfg(not(loom))]
    loop {
        if let Some(g) = server.exec_gate.try_write_for(POLL) {
            return Some(g);
        }
        if server.scripting.busy.timed_out() {
            return None;
        }
    }
}
