//! CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE (Redis 7.0's networking.c). The pause
//! itself is `pause::ClientPause`; the call boundary holds commands back
//! (`command::postpone`), each held session waits without its thread (it keeps the command and
//! a deadline at the pause's end), and UNPAUSE wakes them all.

use std::sync::atomic::Ordering;

use super::util::subcommand_syntax_error;
use crate::command::Ctx;
use crate::pause::PauseMode;

/// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as in Redis.
pub(super) fn pause(ctx: &mut Ctx) {
    let mode = match ctx.args.len() {
        3 => PauseMode::All,
        4 => {
            let m = ctx.arg(3);
            if m.eq_ignore_ascii_case(b"write") {
                PauseMode::Write
            } else if m.eq_ignore_ascii_case(b"all") {
                PauseMode::All
            } else {
                return ctx.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
            }
        }
        _ => return subcommand_syntax_error(ctx),
    };
    let Some(ms) = crate::util::num::parse_i64(ctx.arg(2)) else {
        return ctx.error("ERR timeout is not an integer or out of range");
    };
    if ms < 0 {
        return ctx.error("ERR timeout is negative");
    }
    let now = ctx.now.ms();
    // A zero timeout is an end time of zero, a pause that is already over (Redis adds the
    // clock only to a positive timeout); so is one whose end overflows, as Redis's signed
    // sum wraps into the past.
    let end = i64::try_from(now)
        .ok()
        .filter(|_| ms > 0)
        .and_then(|now| now.checked_add(ms))
        .map_or(0, i64::unsigned_abs);
    ctx.server.keyspace.pause.pause(mode, end, now);
    ctx.out.ok();
}

/// CLIENT UNPAUSE: ends the pause and wakes every client it held back, whose commands then run
/// in the order their sessions get to them.
pub(super) fn unpause(ctx: &mut Ctx) {
    ctx.server.keyspace.pause.unpause();
    wake_paused(ctx.server);
    ctx.out.ok();
}

/// Wakes every client a pause held back (after CLIENT UNPAUSE, or a FAILOVER's end): their
/// commands run in the order their sessions get to them.
pub fn wake_paused(server: &crate::server::Server) {
    for h in server.clients.snapshot() {
        // Paired with the session's store of the flag (see `ClientPause::unpause`).
        if h.paused.load(Ordering::SeqCst) {
            h.waker.wake();
        }
    }
}

#[cfg(test)]
mod tests;
