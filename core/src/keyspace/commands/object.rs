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
fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.server.keyspace.access_policy.get().lfu
}

/// Looks the key up as Redis's OBJECT does (no touch; hit/miss counted) and lets `f` reply, or
/// replies nil for a missing key.
fn with_entry(ctx: &mut Ctx, f: impl FnOnce(&Entry, &mut Ctx)) {
    let key = ctx.arg(2);
    let mut db = ctx.lock();
    match db.get_read_quiet(key) {
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
/// Redis stops sharing them under a `maxmemory` with an LRU or LFU policy, where each value
/// needs its own access field; lode answers by the policy in force now.
pub(super) fn refcount(ctx: &mut Ctx) {
    let sharing = ctx.server.config.read().shares_integers();
    with_entry(ctx, |e, ctx| {
        let shared =
            sharing && matches!(e.value, Value::Int(n) if (0..SHARED_INTEGERS).contains(&n));
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
    let policy = ctx.server.keyspace.access_policy.get();
    let now = ctx.now.ms();
    with_entry(ctx, |e, ctx| {
        if policy.lfu {
            // The logarithmic counter, decayed for the minutes since its last decrement.
            ctx.out.int(i64::from(policy.lfu_counter(e.access, now)));
        } else {
            ctx.error(FREQ_NOT_TRACKED);
        }
    });
}

/// OBJECT HELP, in lode's own words.
pub(super) fn help(ctx: &mut Ctx) {
    const LINES: &[&str] = &[
        "ENCODING <key>",
        "    Names the internal representation the value at <key> is stored in.",
        "FREQ <key>",
        "    Replies with the key's logarithmic access-frequency counter (LFU policies only).",
        "IDLETIME <key>",
        "    Replies with the seconds since <key> was last accessed (not under LFU policies).",
        "REFCOUNT <key>",
        "    Replies with how many references the value at <key> has.",
    ];
    crate::admin::util::help(ctx, LINES);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn freq_and_idletime_under_lfu() {
        // keys.case "OBJECT FREQ and IDLETIME under LFU".
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["SET", "s", "hello"]), "+OK\r\n");
        assert!(c
            .cmd(&["OBJECT", "FREQ", "s"])
            .starts_with("-ERR An LFU maxmemory policy is not selected"));
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]),
            "+OK\r\n"
        );
        // (A key from before the switch would read its LRU clock as a counter, as in Redis.)
        assert_eq!(c.cmd(&["DEL", "s"]), ":1\r\n");
        assert_eq!(c.cmd(&["SET", "s", "hello"]), "+OK\r\n");
        // A new value starts at 5, and OBJECT itself doesn't count as an access.
        assert_eq!(c.cmd(&["OBJECT", "FREQ", "s"]), ":5\r\n");
        assert_eq!(c.cmd(&["OBJECT", "FREQ", "s"]), ":5\r\n");
        assert_eq!(
            c.cmd(&["OBJECT", "IDLETIME", "s"]),
            "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that \
             when switching between policies at runtime LRU and LFU data will take some time \
             to adjust.\r\n"
        );
        assert_eq!(c.cmd(&["OBJECT", "FREQ", "nosuch"]), "$-1\r\n");
        // The first access above the initial count always counts; SET keeps the counter of
        // the value it replaces (and counts its own access).
        assert_eq!(c.cmd(&["GET", "s"]), "$5\r\nhello\r\n");
        assert_eq!(c.cmd(&["OBJECT", "FREQ", "s"]), ":6\r\n");
        c.cmd(&["SET", "s", "x"]);
        let f: i64 = c.cmd(&["OBJECT", "FREQ", "s"])[1..2].parse().unwrap_or(0);
        assert!((6..=7).contains(&f), "{f}");
        // A client with NO-TOUCH reads without counting.
        let mut quiet = TestClient::new(&srv);
        quiet.cmd(&["CLIENT", "NO-TOUCH", "on"]);
        for _ in 0..20 {
            quiet.cmd(&["GET", "s"]);
        }
        assert_eq!(quiet.cmd(&["OBJECT", "FREQ", "s"]), format!(":{f}\r\n"));
        // Many accesses grow the counter logarithmically.
        for _ in 0..200 {
            c.cmd(&["GET", "s"]);
        }
        let many: i64 = c.cmd(&["OBJECT", "FREQ", "s"])[1..]
            .trim_end()
            .parse()
            .unwrap_or(0);
        assert!((f..30).contains(&many), "{many}");
        // lfu-decay-time is 1 minute: the counter drops by one per idle minute.
        c.advance_ms(3 * 60_000 + 1);
        let decayed: i64 = c.cmd(&["OBJECT", "FREQ", "s"])[1..]
            .trim_end()
            .parse()
            .unwrap_or(0);
        assert!(
            decayed == many - 3 || decayed == many - 4,
            "{many} {decayed}"
        );
        // Back to an LRU policy: FREQ is refused again, IDLETIME answers.
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]),
            "+OK\r\n"
        );
        assert!(c.cmd(&["OBJECT", "FREQ", "s"]).starts_with("-ERR An LFU"));
        assert!(c.cmd(&["OBJECT", "IDLETIME", "s"]).starts_with(':'));
    }

    #[test]
    fn lfu_policy_from_the_startup_configuration() {
        let srv = crate::testkit::server_with(crate::config::Config {
            maxmemory_policy: crate::config::MaxmemoryPolicy::VolatileLfu,
            lfu_decay_time: 1,
            lfu_log_factor: 10,
            ..crate::config::Config::default()
        });
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(&["OBJECT", "FREQ", "k"]), ":5\r\n");
    }
}
