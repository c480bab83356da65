//! DUMP and RESTORE (Redis's cluster.c): a value serialised in RDB form with a version and
//! checksum footer, and recreated from one.

use bytes::Bytes;

use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::access::lru_clock;
use crate::keyspace::db::Entry;
use crate::persist::{dump, value::Limits};
use crate::propagate::{cmd, int};

/// The value encoding thresholds of the current configuration.
fn limits<'a>(ctx: &Ctx<'a>) -> Limits<'a> {
    ctx.server.rdb_limits()
}

/// DUMP key: the serialised value, or nil for a missing key.
pub(super) fn dump(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let limits = limits(ctx);
    let mut db = ctx.lock();
    match db.get_read(key) {
        Some(e) => {
            let payload = dump::create(&e.value, &limits);
            ctx.out.bulk(&payload);
        }
        None => ctx.out.null(),
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency].
/// Checks run in Redis's order: options, an existing key (BUSYKEY), the TTL, the payload's
/// footer, then its body. A TTL already past restores nothing (deleting the old key under
/// REPLACE). A relative TTL is propagated as ABSTTL with the absolute time, as Redis does,
/// so a replica or AOF replay sets the same expiry.
pub(super) fn restore(ctx: &mut Ctx) {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < ctx.args.len() {
        let opt = ctx.arg(j);
        let more = j + 1 < ctx.args.len();
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if opt.eq_ignore_ascii_case(b"idletime") && more && freq.is_none() {
            let Some(v) = ctx.int_arg(j + 1) else { return };
            if v < 0 {
                ctx.error("ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
            idle = Some(v);
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"freq") && more && idle.is_none() {
            let Some(v) = ctx.int_arg(j + 1) else { return };
            if !(0..=255).contains(&v) {
                ctx.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            freq = Some(v);
            j += 1;
        } else {
            ctx.error(errors::SYNTAX);
            return;
        }
        j += 1;
    }
    let key = ctx.arg(1);
    let limits = limits(ctx);
    let now = ctx.now.ms();
    let mut db = ctx.lock();
    if !replace && db.get(key).is_some() {
        ctx.error("BUSYKEY Target key name already exists.");
        return;
    }
    let Some(ttl) = ctx.int_arg(2) else { return };
    if ttl < 0 {
        ctx.error("ERR Invalid TTL value, must be >= 0");
        return;
    }
    let payload = ctx.arg(3);
    let skip = ctx
        .server
        .persist
        .skip_checksum
        .load(std::sync::atomic::Ordering::Relaxed);
    if !dump::verify_with(payload, !skip) {
        ctx.error("ERR DUMP payload version or checksum are wrong");
        return;
    }
    let value = match dump::load(payload, &limits) {
        Ok(v) => v,
        Err(e) => {
            // Redis logs where its integrity check tripped; operators grep for it.
            ctx.server.host.log(&format!(
                "Internal error in RDB reading offset 0, function at rdb.c:0 -> DUMP payload \
                 integrity check failed: {e}"
            ));
            ctx.error("ERR Bad data format");
            return;
        }
    };
    let deleted = replace && db.delete(key);
    let when = if ttl != 0 && !absttl {
        ttl.saturating_add(now as i64)
    } else {
        ttl
    };
    if when != 0 && when <= now as i64 {
        if deleted {
            // Redis 7.0.15 rewrites this to DEL whatever lazyfree-lazy-server-del says.
            ctx.propagate_as(cmd(&[b"DEL", key]));
            ctx.notify(notify::GENERIC, "del", key);
        } else {
            ctx.unchanged();
        }
        ctx.out.ok();
        return;
    }
    let policy = db.policy;
    let access = match (idle, freq) {
        (Some(secs), _) if !policy.lfu => {
            Some(lru_clock(now).saturating_sub(u32::try_from(secs).unwrap_or(u32::MAX)))
        }
        (_, Some(f)) if policy.lfu => Some((policy.fresh(now) & !0xff) | f as u32),
        _ => None,
    };
    let expire_at = when as u64;
    match access {
        Some(access) => db.put_entry(
            key,
            Entry {
                value,
                expire_at,
                access,
            },
        ),
        None => db.put(key, value, expire_at),
    }
    ctx.notify(notify::GENERIC, "restore", key);
    if when != 0 && !absttl {
        let mut args: Vec<Bytes> = ctx.args.to_vec();
        args[2] = Bytes::from(int(when));
        args.push(Bytes::from_static(b"ABSTTL"));
        ctx.propagate_as(args);
    }
    ctx.out.ok();
}
