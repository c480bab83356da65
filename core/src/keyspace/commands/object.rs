//! OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP.

use crate::command::Ctx;
use crate::keyspace::locked::lru_clock;
use crate::keyspace::{Entry, Value};

/// What Redis reports as the reference count of its shared objects (INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis shares the integers 0..OBJ_SHARED_INTEGERS between all keys holding them.
const SHARED_INTEGERS: i64 = 10_000;

const FREQ_NOT_TRACKED: &str = "ERR An LFU maxmemory policy is not selected, access frequency \
not tracked. Please note that when switching between policies at runtime LRU and LFU data will \
take some time to adjust.";
const IDLE_NOT_TRACKED: &str = "ERR An LFU maxmemory policy is selected, idle time not \
tracked. Please note that when switching between policies at runtime LRU and LFU data will take \
some time to adjust.";

/// Whether an LFU maxmemory policy is in force.
// TODO(keys): read `maxmemory_policy` once the configuration has it (admin is adding it);
// until then the policy is Redis's default, noeviction, which is not LFU.
fn lfu_policy(_ctx: &Ctx) -> bool {
    false
}

/// Looks the key up as Redis's OBJECT does (no touch; hit/miss counted) and lets `f` reply, or
/// replies nil for a missing key.
fn with_entry(ctx: &mut Ctx, f: impl FnOnce(&Entry, &mut Ctx)) {
    let key = ctx.arg(2);
    let mut db = ctx.lock();
    match db.get_read_no_touch(key) {
        Some(entry) => f(entry, ctx),
        None => ctx.out.null(),
    }
}

/// OBJECT ENCODING key.
pub(super) fn encoding(ctx: &mut Ctx) {
    with_entry(ctx, |e, ctx| ctx.out.bulk(e.value.encoding().as_bytes()));
}

/// OBJECT REFCOUNT key: the shared integers report INT_MAX, everything else 1 (lode never
/// shares values between keys, and Redis's only sharing visible here is those integers).
pub(super) fn refcount(ctx: &mut Ctx) {
    with_entry(ctx, |e, ctx| {
        let shared = matches!(e.value, Value::Int(n) if (0..SHARED_INTEGERS).contains(&n));
        ctx.out.int(if shared { SHARED_REFCOUNT } else { 1 });
    });
}

/// OBJECT IDLETIME key: seconds since the last access (not available under LFU).
pub(super) fn idletime(ctx: &mut Ctx) {
    let lfu = lfu_policy(ctx);
    let now = lru_clock(ctx.now.ms());
    with_entry(ctx, |e, ctx| {
        if lfu {
            ctx.error(IDLE_NOT_TRACKED);
        } else {
            // Wrapping: the clock is a u32 of seconds, like Redis's wrapping 24-bit LRU clock.
            ctx.out.int(i64::from(now.wrapping_sub(e.access)));
        }
    });
}

/// OBJECT FREQ key: the LFU counter, only tracked under an LFU policy.
pub(super) fn freq(ctx: &mut Ctx) {
    let lfu = lfu_policy(ctx);
    with_entry(ctx, |e, ctx| {
        if lfu {
            // Under LFU the low 8 bits of the access field are the logarithmic counter.
            ctx.out.int(i64::from(e.access & 0xff));
        } else {
            ctx.error(FREQ_NOT_TRACKED);
        }
    });
}

/// OBJECT HELP.
pub(super) fn help(ctx: &mut Ctx) {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(LINES.len());
    for line in LINES {
        ctx.out.simple(line.as_bytes());
    }
}
