//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, ...

use crate::command::{Ctx, Handler};

/// The server commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("dbsize", dbsize),
    ("flushdb", flushdb),
    ("flushall", flushall),
];

fn dbsize(ctx: &mut Ctx) {
    let n = ctx.server.keyspace.db_size(ctx.client.db);
    ctx.out.int(n as i64);
}

fn flushdb(ctx: &mut Ctx) {
    for shard in ctx.lock().shards_mut() {
        shard.clear();
    }
    ctx.out.ok();
}

fn flushall(ctx: &mut Ctx) {
    for shard in ctx.lock().all_dbs_mut() {
        for db in shard.dbs.iter_mut() {
            db.clear();
        }
    }
    ctx.out.ok();
}
