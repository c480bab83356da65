//! The timeout argument of blocking commands.

use crate::command::Ctx;

/// Parses the timeout at `args[i]` (seconds, fractional allowed, 0 = forever) into an absolute
/// deadline in Unix milliseconds (0 = none), replying with Redis's error when it is not one.
pub fn parse_timeout(ctx: &mut Ctx, i: usize) -> Option<u64> {
    let Some(secs) = crate::util::num::parse_f64(ctx.arg(i)).filter(|s| !s.is_nan()) else {
        ctx.error("ERR timeout is not a float or out of range");
        return None;
    };
    // Redis rounds up to whole milliseconds and converts to a 64-bit integer; on x86 a value
    // beyond that range converts to the most negative integer, hence "negative" for huge ones.
    let ms = (secs * 1000.0).ceil();
    if ms.is_nan() || ms <= -1.0 || ms >= i64::MAX as f64 {
        ctx.error("ERR timeout is negative");
        return None;
    }
    let ms = ms.max(0.0) as u64;
    Some(if ms == 0 {
        0
    } else {
        ctx.now.ms().saturating_add(ms)
    })
}
