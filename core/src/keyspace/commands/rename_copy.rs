//! RENAME, RENAMENX, COPY and MOVE.

use super::db_index_arg;
use crate::command::{errors, Ctx};
use crate::config::notify;

/// Redis's shared `sameobjecterr` reply.
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// RENAME key newkey.
pub(super) fn rename(ctx: &mut Ctx) {
    rename_generic(ctx, false);
}

/// RENAMENX key newkey.
pub(super) fn renamenx(ctx: &mut Ctx) {
    rename_generic(ctx, true);
}

/// Moves the entry of `key` to `newkey`, TTL and access time included, replacing `newkey`
/// unless `nx`. A missing source is an error even when both names are the same.
fn rename_generic(ctx: &mut Ctx, nx: bool) {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.lock();
    if db.get(src).is_none() {
        ctx.error(errors::NO_SUCH_KEY);
        return;
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return;
    }
    // Looked up even without NX so that an expired destination is reclaimed first.
    if db.get(dst).is_some() {
        if nx {
            ctx.out.int(0);
            return;
        }
        // Deleted before the new key is added, as Redis does: the `new` event follows.
        db.delete(dst);
    }
    let Some(entry) = db.remove(src) else {
        ctx.error(errors::NO_SUCH_KEY);
        return;
    };
    db.put_entry(dst, entry);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
}

/// MOVE key db: moves a key to another database unless it exists there; the TTL goes along.
pub(super) fn move_(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let Some(dst) = db_index_arg(ctx, 2) else {
        return;
    };
    let src = ctx.client.db;
    if dst == src {
        ctx.error(SAME_OBJECT);
        return;
    }
    // Every database's keys live in the key's shard, so the lock covers both ends.
    let mut db = ctx.lock();
    if db.get(key).is_none() {
        ctx.out.int(0);
        return;
    }
    db.db = dst;
    if db.get(key).is_some() {
        ctx.out.int(0);
        return;
    }
    db.db = src;
    let Some(entry) = db.remove(key) else {
        ctx.out.int(0);
        return;
    };
    db.db = dst;
    db.put_entry(key, entry);
    ctx.notify_in(src, notify::GENERIC, "move_from", key);
    ctx.notify_in(dst, notify::GENERIC, "move_to", key);
    ctx.out.int(1);
}

/// COPY source destination [DB destination-db] [REPLACE]: copies the value and its TTL.
pub(super) fn copy(ctx: &mut Ctx) {
    let (src_key, dst_key) = (ctx.arg(1), ctx.arg(2));
    let src = ctx.client.db;
    let mut dst = src;
    let mut replace = false;
    let mut j = 3;
    while j < ctx.args.len() {
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && j + 1 < ctx.args.len() {
            // The database is validated as soon as it is parsed, before later options.
            let Some(d) = db_index_arg(ctx, j + 1) else {
                return;
            };
            dst = d;
            j += 1;
        } else {
            ctx.syntax_error();
            return;
        }
        j += 1;
    }
    if src == dst && src_key == dst_key {
        ctx.error(SAME_OBJECT);
        return;
    }
    let mut db = ctx.lock();
    let Some((value, expire_at)) = db.get_read(src_key).map(|e| (e.value.clone(), e.expire_at))
    else {
        ctx.out.int(0);
        return;
    };
    db.db = dst;
    if db.get(dst_key).is_some() {
        if !replace {
            ctx.out.int(0);
            return;
        }
        // Deleted before the copy is added, as Redis does: the `new` event follows.
        db.delete(dst_key);
    }
    // A copy is a new object: its access time is now, as for any freshly created value.
    db.put(dst_key, value, expire_at);
    ctx.notify_in(dst, notify::GENERIC, "copy_to", dst_key);
    ctx.out.int(1);
}
