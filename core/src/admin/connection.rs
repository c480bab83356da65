//! Connection commands: PING, ECHO, SELECT, QUIT, ...

use crate::command::{Ctx, Handler};

/// The connection commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("select", select),
    ("quit", quit),
];

fn ping(ctx: &mut Ctx) {
    match ctx.args.len() {
        1 => ctx.out.simple(b"PONG"),
        2 => ctx.out.bulk(ctx.arg(1)),
        _ => ctx.arity_error(),
    }
}

fn echo(ctx: &mut Ctx) {
    ctx.out.bulk(ctx.arg(1));
}

fn select(ctx: &mut Ctx) {
    let Some(db) = crate::util::num::parse_i64(ctx.arg(1)) else {
        return ctx.error(crate::command::errors::NOT_INT);
    };
    if db < 0 || db as usize >= ctx.server.keyspace.databases() {
        return ctx.error(crate::command::errors::DB_RANGE);
    }
    ctx.client.db = db as usize;
    ctx.client
        .handle
        .db
        .store(db as usize, std::sync::atomic::Ordering::Relaxed);
    ctx.out.ok();
}

fn quit(ctx: &mut Ctx) {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
}
