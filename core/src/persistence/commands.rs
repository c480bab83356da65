//! SAVE, BGSAVE [SCHEDULE] and LASTSAVE. SAVE and BGSAVE are EXCLUSIVE commands: they run
//! with the exec gate held exclusively, so the snapshot they begin is one instant.

use std::sync::atomic::Ordering;

use super::{begin_save, start_background_save};
use crate::command::{Ctx, Handler};
use crate::effects::{AfterEffect, Effect};
use crate::persist::status::Running;

/// The persistence commands lode implements.
pub const COMMANDS: &[(&str, Handler)] =
    &[("save", save), ("bgsave", bgsave), ("lastsave", lastsave)];

/// SAVE: the client waits while the effect runner writes the file; other clients are served
/// meanwhile (Redis blocks them all, lode need not: the file is the instant SAVE ran).
fn save(ctx: &mut Ctx) {
    match begin_save(ctx.server, ctx.now, false) {
        Ok(job) => ctx.request_effect(Effect::Save(Box::new(job)), AfterEffect::ReplyOk),
        Err(e) => ctx.error(e),
    }
}

fn bgsave(ctx: &mut Ctx) {
    let schedule = match ctx.args.len() {
        1 => false,
        2 if ctx.arg(1).eq_ignore_ascii_case(b"schedule") => true,
        _ => return ctx.syntax_error(),
    };
    let status = &ctx.server.persist;
    if schedule && status.running() == Running::AofRewrite {
        status.bgsave_scheduled.store(true, Ordering::Relaxed);
        return ctx.out.simple(b"Background saving scheduled");
    }
    match begin_save(ctx.server, ctx.now, true) {
        Ok(job) => {
            start_background_save(ctx.server, job);
            ctx.out.simple(b"Background saving started");
        }
        Err(e) => ctx.error(e),
    }
}

fn lastsave(ctx: &mut Ctx) {
    let t = ctx.server.persist.lastsave.load(Ordering::Relaxed);
    ctx.out.int(t as i64);
}
