//! Generic key commands (Redis's db.c / expire.c): DEL, EXISTS, ...

use crate::command::{Ctx, Handler};

/// The generic key commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[("del", del), ("exists", exists)];

fn del(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut db = ctx.lock();
    let n = args[1..].iter().filter(|k| db.remove(k).is_some()).count();
    ctx.out.int(n as i64);
}

fn exists(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut db = ctx.lock();
    let n = args[1..].iter().filter(|k| db.contains(k)).count();
    ctx.out.int(n as i64);
}
