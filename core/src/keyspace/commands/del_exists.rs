//! DEL, UNLINK, EXISTS, TOUCH and TYPE.

use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::Release;

/// DEL key [key ...]: deletes the live keys among its arguments, replying with their count.
/// An expired key is reclaimed on the way but not counted, as in Redis. Under
/// `lazyfree-lazy-user-del` it frees as UNLINK does.
pub(super) fn del(ctx: &mut Ctx) {
    delete_keys(ctx, Release::UserDel);
}

/// UNLINK key [key ...]: DEL whose heavy values are freed in the background
/// (`keyspace::lazyfree`), after the keys left the keyspace.
pub(super) fn unlink(ctx: &mut Ctx) {
    delete_keys(ctx, Release::Unlink);
}

/// DEL and UNLINK: values go as `why` says.
fn delete_keys(ctx: &mut Ctx, why: Release) {
    let args = ctx.args;
    let mut db = ctx.lock();
    // Only the keys really deleted are touched; deleting none propagates nothing.
    let deleted: smallvec::SmallVec<[usize; 2]> = (1..args.len())
        .filter(|&i| {
            let Some(old) = db.remove(&args[i]) else {
                return false;
            };
            db.release(old.value, why);
            db.notify(notify::GENERIC, "del", &args[i]);
            true
        })
        .collect();
    drop(db);
    ctx.out.int(deleted.len() as i64);
    ctx.modified = Some(deleted);
}

/// EXISTS key [key ...]: how many arguments name a live key (a repeated key counts each time).
pub(super) fn exists(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut db = ctx.lock();
    let n = args[1..]
        .iter()
        .filter(|k| db.get_read_no_touch(k).is_some())
        .count();
    ctx.out.int(n as i64);
}

/// TOUCH key [key ...]: refreshes the access time of the live keys, replying with their count.
pub(super) fn touch(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut db = ctx.lock();
    // Touching is the command's whole point: Redis exempts TOUCH from CLIENT NO-TOUCH.
    db.touch = true;
    let n = args[1..]
        .iter()
        .filter(|k| db.get_read(k).is_some())
        .count();
    ctx.out.int(n as i64);
}

/// TYPE key: the value's type name as a status reply, "none" for a missing key.
pub(super) fn type_(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let name = db
        .get_read_no_touch(key)
        .map_or("none", |e| e.value.type_name());
    ctx.out.simple(name.as_bytes());
}
