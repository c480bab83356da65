//! The timeout argument of blocking commands.

use crate::command::Ctx;
use crate::types::string::long_double::{LongDouble, Parsed};

/// Parses the timeout at `args[i]` (seconds, fractional allowed, 0 = forever) into an absolute
/// deadline in Unix milliseconds (0 = none), replying with Redis's error when it is not one.
///
/// Redis 7.0 computes `(long long) ceill(seconds * 1000.0)` in x87 long doubles, and the
/// boundaries are visible to clients, so they are reproduced exactly rather than in f64:
/// `-0.001` is slightly above -1 ms and rounds up to 0 (block forever); `9223372036854775`
/// seconds is exact and blocks, where f64 rounds it past i64's range; a product beyond that
/// range (`1e300`, `inf`) converts to i64::MIN, hence "negative". There is no "out of range"
/// error in 7.0: a deadline past i64's range just never comes.
pub fn parse_timeout(ctx: &mut Ctx, i: usize) -> Option<u64> {
    let ms = match LongDouble::parse(ctx.arg(i)) {
        Some(Parsed::Finite(secs)) => secs.mul_u64(1000).map_or(i64::MIN, |ms| ms.ceil_to_i64()),
        Some(Parsed::Infinite) => i64::MIN,
        None => {
            ctx.error("ERR timeout is not a float or out of range");
            return None;
        }
    };
    let Ok(ms) = u64::try_from(ms) else {
        ctx.error("ERR timeout is negative");
        return None;
    };
    Some(if ms == 0 {
        0
    } else {
        ctx.now.ms().saturating_add(ms)
    })
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    /// BLPOP's reply with `timeout` on an empty key: "" while it blocks, else at once.
    fn blpop(timeout: &str) -> String {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["BLPOP", "k", timeout])
    }

    #[test]
    fn timeouts_answer_as_redis_7_0_on_x86_64() {
        // Every answer below is what redis-server 7.0.15 gave.
        let negative = "-ERR timeout is negative\r\n";
        for t in [
            "-1",
            "-0.5",
            "1e300",
            "1e309",
            "-1e300",
            "inf",
            "-infinity",
            "9223372036854776",
            "9223372036854775.808",
            "9223372036854775807",
            "0x1p62",
            "-0.0010000000000000000001",
        ] {
            assert_eq!(blpop(t), negative, "{t}");
        }
        let not_float = "-ERR timeout is not a float or out of range\r\n";
        for t in ["abc", "nan", "", " 1", "1 ", "1e", "1e5000", "1e-5000"] {
            assert_eq!(blpop(t), not_float, "{t:?}");
        }
        // Accepted: these block (no reply yet).
        for t in [
            "0",
            "-0",
            "-0.001",
            "-0.0009",
            "-1e-300",
            "0.5",
            "0x10",
            "9223372036854775",
            "9223372036854775.807",
            "9223370000000000",
            "2147483648",
        ] {
            assert_eq!(blpop(t), "", "{t}");
        }
    }

    #[test]
    fn a_fraction_of_a_millisecond_is_rounded_up() {
        for t in ["0.001", "0.0001", "1e-4940"] {
            let srv = server();
            let mut c = TestClient::new(&srv);
            assert_eq!(c.cmd(&["BLPOP", "k", t]), "", "{t}");
            assert_eq!(c.fire_timeout(), "", "{t}: not before 1 ms");
            c.advance_ms(1);
            assert_eq!(c.fire_timeout(), "*-1\r\n", "{t}");
        }
    }
}
