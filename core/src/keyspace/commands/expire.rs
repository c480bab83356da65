//! EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST.

use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::Release;
use crate::propagate::{cmd, int};

/// EXPIRE key seconds [NX | XX | GT | LT].
pub(super) fn expire(ctx: &mut Ctx) {
    let base = ctx.now.ms() as i64;
    expire_generic(ctx, base, 1000);
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT].
pub(super) fn pexpire(ctx: &mut Ctx) {
    let base = ctx.now.ms() as i64;
    expire_generic(ctx, base, 1);
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT].
pub(super) fn expireat(ctx: &mut Ctx) {
    expire_generic(ctx, 0, 1000);
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT].
pub(super) fn pexpireat(ctx: &mut Ctx) {
    expire_generic(ctx, 0, 1);
}

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    /// Parses the options from argument 3 on; replies with Redis's error on a bad one.
    fn parse(ctx: &mut Ctx) -> Option<Conditions> {
        let mut c = Conditions::default();
        for opt in &ctx.args[3..] {
            let flag = match () {
                _ if opt.eq_ignore_ascii_case(b"nx") => &mut c.nx,
                _ if opt.eq_ignore_ascii_case(b"xx") => &mut c.xx,
                _ if opt.eq_ignore_ascii_case(b"gt") => &mut c.gt,
                _ if opt.eq_ignore_ascii_case(b"lt") => &mut c.lt,
                _ => {
                    let mut msg = b"ERR Unsupported option ".to_vec();
                    msg.extend_from_slice(opt);
                    ctx.error_bytes(&msg);
                    return None;
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            ctx.error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return None;
        }
        if c.gt && c.lt {
            ctx.error("ERR GT and LT options at the same time are not compatible");
            return None;
        }
        Some(c)
    }

    /// Whether the new expiry `when` may replace `current` (None = the key is persistent, which
    /// counts as an infinite TTL: GT never passes, LT always does).
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        if self.nx && current.is_some() {
            return false;
        }
        if self.xx && current.is_none() {
            return false;
        }
        if self.gt && current.is_none_or(|cur| when <= cur) {
            return false;
        }
        if self.lt && current.is_some_and(|cur| when >= cur) {
            return false;
        }
        true
    }
}

/// The EXPIRE family: `base` is now (relative forms) or 0 (absolute forms) in milliseconds, and
/// `unit` the milliseconds per unit of the argument. A time at or before now deletes the key.
fn expire_generic(ctx: &mut Ctx, base: i64, unit: i64) {
    let Some(cond) = Conditions::parse(ctx) else {
        return;
    };
    let Some(n) = ctx.int_arg(2) else {
        return;
    };
    // Times are signed in Redis, so past (even negative) times are accepted; only arithmetic
    // overflow is an error.
    let Some(when) = n.checked_mul(unit).and_then(|ms| ms.checked_add(base)) else {
        let msg = format!("ERR invalid expire time in '{}' command", ctx.cmd.name);
        ctx.error(&msg);
        return;
    };
    let key = ctx.arg(1);
    let now = ctx.now.ms() as i64;
    let mut db = ctx.lock();
    let Some(entry) = db.get(key) else {
        ctx.unchanged();
        ctx.out.int(0);
        return;
    };
    let current = (entry.expire_at != 0).then_some(entry.expire_at as i64);
    if !cond.allow(current, when) {
        ctx.unchanged();
        ctx.out.int(0);
        return;
    }
    // Propagated with the absolute time, so a replay at another time sets the same expiry.
    if when <= now {
        if let Some(old) = db.remove(key) {
            db.release(old.value, Release::Expire);
        }
        let del = ctx.server.keyspace.lazyfree.del_command(Release::Expire);
        ctx.propagate_as(cmd(&[del, key]));
        ctx.notify(notify::GENERIC, "del", key);
    } else {
        db.set_expire(key, when as u64);
        ctx.propagate_as(cmd(&[b"PEXPIREAT", key, &int(when)]));
        ctx.notify(notify::GENERIC, "expire", key);
    }
    ctx.out.int(1);
}

/// What the TTL family reports.
#[derive(Clone, Copy)]
enum TtlForm {
    /// Remaining time in seconds, rounded to nearest (TTL).
    Secs,
    /// Remaining time in milliseconds (PTTL).
    Millis,
    /// Absolute expiry in seconds (EXPIRETIME).
    AtSecs,
    /// Absolute expiry in milliseconds (PEXPIRETIME).
    AtMillis,
}

/// -2 for a missing key, -1 for a persistent one, else the expiry in the requested form.
fn ttl_generic(ctx: &mut Ctx, form: TtlForm) {
    let key = ctx.arg(1);
    let now = ctx.now.ms();
    let mut db = ctx.lock();
    let Some(entry) = db.get_read_no_touch(key) else {
        ctx.out.int(-2);
        return;
    };
    let at = entry.expire_at;
    if at == 0 {
        ctx.out.int(-1);
        return;
    }
    let at = at.min(i64::MAX as u64) as i64;
    let remaining = (at - now as i64).max(0);
    let reply = match form {
        // The relative forms round half up, as Redis's (ttl + 500) / 1000.
        TtlForm::Secs => (remaining + 500) / 1000,
        TtlForm::Millis => remaining,
        TtlForm::AtSecs => (at + 500) / 1000,
        TtlForm::AtMillis => at,
    };
    ctx.out.int(reply);
}

/// TTL key.
pub(super) fn ttl(ctx: &mut Ctx) {
    ttl_generic(ctx, TtlForm::Secs);
}

/// PTTL key.
pub(super) fn pttl(ctx: &mut Ctx) {
    ttl_generic(ctx, TtlForm::Millis);
}

/// EXPIRETIME key.
pub(super) fn expiretime(ctx: &mut Ctx) {
    ttl_generic(ctx, TtlForm::AtSecs);
}

/// PEXPIRETIME key.
pub(super) fn pexpiretime(ctx: &mut Ctx) {
    ttl_generic(ctx, TtlForm::AtMillis);
}

/// PERSIST key: removes the TTL; 1 if there was one, 0 if the key is missing or persistent.
pub(super) fn persist(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let had_ttl = db.get(key).is_some_and(|e| e.expire_at != 0);
    if had_ttl {
        db.set_expire(key, 0);
        ctx.notify(notify::GENERIC, "persist", key);
    } else {
        ctx.unchanged();
    }
    ctx.out.int(had_ttl as i64);
}
