//! GET and SET with their variants: SET's options, SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX.

use super::options::{expire_at_ms, expire_error, ExpireKind, For, Options};
use super::reply_string;
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Release, Slot, Value};
use crate::propagate::{cmd, int};

/// GET key
pub fn get(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    match db.get_read(key) {
        None => ctx.out.null(),
        Some(e) => {
            if !reply_string(ctx.out, &e.value) {
                ctx.wrong_type();
            }
        }
    }
}

/// When a SET-family command only writes conditionally.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    IfAbsent,
    IfPresent,
}

/// What a SET-family write did, for the caller to reply.
enum Outcome {
    Written,
    /// NX/XX prevented the write.
    Skipped,
    /// GET found a non-string; the error has been sent.
    Failed,
}

/// The common core of SET, SETNX, SETEX, PSETEX and GETSET (the value is argument `val_at`).
/// With `get`, the old value (or nil) has been replied when this returns.
fn set_generic(
    ctx: &mut Ctx,
    val_at: usize,
    cond: Cond,
    get: bool,
    keepttl: bool,
    expire_at: Option<u64>,
) -> Outcome {
    let (key, val) = (ctx.arg(1), ctx.arg(val_at));
    let mut db = ctx.lock();
    let mut overwritten = None;
    // SET ... GET reads the key the way GET does, so it counts as a keyspace hit or miss.
    match if get { db.slot_read(key) } else { db.slot(key) } {
        Slot::Live(mut live) => {
            if get && !reply_string(ctx.out, &live.entry().value) {
                ctx.wrong_type();
                return Outcome::Failed;
            }
            if cond == Cond::IfAbsent {
                ctx.unchanged();
                return Outcome::Skipped;
            }
            let ttl = match expire_at {
                Some(at) => at,
                None if keepttl => live.entry().expire_at,
                None => 0,
            };
            // The old value may be freed in the background (lazyfree-lazy-server-del).
            overwritten = Some(std::mem::replace(&mut live.entry().value, Value::Int(0)));
            live.replace(Value::string(val), ttl);
        }
        Slot::Vacant(vacant) => {
            if get {
                ctx.out.null();
            }
            if cond == Cond::IfPresent {
                ctx.unchanged();
                return Outcome::Skipped;
            }
            vacant.insert(key, Value::string(val), expire_at.unwrap_or(0));
        }
    }
    if let Some(old) = overwritten {
        db.release(old, Release::ServerDel);
    }
    ctx.notify(notify::STRING, "set", key);
    if let Some(at) = expire_at {
        // Relative and absolute forms alike propagate the absolute time (Redis 7).
        ctx.propagate_as(cmd(&[b"SET", key, val, b"PXAT", &int(at as i64)]));
        ctx.notify(notify::GENERIC, "expire", key);
    }
    Outcome::Written
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
pub fn set(ctx: &mut Ctx) {
    let Some(opts) = Options::parse(ctx.args, For::Set) else {
        return ctx.syntax_error();
    };
    let expire_at = match opts.expire {
        None => None,
        Some((kind, arg)) => match expire_at_ms(arg, kind, ctx.now.ms()) {
            Ok(at) => Some(at),
            Err(e) => return expire_error(ctx, e),
        },
    };
    let cond = if opts.nx {
        Cond::IfAbsent
    } else if opts.xx {
        Cond::IfPresent
    } else {
        Cond::Always
    };
    let outcome = set_generic(ctx, 2, cond, opts.get, opts.keepttl, expire_at);
    if opts.get && expire_at.is_none() && matches!(outcome, Outcome::Written) {
        // Propagated without GET, as Redis 7.0 (an expiry already rewrote the command).
        let args: Vec<&[u8]> = ctx
            .args
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| &a[..])
            .collect();
        ctx.propagate_as(cmd(&args));
    }
    if !opts.get {
        match outcome {
            Outcome::Written => ctx.out.ok(),
            Outcome::Skipped => ctx.out.null(),
            Outcome::Failed => {}
        }
    }
}

/// SETNX key value
pub fn setnx(ctx: &mut Ctx) {
    match set_generic(ctx, 2, Cond::IfAbsent, false, false, None) {
        Outcome::Written => ctx.out.int(1),
        _ => ctx.out.int(0),
    }
}

/// SETEX key seconds value
pub fn setex(ctx: &mut Ctx) {
    set_with_ttl(ctx, ExpireKind::Ex);
}

/// PSETEX key milliseconds value
pub fn psetex(ctx: &mut Ctx) {
    set_with_ttl(ctx, ExpireKind::Px);
}

fn set_with_ttl(ctx: &mut Ctx, kind: ExpireKind) {
    match expire_at_ms(ctx.arg(2), kind, ctx.now.ms()) {
        Ok(at) => {
            set_generic(ctx, 3, Cond::Always, false, false, Some(at));
            ctx.out.ok();
        }
        Err(e) => expire_error(ctx, e),
    }
}

/// GETSET key value
pub fn getset(ctx: &mut Ctx) {
    // Exactly SET key value GET: the old TTL goes, as with any plain SET; propagated as SET.
    if matches!(
        set_generic(ctx, 2, Cond::Always, true, false, None),
        Outcome::Written
    ) {
        let (key, value) = (ctx.arg(1), ctx.arg(2));
        ctx.propagate_as(cmd(&[b"SET", key, value]));
    }
}

/// GETDEL key
pub fn getdel(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let slot = db.slot_read(key);
    match slot {
        Slot::Vacant(_) => {
            ctx.unchanged();
            ctx.out.null();
        }
        Slot::Live(mut live) => {
            if reply_string(ctx.out, &live.entry().value) {
                live.remove();
                let del = ctx.server.keyspace.lazyfree.del_command(Release::UserDel);
                ctx.propagate_as(cmd(&[del, key]));
                ctx.notify(notify::GENERIC, "del", key);
            } else {
                ctx.wrong_type();
            }
        }
    }
}

/// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]
pub fn getex(ctx: &mut Ctx) {
    let Some(opts) = Options::parse(ctx.args, For::GetEx) else {
        return ctx.syntax_error();
    };
    let key = ctx.arg(1);
    let now = ctx.now.ms();
    let mut db = ctx.lock();
    let Slot::Live(mut live) = db.slot_read(key) else {
        ctx.unchanged();
        return ctx.out.null();
    };
    if !live.entry().value.is_string() {
        return ctx.wrong_type();
    }
    // Redis checks the expiry only once it knows the key is a string.
    let expire = match opts.expire {
        None => None,
        Some((kind, arg)) => match expire_at_ms(arg, kind, now) {
            Ok(at) => Some((kind, at)),
            Err(e) => return expire_error(ctx, e),
        },
    };
    reply_string(ctx.out, &live.entry().value);
    match expire {
        // An absolute time already past deletes the key, as EXPIREAT does.
        Some((kind, at)) if kind.absolute() && at <= now => {
            live.remove();
            let del = ctx.server.keyspace.lazyfree.del_command(Release::Expire);
            ctx.propagate_as(cmd(&[del, key]));
            ctx.notify(notify::GENERIC, "del", key);
        }
        Some((_, at)) => {
            live.set_expire(at);
            ctx.propagate_as(cmd(&[b"PEXPIREAT", key, &int(at as i64)]));
            ctx.notify(notify::GENERIC, "expire", key);
        }
        None if opts.persist && live.entry().expire_at != 0 => {
            live.set_expire(0);
            ctx.propagate_as(cmd(&[b"PERSIST", key]));
            ctx.notify(notify::GENERIC, "persist", key);
        }
        None => ctx.unchanged(),
    }
}
